//! The unit's model data as the host's data budget counts it (see
//! [`crate::limits::DEFAULT_DATA_BYTES`]): what the unit can write and the
//! model then keeps for it. Each writer charges its change to the
//! [`Budget`](crate::limits::Budget) before making it.

use crate::backend::ToolError;
use crate::backend::error::juju;
use crate::limits::{Exceeded, FS_ENTRY_OVERHEAD};
use crate::state::{Bag, State};

/// Bytes of a bag's keys and values.
pub(super) fn bag_size(bag: &Bag) -> usize {
    bag.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// Bytes a storage instance is counted for, besides its name.
pub(super) const STORAGE_OVERHEAD: usize = FS_ENTRY_OVERHEAD;

/// The unit's data in `state`: the relation data it writes (its unit bags,
/// its application's bags), unit state, leader settings, secrets with their
/// revisions, statuses, workload version and storage instances.
pub(super) fn data_size(state: &State) -> usize {
    let relations: usize = state
        .relations
        .iter()
        .map(|r| bag_size(&r.local_unit_data) + bag_size(&r.local_app_data))
        .sum();
    let secrets: usize = state
        .secrets
        .iter()
        .map(|s| {
            let revisions: usize = s.revisions.iter().map(|r| bag_size(&r.content)).sum();
            let text = [&s.label, &s.description, &s.expire, &s.rotate]
                .iter()
                .map(|t| t.as_ref().map_or(0, String::len))
                .sum::<usize>();
            revisions + text + s.id.len()
        })
        .sum();
    let storages: usize = state
        .storages
        .iter()
        .map(|s| s.name.len() + STORAGE_OVERHEAD)
        .sum();
    relations
        + secrets
        + storages
        + bag_size(&state.unit_state)
        + bag_size(&state.leader_settings)
        + state.unit_status.message.len()
        + state.app_status.message.len()
        + state.workload_version.len()
}

/// A data-budget refusal, as Juju's quota error.
pub(super) fn refused(e: Exceeded) -> ToolError {
    juju::quota(e.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::backend::unit::UnitBackend;
    use crate::backend::{Backend, HookCall, HookTools, ToolError};
    use crate::bindings::types::{HookError, LogLevel, SecretOptions};
    use crate::charm::CharmMeta;
    use crate::event::EventSpec;
    use crate::limits::HostLimits;
    use crate::state::State;

    const CHARM: &str = r#"
name: demo
peers:
  demo-peers: {interface: demo_peers}
storage:
  data: {type: filesystem, multiple: {range: 0-}}
"#;

    fn backend(limits: HostLimits) -> UnitBackend {
        let meta = Arc::new(CharmMeta::parse(CHARM, "test").expect("charm"));
        let state = State::from_json(
            r#"{"leader": true, "unit_state": {"k": "0123456789"},
                "relations": [{"id": 1, "endpoint": "demo-peers"}]}"#,
            "test",
        )
        .expect("state");
        let resolved = EventSpec::named("start")
            .resolve(&meta, &state)
            .expect("event");
        let mut b = UnitBackend::new(meta, state, &resolved).expect("backend");
        b.set_limits(&limits);
        b
    }

    fn quota(r: Result<crate::backend::HookReply, ToolError>) -> String {
        match r {
            Err(ToolError::Hook(HookError::QuotaExceeded(m))) => m,
            other => panic!("expected a quota error, got {other:?}"),
        }
    }

    #[test]
    fn every_writer_charges_the_units_data() {
        let small = HostLimits {
            data_bytes: 1000,
            log_bytes: 100,
            ..HostLimits::default()
        };
        let mut b = backend(small);
        let big = "x".repeat(1000);
        let set = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        for call in [
            HookCall::RelationSet {
                relation: Some(1),
                app: false,
                settings: set("k", &big),
            },
            HookCall::StateSet {
                settings: set("k", &big),
            },
            HookCall::LeaderSet {
                settings: set("k", &big),
            },
            HookCall::ApplicationVersionSet {
                version: big.clone(),
            },
            HookCall::SecretAdd {
                content: set("password", &big),
                options: SecretOptions {
                    owner: None,
                    label: None,
                    description: None,
                    expire: None,
                    rotate: None,
                },
            },
            // 20 instances of 68 bytes each would be made at commit.
            HookCall::StorageAdd {
                directives: vec![("data".into(), 20)],
            },
            // Counted as the most a commit makes: 1000 instances.
            HookCall::StorageAdd {
                directives: vec![("data".into(), u32::MAX)],
            },
        ] {
            let m = quota(b.call(call));
            assert!(m.contains("--max-data-mib"), "{m}");
        }
        let m = quota(b.call(HookCall::JujuLog {
            level: LogLevel::Info,
            message: big.clone(),
        }));
        assert!(m.contains("--max-log-mib"), "{m}");
        // Deleting what is held frees room.
        b.call(HookCall::StateSet {
            settings: set("a", &big[..900]),
        })
        .unwrap();
        quota(b.call(HookCall::StateSet {
            settings: set("n", &big[..100]),
        }));
        b.call(HookCall::StateDelete { key: "a".into() }).unwrap();
        b.call(HookCall::StateSet {
            settings: set("n", &big[..100]),
        })
        .unwrap();
        b.finish(true).unwrap();
        assert_eq!(b.state().unit_state["n"].len(), 100);
    }
}
