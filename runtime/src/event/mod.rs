//! Juju events: from a name and options (`fastapi-peer-relation-changed -r 1`)
//! to the dispatch context and environment Juju would give the charm.

mod env;
mod from_env;
mod name;

use std::collections::BTreeMap;

use crate::bindings::event::{
    ActionContext, Event, EventKind, JujuContext, NoticeContext, RelationContext, SecretContext,
    StorageContext, WorkloadContext,
};
use crate::charm::CharmMeta;
use crate::sandbox::GuestEnv;
use crate::state::{RelationKind, State};

pub use from_env::{MAX_ENV_BYTES, SUPPORTED_JUJU, check_version, event_from_env};
pub use name::{EventName, parse_event_name};

/// What the user asked for: an event name and the options that pick its subject.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventSpec {
    /// A hook name (`start`, `db-relation-changed`, ops-style `db_relation_changed`
    /// too), or an action name when `action` is set.
    pub name: String,
    /// The name is an action's.
    pub action: bool,
    pub relation_id: Option<u32>,
    pub remote_unit: Option<String>,
    pub departing_unit: Option<String>,
    pub notice_id: Option<String>,
    pub notice_type: Option<String>,
    pub notice_key: Option<String>,
    pub check_name: Option<String>,
    pub secret_id: Option<String>,
    pub secret_revision: Option<u32>,
    pub storage_id: Option<String>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub action_id: Option<String>,
    /// pre-series-upgrade: the base the machine is upgraded to
    /// (`ubuntu@24.04`; `JUJU_TARGET_BASE`).
    pub target_base: Option<String>,
}

