//! Hook names: `install`, `<endpoint>-relation-joined`, `<container>-pebble-ready`...

use super::EventError;
use crate::bindings::event::EventKind;
use crate::charm::CharmMeta;

/// A parsed hook name.
#[derive(Debug, Clone, PartialEq)]
pub struct EventName {
    pub kind: EventKind,
    /// Juju's hook name, dashes only.
    pub hook_name: String,
    /// The endpoint, container or storage the hook is about.
    pub subject: Option<String>,
}

const UNIT_HOOKS: &[(&str, EventKind)] = &[
    ("install", EventKind::Install),
    ("start", EventKind::Start),
    ("stop", EventKind::Stop),
    ("remove", EventKind::Remove),
    ("config-changed", EventKind::ConfigChanged),
    ("upgrade-charm", EventKind::UpgradeCharm),
    ("update-status", EventKind::UpdateStatus),
    ("leader-elected", EventKind::LeaderElected),
    ("leader-settings-changed", EventKind::LeaderSettingsChanged),
    ("pre-series-upgrade", EventKind::PreSeriesUpgrade),
    ("post-series-upgrade", EventKind::PostSeriesUpgrade),
    ("collect-metrics", EventKind::CollectMetrics),
    ("secret-changed", EventKind::SecretChanged),
    ("secret-rotate", EventKind::SecretRotate),
    ("secret-remove", EventKind::SecretRemove),
    ("secret-expired", EventKind::SecretExpired),
];

const SUFFIXES: &[(&str, EventKind)] = &[
    ("-relation-created", EventKind::RelationCreated),
    ("-relation-joined", EventKind::RelationJoined),
    ("-relation-changed", EventKind::RelationChanged),
    ("-relation-departed", EventKind::RelationDeparted),
    ("-relation-broken", EventKind::RelationBroken),
    ("-storage-attached", EventKind::StorageAttached),
    ("-storage-detaching", EventKind::StorageDetaching),
    ("-pebble-ready", EventKind::PebbleReady),
    ("-pebble-custom-notice", EventKind::PebbleCustomNotice),
    ("-pebble-check-failed", EventKind::PebbleCheckFailed),
    ("-pebble-check-recovered", EventKind::PebbleCheckRecovered),
];

/// Parse a hook name against the charm's endpoints, containers and storage.
/// ops-style names (`db_relation_changed`) are accepted too.
pub fn parse_event_name(name: &str, meta: &CharmMeta) -> Result<EventName, EventError> {
    let dashed = name.replace('_', "-");
    for cand in [name, dashed.as_str()] {
        if let Some(&(h, kind)) = UNIT_HOOKS.iter().find(|(h, _)| *h == cand) {
            return Ok(EventName {
                kind,
                hook_name: h.to_string(),
                subject: None,
            });
        }
        for &(suffix, kind) in SUFFIXES {
            let Some(subject) = cand.strip_suffix(suffix) else {
                continue;
            };
            let known = match suffix {
                s if s.starts_with("-relation") => meta.endpoints.contains_key(subject),
                s if s.starts_with("-storage") => meta.storage.contains_key(subject),
                _ => meta.containers.iter().any(|c| c == subject),
            };
            if known {
                return Ok(EventName {
                    kind,
                    hook_name: format!("{subject}{suffix}"),
                    subject: Some(subject.to_string()),
                });
            }
        }
    }
    for &(suffix, _) in SUFFIXES {
        if let Some(subject) = dashed.strip_suffix(suffix) {
            let what = if suffix.starts_with("-relation") {
                "relation endpoint"
            } else if suffix.starts_with("-storage") {
                "storage"
            } else {
                "container"
            };
            return Err(EventError(format!(
                "unknown event {name:?}: charm {:?} has no {what} {subject:?}",
                meta.name
            )));
        }
    }
    let normal = name.replace('_', "-");
    if normal == "collect-unit-status" || normal == "collect-app-status" {
        return Err(EventError(format!(
            "unknown event {name:?}: Juju has no such hook; ops emits {normal} itself at the \
             end of every hook (the app's only on the leader), so run any hook to see it"
        )));
    }
    Err(EventError(format!("unknown event {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> CharmMeta {
        CharmMeta::parse(
            "name: c\npeers:\n  my-peers:\n    interface: x\ncontainers:\n  workload: {}\n",
            "t",
        )
        .unwrap()
    }

    #[test]
    fn names() {
        let m = meta();
        assert_eq!(
            parse_event_name("start", &m).unwrap().kind,
            EventKind::Start
        );
        let e = parse_event_name("my_peers_relation_changed", &m).unwrap();
        assert_eq!(e.hook_name, "my-peers-relation-changed");
        assert_eq!(e.subject.as_deref(), Some("my-peers"));
        let e = parse_event_name("workload-pebble-ready", &m).unwrap();
        assert_eq!(e.kind, EventKind::PebbleReady);
        assert_eq!(
            parse_event_name("db-relation-changed", &m).unwrap_err().0,
            "unknown event \"db-relation-changed\": charm \"c\" has no relation endpoint \"db\""
        );
        assert_eq!(
            parse_event_name("starts", &m).unwrap_err().0,
            "unknown event \"starts\""
        );
        for ops_only in ["collect-unit-status", "collect_app_status"] {
            let e = parse_event_name(ops_only, &m).unwrap_err().0;
            assert!(e.contains("ops emits collect-"), "{e}");
            assert!(e.contains("at the end of every hook"), "{e}");
        }
    }
}
