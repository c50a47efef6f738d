//! The event being handled: its kind, its context (relation, workload,
//! secret, storage, action) and, for actions, params, results and failure.

use std::cell::{Cell, OnceCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::bindings::juju::charm::event::{
    Event as RawEvent, EventKind, JujuContext, NoticeContext, StorageContext, environment,
};
use crate::bindings::juju::charm::hook_tools as tools;
use crate::model::Context;
use crate::{Container, Error, Relation, Secret};

/// One Juju event (`ops`: the `EventBase` passed to an observer).
///
/// Route on [`kind`](Event::kind):
///
/// ```ignore
/// match event.kind() {
///     EventKind::Start => self.on_start(model),
///     EventKind::RelationChanged if event.relation_name() == Some("db") => self.on_db(event, model),
///     _ => Ok(()),
/// }
/// ```
pub struct Event {
    raw: RawEvent,
    ctx: Rc<Context>,
    deferred: Cell<bool>,
    /// The dispatch environment, once [`Event::env`] asked for it.
    env: OnceCell<Vec<(String, String)>>,
}

impl Event {
    pub(crate) fn new(raw: RawEvent) -> Self {
        let ctx = Rc::new(Context::from_juju(&raw.context));
        Event {
            raw,
            ctx,
            deferred: Cell::new(false),
            env: OnceCell::new(),
        }
    }

    pub(crate) fn raw(&self) -> &RawEvent {
        &self.raw
    }

    /// Handle this event again at the start of the next dispatch (before
    /// that dispatch's own event), as ops' `event.defer()`: kept in the
    /// unit's state until a handler no longer defers it. Actions cannot be
    /// deferred (ops refuses them too).
    pub fn defer(&self) -> Result<(), Error> {
        if self.raw.kind == EventKind::Action {
            return Err(Error::msg("cannot defer action events"));
        }
        self.deferred.set(true);
        Ok(())
    }

    /// Whether a handler deferred this event.
    pub fn is_deferred(&self) -> bool {
        self.deferred.get()
    }

    pub(crate) fn context(&self) -> Rc<Context> {
        self.ctx.clone()
    }

    /// What happened.
    pub fn kind(&self) -> EventKind {
        self.raw.kind
    }

    /// Whether this is an event of `kind`.
    pub fn is(&self, kind: EventKind) -> bool {
        self.raw.kind == kind
    }

    /// `JUJU_HOOK_NAME`, e.g. `db-relation-changed` (empty for actions).
    pub fn hook_name(&self) -> &str {
        &self.raw.context.hook_name
    }

    /// `JUJU_DISPATCH_PATH`: `hooks/<hook>` or `actions/<action>`.
    pub fn dispatch_path(&self) -> &str {
        &self.raw.context.dispatch_path
    }

    /// The whole dispatch context as the host sent it.
    pub fn juju_context(&self) -> &JujuContext {
        &self.raw.context
    }

    /// A variable of the environment Juju would give the dispatch process
    /// (asked of the host on the first call, then kept for the event).
    pub fn env(&self, name: &str) -> Option<&str> {
        let env = self.env.get_or_init(environment);
        env.binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| env[i].1.as_str())
            .or_else(|| {
                // The host sends the list sorted; stay correct if it did not.
                env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
            })
    }

    // -- relation events ---------------------------------------------------

    /// The relation of a relation event (`event.relation`).
    pub fn relation(&self) -> Option<Relation> {
        let r = self.raw.context.relation.as_ref()?;
        Some(Relation::new(r.id, r.endpoint.clone(), self.ctx.clone()))
    }

    /// The endpoint of a relation event (`event.relation.name`).
    pub fn relation_name(&self) -> Option<&str> {
        self.raw
            .context
            .relation
            .as_ref()
            .map(|r| r.endpoint.as_str())
    }

    /// The remote unit of a relation event (`event.unit`); none for
    /// relation-created, -broken and app-level relation-changed.
    pub fn remote_unit(&self) -> Option<&str> {
        let r = self.raw.context.relation.as_ref()?;
        (!r.remote_unit.is_empty()).then_some(r.remote_unit.as_str())
    }

    /// The remote application of a relation event (`event.app`).
    pub fn remote_app(&self) -> Option<&str> {
        let r = self.raw.context.relation.as_ref()?;
        (!r.remote_app.is_empty()).then_some(r.remote_app.as_str())
    }

    /// The departing unit of relation-departed (`event.departing_unit`).
    pub fn departing_unit(&self) -> Option<&str> {
        self.raw
            .context
            .relation
            .as_ref()?
            .departing_unit
            .as_deref()
    }

    // -- workload events ---------------------------------------------------

    /// The container of a workload event (pebble-ready, notices, checks).
    pub fn container_name(&self) -> Option<&str> {
        self.raw
            .context
            .workload
            .as_ref()
            .map(|w| w.container.as_str())
    }

    /// The container of a workload event, connected (`event.workload`).
    pub fn workload(&self) -> Result<Option<Container>, Error> {
        self.container_name().map(Container::open).transpose()
    }

    /// The notice of pebble-custom-notice (`event.notice`).
    pub fn notice(&self) -> Option<&NoticeContext> {
        self.raw.context.workload.as_ref()?.notice.as_ref()
    }

    /// The check of pebble-check-failed / -recovered (`event.info.name`).
    pub fn check_name(&self) -> Option<&str> {
        self.raw.context.workload.as_ref()?.check_name.as_deref()
    }

    /// The notice of pebble-custom-notice as Pebble holds it now, fetched
    /// from the container (`event.notice` is a lazy notice in `ops`).
    pub fn fetch_notice(&self) -> Result<Option<crate::pebble::Notice>, Error> {
        let (Some(container), Some(notice)) = (self.container_name(), self.notice()) else {
            return Ok(None);
        };
        Container::open(container)?.get_notice(&notice.id).map(Some)
    }

    /// The check of pebble-check-failed / -recovered as Pebble reports it
    /// now (`event.info`, lazy in `ops`: it may have changed since).
    pub fn fetch_check_info(&self) -> Result<Option<crate::pebble::CheckInfo>, Error> {
        let (Some(container), Some(check)) = (self.container_name(), self.check_name()) else {
            return Ok(None);
        };
        Container::open(container)?.get_check(check).map(Some)
    }

    // -- secret and storage events -----------------------------------------

    /// The secret of a secret event (`event.secret`).
    pub fn secret(&self) -> Option<Secret> {
        let s = self.raw.context.secret.as_ref()?;
        Some(Secret::from_parts(Some(s.id.clone()), s.label.clone()))
    }

    /// The revision of secret-remove and secret-expired (`event.revision`).
    pub fn secret_revision(&self) -> Option<u32> {
        self.raw.context.secret.as_ref()?.revision
    }

    /// The storage of storage-attached / -detaching (`event.storage`).
    pub fn storage(&self) -> Option<&StorageContext> {
        self.raw.context.storage.as_ref()
    }

    // -- actions -----------------------------------------------------------

    /// The name of the action being run, for an action event.
    pub fn action_name(&self) -> Option<&str> {
        self.raw.context.action.as_ref().map(|a| a.name.as_str())
    }

    /// The id of the action being run, for an action event.
    pub fn action_id(&self) -> Option<&str> {
        self.raw.context.action.as_ref().map(|a| a.id.as_str())
    }

    /// The action's parameters as a JSON object (`event.params`).
    pub fn params(&self) -> Result<serde_json::Value, Error> {
        let json = tools::action_get()?;
        serde_json::from_str(&json).map_err(|e| Error::json("action parameters", e))
    }

    /// The action's parameters deserialised into `T`.
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let json = tools::action_get()?;
        serde_json::from_str(&json).map_err(|e| Error::json("action parameters", e))
    }

    /// Set results (`event.set_results`); dotted keys (`a.b`) nest.
    pub fn set_results<K, V>(&self, results: impl IntoIterator<Item = (K, V)>) -> Result<(), Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let results: Vec<(String, String)> = results
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Ok(tools::action_set(&results)?)
    }

    /// Set results from a JSON object: nested objects become dotted keys,
    /// other values their JSON text (strings unquoted).
    pub fn set_results_json(&self, results: &serde_json::Value) -> Result<(), Error> {
        let mut flat = BTreeMap::new();
        flatten_results("", results, &mut flat)?;
        self.set_results(flat)
    }

    /// Log progress of the running action (`event.log`, `action-log`).
    pub fn log(&self, message: &str) -> Result<(), Error> {
        Ok(tools::action_log(message)?)
    }

    /// Mark the action failed (`event.fail`); the handler may still return
    /// `Ok`, as in `ops`.
    pub fn fail(&self, message: &str) -> Result<(), Error> {
        let message = (!message.is_empty()).then_some(message);
        Ok(tools::action_fail(message)?)
    }
}

