//! peer-counter: the charm of the Juju SDK tutorial chapter "Preserve your
//! charm's data", in Rust. On `start` it counts how often the application
//! has started, in the peer relation's application databag, where the count
//! survives the unit's pod being recreated.

use charmbox_sdk::serde_json::Value;
use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Relation, Status, info};

/// The peer relation of charmcraft.yaml.
const PEER_NAME: &str = "fastapi-peer";

/// The databag key holding the JSON statistics.
const STATS_KEY: &str = "unit_stats";

#[derive(Default)]
struct PeerCounter;

impl Charm for PeerCounter {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Start => self.on_start(model),
            _ => Ok(()),
        }
    }
}

impl PeerCounter {
    fn on_start(&self, model: &Model) -> Result<(), Error> {
        self.count(model)?;
        model.unit().set_status(Status::active(""))
    }

    /// Increment `started_counter` in `unit_stats`.
    ///
    /// Only the leader writes: the application databag belongs to the
    /// application, and Juju refuses writes to it from any other unit
    /// (`cannot write relation settings`).
    fn count(&self, model: &Model) -> Result<(), Error> {
        let Some(peers) = model.get_relation(PEER_NAME)? else {
            info!("no {PEER_NAME} relation yet: not counting this start");
            return Ok(());
        };
        if !model.unit().is_leader()? {
            info!("not the leader: leaving started_counter to the leader");
            return Ok(());
        }
        let counter = started_counter(&peers)?;
        // Written as Python's `json.dumps` writes it, so this charm and the
        // tutorial's Python charm leave byte-identical databags.
        let stats = format!("{{\"started_counter\": {}}}", counter + 1);
        peers.local_app_data().set(STATS_KEY, &stats)?;
        info!("started_counter is now {}", counter + 1);
        Ok(())
    }
}

/// The current count: 0 when `unit_stats` or its `started_counter` is
/// missing. The tutorial reads the value as a string and writes an integer,
/// so both forms are accepted.
fn started_counter(peers: &Relation) -> Result<u64, Error> {
    let stats: Option<Value> = peers.local_app_data().get_json(STATS_KEY)?;
    let counter = stats.as_ref().and_then(|s| s.get("started_counter"));
    match counter {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| Error::msg(format!("started_counter is not a count: {n}"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| Error::msg(format!("started_counter is not a count: {s:?}"))),
        Some(other) => Err(Error::msg(format!(
            "started_counter is not a count: {other}"
        ))),
    }
}

charmbox_sdk::export_charm!(PeerCounter);
