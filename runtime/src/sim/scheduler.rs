//! The seeded scheduler: which unit runs next, and virtual time.
//!
//! The ready set is exactly the units whose resolver has a hook at the
//! current time, kept sorted; it is recomputed for the units a hook or an
//! operation touched, and rebuilt from the model when a model is opened.
//! The next unit is drawn from it with a counter-based generator (the
//! model's seed and the number of draws so far), so the interleaving
//! depends only on the seed and the operations — and a reopened model
//! continues the very sequence it would have run.

use super::model::Model;
use super::names::UnitName;
use super::resolver::next_hook;
use crate::state::splitmix64 as mix;

/// The next draw of the model's generator.
pub fn draw(m: &mut Model) -> u64 {
    let meta = m.meta_mut();
    meta.draws += 1;
    mix(meta.seed ^ mix(meta.draws))
}

/// A draw as a float in [0, 1).
pub fn draw_unit(m: &mut Model) -> f64 {
    (draw(m) >> 11) as f64 / (1u64 << 53) as f64
}

/// The units with a hook to run now, sorted.
#[derive(Debug, Default)]
pub struct Ready {
    units: Vec<UnitName>,
}

impl Ready {
    /// Everything runnable in `m`.
    pub fn rebuild(m: &Model) -> Ready {
        let now = m.meta.now;
        let units = m
            .units
            .keys()
            .filter(|u| next_hook(m, u, now, 0).is_some())
            .cloned()
            .collect();
        Ready { units }
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn units(&self) -> &[UnitName] {
        &self.units
    }

    /// Re-ask the resolver about `u`.
    pub fn update(&mut self, m: &Model, u: &UnitName) {
        let runnable = next_hook(m, u, m.meta.now, 0).is_some();
        match (self.units.binary_search(u), runnable) {
            (Ok(_), true) | (Err(_), false) => {}
            (Ok(i), false) => {
                self.units.remove(i);
            }
            (Err(i), true) => self.units.insert(i, u.clone()),
        }
    }

    /// `u` was woken (work added, none taken away): it stays ready if it
    /// was; otherwise ask the resolver.
    pub fn wake(&mut self, m: &Model, u: &UnitName) {
        if self.units.binary_search(u).is_err() {
            self.update(m, u);
        }
    }

    /// Draw the next unit.
    pub fn pick(&self, m: &mut Model) -> Option<UnitName> {
        if self.units.is_empty() {
            return None;
        }
        let i = (draw(m) % self.units.len() as u64) as usize;
        Some(self.units[i].clone())
    }
}

/// The earliest timer after now: a hook retry, update-status, or a
/// secret's rotation or expiry.
pub fn next_timer(m: &Model) -> Option<u64> {
    let units = (m.units.values()).flat_map(|u| [u.agent.next_timer(), u.force_removal_at]);
    let units = units.flatten();
    let secrets = m
        .secrets
        .values()
        .flat_map(|s| [s.rotate_at, s.expire_at])
        .flatten();
    units.chain(secrets).filter(|t| *t > m.meta.now).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_is_a_bijection_sample() {
        let a: Vec<u64> = (0..1000).map(mix).collect();
        let mut b = a.clone();
        b.sort();
        b.dedup();
        assert_eq!(b.len(), 1000);
    }
}
