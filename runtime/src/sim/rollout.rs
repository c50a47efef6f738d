//! A Kubernetes StatefulSet's rolling update, as a refresh of a sidecar
//! charm triggers it (`juju refresh` changes the StatefulSet's pod
//! template): one pod at a time, the highest ordinal first, the next only
//! once the new pod is ready; pods below the rolling-update partition are
//! left as they are until the partition is lowered.
//!
//! A pod counts as ready once its unit has started again and is not in
//! error (after upgrade-charm, config-changed and start): a unit whose
//! hooks fail in its new pod halts the rollout until it is resolved.

use std::collections::BTreeSet;

use super::agent::PodExit;
use super::lifecycle::{self, Touched};
use super::model::{Model, Rollout, Unit};

/// Start rolling `app`'s pods to its charm revision (a refresh).
pub fn start(m: &mut Model, app: &str, touched: &mut Touched) {
    let Some(a) = m.app_mut(app) else { return };
    a.rollout = Some(Rollout {
        revision: a.charm_rev,
        updated: BTreeSet::new(),
    });
    advance(m, app, touched);
}

fn ready(u: &Unit) -> bool {
    let a = &u.agent;
    a.pod_exit.is_none() && a.started && !a.upgrade_pending && a.error.is_none()
}

/// Replace the next pod of `app`'s rollout if the one replaced last is
/// ready; end the rollout when every pod at or above the partition moved.
pub fn advance(m: &mut Model, app: &str, touched: &mut Touched) {
    let Some(a) = m.app(app) else { return };
    let Some(rollout) = a.rollout.clone() else {
        return;
    };
    let partition = a.partition;
    let units = m.alive_units(app);
    let waiting = units
        .iter()
        .filter(|u| rollout.updated.contains(&u.n))
        .any(|u| m.unit(u).is_some_and(|u| !ready(u)));
    if waiting {
        return;
    }
    let next = units
        .iter()
        .rev()
        .find(|u| u.n >= partition && !rollout.updated.contains(&u.n))
        .cloned();
    let a = m.app_mut(app).expect("app exists");
    match next {
        Some(u) => {
            if let Some(r) = a.rollout.as_mut() {
                r.updated.insert(u.n);
            }
            lifecycle::exit_pod(m, &u, PodExit::Refresh, touched);
        }
        None if partition == 0 || units.iter().all(|u| rollout.updated.contains(&u.n)) => {
            a.rollout = None;
        }
        // Pods below the partition wait for it to move.
        None => {}
    }
}
