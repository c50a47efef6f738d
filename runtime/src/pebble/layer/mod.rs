//! Pebble layers: the schema, parsing with Pebble's errors, combining,
//! validation, service ordering and rendering.

pub mod combine;
pub mod decode;
pub mod model;
pub mod order;
pub mod render;
pub mod shlex;
pub mod validate;

pub use model::*;

use crate::pebble::accounts::Accounts;

/// `plan.ParseLayer`: decode and validate layer YAML.
pub fn parse(
    order: i64,
    label: &str,
    text: &str,
    accounts: &Accounts,
) -> Result<Layer, FormatError> {
    let decoded = decode::decode(label, text)?;
    validate::validate_layer(order, label, decoded, accounts)
}
