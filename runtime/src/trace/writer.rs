//! Writing a trace: one JSON document per line, nothing that depends on the
//! host (no wall-clock times, no host paths). Serialising, diffing and
//! writing happen on a writer thread, so recording adds little to a
//! dispatch; lines keep their order.

use std::io::Write;
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::delta;
use super::format::{CallLine, CallRecord, DispatchLine, Header, OutcomeLine, TraceLine};
use crate::state::State;

/// A dispatch handed to the writer thread.
struct Pending {
    start: DispatchLine,
    calls: Vec<CallRecord>,
    end: OutcomeLine,
    /// The State after the dispatch; the delta is computed on the thread.
    after: State,
}

/// Dispatches handed over together: one thread wake-up per batch.
const BATCH: usize = 32;

/// Appends dispatches to a trace.
pub struct TraceWriter {
    batch: Vec<Pending>,
    tx: Option<mpsc::Sender<Vec<Pending>>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    next: u32,
}

impl TraceWriter {
    /// Start a trace with its header.
    pub fn new(mut out: Box<dyn Write + Send>, header: Header) -> std::io::Result<TraceWriter> {
        write_line(&mut out, &TraceLine::Header(header))?;
        let (tx, rx) = mpsc::channel::<Vec<Pending>>();
        let thread = std::thread::Builder::new()
            .name("charmbox-trace".into())
            .spawn(move || {
                for batch in rx {
                    for p in batch {
                        write_dispatch(&mut out, p)?;
                    }
                }
                out.flush()
            })?;
        Ok(TraceWriter {
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            thread: Some(thread),
            next: 1,
        })
    }

    /// Queue one whole dispatch: its start, its calls, its outcome (whose
    /// delta is computed from the snapshot and `after`).
    pub fn dispatch(
        &mut self,
        mut start: DispatchLine,
        calls: Vec<CallRecord>,
        mut end: OutcomeLine,
        after: State,
    ) -> std::io::Result<()> {
        start.n = self.next;
        end.n = self.next;
        self.next += 1;
        self.batch.push(Pending {
            start,
            calls,
            end,
            after,
        });
        if self.batch.len() < BATCH {
            return Ok(());
        }
        self.hand_over()
    }

    fn hand_over(&mut self) -> std::io::Result<()> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let sent = self.tx.as_ref().map(|tx| tx.send(batch).is_ok());
        if sent == Some(true) {
            Ok(())
        } else {
            // The thread stopped: its error says why.
            self.close()
                .and(Err(std::io::Error::other("the trace writer stopped")))
        }
    }

    /// Write everything queued and report the first write error.
    pub fn close(&mut self) -> std::io::Result<()> {
        if !self.batch.is_empty() && self.tx.is_some() {
            let batch = std::mem::take(&mut self.batch);
            let _ = self.tx.as_ref().map(|tx| tx.send(batch));
        }
        drop(self.tx.take());
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the trace writer panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!("trace not fully written: {e}");
        }
    }
}

fn write_dispatch(out: &mut dyn Write, p: Pending) -> std::io::Result<()> {
    let Pending {
        start,
        calls,
        mut end,
        after,
    } = p;
    let before = serde_json::to_value(&start.snapshot).map_err(std::io::Error::other)?;
    let after = serde_json::to_value(&after).map_err(std::io::Error::other)?;
    end.delta = delta::diff(&before, &after);
    let n = start.n;
    write_line(out, &TraceLine::Dispatch(start))?;
    for (i, record) in calls.into_iter().enumerate() {
        write_line(
            out,
            &TraceLine::Call(CallLine {
                n,
                seq: i as u32 + 1,
                record,
            }),
        )?;
    }
    write_line(out, &TraceLine::Outcome(end))
}

fn write_line(out: &mut dyn Write, line: &TraceLine) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
