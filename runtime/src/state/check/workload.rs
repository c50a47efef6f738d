//! The unit's workload: opened ports (Juju's protocols and ranges),
//! storage (declared, within its count) and containers (declared; one
//! entry per path, no path both a file and a directory; each layer given
//! one way; durations Pebble can read).

use std::collections::{BTreeMap, BTreeSet};

use super::{Checked, Ctx, invalid};
use crate::go::duration::Duration;
use crate::go::path::clean;
use crate::state::State;
use crate::state::container::{ContainerState, ProcessScript};

pub(super) fn ports(state: &State, cx: &Ctx) -> Checked {
    let mut seen = BTreeSet::new();
    for (i, p) in state.opened_ports.iter().enumerate() {
        let path = format!("opened_ports[{i}]");
        match p.protocol.as_str() {
            "icmp" => {
                if p.port != 0 || p.to_port.is_some() {
                    return Err(invalid(path, "icmp has no port"));
                }
            }
            "tcp" | "udp" => {
                if p.port == 0 {
                    return Err(invalid(format!("{path}.port"), "a port is 1 to 65535"));
                }
                if let Some(to) = p.to_port {
                    if to < p.port {
                        return Err(invalid(
                            format!("{path}.to_port"),
                            format!("the range {}-{to} ends before it starts", p.port),
                        ));
                    }
                    if cx.kubernetes && to != p.port {
                        return Err(invalid(
                            format!("{path}.to_port"),
                            "port ranges are not supported for k8s applications",
                        ));
                    }
                }
            }
            other => {
                return Err(invalid(
                    format!("{path}.protocol"),
                    format!("unknown protocol {other:?} (Juju's are tcp, udp and icmp)"),
                ));
            }
        }
        let key = (p.protocol.as_str(), p.port, p.to_port.unwrap_or(p.port));
        if !seen.insert(key) {
            return Err(invalid(path, "this port range is listed twice"));
        }
        if let Some(meta) = cx.meta {
            for (j, e) in p.endpoints.iter().enumerate() {
                if !meta.endpoints.contains_key(e) {
                    return Err(invalid(
                        format!("{path}.endpoints[{j}]"),
                        format!("endpoint {e:?} is not declared in charmcraft.yaml"),
                    ));
                }
            }
        }
    }
    Ok(())
}

