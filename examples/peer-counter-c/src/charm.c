/* peer-counter-c: the charm of the Juju SDK tutorial chapter "Preserve your
 * charm's data", in C. On `start` the leader counts how often the
 * application has started, in the JSON value `unit_stats` of the peer
 * relation's application databag, where the count survives the unit's pod
 * being recreated. The same charm as examples/peer-counter (Rust) and
 * examples/peer-counter-py (Python): the same databags, byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "charmbox.h"

#define PEER_NAME "fastapi-peer"
#define STATS_KEY "unit_stats"

/* `started_counter` in the JSON object `stats` (a number, or the tutorial's
 * string of digits): false when it is there but not a count. */
static bool started_counter(const char *stats, uint64_t *count) {
  *count = 0;
  const char *p = strstr(stats, "\"started_counter\"");
  if (p == NULL) return true;
  p += strlen("\"started_counter\"");
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return false;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (strncmp(p, "null", 4) == 0) return true;
  bool quoted = *p == '"';
  if (quoted) p++;
  if (*p < '0' || *p > '9') return false;
  uint64_t n = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (n > (UINT64_MAX - 9) / 10) return false;
    n = n * 10 + (uint64_t)(*p - '0');
  }
  if (quoted && *p != '"') return false;
  *count = n;
  return true;
}

static bool count(void) {
  uint32_t peers;
  bool found, leader, ok;
  if (!cb_model_get_relation(PEER_NAME, &peers, &found)) return false;
  if (!found) {
    cb_log_info("no " PEER_NAME " relation yet: not counting this start");
    return true;
  }
  if (!cb_unit_is_leader(&leader)) return false;
  if (!leader) {
    cb_log_info("not the leader: leaving started_counter to the leader");
    return true;
  }
  char *stats = cb_relation_app_data_get(peers, STATS_KEY, &ok);
  if (!ok) return false;
  uint64_t n = 0;
  bool counted = stats == NULL || started_counter(stats, &n);
  free(stats);
  if (!counted) return cb_fail("started_counter is not a count");
  /* Written as Python's json.dumps writes it. */
  char digits[21], value[64], line[64];
  cb_format_u64(n + 1, digits);
  strcpy(value, "{\"started_counter\": ");
  strcat(value, digits);
  strcat(value, "}");
  if (!cb_relation_app_data_set(peers, STATS_KEY, value)) return false;
  strcpy(line, "started_counter is now ");
  strcat(line, digits);
  cb_log_info(line);
  return true;
}

bool charm_handle(const cb_event *event) {
  if (strcmp(event->name, "start") != 0) return true;
  if (!count()) return false;
  return cb_unit_set_status("active", "");
}
