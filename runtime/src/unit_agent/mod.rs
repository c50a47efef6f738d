//! A packed charm's `dispatch` under a real Juju unit agent: read the
//! event from Juju's environment, load the precompiled component shipped in
//! the charm, answer its imports with the live backend (the real hook tools
//! on PATH, each container's Pebble socket), record the dispatch, and exit
//! as Juju expects (0, or 1 for a failed hook, with the reason in
//! juju-log). See docs/juju.md.

mod traces;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::live::LiveBackend;
use crate::backend::live::commands::HostCommands;
use crate::backend::live::tools::{PathTools, ToolRunner};
use crate::bindings::event::Event;
use crate::charm::CharmMeta;
use crate::engine::{Charm, Dispatched, Dispatcher, InRuntime, Outcome, Runtime};
use crate::pack::info::{PACKED_CWASM, PackInfo};
use crate::sandbox::{GuestEnv, WasiGrants};
use crate::state::State;
use crate::trace::Recorder;
use crate::trace::format::{DispatchLine, Header, OutcomeLine};

pub use traces::TraceDir;

/// Where each container's Pebble socket is: `<dir>/<container>/pebble.socket`.
pub const CONTAINERS_DIR: &str = "/charm/containers";
/// The unit's writable directories of a WASI guest (ops' state), in the
/// charm directory so that they last as the charm directory does.
pub const UNIT_DIR: &str = ".charmbox/unit";

