//! Relations and their databags (`ops.Relation`, `relation.data[...]`).
//!
//! Every read is a `relation-get` and every write a `relation-set`, straight
//! to the host. The host buffers writes until the hook succeeds and answers
//! reads with this hook's own writes, as Juju does.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::juju::charm::hook_tools as tools;
use crate::model::Context;
use crate::{Application, Error, Unit};

/// One relation (`ops.Relation`).
#[derive(Clone)]
pub struct Relation {
    id: u32,
    endpoint: String,
    ctx: Rc<Context>,
}

impl fmt::Debug for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Relation({}:{})", self.endpoint, self.id)
    }
}

impl Relation {
    pub(crate) fn new(id: u32, endpoint: String, ctx: Rc<Context>) -> Self {
        Relation { id, endpoint, ctx }
    }

    /// The relation id (`relation.id`).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The endpoint name (`relation.name`).
    pub fn name(&self) -> &str {
        &self.endpoint
    }

    /// The remote application's name (`relation.app`; for a peer
    /// relation, this application).
    pub fn app(&self) -> Result<String, Error> {
        Ok(tools::relation_remote_app(Some(self.id))?)
    }

    /// The remote units (`relation.units`), sorted.
    pub fn units(&self) -> Result<Vec<String>, Error> {
        Ok(tools::relation_list(Some(self.id))?)
    }

    /// The databag of an application or unit (`relation.data[owner]`):
    /// `relation.data(&model.app())`, `relation.data(&model.unit())`,
    /// `relation.data(DataOwner::unit("db/0"))`.
    pub fn data(&self, owner: impl Into<DataOwner>) -> Databag {
        let owner = owner.into();
        let local = match &owner {
            DataOwner::App(name) => *name == self.ctx.app,
            DataOwner::Unit(name) => *name == self.ctx.unit,
        };
        Databag {
            relation: self.id,
            owner,
            local,
        }
    }

    /// This application's databag (`relation.data[self.app]`); only the
    /// leader may write it, and Juju lets only the leader read it.
    pub fn local_app_data(&self) -> Databag {
        self.data(DataOwner::App(self.ctx.app.clone()))
    }

    /// This unit's databag (`relation.data[self.unit]`).
    pub fn local_unit_data(&self) -> Databag {
        self.data(DataOwner::Unit(self.ctx.unit.clone()))
    }

    /// The remote application's databag (`relation.data[relation.app]`).
    pub fn remote_app_data(&self) -> Result<Databag, Error> {
        Ok(self.data(DataOwner::App(self.app()?)))
    }

    /// A remote unit's databag (`relation.data[unit]`).
    pub fn unit_data(&self, unit: &str) -> Databag {
        self.data(DataOwner::Unit(unit.to_string()))
    }
}

/// Whose databag: an application's or a unit's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOwner {
    /// An application, by name.
    App(String),
    /// A unit, by name (`app/N`).
    Unit(String),
}

impl DataOwner {
    /// An application's databag.
    pub fn app(name: impl Into<String>) -> Self {
        DataOwner::App(name.into())
    }

    /// A unit's databag.
    pub fn unit(name: impl Into<String>) -> Self {
        DataOwner::Unit(name.into())
    }
}

impl From<&Application> for DataOwner {
    fn from(app: &Application) -> Self {
        DataOwner::App(app.name().to_string())
    }
}

impl From<Application> for DataOwner {
    fn from(app: Application) -> Self {
        DataOwner::from(&app)
    }
}

impl From<&Unit> for DataOwner {
    fn from(unit: &Unit) -> Self {
        DataOwner::Unit(unit.name().to_string())
    }
}

impl From<Unit> for DataOwner {
    fn from(unit: Unit) -> Self {
        DataOwner::from(&unit)
    }
}

/// One databag of a relation (`relation.data[owner]`): a string map.
///
/// Only this unit's bag and (for the leader) this application's bag can be
/// written; Juju refuses the rest.
#[derive(Debug, Clone)]
pub struct Databag {
    relation: u32,
    owner: DataOwner,
    local: bool,
}

impl Databag {
    /// Whose bag this is.
    pub fn owner(&self) -> &DataOwner {
        &self.owner
    }

    fn fetch(&self) -> Result<Vec<(String, String)>, Error> {
        let (target, app) = match &self.owner {
            DataOwner::App(name) => (name.as_str(), true),
            DataOwner::Unit(name) => (name.as_str(), false),
        };
        Ok(tools::relation_get(Some(self.relation), Some(target), app)?)
    }

    /// The whole bag.
    pub fn get_all(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(self.fetch()?.into_iter().collect())
    }

    /// One value (`bag.get(key)`).
    pub fn get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .fetch()?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v))
    }

    /// One value holding JSON, deserialised (none when unset or empty).
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.get(key)? {
            Some(text) if !text.is_empty() => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::json(format!("relation data key {key:?}"), e)),
            _ => Ok(None),
        }
    }

    /// Set one value (`bag[key] = value`); an empty value deletes it.
    pub fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        self.update([(key, value)])
    }

    /// Store a value as JSON text under `key`.
    pub fn set_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), Error> {
        let text = serde_json::to_string(value)
            .map_err(|e| Error::json(format!("relation data key {key:?}"), e))?;
        self.set(key, &text)
    }

    /// Delete one key (`del bag[key]`).
    pub fn remove(&self, key: &str) -> Result<(), Error> {
        self.set(key, "")
    }

    /// Set several values in one `relation-set` (`bag.update(...)`).
    pub fn update<K, V>(&self, settings: impl IntoIterator<Item = (K, V)>) -> Result<(), Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        if !self.local {
            let whose = match &self.owner {
                DataOwner::App(n) | DataOwner::Unit(n) => n,
            };
            return Err(Error::Usage(format!(
                "cannot write the databag of {whose}: only this unit's and this application's can be written"
            )));
        }
        let app = matches!(self.owner, DataOwner::App(_));
        let settings: Vec<(String, String)> = settings
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Ok(tools::relation_set(Some(self.relation), app, &settings)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Rc<Context> {
        Rc::new(Context {
            unit: "pc/0".into(),
            app: "pc".into(),
            model_name: "m".into(),
            model_uuid: "u".into(),
            juju_version: "3.6.0".into(),
            charm_dir: "/charm".into(),
        })
    }

    #[test]
    fn local_bags_are_writable_remote_ones_not() {
        let r = Relation::new(3, "fastapi-peer".into(), ctx());
        assert!(r.local_app_data().local);
        assert!(r.local_unit_data().local);
        assert!(!r.unit_data("pc/1").local);
        assert!(!r.data(DataOwner::app("db")).local);
        let err = r.unit_data("pc/1").set("k", "v").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot write the databag of pc/1")
        );
    }

    #[test]
    fn owners_come_from_units_and_apps() {
        let r = Relation::new(3, "peers".into(), ctx());
        let bag = r.local_app_data();
        assert_eq!(bag.owner(), &DataOwner::App("pc".into()));
        assert_eq!(format!("{r:?}"), "Relation(peers:3)");
    }
}
