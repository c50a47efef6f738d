//! `charmbox._native.SimModel`: the model simulator (whole models, Juju's
//! orderings) for `charmbox.testing.Model`. Arguments and answers are
//! plain values or JSON text; every simulator error is a `ModelError`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use charmbox::engine::{Runtime, RuntimeConfig};
use charmbox::sim::model::{BagOwner, Substrate};
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::{ModelOptions, SimError, Simulator, UnitName};
use pyo3::create_exception;
use pyo3::prelude::*;

use crate::CharmboxError;

create_exception!(
    _native,
    ModelError,
    CharmboxError,
    "A model operation Juju would refuse, or a simulator failure."
);

fn model_err(e: SimError) -> PyErr {
    ModelError::new_err(e.to_string())
}

fn json_map(text: Option<&str>, what: &str) -> PyResult<BTreeMap<String, serde_json::Value>> {
    match text {
        None => Ok(BTreeMap::new()),
        Some(t) => serde_json::from_str(t)
            .map_err(|e| ModelError::new_err(format!("{what}: not a JSON object: {e}"))),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| ModelError::new_err(format!("cannot encode: {e}")))
}

/// A simulated model, in memory, deterministic for its seed.
#[pyclass(unsendable)]
pub struct SimModel {
    sim: Simulator,
}

#[pymethods]
impl SimModel {
    /// A new model: `kind` is `kubernetes` or `machine`.
    #[new]
    #[pyo3(signature = (name = "sim", kind = "kubernetes", seed = 0))]
    fn new(name: &str, kind: &str, seed: u64) -> PyResult<SimModel> {
        let kind = match kind {
            "kubernetes" | "k8s" => Substrate::Kubernetes,
            "machine" | "lxd" => Substrate::Machine,
            other => {
                return Err(ModelError::new_err(format!(
                    "model kind {other:?}: expected kubernetes or machine"
                )));
            }
        };
        let rt = Runtime::new(RuntimeConfig::default())
            .map_err(|e| CharmboxError::new_err(format!("cannot start the runtime: {e:#}")))?;
        let opts = ModelOptions {
            name: name.into(),
            kind,
            seed,
            ..Default::default()
        };
        Ok(SimModel {
            sim: Simulator::in_memory(rt, opts),
        })
    }

    /// `juju deploy`: the built charm directory; returns the application name.
    #[pyo3(signature = (charm_dir, app = None, units = None, config_json = None, trust = false, stateless = false))]
    fn deploy(
        &mut self,
        charm_dir: PathBuf,
        app: Option<String>,
        units: Option<u32>,
        config_json: Option<&str>,
        trust: bool,
        stateless: bool,
    ) -> PyResult<String> {
        let opts = DeployOptions {
            app,
            units,
            config: json_map(config_json, "config")?,
            trust,
            stateless,
            ..Default::default()
        };
        self.sim.deploy(&charm_dir, opts).map_err(model_err)
    }

    /// `juju add-unit -n N`; returns the new units.
    fn add_units(&mut self, app: &str, n: u32) -> PyResult<Vec<String>> {
        self.sim.add_units(app, n).map_err(model_err)
    }

    /// `juju remove-unit`.
    fn remove_unit(&mut self, unit: &str) -> PyResult<()> {
        self.sim.remove_unit(unit).map_err(model_err)
    }

    /// `juju integrate a b`; returns the relation id.
    fn integrate(&mut self, a: &str, b: &str) -> PyResult<u32> {
        self.sim.integrate(a, b).map_err(model_err)
    }

    /// `juju remove-relation a b`.
    fn remove_relation(&mut self, a: &str, b: &str) -> PyResult<()> {
        self.sim.remove_relation(a, b).map_err(model_err)
    }

    /// `juju config app k=v ... --reset k`.
    #[pyo3(signature = (app, set_json, reset = Vec::new()))]
    fn config(&mut self, app: &str, set_json: &str, reset: Vec<String>) -> PyResult<()> {
        let set = json_map(Some(set_json), "config")?;
        self.sim.config(app, set, &reset).map_err(model_err)
    }

    /// The unit's pod is deleted and recreated (k8s); returns the unit
    /// that comes back (a new one for a stateless application).
    fn churn(&mut self, unit: &str) -> PyResult<String> {
        self.sim.churn(unit).map_err(model_err)
    }

    /// `juju refresh`, with the application's charm or `charm_dir`.
    #[pyo3(signature = (app, charm_dir = None))]
    fn refresh(&mut self, app: &str, charm_dir: Option<PathBuf>) -> PyResult<()> {
        self.sim
            .refresh(app, charm_dir.as_deref())
            .map_err(model_err)
    }

    /// `juju run unit action k=v`, settled; returns the task as JSON.
    #[pyo3(signature = (unit, action, params_json = None))]
    fn run_action(
        &mut self,
        unit: &str,
        action: &str,
        params_json: Option<&str>,
    ) -> PyResult<String> {
        let params = json_map(params_json, "params")?;
        let task = self
            .sim
            .run_action(unit, action, params)
            .map_err(model_err)?;
        to_json(&task)
    }

    /// `juju add-secret` (content JSON), granted to `apps`; returns its URI.
    #[pyo3(signature = (content_json, apps = Vec::new()))]
    fn secret_add(&mut self, content_json: &str, apps: Vec<String>) -> PyResult<String> {
        let content = serde_json::from_str(content_json)
            .map_err(|e| ModelError::new_err(format!("secret content: {e}")))?;
        self.sim.secret_add(content, &apps).map_err(model_err)
    }

    /// Run hooks until none is due; returns how many ran.
    fn settle(&mut self) -> PyResult<u64> {
        self.sim.settle().map_err(model_err)
    }

    /// Move virtual time by `seconds` (update-status, timers), running what
    /// falls due; returns how many hooks ran.
    fn advance(&mut self, seconds: f64) -> PyResult<u64> {
        if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
            return Err(ModelError::new_err(format!(
                "advance: {seconds} s is not between 0 and 1e9"
            )));
        }
        self.sim
            .advance(Duration::from_secs_f64(seconds))
            .map_err(model_err)
    }

    /// `juju status` as JSON.
    fn status(&self) -> PyResult<String> {
        to_json(&self.sim.status())
    }

    /// The event history (optionally one unit's or application's), JSON.
    #[pyo3(signature = (unit = None))]
    fn events(&self, unit: Option<String>) -> PyResult<String> {
        let filter = charmbox::sim::history::LogFilter {
            unit,
            ..Default::default()
        };
        to_json(&self.sim.events_filtered(&filter).map_err(model_err)?)
    }

    /// The charms' logs (optionally one unit's or application's), JSON.
    #[pyo3(signature = (unit = None))]
    fn logs(&self, unit: Option<String>) -> PyResult<String> {
        let filter = charmbox::sim::history::LogFilter {
            unit,
            ..Default::default()
        };
        to_json(&self.sim.logs(&filter).map_err(model_err)?)
    }

    /// A relation databag: `owner` is an application or a unit name.
    fn databag(&self, relation_id: u32, owner: &str) -> PyResult<BTreeMap<String, String>> {
        let owner = if owner.contains('/') {
            let unit: UnitName = owner
                .parse()
                .map_err(|e| ModelError::new_err(format!("unit {owner:?}: {e}")))?;
            BagOwner::Unit(unit)
        } else {
            BagOwner::App(owner.into())
        };
        Ok(self.sim.model().bag_data(relation_id, &owner))
    }

    /// Hooks run so far.
    fn hooks_run(&self) -> u64 {
        self.sim.hooks_run()
    }
}
