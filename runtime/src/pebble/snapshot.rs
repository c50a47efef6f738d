//! A container's Pebble to and from the State JSON ([`ContainerState`]).
//! Loading rebuilds the daemon (layers parsed and combined, services and
//! checks restored, timers re-armed); saving writes everything back so the
//! output State can be the next event's input.

use std::collections::BTreeMap;

use base64::Engine;

use crate::go::duration::Duration;
use crate::go::path::clean;
use crate::pebble::accounts::Accounts;
use crate::pebble::changes::{Change, Status, Task, Work};
use crate::pebble::checks::CheckData;
use crate::pebble::clock::{Instant, Timer, parse_rfc3339, rfc3339_nano};
use crate::pebble::daemon::Pebble;
use crate::pebble::fs::{DEFAULT_DIRS, Entry, Kind};
use crate::pebble::layer::{self, Layer, Service, combine, render};
use crate::pebble::notices::Notice;
use crate::pebble::plan::PlanManager;
use crate::pebble::services::{ServiceData, SvcState};
use crate::state::ContainerState;
use crate::state::container::*;

fn time(s: &Option<String>, default: Instant, what: &str) -> Result<Instant, String> {
    match s {
        None => Ok(default),
        Some(t) => parse_rfc3339(t).ok_or_else(|| format!("{what}: not an RFC 3339 time: {t:?}")),
    }
}

fn duration(s: &Option<String>, what: &str) -> Result<Option<Duration>, String> {
    match s {
        None => Ok(None),
        Some(d) => Duration::parse(d)
            .map(Some)
            .map_err(|_| format!("{what}: invalid duration {d:?}")),
    }
}

/// The text of a State layer.
fn layer_text(l: &LayerState) -> Result<String, String> {
    match (&l.layer, &l.yaml) {
        (Some(v), None) => Ok(crate::go::yaml::v3::to_string(&json_node(v))),
        (None, Some(y)) => Ok(y.clone()),
        (None, None) => Ok(String::new()),
        (Some(_), Some(_)) => Err(format!(
            "layer {:?} has both \"layer\" and \"yaml\"",
            l.label
        )),
    }
}

/// A JSON value as a YAML tree (JSON text itself may hold characters YAML
/// forbids unescaped, like DEL). Recursive: as deep as the State's JSON,
/// which serde_json caps at 128 levels.
fn json_node(v: &serde_json::Value) -> crate::go::yaml::v3::Node {
    use crate::go::yaml::v3::Node;
    match v {
        serde_json::Value::Object(m) => {
            Node::Map(m.iter().map(|(k, v)| (k.clone(), json_node(v))).collect())
        }
        serde_json::Value::Array(a) => Node::Seq(a.iter().map(json_node).collect()),
        serde_json::Value::String(s) => Node::Str(s.clone()),
        serde_json::Value::Null => Node::Raw("null".into()),
        other => Node::Raw(other.to_string()),
    }
}

/// A service definition from the State, with defaults as in a plan.
fn service_from_json(
    name: &str,
    v: &serde_json::Value,
    accounts: &Accounts,
) -> Result<Service, String> {
    let doc = serde_json::json!({ "services": { name: v } });
    let text = crate::go::yaml::v3::to_string(&json_node(&doc));
    let parsed = layer::parse(0, "state", &text, accounts).map_err(|e| e.0)?;
    let combined = combine::combine(&[&parsed]).map_err(|e| e.0)?;
    combined
        .services
        .get(name)
        .cloned()
        .ok_or_else(|| "missing".to_string())
}

fn state_from(s: &ServiceState) -> Result<SvcState, String> {
    if let Some(st) = &s.state {
        return serde_json::from_value(serde_json::Value::String(st.clone()))
            .map_err(|_| format!("unknown service state {st:?}"));
    }
    Ok(match s.current.as_str() {
        "active" => SvcState::Running,
        "inactive" | "" => SvcState::Stopped,
        "backoff" => SvcState::Backoff,
        "error" => SvcState::Exited,
        other => {
            return Err(format!(
                "unknown service status {other:?} (want active, inactive, backoff or error)"
            ));
        }
    })
}

