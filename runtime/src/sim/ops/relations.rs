//! Relations as `juju integrate` and `juju remove-relation` make and end them,
//! and the peer relations an application gets from its charm.

use std::collections::BTreeSet;

use super::super::cmr::CrossModel;
use super::super::lifecycle::{self, Touched};
use super::super::model::{End, Life, Relation};
use super::super::scheduler::draw_unit;
use super::super::{SimError, Simulator};
use super::{not_found, parse_end, usage};
use crate::charm::CharmMeta;
use crate::state::RelationKind;

impl Simulator {
    /// A peer relation for each peer endpoint of `meta` that `app` does not
    /// have yet (at deploy: all of them; at refresh: the new ones).
    pub(super) fn add_peer_relations(&mut self, app: &str, meta: &CharmMeta) {
        for (ep, e) in &meta.endpoints {
            let has = self.model.relations.values().any(|r| {
                r.kind == RelationKind::Peer && r.end_of(app).is_some_and(|x| x.endpoint == *ep)
            });
            if e.kind == RelationKind::Peer && !has {
                let id = self.new_relation_id();
                self.model.insert_relation(Relation {
                    id,
                    kind: RelationKind::Peer,
                    ends: vec![End {
                        app: app.into(),
                        endpoint: ep.clone(),
                        role: "peer".into(),
                        interface: e.interface.clone(),
                    }],
                    life: Life::Alive,
                    scope: BTreeSet::new(),
                    suspended: false,
                    cross_model: None,
                });
            }
        }
    }

    pub(super) fn new_relation_id(&mut self) -> u32 {
        let meta = self.model.meta_mut();
        let id = meta.next_relation_id;
        meta.next_relation_id += 1;
        id
    }

    /// `juju integrate a[:ep] b[:ep]`: returns the relation id.
    pub fn integrate(&mut self, a: &str, b: &str) -> Result<u32, SimError> {
        // A SAAS name at either end: the offer's application, and only the
        // endpoints it offers (`sim/cmr.rs`).
        let (a, b, saas) = self.through_saas(a, b)?;
        let (a, b) = (a.as_str(), b.as_str());
        let offered = |app: &str, ep: &str| {
            saas.as_ref()
                .is_none_or(|s| s.offerer != app || s.endpoints.iter().any(|e| e == ep))
        };
        let (app_a, ep_a) = parse_end(a);
        let (app_b, ep_b) = parse_end(b);
        let meta_a = self.meta_of(app_a)?;
        let meta_b = self.meta_of(app_b)?;
        let mut candidates = Vec::new();
        for (na, ea) in &meta_a.endpoints {
            if ep_a.is_some_and(|e| e != na) || ea.kind == RelationKind::Peer {
                continue;
            }
            for (nb, eb) in &meta_b.endpoints {
                if ep_b.is_some_and(|e| e != nb) || eb.kind == RelationKind::Peer {
                    continue;
                }
                let roles = (ea.role == "provides" && eb.role == "requires")
                    || (ea.role == "requires" && eb.role == "provides");
                let offered = offered(app_a, na) && offered(app_b, nb);
                if roles && ea.interface == eb.interface && offered {
                    candidates.push((na.clone(), ea.clone(), nb.clone(), eb.clone()));
                }
            }
        }
        let (na, ea, nb, eb) = match candidates.len() {
            1 => candidates.remove(0),
            0 => return usage(format!("no relations found between {a:?} and {b:?}")),
            _ => {
                let list: Vec<String> = candidates
                    .iter()
                    .map(|(na, _, nb, _)| format!("{app_a}:{na} {app_b}:{nb}"))
                    .collect();
                return usage(format!(
                    "ambiguous relation: {a:?} {b:?} could refer to {}",
                    list.join("; ")
                ));
            }
        };
        let exists = self.model.relations.values().any(|r| {
            r.life == Life::Alive
                && r.end_of(app_a).is_some_and(|e| e.endpoint == na)
                && r.end_of(app_b).is_some_and(|e| e.endpoint == nb)
        });
        if exists {
            return usage(format!("relation {app_a}:{na} {app_b}:{nb} already exists"));
        }
        let kind = if ea.kind == RelationKind::Subordinate || eb.kind == RelationKind::Subordinate {
            RelationKind::Subordinate
        } else {
            RelationKind::Regular
        };
        if saas.is_some() && kind == RelationKind::Subordinate {
            return usage("a cross-model relation cannot be container-scoped");
        }
        let cross_model = saas.map(|s| {
            let consumer = if s.offerer == app_a { app_b } else { app_a };
            CrossModel::new(
                &self.model.meta.uuid,
                &s.offer,
                &s.offerer,
                &s.name,
                consumer,
            )
        });
        let id = self.new_relation_id();
        let end = |app: &str, ep: &str, e: &crate::charm::metadata::Endpoint| End {
            app: app.into(),
            endpoint: ep.into(),
            role: e.role.into(),
            interface: e.interface.clone(),
        };
        // Providers first, as `juju status` lists them.
        let mut ends = vec![end(app_a, &na, &ea), end(app_b, &nb, &eb)];
        if ends[0].role != "provides" {
            ends.swap(0, 1);
        }
        self.model.insert_relation(Relation {
            id,
            kind,
            ends,
            life: Life::Alive,
            scope: BTreeSet::new(),
            suspended: false,
            cross_model,
        });
        let mut touched = Touched::new();
        self.ensure_subordinates(&mut touched)?;
        touched.extend(self.model.app_units(app_a));
        touched.extend(self.model.app_units(app_b));
        self.finish_op(touched)?;
        Ok(id)
    }