/// Why a dispatch could not run the charm at all (as opposed to a hook the
/// charm failed).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Pack(#[from] crate::pack::info::PackInfoError),
    #[error(transparent)]
    Meta(#[from] crate::charm::MetaError),
    #[error("{0}")]
    Event(#[from] crate::event::EventError),
    #[error("cannot start the sandbox: {0}")]
    Runtime(String),
    #[error(transparent)]
    Load(#[from] crate::engine::LoadError),
}

/// What one dispatch did, for the process's exit and its log lines.
pub struct AgentReport {
    pub outcome: Outcome,
    /// Warnings to log (traces that could not be written...).
    pub warnings: Vec<String>,
}

/// The dispatch's environment as the guest's WASI environment: sorted,
/// like the one charmbox makes for `run`.
fn sorted_env(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    env.sort();
    env
}

/// The charm directory of this dispatch: `JUJU_CHARM_DIR`, else the
/// directory of the `dispatch` executable.
pub fn charm_dir(env: &[(String, String)]) -> PathBuf {
    let var = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| PathBuf::from(v))
    };
    var("JUJU_CHARM_DIR")
        .or_else(|| var("CHARM_DIR"))
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|e| e.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Run the dispatch whose environment is `env` for the packed charm in
/// `dir`: the live backend's tools from the env's PATH, Pebble sockets in
/// `containers`.
pub fn dispatch(
    dir: &Path,
    env: &[(String, String)],
    containers: &Path,
) -> Result<AgentReport, AgentError> {
    let info = PackInfo::read(dir)?;
    let meta = Arc::new(CharmMeta::load_dir(dir)?);
    let event = crate::event::event_from_env(env, &meta)?;
    let env = sorted_env(env);
    let rt = Runtime::new(info.limits.runtime_config())
        .map_err(|e| AgentError::Runtime(format!("{e:#}")))?;
    let cwasm = dir.join(PACKED_CWASM);
    // WebAssembly where precompiled code belongs is compiled — which a
    // host without the compiler refuses, naming why.
    let component = if starts_with_wasm(&cwasm) {
        rt.load(&cwasm)?
    } else {
        rt.load_precompiled(&cwasm, &info.component_sha256)?
    };
    let charm = Charm {
        meta,
        component,
        dir: dir.to_path_buf(),
    };
    // A charm directory that cannot hold the unit's directories costs a
    // WASI guest its state across events: said, and the hook still runs.
    let unit_dir = dir.join(UNIT_DIR);
    let mut warnings = Vec::new();
    let unit_dir = match std::fs::create_dir_all(&unit_dir) {
        Ok(()) => Some(unit_dir),
        Err(e) => {
            warnings.push(format!(
                "cannot make the unit's directory {}: {e}; the charm's files last this hook only",
                unit_dir.display()
            ));
            None
        }
    };
    let now_ns = wall_clock_ns();
    let seed = os_seed();
    let grants = WasiGrants {
        now_ns,
        seed,
        charm_dir: Some((dir.to_path_buf(), event.context.charm_dir.clone())),
        env: GuestEnv::of(env.as_slice()),
        tap: None,
        unit_dir,
        machine: None,
        host_dirs: granted_dirs(&charm.meta, &info, &mut warnings),
    };
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let relation = event.context.relation.as_ref().map(|r| r.id);
    let endpoint = event.context.relation.as_ref().map(|r| r.endpoint.clone());
    let backend = LiveBackend::new(
        PathTools::new(path.into(), dir.to_path_buf()),
        crate::backend::live::pebble::SocketPebble::new(containers.to_path_buf()),
        &charm.meta,
        (relation, endpoint),
        (now_ns, seed),
    )
    .with_commands(granted_commands(&charm.meta, &info))
    .with_loopback(granted_loopback(&info));
    let runner = InRuntime {
        rt: &rt,
        charm: &charm,
    };
    if !info.traces.enabled {
        let done = runner.dispatch(backend, &event, grants, None);
        return Ok(AgentReport {
            outcome: done.outcome,
            warnings,
        });
    }
    let recorder = Recorder::new(backend);
    let mut grants = grants;
    grants.tap = Some(recorder.tap());
    let done = runner.dispatch(recorder, &event, grants, None);
    let (_, calls) = done.backend.into_parts();
    let done = Dispatched {
        backend: (),
        outcome: done.outcome,
        stats: done.stats,
        output: None,
    };
    let at = (now_ns, seed);
    if let Err(w) = record(dir, &info, &rt, &charm, (&event, &env), at, calls, &done) {
        warnings.push(w);
    }
    Ok(AgentReport {
        outcome: done.outcome,
        warnings,
    })
}

/// The machine's commands this dispatch may run: the charm's declared
/// programs that the pack granted, each for at most the dispatch's deadline.
fn granted_commands(meta: &CharmMeta, info: &PackInfo) -> HostCommands {
    let granted = info
        .granted_commands
        .iter()
        .filter(|c| meta.machine_commands.contains(*c))
        .cloned()
        .collect();
    let timeout = match info.limits.deadline_secs {
        0 => crate::backend::live::commands::DEFAULT_TIMEOUT,
        s => std::time::Duration::from_secs(s),
    };
    HostCommands::new(meta.machine_commands.clone(), granted, timeout)
}

/// The loopback ports the pack grants, each request for at most the
/// dispatch's deadline.
fn granted_loopback(info: &PackInfo) -> crate::backend::live::loopback::HostLoopback {
    use crate::backend::live::loopback::{DEFAULT_TIMEOUT, HostLoopback};
    let timeout = match info.limits.deadline_secs {
        0 => DEFAULT_TIMEOUT,
        s => std::time::Duration::from_secs(s),
    };
    HostLoopback::new(
        info.granted_loopback_ports.iter().copied().collect(),
        timeout,
    )
}

/// The machine directories the pack grants (and the charm declares), as
/// the guest sees them: the real directories, made if missing.
fn granted_dirs(
    meta: &CharmMeta,
    info: &PackInfo,
    warnings: &mut Vec<String>,
) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in info
        .granted_dirs
        .iter()
        .filter(|d| meta.machine_dirs.contains(*d))
    {
        match std::fs::create_dir_all(dir) {
            Ok(()) => out.push((PathBuf::from(dir), dir.clone())),
            Err(e) => warnings.push(format!("cannot make the machine directory {dir}: {e}")),
        }
    }
    out
}

