//! Logging through `juju-log` (the unit's debug-log), with `format!`-style
//! macros: `charmbox_sdk::info!("started {n} times")`.
//!
//! A failure of `juju-log` itself is ignored: logging never fails a hook.

pub use crate::LogLevel as Level;
use crate::bindings::juju::charm::hook_tools as tools;

/// Send one message to `juju-log` at `level`.
pub fn log(level: Level, message: &str) {
    let _ = tools::juju_log(level, message);
}

/// `juju-log -l <level>` with `format!` arguments.
#[macro_export]
macro_rules! juju_log {
    ($level:expr, $($arg:tt)+) => {
        $crate::log::log($level, &::std::format!($($arg)+))
    };
}

/// Log at TRACE.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Trace, $($arg)+) };
}

/// Log at DEBUG.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Debug, $($arg)+) };
}

/// Log at INFO.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Info, $($arg)+) };
}

/// Log at WARNING.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Warning, $($arg)+) };
}

/// Log at ERROR.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Error, $($arg)+) };
}

/// Log at CRITICAL.
#[macro_export]
macro_rules! critical {
    ($($arg:tt)+) => { $crate::juju_log!($crate::log::Level::Critical, $($arg)+) };
}
