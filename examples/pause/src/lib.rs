//! pause: the charm of the Juju SDK how-to "How to run workloads with your
//! charm", in Rust. Pebble runs `/pause` in the `pause` container; the
//! charm gives Pebble the layer and keeps the service's environment in line
//! with the `timeout` option.

use charmbox_sdk::{
    Charm, Container, Error, Event, EventKind, Layer, Model, Service, Status, info,
};

/// The workload container, its Pebble layer label and its service.
const NAME: &str = "pause";

#[derive(Default)]
struct Pause;

impl Charm for Pause {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::PebbleReady => self.on_pebble_ready(model),
            EventKind::ConfigChanged => self.on_config_changed(model),
            _ => Ok(()),
        }
    }
}

impl Pause {
    /// Give Pebble the layer (combined into any earlier one of the same
    /// label) and start the services marked `startup: enabled`.
    fn on_pebble_ready(&self, model: &Model) -> Result<(), Error> {
        let container = model.unit().get_container(NAME)?;
        container.add_layer(NAME, &pause_layer(), true)?;
        container.autostart()?;
        model.unit().set_status(Status::active(""))
    }

    /// Merge `TIMEOUT` into the service's environment; restart the service
    /// only if that changed the plan.
    fn on_config_changed(&self, model: &Model) -> Result<(), Error> {
        let container = model.unit().get_container(NAME)?;
        if !container.can_connect() {
            info!("Pebble in the {NAME} container is not ready yet");
            return model.unit().set_status(Status::waiting(
                "waiting for Pebble in the workload container",
            ));
        }
        let before = container.get_plan_yaml()?;
        if !container.get_plan()?.services.contains_key(NAME) {
            info!("no {NAME} service in the plan yet: pebble-ready has not run");
            return model
                .unit()
                .set_status(Status::waiting("waiting for the pause service"));
        }
        let timeout = model.config().get_int("timeout")?.unwrap_or(30);
        let overlay =
            Layer::new().service(NAME, Service::merge().env("TIMEOUT", timeout.to_string()));
        container.add_layer(NAME, &overlay, true)?;
        if container.get_plan_yaml()? != before {
            info!("added config layer to Pebble plan");
            restart(&container)?;
            info!("restarted {NAME} service");
        } else {
            info!("the plan did not change: {NAME} keeps running");
        }
        model.unit().set_status(Status::active(""))
    }
}

fn restart(container: &Container) -> Result<(), Error> {
    container.restart(&[NAME])
}

/// The Pebble layer for google/pause.
fn pause_layer() -> Layer {
    Layer::new()
        .summary("pause layer")
        .description("pebble config layer for google/pause")
        .service(
            NAME,
            Service::new("/pause")
                .summary("pause service")
                .startup_enabled(),
        )
}

charmbox_sdk::export_charm!(Pause);