/// An event ready to dispatch.
#[derive(Debug, Clone)]
pub struct ResolvedEvent {
    pub event: Event,
    /// The environment Juju would give the dispatch process, sorted by
    /// name: the guest's WASI environment, and what `event.environment`
    /// answers. Built when first read, and shared with the WASI grants.
    pub env: GuestEnv,
    /// Action parameters with schema defaults filled in.
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An event that does not fit the charm or the State.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct EventError(pub String);

fn err<T>(m: impl Into<String>) -> Result<T, EventError> {
    Err(EventError(m.into()))
}

impl EventSpec {
    /// An event by name with no options.
    pub fn named(name: &str) -> EventSpec {
        EventSpec {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Check the event against the charm and the State, and build its context.
    pub fn resolve(&self, meta: &CharmMeta, state: &State) -> Result<ResolvedEvent, EventError> {
        let unit = unit_name(meta, state);
        let app = meta.name.clone();
        let charm_dir = format!("/var/lib/juju/agents/unit-{}/charm", unit.replace('/', "-"));
        let (kind, hook_name, subject) = if self.action {
            if !meta.actions.contains_key(&self.name) {
                return err(format!(
                    "charm {:?} has no action {:?}",
                    meta.name, self.name
                ));
            }
            (EventKind::Action, String::new(), None)
        } else {
            let parsed = parse_event_name(&self.name, meta)?;
            (parsed.kind, parsed.hook_name, parsed.subject)
        };
        let dispatch_path = if self.action {
            format!("actions/{}", self.name)
        } else {
            format!("hooks/{hook_name}")
        };
        let mut ctx = JujuContext {
            hook_name,
            dispatch_path,
            unit_name: unit.clone(),
            app_name: app.clone(),
            model_name: state.model.name.clone(),
            model_uuid: state.model.uuid.clone(),
            juju_version: state.model.juju_version.clone(),
            charm_dir,
            relation: None,
            workload: None,
            secret: None,
            storage: None,
            action: None,
        };
        let mut params = None;
        use EventKind as K;
        match kind {
            K::RelationCreated
            | K::RelationJoined
            | K::RelationChanged
            | K::RelationDeparted
            | K::RelationBroken => {
                ctx.relation =
                    Some(self.relation_context(kind, subject.as_deref(), meta, state)?);
            }
            K::PebbleReady
            | K::PebbleCustomNotice
            | K::PebbleCheckFailed
            | K::PebbleCheckRecovered => {
                ctx.workload =
                    Some(self.workload_context(kind, subject.unwrap_or_default(), state)?);
            }
            K::SecretChanged | K::SecretRotate | K::SecretRemove | K::SecretExpired => {
                ctx.secret = Some(self.secret_context(kind, state)?);
            }
            K::StorageAttached | K::StorageDetaching => {
                ctx.storage =
                    Some(self.storage_context(subject.unwrap_or_default(), meta, state)?);
            }
            K::Action => {
                let id = self.action_id.clone().unwrap_or_else(|| "1".into());
                params = Some(action_params(&meta.actions[&self.name], &self.params)?);
                ctx.action = Some(ActionContext {
                    name: self.name.clone(),
                    id,
                });
            }
            _ => {}
        }
        let extra = self.series_upgrade_env(kind, state)?;
        let (seed, k8s) = (state.seed, state.model.kind == "kubernetes");
        let env_ctx = ctx.clone();
        Ok(ResolvedEvent {
            event: Event { kind, context: ctx },
            env: GuestEnv::lazy(move || env::dispatch_env(&env_ctx, seed, k8s, extra)),
            params,
        })
    }

    /// pre-series-upgrade's `JUJU_TARGET_BASE` and `JUJU_TARGET_SERIES`
    /// (Juju 3.x `HookVars`); both series-upgrade hooks are for machines.
    fn series_upgrade_env(
        &self,
        kind: EventKind,
        state: &State,
    ) -> Result<Vec<(String, String)>, EventError> {
        let series_hook = matches!(
            kind,
            EventKind::PreSeriesUpgrade | EventKind::PostSeriesUpgrade
        );
        if series_hook && state.model.kind == "kubernetes" {
            return err(format!(
                "{} is a machine hook: the State's model is kubernetes",
                self.name
            ));
        }
        match (&self.target_base, kind) {
            (Some(base), EventKind::PreSeriesUpgrade) => {
                let series = crate::juju::bases::series_of(base).map_err(EventError)?;
                Ok(vec![
                    ("JUJU_TARGET_BASE".into(), base.clone()),
                    ("JUJU_TARGET_SERIES".into(), series.into()),
                ])
            }
            (None, EventKind::PreSeriesUpgrade) => err(
                "pre-series-upgrade needs the base the machine goes to (--target-base ubuntu@24.04)",
            ),
            (Some(_), _) => err("only pre-series-upgrade has a target base"),
            (None, _) => Ok(Vec::new()),
        }
    }

    fn relation_context(
        &self,
        kind: EventKind,
        endpoint: Option<&str>,
        meta: &CharmMeta,
        state: &State,
    ) -> Result<RelationContext, EventError> {
        let endpoint = endpoint.unwrap_or_default();
        let app = meta.name.as_str();
        let rel = match self.relation_id {
            Some(id) => match state.relation(id) {
                Some(r) if r.endpoint == endpoint => r,
                Some(r) => {
                    return err(format!(
                        "relation {id} is on endpoint {:?}, not {endpoint:?}",
                        r.endpoint
                    ));
                }
                None => return err(format!("the state has no relation with id {id}")),
            },
            None => {
                let mut on_ep = state.relations.iter().filter(|r| r.endpoint == endpoint);
                match (on_ep.next(), on_ep.next()) {
                    (Some(r), None) => r,
                    (None, _) => {
                        return err(format!(
                            "the state has no relation on endpoint {endpoint:?}"
                        ));
                    }
                    _ => {
                        return err(format!(
                            "several relations on endpoint {endpoint:?}: pick one with --relation-id"
                        ));
                    }
                }
            }
        };
        let peer = meta.endpoints.get(endpoint).map(|e| e.kind) == Some(RelationKind::Peer);
        let remote_app = rel.remote_app_name(app, peer);
        let unit_of = |n: u32| format!("{remote_app}/{n}");
        let remote_unit = match kind {
            EventKind::RelationCreated | EventKind::RelationBroken => {
                if self.remote_unit.is_some() {
                    return err("relation-created and relation-broken have no remote unit");
                }
                String::new()
            }
            _ => match &self.remote_unit {
                Some(u) => {
                    let (ua, n) = crate::juju::names::parse_unit(u).map_err(EventError)?;
                    if ua != remote_app {
                        return err(format!("{u} is not a unit of {remote_app:?}"));
                    }
                    if kind != EventKind::RelationDeparted
                        && !rel.remote_units_data.contains_key(&n)
                    {
                        return err(format!("{u} is not a member of relation {}", rel.id));
                    }
                    u.clone()
                }
                // relation-changed with no remote unit is the app-level event.
                None if kind == EventKind::RelationChanged => String::new(),
                None => match rel.remote_units_data.keys().next() {
                    Some(&n) => unit_of(n),
                    None => return err(format!("relation {} has no remote units", rel.id)),
                },
            },
        };
        let departing_unit = match kind {
            EventKind::RelationDeparted => Some(
                self.departing_unit
                    .clone()
                    .unwrap_or_else(|| remote_unit.clone()),
            ),
            _ if self.departing_unit.is_some() => {
                return err("only relation-departed has a departing unit");
            }
            _ => None,
        };
        Ok(RelationContext {
            endpoint: endpoint.to_string(),
            id: rel.id,
            remote_unit,
            remote_app,
            departing_unit,
        })
    }

    /// The container of a workload event (it must be in the State), with
    /// the notice or check the event is about.
    fn workload_context(
        &self,
        kind: EventKind,
        container: String,
        state: &State,
    ) -> Result<WorkloadContext, EventError> {
        let Some(c) = state.containers.iter().find(|c| c.name == container) else {
            return err(format!("the state has no container {container:?}"));
        };
        let notice = match kind {
            EventKind::PebbleCustomNotice => {
                // A notice of the container named by id or key fills in the rest.
                let known = c.notices.iter().find(|n| {
                    self.notice_id.as_deref().is_some_and(|id| n.id == id)
                        || (self.notice_id.is_none()
                            && self.notice_key.as_deref() == Some(n.key.as_str()))
                });
                let key = match (&self.notice_key, known) {
                    (Some(k), _) => k.clone(),
                    (None, Some(n)) => n.key.clone(),
                    (None, None) => return err("pebble-custom-notice needs a notice key"),
                };
                let id = self
                    .notice_id
                    .clone()
                    .or_else(|| known.map(|n| n.id.clone()).filter(|i| !i.is_empty()))
                    .unwrap_or_else(|| "1".into());
                let type_ = self
                    .notice_type
                    .clone()
                    .or_else(|| known.map(|n| n.kind.clone()).filter(|t| !t.is_empty()))
                    .unwrap_or_else(|| "custom".into());
                Some(NoticeContext { id, type_, key })
            }
            _ => None,
        };
        let check_name = match kind {
            EventKind::PebbleCheckFailed | EventKind::PebbleCheckRecovered => {
                let Some(name) = &self.check_name else {
                    return err("pebble-check events need a check name");
                };
                let checks = crate::pebble::snapshot::plan_checks(c).map_err(EventError)?;
                if !checks.contains(name) {
                    return err(format!(
                        "container {container:?} has no check {name:?} in its plan"
                    ));
                }
                Some(name.clone())
            }
            _ => None,
        };
        Ok(WorkloadContext {
            container,
            notice,
            check_name,
        })
    }

    fn secret_context(&self, kind: EventKind, state: &State) -> Result<SecretContext, EventError> {
        let Some(id) = &self.secret_id else {
            return err("secret events need a secret id");
        };
        let Some(secret) = state.secrets.iter().find(|s| &s.id == id) else {
            return err(format!("the state has no secret {id:?}"));
        };
        let revision = match kind {
            EventKind::SecretRemove | EventKind::SecretExpired => Some(
                self.secret_revision
                    .or_else(|| secret.revisions.iter().map(|r| r.revision).max())
                    .unwrap_or(1),
            ),
            _ => None,
        };
        Ok(SecretContext {
            id: id.clone(),
            label: secret.label.clone(),
            revision,
        })
    }

    fn storage_context(
        &self,
        name: String,
        meta: &CharmMeta,
        state: &State,
    ) -> Result<StorageContext, EventError> {
        let index = match &self.storage_id {
            Some(id) => match id.split_once('/') {
                Some((n, i)) if n == name => i
                    .parse::<u32>()
                    .map_err(|_| EventError(format!("invalid storage id {id:?}")))?,
                _ => return err(format!("storage id {id:?} is not of storage {name:?}")),
            },
            None => 0,
        };
        let Some(s) = state
            .storages
            .iter()
            .find(|s| s.name == name && s.index == index)
        else {
            return err(format!("the state has no storage {name}/{index}"));
        };
        let location = s
            .location
            .clone()
            .unwrap_or_else(|| format!("/var/lib/juju/storage/{name}/{index}"));
        Ok(StorageContext {
            id: format!("{name}/{index}"),
            location,
            kind: meta.storage[&name].clone(),
        })
    }
}

/// This unit's name: the State's, or `<charm>/0`.
pub fn unit_name(meta: &CharmMeta, state: &State) -> String {
    state
        .unit
        .clone()
        .unwrap_or_else(|| format!("{}/0", meta.name))
}

/// Action parameters as Juju hands them to the unit: checked against the
/// action's schema (Juju's error when they do not fit), then the schema's
/// defaults inserted; keys sorted.
fn action_params(
    schema: &serde_json::Value,
    given: &BTreeMap<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, EventError> {
    let mut out: serde_json::Map<_, _> =
        given.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    crate::juju::action_schema::validate(schema, &out).map_err(EventError)?;
    crate::juju::action_schema::insert_defaults(schema, &mut out);
    // Juju keeps them in a Go map of float64s: the unit sees them in key
    // order, 2.0 as 2.
    Ok(crate::juju::action_schema::sorted_map(&out))
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
