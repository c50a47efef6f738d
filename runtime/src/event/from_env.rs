//! The other direction of [`super::env`]: the event a dispatch under a real
//! unit agent is about, read from the environment Juju gave the process
//! (reference §4).

use crate::bindings::event::{
    ActionContext, Event, EventKind, JujuContext, NoticeContext, RelationContext, SecretContext,
    StorageContext, WorkloadContext,
};
use crate::charm::CharmMeta;

use super::{EventError, err, parse_event_name};

/// The most environment read into an event: Juju sets a few dozen short
/// variables; more is not Juju's.
pub const MAX_ENV_BYTES: usize = 1 << 20;
/// The most variables read into an event.
pub const MAX_ENV_VARS: usize = 4096;

/// The Juju versions a packed charm's host runs under.
pub const SUPPORTED_JUJU: &str = "3.x and 4.x";

/// The event of the dispatch whose environment is `env`, for a charm with
/// `meta`. `env` is every variable the process was given; the event's
/// `env` is all of it, sorted.
pub fn event_from_env(env: &[(String, String)], meta: &CharmMeta) -> Result<Event, EventError> {
    let size: usize = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    if env.len() > MAX_ENV_VARS || size > MAX_ENV_BYTES {
        return err(format!(
            "the environment has {} variables, {size} bytes: more than a dispatch's {MAX_ENV_VARS} variables or {MAX_ENV_BYTES} bytes",
            env.len()
        ));
    }
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let need =
        |k: &str| get(k).ok_or_else(|| EventError(format!("{k} is not set: not a Juju dispatch")));
    let juju_version = need("JUJU_VERSION")?;
    check_version(&juju_version)?;
    let dispatch_path = need("JUJU_DISPATCH_PATH")?;
    let unit_name = need("JUJU_UNIT_NAME")?;
    let app_name = crate::juju::names::parse_unit(&unit_name)
        .map_err(EventError)?
        .0
        .to_string();
    let charm_dir = get("JUJU_CHARM_DIR")
        .or_else(|| get("CHARM_DIR"))
        .unwrap_or_default();
    let mut ctx = JujuContext {
        hook_name: get("JUJU_HOOK_NAME").unwrap_or_default(),
        dispatch_path: dispatch_path.clone(),
        unit_name,
        app_name,
        model_name: need("JUJU_MODEL_NAME")?,
        model_uuid: need("JUJU_MODEL_UUID")?,
        juju_version,
        charm_dir,
        relation: None,
        workload: None,
        secret: None,
        storage: None,
        action: None,
    };
    let kind = if let Some(action) = dispatch_path.strip_prefix("actions/") {
        if !meta.actions.contains_key(action) {
            return err(format!("charm {:?} has no action {action:?}", meta.name));
        }
        ctx.action = Some(ActionContext {
            name: action.to_string(),
            id: need("JUJU_ACTION_UUID")?,
        });
        EventKind::Action
    } else if let Some(hook) = dispatch_path.strip_prefix("hooks/") {
        parse_event_name(hook, meta)?.kind
    } else {
        return err(format!(
            "JUJU_DISPATCH_PATH {dispatch_path:?} is neither hooks/<hook> nor actions/<action>"
        ));
    };
    use EventKind as K;
    match kind {
        K::RelationCreated
        | K::RelationJoined
        | K::RelationChanged
        | K::RelationDeparted
        | K::RelationBroken => {
            let (endpoint, id) = relation_id(&need("JUJU_RELATION_ID")?)?;
            ctx.relation = Some(RelationContext {
                endpoint: get("JUJU_RELATION").unwrap_or(endpoint),
                id,
                remote_unit: get("JUJU_REMOTE_UNIT").unwrap_or_default(),
                remote_app: get("JUJU_REMOTE_APP").unwrap_or_default(),
                departing_unit: get("JUJU_DEPARTING_UNIT"),
            });
        }
        K::PebbleReady | K::PebbleCustomNotice | K::PebbleCheckFailed | K::PebbleCheckRecovered => {
            let notice = match kind {
                K::PebbleCustomNotice => Some(NoticeContext {
                    id: need("JUJU_NOTICE_ID")?,
                    type_: need("JUJU_NOTICE_TYPE")?,
                    key: need("JUJU_NOTICE_KEY")?,
                }),
                _ => None,
            };
            ctx.workload = Some(WorkloadContext {
                container: need("JUJU_WORKLOAD_NAME")?,
                notice,
                check_name: get("JUJU_PEBBLE_CHECK_NAME"),
            });
        }
        K::SecretChanged | K::SecretRotate | K::SecretRemove | K::SecretExpired => {
            let revision = match get("JUJU_SECRET_REVISION") {
                Some(r) => Some(r.parse::<u32>().map_err(|_| {
                    EventError(format!("JUJU_SECRET_REVISION {r:?} is not a revision"))
                })?),
                None => None,
            };
            ctx.secret = Some(SecretContext {
                id: need("JUJU_SECRET_ID")?,
                label: get("JUJU_SECRET_LABEL").filter(|l| !l.is_empty()),
                revision,
            });
        }
        K::StorageAttached | K::StorageDetaching => {
            ctx.storage = Some(StorageContext {
                id: need("JUJU_STORAGE_ID")?,
                location: get("JUJU_STORAGE_LOCATION").unwrap_or_default(),
                kind: get("JUJU_STORAGE_KIND").unwrap_or_default(),
            });
        }
        _ => {}
    }
    Ok(Event { kind, context: ctx })
}

