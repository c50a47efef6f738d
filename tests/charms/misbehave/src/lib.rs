//! misbehave: a test-only charm. Its `start` handler does what config
//! `mode` says, so tests can drive the host through a Juju error, a failed
//! hook after buffered writes, a panic, an endless loop and unbounded
//! memory growth.

use std::hint::black_box;

use charmbox_sdk::{Charm, Error, Event, EventKind, Model, Status, StoredState, info};
use serde::{Deserialize, Serialize};

/// The peer relation of charmcraft.yaml.
const PEERS: &str = "peers";

/// What `fail-after-write` keeps in unit state.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Marker {
    touched: String,
}

#[derive(Default)]
struct Misbehave;

impl Charm for Misbehave {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Start => on_start(model),
            _ => Ok(()),
        }
    }
}

fn on_start(model: &Model) -> Result<(), Error> {
    let mode = model.config().get_str("mode")?.unwrap_or_default();
    info!("start: mode {mode:?}");
    match mode.as_str() {
        "ok" => model.unit().set_status(Status::active("")),
        "write-app-as-anyone" => write_app_as_anyone(model),
        "fail-after-write" => fail_after_write(model),
        "panic" => panic!("deliberate panic"),
        "loop" => spin(),
        "grow" => grow(),
        "chatty" => chatty(model),
        other => Err(Error::msg(format!("unknown mode {other:?}"))),
    }
}

/// The mistake peer-counter avoids: write application data without asking
/// whether this unit is the leader, and let Juju's error fail the hook.
fn write_app_as_anyone(model: &Model) -> Result<(), Error> {
    let peers = model
        .get_relation(PEERS)?
        .ok_or_else(|| Error::msg("no peers relation"))?;
    peers.local_app_data().set("written", "yes")?;
    model.unit().set_status(Status::active("wrote app data"))
}

/// Buffered writes (relation data, unit state), an immediate one (status),
/// then failure: only the status may survive.
fn fail_after_write(model: &Model) -> Result<(), Error> {
    match model.get_relation(PEERS)? {
        Some(peers) => peers.local_unit_data().set("touched", "yes")?,
        None => info!("no peers relation: skipping the databag write"),
    }
    let mut marker = StoredState::<Marker>::load("misbehave")?;
    marker.touched = "yes".to_string();
    marker.save()?;
    model.unit().set_status(Status::blocked("about to fail"))?;
    Err(Error::msg("deliberate failure"))
}

/// Many cheap hook-tool calls in one event (for replay benchmarks): reads
/// `calls` config times, alternating is-leader and the unit status.
fn chatty(model: &Model) -> Result<(), Error> {
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    let mut leader = 0u32;
    for i in 0..calls {
        if i % 2 == 0 {
            leader += u32::from(model.unit().is_leader()?);
        } else {
            black_box(model.unit().status()?);
        }
    }
    info!("chatty: {calls} calls, leader {leader} times");
    model.unit().set_status(Status::active(""))
}

/// Spin forever; `black_box` keeps the optimiser from removing the loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocate and touch 1 MiB chunks until the host stops it.
fn grow() -> ! {
    const CHUNK: usize = 1 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for i in (0..CHUNK).step_by(4096) {
            chunk[i] = 1;
        }
        chunks.push(black_box(chunk));
        black_box(&chunks);
    }
}

charmbox_sdk::export_charm!(Misbehave);
