//! `StoredState`: a typed value kept in Juju's unit state (`state-get` /
//! `state-set`) under one key, as JSON.

use std::ops::{Deref, DerefMut};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::bindings::juju::charm::hook_tools as tools;

/// A value that survives between events of this unit (`ops.StoredState`
/// with Juju-backed storage).
///
/// Load it, change it through `Deref`/`DerefMut`, then [`save`](Self::save):
/// the write is buffered by Juju and committed only if the hook succeeds.
/// Like `ops.StoredState`, it lives as long as the unit: for data the
/// application must keep, use a peer relation.
///
/// ```ignore
/// #[derive(Default, Serialize, Deserialize)]
/// struct Counters { restarts: u64 }
///
/// let mut stored = StoredState::<Counters>::load("counters")?;
/// stored.restarts += 1;
/// stored.save()?;
/// ```
#[derive(Debug)]
pub struct StoredState<T> {
    key: String,
    value: T,
}

impl<T: Serialize + DeserializeOwned + Default> StoredState<T> {
    /// Read the value under `key`, or `T::default()` when there is none.
    pub fn load(key: &str) -> Result<Self, Error> {
        let state = tools::state_get()?;
        let value = match state.into_iter().find(|(k, _)| k == key) {
            Some((_, text)) if !text.is_empty() => serde_json::from_str(&text)
                .map_err(|e| Error::json(format!("stored state {key:?}"), e))?,
            _ => T::default(),
        };
        Ok(StoredState {
            key: key.to_string(),
            value,
        })
    }

    /// Write the value back (`state-set`, buffered until the hook succeeds).
    pub fn save(&self) -> Result<(), Error> {
        let text = serde_json::to_string(&self.value)
            .map_err(|e| Error::json(format!("stored state {:?}", self.key), e))?;
        Ok(tools::state_set(&[(self.key.clone(), text)])?)
    }

    /// Forget the value (`state-delete`).
    pub fn delete(self) -> Result<(), Error> {
        Ok(tools::state_delete(&self.key)?)
    }

    /// The key it is kept under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value, consumed.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for StoredState<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for StoredState<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
