//! The epoch ticker: a thread that moves the engine's epoch every
//! [`EPOCH_TICK`], so a running guest checks its dispatch's deadline that
//! often (the epoch callback) without reading the clock in guest code. It
//! stops when the runtime is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::Engine;

/// How often a running guest checks its deadline.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The running ticker; stopped on drop.
pub(super) struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    pub(super) fn start(engine: &Engine) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, weak) = (stop.clone(), engine.weak());
        let spawned = std::thread::Builder::new()
            .name("charmbox-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => return,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the epoch ticker, deadlines will not be enforced: {e}");
        }
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
