//! The one validation pass of a State, before anything runs: Juju's rules
//! (names, ids, ports, secrets, quotas), the charm's `charmcraft.yaml`
//! (endpoints, storage, containers, config) and charmbox's bounds. Every
//! error names the field path (`relations[2].remote_units_data`).
//!
//! [`shape`] needs no charm (it runs when a State is read);
//! [`against`] adds the charm's rules and runs before every dispatch.

mod relations;
mod secrets;
mod workload;

use std::net::IpAddr;

use super::{State, StateError, StatusState};
use crate::charm::CharmMeta;
use crate::juju::names::{is_app_name, is_uuid, parse_unit};

/// The most relations one State may hold.
pub const MAX_RELATIONS: usize = 1_000;
/// The most remote units one relation of a State may hold.
pub const MAX_RELATION_UNITS: usize = 10_000;
/// Juju's limits on unit state (`core/quota`): key, value and total size.
pub use crate::juju::unit_state::{
    MAX_KEY as UNIT_STATE_MAX_KEY, MAX_TOTAL as UNIT_STATE_MAX_TOTAL,
    MAX_VALUE as UNIT_STATE_MAX_VALUE,
};

type Checked = Result<(), StateError>;

/// The error for `path`.
fn invalid(path: impl Into<String>, message: impl Into<String>) -> StateError {
    StateError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// The rules that need no charm.
pub fn shape(state: &State) -> Checked {
    check(state, None)
}

/// Every rule, `meta` being the charm the State is for.
pub fn against(state: &State, meta: &CharmMeta) -> Checked {
    check(state, Some(meta))
}

/// What the State is checked against.
struct Ctx<'a> {
    meta: Option<&'a CharmMeta>,
    /// This unit's application and number.
    app: String,
    unit_number: Option<u32>,
    kubernetes: bool,
}

fn check(state: &State, meta: Option<&CharmMeta>) -> Checked {
    let (app, unit_number) = match &state.unit {
        Some(u) => {
            let (app, n) = parse_unit(u).map_err(|m| invalid("unit", m))?;
            if let Some(meta) = meta
                && app != meta.name
            {
                return Err(invalid(
                    "unit",
                    format!(
                        "{u:?} is a unit of application {app:?}, not of {:?} (the charm's application)",
                        meta.name
                    ),
                ));
            }
            (app.to_string(), Some(n))
        }
        None => (meta.map(|m| m.name.clone()).unwrap_or_default(), None),
    };
    let cx = Ctx {
        meta,
        app,
        unit_number,
        kubernetes: state.model.kind == "kubernetes",
    };
    model(state)?;
    statuses(state, &cx)?;
    config(state, &cx)?;
    unit_state(state)?;
    networks(state)?;
    relations::check(state, &cx)?;
    secrets::check(state, &cx)?;
    workload::ports(state, &cx)?;
    workload::storages(state, &cx)?;
    workload::containers(state, &cx)?;
    loopback(state)?;
    if let Some(meta) = meta {
        machine_files(state, meta)?;
        for name in state.resources.keys() {
            if !meta.resources.contains(name) {
                return Err(invalid(
                    format!("resources.{name}"),
                    format!("resource {name:?} is not declared in charmcraft.yaml"),
                ));
            }
        }
    }
    Ok(())
}

/// The State's scripted loopback answers: bounded, each one the host can give.
fn loopback(state: &State) -> Checked {
    use crate::capability::loopback::MAX_ANSWERS;
    let answers = &state.loopback_http;
    if answers.len() > MAX_ANSWERS {
        return Err(invalid(
            "loopback_http",
            format!("{} answers; at most {MAX_ANSWERS}", answers.len()),
        ));
    }
    for (i, a) in answers.iter().enumerate() {
        super::loopback::check_answer(a)
            .map_err(|(field, m)| invalid(format!("loopback_http[{i}].{field}"), m))?;
    }
    Ok(())
}

/// The State's machine files: each under a directory the charm declares,
/// decodable, and not too many.
fn machine_files(state: &State, meta: &CharmMeta) -> Checked {
    use crate::capability::machine_files::{MAX_DEPTH, MAX_FILES, directory_of};
    let files = &state.machine.files;
    if files.len() > MAX_FILES {
        return Err(invalid(
            "machine.files",
            format!("{} files, at most {MAX_FILES}", files.len()),
        ));
    }
    for (path, file) in files {
        let at = format!("machine.files[{path:?}]");
        if directory_of(path, &meta.machine_dirs).is_none() {
            return Err(invalid(
                at,
                format!(
                    "not a file under a directory the charm declares under `charmbox: \
                     machine-files:` ({:?}; at most {MAX_DEPTH} levels below it)",
                    meta.machine_dirs
                ),
            ));
        }
        file.bytes().map_err(|m| invalid(at, m))?;
    }
    Ok(())
}

