//! The unit's workload containers: each declared container in the State
//! gets a simulated Pebble ([`crate::pebble`]), and every [`PebbleCall`]
//! is translated to it and back. Pebble changes are effects on the
//! workload, not part of Juju's hook transaction: they are written back to
//! the State whether the hook succeeds or fails.

use std::collections::BTreeMap;

use super::UnitBackend;
use crate::backend::pebble::{PebbleBackend, PebbleCall, PebbleReply, PebbleResult};
use crate::bindings::pebble as wit;
use crate::bindings::pebble::{ApiError, PathError, PebbleError};
use crate::charm::CharmMeta;
use crate::go::duration::Duration;
use crate::pebble::clock::rfc3339_nano;
use crate::pebble::{self as domain, Pebble, WaitError, snapshot};
use crate::state::State;

/// One container: where it sits in the State, and its Pebble.
struct Container {
    index: usize,
    ready: bool,
    pebble: Pebble,
}

/// The containers of the unit and their Pebbles.
pub(super) struct Containers {
    declared: Vec<String>,
    pebbles: BTreeMap<String, Container>,
}

impl Containers {
    pub(super) fn new(meta: &CharmMeta, state: &State, now_ns: u64) -> Result<Containers, String> {
        let now = i64::try_from(now_ns).unwrap_or(i64::MAX);
        let mut pebbles = BTreeMap::new();
        for (index, c) in state.containers.iter().enumerate() {
            let pebble = snapshot::load(c, now)?;
            pebbles.insert(
                c.name.clone(),
                Container {
                    index,
                    ready: c.can_connect && c.exited.is_none(),
                    pebble,
                },
            );
        }
        Ok(Containers {
            declared: meta.containers.clone(),
            pebbles,
        })
    }

    /// Limit each container's filesystem to `bytes`.
    pub(super) fn set_fs_limit(&mut self, bytes: usize) {
        for c in self.pebbles.values_mut() {
            c.pebble.fs.set_limit(bytes);
        }
    }

    /// Write every Pebble back into the State's containers.
    pub(super) fn write_back(&self, state: &mut State) {
        for c in self.pebbles.values() {
            if let Some(slot) = state.containers.get_mut(c.index) {
                snapshot::save(&c.pebble, slot);
            }
        }
    }
}

fn api(e: domain::ApiError) -> PebbleError {
    PebbleError::Api(ApiError {
        status_code: e.status,
        kind: e.kind,
        message: e.message,
    })
}

fn path(e: domain::fs::PathError) -> PebbleError {
    PebbleError::Path(PathError {
        kind: e.kind.to_string(),
        message: e.message,
    })
}

fn wait(e: WaitError) -> PebbleError {
    match e {
        WaitError::Api(a) => api(a),
        WaitError::Timeout(m) => PebbleError::Timeout(m),
    }
}

fn change(c: domain::ChangeInfo) -> wit::ChangeInfo {
    wit::ChangeInfo {
        id: c.id,
        kind: c.kind,
        summary: c.summary,
        status: c.status,
        ready: c.ready,
        err: c.err,
        spawn_time: rfc3339_nano(c.spawn_time),
        ready_time: c.ready_time.map(rfc3339_nano),
        tasks: c
            .tasks
            .into_iter()
            .map(|t| wit::TaskInfo {
                id: t.id,
                kind: t.kind,
                summary: t.summary,
                status: t.status,
                log: t.log,
                progress_label: t.progress.0,
                progress_done: t.progress.1,
                progress_total: t.progress.2,
                spawn_time: rfc3339_nano(t.spawn_time),
                ready_time: t.ready_time.map(rfc3339_nano),
                data_json: (!t.data.is_empty())
                    .then(|| serde_json::Value::Object(t.data).to_string()),
            })
            .collect(),
    }
}

fn level(l: wit::CheckLevel) -> &'static str {
    match l {
        wit::CheckLevel::Unset => "",
        wit::CheckLevel::Alive => "alive",
        wit::CheckLevel::Ready => "ready",
    }
}

fn options(o: &wit::FileOptions) -> domain::api::FileOptions {
    domain::api::FileOptions {
        make_dirs: o.make_dirs,
        permissions: o.permissions,
        user_id: o.user_id.map(i64::from),
        user: o.user.clone(),
        group_id: o.group_id.map(i64::from),
        group: o.group.clone(),
    }
}

