//! Secrets: owned and consumed, revisions, tracked versus latest, labels,
//! grants. Changes are made on a working copy committed with the hook, so
//! pending creates are readable at once and pending updates only with
//! `--peek`/`--refresh`, as in Juju.

use sha2::{Digest, Sha256};

use super::{UnitBackend, data};
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::{
    RelationId, SecretGrantInfo, SecretInfo, SecretOptions, SecretOwner, SecretReadMode,
    SecretRevokeTarget, StringMap,
};
use crate::juju::secrets::{
    MAX_SECRET_CONTENT, MAX_SECRET_VALUE, is_secret_key, rotate_name, rotate_policy,
};
use crate::state::{Bag, SecretRevision, SecretState, State};

/// The hook's working copy of the secrets, once any secret tool changed one.
#[derive(Debug, Default)]
pub(super) struct PendingSecrets {
    working: Option<Vec<SecretState>>,
    created: u32,
}

impl PendingSecrets {
    pub(super) fn apply(self, state: &mut State) {
        if let Some(w) = self.working {
            state.secrets = w;
        }
    }
}

/// The length of `n` bytes once base64-encoded (as Juju stores them).
fn base64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

fn check_content(content: &StringMap) -> ToolResult<()> {
    if content.is_empty() {
        return Err(juju::invalid("missing secret value or filename"));
    }
    let mut total = 0usize;
    for (k, v) in content {
        if !is_secret_key(k) {
            return Err(juju::invalid(format!("secret key {k:?} not valid")));
        }
        if v.is_empty() {
            return Err(juju::invalid("empty secret value"));
        }
        let encoded = base64_len(v.len());
        if encoded > MAX_SECRET_VALUE {
            return Err(juju::invalid(format!(
                "base64 encoded secret content for key {k:?} too large: {encoded} bytes"
            )));
        }
        total = total.saturating_add(encoded);
    }
    if total > MAX_SECRET_CONTENT {
        return Err(juju::invalid(format!(
            "base64 encoded secret content too large: {total} bytes"
        )));
    }
    Ok(())
}

/// The bytes a secret's text options add to the unit's data.
fn options_size(o: &SecretOptions) -> usize {
    [&o.label, &o.description, &o.expire]
        .iter()
        .map(|t| t.as_ref().map_or(0, String::len))
        .sum()
}

fn latest(s: &SecretState) -> Option<&SecretRevision> {
    s.revisions.iter().max_by_key(|r| r.revision)
}

impl UnitBackend {
    fn secrets(&mut self) -> &mut Vec<SecretState> {
        let state = &self.state;
        self.tx
            .secrets
            .working
            .get_or_insert_with(|| state.secrets.clone())
    }

    fn secrets_view(&self) -> &[SecretState] {
        self.tx
            .secrets
            .working
            .as_deref()
            .unwrap_or(&self.state.secrets)
    }

    /// Index of the secret named by id or label.
    fn find_secret(&self, id: Option<&str>, label: Option<&str>) -> ToolResult<usize> {
        let view = self.secrets_view();
        let found = match (id, label) {
            (Some(id), _) => {
                let bare = id.strip_prefix("secret:").unwrap_or(id);
                view.iter()
                    .position(|s| s.id.strip_prefix("secret:").unwrap_or(&s.id) == bare)
            }
            (None, Some(l)) => view.iter().position(|s| s.label.as_deref() == Some(l)),
            (None, None) => return Err(juju::invalid("require either a secret URI or label")),
        };
        found.ok_or_else(|| {
            juju::not_found(format!("secret {:?} not found", id.or(label).unwrap_or("")))
        })
    }

    /// Owner checks: owned at all, and the leader for application secrets.
    fn check_owner(&mut self, idx: usize, what: &str) -> ToolResult<()> {
        let owner = self.secrets_view()[idx].owner.clone();
        match owner.as_deref() {
            None => Err(juju::denied(format!(
                "permission denied: cannot {what} a secret this unit does not own"
            ))),
            Some("application") if !self.is_leader() => {
                Err(juju::not_leader("this unit is not the leader"))
            }
            _ => Ok(()),
        }
    }

