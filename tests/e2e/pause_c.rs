//! examples/pause-c, the how-to's pause charm in C with charmbox's C library
//! (cb_container_add_layer with combine, cb_container_get_service,
//! cb_container_get_plan, autostart, restart, cb_config_get_int), run in the
//! host against the simulated Pebble: the same cases as the Rust, Python and
//! JavaScript pause charms (tests/e2e/cases/pause.rs), and the same
//! containers as the Rust charm.

use crate::common;

use crate::pause_cases as cases;

use charmbox::engine::Outcome;
use common::*;
use serde_json::json;

const CHARM: &str = "examples/pause-c";

pause_tests!(CHARM);

pause_tests_beside_rust!(CHARM);

/// A C charm written here for the library's error paths: an option read as
/// another type than charmcraft.yaml declares, and a pull of a missing file.
const PROBE: &str = r#"#include <string.h>
#include "charmbox.h"
bool charm_handle(const cb_event *event) {
  if (strcmp(event->name, "config-changed") == 0) {
    int64_t n;
    bool set;
    return cb_config_get_int("greeting", &n, &set);
  }
  cb_container c;
  if (!cb_unit_get_container("work", &c)) return false;
  size_t len;
  char *text = cb_container_pull(&c, "/etc/missing.conf", &len);
  cb_container_close(&c);
  return text != NULL;
}
"#;

fn probe(rt: &charmbox::engine::Runtime) -> charmbox::run::Charm {
    let dir = root()
        .join("target")
        .join("tmp")
        .join(format!("c-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("charmcraft.yaml"),
        "name: c-probe\ntype: charm\ncontainers:\n  work:\n    resource: img\n\
         resources:\n  img:\n    type: oci-image\n\
         config:\n  options:\n    greeting:\n      type: string\n      default: hi\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/charm.c"), PROBE).unwrap();
    let opts = charmbox::build::BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    charmbox::build::build_charm(&dir, &opts).unwrap();
    charmbox::run::Charm::open(rt, &dir).unwrap()
}

fn failure(report: &charmbox::run::RunReport) -> String {
    let Outcome::Failed { failure } = &report.outcome else {
        panic!("expected a failed hook, got {:?}", report.outcome);
    };
    format!("{failure:?}")
}

#[test]
fn the_library_names_what_went_wrong() {
    let rt = runtime();
    let charm = probe(&rt);
    let (_, report) = run(&rt, &charm, state(json!({})), "config-changed");
    let message = failure(&report);
    assert!(
        message.contains(r#"config option \"greeting\" is not of type int"#),
        "{message}"
    );
    let s = state(json!({"containers": [{"name": "work", "can_connect": true}]}));
    let (_, report) = run(&rt, &charm, s, "work-pebble-ready");
    let message = failure(&report);
    assert!(
        message.contains("not-found: ") && message.contains("/etc/missing.conf"),
        "{message}"
    );
}

/// The component imports the juju:charm world (Pebble included) and no WASI.
#[test]
fn imports_only_the_world() {
    let rt = runtime();
    let c = charm(&rt, CHARM);
    let bytes = std::fs::read(c.dir.join("pause-c.wasm")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("wasi:"), "the C charm imports WASI");
    assert!(text.contains("juju:charm/pebble@0.1.0"));
}