fn notice(n: domain::notices::Notice) -> wit::Notice {
    wit::Notice {
        id: n.id,
        user_id: n.user_id,
        type_: n.type_,
        key: n.key,
        first_occurred: rfc3339_nano(n.first_occurred),
        last_occurred: rfc3339_nano(n.last_occurred),
        last_repeated: rfc3339_nano(n.last_repeated),
        occurrences: n.occurrences,
        last_data: n.last_data.into_iter().collect(),
        repeat_after: n.repeat_after.map(|d| d.to_string()),
        expire_after: n.expire_after.map(|d| d.to_string()),
    }
}

fn millis(ms: u64) -> Duration {
    Duration(
        i64::try_from(ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000),
    )
}

/// Answer one call on a connected Pebble.
fn answer(p: &mut Pebble, call: PebbleCall) -> Result<PebbleReply, PebbleError> {
    use PebbleCall as C;
    use PebbleReply as R;
    Ok(match call {
        C::Open => R::Done,
        C::CanConnect => R::Bool(true),
        C::SystemInfo => R::Text(p.system_info().to_string()),
        C::AddLayer {
            label,
            layer_yaml,
            combine,
        } => {
            p.add_layer(&label, &layer_yaml, combine, false)
                .map_err(api)?;
            R::Done
        }
        C::GetPlan => R::Text(p.plan_yaml()),
        C::GetServices { names } => R::Services(
            p.service_infos(&names)
                .into_iter()
                .map(|s| wit::ServiceInfo {
                    name: s.name,
                    startup: if s.startup == "enabled" {
                        wit::ServiceStartup::Enabled
                    } else {
                        wit::ServiceStartup::Disabled
                    },
                    current: s.current,
                })
                .collect(),
        ),
        C::Start { services } => R::Text(p.services_action("start", &services).map_err(api)?),
        C::Stop { services } => R::Text(p.services_action("stop", &services).map_err(api)?),
        C::Restart { services } => R::Text(p.services_action("restart", &services).map_err(api)?),
        C::Replan => R::Text(p.services_action("replan", &[]).map_err(api)?),
        C::Autostart => R::Text(p.services_action("autostart", &[]).map_err(api)?),
        C::SendSignal { signal, services } => {
            p.send_signal(&signal, &services).map_err(api)?;
            R::Done
        }
        C::GetChanges { select, service } => {
            let select = match select {
                wit::ChangeSelect::InProgress => "in-progress",
                wit::ChangeSelect::Ready => "ready",
                wit::ChangeSelect::All => "all",
            };
            R::Changes(
                p.changes_list(select, service.as_deref())
                    .into_iter()
                    .map(change)
                    .collect(),
            )
        }
        C::GetChange { id } => R::Change(change(p.change(&id).map_err(api)?)),
        C::WaitChange { id, timeout_ms } => R::Change(change(
            p.wait_change(&id, timeout_ms.map(millis)).map_err(wait)?,
        )),
        C::AbortChange { id } => R::Change(change(p.abort_change(&id).map_err(api)?)),
        C::GetChecks { level: l, names } => R::Checks(
            p.check_infos(level(l), &names)
                .into_iter()
                .map(|c| wit::CheckInfo {
                    name: c.name,
                    level: match c.level.as_str() {
                        "alive" => wit::CheckLevel::Alive,
                        "ready" => wit::CheckLevel::Ready,
                        _ => wit::CheckLevel::Unset,
                    },
                    startup: c.startup,
                    status: c.status,
                    successes: u32::try_from(c.successes).unwrap_or(u32::MAX),
                    failures: u32::try_from(c.failures).unwrap_or(u32::MAX),
                    threshold: u32::try_from(c.threshold).unwrap_or(u32::MAX),
                    change_id: c.change_id,
                })
                .collect(),
        ),
        C::StartChecks { names } => R::Texts(p.checks_action("start", &names).map_err(api)?),
        C::StopChecks { names } => R::Texts(p.checks_action("stop", &names).map_err(api)?),
        C::Pull { path: f } => R::Bytes(p.pull(&f).map_err(path)?),
        C::Push {
            path: f,
            data,
            options: o,
        } => {
            p.push(&f, data, &options(&o)).map_err(path)?;
            R::Done
        }
        C::ListFiles {
            path: f,
            pattern,
            itself,
        } => {
            if !f.starts_with('/') {
                return Err(api(domain::ApiError::bad_request(format!(
                    "paths must be absolute, got {}",
                    crate::go::quote::quote(&f)
                ))));
            }
            R::Files(
                p.list_files(&f, pattern.as_deref().filter(|s| !s.is_empty()), itself)
                    .map_err(api)?
                    .into_iter()
                    .map(|i| wit::FileInfo {
                        path: i.path,
                        name: i.name,
                        type_: match i.type_ {
                            "file" => wit::FileType::File,
                            "directory" => wit::FileType::Directory,
                            "symlink" => wit::FileType::Symlink,
                            _ => wit::FileType::Unknown,
                        },
                        size: i.size,
                        permissions: i.permissions,
                        last_modified: rfc3339_nano(i.last_modified),
                        user_id: i.user_id,
                        user: i.user,
                        group_id: i.group_id,
                        group: i.group,
                    })
                    .collect(),
            )
        }
        C::MakeDir {
            path: f,
            options: o,
        } => {
            p.make_dir(&f, &options(&o)).map_err(path)?;
            R::Done
        }
        C::RemovePath { path: f, recursive } => {
            p.remove_path(&f, recursive).map_err(path)?;
            R::Done
        }
        C::Exec { request } => {
            let r = p
                .exec(&domain::exec::ExecRequest {
                    command: request.command,
                    service_context: request.service_context,
                    environment: request.environment,
                    working_dir: request.working_dir,
                    timeout: request.timeout_ms.map(millis),
                    user_id: request.user_id.map(i64::from),
                    user: request.user,
                    group_id: request.group_id.map(i64::from),
                    group: request.group,
                    stdin: request.stdin,
                    split_stderr: request.split_stderr,
                })
                .map_err(api)?;
            if let Some(m) = r.timed_out {
                return Err(PebbleError::Timeout(m));
            }
            R::Exec(wit::ExecOutput {
                exit_code: r.exit_code,
                stdout: r.stdout,
                stderr: r.stderr,
            })
        }
        C::Notify {
            key,
            data,
            repeat_after,
        } => R::Text(
            p.notify(
                "custom",
                &key,
                data.into_iter().collect(),
                repeat_after.as_deref(),
            )
            .map_err(api)?,
        ),
        C::GetNotice { id } => R::Notice(notice(p.notice(&id).map_err(api)?)),
        C::GetNotices { filter } => {
            let after = match filter.after.as_deref().filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => Some(crate::pebble::clock::parse_rfc3339(a).ok_or_else(|| {
                    api(domain::ApiError::bad_request(format!(
                        "invalid after timestamp {}",
                        crate::go::quote::quote(a)
                    )))
                })?),
            };
            R::Notices(
                p.notices_list(&domain::notices::Filter {
                    types: filter.types,
                    keys: filter.keys,
                    after,
                    user: None,
                })
                .into_iter()
                .map(notice)
                .collect(),
            )
        }
        C::GetIdentities => R::Text(p.identities().to_string()),
        C::ReplaceIdentities { identities_json } => {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&identities_json).map_err(|e| {
                    api(domain::ApiError::bad_request(format!(
                        "cannot decode request body: {e}"
                    )))
                })?;
            p.change_identities("replace", &map).map_err(api)?;
            R::Done
        }
        C::Request {
            method,
            path: target,
            query,
            headers,
            body,
        } => {
            let resp = domain::http::handle(
                p,
                &domain::http::Request {
                    method,
                    path: target,
                    query,
                    headers,
                    body,
                },
            );
            R::Http(wit::HttpResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            })
        }
    })
}

