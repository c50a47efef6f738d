//! YAML as the Go libraries write it: gopkg.in/yaml.v2 `Marshal` for Juju's
//! hook tools ([`v2`]) and gopkg.in/yaml.v3 for Pebble ([`v3`]), over the
//! scalar rules they share ([`scalar`], [`resolve`]) and their map key
//! orders ([`sort`]).

pub mod resolve;
pub mod scalar;
pub mod sort;
pub mod v2;
pub mod v3;

/// Which yaml library's rules apply where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// gopkg.in/yaml.v2 (v2.4.0), as Juju's formatters use it.
    V2,
    /// gopkg.in/yaml.v3, as Pebble uses it.
    V3,
}
