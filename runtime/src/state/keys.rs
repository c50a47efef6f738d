//! Maps keyed by numbers (unit numbers, relation ids) as JSON writes them:
//! string keys, parsed back into numbers whatever the deserializer buffers.

use std::collections::BTreeMap;

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// Deserialize a map whose keys are decimal numbers.
pub fn numeric_keys<'de, D, V>(d: D) -> Result<BTreeMap<u32, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let raw = BTreeMap::<String, V>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| match k.parse::<u32>() {
            Ok(n) => Ok((n, v)),
            Err(_) => Err(D::Error::custom(format!(
                "expected a number as map key, got {k:?}"
            ))),
        })
        .collect()
}
