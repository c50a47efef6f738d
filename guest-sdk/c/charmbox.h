/* charmbox's C library for Juju charms, over the juju:charm world.
 *
 * A charm defines `charm_handle` and calls the functions below, named after
 * ops (`cb_unit_set_status` is ops' `self.unit.status = ...`). They call
 * charmbox's typed hook tools, so errors are Juju's own messages. Every
 * function that can fail returns false after recording Juju's message;
 * `charm_handle` returns false to fail the hook with the last message (or
 * its own, set with `cb_fail`). No libc I/O: the component imports nothing
 * but the juju:charm world.
 *
 * `charmbox build` compiles src/ *.c with this library and the world's
 * bindings (wit-bindgen's C generator) for wasm32; see docs/c.md. */
#ifndef CHARMBOX_H
#define CHARMBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One Juju event, as the dispatch describes it. Strings are NUL-terminated
 * and live until `charm_handle` returns. */
typedef struct cb_event {
  /* The hook (`start`, `db-relation-changed`) or, for an action, its name. */
  const char *name;
  bool is_action;
  const char *unit_name;
  const char *app_name;
  /* Relation events: the relation, and the remote unit ("" for app-level
   * changes and for relation-created and -broken). */
  bool has_relation;
  uint32_t relation_id;
  const char *relation_endpoint;
  const char *remote_unit;
  const char *remote_app;
  /* Pebble events: the container ("" otherwise). */
  const char *container;
} cb_event;

/* Implemented by the charm: handle one event; false fails the hook. */
bool charm_handle(const cb_event *event);

/* Fail the hook with `message` (returns false, for `return cb_fail(...)`). */
bool cb_fail(const char *message);
/* The message the hook fails with: Juju's last error, or cb_fail's. */
const char *cb_last_error(void);

/* juju-log at INFO, DEBUG, WARNING or ERROR. */
void cb_log_info(const char *message);
void cb_log_debug(const char *message);
void cb_log_warning(const char *message);
void cb_log_error(const char *message);

/* ops' unit.is_leader(). */
bool cb_unit_is_leader(bool *leader);

/* ops' model.get_relation(endpoint): `found` is false when there is none;
 * more than one relation on the endpoint is an error, as in ops. */
bool cb_model_get_relation(const char *endpoint, uint32_t *relation_id, bool *found);

/* A key of this application's databag of `relation_id` (relation-get
 * --app): a malloc'd copy, or NULL when the key is not set (or on error,
 * with *ok false). Free it with free(). */
char *cb_relation_app_data_get(uint32_t relation_id, const char *key, bool *ok);
/* Set a key of this application's databag (leader only, as Juju says). */
bool cb_relation_app_data_set(uint32_t relation_id, const char *key, const char *value);
/* The same for this unit's databag. */
char *cb_relation_unit_data_get(uint32_t relation_id, const char *key, bool *ok);
bool cb_relation_unit_data_set(uint32_t relation_id, const char *key, const char *value);

/* ops' unit.status = <status>(message): status is "active", "blocked",
 * "maintenance" or "waiting". */
bool cb_unit_set_status(const char *status, const char *message);

/* ops' unit.set_workload_version(). */
bool cb_unit_set_workload_version(const char *version);

/* The charm's config option `key` (ops' self.config[key]) as an int, a
 * boolean or a string: `set` is false when the option is unset and has no
 * default; an option of another type is an error. */
bool cb_config_get_int(const char *key, int64_t *value, bool *set);
bool cb_config_get_bool(const char *key, bool *value, bool *set);
/* A malloc'd copy of a string option, or NULL when unset (or on error, with
 * *ok false). */
char *cb_config_get_string(const char *key, bool *ok);

/* A workload container (ops' Container), from cb_unit_get_container. */
typedef struct cb_container {
  int32_t handle;
} cb_container;

/* ops' unit.get_container(name): false when the charm declares no such
 * container. Close it with cb_container_close. */
bool cb_unit_get_container(const char *name, cb_container *out);
void cb_container_close(cb_container *container);
/* Whether the container's Pebble answers. */
bool cb_container_can_connect(const cb_container *container);
/* Add the layer `label` (YAML or JSON text); with `combine` merge into an
 * existing layer of that label. */
bool cb_container_add_layer(const cb_container *container, const char *label, const char *layer_yaml, bool combine);
/* The combined plan as Pebble's YAML text (malloc'd), or NULL on error. */
char *cb_container_get_plan(const cb_container *container);
/* The plan's service `name`: `found`, and its status in `current` ("active",
 * "inactive", "backoff" or "error"). */
bool cb_container_get_service(const cb_container *container, const char *name, bool *found, char current[16]);
/* Start the services marked `startup: enabled` / bring the services in line
 * with the plan / start, stop or restart one service; each waits for
 * Pebble's change, and a change that ended in error fails with its message. */
bool cb_container_autostart(const cb_container *container);
bool cb_container_replan(const cb_container *container);
bool cb_container_start(const cb_container *container, const char *service);
bool cb_container_stop(const cb_container *container, const char *service);
bool cb_container_restart(const cb_container *container, const char *service);
/* Write `len` bytes to `path`; `make_dirs` creates its parents. */
bool cb_container_push(const cb_container *container, const char *path, const void *data, size_t len, bool make_dirs);
/* A file's content (malloc'd, NUL-terminated; its length in *len), or NULL
 * on error (Pebble's message, e.g. `not-found: ...`). */
char *cb_container_pull(const cb_container *container, const char *path, size_t *len);

/* Decimal text of `value` in `buf` (at least 21 bytes); returns buf. */
char *cb_format_u64(uint64_t value, char *buf);

#endif
