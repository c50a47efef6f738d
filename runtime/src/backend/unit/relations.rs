//! Relations: ids, members, databag reads and buffered writes, with Juju's
//! permission rules and read-your-own-writes for the unit's own bags.

use super::{UnitBackend, data, to_map};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::event::EventKind;
use crate::bindings::types::{RelationId, StringMap};
use crate::juju::names::parse_unit;
use crate::limits::bag_delta;
use crate::state::{Bag, RelationKind, RelationState};

/// Whose databag a `relation-get` reads.
enum Bagholder {
    OwnUnit,
    OwnApp,
    RemoteApp,
    RemoteUnit(u32),
}

impl UnitBackend {
    /// The relation `id`, or the hook's relation when none is given.
    pub(super) fn relation(&self, id: Option<RelationId>) -> ToolResult<&RelationState> {
        let id = match (id, &self.ctx.relation) {
            (Some(id), _) => id,
            (None, Some(r)) => r.id,
            (None, None) => return Err(juju::invalid("no relation id specified")),
        };
        self.state
            .relation(id)
            .ok_or_else(|| juju::not_found("relation not found"))
    }

    pub(super) fn is_peer(&self, r: &RelationState) -> bool {
        self.meta.endpoints.get(&r.endpoint).map(|e| e.kind) == Some(RelationKind::Peer)
    }

    pub(super) fn remote_app_of(&self, r: &RelationState) -> String {
        r.remote_app_name(self.app(), self.is_peer(r))
    }