/// The names of the checks in a container's plan.
pub fn plan_checks(c: &ContainerState) -> Result<Vec<String>, String> {
    let accounts = Accounts::with(&c.users, &c.groups);
    let mut layers = Vec::new();
    for l in &c.layers {
        let text = layer_text(l)?;
        layers.push(
            layer::parse(l.order.unwrap_or(0), &l.label, &text, &accounts)
                .map_err(|e| format!("container {:?} layer {:?}: {e}", c.name, l.label))?,
        );
    }
    let refs: Vec<&Layer> = layers.iter().collect();
    let combined = combine::combine(&refs).map_err(|e| e.0)?;
    Ok(combined.checks.keys().cloned().collect())
}

/// Build a container's Pebble from the State at `state_now`.
pub fn load(c: &ContainerState, state_now: Instant) -> Result<Pebble, String> {
    let ctx = |m: String| format!("container {:?}: {m}", c.name);
    let now = time(&c.now, state_now, "now").map_err(ctx)?;
    let mut p = Pebble::new(now);
    p.accounts = Accounts::with(&c.users, &c.groups);
    // Layers, in the order given.
    let mut layers: Vec<Layer> = Vec::new();
    for l in &c.layers {
        let order = l.order.unwrap_or_else(|| {
            layers
                .last()
                .map(|prev| (prev.order / 1000 + 1) * 1000)
                .unwrap_or(1000)
        });
        let text = layer_text(l).map_err(ctx)?;
        let parsed = layer::parse(order, &l.label, &text, &p.accounts)
            .map_err(|e| ctx(format!("layer {:?}: {e}", l.label)))?;
        layers.push(parsed);
    }
    p.plan = PlanManager::from_layers(layers).map_err(|e| ctx(format!("plan: {e}")))?;
    p.services.scripts = c.processes.clone();
    p.checks.scripts = c.check_outcomes.clone();
    p.exec.handlers = c.exec.clone();
    p.exec.history = c.exec_history.clone();
    p.identities = c.identities.clone();
    p.overlord.exited = c.exited;
    if let Some(r) = &c.runtime {
        p.overlord.changes.last_change = r.last_change;
        p.overlord.changes.last_task = r.last_task;
        p.overlord.changes.last_lane = r.last_lane;
        p.overlord.last_epoch = r.last_epoch;
        p.overlord.notices.last_id = r.last_notice;
    }
    load_files(&mut p, c).map_err(ctx)?;
    load_notices(&mut p, c).map_err(ctx)?;
    load_changes(&mut p, c).map_err(ctx)?;
    load_services(&mut p, c).map_err(ctx)?;
    load_checks(&mut p, c).map_err(ctx)?;
    if let Some(r) = &c.runtime {
        for t in &r.timers {
            let at = parse_rfc3339(&t.at).ok_or_else(|| ctx(format!("timer at {:?}", t.at)))?;
            p.overlord.clock.restore(at, t.timer.clone());
        }
    }
    p.settle();
    if state_now > p.now() {
        p.advance_to(state_now);
    }
    Ok(p)
}

fn load_files(p: &mut Pebble, c: &ContainerState) -> Result<(), String> {
    let now = p.now();
    for (path, f) in &c.files {
        if !path.starts_with('/') {
            return Err(format!("file {path:?}: paths must be absolute"));
        }
        let path = clean(path);
        let mode = match &f.permissions {
            Some(m) => u32::from_str_radix(m, 8)
                .map_err(|_| format!("file {path:?}: bad permissions {m:?}"))?,
            None if f.kind.as_deref() == Some("directory") => 0o755,
            None => 0o644,
        };
        let kind = match f.kind.as_deref().unwrap_or("file") {
            "file" => {
                let data = match (&f.content, &f.content_base64) {
                    (Some(t), None) => t.clone().into_bytes(),
                    (None, Some(b)) => base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_err(|e| format!("file {path:?}: {e}"))?,
                    (None, None) => Vec::new(),
                    _ => return Err(format!("file {path:?}: both content and content_base64")),
                };
                Kind::File(data)
            }
            "directory" => Kind::Dir,
            "symlink" => Kind::Symlink(f.target.clone().unwrap_or_default()),
            other => return Err(format!("file {path:?}: unknown type {other:?}")),
        };
        let modified = time(&f.modified, now, "modified")?;
        // Implied parents.
        let mut parents = Vec::new();
        let mut cur = path.clone();
        while let Some(i) = cur.rfind('/') {
            cur = if i == 0 {
                "/".into()
            } else {
                cur[..i].to_string()
            };
            if p.fs.entries.contains_key(&cur) {
                break;
            }
            parents.push(cur.clone());
            if cur == "/" {
                break;
            }
        }
        for d in parents {
            p.fs.entries.insert(
                d,
                Entry {
                    kind: Kind::Dir,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    modified: now,
                },
            );
        }
        p.fs.entries.insert(
            path,
            Entry {
                kind,
                mode,
                uid: f.user_id.unwrap_or(0),
                gid: f.group_id.unwrap_or(0),
                modified,
            },
        );
    }
    Ok(())
}

