//! What a WASI guest is granted for one event, from the State it runs on.

use std::path::Path;
use std::sync::Arc;

use crate::bindings::event::Event;
use crate::charm::CharmMeta;
use crate::juju::DEFAULT_NOW_NS;
use crate::sandbox::{GuestEnv, MachineDirs, WasiGrants, parse_rfc3339_ns};
use crate::state::State;

/// What a WASI guest of the charm `meta` sees for this State and event
/// (`env`, the dispatch environment): its machine directories hold the
/// State's machine files (a State whose files the charm does not declare
/// gets none; the State's check says why).
pub fn wasi_grants(
    state: &State,
    event: &Event,
    env: GuestEnv,
    charm_dir: Option<&Path>,
    meta: &CharmMeta,
) -> WasiGrants {
    let machine = (!meta.machine_dirs.is_empty())
        .then(|| {
            let files = state
                .machine
                .files
                .iter()
                .map(|(path, f)| Ok((path.clone(), f.bytes()?)))
                .collect::<Result<_, String>>()?;
            MachineDirs::new(&meta.machine_dirs, files)
        })
        .and_then(Result::ok)
        .map(Arc::new);
    WasiGrants {
        now_ns: state
            .now
            .as_deref()
            .and_then(parse_rfc3339_ns)
            .unwrap_or(DEFAULT_NOW_NS),
        seed: state.seed,
        charm_dir: charm_dir.map(|d| (d.to_path_buf(), event.context.charm_dir.clone())),
        env,
        tap: None,
        unit_dir: None,
        machine,
        host_dirs: Vec::new(),
    }
}
