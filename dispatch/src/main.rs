//! A packed charm's `dispatch`: Juju's unit agent runs it with no arguments
//! for every hook and action; it runs the charm's precompiled component
//! with the real hook tools and Pebble (`charmbox::unit_agent`).
//!
//! `dispatch --charmbox-host-info` prints what this host is (for
//! `charmbox pack`, which refuses a host with the compiler or of another
//! version).

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--charmbox-host-info") {
        let info = serde_json::json!({
            "charmbox": env!("CARGO_PKG_VERSION"),
            "compiler": charmbox::engine::HAS_COMPILER,
            "triple": charmbox::engine::host_triple().1,
        });
        println!("{info}");
        return;
    }
    std::process::exit(charmbox::unit_agent::main());
}
