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

/* Decimal text of `value` in `buf` (at least 21 bytes); returns buf. */
char *cb_format_u64(uint64_t value, char *buf);

#endif
