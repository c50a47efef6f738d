//! User secrets (`juju add-secret`, `update-secret`, `grant-secret`) and
//! the owner hooks an operator can make due (rotate, expire, remove).

use std::collections::BTreeMap;

use super::super::lifecycle::Touched;
use super::super::merge::{notify_new_revision, owner_unit};
use super::super::model::{Secret, SecretOwner, Unit};
use super::super::{SimError, Simulator};
use super::{not_found, usage};
use crate::juju::secrets::{is_secret_key, rotate_interval_ns};
use crate::state::{Bag, SecretRevision};

/// Content as Juju takes it: at least one key, each by core/secrets' rule.
fn check_content(content: &Bag) -> Result<(), SimError> {
    if content.is_empty() {
        return usage("a secret needs at least one key=value");
    }
    match content.keys().find(|k| !is_secret_key(k)) {
        Some(k) => usage(format!(
            "secret key {k:?} not valid: lower-case letters, digits and single hyphens, \
             starting with a letter, at least 3 characters"
        )),
        None => Ok(()),
    }
}

impl Simulator {
    /// `juju add-secret` + `juju grant-secret`: a user secret readable by
    /// the given applications. Returns its id.
    pub fn secret_add(&mut self, content: Bag, apps: &[String]) -> Result<String, SimError> {
        self.secret_add_named(None, content, apps)
    }

    /// [`Self::secret_add`] with a name (`juju add-secret NAME …`): later
    /// operations may refer to the secret by it. Names are unique.
    pub fn secret_add_named(
        &mut self,
        name: Option<&str>,
        content: Bag,
        apps: &[String],
    ) -> Result<String, SimError> {
        check_content(&content)?;
        if let Some(n) = name
            && self
                .model
                .secrets
                .values()
                .any(|s| s.label.as_deref() == Some(n))
        {
            return usage(format!("secret with name {n:?} already exists"));
        }
        for a in apps {
            if self.model.app(a).is_none() {
                return Err(not_found("application", a));
            }
        }
        let n = self.model.secrets.len() as u64 + self.model.meta.draws;
        let id = {
            use sha2::{Digest, Sha256};
            let d = Sha256::digest(format!("{}|user|{n}", self.model.meta.uuid).as_bytes());
            const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
            let s: String = d
                .iter()
                .take(20)
                .map(|b| ALPHABET[(*b & 31) as usize] as char)
                .collect();
            format!("secret:{s}")
        };
        self.model.insert_secret(Secret {
            id: id.clone(),
            owner: SecretOwner::Model,
            revisions: vec![SecretRevision {
                revision: 1,
                content,
            }],
            label: name.map(str::to_string),
            description: None,
            expire: None,
            rotate: None,
            grants: BTreeMap::new(),
            granted_apps: apps.iter().cloned().collect(),
            consumers: BTreeMap::new(),
            rotate_at: None,
            expire_at: None,
        });
        let mut touched = Touched::new();
        for a in apps {
            touched.extend(self.model.app_units(a));
        }
        self.finish_op(touched)?;
        Ok(id)
    }

    /// `juju grant-secret`: let `apps` read the user secret `id` too. Their
    /// units see it from their next hook; no hook runs for it.
    pub fn secret_grant(&mut self, id: &str, apps: &[String]) -> Result<(), SimError> {
        self.secret_access(id, apps, true)
    }

    /// `juju revoke-secret`: `apps` may no longer read the user secret `id`
    /// (from their next hook `secret-get` does not find it); an
    /// application without access is left as it is. What a consumer
    /// tracks is kept, as for a charm's `secret-revoke`.
    pub fn secret_revoke(&mut self, id: &str, apps: &[String]) -> Result<(), SimError> {
        self.secret_access(id, apps, false)
    }

