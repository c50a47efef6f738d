//! {{name}}: sets its unit active on start.

use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status, info};

#[derive(Default)]
struct {{type_name}};

impl Charm for {{type_name}} {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Start => {
                info!("starting");
                model.unit().set_status(Status::active("ready"))
            }
            _ => Ok(()),
        }
    }
}

charmbox_sdk::export_charm!({{type_name}});
