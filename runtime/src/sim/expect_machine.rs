//! `expect: machine:`: what a unit's simulated machine holds and ran.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{SimError, Simulator};

/// One unit's machine.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MachineExpect {
    /// Package → its installed version (`null`: not installed).
    pub packages: BTreeMap<String, Option<String>>,
    /// Service → `active`, `inactive`, `failed` or `absent`.
    pub services: BTreeMap<String, String>,
    /// Commands (argv joined by spaces) that ran, in this order (not
    /// necessarily adjacent).
    pub ran: Vec<String>,
    /// File in the charm's machine directories → its text (`null`: absent).
    pub files: BTreeMap<String, Option<String>>,
}

/// Check the machines of `want`'s units; how many expectations held.
pub fn check(sim: &Simulator, want: &BTreeMap<String, MachineExpect>) -> Result<usize, SimError> {
    let fail = |m: String| Err(SimError::Assertion(m));
    let mut n = 0;
    for (unit, e) in want {
        let name: super::names::UnitName = unit.parse().map_err(SimError::Usage)?;
        let Some(u) = sim.model().unit(&name) else {
            return fail(format!("no unit {unit}"));
        };
        let m = &u.machine;
        for (pkg, version) in &e.packages {
            let got = m.packages.get(pkg);
            if got != version.as_ref() {
                return fail(format!(
                    "{unit}: package {pkg} is {got:?}, expected {version:?}"
                ));
            }
            n += 1;
        }
        for (svc, state) in &e.services {
            let got = m.services.get(svc).map_or("absent", |s| s.active.word());
            if got != state {
                return fail(format!("{unit}: service {svc} is {got}, expected {state}"));
            }
            n += 1;
        }
        for (path, text) in &e.files {
            let got = m.files.get(path).map(|f| match f {
                crate::state::machine::MachineFile::Text(t) => t.clone(),
                crate::state::machine::MachineFile::Bytes { base64 } => format!("base64:{base64}"),
            });
            if got != *text {
                return fail(format!("{unit}: file {path} is {got:?}, expected {text:?}"));
            }
            n += 1;
        }
        let ran: Vec<String> = m.commands.iter().map(|c| c.command.join(" ")).collect();
        let mut it = ran.iter();
        for cmd in &e.ran {
            if !it.any(|r| r == cmd) {
                return fail(format!(
                    "{unit} ran {ran:?}, expected {:?} in that order",
                    e.ran
                ));
            }
            n += 1;
        }
    }
    Ok(n)
}
