//! Unit names as the simulator keys them: `app/N`, ordered by application
//! and then by number (so `app/2` sorts before `app/10`). Application names
//! are interned: a unit name clones without allocating, and two names of
//! the same application compare by pointer before any byte is read (the
//! simulator's maps and sets are keyed by unit name, and a write wakes
//! hundreds of watchers).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An application's name, interned: equal names share one allocation.
/// Ordered, compared and hashed as the text.
#[derive(Clone)]
pub struct AppName(Arc<str>);

impl AppName {
    /// The interned name `name`.
    pub fn new(name: &str) -> AppName {
        static NAMES: OnceLock<Mutex<HashSet<Arc<str>>>> = OnceLock::new();
        let mut names = NAMES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(a) = names.get(name) {
            return AppName(a.clone());
        }
        let a: Arc<str> = Arc::from(name);
        names.insert(a.clone());
        AppName(a)
    }

    /// `name` for a lookup, not interned: equal to (and ordered and hashed
    /// as) the interned name, without taking the interning lock. For keys
    /// built only to search, such as a range's bounds, which every thread
    /// projecting a batch builds.
    pub fn transient(name: &str) -> AppName {
        AppName(Arc::from(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for AppName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq for AppName {
    fn eq(&self, other: &AppName) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for AppName {}

impl PartialEq<str> for AppName {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<String> for AppName {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<AppName> for String {
    fn eq(&self, other: &AppName) -> bool {
        self.as_str() == &*other.0
    }
}

impl Ord for AppName {
    fn cmp(&self, other: &AppName) -> Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl PartialOrd for AppName {
    fn partial_cmp(&self, other: &AppName) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for AppName {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}

impl fmt::Debug for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `a` and `b` ordered as their decimal text (`10` before `2`), without
/// writing it: the shorter number is scaled to the longer one's digits, and
/// if they are then equal the shorter text is a prefix of the longer.
fn cmp_decimal(a: u32, b: u32) -> Ordering {
    let digits = |n: u32| n.checked_ilog10().unwrap_or(0) + 1;
    let (da, db) = (digits(a), digits(b));
    let x = u64::from(a) * 10u64.pow(db.saturating_sub(da));
    let y = u64::from(b) * 10u64.pow(da.saturating_sub(db));
    x.cmp(&y).then(da.cmp(&db))
}

/// A unit's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitName {
    pub app: AppName,
    pub n: u32,
}

impl UnitName {
    pub fn new(app: &str, n: u32) -> UnitName {
        UnitName {
            app: AppName::new(app),
            n,
        }
    }
}

impl UnitName {
    /// Whether `s` is this name's text (`app/N`), without writing it out:
    /// the simulator compares grants, stored as text, on every hook.
    pub fn is_text(&self, s: &str) -> bool {
        let Some(digits) = (s.strip_prefix(self.app.as_str())).and_then(|r| r.strip_prefix('/'))
        else {
            return false;
        };
        let mut buf = [0u8; 10];
        let (mut i, mut n) = (buf.len(), self.n);
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits.as_bytes() == &buf[i..]
    }

    /// Order as the text `app/N`, as Juju sorts unit names (Go's
    /// `sort.Strings`): `app/10` before `app/2`, `a-b/1` before `a/1`.
    pub fn cmp_text(&self, other: &UnitName) -> Ordering {
        if self.app == other.app {
            return cmp_decimal(self.n, other.n);
        }
        // Different names: compare them as if each ended in `/`, which no
        // application name holds, so one name's end is never a tie.
        let (a, b) = (self.app.as_bytes(), other.app.as_bytes());
        let k = a.len().min(b.len());
        match a[..k].cmp(&b[..k]) {
            Ordering::Equal => {
                let next = |s: &[u8]| s.get(k).copied().unwrap_or(b'/');
                next(a).cmp(&next(b))
            }
            o => o,
        }
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app, self.n)
    }
}

impl FromStr for UnitName {
    type Err = String;

    fn from_str(s: &str) -> Result<UnitName, String> {
        let (app, n) = crate::juju::names::parse_unit(s)?;
        Ok(UnitName::new(app, n))
    }
}

impl Serialize for UnitName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UnitName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UnitName, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A unit name ordered as its text ([`UnitName::cmp_text`]): a set of
/// these yields names in the order Juju's resolver walks them, so the
/// first that qualifies is the one it would pick.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextOrdered(pub UnitName);

impl Ord for TextOrdered {
    fn cmp(&self, other: &TextOrdered) -> Ordering {
        self.0.cmp_text(&other.0)
    }
}

impl PartialOrd for TextOrdered {
    fn partial_cmp(&self, other: &TextOrdered) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Names, interned or not, are ordered and compared exactly as
        /// their text (NUL bytes, one a prefix of the other).
        #[test]
        fn ordered_as_the_text(
            a in "[a\\x00-]{0,3}[a-c0\\x00]{0,10}",
            b in "[a\\x00-]{0,3}[a-c0\\x00]{0,10}",
        ) {
            for (x, y) in [
                (AppName::new(&a), AppName::new(&b)),
                (AppName::transient(&a), AppName::new(&b)),
            ] {
                proptest::prop_assert_eq!(x.cmp(&y), a.cmp(&b));
                proptest::prop_assert_eq!(x == y, a == b);
            }
        }
    }

    proptest::proptest! {
        /// `is_text` says exactly what comparing with the written name
        /// says: leading zeros, signs, a missing or extra slash, a name
        /// that is a prefix of the other.
        #[test]
        fn is_text_is_the_written_comparison(
            app in "[ab-]{1,3}",
            n in proptest::prop_oneof![0u32..12, proptest::num::u32::ANY],
            s in "[ab/+0-9-]{0,14}",
        ) {
            let name = UnitName::new(&app, n);
            let written = name.to_string();
            proptest::prop_assert!(name.is_text(&written));
            proptest::prop_assert_eq!(name.is_text(&s), s == written);
            for near in [format!("{app}/0{n}"), format!("{app}/+{n}"), format!("{app}{n}"),
                         format!("{app}/{n}/"), format!("{app}a/{n}"), format!("{app}/{n}0")] {
                proptest::prop_assert!(!name.is_text(&near));
            }
        }
    }

    #[test]
    fn a_transient_name_finds_the_interned_one() {
        use std::collections::{BTreeMap, HashSet};
        let interned = AppName::new("db");
        let transient = AppName::transient("db");
        assert!(!Arc::ptr_eq(&interned.0, &transient.0));
        assert_eq!(interned, transient);
        assert_eq!(interned.cmp(&transient), Ordering::Equal);
        assert!(HashSet::from([interned.clone()]).contains(&transient));
        let units: BTreeMap<UnitName, ()> = ["d/1", "db/2", "db/10", "dba/0"]
            .iter()
            .map(|u| (u.parse().unwrap(), ()))
            .collect();
        let bounds = UnitName {
            app: transient.clone(),
            n: 0,
        }..=UnitName {
            app: transient,
            n: u32::MAX,
        };
        let found: Vec<String> = units.range(bounds).map(|(u, _)| u.to_string()).collect();
        assert_eq!(found, ["db/2", "db/10"]);
    }

    #[test]
    fn numeric_order_and_round_trip() {
        let a: UnitName = "app/2".parse().unwrap();
        let b: UnitName = "app/10".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "app/10");
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(j, "\"app/2\"");
        assert_eq!(serde_json::from_str::<UnitName>(&j).unwrap(), a);
        assert!("app".parse::<UnitName>().is_err());
    }

    /// Juju sorts unit names as strings (`relation/resolver.go`
    /// `nextHookForRelation`: `allUnitNames.SortedValues()`).
    #[test]
    fn text_order_is_go_string_order() {
        let mut v = [
            UnitName::new("many", 2),
            UnitName::new("many", 10),
            UnitName::new("a", 1),
            UnitName::new("a-b", 1),
            UnitName::new("many", 1),
            UnitName::new("many", 0),
        ];
        v.sort_by(UnitName::cmp_text);
        let shown: Vec<String> = v.iter().map(|u| u.to_string()).collect();
        let mut want = shown.clone();
        want.sort();
        assert_eq!(shown, want);
        assert_eq!(
            shown,
            ["a-b/1", "a/1", "many/0", "many/1", "many/10", "many/2"]
        );
    }

    #[test]
    fn numbers_order_as_their_digits() {
        use std::cmp::Ordering::*;
        for (a, b, want) in [
            (1, 10, Less),
            (2, 10, Greater),
            (10, 1, Greater),
            (0, 0, Equal),
            (0, 10, Less),
            (100, 10, Greater),
            (u32::MAX, 4, Greater),
            (u32::MAX, 5, Less),
            (u32::MAX, u32::MAX, Equal),
        ] {
            assert_eq!(super::cmp_decimal(a, b), want, "{a} vs {b}");
            assert_eq!(want, a.to_string().cmp(&b.to_string()));
        }
    }

    proptest::proptest! {
        /// Names of one application and of different ones order as their
        /// text does.
        #[test]
        fn text_order_is_the_order_of_the_text(
            a in proptest::sample::select(vec!["a", "a-b", "ab", "a0", "many", "ma", "b"]),
            b in proptest::sample::select(vec!["a", "a-b", "ab", "a0", "many", "ma", "b"]),
            n in proptest::prop_oneof![0u32..1_000, proptest::num::u32::ANY],
            m in proptest::prop_oneof![0u32..1_000, proptest::num::u32::ANY],
        ) {
            let (x, y) = (UnitName::new(a, n), UnitName::new(b, m));
            proptest::prop_assert_eq!(x.cmp_text(&y), x.to_string().cmp(&y.to_string()));
        }
    }

    #[test]
    fn interned_names_order_and_compare_as_text() {
        let a = UnitName::new("b", 1);
        let b: UnitName = "b/1".parse().unwrap();
        assert!(Arc::ptr_eq(&a.app.0, &b.app.0), "one allocation per name");
        assert_eq!(a, b);
        let mut v = [
            UnitName::new("b", 10),
            UnitName::new("a-b", 3),
            UnitName::new("b", 2),
            UnitName::new("ab", 1),
        ];
        v.sort();
        let shown: Vec<String> = v.iter().map(|u| u.to_string()).collect();
        assert_eq!(shown, ["a-b/3", "ab/1", "b/2", "b/10"]);
        assert_eq!(a.app, "b".to_string());
        assert!(a.app == *"b");
    }
}