fn model(state: &State) -> Checked {
    let m = &state.model;
    let name_ok = m
        .name
        .starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && m.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(invalid(
            "model.name",
            format!("invalid model name {:?}", m.name),
        ));
    }
    if !is_uuid(&m.uuid) {
        return Err(invalid("model.uuid", format!("{:?} is not a UUID", m.uuid)));
    }
    if m.kind.is_empty() {
        return Err(invalid("model.type", "empty model type"));
    }
    if !m.juju_version.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid(
            "model.juju_version",
            format!("{:?} is not a Juju version", m.juju_version),
        ));
    }
    if let Some(now) = &state.now
        && crate::sandbox::parse_rfc3339_ns(now).is_none()
    {
        return Err(invalid("now", format!("{now:?} is not an RFC 3339 time")));
    }
    Ok(())
}

/// The statuses a unit or application may be in.
const STATUSES: &[&str] = &[
    "active",
    "blocked",
    "maintenance",
    "waiting",
    "unknown",
    "error",
    "terminated",
];

/// Whether `since` is an RFC 3339 time (Go's parser: no allocation, a
/// few dozen byte comparisons; cheaper than looking it up in a set of
/// times already seen, which an earlier version did).
fn valid_time(since: &str) -> bool {
    crate::go::time::parse_time(since, true).is_some()
}

/// A status, `path` naming it in errors (made only for an error).
fn status(path: impl Fn() -> String, s: &StatusState) -> Checked {
    if let Some(since) = &s.since
        && !valid_time(since)
    {
        return Err(invalid(
            format!("{}.since", path()),
            format!("{since:?} is not an RFC 3339 time"),
        ));
    }
    if STATUSES.contains(&s.status.as_str()) {
        return Ok(());
    }
    Err(invalid(
        format!("{}.status", path()),
        format!(
            "unknown status {:?} (one of {})",
            s.status,
            STATUSES.join(", ")
        ),
    ))
}

/// A status as a State may hold it (known, its time RFC 3339), as the
/// simulator checks one read back from a model file.
pub fn status_state(s: &StatusState) -> Checked {
    status(|| "status".into(), s)
}

fn statuses(state: &State, cx: &Ctx) -> Checked {
    status(|| "unit_status".into(), &state.unit_status)?;
    status(|| "app_status".into(), &state.app_status)?;
    for unit in &state.dying_units {
        parse_unit(unit).map_err(|m| invalid(format!("dying_units.{unit}"), m))?;
    }
    if state.statuses_vouched {
        return Ok(());
    }
    for (unit, s) in &state.peer_unit_statuses {
        let path = || format!("peer_unit_statuses.{unit}");
        let (app, n) = parse_unit(unit).map_err(|m| invalid(path(), m))?;
        // Without a unit name or a charm the application is not known yet:
        // the check against the charm decides.
        if !cx.app.is_empty() && app != cx.app {
            return Err(invalid(
                path(),
                format!("not a unit of this application {:?}", cx.app),
            ));
        }
        if Some(n) == cx.unit_number {
            return Err(invalid(path(), "the unit itself is not one of its peers"));
        }
        status(path, s)?;
    }
    for r in &state.relations {
        for (n, s) in &r.remote_units_status {
            status(|| format!("relations.{}.remote_units_status.{n}", r.id), s)?;
        }
    }
    Ok(())
}

fn config(state: &State, cx: &Ctx) -> Checked {
    let Some(meta) = cx.meta else { return Ok(()) };
    for (key, value) in &state.config {
        let path = || format!("config.{key}");
        let Some(option) = meta.config.get(key) else {
            return Err(invalid(
                path(),
                format!("config option {key:?} is not declared in charmcraft.yaml"),
            ));
        };
        option.check(value).map_err(|m| invalid(path(), m))?;
        if option.kind == crate::charm::ConfigType::Secret
            && let Some(uri) = value.as_str()
            && crate::juju::secrets::secret_uri_id(uri).is_none()
        {
            return Err(invalid(path(), format!("{uri:?} is not a secret URI")));
        }
    }
    Ok(())
}

