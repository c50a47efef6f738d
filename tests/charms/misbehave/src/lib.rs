//! misbehave: a test-only charm. Its `start` handler does what config
//! `mode` says, so tests can drive the host through a Juju error, a failed
//! hook after buffered writes, a panic, an endless loop and unbounded
//! memory growth.

use std::hint::black_box;

use charmbox_sdk::bindings::juju::charm::hook_tools;
use charmbox_sdk::{
    Charm, Error, Event, EventKind, FileOptions, HookError, LogLevel, Model, Status, StoredState,
    info,
};
use serde::{Deserialize, Serialize};

/// The peer relation of charmcraft.yaml.
const PEERS: &str = "peers";

/// What `fail-after-write` keeps in unit state.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Marker {
    touched: String,
}

#[derive(Default)]
struct Misbehave;

impl Charm for Misbehave {
    fn handle(&mut self, event: &Event, model: &Model) -> Result<(), Error> {
        match event.kind() {
            EventKind::Start if mode(model)? == "defer" => defer_start(event, model),
            EventKind::Start => on_start(model),
            EventKind::UpdateStatus if mode(model)? == "defer" => {
                // What the deferred start, handled first, left.
                let tries = StoredState::<i64>::load("start tries")?;
                let mut seen = StoredState::<i64>::load("tries seen by update-status")?;
                *seen = *tries;
                seen.save()
            }
            _ => Ok(()),
        }
    }
}

fn mode(model: &Model) -> Result<String, Error> {
    Ok(model.config().get_str("mode")?.unwrap_or_default())
}

/// `start` deferred until config `calls` is at least the number of times
/// it was handled; then active, saying how many tries it took.
fn defer_start(event: &Event, model: &Model) -> Result<(), Error> {
    let mut tries = StoredState::<i64>::load("start tries")?;
    *tries += 1;
    tries.save()?;
    let allowed = model.config().get_int("calls")?.unwrap_or(0);
    if allowed < *tries {
        event.defer()?;
        return model.unit().set_status(Status::maintenance(&format!(
            "start deferred ({} tries)",
            *tries
        )));
    }
    model
        .unit()
        .set_status(Status::active(&format!("started after {} tries", *tries)))
}

fn on_start(model: &Model) -> Result<(), Error> {
    let mode = model.config().get_str("mode")?.unwrap_or_default();
    info!("start: mode {mode:?}");
    match mode.as_str() {
        "ok" => model.unit().set_status(Status::active("")),
        "write-app-as-anyone" => write_app_as_anyone(model),
        "fail-after-write" => fail_after_write(model),
        "panic" => panic!("deliberate panic"),
        "loop" => spin(),
        "grow" => grow(),
        "chatty" => chatty(model),
        // Walks and YAML (issue 12, classes 2 and 3): guest input that
        // once overflowed the host's stack or exhausted its memory.
        "chain-after" | "chain-before" | "chain-requires" | "chain-loop" => chain(model, &mode),
        "yaml-alias-layer" | "yaml-deep-layer" => hostile_layer(model, &mode),
        "yaml-alias-stdin" | "yaml-deep-stdin" => hostile_stdin(&mode),
        "long-glob" => long_glob(model),
        // Host budgets (issue 12, classes 4, 5 and 7): each floods one thing
        // the host holds or does for the charm, and fails the hook with the
        // host's error when it comes.
        "log-flood" => log_flood(model),
        "push-flood" => push_flood(model),
        "huge-relation" => huge_relation(model),
        "status-get-loop" => status_get_loop(model),
        "random-over" => random_over(),
        "env-loop" => env_loop(model),
        "sleep" => sleep_then_tell(model),
        "workload-http" => workload_http(model),
        "huge-secret" => huge_secret(model),
        "reboot" => reboot_after(model),
        "reboot-now" => reboot_now(model),
        other => Err(Error::msg(format!("unknown mode {other:?}"))),
    }
}