/// `<endpoint>:<id>` of JUJU_RELATION_ID.
fn relation_id(text: &str) -> Result<(String, u32), EventError> {
    let bad = || EventError(format!("JUJU_RELATION_ID {text:?} is not <endpoint>:<id>"));
    let (endpoint, id) = text.rsplit_once(':').ok_or_else(bad)?;
    Ok((endpoint.to_string(), id.parse().map_err(|_| bad())?))
}

/// Refuse a JUJU_VERSION this host was not made for.
pub fn check_version(version: &str) -> Result<(), EventError> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(3 | 4) => Ok(()),
        _ => err(format!(
            "JUJU_VERSION {version:?} is not supported by this charmbox host ({SUPPORTED_JUJU} are)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventSpec;
    use crate::state::State;

    const META: &str = "name: c\npeers:\n  peers:\n    interface: p\nrequires:\n  db:\n    interface: d\ncontainers:\n  work: {}\nstorage:\n  data:\n    type: filesystem\nactions:\n  snap: {}\n";

    fn state() -> State {
        serde_json::from_value(serde_json::json!({
            "relations": [
                {"id": 3, "endpoint": "db", "remote_app": "pg",
                 "remote_units_data": {"0": {}, "1": {}}},
                {"id": 4, "endpoint": "peers", "kind": "peer", "remote_units_data": {"1": {}}}
            ],
            "containers": [{"name": "work", "can_connect": true,
                "notices": [{"id": "7", "type": "custom", "key": "example.com/k"}]}],
            "secrets": [{"id": "secret:abc", "label": "l", "owner": "app",
                "revisions": [{"revision": 2, "content": {"a": "b"}}]}],
            "storages": [{"name": "data", "index": 0}]
        }))
        .unwrap()
    }

    /// Every kind of event, resolved as `charmbox run` does, turned into
    /// Juju's environment and read back: the same event.
    #[test]
    fn every_event_reads_back_from_its_environment() {
        let meta = CharmMeta::parse(META, "t").unwrap();
        let state = state();
        let specs = [
            ("install", vec![]),
            ("config-changed", vec![]),
            ("db-relation-joined", vec![("rel", "3"), ("unit", "pg/1")]),
            ("db-relation-changed", vec![("rel", "3")]),
            ("db-relation-departed", vec![("rel", "3"), ("unit", "pg/0")]),
            ("db-relation-broken", vec![("rel", "3")]),
            ("peers-relation-created", vec![("rel", "4")]),
            ("work-pebble-ready", vec![]),
            ("work-pebble-custom-notice", vec![("key", "example.com/k")]),
            ("secret-changed", vec![("secret", "secret:abc")]),
            ("secret-remove", vec![("secret", "secret:abc")]),
            ("data-storage-attached", vec![]),
            ("snap", vec![("action", "")]),
        ];
        for (name, opts) in specs {
            let mut spec = EventSpec::named(name);
            for (k, v) in opts {
                match k {
                    "rel" => spec.relation_id = Some(v.parse().unwrap()),
                    "unit" => spec.remote_unit = Some(v.into()),
                    "key" => spec.notice_key = Some(v.into()),
                    "secret" => spec.secret_id = Some(v.into()),
                    _ => spec.action = true,
                }
            }
            let resolved = spec.resolve(&meta, &state).unwrap();
            let read = event_from_env(resolved.env.list(), &meta).unwrap();
            assert_eq!(read, resolved.event, "{name}");
        }
    }

    #[test]
    fn what_is_not_a_juju_dispatch_is_refused_by_name() {
        let meta = CharmMeta::parse(META, "t").unwrap();
        let resolved = EventSpec::named("install")
            .resolve(&meta, &state())
            .unwrap();
        let with = |k: &str, v: Option<&str>| {
            let mut env: Vec<_> = resolved
                .env
                .list()
                .iter()
                .filter(|(n, _)| n != k)
                .cloned()
                .collect();
            if let Some(v) = v {
                env.push((k.to_string(), v.to_string()));
            }
            event_from_env(&env, &meta).unwrap_err().0
        };
        assert_eq!(
            with("JUJU_VERSION", None),
            "JUJU_VERSION is not set: not a Juju dispatch"
        );
        assert_eq!(
            with("JUJU_VERSION", Some("2.9.44")),
            "JUJU_VERSION \"2.9.44\" is not supported by this charmbox host (3.x and 4.x are)"
        );
        assert!(with("JUJU_DISPATCH_PATH", Some("bin/x")).contains("neither hooks/"));
        assert_eq!(
            with("JUJU_DISPATCH_PATH", Some("hooks/nope")),
            "unknown event \"nope\""
        );
        assert!(with("JUJU_UNIT_NAME", Some("no-slash")).contains("no-slash"));
        let huge = "x".repeat(MAX_ENV_BYTES);
        assert!(with("BIG", Some(&huge)).contains("more than a dispatch's"));
        assert_eq!(check_version("4.0.1"), Ok(()));
        assert!(check_version("").is_err());
    }
}
