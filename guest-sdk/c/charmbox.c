/* charmbox's C library: the functions of charmbox.h over the generated
 * bindings of the juju:charm world (charm.h). */
#include "charmbox.h"

#include <stdlib.h>
#include <string.h>

#include "charm.h"
#include "charmbox_internal.h"

/* The last failure: Juju's message or the charm's own. */
static char last_error[1024];

/* This unit and its application, from the event (relation-get names the
 * databag it reads). */
static const char *own_unit = "";
static const char *own_app = "";

void cb_set_error_bytes(const uint8_t *text, size_t len) {
  if (len >= sizeof last_error) len = sizeof last_error - 1;
  memcpy(last_error, text, len);
  last_error[len] = '\0';
}

bool cb_fail(const char *message) {
  cb_set_error_bytes((const uint8_t *)message, strlen(message));
  return false;
}

const char *cb_last_error(void) { return last_error; }

/* Record a hook tool's error (every variant carries Juju's message) and free it. */
static bool tool_failed(juju_charm_hook_tools_hook_error_t *err) {
  charm_string_t *m = &err->val.other;
  cb_set_error_bytes(m->ptr, m->len);
  juju_charm_types_hook_error_free(err);
  return false;
}

charm_string_t cb_view(const char *s) {
  charm_string_t out;
  charm_string_set(&out, s);
  return out;
}

static void log_at(juju_charm_hook_tools_log_level_t level, const char *message) {
  charm_string_t m = cb_view(message);
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_juju_log(level, &m, &err)) juju_charm_types_hook_error_free(&err);
}

void cb_log_info(const char *m) { log_at(JUJU_CHARM_TYPES_LOG_LEVEL_INFO, m); }
void cb_log_debug(const char *m) { log_at(JUJU_CHARM_TYPES_LOG_LEVEL_DEBUG, m); }
void cb_log_warning(const char *m) { log_at(JUJU_CHARM_TYPES_LOG_LEVEL_WARNING, m); }
void cb_log_error(const char *m) { log_at(JUJU_CHARM_TYPES_LOG_LEVEL_ERROR, m); }

bool cb_unit_is_leader(bool *leader) {
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_is_leader(leader, &err)) return tool_failed(&err);
  return true;
}

bool cb_model_get_relation(const char *endpoint, uint32_t *relation_id, bool *found) {
  charm_string_t e = cb_view(endpoint);
  juju_charm_hook_tools_list_relation_id_t ids;
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_relation_ids(&e, &ids, &err)) return tool_failed(&err);
  bool ok = true;
  *found = ids.len == 1;
  if (ids.len == 1) {
    *relation_id = ids.ptr[0];
  } else if (ids.len > 1) {
    ok = cb_fail("more than one relation on the endpoint: get it by id");
  }
  juju_charm_hook_tools_list_relation_id_free(&ids);
  return ok;
}

/* A copy of `key`'s value in `bag`, or NULL. */
static char *lookup(const juju_charm_types_string_map_t *bag, const char *key) {
  size_t klen = strlen(key);
  for (size_t i = 0; i < bag->len; i++) {
    const charm_string_t *k = &bag->ptr[i].f0;
    if (k->len == klen && memcmp(k->ptr, key, klen) == 0) {
      const charm_string_t *v = &bag->ptr[i].f1;
      char *out = malloc(v->len + 1);
      if (out == NULL) return NULL;
      memcpy(out, v->ptr, v->len);
      out[v->len] = '\0';
      return out;
    }
  }
  return NULL;
}

static char *data_get(uint32_t relation_id, bool app, const char *key, bool *ok) {
  juju_charm_hook_tools_relation_id_t id = relation_id;
  juju_charm_types_string_map_t bag;
  juju_charm_hook_tools_hook_error_t err;
  /* This unit's databag, or with app this application's. */
  charm_string_t target = cb_view(app ? own_app : own_unit);
  if (!juju_charm_hook_tools_relation_get(&id, &target, app, &bag, &err)) {
    *ok = tool_failed(&err);
    return NULL;
  }
  char *out = lookup(&bag, key);
  juju_charm_types_string_map_free(&bag);
  *ok = true;
  return out;
}

static bool data_set(uint32_t relation_id, bool app, const char *key, const char *value) {
  juju_charm_hook_tools_relation_id_t id = relation_id;
  charm_tuple2_string_string_t pair = {cb_view(key), cb_view(value)};
  juju_charm_types_string_map_t settings = {&pair, 1};
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_relation_set(&id, app, &settings, &err)) return tool_failed(&err);
  return true;
}

char *cb_relation_app_data_get(uint32_t r, const char *key, bool *ok) { return data_get(r, true, key, ok); }
bool cb_relation_app_data_set(uint32_t r, const char *key, const char *value) { return data_set(r, true, key, value); }
char *cb_relation_unit_data_get(uint32_t r, const char *key, bool *ok) { return data_get(r, false, key, ok); }
bool cb_relation_unit_data_set(uint32_t r, const char *key, const char *value) { return data_set(r, false, key, value); }

