//! The memory a backend holds for one unit during a dispatch, charged by
//! the backend as the guest asks for it: log messages, and the unit's model
//! data as it would stand after the hook. A request that would take either
//! over its limit is refused before anything changes.

use std::collections::BTreeMap;

use super::{Exceeded, HostLimits, Limit, check};

/// One dispatch's memory accounting (see the module).
#[derive(Debug, Clone, Default)]
pub struct Budget {
    limits: HostLimits,
    logged: usize,
    data: usize,
}

impl Budget {
    /// A budget under `limits`, the unit already holding `data` bytes of
    /// model data (from the input State).
    pub fn new(limits: HostLimits, data: usize) -> Budget {
        Budget {
            limits,
            logged: 0,
            data,
        }
    }

    /// The limits it charges against.
    pub fn limits(&self) -> &HostLimits {
        &self.limits
    }

    /// Replace the limits (the runtime's, set when the dispatch starts).
    pub fn set_limits(&mut self, limits: HostLimits) {
        self.limits = limits;
    }

    /// Bytes of model data the unit holds now.
    pub fn data(&self) -> usize {
        self.data
    }

    /// Charge a log message of `bytes`.
    pub fn log(&mut self, bytes: usize) -> Result<(), Exceeded> {
        let after = self.logged.saturating_add(bytes);
        check(Limit::Log, after as u64, self.limits.log_bytes as u64)?;
        self.logged = after;
        Ok(())
    }

    /// Model data of `old` bytes becomes `new` bytes. Shrinking always
    /// succeeds, so a unit over its limit can still clean up.
    pub fn replace(&mut self, old: usize, new: usize) -> Result<(), Exceeded> {
        let after = self.data.saturating_sub(old).saturating_add(new);
        if new > old {
            check(Limit::Data, after as u64, self.limits.data_bytes as u64)?;
        }
        self.data = after;
        Ok(())
    }
}

/// The bytes of the keys in `settings` before and after writing them into
/// `bag` (keys plus values; a later duplicate key wins; with
/// `empty_deletes`, an empty value removes the key).
pub fn bag_delta<'a>(
    bag: &BTreeMap<String, String>,
    settings: impl IntoIterator<Item = (&'a String, &'a String)>,
    empty_deletes: bool,
) -> (usize, usize) {
    let mut after: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, v) in settings {
        let size = if empty_deletes && v.is_empty() {
            0
        } else {
            k.len() + v.len()
        };
        after.insert(k, size);
    }
    let old = after
        .keys()
        .filter_map(|k| bag.get_key_value(*k))
        .map(|(k, v)| k.len() + v.len())
        .sum();
    (old, after.values().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(data: usize, log: usize) -> HostLimits {
        HostLimits {
            data_bytes: data,
            log_bytes: log,
            ..HostLimits::default()
        }
    }

    #[test]
    fn data_is_held_not_written_and_shrinking_is_always_allowed() {
        let mut b = Budget::new(limits(100, 10), 90);
        assert!(b.replace(0, 10).is_ok());
        let e = b.replace(0, 1).unwrap_err();
        assert_eq!((e.limit, e.asked, e.max), (Limit::Data, 101, 100));
        // Replacing a value by one of the same size, again and again: fine.
        for _ in 0..1000 {
            b.replace(10, 10).unwrap();
        }
        assert!(b.replace(50, 0).is_ok());
        assert_eq!(b.data(), 50);
        // Over the limit already (a big input State): shrinking still works.
        let mut over = Budget::new(limits(10, 10), 500);
        assert!(over.replace(100, 1).is_ok());
        assert!(over.replace(1, 2).is_err());
    }

    #[test]
    fn logs_accumulate() {
        let mut b = Budget::new(limits(100, 10), 0);
        b.log(6).unwrap();
        assert!(b.log(5).is_err());
        b.log(4).unwrap();
    }

    #[test]
    fn bag_delta_counts_keys_once_and_deletions() {
        let bag: BTreeMap<String, String> = [("a".into(), "123".into())].into();
        let s = |k: &str, v: &str| (k.to_string(), v.to_string());
        let settings = [s("a", "1"), s("b", "22"), s("a", "12345")];
        assert_eq!(
            bag_delta(&bag, settings.iter().map(|(k, v)| (k, v)), true),
            (4, 6 + 3)
        );
        let del = [s("a", "")];
        assert_eq!(
            bag_delta(&bag, del.iter().map(|(k, v)| (k, v)), true),
            (4, 0)
        );
        assert_eq!(
            bag_delta(&bag, del.iter().map(|(k, v)| (k, v)), false),
            (4, 1)
        );
    }
}
