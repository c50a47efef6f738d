//! Reading the tools' answers back: the conversion of each tool's
//! `--format=json` output (read by `tools_json.rs`) into the [`HookReply`]
//! its call expects, and the inverse of jujuc's error rules (`ERROR
//! <message>`, exit 1 or 2) back into a [`HookError`] of the kind the
//! backend would have given.

use crate::backend::{HookCall, HookReply};
use crate::bindings::types::{
    AddressInfo, ApplicationStatus, BindAddress, CloudCredential, CloudSpec, ConfigValue,
    GoalStateInfo, GoalStatus, HookError, NetworkInfo, OpenedPort, PortProtocol, PortRange,
    SecretGrantInfo, SecretInfo, SecretOwner, StatusInfo, StorageInfo, StorageKind, StringMap,
};
use crate::charm::ConfigType;
use std::collections::BTreeMap;

pub(super) use super::json::{J, parse_json};

/// A short description of a value, for errors.
fn shape(j: &J) -> String {
    match j {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Num(t) => format!("the number {t}"),
        J::Str(s) => format!("the string {s:?}"),
        J::Arr(a) => format!("a list of {}", a.len()),
        J::Obj(_) => "an object".into(),
    }
}

fn string(j: &J) -> Result<String, String> {
    match j {
        J::Str(s) => Ok(s.clone()),
        other => Err(format!("expected a string, got {}", shape(other))),
    }
}

/// A list of strings; null (Go's nil slice) is empty.
fn strings(j: &J) -> Result<Vec<String>, String> {
    match j {
        J::Null => Ok(Vec::new()),
        J::Arr(items) => items.iter().map(string).collect(),
        other => Err(format!("expected a list of strings, got {}", shape(other))),
    }
}

/// An object's entries; null (Go's nil map) is empty.
fn object(j: &J) -> Result<&[(String, J)], String> {
    match j {
        J::Null => Ok(&[]),
        J::Obj(entries) => Ok(entries),
        other => Err(format!("expected an object, got {}", shape(other))),
    }
}

fn field<'a>(entries: &'a [(String, J)], name: &str) -> Option<&'a J> {
    entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn required<'a>(entries: &'a [(String, J)], name: &str) -> Result<&'a J, String> {
    field(entries, name).ok_or_else(|| format!("no {name:?} in the answer"))
}

fn opt_string(entries: &[(String, J)], name: &str) -> Result<Option<String>, String> {
    field(entries, name).map(string).transpose()
}

/// A `map[string]string`, sorted by key as the backend's maps are.
fn string_map(j: &J) -> Result<StringMap, String> {
    let mut out: StringMap = object(j)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), string(v)?)))
        .collect::<Result<_, String>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `status-data` is a `map[string]interface{}` in Juju: strings as they
