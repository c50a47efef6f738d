/* {{name}}: sets its unit active on start (charmbox's C library, charmbox.h). */
#include <string.h>

#include "charmbox.h"

bool charm_handle(const cb_event *event) {
  if (strcmp(event->name, "start") != 0) return true;
  cb_log_info("starting");
  return cb_unit_set_status("active", "ready");
}