    pub(super) fn kill_relation(&mut self, id: u32, touched: &mut Touched) {
        let Some(rel) = self.model.relation_mut(id) else {
            return;
        };
        rel.life = Life::Dying;
        let rel = rel.clone();
        for e in &rel.ends {
            touched.extend(self.model.app_units(&e.app));
        }
        if rel.scope.is_empty() {
            lifecycle::drop_relation(&mut self.model, id);
        }
        // A subordinate unit goes with its relation to the principal.
        if rel.kind == RelationKind::Subordinate {
            for e in &rel.ends {
                if self.model.app(&e.app).is_some_and(|a| a.subordinate) {
                    for u in self.model.app_units(&e.app) {
                        let r = draw_unit(&mut self.model);
                        lifecycle::set_dying(&mut self.model, &u, r, touched);
                    }
                }
            }
        }
    }

    /// `juju remove-relation a b` (or a relation id as `a`, `b` empty).
    pub fn remove_relation(&mut self, a: &str, b: &str) -> Result<(), SimError> {
        let id = match a.parse::<u32>() {
            Ok(id) if b.is_empty() => id,
            _ => self.find_relation(a, b)?,
        };
        match self.model.relations.get(&id) {
            None => return Err(not_found("relation", &id.to_string())),
            Some(r) if r.kind == RelationKind::Peer => {
                return usage("a peer relation cannot be removed");
            }
            _ => {}
        }
        let mut touched = Touched::new();
        self.kill_relation(id, &mut touched);
        self.finish_op(touched)
    }

    /// The relation `a` `b` names (ends, or a relation id as `a`) that may
    /// be suspended or resumed: alive and regular.
    fn suspendable(&self, a: &str, b: &str) -> Result<u32, SimError> {
        let id = match a.parse::<u32>() {
            Ok(id) if b.is_empty() => id,
            _ => self.find_relation(a, b)?,
        };
        let Some(rel) = self.model.relations.get(&id) else {
            return Err(not_found("relation", &id.to_string()));
        };
        match (rel.kind, rel.life) {
            (RelationKind::Regular, Life::Alive) => Ok(id),
            (RelationKind::Regular, Life::Dying) => {
                usage(format!("relation {} is being removed", rel.key()))
            }
            _ => usage(format!(
                "relation {} is not a regular relation: only those can be suspended",
                rel.key()
            )),
        }
    }