impl EventKind {
    /// The event's name as `ops` spells it (`start`, `relation_changed`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Install => "install",
            EventKind::Start => "start",
            EventKind::Stop => "stop",
            EventKind::Remove => "remove",
            EventKind::ConfigChanged => "config_changed",
            EventKind::UpgradeCharm => "upgrade_charm",
            EventKind::UpdateStatus => "update_status",
            EventKind::LeaderElected => "leader_elected",
            EventKind::LeaderSettingsChanged => "leader_settings_changed",
            EventKind::PreSeriesUpgrade => "pre_series_upgrade",
            EventKind::PostSeriesUpgrade => "post_series_upgrade",
            EventKind::CollectMetrics => "collect_metrics",
            EventKind::RelationCreated => "relation_created",
            EventKind::RelationJoined => "relation_joined",
            EventKind::RelationChanged => "relation_changed",
            EventKind::RelationDeparted => "relation_departed",
            EventKind::RelationBroken => "relation_broken",
            EventKind::StorageAttached => "storage_attached",
            EventKind::StorageDetaching => "storage_detaching",
            EventKind::PebbleReady => "pebble_ready",
            EventKind::PebbleCustomNotice => "pebble_custom_notice",
            EventKind::PebbleCheckFailed => "pebble_check_failed",
            EventKind::PebbleCheckRecovered => "pebble_check_recovered",
            EventKind::SecretChanged => "secret_changed",
            EventKind::SecretRotate => "secret_rotate",
            EventKind::SecretRemove => "secret_remove",
            EventKind::SecretExpired => "secret_expired",
            EventKind::Action => "action",
        }
    }
}

/// Flatten a JSON object into `action-set` keys: `{"a": {"b": 1}}` → `a.b=1`.
fn flatten_results(
    prefix: &str,
    value: &serde_json::Value,
    out: &mut BTreeMap<String, String>,
) -> Result<(), Error> {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_results(&key, v, out)?;
            }
            Ok(())
        }
        _ if prefix.is_empty() => Err(Error::Usage(
            "action results must be a JSON object".to_string(),
        )),
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
            Ok(())
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_flatten_to_dotted_keys() {
        let mut out = BTreeMap::new();
        let v = serde_json::json!({"a": {"b": 1, "c": "x"}, "ok": true, "list": [1, 2]});
        flatten_results("", &v, &mut out).unwrap();
        let got: Vec<_> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(got, ["a.b=1", "a.c=x", "list=[1,2]", "ok=true"]);
    }

    #[test]
    fn results_must_be_an_object() {
        let mut out = BTreeMap::new();
        assert!(flatten_results("", &serde_json::json!(3), &mut out).is_err());
    }

    #[test]
    fn event_kind_names_match_ops() {
        assert_eq!(EventKind::RelationChanged.name(), "relation_changed");
        assert_eq!(EventKind::PebbleReady.name(), "pebble_ready");
    }
}