fn unit_state(state: &State) -> Checked {
    let mut total = 0;
    for (k, v) in &state.unit_state {
        let path = || format!("unit_state.{k}");
        if k.len() > UNIT_STATE_MAX_KEY {
            return Err(invalid(
                path(),
                format!("key longer than Juju's {UNIT_STATE_MAX_KEY} bytes"),
            ));
        }
        if v.len() > UNIT_STATE_MAX_VALUE {
            return Err(invalid(
                path(),
                format!("value longer than Juju's {UNIT_STATE_MAX_VALUE} bytes"),
            ));
        }
        total += k.len() + v.len();
    }
    if total > UNIT_STATE_MAX_TOTAL {
        return Err(invalid(
            "unit_state",
            format!(
                "{total} bytes, more than Juju's {UNIT_STATE_MAX_TOTAL} (max-charm-state-size)"
            ),
        ));
    }
    Ok(())
}

/// An IP address; `path` names it in the error (built only then).
fn ip(path: impl FnOnce() -> String, a: &str) -> Checked {
    a.parse::<IpAddr>()
        .map(drop)
        .map_err(|_| invalid(path(), format!("{a:?} is not an IP address")))
}

/// A CIDR; `path` names it in the error (built only then).
fn cidr(path: impl Fn() -> String, c: &str) -> Checked {
    let bad = || invalid(path(), format!("{c:?} is not a CIDR (address/prefix)"));
    let (addr, bits) = c.split_once('/').ok_or_else(bad)?;
    let max = match addr.parse::<IpAddr>().map_err(|_| bad())? {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    match bits.parse::<u8>() {
        Ok(b) if b <= max => Ok(()),
        _ => Err(bad()),
    }
}

fn networks(state: &State) -> Checked {
    for (name, n) in &state.networks {
        for (i, a) in n.addresses.iter().enumerate() {
            ip(|| format!("networks.{name}.addresses[{i}]"), a)?;
        }
        for (i, a) in n.ingress_addresses.iter().enumerate() {
            ip(|| format!("networks.{name}.ingress_addresses[{i}]"), a)?;
        }
        if !n.cidr.is_empty() {
            cidr(|| format!("networks.{name}.cidr"), &n.cidr)?;
        }
        for (i, c) in n.egress_subnets.iter().enumerate() {
            cidr(|| format!("networks.{name}.egress_subnets[{i}]"), c)?;
        }
    }
    Ok(())
}

/// An application name given in a State (a relation's remote end).
fn app_name(path: impl FnOnce() -> String, name: &str) -> Checked {
    if is_app_name(name) {
        return Ok(());
    }
    Err(invalid(
        path(),
        format!("invalid application name {name:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::valid_time;
    use crate::state::State;

    /// Only the simulator vouches for the statuses it projects: a State
    /// file cannot, and its peers' statuses are checked.
    #[test]
    fn a_state_file_cannot_vouch_for_its_statuses() {
        let bad =
            r#"{"unit": "a/0", "peer_unit_statuses": {"a/1": {"status": "happy", "message": ""}}"#;
        let vouching = format!("{bad}, \"statuses_vouched\": true}}");
        let e = serde_json::from_str::<State>(&vouching).unwrap_err();
        assert!(e.to_string().contains("statuses_vouched"), "{e}");
        let state: State = serde_json::from_str(&format!("{bad}}}")).unwrap();
        assert!(!state.statuses_vouched);
        let e = super::shape(&state).unwrap_err().to_string();
        assert!(e.contains("peer_unit_statuses.a/1.status"), "{e}");
    }

    #[test]
    fn status_times_are_checked_as_rfc_3339() {
        for good in [
            "2026-12-05T10:00:00Z",
            "2026-12-05T10:00:00.123456789Z",
            "2024-02-29T23:59:59+01:00",
        ] {
            assert!(valid_time(good), "{good:?}");
        }
        for bad in [
            "2026-13-05T10:00:00Z",
            "2026-12-05 10:00:00",
            "2026-02-30T10:00:00Z",
            "2025-02-29T10:00:00Z",
            "2026-12-05T10:00:60Z",
            "2026-12-05T10:00:00.Z",
            "2026-12-05T10:00:00",
            "",
            "now",
        ] {
            assert!(!valid_time(bad), "{bad:?}");
        }
    }
}