    fn secret_access(&mut self, id: &str, apps: &[String], grant: bool) -> Result<(), SimError> {
        let full = self.secret_id(id)?;
        if self.model.secrets[&full].owner != SecretOwner::Model {
            let verb = if grant { "granted" } else { "revoked" };
            return usage(format!(
                "secret {id} is a charm's: only user secrets are {verb} by the operator \
                 (the charm uses secret-grant and secret-revoke)"
            ));
        }
        if apps.is_empty() {
            return usage("name at least one application");
        }
        for a in apps {
            if self.model.app(a).is_none() {
                return Err(not_found("application", a));
            }
        }
        let s = self.model.secret_mut(&full).expect("found above");
        for a in apps {
            if grant {
                s.granted_apps.insert(a.clone());
            } else {
                s.granted_apps.remove(a);
            }
        }
        let mut touched = Touched::new();
        for a in apps {
            touched.extend(self.model.app_units(a));
        }
        self.finish_op(touched)
    }

    fn secret_id(&self, id: &str) -> Result<String, SimError> {
        let full = if id.starts_with("secret:") {
            id.to_string()
        } else {
            format!("secret:{id}")
        };
        if self.model.secrets.contains_key(&full) {
            return Ok(full);
        }
        // A label names a secret too.
        self.model
            .secrets
            .values()
            .find(|s| s.label.as_deref() == Some(id))
            .map(|s| s.id.clone())
            .ok_or_else(|| not_found("secret", id))
    }

    /// `juju update-secret`: a new revision; consumers tracking an older
    /// one get secret-changed.
    pub fn secret_set(&mut self, id: &str, content: Bag) -> Result<u32, SimError> {
        check_content(&content)?;
        let id = self.secret_id(id)?;
        let s = self.model.secret_mut(&id).expect("secret");
        let rev = s.latest() + 1;
        s.revisions.push(SecretRevision {
            revision: rev,
            content,
        });
        let mut touched = Touched::new();
        notify_new_revision(&mut self.model, &id, &mut touched);
        self.finish_op(touched)?;
        Ok(rev)
    }

    /// Make the secret's rotation due now: its owner gets secret-rotate.
    pub fn secret_rotate(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, |u, id, _| {
            u.agent.secret_rotate.insert(id.to_string());
        })
    }

    /// Make the secret's latest revision expire now: its owner gets secret-expired.
    pub fn secret_expire(&mut self, id: &str) -> Result<(), SimError> {
        self.owner_hook(id, |u, id, rev| {
            u.agent.secret_expired.insert((id.to_string(), rev));
        })
    }

    /// Tell the owner a revision is no longer used (secret-remove), or, for
    /// a user secret, remove it.
    pub fn secret_remove(&mut self, id: &str, revision: Option<u32>) -> Result<(), SimError> {
        let full = self.secret_id(id)?;
        if self.model.secrets[&full].owner == SecretOwner::Model {
            let s = self.model.secrets[&full].clone();
            self.model.remove_secret(&full);
            let mut touched = Touched::new();
            for a in &s.granted_apps {
                touched.extend(self.model.app_units(a));
            }
            return self.finish_op(touched);
        }
        self.owner_hook(id, move |u, id, latest| {
            u.agent
                .secret_remove
                .insert((id.to_string(), revision.unwrap_or(latest)));
        })
    }

    fn owner_hook(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Unit, &str, u32),
    ) -> Result<(), SimError> {
        let id = self.secret_id(id)?;
        let s = self.model.secrets[&id].clone();
        let Some(owner) = owner_unit(&self.model, &s) else {
            return usage(format!("secret {id} has no owner unit to tell"));
        };
        let u = self.model.unit_mut(&owner).expect("owner unit");
        f(u, &id, s.latest());
        let touched = [owner].into_iter().collect();
        self.finish_op(touched)
    }

    /// The rotate interval of a policy, for tests and docs.
    pub fn rotate_interval(policy: &str) -> Option<u64> {
        rotate_interval_ns(policy)
    }
}
