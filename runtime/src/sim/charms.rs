//! The charms of a model's applications, loaded once per application and
//! charm revision. An application's charm is opened under the
//! application's name: the host takes the application name from the
//! charm's metadata, so two applications of one charm stay apart.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::SimError;
use super::model::Application;
use crate::charm::CharmMeta;
use crate::engine::Runtime;
use crate::run::Charm;

/// Loaded charms by application.
#[derive(Default)]
pub struct Charms {
    loaded: BTreeMap<String, (u32, Charm)>,
}

/// Open the charm at `path` as application `app` (default: the charm's
/// name); returns it with the charm's own name.
pub fn open_as(rt: &Runtime, path: &Path, app: Option<&str>) -> Result<(Charm, String), SimError> {
    let charm = Charm::open(rt, path)?;
    let charm_name = charm.meta.name.clone();
    let meta = CharmMeta {
        name: app.unwrap_or(&charm_name).to_string(),
        ..(*charm.meta).clone()
    };
    Ok((
        Charm {
            meta: Arc::new(meta),
            component: charm.component,
            dir: charm.dir,
        },
        charm_name,
    ))
}

impl Charms {
    /// The charm of `app` at its current revision.
    pub fn get(&mut self, rt: &Runtime, app: &Application) -> Result<&Charm, SimError> {
        let fresh = matches!(self.loaded.get(&app.name), Some((rev, _)) if *rev == app.charm_rev);
        if !fresh {
            let (charm, _) = open_as(rt, &app.charm, Some(&app.name))?;
            self.loaded.insert(app.name.clone(), (app.charm_rev, charm));
        }
        Ok(&self.loaded[&app.name].1)
    }

    /// Keep an already opened charm for `app`.
    pub fn insert(&mut self, app: &Application, charm: Charm) {
        self.loaded.insert(app.name.clone(), (app.charm_rev, charm));
    }

    pub fn forget(&mut self, app: &str) {
        self.loaded.remove(app);
    }
}
