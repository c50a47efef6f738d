//! Reading a trace, with errors that name the line.

use std::path::Path;

use super::format::{
    CallRecord, DispatchLine, Header, OutcomeLine, TRACE_FORMAT, TRACE_VERSION, TraceLine,
    push_call,
};

/// A whole trace.
#[derive(Debug, Clone)]
pub struct Trace {
    pub header: Header,
    pub dispatches: Vec<RecordedDispatch>,
}

/// One recorded dispatch.
#[derive(Debug, Clone)]
pub struct RecordedDispatch {
    pub start: DispatchLine,
    pub calls: Vec<CallRecord>,
    pub end: OutcomeLine,
}

/// A trace that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("cannot read trace {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: empty trace (no header line)")]
    Empty { path: String },
    #[error("{path}:{line}: {message}")]
    Line {
        path: String,
        line: usize,
        message: String,
    },
    /// `found` is the header's `version` as written (JSON), or `missing`.
    #[error(
        "{path}: trace format version {found} is not supported: this charmbox reads version {supported} (the number)"
    )]
    Version {
        path: String,
        found: String,
        supported: u32,
    },
    #[error("{path}: the trace holds no dispatch, only its header: there is nothing to replay")]
    NoDispatches { path: String },
    #[error("{path}: larger than {limit} MiB (--max-trace-mib)")]
    TooLarge { path: String, limit: u64 },
}

/// The largest trace file read by default (`charmbox replay --max-trace-mib`).
pub const DEFAULT_MAX_TRACE_BYTES: u64 = 1 << 30;

/// Read and check a trace file of at most [`DEFAULT_MAX_TRACE_BYTES`].
pub fn read_trace(path: &Path) -> Result<Trace, TraceError> {
    read_trace_bounded(path, DEFAULT_MAX_TRACE_BYTES)
}

/// Read and check a trace file of at most `limit` bytes.
pub fn read_trace_bounded(path: &Path, limit: u64) -> Result<Trace, TraceError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let io = |source| TraceError::Io {
        path: shown.clone(),
        source,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(limit + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if text.len() as u64 > limit {
        return Err(TraceError::TooLarge {
            path: shown,
            limit: limit >> 20,
        });
    }
    parse_trace(&text, &shown)
}

/// Parse trace text; `origin` names it in errors.
pub fn parse_trace(text: &str, origin: &str) -> Result<Trace, TraceError> {
    let err = |line: usize, message: String| TraceError::Line {
        path: origin.into(),
        line,
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hl, first)) = lines.next() else {
        return Err(TraceError::Empty {
            path: origin.into(),
        });
    };
    let raw: serde_json::Value =
        serde_json::from_str(first).map_err(|e| err(hl, format!("malformed JSON: {e}")))?;
    if raw.get("type").and_then(|t| t.as_str()) != Some("header")
        || raw.get("format").and_then(|f| f.as_str()) != Some(TRACE_FORMAT)
    {
        return Err(err(
            hl,
            format!(
                "not a charmbox trace: the first line must be a header with format {TRACE_FORMAT:?}"
            ),
        ));
    }
    let version = raw.get("version");
    if version.and_then(|v| v.as_u64()) != Some(u64::from(TRACE_VERSION)) {
        return Err(TraceError::Version {
            path: origin.into(),
            found: version.map_or("missing".into(), |v| v.to_string()),
            supported: TRACE_VERSION,
        });
    }
    let header = match serde_json::from_value::<TraceLine>(raw)
        .map_err(|e| err(hl, format!("bad header: {e}")))?
    {
        TraceLine::Header(h) => h,
        _ => unreachable!("checked above"),
    };
    let mut dispatches: Vec<RecordedDispatch> = Vec::new();
    // The open dispatch: its line, itself, its calls (random runs folded,
    // `push_call`) and how many call lines it has had.
    let mut open: Option<(usize, DispatchLine, Vec<CallRecord>, u64)> = None;
    for (ln, text) in lines {
        let line: TraceLine = serde_json::from_str(text)
            .map_err(|e| err(ln, format!("malformed trace line: {e}")))?;
        match line {
            TraceLine::Header(_) => return Err(err(ln, "a second header".into())),
            TraceLine::Dispatch(d) => {
                if let Some((sl, s, ..)) = &open {
                    return Err(err(
                        ln,
                        format!(
                            "dispatch {} starts before dispatch {} (line {sl}) has its outcome",
                            d.n, s.n
                        ),
                    ));
                }
                let expected = dispatches.len() as u32 + 1;
                if d.n != expected {
                    return Err(err(
                        ln,
                        format!("dispatch {} where dispatch {expected} was expected", d.n),
                    ));
                }
                open = Some((ln, d, Vec::new(), 0));
            }
            TraceLine::Call(c) => {
                let Some((_, s, calls, seen)) = &mut open else {
                    return Err(err(ln, "a call outside any dispatch".into()));
                };
                let expected = *seen + 1;
                if c.n != s.n || u64::from(c.seq) != expected {
                    return Err(err(
                        ln,
                        format!(
                            "call {}#{} where {}#{expected} was expected",
                            c.n, c.seq, s.n
                        ),
                    ));
                }
                *seen += 1;
                push_call(calls, c.record);
            }
            TraceLine::Outcome(o) => {
                let Some((_, start, calls, _)) = open.take() else {
                    return Err(err(ln, "an outcome outside any dispatch".into()));
                };
                if o.n != start.n {
                    return Err(err(
                        ln,
                        format!("outcome of dispatch {} inside dispatch {}", o.n, start.n),
                    ));
                }
                dispatches.push(RecordedDispatch {
                    start,
                    calls,
                    end: o,
                });
            }
        }
    }
    if let Some((sl, s, ..)) = open {
        return Err(err(
            sl,
            format!(
                "dispatch {} has no outcome line: the trace is truncated",
                s.n
            ),
        ));
    }
    if dispatches.is_empty() {
        return Err(TraceError::NoDispatches {
            path: origin.into(),
        });
    }
    Ok(Trace { header, dispatches })
}
