//! The host's representation of the `juju:charm` resources, as bindgen's
//! `with:` maps them: plain data, so the bindings depend on no host module.

/// A guest's handle on one container (the `pebble.container` resource).
#[derive(Debug, Clone)]
pub struct ContainerHandle {
    /// The container's name, as charmcraft.yaml declares it.
    pub name: String,
}
