//! The `kubernetes` interface as a backend trait: the few Kubernetes API
//! operations a charm may declare (its StatefulSet's partition), refused
//! unless declared and trusted.

pub use crate::bindings::kubernetes::KubernetesError;
pub use crate::capability::kubernetes::{OPERATIONS, STATEFULSET_PARTITION, check};

/// An operation's answer (a partition), a refusal, or a fatal host
/// problem (the guest traps).
pub type KubernetesResult = Result<Result<u32, KubernetesError>, String>;

/// The Kubernetes API for one dispatch.
pub trait KubernetesBackend {
    /// The StatefulSet's partition.
    fn statefulset_partition(&mut self) -> KubernetesResult;
    /// Patch the StatefulSet's partition; answers the new partition.
    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult;
}
