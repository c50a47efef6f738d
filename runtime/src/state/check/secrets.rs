//! Secrets: Juju's URIs and content keys, owners, revisions (a tracked one
//! must exist), rotation policies, and grants to units of the relation's
//! application.

use std::collections::BTreeSet;

use super::{Checked, Ctx, invalid};
use crate::juju::names::parse_unit;
use crate::juju::secrets::{ROTATE_POLICIES, is_secret_key, rotate_policy, secret_uri_id};
use crate::state::State;

pub(super) fn check(state: &State, _cx: &Ctx) -> Checked {
    let mut ids = BTreeSet::new();
    for (i, s) in state.secrets.iter().enumerate() {
        // Paths are written only for an error: most States have none.
        let path = |field: &str| format!("secrets[{i}]{field}");
        let Some(id) = secret_uri_id(&s.id) else {
            return Err(invalid(
                path(".id"),
                format!(
                    "{:?} is not a secret URI (secret:<20 lower-case letters and digits>, or secret://<model-uuid>/<id>)",
                    s.id
                ),
            ));
        };
        if !ids.insert(id) {
            return Err(invalid(path(".id"), format!("secret {id} is listed twice")));
        }
        if let Some(owner) = &s.owner
            && owner != "application"
            && owner != "unit"
        {
            return Err(invalid(
                path(".owner"),
                format!(
                    "{owner:?} (want application, unit, or no owner for another application's secret)"
                ),
            ));
        }
        if s.revisions.is_empty() {
            return Err(invalid(
                path(".revisions"),
                "a secret has at least one revision",
            ));
        }
        let mut revisions = BTreeSet::new();
        for (j, r) in s.revisions.iter().enumerate() {
            let rpath = |field: &str| path(&format!(".revisions[{j}]{field}"));
            if r.revision == 0 {
                return Err(invalid(rpath(".revision"), "revisions start at 1"));
            }
            if !revisions.insert(r.revision) {
                return Err(invalid(
                    rpath(".revision"),
                    format!("revision {} is listed twice", r.revision),
                ));
            }
            if let Some(k) = r.content.keys().find(|k| !is_secret_key(k)) {
                return Err(invalid(
                    rpath(&format!(".content.{k}")),
                    "invalid secret key (Juju's rule: ^[a-z](-?[a-z0-9]){2,}$)",
                ));
            }
        }
        if let Some(t) = s.tracked
            && !revisions.contains(&t)
        {
            let have: Vec<String> = revisions.iter().map(|r| r.to_string()).collect();
            return Err(invalid(
                path(".tracked"),
                format!(
                    "revision {t} does not exist (the secret has revisions {})",
                    have.join(", ")
                ),
            ));
        }
        if let Some(r) = &s.rotate
            && rotate_policy(r).is_none()
        {
            return Err(invalid(
                path(".rotate"),
                format!(
                    "unknown rotation policy {r:?} (one of {})",
                    ROTATE_POLICIES.join(", ")
                ),
            ));
        }
        for (rel, units) in &s.grants {
            // A grant may outlive the relation's view in this State.
            let remote = state.relation(*rel).and_then(|r| r.remote_app.as_deref());
            for (k, u) in units.iter().enumerate() {
                let upath = || path(&format!(".grants.{rel}[{k}]"));
                let (app, _) = parse_unit(u).map_err(|m| invalid(upath(), m))?;
                if let Some(remote) = remote
                    && remote != app
                {
                    return Err(invalid(
                        upath(),
                        format!("{u:?} is not a unit of relation {rel}'s application {remote:?}"),
                    ));
                }
            }
        }
    }
    Ok(())
}
