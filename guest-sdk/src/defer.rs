//! Deferred events, kept across hooks as ops keeps them: an event the
//! charm [`defer`](crate::Event::defer)s is stored in the unit's state and
//! handed to the charm again at the start of every later dispatch (before
//! that dispatch's own event, oldest first) until a handler no longer
//! defers it. As in ops, collect-metrics re-emits nothing, actions cannot be
//! deferred, and a failed hook keeps the queue as it was (Juju drops the
//! hook's buffered `state-set`).
//!
//! What is kept of an event is what identifies it (kind, hook name, and its
//! relation, workload, secret or storage); the rest of the context is the
//! current dispatch's, as ops restores an event into the current model.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::bindings::juju::charm::event::{
    Event as RawEvent, EventKind, NoticeContext, RelationContext, SecretContext, StorageContext,
    WorkloadContext,
};
use crate::bindings::juju::charm::hook_tools as tools;

/// The unit-state key holding the queue (JSON).
pub const STATE_KEY: &str = "charmbox-sdk.deferred";

/// Every kind of event, for naming them in the stored queue.
const KINDS: [EventKind; 28] = [
    EventKind::Install,
    EventKind::Start,
    EventKind::Stop,
    EventKind::Remove,
    EventKind::ConfigChanged,
    EventKind::UpgradeCharm,
    EventKind::UpdateStatus,
    EventKind::LeaderElected,
    EventKind::LeaderSettingsChanged,
    EventKind::PreSeriesUpgrade,
    EventKind::PostSeriesUpgrade,
    EventKind::CollectMetrics,
    EventKind::RelationCreated,
    EventKind::RelationJoined,
    EventKind::RelationChanged,
    EventKind::RelationDeparted,
    EventKind::RelationBroken,
    EventKind::StorageAttached,
    EventKind::StorageDetaching,
    EventKind::PebbleReady,
    EventKind::PebbleCustomNotice,
    EventKind::PebbleCheckFailed,
    EventKind::PebbleCheckRecovered,
    EventKind::SecretChanged,
    EventKind::SecretRotate,
    EventKind::SecretRemove,
    EventKind::SecretExpired,
    EventKind::Action,
];

fn kind_name(kind: EventKind) -> String {
    format!("{kind:?}")
}

fn kind_named(name: &str) -> Option<EventKind> {
    KINDS.into_iter().find(|k| kind_name(*k) == name)
}

/// A notice as stored: id, type, key.
type StoredNotice = (String, String, String);

/// A workload event's container, notice and check.
type StoredWorkload = (String, Option<StoredNotice>, Option<String>);

/// One deferred event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Deferred {
    kind: String,
    hook: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relation: Option<(String, u32, String, String, Option<String>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workload: Option<StoredWorkload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<(String, Option<String>, Option<u32>)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    storage: Option<(String, String, String)>,
}

impl Deferred {
    /// What identifies `raw`.
    pub(crate) fn of(raw: &RawEvent) -> Deferred {
        let c = &raw.context;
        Deferred {
            kind: kind_name(raw.kind),
            hook: c.hook_name.clone(),
            relation: c.relation.as_ref().map(|r| {
                let (ru, ra) = (r.remote_unit.clone(), r.remote_app.clone());
                (r.endpoint.clone(), r.id, ru, ra, r.departing_unit.clone())
            }),
            workload: c.workload.as_ref().map(|w| {
                let notice = w
                    .notice
                    .as_ref()
                    .map(|n| (n.id.clone(), n.type_.clone(), n.key.clone()));
                (w.container.clone(), notice, w.check_name.clone())
            }),
            secret: c
                .secret
                .as_ref()
                .map(|s| (s.id.clone(), s.label.clone(), s.revision)),
            storage: c
                .storage
                .as_ref()
                .map(|s| (s.id.clone(), s.location.clone(), s.kind.clone())),
        }
    }

