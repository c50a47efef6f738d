//! A packed charm's traces: one file per dispatch under the charm
//! directory, named `<seq>-<event>.trace` with a rising sequence; past
//! either bound (files, bytes) the oldest are dropped. An operator copies
//! the directory (`juju scp`) and replays any file at home.

use std::path::{Path, PathBuf};

use crate::pack::info::TraceSettings;
use crate::state::State;
use crate::trace::TraceWriter;
use crate::trace::format::{CallRecord, DispatchLine, Header, OutcomeLine};

/// The most directory entries looked at: a directory stuffed with other
/// files does not make each dispatch walk it all.
const MAX_ENTRIES: usize = 10_000;

/// The trace directory of one packed charm.
pub struct TraceDir {
    dir: PathBuf,
    settings: TraceSettings,
}

/// One trace file found in the directory.
struct Found {
    seq: u64,
    path: PathBuf,
    bytes: u64,
}

impl TraceDir {
    /// The directory `settings.dir`, relative to the charm directory `charm`.
    pub fn new(charm: &Path, settings: &TraceSettings) -> TraceDir {
        TraceDir {
            dir: charm.join(&settings.dir),
            settings: settings.clone(),
        }
    }

    /// Where the traces are.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write one dispatch as the newest trace, then drop the oldest past
    /// the bounds. An error names the directory and what failed.
    pub fn write(
        &self,
        name: &str,
        header: Header,
        start: DispatchLine,
        calls: Vec<CallRecord>,
        end: OutcomeLine,
        after: State,
    ) -> Result<(), String> {
        let failed = |what: &str, e: std::io::Error| {
            format!(
                "cannot {what} in trace directory {}: {e}",
                self.dir.display()
            )
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| failed("create it", e))?;
        let found = self.found();
        let seq = found.last().map(|f| f.seq + 1).unwrap_or(1);
        let safe = crate::cached_dir::file_safe(name, 64);
        let file = self.dir.join(format!("{seq:08}-{safe}.trace"));
        let tmp = self.dir.join(format!(".{seq:08}.partial"));
        let out = std::fs::File::create(&tmp).map_err(|e| failed("write a trace", e))?;
        let written = (|| {
            let mut w = TraceWriter::new(Box::new(std::io::BufWriter::new(out)), header)?;
            w.dispatch(start, calls, end, after)?;
            w.close()
        })();
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &file)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(failed("write a trace", e));
        }
        self.prune();
        Ok(())
    }

    /// The trace files, oldest first.
    fn found(&self) -> Vec<Found> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut found: Vec<Found> = entries
            .take(MAX_ENTRIES)
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let stem = name.strip_suffix(".trace")?;
                let seq = stem.split('-').next()?.parse().ok()?;
                let meta = e.metadata().ok().filter(|m| m.is_file())?;
                Some(Found {
                    seq,
                    path: e.path(),
                    bytes: meta.len(),
                })
            })
            .collect();
        found.sort_by_key(|f| f.seq);
        found
    }

    /// Drop the oldest traces until both bounds hold (the newest stays).
    fn prune(&self) {
        let found = self.found();
        let mut count = found.len();
        let mut bytes: u64 = found.iter().map(|f| f.bytes).sum();
        for f in &found[..found.len().saturating_sub(1)] {
            if count <= self.settings.max_files as usize && bytes <= self.settings.max_bytes {
                break;
            }
            if std::fs::remove_file(&f.path).is_ok() {
                count -= 1;
                bytes -= f.bytes;
            }
        }
    }
}