fn load_notices(p: &mut Pebble, c: &ContainerState) -> Result<(), String> {
    let now = p.now();
    for n in &c.notices {
        let id = if n.id.is_empty() {
            p.overlord.notices.last_id += 1;
            p.overlord.notices.last_id.to_string()
        } else {
            if let Ok(i) = n.id.parse::<u64>() {
                p.overlord.notices.last_id = p.overlord.notices.last_id.max(i);
            }
            n.id.clone()
        };
        let first = time(&n.first_occurred, now, "notice first_occurred")?;
        let last = time(&n.last_occurred, first, "notice last_occurred")?;
        p.overlord.notices.list.push(Notice {
            id,
            user_id: n.user_id,
            type_: if n.kind.is_empty() {
                "custom".into()
            } else {
                n.kind.clone()
            },
            key: n.key.clone(),
            first_occurred: first,
            last_occurred: last,
            last_repeated: time(&n.last_repeated, last, "notice last_repeated")?,
            occurrences: n.occurrences.max(1),
            last_data: n.last_data.clone(),
            repeat_after: duration(&n.repeat_after, "notice repeat_after")?,
            expire_after: duration(&n.expire_after, "notice expire_after")?
                .or(Some(crate::pebble::notices::DEFAULT_EXPIRE_AFTER)),
        });
    }
    Ok(())
}

fn load_changes(p: &mut Pebble, c: &ContainerState) -> Result<(), String> {
    for ch in &c.changes {
        let cid: u64 = ch
            .id
            .parse()
            .map_err(|_| format!("change id {:?}", ch.id))?;
        let spawn = time(&Some(ch.spawn_time.clone()), 0, "change spawn_time")?;
        let status =
            Status::parse(&ch.status).ok_or_else(|| format!("change status {:?}", ch.status))?;
        let mut change = Change {
            id: ch.id.clone(),
            kind: ch.kind.clone(),
            summary: ch.summary.clone(),
            explicit: ch.explicit.then_some(status),
            tasks: Vec::new(),
            spawn_time: spawn,
            ready_time: match &ch.ready_time {
                Some(t) => Some(time(&Some(t.clone()), spawn, "change ready_time")?),
                None => None,
            },
            data: ch.data.clone(),
            announced: Some(status),
        };
        for t in &ch.tasks {
            let tid: u64 = t.id.parse().map_err(|_| format!("task id {:?}", t.id))?;
            let target = t.target.clone().unwrap_or_default();
            let work = match t.kind.as_str() {
                "start" => Work::Start(target),
                "stop" => Work::Stop(target),
                "perform-check" => Work::PerformCheck(target),
                "recover-check" => Work::RecoverCheck(target),
                _ => Work::Exec,
            };
            let tspawn = time(&Some(t.spawn_time.clone()), spawn, "task spawn_time")?;
            p.overlord.changes.tasks.insert(
                tid,
                Task {
                    id: t.id.clone(),
                    kind: t.kind.clone(),
                    summary: t.summary.clone(),
                    status: Status::parse(&t.status)
                        .ok_or_else(|| format!("task status {:?}", t.status))?,
                    log: t.log.clone(),
                    spawn_time: tspawn,
                    ready_time: match &t.ready_time {
                        Some(r) => Some(time(&Some(r.clone()), tspawn, "task ready_time")?),
                        None => None,
                    },
                    data: t.data.clone(),
                    wait_for: t.wait_for.clone(),
                    lanes: t.lanes.clone(),
                    change: ch.id.clone(),
                    work,
                },
            );
            p.overlord.changes.last_task = p.overlord.changes.last_task.max(tid);
            change.tasks.push(t.id.clone());
        }
        p.overlord.changes.last_change = p.overlord.changes.last_change.max(cid);
        p.overlord.changes.changes.insert(cid, change);
    }
    Ok(())
}

