//! Leadership moving without a unit going: the lease of the leader
//! expires (its agent lost touch with the controller for longer than the
//! lease) and another unit's agent claims it.

use super::super::lifecycle::{self, Touched};
use super::super::model::Life;
use super::super::{SimError, Simulator};
use super::usage;

impl Simulator {
    /// The leader's lease expires and `unit` claims it: the old leader
    /// resigns, which runs no hook (Juju 3.x
    /// `internal/worker/uniter/operation/leader.go`); `unit` runs
    /// leader-elected; the other units run leader-settings-changed only when
    /// the leader settings changed since they last ran it
    /// (`internal/worker/uniter/leadership/resolver.go`).
    pub fn elect_leader(&mut self, unit: &str) -> Result<(), SimError> {
        let name = self.unit_name(unit)?;
        let u = self.model.unit(&name).expect("unit_name checked it");
        if u.life != Life::Alive {
            return usage(format!(
                "unit {unit} is being removed: it cannot claim leadership"
            ));
        }
        if self.model.is_leader(&name) {
            return usage(format!("unit {unit} is already the leader"));
        }
        let mut touched = Touched::new();
        lifecycle::hand_leadership(&mut self.model, &name.app, Some(name.n), &mut touched);
        self.finish_op(touched)
    }
}
