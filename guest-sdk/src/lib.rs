//! charmbox-sdk: write Juju charms in Rust, compiled to WebAssembly components
//! that charmbox runs.
//!
//! The vocabulary is the one `ops` authors know: a [`Model`] with the
//! [`Unit`], the [`Application`], [`config`](Model::config),
//! [`relations`](Model::relations) and their [databags](Relation::data);
//! [`Status`] values; [`StoredState`]; [`Container`]s driven through Pebble
//! with [`Layer`]s. A charm is a type implementing [`Charm`]; it receives each
//! Juju [`Event`] and routes it on [`Event::kind`]. [`export_charm!`] turns it
//! into the component's `juju:charm/handler` export.
//!
//! ```ignore
//! use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status};
//!
//! #[derive(Default)]
//! struct Demo;
//!
//! impl Charm for Demo {
//!     fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
//!         match event.kind() {
//!             EventKind::Start => model.unit().set_status(Status::active("")),
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! charmbox_sdk::export_charm!(Demo);
//! ```
//!
//! Every hook tool call goes straight to the host, which applies Juju's
//! semantics (buffered relation data with read-your-own-writes, leadership
//! checks, quotas). The crate needs no WASI: time and randomness come from
//! the [`sandbox`] import, logs go to `juju-log`.

#![warn(missing_docs)]

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
mod alloc;
mod defer;
mod error;
mod event;
pub mod kubernetes;
pub mod layer;
pub mod log;
pub mod loopback;
pub mod machine;
mod model;
pub mod pebble;
mod plan;
mod relation;
pub mod sandbox;
mod secret;
mod state;
pub mod upgrade;
pub mod version;
mod yaml;

/// Raw bindings generated from the `juju:charm` WIT world. Prefer the typed
/// wrappers of this crate; these are here for what they do not cover.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "charm",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_charm_world",
        default_bindings_module: "charmbox_sdk::bindings",
    });
}

pub use bindings::juju::charm::event::EventKind;
pub use bindings::juju::charm::types::{ConfigValue, HookError, LogLevel};
pub use error::{Error, ExecError, HookErrorKind};
pub use event::Event;
pub use layer::{Check, Layer, Override, Probe, Service, ServiceAction};
pub use model::{Application, Config, Model, Port, Protocol, Status, Unit};
pub use pebble::{Container, FileOptions};
pub use plan::Plan;
pub use relation::{DataOwner, Databag, Relation};
pub use secret::{Secret, SecretOptions, SecretRotatePolicy};
pub use state::StoredState;

/// Re-exported so charms can use `serde_json` without depending on it.
pub use serde_json;

/// A charm: built fresh for every event (each event runs in a fresh
/// instance, like a fresh `ops` process), then asked to handle it.
///
/// Anything that must outlive the event belongs in Juju: relation data,
/// [`StoredState`], leader settings or secrets.
pub trait Charm: Default {
    /// Handle one event (`ops`: the observers registered in `__init__`).
    ///
    /// Returning `Err` fails the hook: Juju sees exit 1 with the error's
    /// message, buffered changes (relation data, unit state, ports, secrets)
    /// are dropped, immediate ones (status, logs, leader settings) stay.
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error>;
}

/// Export a [`Charm`] as this component's `juju:charm/handler`.
///
/// Use it once, at the root of a `cdylib` crate:
///
/// ```ignore
/// charmbox_sdk::export_charm!(PeerCounter);
/// ```
#[macro_export]
macro_rules! export_charm {
    ($charm:ty) => {
        #[doc(hidden)]
        pub struct __CharmboxHandler;

        impl $crate::bindings::exports::juju::charm::handler::Guest for __CharmboxHandler {
            fn dispatch(
                event: $crate::bindings::juju::charm::event::Event,
            ) -> ::core::result::Result<(), ::std::string::String> {
                $crate::__private::dispatch::<$charm>(event)
            }
        }

        $crate::bindings::__export_charm_world!(__CharmboxHandler with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    use crate::bindings::juju::charm::event::Event as RawEvent;
    use crate::{Charm, Event, Model};

    /// What [`export_charm!`](crate::export_charm) calls for each event:
    /// the deferred events first (collect-metrics excepted, as in ops),
    /// then the event itself; what is still deferred is stored.
    pub fn dispatch<C: Charm>(raw: RawEvent) -> Result<(), String> {
        crate::sandbox::install_panic_hook();
        run::<C>(raw).map_err(|e| e.to_string())
    }

    fn run<C: Charm>(raw: RawEvent) -> Result<(), crate::Error> {
        use crate::bindings::juju::charm::event::EventKind;
        use crate::defer::{self, Deferred};
        let event = Event::new(raw);
        let model = Model::new(event.context());
        let mut charm = C::default();
        if event.kind() == EventKind::CollectMetrics {
            return charm.handle(&event, &model);
        }
        let before = defer::load()?;
        let mut still = Vec::new();
        for d in &before {
            crate::debug!("{}", d.describe());
            let again = Event::new(d.restore(event.raw())?);
            charm.handle(&again, &Model::new(again.context()))?;
            if again.is_deferred() {
                still.push(d.clone());
            }
        }
        charm.handle(&event, &model)?;
        if event.is_deferred() {
            crate::debug!("Deferring {}", event.hook_name());
            still.push(Deferred::of(event.raw()));
        }
        defer::save(&before, &still)
    }
}