fn load_services(p: &mut Pebble, c: &ContainerState) -> Result<(), String> {
    let now = p.now();
    let fresh = c.runtime.is_none();
    for (name, s) in &c.services {
        let what = |m: String| format!("service {name:?}: {m}");
        let config = match &s.config {
            Some(v) => service_from_json(name, v, &p.accounts).map_err(what)?,
            None => match p.plan.plan().services.get(name) {
                Some(cfg) => cfg.clone(),
                None => Service {
                    name: name.clone(),
                    ..Default::default()
                },
            },
        };
        let workload = p.plan.plan().workloads.get(&config.workload).cloned();
        let state = state_from(s).map_err(what)?;
        let mut d = ServiceData::new(
            config,
            workload,
            time(&s.since, now, "since").map_err(what)?,
        );
        d.state = state;
        d.starts = s.starts;
        d.backoff_num = s.backoff_num;
        d.backoff_time = duration(&s.backoff_time, "backoff_time")
            .map_err(what)?
            .unwrap_or_default();
        d.signals = s.signals.clone();
        d.restarting = s.restarting;
        d.start_task = s.start_task.clone();
        d.stop_task = s.stop_task.clone();
        d.run = s.run.clone().unwrap_or_default();
        let live = !matches!(
            state,
            SvcState::Stopped | SvcState::Exited | SvcState::Initial
        );
        d.epoch = if s.epoch != 0 {
            s.epoch
        } else if live {
            p.overlord.next_epoch()
        } else {
            0
        };
        if d.starts == 0 && live {
            d.starts = 1;
        }
        let epoch = d.epoch;
        let service = name.clone();
        let (delay, kill) = (d.backoff_time, d.kill_delay());
        let first_delay = d.config.backoff_delay.value;
        p.services.services.insert(name.clone(), d);
        if fresh {
            // Re-arm what a live state waits for.
            let t = match state {
                SvcState::Starting => Some((
                    crate::pebble::services::OKAY_DELAY,
                    Timer::OkayDelay { service, epoch },
                )),
                SvcState::Backoff => Some((
                    if delay.0 == 0 { first_delay } else { delay },
                    Timer::BackoffElapsed { service, epoch },
                )),
                SvcState::Terminating => Some((kill, Timer::TerminateElapsed { service, epoch })),
                SvcState::Killing => Some((
                    crate::pebble::services::FAIL_DELAY,
                    Timer::KillElapsed { service, epoch },
                )),
                _ => None,
            };
            if let Some((after, timer)) = t {
                p.overlord.clock.after(after, timer);
            }
        }
    }
    Ok(())
}

fn load_checks(p: &mut Pebble, c: &ContainerState) -> Result<(), String> {
    let fresh = c.runtime.is_none();
    let plan = p.plan.plan().checks.clone();
    for (name, config) in plan {
        let mut d = CheckData::new(config.clone());
        let given = c.checks.get(&name);
        match given {
            Some(s) => {
                d.successes = s.successes;
                d.failures = s.failures;
                d.task_failures = s.failures;
                d.change_id = s.change_id.clone();
                d.prev_change_id = s.prev_change_id.clone();
                d.running = s.status != "inactive";
                d.epoch = s.epoch;
            }
            None => d.running = false,
        }
        let start = match given {
            None => config.enabled(),
            Some(_) => {
                d.running
                    && d.change_id
                        .as_ref()
                        .is_none_or(|id| p.overlord.changes.change(id).is_none())
            }
        };
        p.checks.checks.insert(name.clone(), d);
        if start {
            if let Some(d) = p.checks.checks.get_mut(&name) {
                d.running = false;
            }
            p.checks.start(&mut p.overlord, &name);
            if let (Some(s), Some(d)) = (given, p.checks.checks.get_mut(&name)) {
                d.failures = s.failures;
                d.task_failures = s.failures;
            }
        } else if fresh && p.checks.checks[&name].running {
            let epoch = p.overlord.next_epoch();
            let period = config.period.value;
            if let Some(d) = p.checks.checks.get_mut(&name) {
                d.epoch = epoch;
            }
            p.overlord.clock.after(
                if period.0 <= 0 { Duration(1) } else { period },
                Timer::CheckTick {
                    check: name.clone(),
                    epoch,
                },
            );
        }
    }
    for name in c.checks.keys() {
        if !p.checks.checks.contains_key(name) {
            return Err(format!("check {name:?} is not in the plan"));
        }
    }
    Ok(())
}

