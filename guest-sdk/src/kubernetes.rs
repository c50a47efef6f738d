//! The Kubernetes API, as far as charmbox lets a sidecar charm use it: its
//! StatefulSet's rolling-update partition, which in-place upgrade
//! protocols move. The charm declares `charmbox: kubernetes:
//! [statefulset-partition]` in charmcraft.yaml, and the application must
//! be trusted (`juju trust`).

use crate::bindings::juju::charm::kubernetes as raw;

/// Why a Kubernetes call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubernetesError {
    /// The charm does not declare the operation in charmcraft.yaml.
    NotDeclared(String),
    /// The application is not trusted (`juju trust`).
    NotTrusted(String),
    /// Not a Kubernetes model, or no API to reach.
    Unavailable(String),
}

impl std::fmt::Display for KubernetesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KubernetesError::NotDeclared(m)
            | KubernetesError::NotTrusted(m)
            | KubernetesError::Unavailable(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for KubernetesError {}

impl From<raw::KubernetesError> for KubernetesError {
    fn from(e: raw::KubernetesError) -> Self {
        match e {
            raw::KubernetesError::NotDeclared(m) => KubernetesError::NotDeclared(m),
            raw::KubernetesError::NotTrusted(m) => KubernetesError::NotTrusted(m),
            raw::KubernetesError::Unavailable(m) => KubernetesError::Unavailable(m),
        }
    }
}

/// The rolling-update partition of this application's StatefulSet.
pub fn statefulset_partition() -> Result<u32, KubernetesError> {
    Ok(raw::statefulset_partition()?)
}

/// Patch the partition: pods with a lower ordinal keep their revision.
pub fn set_statefulset_partition(partition: u32) -> Result<(), KubernetesError> {
    Ok(raw::set_statefulset_partition(partition)?)
}

/// Whether the charm runs in a Kubernetes model it may patch: the
/// partition answers, or is refused only for want of trust (a charm that
/// does not declare `statefulset-partition` gets false).
pub fn partition_reachable() -> bool {
    matches!(
        statefulset_partition(),
        Ok(_) | Err(KubernetesError::NotTrusted(_))
    )
}
