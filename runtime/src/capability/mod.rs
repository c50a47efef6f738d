//! What a charm may reach beyond the sandbox, and on what terms: the
//! programs it runs on its machine ([`machine`]), the machine directories
//! it writes ([`machine_files`]), the Kubernetes API
//! operations it uses ([`kubernetes`]) and HTTP to its own workloads on
//! loopback ([`loopback`], answered from the State). The charm declares them in
//! charmcraft.yaml; the run grants them (machine commands) or Juju's trust
//! does (Kubernetes). Every backend applies these same checks.

pub mod kubernetes;
pub mod loopback;
pub mod machine;
pub mod machine_files;