    /// `juju suspend-relation`: every unit in scope departs every member
    /// and runs relation-broken, as for a dying relation (Juju 3.x
    /// `internal/worker/uniter/relation/resolver.go`
    /// `processRelationSnapshot` breaks a suspended relation; units not in
    /// it yet do not join, `relation/statetracker.go` `SynchronizeScopes`).
    /// Returns the relation id.
    pub fn suspend_relation(&mut self, a: &str, b: &str) -> Result<u32, SimError> {
        let id = self.suspendable(a, b)?;
        let rel = self.model.relation_mut(id).expect("suspendable checked it");
        if rel.suspended {
            return usage(format!("relation {} is already suspended", rel.key()));
        }
        rel.suspended = true;
        let rel = rel.clone();
        let mut touched = Touched::new();
        for e in &rel.ends {
            touched.extend(self.model.app_units(&e.app));
        }
        self.finish_op(touched)?;
        Ok(id)
    }

    /// `juju resume-relation`: the units enter the relation again as a new
    /// one — relation-created, then joined and changed for each member
    /// (`SynchronizeScopes` joins an alive, unsuspended relation the unit
    /// does not know; its state went with relation-broken). Databags are
    /// kept (`state/relationunit.go`: leaving the scope of an alive
    /// relation removes only the scope). Refused while a unit has not yet
    /// run relation-broken for the suspension.
    pub fn resume_relation(&mut self, a: &str, b: &str) -> Result<u32, SimError> {
        let id = self.suspendable(a, b)?;
        let rel = self.model.relations[&id].clone();
        if !rel.suspended {
            return usage(format!("relation {} is not suspended", rel.key()));
        }
        if !rel.scope.is_empty() {
            let left: Vec<String> = rel.scope.iter().map(|u| u.to_string()).collect();
            return usage(format!(
                "relation {} is still being suspended: {} not broken yet (settle first)",
                rel.key(),
                left.join(", ")
            ));
        }
        self.model.relation_mut(id).expect("exists").suspended = false;
        let mut touched = Touched::new();
        for e in &rel.ends {
            for u in self.model.app_units(&e.app) {
                if self.model.view(&u, id).is_some() {
                    self.model.remove_view(&u, id);
                }
                touched.insert(u);
            }
        }
        self.finish_op(touched)?;
        Ok(id)
    }

    /// The id of the alive relation between `a` and `b` (`app[:endpoint]`).
    pub fn find_relation(&self, a: &str, b: &str) -> Result<u32, SimError> {
        let (app_a, ep_a) = parse_end(a);
        let (app_b, ep_b) = parse_end(b);
        let (app_a, app_b) = (self.app_behind(app_a), self.app_behind(app_b));
        let (app_a, app_b) = (app_a.as_str(), app_b.as_str());
        let matches = |r: &Relation, app: &str, ep: Option<&str>| {
            r.end_of(app)
                .is_some_and(|e| ep.is_none_or(|ep| ep == e.endpoint))
        };
        let found: Vec<u32> = self
            .model
            .relations
            .values()
            .filter(|r| r.life == Life::Alive && matches(r, app_a, ep_a))
            .filter(|r| {
                if b.is_empty() || app_a == app_b {
                    r.kind == RelationKind::Peer || b.is_empty()
                } else {
                    matches(r, app_b, ep_b)
                }
            })
            .map(|r| r.id)
            .collect();
        match found.as_slice() {
            [id] => Ok(*id),
            [] => usage(format!("no relation between {a:?} and {b:?}")),
            _ => usage(format!(
                "several relations between {a:?} and {b:?}: name the endpoints"
            )),
        }
    }
}
