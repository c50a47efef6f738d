//! Juju secrets (`ops.Secret`): create, read, update, share and remove.

use std::collections::BTreeMap;

use crate::bindings::juju::charm::hook_tools as tools;
pub use crate::bindings::juju::charm::types::{SecretInfo, SecretRotatePolicy};
use crate::bindings::juju::charm::types::{
    SecretOptions as RawOptions, SecretOwner, SecretReadMode, SecretRevokeTarget,
};
use crate::{Error, Relation};

/// Metadata of a secret being created or updated; unset fields are left
/// as they are.
#[derive(Debug, Clone, Default)]
pub struct SecretOptions {
    /// The owner's label for the secret.
    pub label: Option<String>,
    /// A description.
    pub description: Option<String>,
    /// RFC 3339 time at which the secret expires.
    pub expire: Option<String>,
    /// How often the owner is asked to rotate it.
    pub rotate: Option<SecretRotatePolicy>,
}

impl SecretOptions {
    /// Options with just a label.
    pub fn label(label: impl Into<String>) -> Self {
        SecretOptions {
            label: Some(label.into()),
            ..Default::default()
        }
    }

    fn raw(&self, owner: Option<SecretOwner>) -> RawOptions {
        RawOptions {
            owner,
            label: self.label.clone(),
            description: self.description.clone(),
            expire: self.expire.clone(),
            rotate: self.rotate,
        }
    }
}

/// A secret, known by id, label or both (`ops.Secret`).
#[derive(Debug, Clone)]
pub struct Secret {
    id: Option<String>,
    label: Option<String>,
}

fn collect<K: Into<String>, V: Into<String>>(
    content: impl IntoIterator<Item = (K, V)>,
) -> Vec<(String, String)> {
    content
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

impl Secret {
    pub(crate) fn from_parts(id: Option<String>, label: Option<String>) -> Self {
        Secret { id, label }
    }

    pub(crate) fn lookup(id: Option<&str>, label: Option<&str>) -> Result<Self, Error> {
        if id.is_none() && label.is_none() {
            return Err(Error::Usage(
                "get_secret needs an id or a label".to_string(),
            ));
        }
        tools::secret_get(id, label, SecretReadMode::Tracked)?;
        Ok(Secret::from_parts(
            id.map(str::to_string),
            label.map(str::to_string),
        ))
    }

    pub(crate) fn add<K: Into<String>, V: Into<String>>(
        content: impl IntoIterator<Item = (K, V)>,
        options: &SecretOptions,
        owner: SecretOwner,
    ) -> Result<Self, Error> {
        let id = tools::secret_add(&collect(content), &options.raw(Some(owner)))?;
        Ok(Secret::from_parts(Some(id), options.label.clone()))
    }

    /// The secret's URI, when known.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The secret's label, when known.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    fn read(&self, mode: SecretReadMode) -> Result<BTreeMap<String, String>, Error> {
        Ok(
            tools::secret_get(self.id.as_deref(), self.label.as_deref(), mode)?
                .into_iter()
                .collect(),
        )
    }

    /// The content of the tracked revision, or with `refresh` the latest
    /// one, tracked from now on (`secret.get_content(refresh=...)`).
    pub fn get_content(&self, refresh: bool) -> Result<BTreeMap<String, String>, Error> {
        self.read(if refresh {
            SecretReadMode::Refresh
        } else {
            SecretReadMode::Tracked
        })
    }

    /// The latest revision's content, without tracking it.
    pub fn peek_content(&self) -> Result<BTreeMap<String, String>, Error> {
        self.read(SecretReadMode::Peek)
    }

    /// Owner's metadata (`secret.get_info()`).
    pub fn get_info(&self) -> Result<SecretInfo, Error> {
        Ok(tools::secret_info_get(
            self.id.as_deref(),
            self.label.as_deref(),
        )?)
    }

    fn owned_id(&self) -> Result<String, Error> {
        match &self.id {
            Some(id) => Ok(id.clone()),
            None => Ok(self.get_info()?.id),
        }
    }

    /// Publish a new revision (`secret.set_content`).
    pub fn set_content<K: Into<String>, V: Into<String>>(
        &self,
        content: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error> {
        let content = collect(content);
        Ok(tools::secret_set(
            &self.owned_id()?,
            Some(&content),
            &SecretOptions::default().raw(None),
        )?)
    }

    /// Change metadata (`secret.set_info`).
    pub fn set_info(&self, options: &SecretOptions) -> Result<(), Error> {
        Ok(tools::secret_set(
            &self.owned_id()?,
            None,
            &options.raw(None),
        )?)
    }

    /// Let the other side of `relation` (or one unit of it) read the secret.
    pub fn grant(&self, relation: &Relation, unit: Option<&str>) -> Result<(), Error> {
        Ok(tools::secret_grant(&self.owned_id()?, relation.id(), unit)?)
    }

    /// Take back a grant.
    pub fn revoke(&self, relation: &Relation, unit: Option<&str>) -> Result<(), Error> {
        let target = SecretRevokeTarget {
            relation: Some(relation.id()),
            app: None,
            unit: unit.map(str::to_string),
        };
        Ok(tools::secret_revoke(&self.owned_id()?, &target)?)
    }

    /// Remove one revision.
    pub fn remove_revision(&self, revision: u32) -> Result<(), Error> {
        Ok(tools::secret_remove(&self.owned_id()?, Some(revision))?)
    }

    /// Remove the secret.
    pub fn remove_all_revisions(&self) -> Result<(), Error> {
        Ok(tools::secret_remove(&self.owned_id()?, None)?)
    }
}
