//! A simulated Pebble, the service manager of each workload container,
//! behaving like Pebble v1.32: layers, plan, services on virtual time,
//! changes and tasks, checks with scripted outcomes, a virtual filesystem,
//! exec with scripted handlers, notices and identities.
//!
//! Nothing here knows about wasm: the State backend's Pebble bridge
//! (`backend/unit/pebble.rs`) translates calls into this module, and tests
//! drive it directly. Time is virtual and moves only when a caller waits.

pub mod accounts;
pub mod api;
pub mod changes;
pub mod checks;
pub mod clock;
pub mod daemon;
pub mod error;
pub mod exec;
pub mod fs;
pub mod http;
pub mod json;
pub mod layer;
pub mod notices;
pub mod overlord;
pub mod plan;
pub mod services;
pub mod snapshot;

pub use daemon::{ChangeInfo, Pebble, TaskInfo};
pub use error::{ApiError, WaitError};
pub use services::ServiceInfo;
