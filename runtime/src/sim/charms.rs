//! The charms of a model's applications, loaded once per application and
//! charm revision. An application's charm is opened under the
//! application's name: the host takes the application name from the
//! charm's metadata, so two applications of one charm stay apart. A charm
//! is a component run in the simulator's runtime, or a charm directory run
//! natively as a process (`deploy --native`, `crate::native`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::SimError;
use super::model::Application;
use crate::charm::CharmMeta;
use crate::engine::{InRuntime, Runtime};
use crate::event::EventSpec;
use crate::native::NativeCharm;
use crate::run::{Charm, RunError, RunOptions, RunReport, run_on};
use crate::state::State;
use crate::trace::Header;
use crate::trace::format::NATIVE_COMPONENT;

/// An application's charm as loaded: a component, or a native charm.
pub enum Loaded {
    Component(Charm),
    Native(NativeCharm),
}

impl Loaded {
    /// The charm's metadata, named after its application.
    pub fn meta(&self) -> &Arc<CharmMeta> {
        match self {
            Loaded::Component(c) => &c.meta,
            Loaded::Native(n) => &n.meta,
        }
    }

    /// What `status` shows as the charm: the component's sha256, or
    /// `native`.
    pub fn hash(&self) -> String {
        match self {
            Loaded::Component(c) => c.component.hash.clone(),
            Loaded::Native(_) => NATIVE_COMPONENT.to_string(),
        }
    }

    /// The header of a trace of this charm's hooks.
    pub fn header(&self, rt: &Runtime, seed: u64) -> Header {
        match self {
            Loaded::Component(c) => Header::for_charm(c, rt, None, seed),
            Loaded::Native(n) => Header::for_native(&n.meta.name, seed),
        }
    }

    /// Run one event through the single-event path (`crate::run::run_on`).
    pub fn run(
        &self,
        rt: &Runtime,
        state: State,
        spec: &EventSpec,
        opts: RunOptions<'_>,
    ) -> Result<(State, RunReport), RunError> {
        match self {
            Loaded::Component(charm) => run_on(&InRuntime { rt, charm }, state, spec, opts),
            Loaded::Native(n) => run_on(n, state, spec, opts),
        }
    }
}

/// Loaded charms by application.
#[derive(Default)]
pub struct Charms {
    loaded: BTreeMap<String, (u32, Loaded)>,
}

/// `meta` named `app` (default: unchanged), with the charm's own name.
fn renamed(meta: &CharmMeta, app: Option<&str>) -> (Arc<CharmMeta>, String) {
    let charm_name = meta.name.clone();
    let meta = CharmMeta {
        name: app.unwrap_or(&charm_name).to_string(),
        ..meta.clone()
    };
    (Arc::new(meta), charm_name)
}

/// Open the charm at `path` as application `app` (default: the charm's
/// name), as a component or (`native`) as a charm directory run as a
/// process; returns it with the charm's own name.
pub fn open_as(
    rt: &Runtime,
    path: &Path,
    app: Option<&str>,
    native: bool,
) -> Result<(Loaded, String), SimError> {
    if native {
        let mut charm = NativeCharm::open(path)?.with_limits(rt.config().limits.clone());
        let (meta, charm_name) = renamed(&charm.meta, app);
        charm.meta = meta;
        return Ok((Loaded::Native(charm), charm_name));
    }
    let charm = Charm::open(rt, path)?;
    let (meta, charm_name) = renamed(&charm.meta, app);
    Ok((
        Loaded::Component(Charm {
            meta,
            component: charm.component,
            dir: charm.dir,
        }),
        charm_name,
    ))
}

impl Charms {
    /// The charm of `app` at its current revision.
    pub fn get(&mut self, rt: &Runtime, app: &Application) -> Result<&Loaded, SimError> {
        let fresh = matches!(self.loaded.get(&app.name), Some((rev, _)) if *rev == app.charm_rev);
        if !fresh {
            let (charm, _) = open_as(rt, &app.charm, Some(&app.name), app.native)?;
            self.loaded.insert(app.name.clone(), (app.charm_rev, charm));
        }
        Ok(&self.loaded[&app.name].1)
    }

    /// The charm loaded for `app`, if any (at the revision [`Charms::get`]
    /// last loaded).
    pub fn loaded(&self, app: &str) -> Option<&Loaded> {
        self.loaded.get(app).map(|(_, c)| c)
    }

    /// Keep an already opened charm for `app`.
    pub fn insert(&mut self, app: &Application, charm: Loaded) {
        self.loaded.insert(app.name.clone(), (app.charm_rev, charm));
    }

    pub fn forget(&mut self, app: &str) {
        self.loaded.remove(app);
    }
}
