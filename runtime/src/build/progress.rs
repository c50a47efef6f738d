//! How far a long build step has got. While a step's tool runs (pip,
//! componentize-py, npm, componentize-js), the progress sink gets a line
//! every few seconds with the time spent and, when the step ran before for
//! this charm, the time it took then and the share of it done so far.
//! Nothing is told when the build has no progress sink, and a step that
//! ends within the first interval tells nothing at all.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::BuildOptions;

/// How often a running step is reported.
const TICK: Duration = Duration::from_secs(5);

/// A long step of a build: what it is, and where its last duration is kept.
pub(crate) struct Step<'a> {
    opts: &'a BuildOptions,
    what: String,
    record: Option<PathBuf>,
    tick: Duration,
}

impl<'a> Step<'a> {
    /// The step `what` (`componentize-py peer-counter-py`); with `record`,
    /// its duration is kept in `<cache>/timings/<record>` to estimate the
    /// next run's.
    pub(crate) fn new(opts: &'a BuildOptions, what: impl Into<String>) -> Self {
        Step {
            opts,
            what: what.into(),
            record: None,
            tick: TICK,
        }
    }

    /// Keep this step's duration under `cache` as `name` (a file name).
    pub(crate) fn timed_in(mut self, cache: &Path, name: &str) -> Self {
        let safe = crate::cached_dir::file_safe(name, 120);
        self.record = Some(cache.join("timings").join(safe));
        self
    }

    #[cfg(test)]
    fn every(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }

