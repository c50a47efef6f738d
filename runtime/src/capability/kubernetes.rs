//! Which Kubernetes API operations a charm may use: those it declares in
//! charmcraft.yaml (`charmbox.kubernetes`), in a Kubernetes model, once the
//! application is trusted (`juju trust`). Every backend applies this check.

use std::collections::BTreeSet;

use crate::bindings::kubernetes::KubernetesError;

/// The operation a charm declares to read and patch its StatefulSet's
/// rolling-update partition.
pub const STATEFULSET_PARTITION: &str = "statefulset-partition";

/// Every operation a charm may declare under `charmbox: kubernetes:`.
pub const OPERATIONS: [&str; 1] = [STATEFULSET_PARTITION];

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
