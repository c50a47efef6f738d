//! Notices (`state/notices.go`): de-duplicated by (user, type, key), with
//! occurrence counts, `repeat-after` throttling of `last-repeated`, and a
//! default expiry of a week after the last occurrence.

use std::collections::BTreeMap;

use crate::go::duration::{Duration, HOUR};
use crate::pebble::clock::Instant;

/// Notices expire this long after their last occurrence unless told.
pub const DEFAULT_EXPIRE_AFTER: Duration = Duration(7 * 24 * HOUR);

/// One notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: String,
    pub user_id: Option<u32>,
    pub type_: String,
    pub key: String,
    pub first_occurred: Instant,
    pub last_occurred: Instant,
    pub last_repeated: Instant,
    pub occurrences: u32,
    pub last_data: BTreeMap<String, String>,
    pub repeat_after: Option<Duration>,
    pub expire_after: Option<Duration>,
}

/// What to select (`GET /v1/notices`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub types: Vec<String>,
    pub keys: Vec<String>,
    pub after: Option<Instant>,
    /// `None`: the caller's and public notices; `Some(None)`: all users.
    pub user: Option<Option<u32>>,
}

/// All notices of one Pebble.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    pub list: Vec<Notice>,
    pub last_id: u64,
}

/// The notice types Pebble knows.
pub const TYPES: [&str; 3] = ["change-update", "custom", "warning"];

impl Notices {
    /// Record an occurrence; returns the notice id.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        now: Instant,
        user_id: Option<u32>,
        type_: &str,
        key: &str,
        data: BTreeMap<String, String>,
        repeat_after: Option<Duration>,
    ) -> String {
        self.prune(now);
        if let Some(n) = self
            .list
            .iter_mut()
            .find(|n| n.user_id == user_id && n.type_ == type_ && n.key == key)
        {
            n.occurrences += 1;
            n.last_occurred = now;
            n.last_data = data;
            let due = match repeat_after {
                None => true,
                Some(r) if r.0 == 0 => true,
                Some(r) => now > n.last_repeated.saturating_add(r.0),
            };
            if due {
                n.last_repeated = now;
            }
            n.repeat_after = repeat_after;
            return n.id.clone();
        }
        self.last_id += 1;
        let id = self.last_id.to_string();
        self.list.push(Notice {
            id: id.clone(),
            user_id,
            type_: type_.to_string(),
            key: key.to_string(),
            first_occurred: now,
            last_occurred: now,
            last_repeated: now,
            occurrences: 1,
            last_data: data,
            repeat_after,
            expire_after: Some(DEFAULT_EXPIRE_AFTER),
        });
        id
    }

    /// Drop notices past their expiry.
    pub fn prune(&mut self, now: Instant) {
        self.list.retain(|n| {
            let expire = n.expire_after.unwrap_or(DEFAULT_EXPIRE_AFTER);
            n.last_occurred.saturating_add(expire.0) >= now
        });
    }

    fn visible(n: &Notice, user: Option<Option<u32>>, caller: u32) -> bool {
        match user {
            Some(None) => true,
            Some(Some(uid)) => n.user_id.is_none() || n.user_id == Some(uid),
            None => n.user_id.is_none() || n.user_id == Some(caller),
        }
    }

    /// The notices matching `f`, ordered by `last-repeated`.
    pub fn select(&self, f: &Filter, caller: u32) -> Vec<Notice> {
        let types: Vec<&String> = f
            .types
            .iter()
            .filter(|t| TYPES.contains(&t.as_str()))
            .collect();
        if !f.types.is_empty() && types.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Notice> = self
            .list
            .iter()
            .filter(|n| Self::visible(n, f.user, caller))
            .filter(|n| types.is_empty() || types.iter().any(|t| **t == n.type_))
            .filter(|n| f.keys.is_empty() || f.keys.contains(&n.key))
            .filter(|n| f.after.is_none_or(|a| n.last_repeated > a))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            a.last_repeated
                .cmp(&b.last_repeated)
                .then_with(|| a.id.parse::<u64>().ok().cmp(&b.id.parse::<u64>().ok()))
        });
        out
    }

    pub fn get(&self, id: &str) -> Option<&Notice> {
        self.list.iter().find(|n| n.id == id)
    }
}

/// Whether `key` is a valid custom notice key (`domain.tld/path`).
pub fn valid_custom_key(key: &str) -> bool {
    fn label(s: &str) -> bool {
        !s.is_empty()
            && s.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    }
    if key.len() > 256 {
        return false;
    }
    let Some((domain, path)) = key.split_once('/') else {
        return false;
    };
    let parts: Vec<&str> = domain.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| label(p)) && path.split('/').all(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_keys() {
        let mut n = Notices::default();
        let a = n.add(
            10,
            Some(0),
            "custom",
            "example.com/a",
            BTreeMap::new(),
            None,
        );
        let b = n.add(
            20,
            Some(0),
            "custom",
            "example.com/a",
            BTreeMap::new(),
            None,
        );
        assert_eq!(a, b);
        assert_eq!(n.list[0].occurrences, 2);
        assert_eq!(n.list[0].last_repeated, 20);
        n.add(
            25,
            Some(0),
            "custom",
            "example.com/a",
            BTreeMap::new(),
            Some(Duration(100)),
        );
        assert_eq!(n.list[0].last_repeated, 20);
        assert!(valid_custom_key("example.com/a/b-c"));
        assert!(valid_custom_key("canonical.com/foo"));
        assert!(!valid_custom_key("example/a"));
        assert!(!valid_custom_key("Example.com/a"));
        assert!(!valid_custom_key("example.com/"));
    }
}