    /// The last successful run's duration, if recorded.
    fn last(&self) -> Option<Duration> {
        let text = fs::read_to_string(self.record.as_ref()?).ok()?;
        let ms: u64 = text.trim().parse().ok()?;
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// Run `f`, telling the sink how far along it is while it runs; a
    /// successful run's duration is recorded for the next estimate.
    pub(crate) fn run<T, E>(self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let start = Instant::now();
        let result = match self.opts.progress {
            None => f(),
            Some(sink) => {
                let last = self.last();
                let (done, wait) = mpsc::channel::<()>();
                let nested = Nested::enter();
                let inner = Arc::clone(&nested.inner);
                std::thread::scope(|s| {
                    let (what, tick) = (&self.what, self.tick);
                    s.spawn(move || {
                        while let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(tick) {
                            // A step running inside this one tells instead.
                            if inner.load(Ordering::SeqCst) == 0 {
                                sink(&line(what, start.elapsed(), last));
                            }
                        }
                    });
                    let result = f();
                    drop(done);
                    result
                })
            }
        };
        if result.is_ok()
            && let Some(record) = &self.record
        {
            let _ = fs::create_dir_all(record.parent().unwrap_or(Path::new(".")));
            let _ = fs::write(record, start.elapsed().as_millis().to_string());
        }
        result
    }
}

thread_local! {
    /// The innermost step running on this thread: how many steps run
    /// inside it.
    static INNERMOST: RefCell<Option<Arc<AtomicUsize>>> = const { RefCell::new(None) };
}

/// A running step's place among the steps of its thread: while steps run
/// inside it (pip installing requirements while one is built from source),
/// only the innermost is told, not two tickers interleaved.
struct Nested {
    inner: Arc<AtomicUsize>,
    outer: Option<Arc<AtomicUsize>>,
}

impl Nested {
    fn enter() -> Self {
        let inner = Arc::new(AtomicUsize::new(0));
        let outer = INNERMOST.with(|c| c.replace(Some(Arc::clone(&inner))));
        if let Some(o) = &outer {
            o.fetch_add(1, Ordering::SeqCst);
        }
        Nested { inner, outer }
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        if let Some(o) = &self.outer {
            o.fetch_sub(1, Ordering::SeqCst);
        }
        INNERMOST.with(|c| *c.borrow_mut() = self.outer.take());
    }
}

/// `   … componentize-py x: 10 s, about 55% of the last build's 18 s`.
fn line(what: &str, elapsed: Duration, last: Option<Duration>) -> String {
    let secs = elapsed.as_secs();
    match last {
        Some(last) if !last.is_zero() => {
            let share = (elapsed.as_secs_f64() / last.as_secs_f64() * 100.0).min(99.0);
            format!(
                "{:>12} {what}: {secs} s, about {share:.0}% of the last build's {} s",
                "…",
                last.as_secs().max(1)
            )
        }
        _ => format!(
            "{:>12} {what}: {secs} s (first build: no estimate yet)",
            "…"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn sink(line: &str) {
        LINES.lock().unwrap().push(line.to_string());
    }

    #[test]
    fn a_long_step_is_told_with_the_last_runs_duration() {
        let cache = std::env::temp_dir().join(format!("charmbox-progress-{}", std::process::id()));
        let _ = fs::remove_dir_all(&cache);
        let opts = BuildOptions {
            progress: Some(sink),
            ..Default::default()
        };
        let slow = || -> Result<(), ()> {
            std::thread::sleep(Duration::from_millis(250));
            Ok(())
        };
        // The first run has no estimate, and records its duration.
        Step::new(&opts, "probe")
            .timed_in(&cache, "probe step")
            .every(Duration::from_millis(100))
            .run(slow)
            .unwrap();
        let first: Vec<String> = std::mem::take(&mut *LINES.lock().unwrap());
        assert!(!first.is_empty(), "nothing told while the step ran");
        assert!(
            first
                .iter()
                .all(|l| l.contains("probe: ") && l.contains("no estimate")),
            "{first:?}"
        );
        let recorded: u64 = fs::read_to_string(cache.join("timings/probe_step"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(recorded >= 250, "{recorded}");
        // The second run is told as a share of the first.
        Step::new(&opts, "probe")
            .timed_in(&cache, "probe step")
            .every(Duration::from_millis(100))
            .run(slow)
            .unwrap();
        let second: Vec<String> = std::mem::take(&mut *LINES.lock().unwrap());
        assert!(
            second.iter().all(|l| l.contains("% of the last build's")),
            "{second:?}"
        );
        // A failed run does not replace the estimate.
        fs::write(cache.join("timings/probe_step"), "9000").unwrap();
        let failed = Step::new(&opts, "probe")
            .timed_in(&cache, "probe step")
            .run(|| -> Result<(), &str> { Err("no") });
        assert_eq!(failed, Err("no"));
        assert_eq!(
            fs::read_to_string(cache.join("timings/probe_step")).unwrap(),
            "9000"
        );
        let _ = fs::remove_dir_all(&cache);
    }

    static NESTED_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn nested_sink(line: &str) {
        NESTED_LINES.lock().unwrap().push(line.to_string());
    }

    #[test]
    fn while_a_step_runs_inside_another_only_the_inner_one_is_told() {
        let opts = BuildOptions {
            progress: Some(nested_sink),
            ..Default::default()
        };
        let nap = |ms| std::thread::sleep(Duration::from_millis(ms));
        let tick = Duration::from_millis(50);
        Step::new(&opts, "outer")
            .every(tick)
            .run(|| -> Result<(), ()> {
                nap(180);
                let inner = Step::new(&opts, "inner").every(tick).run(|| {
                    let before = NESTED_LINES.lock().unwrap().len();
                    nap(400);
                    Ok::<_, ()>(before)
                })?;
                let during = NESTED_LINES.lock().unwrap()[inner..].to_vec();
                assert!(!during.is_empty());
                assert!(
                    during.iter().all(|l| l.contains("inner: ")),
                    "the outer step ticked inside the inner one: {during:?}"
                );
                nap(180);
                Ok(())
            })
            .unwrap();
        let lines = NESTED_LINES.lock().unwrap().clone();
        assert!(lines.first().unwrap().contains("outer: "), "{lines:?}");
        assert!(lines.last().unwrap().contains("outer: "), "{lines:?}");
    }

    #[test]
    fn the_share_never_reaches_a_hundred_percent() {
        let l = line("x", Duration::from_secs(40), Some(Duration::from_secs(20)));
        assert!(l.contains("about 99% of the last build's 20 s"), "{l}");
    }
}
