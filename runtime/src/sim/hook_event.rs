//! How a hook becomes what the single-event path runs: Juju's hook name and
//! the [`EventSpec`], read from the model (the relation's endpoint, the
//! remote app, the secret's label…). Kept apart from [`Hook`] so the hook
//! data does not depend on the model that holds it.

use super::hook::Hook;
use super::model::Model;
use super::names::UnitName;
use crate::event::EventSpec;

impl Hook {
    /// Juju's hook name for `unit` (`db-relation-changed`), or the action's name.
    pub fn name(&self, model: &Model, unit: &UnitName) -> String {
        use Hook::*;
        let endpoint = |rel: &u32| {
            model
                .relations
                .get(rel)
                .and_then(|r| r.end_of(&unit.app))
                .map(|e| e.endpoint.clone())
                .unwrap_or_else(|| format!("relation-{rel}"))
        };
        let storage_name = |s: &str| s.split('/').next().unwrap_or(s).to_string();
        match self {
            Install => "install".into(),
            Start => "start".into(),
            Stop => "stop".into(),
            Remove => "remove".into(),
            ConfigChanged => "config-changed".into(),
            UpgradeCharm => "upgrade-charm".into(),
            UpdateStatus => "update-status".into(),
            LeaderElected => "leader-elected".into(),
            LeaderSettingsChanged => "leader-settings-changed".into(),
            RelationCreated { relation } => format!("{}-relation-created", endpoint(relation)),
            RelationJoined { relation, .. } => format!("{}-relation-joined", endpoint(relation)),
            RelationChanged { relation, .. } => format!("{}-relation-changed", endpoint(relation)),
            RelationDeparted { relation, .. } => {
                format!("{}-relation-departed", endpoint(relation))
            }
            RelationBroken { relation } => format!("{}-relation-broken", endpoint(relation)),
            PebbleReady { container } => format!("{container}-pebble-ready"),
            PebbleCustomNotice { container, .. } => format!("{container}-pebble-custom-notice"),
            PebbleCheckFailed { container, .. } => format!("{container}-pebble-check-failed"),
            PebbleCheckRecovered { container, .. } => {
                format!("{container}-pebble-check-recovered")
            }
            StorageAttached { storage } => format!("{}-storage-attached", storage_name(storage)),
            StorageDetaching { storage } => {
                format!("{}-storage-detaching", storage_name(storage))
            }
            SecretChanged { .. } => "secret-changed".into(),
            SecretRotate { .. } => "secret-rotate".into(),
            SecretExpired { .. } => "secret-expired".into(),
            SecretRemove { .. } => "secret-remove".into(),
            PreSeriesUpgrade { .. } => "pre-series-upgrade".into(),
            PostSeriesUpgrade => "post-series-upgrade".into(),
            Action { id } => model
                .actions
                .get(id)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("action-{id}")),
        }
    }

    /// The event the single-event path runs for this hook.
    pub fn spec(&self, model: &Model, unit: &UnitName) -> EventSpec {
        use Hook::*;
        let mut spec = EventSpec::named(&self.name(model, unit));
        // A remote unit as this unit sees it (renamed across models).
        let seen = |rel: &u32, u: &UnitName| {
            super::project::unit_seen(model.relations.get(rel), unit.app.as_str(), u)
        };
        match self {
            RelationCreated { relation } | RelationBroken { relation } => {
                spec.relation_id = Some(*relation);
            }
            RelationJoined { relation, unit } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = Some(seen(relation, unit));
            }
            RelationChanged { relation, unit } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = unit.as_ref().map(|u| seen(relation, u));
            }
            RelationDeparted {
                relation,
                unit,
                departing,
            } => {
                spec.relation_id = Some(*relation);
                spec.remote_unit = Some(seen(relation, unit));
                spec.departing_unit = Some(seen(relation, departing));
            }
            StorageAttached { storage } | StorageDetaching { storage } => {
                spec.storage_id = Some(storage.clone());
            }
            PebbleCustomNotice { notice, .. } => spec.notice_id = Some(notice.clone()),
            PebbleCheckFailed { check, .. } | PebbleCheckRecovered { check, .. } => {
                spec.check_name = Some(check.clone());
            }
            SecretChanged { secret } | SecretRotate { secret } => {
                spec.secret_id = Some(secret.clone());
            }
            SecretExpired { secret, revision } | SecretRemove { secret, revision } => {
                spec.secret_id = Some(secret.clone());
                spec.secret_revision = Some(*revision);
            }
            PreSeriesUpgrade { target } => spec.target_base = Some(target.clone()),
            Action { id } => {
                spec.action = true;
                spec.action_id = Some(id.to_string());
                if let Some(a) = model.actions.get(id) {
                    spec.params = a.params.clone();
                }
            }
            _ => {}
        }
        spec
    }
}
