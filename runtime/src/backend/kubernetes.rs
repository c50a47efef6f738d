//! The `kubernetes` interface as a backend trait: the few Kubernetes API
//! operations a charm may declare (its StatefulSet's partition), refused
//! unless declared and trusted.

use std::collections::BTreeSet;

pub use crate::bindings::kubernetes::KubernetesError;

/// An operation's answer (a partition), a refusal, or a fatal host
/// problem (the guest traps).
pub type KubernetesResult = Result<Result<u32, KubernetesError>, String>;

/// The operation a charm declares to read and patch its StatefulSet's
/// rolling-update partition.
pub const STATEFULSET_PARTITION: &str = "statefulset-partition";

/// Every operation a charm may declare under `charmbox: kubernetes:`.
pub const OPERATIONS: [&str; 1] = [STATEFULSET_PARTITION];

/// The Kubernetes API for one dispatch.
pub trait KubernetesBackend {
    /// The StatefulSet's partition.
    fn statefulset_partition(&mut self) -> KubernetesResult;
    /// Patch the StatefulSet's partition; answers the new partition.
    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult;
}

/// Whether a charm that declares `declared` may use `operation`, in a
/// model of type `model_type`, trusted or not.
pub fn check(
    operation: &str,
    declared: &BTreeSet<String>,
    model_type: &str,
    trusted: bool,
) -> Result<(), KubernetesError> {
    if !declared.contains(operation) {
        return Err(KubernetesError::NotDeclared(format!(
            "{operation:?} is not declared: a charm uses only the Kubernetes operations it \
             lists under `charmbox: kubernetes:` in charmcraft.yaml"
        )));
    }
    if model_type != "kubernetes" {
        return Err(KubernetesError::Unavailable(format!(
            "{operation:?}: this is a {model_type} model, not a Kubernetes one"
        )));
    }
    if !trusted {
        return Err(KubernetesError::NotTrusted(
            "the application is not trusted: the Kubernetes API needs `juju trust` \
             (the State's `trusted`, the simulator's `trust` step)"
                .into(),
        ));
    }
    Ok(())
}

/// Check the operations declared in charmcraft.yaml.
pub fn declared(names: Vec<String>) -> Result<BTreeSet<String>, String> {
    for n in &names {
        if !OPERATIONS.contains(&n.as_str()) {
            return Err(format!(
                "unknown Kubernetes operation {n:?} (charmbox offers: {})",
                OPERATIONS.join(", ")
            ));
        }
    }
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_needs_a_declaration_a_kubernetes_model_and_trust() {
        let d: BTreeSet<String> = [STATEFULSET_PARTITION.to_string()].into();
        let none = BTreeSet::new();
        let op = STATEFULSET_PARTITION;
        assert!(check(op, &d, "kubernetes", true).is_ok());
        let cases = [
            (check(op, &none, "kubernetes", true), "not-declared"),
            (check(op, &d, "machine", true), "unavailable"),
            (check(op, &d, "kubernetes", false), "not-trusted"),
        ];
        for (got, want) in cases {
            let kind = match got.unwrap_err() {
                KubernetesError::NotDeclared(_) => "not-declared",
                KubernetesError::NotTrusted(_) => "not-trusted",
                KubernetesError::Unavailable(_) => "unavailable",
            };
            assert_eq!(kind, want);
        }
        assert!(declared(vec!["pods".into()]).is_err());
    }
}
