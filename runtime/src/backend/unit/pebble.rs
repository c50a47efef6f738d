//! The unit's workload containers as seen through Pebble.
//!
//! This backend knows which containers exist and whether their Pebble is
//! ready; the simulated Pebble (layers, services, files, exec) plugs in here.

use super::UnitBackend;
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleReply, PebbleResult};
use crate::bindings::pebble::{ApiError, PebbleError};
use crate::charm::CharmMeta;
use crate::state::State;

/// The containers of the unit and their connectivity.
pub(super) struct Containers {
    declared: Vec<String>,
    ready: Vec<String>,
}

impl Containers {
    pub(super) fn new(meta: &CharmMeta, state: &State) -> Result<Containers, String> {
        for c in &state.containers {
            if !meta.containers.contains(&c.name) {
                return Err(format!(
                    "container {:?} is not declared in charmcraft.yaml",
                    c.name
                ));
            }
        }
        Ok(Containers {
            declared: meta.containers.clone(),
            ready: state
                .containers
                .iter()
                .filter(|c| c.can_connect)
                .map(|c| c.name.clone())
                .collect(),
        })
    }
}

impl PebbleBackend for UnitBackend {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        let c = &self.pebble;
        if !c.declared.iter().any(|d| d == container) {
            return Ok(Err(PebbleError::Api(ApiError {
                status_code: 404,
                kind: Some("not-found".into()),
                message: format!("container {container:?} not found"),
            })));
        }
        let ready = c.ready.iter().any(|r| r == container);
        let socket = format!("/charm/containers/{container}/pebble.socket");
        Ok(match call {
            PebbleCall::Open => Ok(PebbleReply::Done),
            PebbleCall::CanConnect => Ok(PebbleReply::Bool(ready)),
            _ if !ready => Err(PebbleError::Connection(format!(
                "Could not connect to Pebble: socket not found at {socket:?} (container restarted?)"
            ))),
            other => Err(PebbleError::Api(ApiError {
                status_code: 501,
                kind: None,
                message: format!(
                    "charmbox's State backend does not simulate Pebble {:?} yet",
                    op_name(&other)
                ),
            })),
        })
    }
}

fn op_name(call: &PebbleCall) -> String {
    serde_json::to_value(call)
        .ok()
        .and_then(|v| v.get("op").and_then(|o| o.as_str().map(str::to_string)))
        .unwrap_or_default()
}