/// are, any other value as its JSON text.
fn data_map(j: &J) -> Result<StringMap, String> {
    let mut out: StringMap = object(j)?
        .iter()
        .map(|(k, v)| {
            let text = match v {
                J::Str(s) => s.clone(),
                other => to_serde(other)?.to_string(),
            };
            Ok((k.clone(), text))
        })
        .collect::<Result<_, String>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn is_integer_text(t: &str) -> bool {
    !t.contains(['.', 'e', 'E'])
}

fn float(t: &str) -> Result<f64, String> {
    t.parse::<f64>()
        .map_err(|_| format!("the number {t} is not a float"))
}

/// The JSON value serde_json would have read from the same text.
pub(super) fn to_serde(j: &J) -> Result<serde_json::Value, String> {
    use serde_json::Value as V;
    Ok(match j {
        J::Null => V::Null,
        J::Bool(b) => V::Bool(*b),
        J::Num(t) => {
            let n = if is_integer_text(t) {
                match (t.parse::<u64>(), t.parse::<i64>()) {
                    (Ok(u), _) => Some(serde_json::Number::from(u)),
                    (_, Ok(i)) => Some(serde_json::Number::from(i)),
                    _ => serde_json::Number::from_f64(float(t)?),
                }
            } else {
                serde_json::Number::from_f64(float(t)?)
            };
            V::Number(n.ok_or_else(|| format!("the number {t} is not finite"))?)
        }
        J::Str(s) => V::String(s.clone()),
        J::Arr(items) => V::Array(items.iter().map(to_serde).collect::<Result<_, _>>()?),
        J::Obj(entries) => V::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_serde(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// A config value: typed by the charm's declaration when known, else by
/// its JSON form (an integer's text is an `int`, other numbers `float`,
/// strings `string`: a `secret` option then reads as a string, and a
/// float option holding a whole number as an int).
pub(super) fn config_value(kind: Option<ConfigType>, j: &J) -> Result<Option<ConfigValue>, String> {
    use ConfigType as T;
    Ok(Some(match (kind, j) {
        (_, J::Null) => return Ok(None),
        (None | Some(T::Boolean), J::Bool(b)) => ConfigValue::Boolean(*b),
        (Some(T::Secret), J::Str(s)) => ConfigValue::Secret(s.clone()),
        (None | Some(T::String), J::Str(s)) => ConfigValue::String(s.clone()),
        (Some(T::Int), J::Num(t)) => ConfigValue::Int(
            t.parse::<i64>()
                .map_err(|_| format!("the int option's value {t} is not an int64"))?,
        ),
        (Some(T::Float), J::Num(t)) => ConfigValue::Float(float(t)?),
        (None, J::Num(t)) => match t.parse::<i64>() {
            Ok(i) if is_integer_text(t) => ConfigValue::Int(i),
            _ => ConfigValue::Float(float(t)?),
        },
        (kind, other) => {
            return Err(format!(
                "a {} option holds {}",
                kind.map_or("config".to_string(), |k| format!("{k:?}").to_lowercase()),
                shape(other)
            ));
        }
    }))
}

fn status_info(j: &J) -> Result<StatusInfo, String> {
    let o = object(j)?;
    Ok(StatusInfo {
        status: string(required(o, "status")?)?,
        message: opt_string(o, "message")?.unwrap_or_default(),
        data: field(o, "status-data").map_or(Ok(Vec::new()), data_map)?,
    })
}

fn application_status(j: &J) -> Result<ApplicationStatus, String> {
    let app = required(object(j)?, "application-status")?;
    let units = field(object(app)?, "units")
        .map_or(Ok(&[][..]), object)?
        .iter()
        .map(|(u, s)| Ok((u.clone(), status_info(s)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ApplicationStatus {
        application: status_info(app)?,
        units,
    })
}

fn network(j: &J) -> Result<NetworkInfo, String> {
    let o = object(j)?;
    let binds = match field(o, "bind-addresses") {
        None | Some(J::Null) => Vec::new(),
        Some(J::Arr(items)) => items
            .iter()
            .map(|b| {
                let b = object(b)?;
                let addresses = match field(b, "addresses") {
                    None | Some(J::Null) => Vec::new(),
                    Some(J::Arr(a)) => a
                        .iter()
                        .map(|a| {
                            let a = object(a)?;
                            Ok(AddressInfo {
                                hostname: opt_string(a, "hostname")?.unwrap_or_default(),
                                value: opt_string(a, "value")?.unwrap_or_default(),
                                cidr: opt_string(a, "cidr")?.unwrap_or_default(),
                            })
                        })
                        .collect::<Result<_, String>>()?,
                    Some(other) => return Err(format!("addresses: {}", shape(other))),
                };
                Ok(BindAddress {
                    mac_address: opt_string(b, "mac-address")?.unwrap_or_default(),
                    interface_name: opt_string(b, "interface-name")?.unwrap_or_default(),
                    addresses,
                })
            })
            .collect::<Result<_, String>>()?,
        Some(other) => return Err(format!("bind-addresses: {}", shape(other))),
    };
    Ok(NetworkInfo {
        bind_addresses: binds,
        egress_subnets: field(o, "egress-subnets").map_or(Ok(Vec::new()), strings)?,
        ingress_addresses: field(o, "ingress-addresses").map_or(Ok(Vec::new()), strings)?,
    })
}

/// goal-state prints `since` as `2026-01-01 07:00:00Z`; the typed answer
/// holds RFC 3339.
fn goal_status(j: &J) -> Result<GoalStatus, String> {
    let o = object(j)?;
    Ok(GoalStatus {
        status: string(required(o, "status")?)?,
        since: opt_string(o, "since")?.map(|s| s.replacen(' ', "T", 1)),
    })
}

fn goal_state(j: &J) -> Result<GoalStateInfo, String> {
    let o = object(j)?;
    let members = |j: &J| -> Result<Vec<(String, GoalStatus)>, String> {
        object(j)?
            .iter()
            .map(|(n, s)| Ok((n.clone(), goal_status(s)?)))
            .collect()
    };
    Ok(GoalStateInfo {
        units: field(o, "units").map_or(Ok(Vec::new()), members)?,
        relations: field(o, "relations")
            .map_or(Ok(&[][..]), object)?
            .iter()
            .map(|(ep, m)| Ok((ep.clone(), members(m)?)))
            .collect::<Result<_, String>>()?,
    })
}

fn cloud_spec(j: &J) -> Result<CloudSpec, String> {
    let o = object(j)?;
    let credential = match field(o, "credential") {
        None | Some(J::Null) => None,
        Some(c) => {
            let c = object(c)?;
            Some(CloudCredential {
                auth_type: opt_string(c, "auth-type")?.unwrap_or_default(),
                attrs: field(c, "attrs").map_or(Ok(Vec::new()), string_map)?,
                redacted: field(c, "redacted").map_or(Ok(Vec::new()), strings)?,
            })
        }
    };
    let flag = |name: &str| match field(o, name) {
        None | Some(J::Null) => Ok(false),
        Some(J::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("{name}: {}", shape(other))),
    };
    Ok(CloudSpec {
        type_: opt_string(o, "type")?.unwrap_or_default(),
        name: opt_string(o, "name")?.unwrap_or_default(),
        region: opt_string(o, "region")?,
        endpoint: opt_string(o, "endpoint")?,
        identity_endpoint: opt_string(o, "identity-endpoint")?,
        storage_endpoint: opt_string(o, "storage-endpoint")?,
        credential,
        ca_certificates: field(o, "cacertificates").map_or(Ok(Vec::new()), strings)?,
        skip_tls_verify: flag("skip-tls-verify")?,
        is_controller_cloud: flag("is-controller-cloud")?,
    })
}

/// `80/tcp`, `8000-8080/udp` or `icmp`, as opened-ports prints a range.
fn port_range(text: &str) -> Result<PortRange, String> {
    if text == "icmp" {
        return Ok(PortRange {
            protocol: PortProtocol::Icmp,
            from_port: 0,
            to_port: 0,
        });
    }
    let bad = || format!("port range {text:?}");
    let (ports, proto) = text.split_once('/').ok_or_else(bad)?;
    let protocol = match proto {
        "tcp" => PortProtocol::Tcp,
        "udp" => PortProtocol::Udp,
        _ => return Err(bad()),
    };
    let (from, to) = ports.split_once('-').unwrap_or((ports, ports));
    Ok(PortRange {
        protocol,
        from_port: from.parse().map_err(|_| bad())?,
        to_port: to.parse().map_err(|_| bad())?,
    })
}

/// `opened-ports --endpoints`: `80/tcp (*)`, `8000-8080/udp (db, website)`.
fn opened_port(j: &J) -> Result<OpenedPort, String> {
    let text = string(j)?;
    let (range, eps) = text
        .rsplit_once(" (")
        .and_then(|(r, e)| Some((r, e.strip_suffix(')')?)))
        .ok_or_else(|| format!("opened port {text:?}"))?;
    let endpoints = if eps == "*" {
        Vec::new()
    } else {
        eps.split(", ").map(str::to_string).collect()
    };
    Ok(OpenedPort {
        range: port_range(range)?,
        endpoints,
    })
}

fn secret_info(j: &J) -> Result<SecretInfo, String> {
    let entries = object(j)?;
    let [(id, info)] = entries else {
        return Err(format!("expected one secret, got {}", entries.len()));
    };
    let o = object(info)?;
    let revision = match required(o, "revision")? {
        J::Num(t) => t.parse::<u32>().map_err(|_| format!("revision {t}"))?,
        other => return Err(format!("revision: {}", shape(other))),
    };
    let owner = match opt_string(o, "owner")?.as_deref() {
        Some("unit") => SecretOwner::Unit,
        Some("application") | None => SecretOwner::Application,
        Some(other) => return Err(format!("owner {other:?}")),
    };
    let rotation = match opt_string(o, "rotation")? {
        None => None,
        Some(r) => {
            Some(crate::juju::secrets::rotate_policy(&r).ok_or_else(|| format!("rotation {r:?}"))?)
        }
    };
    let access = match field(o, "access") {
        None | Some(J::Null) => Vec::new(),
        Some(J::Arr(items)) => items
            .iter()
            .map(|a| {
                let a = object(a)?;
                Ok(SecretGrantInfo {
                    target: opt_string(a, "target")?.unwrap_or_default(),
                    scope: opt_string(a, "scope")?.unwrap_or_default(),
                    role: opt_string(a, "role")?.unwrap_or_default(),
                })
            })
            .collect::<Result<_, String>>()?,
        Some(other) => return Err(format!("access: {}", shape(other))),
    };
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Ok(SecretInfo {
        id: id.clone(),
        revision,
        label: nonempty(opt_string(o, "label")?),
        owner,
        description: nonempty(opt_string(o, "description")?),
        rotation,
        expiry: nonempty(opt_string(o, "expiry")?),
        rotates: nonempty(opt_string(o, "rotates")?),
        access,
    })
}

/// `endpoint:id` from relation-ids.
pub(super) fn relation_key(text: &str) -> Result<(String, u32), String> {
    text.rsplit_once(':')
        .and_then(|(ep, id)| Some((ep.to_string(), id.parse().ok()?)))
        .ok_or_else(|| format!("relation {text:?}"))
}

/// Text output: the bytes as UTF-8 without one final newline.
fn line(out: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(out).map_err(|e| format!("output is not UTF-8: {e}"))?;
    Ok(text.strip_suffix('\n').unwrap_or(text).to_string())
}

/// What the charm's metadata says about config option types.
pub(super) type ConfigKinds = BTreeMap<String, ConfigType>;

/// The reply to `call` from the tool's successful output.
pub(super) fn reply(call: &HookCall, out: &[u8], kinds: &ConfigKinds) -> Result<HookReply, String> {
    use HookCall as C;
    use HookReply as R;
    let json = || parse_json(out);
    Ok(match call {
        // An option cannot be named "": the tool printed every option.
        C::ConfigGet { key } if key.is_empty() => R::ConfigValue(None),
        C::ConfigGet { key } => R::ConfigValue(config_value(kinds.get(key).copied(), &json()?)?),
        C::ConfigGetAll { .. } => {
            let mut all = object(&json()?)?
                .iter()
                .map(|(k, v)| Ok((k.clone(), config_value(kinds.get(k).copied(), v)?)))
                .collect::<Result<Vec<_>, String>>()?;
            all.sort_by(|a, b| a.0.cmp(&b.0));
            R::Config(all)
        }
        C::UnitGet { .. } | C::RelationRemoteApp { .. } => R::Text(string(&json()?)?),
        C::NetworkGet { .. } => R::Network(network(&json()?)?),
        C::GoalState => R::GoalState(goal_state(&json()?)?),
        C::CredentialGet => R::CloudSpec(cloud_spec(&json()?)?),
        C::ResourceGet { .. } | C::SecretAdd { .. } => R::Text(line(out)?),
        C::StatusGet => R::Status(status_info(&json()?)?),
        C::ApplicationStatusGet => R::ApplicationStatus(application_status(&json()?)?),
        C::IsLeader => match json()? {
            J::Bool(b) => R::Bool(b),
            other => return Err(format!("expected true or false, got {}", shape(&other))),
        },
        C::LeaderGet | C::RelationGet { .. } | C::StateGet | C::SecretGet { .. } => {
            R::Map(string_map(&json()?)?)
        }
        C::RelationIds { .. } => {
            let mut ids = strings(&json()?)?
                .iter()
                .map(|k| relation_key(k).map(|(_, id)| id))
                .collect::<Result<Vec<_>, String>>()?;
            ids.sort_unstable();
            R::RelationIds(ids)
        }
        C::RelationList { .. } => R::Texts(strings(&json()?)?),
        C::RelationModelGet { .. } => R::Text(string(required(object(&json()?)?, "uuid")?)?),
        C::OpenedPorts => R::OpenedPorts(
            strings(&json()?)?
                .iter()
                .map(|p| opened_port(&J::Str(p.clone())))
                .collect::<Result<_, String>>()?,
        ),
        C::StorageGet { .. } => {
            let v = json()?;
            let o = object(&v)?;
            let kind = match string(required(o, "kind")?)?.as_str() {
                "block" => StorageKind::Block,
                "filesystem" => StorageKind::Filesystem,
                other => return Err(format!("storage kind {other:?}")),
            };
            R::Storage(StorageInfo {
                kind,
                location: string(required(o, "location")?)?,
            })
        }
        C::StorageList { name } => {
            let mut ids = strings(&json()?)?;
            if let Some(n) = name {
                ids.retain(|id| id.rsplit_once('/').is_some_and(|(x, _)| x == n));
            }
            ids.sort();
            R::Texts(ids)
        }
        C::SecretInfoGet { .. } => R::SecretInfo(secret_info(&json()?)?),
        // Juju prints bare ids; the backend answers URIs.
        C::SecretIds => {
            let mut ids: Vec<String> = strings(&json()?)?
                .into_iter()
                .map(|id| {
                    if id.contains(':') {
                        id
                    } else {
                        format!("secret:{id}")
                    }
                })
                .collect();
            ids.sort();
            R::Texts(ids)
        }
        C::ActionGet => R::Text(to_serde(&json()?)?.to_string()),
        C::HookRelation | C::RelationEndpoint { .. } => {
            return Err("no tool answers this call".into());
        }
        C::ApplicationVersionSet { .. }
        | C::JujuReboot { .. }
        | C::JujuLog { .. }
        | C::StatusSet { .. }
        | C::LeaderSet { .. }
        | C::RelationSet { .. }
        | C::StateSet { .. }
        | C::StateDelete { .. }
        | C::OpenPort { .. }
        | C::ClosePort { .. }
        | C::StorageAdd { .. }
        | C::SecretSet { .. }
        | C::SecretGrant { .. }
        | C::SecretRevoke { .. }
        | C::SecretRemove { .. }
        | C::ActionSet { .. }
        | C::ActionLog { .. }
        | C::ActionFail { .. } => R::Done,
    })
}

/// The message juju/cmd wrote after `ERROR ` (the first `ERROR ` that
/// starts a line, else the first anywhere), without its final newline.
pub(super) fn error_message(stderr: &str) -> Option<&str> {
    let at = if stderr.starts_with("ERROR ") {
        Some(0)
    } else {
        stderr
            .find("\nERROR ")
            .map(|i| i + 1)
            .or_else(|| stderr.find("ERROR "))
    }?;
    let m = &stderr[at + "ERROR ".len()..];
    Some(m.strip_suffix('\n').unwrap_or(m))
}

/// A Run error's message (exit 1) as the backend's error: the kind the
/// backend gives for that text (see `backend/unit/`), `other` when none.
pub(super) fn run_error(m: &str) -> HookError {
    let m = m.to_string();
    let has = |s: &str| m.contains(s);
    let starts = |s: &str| m.starts_with(s);
    let ends = |s: &str| m.ends_with(s);
    if (starts("max allowed ") && ends(" exceeded")) || has(", over the host's limit of ") {
        return HookError::QuotaExceeded(m);
    }
    if m == "not running an action"
        || (starts("juju-reboot ") && has(" not supported when running an action"))
    {
        return HookError::NotSupported(m);
    }
    if m == "cannot write relation settings" || ends("not the leader") {
        return HookError::NotLeader(m);
    }
    if starts("permission denied") || ends(": permission denied") {
        return HookError::PermissionDenied(m);
    }
    if starts("could not download resource: ") {
        return HookError::Other(m);
    }
    if ends(" not found") {
        return HookError::NotFound(m);
    }
    const EXACT: &[&str] = &[
        "no relation id specified",
        "no endpoint name specified",
        "no unit or application specified",
        "no setting specified",
        "missing required resource name",
        "missing secret value or filename",
        "empty secret value",
        "require either a secret URI or label",
        "specify either a secret URI or label but not both",
        "do not specify both relation and app",
        "missing relation or application or unit",
        "storage add requires a storage directive",
        "no storage instance specified",
    ];
    const PREFIXES: &[&str] = &[
        "unknown setting ",
        "unknown endpoint ",
        "invalid port range ",
        "expected unit name, got application name ",
        "invalid unit name ",
        "invalid storage ID ",
        "cannot set reserved action key ",
        "cannot specify unit ",
        "base64 encoded secret content ",
    ];
    let invalid = EXACT.contains(&m.as_str())
        || PREFIXES.iter().any(|p| starts(p))
        || (starts("secret key ") && ends(" not valid"))
        || (starts("secret with label ") && ends(" already exists"))
        || (starts("key ")
            && (has(" must start and end with lowercase alphanumeric")
                || has(" parts, more than charmbox's limit of ")));
    if invalid {
        HookError::InvalidArgument(m)
    } else {
        HookError::Other(m)
    }
}

/// A usage error's message (exit 2): invalid-argument, except a `-r` or
/// `-s` value the backend refused, which gnuflag wraps as `invalid value
/// "V" for option -r: <the backend's message>` and which is the backend's
/// error again once unwrapped.
pub(super) fn usage_error(m: &str) -> HookError {
    if let Some(inner) = m.strip_prefix("invalid value \"") {
        // Juju's gnuflag says "option"; Go's own flag package, "flag".
        let opts = ["option", "flag"]
            .iter()
            .flat_map(|w| ["-r", "--relation", "-s"].map(|o| format!("\" for {w} {o}: ")));
        for sep in opts {
            let mut from = 0;
            while let Some(i) = inner[from..].find(&sep) {
                let at = from + i;
                // The quote must not be escaped (an even run of backslashes).
                let slashes = inner[..at]
                    .bytes()
                    .rev()
                    .take_while(|b| *b == b'\\')
                    .count();
                if slashes % 2 == 0 {
                    return run_error(&inner[at + sep.len()..]);
                }
                from = at + 1;
            }
        }
    }
    HookError::InvalidArgument(m.to_string())
}
