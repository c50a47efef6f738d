/* charmbox's C library: a workload container's Pebble (ops' Container),
 * over the generated bindings of the juju:charm world. */
#include <stdlib.h>
#include <string.h>

#include "charmbox.h"
#include "charmbox_internal.h"

/* Record Pebble's message (a path error as `kind: message`) and free it. */
static bool pebble_failed(juju_charm_pebble_pebble_error_t *err) {
  const charm_string_t *m;
  switch (err->tag) {
    case JUJU_CHARM_PEBBLE_PEBBLE_ERROR_API: m = &err->val.api.message; break;
    case JUJU_CHARM_PEBBLE_PEBBLE_ERROR_PATH: {
      char text[1024];
      size_t k = err->val.path.kind.len, n = err->val.path.message.len;
      if (k > 200) k = 200;
      if (n > sizeof text - k - 3) n = sizeof text - k - 3;
      memcpy(text, err->val.path.kind.ptr, k);
      memcpy(text + k, ": ", 2);
      memcpy(text + k + 2, err->val.path.message.ptr, n);
      cb_set_error_bytes((const uint8_t *)text, k + 2 + n);
      juju_charm_pebble_pebble_error_free(err);
      return false;
    }
    case JUJU_CHARM_PEBBLE_PEBBLE_ERROR_CHANGE: m = &err->val.change; break;
    case JUJU_CHARM_PEBBLE_PEBBLE_ERROR_TIMEOUT: m = &err->val.timeout; break;
    default: m = &err->val.connection; break;
  }
  cb_set_error_bytes(m->ptr, m->len);
  juju_charm_pebble_pebble_error_free(err);
  return false;
}

static juju_charm_pebble_borrow_container_t borrow(const cb_container *c) {
  juju_charm_pebble_own_container_t own = {c->handle};
  return juju_charm_pebble_borrow_container(own);
}

bool cb_unit_get_container(const char *name, cb_container *out) {
  charm_string_t n = cb_view(name);
  juju_charm_pebble_own_container_t own;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_static_container_open(&n, &own, &err)) return pebble_failed(&err);
  out->handle = own.__handle;
  return true;
}

void cb_container_close(cb_container *c) {
  juju_charm_pebble_own_container_t own = {c->handle};
  juju_charm_pebble_container_drop_own(own);
  c->handle = -1;
}

bool cb_container_can_connect(const cb_container *c) {
  return juju_charm_pebble_method_container_can_connect(borrow(c));
}

bool cb_container_add_layer(const cb_container *c, const char *label, const char *layer_yaml, bool combine) {
  charm_string_t l = cb_view(label), y = cb_view(layer_yaml);
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_add_layer(borrow(c), &l, &y, combine, &err)) return pebble_failed(&err);
  return true;
}

char *cb_container_get_plan(const cb_container *c) {
  charm_string_t plan;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_get_plan(borrow(c), &plan, &err)) {
    pebble_failed(&err);
    return NULL;
  }
  char *out = cb_copy(&plan);
  charm_string_free(&plan);
  if (out == NULL) cb_fail("out of memory reading the plan");
  return out;
}

bool cb_container_get_service(const cb_container *c, const char *name, bool *found, char current[16]) {
  charm_string_t n = cb_view(name);
  charm_list_string_t names = {&n, 1};
  juju_charm_pebble_list_service_info_t services;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_get_services(borrow(c), &names, &services, &err)) return pebble_failed(&err);
  *found = services.len > 0;
  current[0] = '\0';
  if (*found) {
    size_t len = services.ptr[0].current.len;
    if (len > 15) len = 15;
    memcpy(current, services.ptr[0].current.ptr, len);
    current[len] = '\0';
  }
  juju_charm_pebble_list_service_info_free(&services);
  return true;
}

/* Wait for change `id` (as ops does after each service operation): a change
 * that ended in error fails with Pebble's message. Frees `id`. */
static bool wait_for(const cb_container *c, charm_string_t *id) {
  juju_charm_pebble_change_info_t change;
  juju_charm_pebble_pebble_error_t err;
  bool ok = juju_charm_pebble_method_container_wait_change(borrow(c), id, NULL, &change, &err);
  charm_string_free(id);
  if (!ok) return pebble_failed(&err);
  if (change.err_.is_some) {
    cb_set_error_bytes(change.err_.val.ptr, change.err_.val.len);
    ok = false;
  }
  juju_charm_pebble_change_info_free(&change);
  return ok;
}

bool cb_container_autostart(const cb_container *c) {
  charm_string_t id;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_autostart(borrow(c), &id, &err)) return pebble_failed(&err);
  return wait_for(c, &id);
}

bool cb_container_replan(const cb_container *c) {
  charm_string_t id;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_replan(borrow(c), &id, &err)) return pebble_failed(&err);
  return wait_for(c, &id);
}

typedef bool (*service_op)(juju_charm_pebble_borrow_container_t, charm_list_string_t *, charm_string_t *,
                           juju_charm_pebble_pebble_error_t *);

static bool on_service(const cb_container *c, service_op op, const char *service) {
  charm_string_t s = cb_view(service);
  charm_list_string_t services = {&s, 1};
  charm_string_t id;
  juju_charm_pebble_pebble_error_t err;
  if (!op(borrow(c), &services, &id, &err)) return pebble_failed(&err);
  return wait_for(c, &id);
}

bool cb_container_start(const cb_container *c, const char *service) {
  return on_service(c, juju_charm_pebble_method_container_start, service);
}

bool cb_container_stop(const cb_container *c, const char *service) {
  return on_service(c, juju_charm_pebble_method_container_stop, service);
}

bool cb_container_restart(const cb_container *c, const char *service) {
  return on_service(c, juju_charm_pebble_method_container_restart, service);
}

bool cb_container_push(const cb_container *c, const char *path, const void *data, size_t len, bool make_dirs) {
  charm_string_t p = cb_view(path);
  charm_list_u8_t bytes = {(uint8_t *)data, len};
  juju_charm_pebble_file_options_t options;
  memset(&options, 0, sizeof options);
  options.make_dirs = make_dirs;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_push(borrow(c), &p, &bytes, &options, &err)) return pebble_failed(&err);
  return true;
}

char *cb_container_pull(const cb_container *c, const char *path, size_t *len) {
  charm_string_t p = cb_view(path);
  charm_list_u8_t bytes;
  juju_charm_pebble_pebble_error_t err;
  if (!juju_charm_pebble_method_container_pull(borrow(c), &p, &bytes, &err)) {
    pebble_failed(&err);
    return NULL;
  }
  char *out = malloc(bytes.len + 1);
  if (out == NULL) {
    cb_fail("out of memory reading the file");
  } else {
    memcpy(out, bytes.ptr, bytes.len);
    out[bytes.len] = '\0';
    *len = bytes.len;
  }
  charm_list_u8_free(&bytes);
  return out;
}