/// The mistake peer-counter avoids: write application data without asking
/// whether this unit is the leader, and let Juju's error fail the hook.
fn write_app_as_anyone(model: &Model) -> Result<(), Error> {
    let peers = model
        .get_relation(PEERS)?
        .ok_or_else(|| Error::msg("no peers relation"))?;
    peers.local_app_data().set("written", "yes")?;
    model.unit().set_status(Status::active("wrote app data"))
}

/// Buffered writes (relation data, unit state), an immediate one (status),
/// then failure: only the status may survive.
fn fail_after_write(model: &Model) -> Result<(), Error> {
    match model.get_relation(PEERS)? {
        Some(peers) => peers.local_unit_data().set("touched", "yes")?,
        None => info!("no peers relation: skipping the databag write"),
    }
    let mut marker = StoredState::<Marker>::load("misbehave")?;
    marker.touched = "yes".to_string();
    marker.save()?;
    model.unit().set_status(Status::blocked("about to fail"))?;
    Err(Error::msg("deliberate failure"))
}

/// Many cheap hook-tool calls in one event (for replay benchmarks): reads
/// `calls` config times, alternating is-leader and the unit status.
fn chatty(model: &Model) -> Result<(), Error> {
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    let mut leader = 0u32;
    for i in 0..calls {
        if i % 2 == 0 {
            leader += u32::from(model.unit().is_leader()?);
        } else {
            black_box(model.unit().status()?);
        }
    }
    info!("chatty: {calls} calls, leader {leader} times");
    model.unit().set_status(Status::active(""))
}

/// Services in the `chain-*` layers.
const CHAIN: usize = 60_000;

/// The workload container (not declared in this charm's charmcraft.yaml:
/// tests run the component under metadata that has it).
const WORKLOAD: &str = "workload";

/// Add a layer of [`CHAIN`] services, each linked to the previous one by
/// `after`, `before` (reversed) or `requires`; `chain-loop` closes the
/// after-chain into a loop, which Pebble refuses. Then read the plan.
fn chain(model: &Model, mode: &str) -> Result<(), Error> {
    use std::fmt::Write;
    let name = |i: usize| format!("s{i:05}");
    let mut yaml = String::from("services:\n");
    for i in 0..CHAIN {
        let link = match mode {
            "chain-before" if i + 1 < CHAIN => format!(", before: [{}]", name(i + 1)),
            "chain-requires" if i > 0 => format!(", requires: [{}]", name(i - 1)),
            "chain-after" | "chain-loop" if i > 0 => format!(", after: [{}]", name(i - 1)),
            "chain-loop" => format!(", after: [{}]", name(CHAIN - 1)),
            _ => String::new(),
        };
        let _ = writeln!(
            yaml,
            "  {}: {{override: replace, command: /bin/true{link}}}",
            name(i)
        );
    }
    let c = model.container(WORKLOAD)?;
    c.raw()
        .add_layer("chain", &yaml, false)
        .map_err(|e| Error::msg(format!("add-layer: {}", e.message())))?;
    let plan = c.get_plan_yaml()?;
    model
        .unit()
        .set_status(Status::active(format!("plan of {} bytes", plan.len())))
}

/// `n` aliases to one sequence of `n` scalars: 5n bytes that expand to n²
/// nodes.
fn alias_bomb(n: usize) -> String {
    format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["x"; n].join(","),
        vec!["*a"; n].join(",")
    )
}

/// 400 KB of flow nesting (libyaml's scanner is quadratic in its depth).
fn deep_nesting() -> String {
    format!("a: {}{}\n", "[".repeat(200_000), "]".repeat(200_000))
}

/// Add a YAML bomb as a layer; Pebble's error fails the hook.
fn hostile_layer(model: &Model, mode: &str) -> Result<(), Error> {
    let yaml = if mode == "yaml-alias-layer" {
        alias_bomb(28_000)
    } else {
        deep_nesting()
    };
    model
        .container(WORKLOAD)?
        .raw()
        .add_layer("bomb", &yaml, false)
        .map_err(|e| Error::msg(format!("add-layer: {}", e.message())))?;
    model.unit().set_status(Status::active("bomb accepted"))
}

