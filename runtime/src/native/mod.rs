//! Native charms: a charm run as a process, the way Juju's uniter runs it,
//! with charmbox's Juju and Pebble answering across the process boundary.
//!
//! A hook is the charm's `dispatch` (or, for a charmcraft source tree,
//! `src/charm.py` with `lib/` and its requirements installed for the host's
//! python3) run in the charm directory with the event's JUJU_* environment.
//! Its PATH starts with the hook tools — every name a link to
//! `charmbox-jujuc`, which sends argv, cwd and (when asked) stdin to the
//! agent socket ([`wire`]) — and each workload container's Pebble answers
//! its HTTP API on `/charm/containers/<name>/pebble.socket`, grafted into a
//! private mount namespace ([`mounts`]) with the charm directory at Juju's
//! path. Both are answered by the same backend, `jujuc` rules and Pebble
//! API as a component's imports ([`agent`]), so traces are alike and
//! replay either way. See docs/native.md.

pub mod agent;
pub mod child;
pub mod packed;
pub mod serve;
pub mod websocket;

pub use charmbox_wire::{ENTER_FAILED, HELPER, mounts, wire};

// A tool's stdin is a file the tool reads: the same bound.
const _: () = assert!(wire::MAX_STDIN == crate::sandbox::MAX_TOOL_FILE_BYTES);

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::backend::Backend;
use crate::bindings::event::Event;
use crate::charm::CharmMeta;
use crate::engine::{DispatchStats, Dispatched, Dispatcher, Failure, HookOutput, Outcome};
use crate::limits::HostLimits;
use crate::sandbox::WasiGrants;
use mounts::{Graft, MountPlan};

/// How a native charm's hook starts.
#[derive(Debug, Clone)]
enum Entry {
    /// The charm's own `dispatch`.
    Dispatch,
    /// charmcraft's layout: `src/charm.py` run by the host's python3 with
    /// `lib/` and the installed requirements on PYTHONPATH.
    Ops {
        python: String,
        site: Option<PathBuf>,
    },
}

/// A charm directory run natively.
pub struct NativeCharm {
    pub meta: Arc<CharmMeta>,
    /// The charm directory (absolute).
    pub dir: PathBuf,
    entry: Entry,
    helper: PathBuf,
    /// `metadata.yaml` and friends split from charmcraft.yaml, laid over
    /// the charm directory (none for a packed charm).
    metadata: Option<PathBuf>,
    /// The hook tools: a link to the helper under every tool name.
    tools: PathBuf,
    /// The host-side bounds of each hook (deadline, tool I/O, captured output).
    pub limits: HostLimits,
}

/// Why a native charm cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error(transparent)]
    Meta(#[from] crate::charm::MetaError),
    #[error("{0} is not a directory: a native charm is a charm directory")]
    NotADir(String),
    #[error("{dir} has neither a dispatch nor src/charm.py: nothing to run")]
    NoEntry { dir: String },
    #[error("cannot install the charm's requirements for the host's python3: {0}")]
    Requirements(#[from] crate::build::BuildError),
    #[error("cannot write the charm's metadata files: {0}")]
    Metadata(String),
    #[error("a charmcraft source tree runs with the host's python3: {0}")]
    Python(String),
    #[error("cannot make the hook tools' links in {0}")]
    Tools(String),
    #[error(
        "cannot find {HELPER} (looked in {looked}): build it with `cargo build --release`, or set CHARMBOX_BIN_DIR"
    )]
    NoHelper { looked: String },
}