/// Write the Pebble back into its container.
pub fn save(p: &Pebble, c: &mut ContainerState) {
    let now = p.now();
    c.now = Some(rfc3339_nano(now));
    c.layers = p
        .plan
        .layers()
        .iter()
        .map(|l| LayerState {
            label: l.label.clone(),
            order: Some(l.order),
            layer: Some(render::node_json(&render::layer_node(l))),
            yaml: None,
        })
        .collect();
    let plan = p.plan.plan();
    c.plan = (!c.layers.is_empty()).then(|| render::node_json(&render::plan_node(plan)));
    c.services = p
        .services
        .services
        .iter()
        .map(|(name, d)| {
            let differs = plan.services.get(name) != Some(&d.config);
            (
                name.clone(),
                ServiceState {
                    current: d.state.status().into(),
                    state: Some(d.state.as_str().into()),
                    since: Some(rfc3339_nano(d.current_since)),
                    config: differs.then(|| render::node_json(&render::service_node(&d.config))),
                    starts: d.starts,
                    backoff_num: d.backoff_num,
                    backoff_time: (d.backoff_time.0 != 0).then(|| d.backoff_time.to_string()),
                    signals: d.signals.clone(),
                    restarting: d.restarting,
                    epoch: d.epoch,
                    start_task: d.start_task.clone(),
                    stop_task: d.stop_task.clone(),
                    run: (d.run != Default::default()).then(|| d.run.clone()),
                },
            )
        })
        .collect();
    c.processes = p.services.scripts.clone();
    c.checks = p
        .checks
        .checks
        .iter()
        .map(|(name, d)| {
            (
                name.clone(),
                CheckState {
                    status: d.status().into(),
                    successes: d.successes,
                    failures: d.failures,
                    change_id: d.change_id.clone(),
                    prev_change_id: d.prev_change_id.clone(),
                    epoch: d.epoch,
                },
            )
        })
        .collect();
    c.check_outcomes = p
        .checks
        .scripts
        .iter()
        .filter(|(_, s)| !s.outcomes.is_empty() || s.then.is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    c.files = save_files(p);
    c.exec = p.exec.handlers.clone();
    c.exec_history = p.exec.history.clone();
    c.notices = p
        .overlord
        .notices
        .list
        .iter()
        .map(|n| NoticeState {
            id: n.id.clone(),
            user_id: n.user_id,
            kind: n.type_.clone(),
            key: n.key.clone(),
            first_occurred: Some(rfc3339_nano(n.first_occurred)),
            last_occurred: Some(rfc3339_nano(n.last_occurred)),
            last_repeated: Some(rfc3339_nano(n.last_repeated)),
            occurrences: n.occurrences,
            last_data: n.last_data.clone(),
            repeat_after: n.repeat_after.map(|d| d.to_string()),
            expire_after: n.expire_after.map(|d| d.to_string()),
        })
        .collect();
    c.changes = save_changes(p);
    c.identities = p.identities.clone();
    c.exited = p.overlord.exited;
    if p.overlord.exited.is_some() {
        c.can_connect = false;
    }
    c.runtime = Some(RuntimeState {
        timers: p
            .overlord
            .clock
            .pending()
            .map(|(at, t)| TimerState {
                at: rfc3339_nano(at),
                timer: t.clone(),
            })
            .collect(),
        last_change: p.overlord.changes.last_change,
        last_task: p.overlord.changes.last_task,
        last_lane: p.overlord.changes.last_lane,
        last_epoch: p.overlord.last_epoch,
        last_notice: p.overlord.notices.last_id,
    });
}

fn save_files(p: &Pebble) -> BTreeMap<String, FileState> {
    let mut out = BTreeMap::new();
    for (path, e) in &p.fs.entries {
        let default_dir = DEFAULT_DIRS.contains(&path.as_str())
            && matches!(e.kind, Kind::Dir)
            && e.uid == 0
            && e.gid == 0
            && (e.mode == 0o755 || (path == "/tmp" && e.mode == 0o1777));
        if default_dir {
            continue;
        }
        let (kind, content, content_base64, target) = match &e.kind {
            Kind::File(d) => match std::str::from_utf8(d) {
                Ok(t) if is_plain_text(t) => (None, Some(t.to_string()), None, None),
                _ => (
                    None,
                    None,
                    Some(base64::engine::general_purpose::STANDARD.encode(d)),
                    None,
                ),
            },
            Kind::Dir => (Some("directory".to_string()), None, None, None),
            Kind::Symlink(t) => (Some("symlink".to_string()), None, None, Some(t.clone())),
        };
        out.insert(
            path.clone(),
            FileState {
                kind,
                content,
                content_base64,
                target,
                permissions: Some(format!("{:03o}", e.mode)),
                user_id: (e.uid != 0).then_some(e.uid),
                group_id: (e.gid != 0).then_some(e.gid),
                modified: Some(rfc3339_nano(e.modified)),
            },
        );
    }
    out
}

/// Changes worth keeping: not ready, ready within the last day, or the
/// current change of a check.
fn save_changes(p: &Pebble) -> Vec<ChangeState> {
    let now = p.now();
    let day = 24 * crate::go::duration::HOUR;
    let live_checks: Vec<&str> = p
        .checks
        .checks
        .values()
        .filter_map(|c| c.change_id.as_deref())
        .collect();
    p.overlord
        .changes
        .all()
        .filter(|ch| {
            let status = p.overlord.changes.status(ch);
            !status.ready()
                || live_checks.contains(&ch.id.as_str())
                || ch.ready_time.is_none_or(|t| t.saturating_add(day) >= now)
        })
        .map(|ch| {
            let status = p.overlord.changes.status(ch);
            ChangeState {
                id: ch.id.clone(),
                kind: ch.kind.clone(),
                summary: ch.summary.clone(),
                status: status.as_str().into(),
                explicit: ch.explicit.is_some(),
                spawn_time: rfc3339_nano(ch.spawn_time),
                ready_time: ch.ready_time.map(rfc3339_nano),
                data: ch.data.clone(),
                tasks: ch
                    .tasks
                    .iter()
                    .filter_map(|t| p.overlord.changes.task(t))
                    .map(|t| TaskState {
                        id: t.id.clone(),
                        kind: t.kind.clone(),
                        summary: t.summary.clone(),
                        status: t.status.as_str().into(),
                        log: t.log.clone(),
                        spawn_time: rfc3339_nano(t.spawn_time),
                        ready_time: t.ready_time.map(rfc3339_nano),
                        data: t.data.clone(),
                        wait_for: t.wait_for.clone(),
                        lanes: t.lanes.clone(),
                        target: match &t.work {
                            Work::Start(n) | Work::Stop(n) => Some(n.clone()),
                            Work::PerformCheck(n) | Work::RecoverCheck(n) => Some(n.clone()),
                            Work::Exec => None,
                        },
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Whether a file's text is kept as text in a State: UTF-8 without control
/// characters other than tab, newline and carriage return. JSON writes a
/// control character as six bytes (`\u0007`), so such a file is kept as
/// base64 (four bytes for three) and a guest's file of control characters
/// cannot make the written State six times its size.
fn is_plain_text(t: &str) -> bool {
    !t.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::is_plain_text;

    #[test]
    fn control_characters_make_a_file_binary() {
        assert!(is_plain_text("key: value\n\tindented\r\n"));
        assert!(is_plain_text("üñíçødé"));
        assert!(!is_plain_text("\u{7}\u{7}"));
        assert!(!is_plain_text("a\u{0}b"));
        assert!(!is_plain_text("esc \u{1b}[0m"));
    }
}
