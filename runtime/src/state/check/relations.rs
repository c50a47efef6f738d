//! Relations: declared endpoints of the right kind, unique ids, one
//! relation per peer endpoint (Juju makes exactly one when the application
//! is deployed), a peer relation's members other than the unit itself, and
//! bounded counts.

use std::collections::{BTreeMap, BTreeSet};

use super::{Checked, Ctx, MAX_RELATION_UNITS, MAX_RELATIONS, app_name, invalid};
use crate::juju::names::is_uuid;
use crate::state::{RelationKind, State};

pub(super) fn check(state: &State, cx: &Ctx) -> Checked {
    if state.relations.len() > MAX_RELATIONS {
        return Err(invalid(
            "relations",
            format!(
                "{} relations, more than the {MAX_RELATIONS} a State may hold",
                state.relations.len()
            ),
        ));
    }
    let mut ids = BTreeSet::new();
    let mut peers: BTreeMap<&str, u32> = BTreeMap::new();
    for (i, r) in state.relations.iter().enumerate() {
        // Paths are written only for an error: most States have none.
        let path = |field: &str| format!("relations[{i}]{field}");
        if !ids.insert(r.id) {
            return Err(invalid(
                path(".id"),
                format!("relation id {} is used twice", r.id),
            ));
        }
        if r.endpoint.is_empty() {
            return Err(invalid(path(".endpoint"), "empty endpoint name"));
        }
        let kind = match cx.meta {
            Some(meta) => {
                let Some(ep) = meta.endpoints.get(&r.endpoint) else {
                    return Err(invalid(
                        path(".endpoint"),
                        format!(
                            "endpoint {:?} is not declared in charmcraft.yaml",
                            r.endpoint
                        ),
                    ));
                };
                if let Some(k) = r.kind
                    && k != ep.kind
                {
                    return Err(invalid(
                        path(".kind"),
                        format!(
                            "{k:?} but endpoint {:?} is {:?} in charmcraft.yaml",
                            r.endpoint, ep.kind
                        ),
                    ));
                }
                Some(ep.kind)
            }
            None => r.kind,
        };
        let peer = kind == Some(RelationKind::Peer);
        if peer && let Some(first) = peers.insert(&r.endpoint, r.id) {
            return Err(invalid(
                path(""),
                format!(
                    "a second relation on peer endpoint {:?} (relation {first} is the first): an application has one relation per peer endpoint",
                    r.endpoint
                ),
            ));
        }
        if let Some(remote) = &r.remote_app {
            app_name(|| path(".remote_app"), remote)?;
            if peer && !cx.app.is_empty() && *remote != cx.app {
                return Err(invalid(
                    path(".remote_app"),
                    format!(
                        "a peer relation's remote application is the application itself ({:?}), not {remote:?}",
                        cx.app
                    ),
                ));
            }
        }
        if r.remote_units_data.len() > MAX_RELATION_UNITS {
            return Err(invalid(
                path(".remote_units_data"),
                format!(
                    "{} units, more than the {MAX_RELATION_UNITS} a relation of a State may hold",
                    r.remote_units_data.len()
                ),
            ));
        }
        if peer
            && let Some(n) = cx.unit_number
            && r.remote_units_data.contains_key(&n)
        {
            return Err(invalid(
                path(&format!(".remote_units_data.{n}")),
                "the unit itself is not a remote unit of its peer relation",
            ));
        }
        if let Some(uuid) = &r.remote_model_uuid
            && !is_uuid(uuid)
        {
            return Err(invalid(
                path(".remote_model_uuid"),
                format!("{uuid:?} is not a UUID"),
            ));
        }
    }
    Ok(())
}