    /// A new id, derived from the model, unit, hook and a counter; an id
    /// this unit already sees (a secret made by the same hook of an earlier
    /// event, as in a model simulation) is skipped.
    fn new_secret_id(&mut self) -> String {
        loop {
            self.tx.secrets.created += 1;
            let seed = format!(
                "{}|{}|{}|{}",
                self.state.model.uuid, self.unit, self.ctx.dispatch_path, self.tx.secrets.created
            );
            let digest = Sha256::digest(seed.as_bytes());
            const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
            let id: String = digest
                .iter()
                .take(20)
                .map(|b| ALPHABET[(*b & 31) as usize] as char)
                .collect();
            let id = format!("secret:{id}");
            if !self.secrets_view().iter().any(|s| s.id == id) {
                return id;
            }
        }
    }

    pub(super) fn secret_add(
        &mut self,
        content: StringMap,
        options: SecretOptions,
    ) -> ToolResult<String> {
        check_content(&content)?;
        let owner = options.owner.unwrap_or(SecretOwner::Application);
        if owner == SecretOwner::Application && !self.is_leader() {
            return Err(juju::not_leader("this unit is not the leader"));
        }
        if let Some(l) = &options.label
            && self
                .secrets_view()
                .iter()
                .any(|s| s.owner.is_some() && s.label.as_ref() == Some(l))
        {
            return Err(juju::invalid(format!(
                "secret with label {l:?} already exists"
            )));
        }
        let size: usize = content
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
            + options_size(&options);
        self.budget.replace(0, size + 64).map_err(data::refused)?;
        let id = self.new_secret_id();
        let secret = SecretState {
            id: id.clone(),
            owner: Some(
                if owner == SecretOwner::Application {
                    "application"
                } else {
                    "unit"
                }
                .into(),
            ),
            revisions: vec![SecretRevision {
                revision: 1,
                content: content.into_iter().collect(),
            }],
            tracked: None,
            label: options.label,
            description: options.description,
            expire: options.expire,
            rotate: options.rotate.map(|r| rotate_name(r).to_string()),
            grants: Default::default(),
        };
        self.secrets().push(secret);
        Ok(id)
    }

    pub(super) fn secret_set(
        &mut self,
        id: &str,
        content: Option<StringMap>,
        options: SecretOptions,
    ) -> ToolResult<()> {
        let idx = self.find_secret(Some(id), None)?;
        self.check_owner(idx, "update")?;
        if let Some(c) = &content {
            check_content(c)?;
        }
        let added = content
            .as_ref()
            .map_or(0, |c| c.iter().map(|(k, v)| k.len() + v.len()).sum())
            + options_size(&options);
        self.budget.replace(0, added).map_err(data::refused)?;
        let s = &mut self.secrets()[idx];
        if let Some(c) = content {
            let bag: Bag = c.into_iter().collect();
            let same = latest(s).is_some_and(|r| r.content == bag);
            if !same {
                let next = latest(s).map_or(1, |r| r.revision + 1);
                s.revisions.push(SecretRevision {
                    revision: next,
                    content: bag,
                });
            }
        }
        if options.label.is_some() {
            s.label = options.label;
        }
        if options.description.is_some() {
            s.description = options.description;
        }
        if options.expire.is_some() {
            s.expire = options.expire;
        }
        if let Some(r) = options.rotate {
            s.rotate = Some(rotate_name(r).into());
        }
        Ok(())
    }

