//! Traces: every dispatch recorded as JSON Lines (event, the unit's view of
//! the model, each host call with its result, the outcome and the committed
//! delta), replayed exactly or against a new charm. Format: docs/traces.md.

pub mod delta;
pub mod format;
pub mod reader;
pub mod recorded_world;
pub mod recorder;
pub mod replay;
pub mod writer;

pub use format::{
    CallRecord, Header, HostCall, HostResult, TRACE_FORMAT, TRACE_VERSION, TraceLine,
};
pub use reader::{DEFAULT_MAX_TRACE_BYTES, Trace, TraceError, read_trace, read_trace_bounded};
pub use recorder::Recorder;
pub use writer::TraceWriter;
