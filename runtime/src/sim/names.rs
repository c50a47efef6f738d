//! Unit names as the simulator keys them: `app/N`, ordered by application
//! and then by number (so `app/2` sorts before `app/10`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A unit's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitName {
    pub app: String,
    pub n: u32,
}

impl UnitName {
    pub fn new(app: &str, n: u32) -> UnitName {
        UnitName {
            app: app.to_string(),
            n,
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
        let (app, n) = crate::charm::names::parse_unit(s)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