    pub(super) fn secret_get(
        &mut self,
        id: Option<&str>,
        label: Option<&str>,
        mode: SecretReadMode,
    ) -> ToolResult<StringMap> {
        let idx = self.find_secret(id, if id.is_some() { None } else { label })?;
        let (latest_rev, tracked) = {
            let s = &self.secrets_view()[idx];
            (latest(s).map_or(0, |r| r.revision), s.tracked)
        };
        let needs_write = match mode {
            SecretReadMode::Refresh => tracked != Some(latest_rev),
            SecretReadMode::Tracked => tracked.is_none(),
            SecretReadMode::Peek => false,
        } || (id.is_some() && label.is_some());
        let rev = match mode {
            SecretReadMode::Peek | SecretReadMode::Refresh => latest_rev,
            SecretReadMode::Tracked => tracked.unwrap_or(latest_rev),
        };
        if needs_write {
            let s = &mut self.secrets()[idx];
            if mode != SecretReadMode::Peek {
                s.tracked = Some(rev);
            }
            if let (Some(_), Some(l)) = (id, label) {
                s.label = Some(l.to_string());
            }
        }
        let s = &self.secrets_view()[idx];
        let content = s
            .revisions
            .iter()
            .find(|r| r.revision == rev)
            .map(|r| &r.content);
        match content {
            Some(c) => Ok(c.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            None => Err(juju::not_found(format!(
                "secret {:?} revision {rev} not found",
                s.id
            ))),
        }
    }

    pub(super) fn secret_info_get(
        &mut self,
        id: Option<&str>,
        label: Option<&str>,
    ) -> ToolResult<SecretInfo> {
        if id.is_some() && label.is_some() {
            return Err(juju::invalid(
                "specify either a secret URI or label but not both",
            ));
        }
        let idx = self.find_secret(id, label)?;
        let s = &self.secrets_view()[idx];
        let owner = match s.owner.as_deref() {
            Some("application") => SecretOwner::Application,
            Some(_) => SecretOwner::Unit,
            None => {
                return Err(juju::not_found(format!(
                    "secret {:?} not found",
                    id.or(label).unwrap_or("")
                )));
            }
        };
        let mut access = Vec::new();
        for (rel, units) in &s.grants {
            let app = self
                .state
                .relation(*rel)
                .map(|r| self.remote_app_of(r))
                .unwrap_or_default();
            if units.is_empty() {
                access.push(SecretGrantInfo {
                    target: format!("application-{app}"),
                    scope: format!("relation-{rel}"),
                    role: "view".into(),
                });
            }
            for u in units {
                access.push(SecretGrantInfo {
                    target: format!("unit-{}", u.replace('/', "-")),
                    scope: format!("relation-{rel}"),
                    role: "view".into(),
                });
            }
        }
        Ok(SecretInfo {
            id: s.id.strip_prefix("secret:").unwrap_or(&s.id).to_string(),
            revision: latest(s).map_or(0, |r| r.revision),
            label: s.label.clone(),
            owner,
            description: s.description.clone(),
            rotation: s.rotate.as_deref().and_then(rotate_policy),
            expiry: s.expire.clone(),
            rotates: None,
            access,
        })
    }

    pub(super) fn secret_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .secrets_view()
            .iter()
            .filter(|s| s.owner.is_some())
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }

    pub(super) fn secret_grant(
        &mut self,
        id: &str,
        relation: RelationId,
        unit: Option<&str>,
    ) -> ToolResult<()> {
        let idx = self.find_secret(Some(id), None)?;
        self.check_owner(idx, "grant")?;
        let r = self.relation(Some(relation))?;
        let app = self.remote_app_of(r);
        if let Some(u) = unit
            && crate::juju::names::unit_app(u) != Some(app.as_str())
        {
            return Err(juju::invalid(format!(
                "cannot specify unit {u:?} in relation to application {app:?}"
            )));
        }
        let grants = self.secrets()[idx].grants.entry(relation).or_default();
        if let Some(u) = unit
            && !grants.iter().any(|g| g == u)
        {
            grants.push(u.to_string());
            grants.sort();
        }
        Ok(())
    }

    pub(super) fn secret_revoke(&mut self, id: &str, target: SecretRevokeTarget) -> ToolResult<()> {
        if target.relation.is_some() && target.app.is_some() {
            return Err(juju::invalid("do not specify both relation and app"));
        }
        if target.relation.is_none() && target.app.is_none() && target.unit.is_none() {
            return Err(juju::invalid("missing relation or application or unit"));
        }
        let idx = self.find_secret(Some(id), None)?;
        self.check_owner(idx, "revoke")?;
        let rel_of_app = |b: &UnitBackend, app: &str| {
            b.state
                .relations
                .iter()
                .filter(|r| b.remote_app_of(r) == app)
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        let rels: Vec<u32> = match (&target.relation, &target.app) {
            (Some(r), _) => vec![*r],
            (None, Some(a)) => rel_of_app(self, a),
            (None, None) => Vec::new(),
        };
        let grants = &mut self.secrets()[idx].grants;
        match &target.unit {
            Some(u) => grants.values_mut().for_each(|g| g.retain(|x| x != u)),
            None => rels.iter().for_each(|r| {
                grants.remove(r);
            }),
        }
        Ok(())
    }

    pub(super) fn secret_remove(&mut self, id: &str, revision: Option<u32>) -> ToolResult<()> {
        let idx = self.find_secret(Some(id), None)?;
        self.check_owner(idx, "remove")?;
        match revision {
            None => {
                self.secrets().remove(idx);
            }
            Some(rev) => {
                let s = &mut self.secrets()[idx];
                if !s.revisions.iter().any(|r| r.revision == rev) {
                    return Err(juju::not_found(format!("secret revision {rev} not found")));
                }
                s.revisions.retain(|r| r.revision != rev);
            }
        }
        Ok(())
    }
}