impl PebbleBackend for UnitBackend {
    fn pebble(&mut self, container: &str, call: PebbleCall) -> PebbleResult {
        if !self.pebble.declared.iter().any(|d| d == container) {
            return Ok(Err(PebbleError::Api(ApiError {
                status_code: 404,
                kind: Some("not-found".into()),
                message: format!("container {container:?} not found"),
            })));
        }
        let socket = format!("/charm/containers/{container}/pebble.socket");
        let Some(c) = self.pebble.pebbles.get_mut(container) else {
            // Declared but absent from the State: never ready.
            return Ok(match call {
                PebbleCall::Open => Ok(PebbleReply::Done),
                PebbleCall::CanConnect => Ok(PebbleReply::Bool(false)),
                _ => Err(unreachable_socket(&socket)),
            });
        };
        let ready = c.ready && c.pebble.exited().is_none();
        Ok(match call {
            PebbleCall::Open => Ok(PebbleReply::Done),
            PebbleCall::CanConnect => Ok(PebbleReply::Bool(ready)),
            _ if !ready => Err(unreachable_socket(&socket)),
            call => answer(&mut c.pebble, call),
        })
    }
}

fn unreachable_socket(socket: &str) -> PebbleError {
    PebbleError::Connection(format!(
        "Could not connect to Pebble: socket not found at {socket:?} (container restarted?)"
    ))
}
