/* pause-c: the charm of the Juju SDK how-to "How to run workloads with your
 * charm", in C. Pebble runs /pause in the `pause` container; the charm gives
 * Pebble the layer and keeps the service's environment in line with the
 * `timeout` option, restarting it only when the plan changed (as
 * examples/pause in Rust, pause-py and pause-js). */
#include <stdlib.h>
#include <string.h>

#include "charmbox.h"

#define NAME "pause"

static const char PAUSE_LAYER[] =
    "summary: pause layer\n"
    "description: pebble config layer for google/pause\n"
    "services:\n"
    "  pause:\n"
    "    override: replace\n"
    "    summary: pause service\n"
    "    command: /pause\n"
    "    startup: enabled\n";

static bool pebble_ready(const cb_container *c) {
  if (!cb_container_add_layer(c, NAME, PAUSE_LAYER, true)) return false;
  if (!cb_container_autostart(c)) return false;
  return cb_unit_set_status("active", "");
}

/* Merge TIMEOUT into the service's environment; restart only when that
 * changed the plan. */
static bool configure(const cb_container *c) {
  if (!cb_container_can_connect(c)) {
    cb_log_info("Pebble in the " NAME " container is not ready yet");
    return cb_unit_set_status("waiting", "waiting for Pebble in the workload container");
  }
  bool found;
  char current[16];
  if (!cb_container_get_service(c, NAME, &found, current)) return false;
  if (!found) {
    cb_log_info("no " NAME " service in the plan yet: pebble-ready has not run");
    return cb_unit_set_status("waiting", "waiting for the pause service");
  }
  int64_t timeout = 30;
  bool set;
  if (!cb_config_get_int("timeout", &timeout, &set)) return false;
  char digits[21];
  const char *text = cb_format_u64((uint64_t)(timeout < 0 ? -timeout : timeout), digits);
  char overlay[160] = "services:\n  pause:\n    override: merge\n    environment:\n      TIMEOUT: \"";
  if (timeout < 0) strcat(overlay, "-");
  strcat(overlay, text);
  strcat(overlay, "\"\n");

  char *before = cb_container_get_plan(c);
  if (before == NULL) return false;
  bool ok = cb_container_add_layer(c, NAME, overlay, true);
  char *after = ok ? cb_container_get_plan(c) : NULL;
  if (after == NULL) ok = false;
  if (ok && strcmp(before, after) != 0) {
    cb_log_info("added config layer to Pebble plan");
    ok = cb_container_restart(c, NAME);
    if (ok) cb_log_info("restarted " NAME " service");
  } else if (ok) {
    cb_log_info("the plan did not change: " NAME " keeps running");
  }
  free(before);
  free(after);
  return ok && cb_unit_set_status("active", "");
}

bool charm_handle(const cb_event *event) {
  bool ready = strcmp(event->name, NAME "-pebble-ready") == 0;
  if (!ready && strcmp(event->name, "config-changed") != 0) return true;
  cb_container c;
  if (!cb_unit_get_container(NAME, &c)) return false;
  bool ok = ready ? pebble_ready(&c) : configure(&c);
  cb_container_close(&c);
  return ok;
}