/// `state-set --file -` with a YAML bomb on stdin, through the raw jujuc
/// import; the tool's error fails the hook.
fn hostile_stdin(mode: &str) -> Result<(), Error> {
    use charmbox_sdk::bindings::juju::charm::jujuc;
    let yaml = if mode == "yaml-alias-stdin" {
        alias_bomb(28_000)
    } else {
        deep_nesting()
    };
    let argv = ["state-set", "--file", "-"].map(String::from);
    let out = jujuc::run(&argv, yaml.as_bytes());
    if out.code != 0 {
        return Err(Error::msg(format!(
            "state-set: {}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    Err(Error::msg("state-set took the bomb"))
}

/// List files with a 1 MiB glob pattern (the host's matcher once recursed
/// once per character), then a pattern of stars that backtracking would
/// try in every combination.
fn long_glob(model: &Model) -> Result<(), Error> {
    let c = model.container(WORKLOAD)?;
    let long = "a".repeat(1 << 20);
    let found = c.list_files("/", Some(&long), false)?.len();
    let stars = "*a".repeat(50) + "b";
    let found_stars = c.list_files("/", Some(&stars), false)?.len();
    model.unit().set_status(Status::active(format!(
        "globs matched {found} and {found_stars}"
    )))
}

/// `size` config (MiB, default 1) in bytes.
fn size(model: &Model) -> Result<usize, Error> {
    let mib = model.config().get_int("size")?.unwrap_or(1);
    Ok(usize::try_from(mib).unwrap_or(1) << 20)
}

/// `calls` juju-log lines of `size` MiB each, through the raw import so a
/// refusal is seen (the SDK's logging ignores it).
fn log_flood(model: &Model) -> Result<(), Error> {
    let line = "x".repeat(size(model)?);
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    for i in 0..calls {
        hook_tools::juju_log(LogLevel::Info, &line)
            .map_err(|e| Error::msg(format!("juju-log #{i}: {}", hook_message(&e))))?;
    }
    Ok(())
}

/// `calls` pushes of `size` MiB to new files in the workload container.
fn push_flood(model: &Model) -> Result<(), Error> {
    let data = vec![7u8; size(model)?];
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    let c = model.container(WORKLOAD)?;
    let opts = FileOptions {
        make_dirs: true,
        ..FileOptions::default()
    };
    for i in 0..calls {
        c.push(&format!("/flood/{i}"), &data, &opts)
            .map_err(|e| Error::msg(format!("push #{i}: {e}")))?;
    }
    Ok(())
}

/// One relation value of `size` MiB in the unit's peer databag.
fn huge_relation(model: &Model) -> Result<(), Error> {
    let peers = model
        .get_relation(PEERS)?
        .ok_or_else(|| Error::msg("no peers relation"))?;
    peers
        .local_unit_data()
        .set("huge", &"x".repeat(size(model)?))?;
    model
        .unit()
        .set_status(Status::active("huge value written"))
}

/// A status of `size` MiB, then status-get `calls` times: host work the
/// charm's own fuel hardly sees.
fn status_get_loop(model: &Model) -> Result<(), Error> {
    model
        .unit()
        .set_status(Status::maintenance(&"s".repeat(size(model)?)))?;
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    for _ in 0..calls {
        black_box(hook_tools::status_get().map_err(|e| Error::msg(hook_message(&e)))?);
    }
    Ok(())
}

/// More random bytes than the host gives in one call: the host refuses and
/// the guest traps, and the failure must say why.
fn random_over() -> Result<(), Error> {
    black_box(charmbox_sdk::bindings::juju::charm::sandbox::random_bytes(
        2 << 20,
    ));
    Ok(())
}

/// Ask the host for the dispatch environment config `calls` times: each
/// call is metered, so the loop ends at the host's budget.
fn env_loop(model: &Model) -> Result<(), Error> {
    let calls = model.config().get_int("calls")?.unwrap_or(1000);
    for _ in 0..calls {
        black_box(charmbox_sdk::bindings::juju::charm::event::environment());
    }
    Ok(())
}

/// Sleep config `calls` seconds of virtual time (when 0, twice the most
/// the host allows), and tell in the status how far `now` moved.
fn sleep_then_tell(model: &Model) -> Result<(), Error> {
    use charmbox_sdk::sandbox;
    use std::time::Duration;
    let before = sandbox::now_unix_nanos();
    match model.config().get_int("calls")?.unwrap_or(0) {
        secs if secs > 0 => sandbox::sleep(Duration::from_secs(secs as u64)),
        _ => {
            sandbox::sleep(Duration::MAX);
            sandbox::sleep(Duration::MAX);
        }
    }
    let moved = sandbox::now_unix_nanos() - before;
    model
        .unit()
        .set_status(Status::active(&format!("now moved {moved} ns")))?;
    Ok(())
}

/// The workload's version over loopback HTTP, and a closed port's refusal.
fn workload_http(model: &Model) -> Result<(), Error> {
    use charmbox_sdk::loopback;
    let r = loopback::get(8000, "/version").map_err(|e| Error::msg(e.to_string()))?;
    let version = String::from_utf8_lossy(&r.body).trim().to_string();
    model.unit().set_workload_version(&version)?;
    let closed = match loopback::get(9999, "/") {
        Err(loopback::LoopbackError::Refused(m)) => m,
        other => format!("not refused: {other:?}"),
    };
    let missing = loopback::get(8000, "/missing").map(|r| r.status);
    model.unit().set_status(Status::active(&format!(
        "{} {:?} {missing:?}; {closed}",
        r.status,
        r.header("content-type")
    )))?;
    Ok(())
}

/// A secret whose one value is `size` MiB, through the typed import.
fn huge_secret(model: &Model) -> Result<(), Error> {
    let value = "x".repeat(size(model)?);
    model
        .app()
        .add_secret([("password", value.as_str())], &Default::default())?;
    Ok(())
}

fn hook_message(e: &HookError) -> &str {
    use HookError::*;
    match e {
        NotFound(m) | NotLeader(m) | PermissionDenied(m) | InvalidArgument(m)
        | QuotaExceeded(m) | NotSupported(m) | Other(m) => m,
    }
}

/// Spin forever; `black_box` keeps the optimiser from removing the loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocate and touch 1 MiB chunks until the host stops it.
fn grow() -> ! {
    const CHUNK: usize = 1 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for i in (0..CHUNK).step_by(4096) {
            chunk[i] = 1;
        }
        chunks.push(black_box(chunk));
        black_box(&chunks);
    }
}

charmbox_sdk::export_charm!(Misbehave);

/// Ask for a reboot after this hook, once (unit state remembers it: the
/// hook commits before the machine reboots, and `start` runs again after).
fn reboot_after(model: &Model) -> Result<(), Error> {
    let mut asked = model.stored::<bool>("reboot-asked")?;
    if *asked {
        return model.unit().set_status(Status::active("rebooted"));
    }
    *asked = true;
    asked.save()?;
    model.unit().reboot(false)?;
    model
        .unit()
        .set_status(Status::maintenance("rebooting after start"))
}

/// Reboot now, once: the status (immediate, so it survives the stopped
/// hook) remembers it; unit state written before the call is lost.
fn reboot_now(model: &Model) -> Result<(), Error> {
    if model.unit().status()?.message() == "rebooting now" {
        return model.unit().set_status(Status::active("back after reboot"));
    }
    let mut lost = model.stored::<bool>("lost")?;
    *lost = true;
    lost.save()?;
    model
        .unit()
        .set_status(Status::maintenance("rebooting now"))?;
    model.unit().reboot(true)?;
    model
        .unit()
        .set_status(Status::blocked("the hook went on after juju-reboot --now"))
}