pub(super) fn storages(state: &State, cx: &Ctx) -> Checked {
    let mut seen = BTreeSet::new();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, s) in state.storages.iter().enumerate() {
        let path = format!("storages[{i}]");
        if let Some(meta) = cx.meta
            && !meta.storage.contains_key(&s.name)
        {
            return Err(invalid(
                format!("{path}.name"),
                format!("storage {:?} is not declared in charmcraft.yaml", s.name),
            ));
        }
        if !seen.insert((s.name.as_str(), s.index)) {
            return Err(invalid(
                path,
                format!("storage {}/{} is listed twice", s.name, s.index),
            ));
        }
        if let Some(l) = &s.location
            && !l.starts_with('/')
        {
            return Err(invalid(
                format!("{path}.location"),
                format!("{l:?} is not an absolute path"),
            ));
        }
        *counts.entry(&s.name).or_default() += 1;
    }
    if let Some(meta) = cx.meta {
        for (name, n) in counts {
            if let Some(max) = meta.storage_counts.get(name).and_then(|c| c.max)
                && n > max
            {
                return Err(invalid(
                    "storages",
                    format!(
                        "{n} instances of storage {name:?}; charmcraft.yaml allows at most {max}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn containers(state: &State, cx: &Ctx) -> Checked {
    let mut names = BTreeSet::new();
    for (i, c) in state.containers.iter().enumerate() {
        let path = format!("containers[{i}]");
        if !names.insert(&c.name) {
            return Err(invalid(
                format!("{path}.name"),
                format!("container {:?} is listed twice", c.name),
            ));
        }
        if let Some(meta) = cx.meta
            && !meta.containers.contains(&c.name)
        {
            return Err(invalid(
                format!("{path}.name"),
                format!("container {:?} is not declared in charmcraft.yaml", c.name),
            ));
        }
        layers(&path, c)?;
        files(&path, c)?;
        durations(&path, c)?;
    }
    Ok(())
}

fn layers(path: &str, c: &ContainerState) -> Checked {
    let mut labels = BTreeSet::new();
    for (j, l) in c.layers.iter().enumerate() {
        let lpath = format!("{path}.layers[{j}]");
        if l.label.is_empty() {
            return Err(invalid(format!("{lpath}.label"), "a layer needs a label"));
        }
        if !labels.insert(&l.label) {
            return Err(invalid(
                format!("{lpath}.label"),
                format!("layer {:?} is listed twice", l.label),
            ));
        }
        match (&l.layer, &l.yaml) {
            (Some(_), None) | (None, Some(_)) => {}
            (None, None) => {
                return Err(invalid(
                    lpath,
                    "a layer needs its content: \"layer\" (an object) or \"yaml\" (text)",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    lpath,
                    "a layer has \"layer\" or \"yaml\", not both",
                ));
            }
        }
    }
    Ok(())
}

/// One entry per cleaned path, and every listed ancestor of a path a
/// directory.
fn files(path: &str, c: &ContainerState) -> Checked {
    let mut kinds: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for (p, f) in &c.files {
        let fpath = format!("{path}.files.{p}");
        if !p.starts_with('/') {
            return Err(invalid(fpath, "paths must be absolute"));
        }
        let kind = f.kind.as_deref().unwrap_or("file");
        if let Some((other, _)) = kinds.insert(clean(p), (p.as_str(), kind)) {
            return Err(invalid(fpath, format!("the same path as {other:?}")));
        }
    }
    for (cleaned, (given, _)) in &kinds {
        let mut at = cleaned.as_str();
        while let Some(i) = at.rfind('/') {
            at = if i == 0 { "/" } else { &at[..i] };
            if let Some((parent, kind)) = kinds.get(at)
                && *kind != "directory"
            {
                return Err(invalid(
                    format!("{path}.files.{given}"),
                    format!("{parent:?} is a {kind}, not a directory, so it cannot hold {given:?}"),
                ));
            }
            if at == "/" {
                break;
            }
        }
    }
    Ok(())
}

fn duration(path: String, d: &Option<String>) -> Checked {
    match d {
        Some(text) if Duration::parse(text).is_err() => Err(invalid(
            path,
            format!("{text:?} is not a duration (Go's form: 30s, 1m30s, 250ms)"),
        )),
        _ => Ok(()),
    }
}

/// Every duration the State gives Pebble.
fn durations(path: &str, c: &ContainerState) -> Checked {
    for (j, h) in c.exec.iter().enumerate() {
        duration(format!("{path}.exec[{j}].duration"), &h.duration)?;
    }
    for (j, r) in c.exec_history.iter().enumerate() {
        duration(format!("{path}.exec_history[{j}].timeout"), &r.timeout)?;
    }
    for (name, script) in &c.processes {
        let runs = match script {
            ProcessScript::All(r) => std::slice::from_ref(r),
            ProcessScript::Each(v) => v.as_slice(),
        };
        for (j, r) in runs.iter().enumerate() {
            let at = match script {
                ProcessScript::All(_) => format!("{path}.processes.{name}.exit_after"),
                ProcessScript::Each(_) => format!("{path}.processes.{name}[{j}].exit_after"),
            };
            duration(at, &r.exit_after)?;
        }
    }
    for (name, s) in &c.services {
        duration(
            format!("{path}.services.{name}.backoff_time"),
            &s.backoff_time,
        )?;
    }
    for (j, n) in c.notices.iter().enumerate() {
        duration(format!("{path}.notices[{j}].repeat_after"), &n.repeat_after)?;
        duration(format!("{path}.notices[{j}].expire_after"), &n.expire_after)?;
    }
    Ok(())
}
