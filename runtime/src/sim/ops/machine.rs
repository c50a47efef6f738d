//! Operations on machine charms' simulated machines.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Simulator, Touched};
use crate::sim::SimError;
use crate::state::machine::Package;

impl Simulator {
    /// The apt sources of every machine of `app` (and of machines it gets
    /// later) now offer `available` (merged over what they offered): a
    /// mirror publishing new versions. Nothing runs until the charm calls
    /// apt-get again.
    pub fn set_apt_sources(
        &mut self,
        app: &str,
        available: &BTreeMap<String, Package>,
    ) -> Result<(), SimError> {
        let a = self
            .model
            .app_mut(app)
            .ok_or_else(|| SimError::Usage(format!("no application {app:?}")))?;
        a.machine.available.extend(available.clone());
        for name in self.model.app_units(app) {
            if let Some(u) = self.model.unit_mut(&name) {
                u.machine.available.extend(available.clone());
            }
        }
        self.finish_op(Touched::new())
    }
}

/// `apt-sources: {app, available: {PACKAGE: {version, services}}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AptSourcesStep {
    pub app: String,
    pub available: BTreeMap<String, Package>,
}
