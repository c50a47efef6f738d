//! A unit's workload status in the model, written only through
//! `Model::set_status_of`, and the per-application revision that write
//! moves. A unit's projection keeps the statuses of its peers (and of each
//! relation's remote units) from its last hook, and copies them again only
//! when the revision of their application moved since: about 300 statuses
//! per hook in a 1,000-unit model, otherwise copied and checked each time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::state::StatusState;

/// A unit's workload status: read through `Deref`, and it has no setter.
/// A unit's status is written through `Model::set_status_of`, which moves
/// the revision, and a new unit's first one comes with
/// `Model::insert_unit`, which moves it too. Replacing the field
/// directly would skip the revision. The paranoid simulator check
/// (`CHARMBOX_SIM_CHECK`, on in the simulator's tests) compares every
/// kept projection with a full one and catches that. Its stamp is the
/// revision it was written at. Stamps are not persisted: a status read back
/// gets a new one.
#[derive(Clone)]
pub struct UnitStatus {
    status: StatusState,
    stamp: u64,
}

impl Serialize for UnitStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.status.serialize(s)
    }
}

/// Checked as a State's status is: the projections the model makes vouch
/// for every status in it, so the State check can skip them.
impl<'de> Deserialize<'de> for UnitStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UnitStatus, D::Error> {
        let s = StatusState::deserialize(d)?;
        crate::state::check::status_state(&s).map_err(serde::de::Error::custom)?;
        Ok(UnitStatus::new(s))
    }
}

impl UnitStatus {
    /// The status a new unit starts with.
    pub fn new(status: StatusState) -> UnitStatus {
        UnitStatus {
            status,
            stamp: next(),
        }
    }

    /// The revision this status was written at: later than the revision
    /// any projection built before the write was built from.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
}

impl Default for UnitStatus {
    fn default() -> Self {
        UnitStatus::new(StatusState::default())
    }
}

/// Shown as the status alone: the stamp is bookkeeping, and two models
/// that say the same print the same.
impl std::fmt::Debug for UnitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.status.fmt(f)
    }
}

/// Equal when they say the same, whenever written.
impl PartialEq for UnitStatus {
    fn eq(&self, other: &UnitStatus) -> bool {
        self.status == other.status
    }
}

impl std::ops::Deref for UnitStatus {
    type Target = StatusState;
    fn deref(&self) -> &StatusState {
        &self.status
    }
}

/// Revisions are drawn from one process-wide counter, so that no two
/// models (or a model and its reloaded copy) ever share a revision, and a
/// later write always has a larger one.
static NEXT: AtomicU64 = AtomicU64::new(1);

fn next() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Per application, two revisions: its units' statuses (moved by every
/// status write, to the written status's stamp) and its set of units
/// (moved when a unit is added or removed). Not persisted: a model read
/// back starts with new revisions, so nothing kept before can match them.
#[derive(Debug, Clone)]
pub struct StatusRevisions {
    base: u64,
    by_app: HashMap<String, Revs>,
}

/// One application's revisions (zero: none, as for a peer relation's
/// remote end).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revs {
    /// The stamp of the latest status written.
    pub statuses: u64,
    /// Moved whenever a unit was added or removed.
    pub members: u64,
}

impl Default for StatusRevisions {
    fn default() -> Self {
        StatusRevisions {
            base: next(),
            by_app: HashMap::new(),
        }
    }
}

impl StatusRevisions {
    /// `app`'s revisions.
    pub fn of(&self, app: &str) -> Revs {
        self.by_app.get(app).copied().unwrap_or(Revs {
            statuses: self.base,
            members: self.base,
        })
    }

    fn entry(&mut self, app: &str) -> &mut Revs {
        if !self.by_app.contains_key(app) {
            let r = self.of(app);
            self.by_app.insert(app.to_string(), r);
        }
        self.by_app.get_mut(app).expect("inserted")
    }

    /// A status of `app`'s was written with `stamp`.
    pub fn written(&mut self, app: &str, stamp: u64) {
        self.entry(app).statuses = stamp;
    }

    /// A unit of `app`'s was added or removed.
    pub fn members_moved(&mut self, app: &str) {
        let rev = next();
        *self.entry(app) = Revs {
            statuses: rev,
            members: rev,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_moves_only_its_application_and_revisions_only_grow() {
        let mut a = StatusRevisions::default();
        let b = StatusRevisions::default();
        assert_ne!(a.of("x"), b.of("x"), "two models never share a revision");
        let (x, y) = (a.of("x"), a.of("y"));
        let s = UnitStatus::default();
        assert!(s.stamp() > x.statuses, "a later write has a larger stamp");
        a.written("x", s.stamp());
        assert_eq!(a.of("x").statuses, s.stamp());
        assert_eq!(a.of("x").members, x.members, "a write is not a new member");
        assert_eq!(a.of("y"), y);
        a.members_moved("x");
        assert!(a.of("x").members > x.members);
        assert!(a.of("x").statuses > s.stamp());
    }

    #[test]
    fn a_status_read_back_is_checked() {
        for bad in [
            r#"{"status":"happy","message":""}"#,
            r#"{"status":"active","message":"","since":"yesterday"}"#,
        ] {
            let e = serde_json::from_str::<UnitStatus>(bad).unwrap_err();
            assert!(e.to_string().contains("status"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_status_read_back_says_the_same_with_a_new_stamp() {
        let s = UnitStatus::new(StatusState {
            status: "active".into(),
            message: "m".into(),
            since: Some("2026-01-01T00:00:00Z".into()),
        });
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"status":"active","message":"m","since":"2026-01-01T00:00:00Z"}"#
        );
        let back: UnitStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            format!("{back:?}"),
            format!("{s:?}"),
            "the stamp is not shown"
        );
        assert!(back.stamp() > s.stamp());
    }
}
