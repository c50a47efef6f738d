//! What a WASI guest is granted for one event, from the State it runs on.

use std::path::Path;

use crate::bindings::event::Event;
use crate::juju::DEFAULT_NOW_NS;
use crate::sandbox::{WasiGrants, parse_rfc3339_ns};
use crate::state::State;

/// What a WASI guest sees for this State and event.
pub fn wasi_grants(state: &State, event: &Event, charm_dir: Option<&Path>) -> WasiGrants {
    WasiGrants {
        now_ns: state
            .now
            .as_deref()
            .and_then(parse_rfc3339_ns)
            .unwrap_or(DEFAULT_NOW_NS),
        seed: state.seed,
        charm_dir: charm_dir.map(|d| (d.to_path_buf(), event.context.charm_dir.clone())),
        env: event.env.clone(),
        tap: None,
        unit_dir: None,
    }
}
