//! What charmbox knows about a charm: its `charmcraft.yaml` metadata and
//! where its component lives.

pub mod metadata;
pub mod names;

pub use metadata::{CharmMeta, ConfigOption, ConfigType, Endpoint, MetaError, StorageCount};