/// The State a production trace starts from: what the unit knew before
/// any call (its name, its model, the clock and seed). Everything else the
/// charm learnt is in the calls.
fn snapshot(event: &Event, env: &[(String, String)], now_ns: u64, seed: u64) -> State {
    let ctx = &event.context;
    let mut s = State {
        unit: Some(ctx.unit_name.clone()),
        now: Some(crate::sim::project::rfc3339(now_ns)),
        seed,
        ..Default::default()
    };
    s.model.name = ctx.model_name.clone();
    s.model.uuid = ctx.model_uuid.clone();
    s.model.juju_version = ctx.juju_version.clone();
    let machine = env
        .iter()
        .any(|(k, v)| k == "JUJU_MACHINE_ID" && !v.is_empty());
    if machine {
        s.model.kind = "lxd".into();
    }
    s
}

/// Write the dispatch into the charm's trace directory.
#[allow(clippy::too_many_arguments)]
fn record(
    dir: &Path,
    info: &PackInfo,
    rt: &Runtime,
    charm: &Charm,
    (event, env): (&Event, &[(String, String)]),
    (now_ns, seed): (u64, u64),
    calls: Vec<crate::trace::format::CallRecord>,
    done: &Dispatched<()>,
) -> Result<(), String> {
    let traces = TraceDir::new(dir, &info.traces);
    let state = snapshot(event, env, now_ns, seed);
    let name = match &event.context.action {
        Some(a) => a.name.clone(),
        None => event.context.hook_name.clone(),
    };
    let start = DispatchLine {
        n: 0,
        unit: event.context.unit_name.clone(),
        name: name.clone(),
        action: event.context.action.is_some(),
        event: event.clone(),
        env: env.to_vec(),
        params: None,
        snapshot: state.clone(),
    };
    let end = OutcomeLine {
        n: 0,
        outcome: done.outcome.clone(),
        fuel_used: done.stats.fuel_used,
        logs: Vec::new(),
        action: None,
        delta: Vec::new(),
    };
    let mut header = Header::for_charm(charm, rt, None, seed);
    header.recorded_by = Some(crate::trace::format::RECORDED_BY_AGENT.into());
    traces.write(&name, header, start, calls, end, state)
}

/// Whether the file begins as a WebAssembly binary does.
fn starts_with_wasm(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\0asm"
}

/// The host's wall clock, nanoseconds since the Unix epoch: where the
/// guest's virtual clock starts (recorded, so replay sees the same).
fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(crate::juju::DEFAULT_NOW_NS)
}

/// A seed from the kernel's generator: production randomness, recorded.
fn os_seed() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => wall_clock_ns(),
    }
}

/// Log `message` through the real `juju-log` on `path` at `level`; the
/// message also goes to stderr (Juju logs a hook's stderr as WARNING).
pub fn juju_log(path: &str, dir: &Path, level: &str, message: &str) {
    eprintln!("charmbox: {message}");
    let mut tools = PathTools::new(path.into(), dir.to_path_buf());
    let argv: Vec<String> = ["juju-log", "--log-level", level, "--", message]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let _ = tools.run(&argv, &[]);
}

/// The whole `dispatch` process: run, log, and the exit code Juju expects.
pub fn main() -> i32 {
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let dir = charm_dir(&env);
    let containers = env
        .iter()
        .find(|(k, _)| k == "CHARMBOX_CONTAINERS_DIR")
        .map(|(_, v)| PathBuf::from(v))
        .unwrap_or_else(|| PathBuf::from(CONTAINERS_DIR));
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    match dispatch(&dir, &env, &containers) {
        Ok(report) => {
            for w in &report.warnings {
                juju_log(&path, &dir, "WARNING", &format!("charmbox: {w}"));
            }
            match report.outcome {
                Outcome::Ok => 0,
                failed => {
                    juju_log(
                        &path,
                        &dir,
                        "ERROR",
                        &format!("charmbox: {}", failed.describe()),
                    );
                    1
                }
            }
        }
        Err(e) => {
            juju_log(
                &path,
                &dir,
                "ERROR",
                &format!("charmbox: cannot run the charm: {e}"),
            );
            1
        }
    }
}