bool cb_unit_set_status(const char *status, const char *message) {
  static const struct { const char *name; juju_charm_hook_tools_status_kind_t kind; } kinds[] = {
      {"active", JUJU_CHARM_TYPES_STATUS_KIND_ACTIVE},
      {"blocked", JUJU_CHARM_TYPES_STATUS_KIND_BLOCKED},
      {"maintenance", JUJU_CHARM_TYPES_STATUS_KIND_MAINTENANCE},
      {"waiting", JUJU_CHARM_TYPES_STATUS_KIND_WAITING},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(kinds[i].name, status) == 0) {
      charm_string_t m = cb_view(message);
      juju_charm_hook_tools_hook_error_t err;
      if (!juju_charm_hook_tools_status_set(false, kinds[i].kind, &m, &err)) return tool_failed(&err);
      return true;
    }
  }
  return cb_fail("a charm sets active, blocked, maintenance or waiting");
}

bool cb_unit_set_workload_version(const char *version) {
  charm_string_t v = cb_view(version);
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_application_version_set(&v, &err)) return tool_failed(&err);
  return true;
}

/* The option's value when it is set and of type `tag` (named `type`);
 * false on error or another type. */
static bool config_get(const char *key, uint8_t tag, const char *type,
                       juju_charm_hook_tools_option_config_value_t *value) {
  charm_string_t k = cb_view(key);
  juju_charm_hook_tools_hook_error_t err;
  if (!juju_charm_hook_tools_config_get(&k, value, &err)) return tool_failed(&err);
  if (value->is_some && value->val.tag != tag) {
    juju_charm_types_config_value_free(&value->val);
    value->is_some = false;
    char message[256] = "config option \"";
    strncat(message, key, 160);
    strcat(message, "\" is not of type ");
    strcat(message, type);
    return cb_fail(message);
  }
  return true;
}

bool cb_config_get_int(const char *key, int64_t *value, bool *set) {
  juju_charm_hook_tools_option_config_value_t v;
  if (!config_get(key, JUJU_CHARM_TYPES_CONFIG_VALUE_INT, "int", &v)) return false;
  *set = v.is_some;
  if (v.is_some) *value = v.val.val.int_;
  return true;
}

bool cb_config_get_bool(const char *key, bool *value, bool *set) {
  juju_charm_hook_tools_option_config_value_t v;
  if (!config_get(key, JUJU_CHARM_TYPES_CONFIG_VALUE_BOOLEAN, "boolean", &v)) return false;
  *set = v.is_some;
  if (v.is_some) *value = v.val.val.boolean;
  return true;
}

char *cb_config_get_string(const char *key, bool *ok) {
  juju_charm_hook_tools_option_config_value_t v;
  *ok = config_get(key, JUJU_CHARM_TYPES_CONFIG_VALUE_STRING, "string", &v);
  if (!*ok || !v.is_some) return NULL;
  char *out = cb_copy(&v.val.val.string);
  juju_charm_types_config_value_free(&v.val);
  return out;
}

char *cb_format_u64(uint64_t value, char *buf) {
  char tmp[21];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return buf;
}

char *cb_copy(const charm_string_t *s) {
  char *out = malloc(s->len + 1);
  if (out == NULL) return NULL;
  memcpy(out, s->ptr, s->len);
  out[s->len] = '\0';
  return out;
}

bool exports_juju_charm_handler_dispatch(exports_juju_charm_handler_event_t *ev, charm_string_t *err) {
  juju_charm_event_juju_context_t *ctx = &ev->context;
  cb_event e;
  memset(&e, 0, sizeof e);
  e.is_action = ctx->action.is_some;
  e.name = e.is_action ? cb_copy(&ctx->action.val.name) : cb_copy(&ctx->hook_name);
  e.unit_name = cb_copy(&ctx->unit_name);
  e.app_name = cb_copy(&ctx->app_name);
  e.has_relation = ctx->relation.is_some;
  e.relation_endpoint = "";
  e.remote_unit = "";
  e.remote_app = "";
  e.container = "";
  if (ctx->relation.is_some) {
    e.relation_id = ctx->relation.val.id;
    e.relation_endpoint = cb_copy(&ctx->relation.val.endpoint);
    e.remote_unit = cb_copy(&ctx->relation.val.remote_unit);
    e.remote_app = cb_copy(&ctx->relation.val.remote_app);
  }
  if (ctx->workload.is_some) e.container = cb_copy(&ctx->workload.val.container);
  if (e.name == NULL || e.unit_name == NULL || e.app_name == NULL) {
    charm_string_dup(err, "out of memory reading the event");
    return false;
  }
  own_unit = e.unit_name;
  own_app = e.app_name;
  last_error[0] = '\0';
  bool ok = charm_handle(&e);
  /* The instance ends with the event: its memory goes with it. */
  if (!ok) {
    charm_string_dup(err, last_error[0] ? last_error : "the charm failed the hook");
    return false;
  }
  return true;
}