/// The helper binary: `$CHARMBOX_BIN_DIR`, else beside the running
/// executable or one directory up (a test binary lives in `deps/`).
pub fn helper_path() -> Result<PathBuf, NativeError> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("CHARMBOX_BIN_DIR") {
        dirs.push(PathBuf::from(d));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        dirs.push(dir.to_path_buf());
        if let Some(up) = dir.parent() {
            dirs.push(up.to_path_buf());
        }
    }
    dirs.iter()
        .map(|d| d.join(HELPER))
        .find(|p| p.is_file())
        .ok_or_else(|| NativeError::NoHelper {
            looked: dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl NativeCharm {
    /// Open the charm directory `dir`; a charmcraft source tree's
    /// requirements.txt is installed for the host's python3 (cached).
    pub fn open(dir: &Path) -> Result<NativeCharm, NativeError> {
        if !dir.is_dir() {
            return Err(NativeError::NotADir(dir.display().to_string()));
        }
        let dir = std::fs::canonicalize(dir)
            .map_err(|_| NativeError::NotADir(dir.display().to_string()))?;
        let meta = Arc::new(CharmMeta::load_dir(&dir)?);
        let helper = helper_path()?;
        let entry = if dir.join("dispatch").is_file() {
            Entry::Dispatch
        } else if dir.join("src/charm.py").is_file() {
            let requirements = dir.join("requirements.txt");
            let site = if requirements.is_file() {
                let root = cache_root().join("native-site");
                Some(crate::build::install_for_host(&requirements, &root)?)
            } else {
                None
            };
            Entry::Ops {
                python: interpreter_path()?,
                site,
            }
        } else {
            return Err(NativeError::NoEntry {
                dir: dir.display().to_string(),
            });
        };
        let metadata = packed::metadata_layer(&dir, &cache_root().join("native-meta"))?;
        Ok(NativeCharm {
            meta,
            dir,
            metadata,
            entry,
            tools: tool_links(&helper)?,
            helper,
            limits: HostLimits::default(),
        })
    }

    /// The same charm with other host-side bounds.
    pub fn with_limits(mut self, limits: HostLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Where native charms' installed requirements and metadata are kept.
fn cache_root() -> PathBuf {
    crate::engine::default_cache_dir().unwrap_or_else(|| std::env::temp_dir().join("charmbox"))
}

/// The host's python3 as an absolute path (the hook's PATH is Juju's, not
/// the caller's; a pyenv shim would not resolve there).
fn interpreter_path() -> Result<String, NativeError> {
    let python = crate::build::host_python();
    let out = std::process::Command::new(&python)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| NativeError::Python(format!("cannot run {python}: {e}")))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !path.starts_with('/') {
        return Err(NativeError::Python(format!(
            "{python} did not say where it is: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(path)
}

/// The directory of hook-tool links to `helper`, made once and kept (a
/// process a hook left behind still finds its tools, and is refused by the
/// closed socket, as under Juju).
fn tool_links(helper: &Path) -> Result<PathBuf, NativeError> {
    use sha2::Digest;
    let key = sha2::Sha256::digest(helper.as_os_str().as_encoded_bytes());
    let key: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("charmbox-tools-{}-{key}", unsafe_uid()));
    crate::cached_dir::fill_once(
        &dir,
        |tmp| {
            for name in crate::jujuc::tool_names() {
                std::os::unix::fs::symlink(helper, tmp.join(name))
                    .map_err(|e| NativeError::Tools(format!("{}: {e}", dir.display())))?;
            }
            Ok(())
        },
        NativeError::Tools,
    )
}

/// The effective user id (the tool links are per user).
fn unsafe_uid() -> u32 {
    // SAFETY: a plain syscall.
    unsafe { libc::geteuid() }
}

/// The per-hook scratch directory: sockets, tool links, the mount root,
/// and (without a unit directory) the charm directory's writable layer.
struct RunDir(PathBuf);

impl RunDir {
    fn new() -> std::io::Result<RunDir> {
        use std::os::unix::fs::DirBuilderExt;
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let p = base.join(format!(
                "charmbox-native-{}-{}-{:x}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed),
                random_u64()
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => return Ok(RunDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 64 bits from the kernel's generator (a hook's credential).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: a buffer of the given length.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != b.len() as isize {
        // No getrandom: the clock and the pid still make the name unique.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return t ^ u64::from(std::process::id()).rotate_left(32);
    }
    u64::from_le_bytes(b)
}

fn set(env: &mut Vec<(String, String)>, key: &str, value: String) {
    env.retain(|(k, _)| k != key);
    env.push((key.to_string(), value));
    env.sort();
}

impl NativeCharm {
    /// Run `event` as a process against `backend`, then commit or roll
    /// back: the same contract as a component's dispatch. `grants` gives
    /// the event's environment, the charm directory's path in the hook's
    /// view, the virtual clock, and the unit directory (its `native/`
    /// holds the charm directory's writable layer across events).
    pub fn dispatch_process<B: Backend>(
        &self,
        mut backend: B,
        event: &Event,
        grants: &WasiGrants,
        limits: &HostLimits,
    ) -> (B, Outcome, DispatchStats, HookOutput) {
        backend.set_limits(limits);
        let (outcome, output) = match self.run_hook(&mut backend, event, grants, limits) {
            Ok(r) => r,
            Err(m) => (
                Outcome::Failed {
                    failure: Failure::Trap(format!("cannot run the native hook: {m}")),
                },
                HookOutput::default(),
            ),
        };
        let mut outcome = outcome;
        if let Err(m) = backend.finish(outcome.is_ok()) {
            outcome = Outcome::Failed {
                failure: Failure::CommitFailed(m),
            };
        }
        (backend, outcome, DispatchStats::default(), output)
    }

    fn run_hook<B: Backend>(
        &self,
        backend: &mut B,
        event: &Event,
        grants: &WasiGrants,
        limits: &HostLimits,
    ) -> Result<(Outcome, HookOutput), String> {
        let run = RunDir::new().map_err(|e| format!("cannot make a scratch directory: {e}"))?;
        let io = |what: &str| {
            let what = what.to_string();
            move |e: std::io::Error| format!("{what}: {e}")
        };
        let ctx = &event.context;
        let context_id = format!(
            "{}-{}-{:016x}{:016x}",
            ctx.unit_name.replace('/', "-"),
            if ctx.hook_name.is_empty() {
                "action"
            } else {
                &ctx.hook_name
            },
            random_u64(),
            random_u64()
        );
        // The sockets and the tool links.
        let agent = run.0.join("agent.socket");
        let containers = run.0.join("containers");
        let mut pebbles = Vec::new();
        for c in &self.meta.containers {
            let d = containers.join(c);
            std::fs::create_dir_all(&d).map_err(io("cannot make the container directory"))?;
            pebbles.push((c.clone(), d.join("pebble.socket")));
        }
        std::fs::create_dir_all(&containers).map_err(io("cannot make the containers directory"))?;
        let tools = self.tools.clone();
        // The charm directory's writable layer.
        let layer = match &grants.unit_dir {
            Some(u) => u.join("native"),
            None => run.0.join("unit"),
        };
        let (upper, work) = (layer.join("upper"), layer.join("work"));
        for d in [&upper, &work] {
            std::fs::create_dir_all(d).map_err(io("cannot make the charm directory's layer"))?;
        }
        // The environment: the event's, with the agent's real socket and credential.
        let mut env = grants.env.list().to_vec();
        set(&mut env, "JUJU_CONTEXT_ID", context_id.clone());
        set(
            &mut env,
            "JUJU_AGENT_SOCKET_ADDRESS",
            agent.display().to_string(),
        );
        let path = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let tools_at = path.split(':').next().unwrap_or("").to_string();
        let charm_at = grants
            .charm_dir
            .as_ref()
            .map(|(_, at)| at.clone())
            .unwrap_or_else(|| ctx.charm_dir.clone());
        let argv = match &self.entry {
            Entry::Dispatch => vec!["./dispatch".to_string()],
            Entry::Ops { python, site } => {
                let mut pp = vec!["lib".to_string()];
                pp.extend(site.iter().map(|s| s.display().to_string()));
                set(&mut env, "PYTHONPATH", pp.join(":"));
                vec![python.clone(), "./src/charm.py".to_string()]
            }
        };
        let plan = MountPlan {
            root: run.0.join("root"),
            grafts: vec![
                Graft::Bind {
                    at: "/charm/containers".into(),
                    source: containers.clone(),
                },
                Graft::Bind {
                    at: tools_at,
                    source: tools,
                },
                Graft::Overlay {
                    at: charm_at.clone(),
                    lower: self.metadata.iter().chain([&self.dir]).cloned().collect(),
                    upper,
                    work,
                },
            ],
            cwd: charm_at,
            argv,
            env,
        };
        std::fs::create_dir(&plan.root).map_err(io("cannot make the mount root"))?;
        let plan_file = run.0.join("plan.json");
        let plan_json = serde_json::to_vec(&plan).map_err(|e| e.to_string())?;
        if plan_json.len() as u64 > mounts::MAX_PLAN_BYTES {
            return Err(format!(
                "the hook's command and environment take {} bytes, more than the {} a hook may have",
                plan_json.len(),
                mounts::MAX_PLAN_BYTES
            ));
        }
        std::fs::write(&plan_file, plan_json).map_err(io("cannot write the mount plan"))?;

        let listeners = serve::Listeners::bind(&agent, &pebbles)
            .map_err(io("cannot serve the hook's sockets"))?;
        let (exit_tx, exited) = serve::exit_channel();
        let mut cmd = std::process::Command::new(&self.helper);
        cmd.arg("enter").arg(&plan_file).env_clear();
        let started = Instant::now();
        let hook = child::Hook::start(cmd, limits.log_bytes, exit_tx)
            .map_err(io(&format!("cannot start {}", self.helper.display())))?;
        let session = agent::Session {
            context_id: &context_id,
            now_ns: grants.now_ns,
            io_bytes: limits.io_bytes,
        };
        let mut agent = agent::Agent::new(backend, session);
        let end = serve::serve(listeners, &mut agent, exited, started + limits.deadline);
        // Juju's server closes when the hook ends: so do the sockets, and
        // nothing the hook left behind outlives it.
        hook.kill_group();
        let (out, err) = hook.output();
        let output = HookOutput {
            stdout: String::from_utf8_lossy(&out.bytes).into_owned(),
            stderr: String::from_utf8_lossy(&err.bytes).into_owned(),
            dropped: out.dropped + err.dropped,
        };
        let failure = match end {
            agent::End::Exited(status) => child::describe_exit(&status).map(|m| {
                if output.stderr.starts_with(ENTER_FAILED) {
                    // The helper could not make the hook's namespace: a host
                    // problem, with the helper's reason.
                    Failure::Trap(format!("{m}: {}", output.stderr.trim()))
                } else {
                    Failure::CharmError(m)
                }
            }),
            agent::End::Deadline => Some(Failure::DeadlineExceeded(
                crate::engine::Trip::Deadline(limits.deadline).to_string(),
            )),
            agent::End::Fatal(m) => Some(Failure::Trap(m)),
        };
        let outcome = match failure {
            None => Outcome::Ok,
            Some(failure) => Outcome::Failed { failure },
        };
        Ok((outcome, output))
    }
}

impl Dispatcher for NativeCharm {
    fn meta(&self) -> &Arc<CharmMeta> {
        &self.meta
    }

    fn dir(&self) -> &Path {
        &self.dir
    }

    fn records_wasi(&self) -> bool {
        false
    }

    fn dispatch<B: Backend>(
        &self,
        backend: B,
        event: &Event,
        grants: WasiGrants,
        _fuel: Option<u64>,
    ) -> Dispatched<B> {
        let (backend, outcome, stats, output) =
            self.dispatch_process(backend, event, &grants, &self.limits);
        Dispatched {
            backend,
            outcome,
            stats,
            output: Some(output),
        }
    }
}