    /// The event again, in the context of the dispatch `current`.
    pub(crate) fn restore(&self, current: &RawEvent) -> Result<RawEvent, Error> {
        let kind = kind_named(&self.kind).ok_or_else(|| {
            Error::msg(format!("a deferred event of unknown kind {:?}", self.kind))
        })?;
        let mut raw = current.clone();
        raw.kind = kind;
        let c = &mut raw.context;
        c.hook_name = self.hook.clone();
        c.dispatch_path = format!("hooks/{}", self.hook);
        c.action = None;
        c.relation = self
            .relation
            .clone()
            .map(|(endpoint, id, ru, ra, departing)| RelationContext {
                endpoint,
                id,
                remote_unit: ru,
                remote_app: ra,
                departing_unit: departing,
            });
        c.workload = self
            .workload
            .clone()
            .map(|(container, notice, check_name)| WorkloadContext {
                container,
                notice: notice.map(|(id, type_, key)| NoticeContext { id, type_, key }),
                check_name,
            });
        c.secret = self
            .secret
            .clone()
            .map(|(id, label, revision)| SecretContext {
                id,
                label,
                revision,
            });
        c.storage = self
            .storage
            .clone()
            .map(|(id, location, kind)| StorageContext { id, location, kind });
        Ok(raw)
    }

    /// `Re-emitting deferred event start` (ops logs the same at DEBUG).
    pub(crate) fn describe(&self) -> String {
        format!("Re-emitting deferred event {}", self.hook)
    }
}

/// The stored queue, oldest first.
pub(crate) fn load() -> Result<Vec<Deferred>, Error> {
    let state = tools::state_get()?;
    match state.into_iter().find(|(k, _)| k == STATE_KEY) {
        Some((_, text)) if !text.is_empty() => serde_json::from_str(&text)
            .map_err(|e| Error::json(format!("the deferred events ({STATE_KEY})"), e)),
        _ => Ok(Vec::new()),
    }
}

/// Store `queue` when it changed (`state-set`, or `state-delete` when it
/// emptied).
pub(crate) fn save(before: &[Deferred], queue: &[Deferred]) -> Result<(), Error> {
    if before == queue {
        return Ok(());
    }
    if queue.is_empty() {
        return Ok(tools::state_delete(STATE_KEY)?);
    }
    let text = serde_json::to_string(queue)
        .map_err(|e| Error::json("the deferred events".to_string(), e))?;
    Ok(tools::state_set(&[(STATE_KEY.to_string(), text)])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::juju::charm::event::JujuContext;

    fn event(kind: EventKind, hook: &str) -> RawEvent {
        RawEvent {
            kind,
            context: JujuContext {
                hook_name: hook.into(),
                dispatch_path: format!("hooks/{hook}"),
                unit_name: "db/0".into(),
                app_name: "db".into(),
                model_name: "m".into(),
                model_uuid: "u".into(),
                juju_version: "3.6.0".into(),
                charm_dir: "/charm".into(),
                relation: None,
                workload: None,
                secret: None,
                storage: None,
                action: None,
            },
        }
    }

    #[test]
    fn every_kind_has_its_own_name() {
        let mut names: Vec<String> = KINDS.iter().map(|k| kind_name(*k)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        for k in KINDS {
            assert_eq!(kind_named(&kind_name(k)), Some(k));
        }
    }

    #[test]
    fn a_stored_event_comes_back_with_its_identity_in_the_current_context() {
        let mut changed = event(EventKind::RelationChanged, "db-relation-changed");
        changed.context.relation = Some(RelationContext {
            endpoint: "db".into(),
            id: 7,
            remote_unit: "app/1".into(),
            remote_app: "app".into(),
            departing_unit: None,
        });
        let stored = serde_json::to_string(&[Deferred::of(&changed)]).unwrap();
        let back: Vec<Deferred> = serde_json::from_str(&stored).unwrap();
        let mut current = event(EventKind::UpdateStatus, "update-status");
        current.context.model_uuid = "now".into();
        let again = back[0].restore(&current).unwrap();
        assert_eq!(again.kind, EventKind::RelationChanged);
        assert_eq!(again.context.hook_name, "db-relation-changed");
        assert_eq!(again.context.dispatch_path, "hooks/db-relation-changed");
        let r = again.context.relation.unwrap();
        assert_eq!((r.id, r.remote_unit.as_str()), (7, "app/1"));
        // The rest is the current dispatch's.
        assert_eq!(again.context.model_uuid, "now");
    }

    #[test]
    fn an_unknown_stored_kind_is_an_error_naming_it() {
        let mut d = Deferred::of(&event(EventKind::Start, "start"));
        d.kind = "Reboot".into();
        let err = d.restore(&event(EventKind::Start, "start")).unwrap_err();
        assert!(err.to_string().contains("\"Reboot\""), "{err}");
    }
}