    /// Ids on `endpoint`; an empty endpoint means the hook's own (Juju's
    /// `relation-ids` with no argument), an error outside relation hooks.
    pub(super) fn relation_ids(&self, endpoint: &str) -> ToolResult<Vec<RelationId>> {
        let endpoint = match (endpoint, &self.ctx.relation) {
            ("", Some(r)) => r.endpoint.as_str(),
            ("", None) => return Err(juju::invalid("no endpoint name specified")),
            (ep, _) => ep,
        };
        let broken = match &self.ctx.relation {
            Some(r) if self.is_hook(EventKind::RelationBroken) => Some(r.id),
            _ => None,
        };
        let mut ids: Vec<_> = self
            .state
            .relations
            .iter()
            .filter(|r| r.endpoint == endpoint && Some(r.id) != broken)
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    fn is_hook(&self, kind: EventKind) -> bool {
        let suffix = match kind {
            EventKind::RelationBroken => "-relation-broken",
            EventKind::RelationDeparted => "-relation-departed",
            _ => return false,
        };
        self.ctx.hook_name.ends_with(suffix)
    }

    pub(super) fn relation_list(&self, id: Option<RelationId>) -> ToolResult<Vec<String>> {
        let r = self.relation(id)?;
        let app = self.remote_app_of(r);
        let departing = match &self.ctx.relation {
            Some(c) if c.id == r.id && self.is_hook(EventKind::RelationDeparted) => {
                c.departing_unit.clone()
            }
            _ => None,
        };
        let mut units: Vec<String> = r
            .remote_units_data
            .keys()
            .map(|n| format!("{app}/{n}"))
            .filter(|u| Some(u) != departing.as_ref())
            .collect();
        units.sort();
        Ok(units)
    }

    pub(super) fn remote_app(&self, id: Option<RelationId>) -> ToolResult<String> {
        Ok(self.remote_app_of(self.relation(id)?))
    }

    pub(super) fn relation_model_get(&self, id: Option<RelationId>) -> ToolResult<String> {
        let r = self.relation(id)?;
        Ok(r.remote_model_uuid
            .clone()
            .unwrap_or_else(|| self.state.model.uuid.clone()))
    }

    /// Which bag a `relation-get` means, following Juju's defaults.
    fn bagholder(
        &self,
        r: &RelationState,
        target: Option<&str>,
        app: bool,
    ) -> ToolResult<Bagholder> {
        let remote_app = self.remote_app_of(r);
        let (name, is_app) = match target {
            Some(t) if app => match parse_unit(t) {
                Ok((a, _)) => (a.to_string(), true),
                Err(_) => (t.to_string(), true),
            },
            Some(t) if !t.contains('/') && crate::juju::names::is_app_name(t) => {
                return Err(juju::invalid(format!(
                    "expected unit name, got application name {t:?}"
                )));
            }
            Some(t) => {
                parse_unit(t).map_err(juju::invalid)?;
                (t.to_string(), false)
            }
            None => {
                let hook = self.ctx.relation.as_ref();
                match (app, hook) {
                    (true, Some(h)) => (h.remote_app.clone(), true),
                    (false, Some(h)) if !h.remote_unit.is_empty() => (h.remote_unit.clone(), false),
                    (false, Some(h)) if !h.remote_app.is_empty() => (h.remote_app.clone(), true),
                    _ => return Err(juju::invalid("no unit or application specified")),
                }
            }
        };
        if is_app {
            if name == self.app() {
                return Ok(Bagholder::OwnApp);
            }
            if name == remote_app {
                return Ok(Bagholder::RemoteApp);
            }
            return Err(juju::denied("permission denied"));
        }
        if name == self.unit {
            return Ok(Bagholder::OwnUnit);
        }
        match parse_unit(&name) {
            Ok((a, n)) if a == remote_app && r.remote_units_data.contains_key(&n) => {
                Ok(Bagholder::RemoteUnit(n))
            }
            _ => Err(juju::denied("permission denied")),
        }
    }

    pub(super) fn relation_get(
        &mut self,
        id: Option<RelationId>,
        target: Option<&str>,
        app: bool,
    ) -> ToolResult<StringMap> {
        let r = self.relation(id)?;
        let rid = r.id;
        let bag = match self.bagholder(r, target, app)? {
            Bagholder::RemoteApp => to_map(&r.remote_app_data),
            Bagholder::RemoteUnit(n) => to_map(&r.remote_units_data[&n]),
            Bagholder::OwnUnit => to_map(self.unit_bag(rid)),
            Bagholder::OwnApp if self.state.leader => to_map(self.app_bag(rid)),
            Bagholder::OwnApp if self.is_peer(r) => to_map(&r.local_app_data),
            Bagholder::OwnApp => return Err(juju::denied("permission denied")),
        };
        Ok(bag.into_iter().filter(|(_, v)| !v.is_empty()).collect())
    }

    pub(super) fn relation_set(
        &mut self,
        id: Option<RelationId>,
        app: bool,
        settings: StringMap,
    ) -> ToolResult<()> {
        let rid = self.relation(id)?.id;
        if app && !self.is_leader() {
            return Err(juju::not_leader("cannot write relation settings"));
        }
        let bag = if app {
            self.app_bag(rid)
        } else {
            self.unit_bag(rid)
        };
        let (old, new) = bag_delta(bag, settings.iter().map(|(k, v)| (k, v)), true);
        self.budget.replace(old, new).map_err(data::refused)?;
        let bag = if app {
            self.app_bag(rid)
        } else {
            self.unit_bag(rid)
        };
        for (k, v) in settings {
            if v.is_empty() {
                bag.remove(&k);
            } else {
                bag.insert(k, v);
            }
        }
        Ok(())
    }

    /// This unit's bag in relation `id`, loaded into the transaction on first use.
    fn unit_bag(&mut self, id: RelationId) -> &mut Bag {
        let state = &self.state;
        self.tx.unit_bags.entry(id).or_insert_with(|| {
            state
                .relation(id)
                .map(|r| r.local_unit_data.clone())
                .unwrap_or_default()
        })
    }

    /// This application's bag in relation `id` (the leader's working copy).
    fn app_bag(&mut self, id: RelationId) -> &mut Bag {
        let state = &self.state;
        self.tx.app_bags.entry(id).or_insert_with(|| {
            state
                .relation(id)
                .map(|r| r.local_app_data.clone())
                .unwrap_or_default()
        })
    }
}
