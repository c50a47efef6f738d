//! Cross-model relations (`juju offer`, `juju consume`, `juju integrate`
//! with a SAAS name): what each end of a cross-model relation sees of the
//! other. The simulator holds both applications; each side sees the other
//! as Juju shows a remote application (Juju 3.x):
//!
//! - the consuming side sees the offering application under the SAAS name
//!   it consumed the offer as (`juju consume … ALIAS`), its units
//!   `ALIAS/N`;
//! - the offering side sees the consuming application as
//!   `remote-<token>` (`apiserver/facades/controller/crossmodelrelations`
//!   names it from the consumer's application token, dashes removed), its
//!   units `remote-<token>/N`;
//! - `relation-model-get` gives each side the other model's UUID.
//!
//! The names each side sees are made where a unit's view is projected
//! (`project.rs`: `remote_app_seen`, `unit_seen`).

use serde::{Deserialize, Serialize};

/// An offer (`juju offer APP:EP[,EP] [NAME]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub app: String,
    pub endpoints: Vec<String>,
}

/// What makes a relation cross-model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossModel {
    /// The offering application and its offer.
    pub offerer: String,
    pub offer: String,
    /// The SAAS name the consumer knows the offer by.
    pub saas: String,
    /// The consuming application's token (32 hex digits): the offering
    /// side names it `remote-<token>`.
    pub token: String,
    /// The two models' UUIDs, as each side's `relation-model-get` shows
    /// the other's.
    pub offerer_model: String,
    pub consumer_model: String,
}

impl CrossModel {
    /// The cross-model facts of a relation between `consumer` and the
    /// offer `offer` of `offerer`, consumed as `saas`, in the model `uuid`.
    pub fn new(uuid: &str, offer: &str, offerer: &str, saas: &str, consumer: &str) -> Self {
        let hex = |what: &str| {
            use sha2::{Digest, Sha256};
            let d = Sha256::digest(format!("{uuid}|{what}").as_bytes());
            d[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let as_uuid = |h: String| {
            format!(
                "{}-{}-4{}-8{}-{}",
                &h[..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            )
        };
        CrossModel {
            offerer: offerer.into(),
            offer: offer.into(),
            saas: saas.into(),
            token: hex(&format!("token|{consumer}|{saas}")),
            offerer_model: as_uuid(hex(&format!("offerer|{offer}"))),
            consumer_model: as_uuid(hex(&format!("consumer|{consumer}"))),
        }
    }
}
