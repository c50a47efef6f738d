//! What charmbox knows about a charm: its `charmcraft.yaml` metadata and
//! where its component lives. Juju's naming rules are in [`crate::juju`].

pub mod metadata;

pub use metadata::{
    CharmMeta, ConfigOption, ConfigType, Endpoint, MetaError, RelationKind, StorageCount,
};
