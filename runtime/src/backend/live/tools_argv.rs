//! The argv (and stdin) each typed call becomes, built the way ops' hook
//! command wrappers (`ops/hookcmds`, used by `ops.model._ModelBackend`)
//! build theirs: `--format=json` wherever the tool prints something,
//! `-r <id>`, maps on stdin through `--file -`, messages after `--`.
//!
//! Positional arguments come after the flags; a `--` is put before them
//! when one starts with `-` (a key or message that would otherwise read as
//! a flag), as ops does for messages.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::backend::HookCall;
use crate::bindings::types::{
    LogLevel, PortProtocol, PortRange, SecretOptions, SecretOwner, StatusKind, StringMap,
};

/// How secret content becomes arguments: `(index, key, value)` to the
/// argument (`key#file=<path>` as ops passes it, or `key#base64=<value>`).
pub(super) type Content<'a> = dyn FnMut(usize, &str, &str) -> Result<String, String> + 'a;

/// `key#base64=<value>`: self-contained, but visible in the process list
/// and bounded by the kernel's 128 KiB per argument.
pub(super) fn base64_arg(key: &str, value: &str) -> String {
    format!("{key}#base64={}", STANDARD.encode(value.as_bytes()))
}

/// An argv under construction: the tool, its flags, then positionals.
struct Argv(Vec<String>);

impl Argv {
    fn new(tool: &str) -> Argv {
        Argv(vec![tool.to_string()])
    }

    fn flag(&mut self, f: &str) -> &mut Self {
        self.0.push(f.to_string());
        self
    }

    fn opt(&mut self, f: &str, v: impl Into<String>) -> &mut Self {
        self.0.push(f.to_string());
        self.0.push(v.into());
        self
    }

    fn relation(&mut self, r: Option<u32>) -> &mut Self {
        if let Some(r) = r {
            self.opt("-r", r.to_string());
        }
        self
    }

    /// `--`, then the positional arguments (ops' form for messages).
    fn rest(mut self, pos: Vec<String>) -> Vec<String> {
        self.0.push("--".into());
        self.0.extend(pos);
        self.0
    }

    /// The positional arguments, after `--` when one could read as a flag.
    fn end(mut self, pos: Vec<String>) -> Vec<String> {
        if pos.iter().any(|p| p.starts_with('-') && p != "-") {
            self.0.push("--".into());
        }
        self.0.extend(pos);
        self.0
    }
}

fn level(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Trace => "TRACE",
        LogLevel::Debug => "DEBUG",
        LogLevel::Info => "INFO",
        LogLevel::Warning => "WARNING",
        LogLevel::Error => "ERROR",
        LogLevel::Critical => "CRITICAL",
    }
}

fn status(s: StatusKind) -> &'static str {
    match s {
        StatusKind::Maintenance => "maintenance",
        StatusKind::Blocked => "blocked",
        StatusKind::Waiting => "waiting",
        StatusKind::Active => "active",
    }
}

/// `80/tcp`, `8000-8080/udp`, `icmp` (ops' `port_arg`).
fn range(r: &PortRange) -> String {
    let proto = match r.protocol {
        PortProtocol::Tcp => "tcp",
        PortProtocol::Udp => "udp",
        PortProtocol::Icmp => return "icmp".into(),
    };
    if r.from_port == r.to_port {
        format!("{}/{proto}", r.from_port)
    } else {
        format!("{}-{}/{proto}", r.from_port, r.to_port)
    }
}

/// Each key once, its last value (what applying the pairs in order leaves).
fn last_wins(settings: &StringMap) -> StringMap {
    let mut out: StringMap = Vec::new();
    for (k, v) in settings {
        out.retain(|(x, _)| x != k);
        out.push((k.clone(), v.clone()));
    }
    out
}

/// Whether YAML reads `c` as itself inside a double-quoted scalar: YAML's
/// printable set, minus its line breaks (NEL, LS, PS) and the BOM.
fn yaml_plain_char(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A string both JSON and YAML (yaml.v2) read back exactly.
fn quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if yaml_plain_char(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push('"');
}

/// Longest key written as a plain JSON key: YAML reads a longer implicit
/// key as an error (libyaml allows 1024 characters), so longer ones are
/// written as YAML explicit keys (`? "key": "value"`), which JSON lacks.
const MAX_IMPLICIT_KEY: usize = 1000;

/// The map ops sends on stdin (`json.dumps(data)`), each key once, in a form
/// Juju's YAML decoder reads back exactly (see [`quoted`]).
pub(super) fn settings_document(settings: &StringMap) -> Vec<u8> {
    let mut out = String::from("{");
    for (i, (k, v)) in last_wins(settings).iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let mut key = String::new();
        quoted(&mut key, k);
        if key.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
        }
        out.push_str(&key);
        out.push_str(": ");
        quoted(&mut out, v);
    }
    out.push('}');
    out.into_bytes()
}

/// The secret options ops passes (`--owner` only where given).
fn secret_options(a: &mut Argv, o: &SecretOptions) {
    if let Some(l) = &o.label {
        a.opt("--label", l);
    }
    if let Some(d) = &o.description {
        a.opt("--description", d);
    }
    if let Some(e) = &o.expire {
        a.opt("--expire", e);
    }
    if let Some(r) = o.rotate {
        a.opt("--rotate", crate::juju::secrets::rotate_name(r));
    }
    if let Some(owner) = o.owner {
        a.opt(
            "--owner",
            match owner {
                SecretOwner::Application => "application",
                SecretOwner::Unit => "unit",
            },
        );
    }
}

fn content_args(content: &StringMap, arg: &mut Content) -> Result<Vec<String>, String> {
    last_wins(content)
        .iter()
        .enumerate()
        .map(|(i, (k, v))| arg(i, k, v))
        .collect()
}

/// The argv and stdin of `call`; `content` makes the secret content
/// arguments. An empty argv for `HookRelation`, which no tool answers.
pub(super) fn build(
    call: &HookCall,
    content: &mut Content,
) -> Result<(Vec<String>, Vec<u8>), String> {
    use HookCall as C;
    const JSON: &str = "--format=json";
    let mut stdin = Vec::new();
    let mut a = Argv::new(call.tool_name());
    let argv = match call {
        C::ConfigGet { key } => {
            a.flag(JSON);
            a.end(vec![key.clone()])
        }
        C::ConfigGetAll { all } => {
            a.flag(JSON);
            if *all {
                a.flag("--all");
            }
            a.0
        }
        C::UnitGet { setting } => {
            a.flag(JSON);
            // No argument is Juju's `no setting specified`.
            a.end(
                Some(setting.clone())
                    .filter(|s| !s.is_empty())
                    .into_iter()
                    .collect(),
            )
        }
        C::NetworkGet { binding, relation } => {
            a.flag(JSON).relation(*relation);
            a.end(vec![binding.clone()])
        }
        C::GoalState | C::CredentialGet | C::IsLeader | C::LeaderGet | C::StateGet => {
            a.flag(JSON);
            a.0
        }
        C::SecretIds | C::ActionGet => {
            a.flag(JSON);
            a.0
        }
        C::ApplicationVersionSet { version } => a.rest(vec![version.clone()]),
        C::ResourceGet { name } => a.end(
            Some(name.clone())
                .filter(|n| !n.is_empty())
                .into_iter()
                .collect(),
        ),
        C::JujuReboot { now } => {
            if *now {
                a.flag("--now");
            }
            a.0
        }
        C::JujuLog { level: l, message } => {
            a.opt("--log-level", level(*l));
            a.rest(vec![message.clone()])
        }
        C::StatusGet | C::ApplicationStatusGet => {
            let app = matches!(call, C::ApplicationStatusGet);
            a.flag("--include-data").flag(JSON);
            a.flag(&format!("--application={app}"));
            a.0
        }
        C::StatusSet {
            application,
            status: s,
            message,
        } => {
            // ops: f'--application={app}' (Python's True/False), status, -- message.
            let app = if *application { "True" } else { "False" };
            a.flag(&format!("--application={app}"));
            let mut v = a.end(vec![status(*s).to_string()]);
            v.push("--".into());
            v.push(message.clone());
            v
        }
        C::LeaderSet { settings } => a.end(
            last_wins(settings)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        C::RelationIds { endpoint } => {
            a.flag(JSON);
            // No argument: the hook's endpoint (an explicit "" matches none).
            a.end(
                Some(endpoint.clone())
                    .filter(|e| !e.is_empty())
                    .into_iter()
                    .collect(),
            )
        }
        C::RelationEndpoint { relation } => {
            // No tool names a relation's endpoint: this is the check that
            // the relation exists (see `LiveTools::call`).
            let mut a = Argv::new("relation-list");
            a.flag(JSON).relation(Some(*relation));
            a.0
        }
        C::HookRelation => Vec::new(),
        C::RelationList { relation } => {
            a.flag(JSON).relation(*relation);
            a.0
        }
        C::RelationRemoteApp { relation } => {
            a.flag(JSON).flag("--app").relation(*relation);
            a.0
        }
        C::RelationGet {
            relation,
            target,
            app,
        } => {
            a.flag(JSON).relation(*relation);
            if *app {
                a.flag("--app");
            }
            match target {
                Some(t) => a.end(vec!["-".into(), t.clone()]),
                None => a.0,
            }
        }
        C::RelationSet {
            relation,
            app,
            settings,
        } => {
            a.relation(*relation);
            if *app {
                a.flag("--app");
            }
            a.opt("--file", "-");
            stdin = settings_document(settings);
            a.0
        }
        C::RelationModelGet { relation } => {
            a.flag(JSON).relation(*relation);
            a.0
        }
        C::StateSet { settings } => {
            a.opt("--file", "-");
            stdin = settings_document(settings);
            a.0
        }
        C::StateDelete { key } => a.end(vec![key.clone()]),
        C::OpenPort {
            range: r,
            endpoints,
        }
        | C::ClosePort {
            range: r,
            endpoints,
        } => {
            if !endpoints.is_empty() {
                a.opt("--endpoints", endpoints.join(","));
            }
            a.end(vec![range(r)])
        }
        C::OpenedPorts => {
            a.flag("--endpoints").flag(JSON);
            a.0
        }
        C::StorageGet { storage_id } => {
            a.flag(JSON);
            if let Some(id) = storage_id {
                a.opt("-s", id);
            }
            a.0
        }
        C::StorageList { name } => {
            a.flag(JSON);
            a.end(name.iter().cloned().collect())
        }
        C::StorageAdd { directives } => {
            a.end(directives.iter().map(|(n, c)| format!("{n}={c}")).collect())
        }
        C::SecretAdd {
            content: c,
            options,
        } => {
            let mut options = options.clone();
            options.owner = Some(options.owner.unwrap_or(SecretOwner::Application));
            secret_options(&mut a, &options);
            a.end(content_args(c, content)?)
        }
        C::SecretSet {
            id,
            content: c,
            options,
        } => {
            secret_options(&mut a, options);
            let mut pos = vec![id.clone()];
            if let Some(c) = c {
                pos.extend(content_args(c, content)?);
            }
            a.end(pos)
        }
        C::SecretGet { id, label, mode } => {
            a.flag(JSON);
            if let Some(l) = label {
                a.opt("--label", l);
            }
            match mode {
                crate::bindings::types::SecretReadMode::Tracked => {}
                crate::bindings::types::SecretReadMode::Refresh => {
                    a.flag("--refresh");
                }
                crate::bindings::types::SecretReadMode::Peek => {
                    a.flag("--peek");
                }
            }
            a.end(id.iter().cloned().collect())
        }
        C::SecretInfoGet { id, label } => {
            a.flag(JSON);
            if let Some(l) = label {
                a.opt("--label", l);
            }
            a.end(id.iter().cloned().collect())
        }
        C::SecretGrant { id, relation, unit } => {
            a.opt("--relation", relation.to_string());
            if let Some(u) = unit {
                a.opt("--unit", u);
            }
            a.end(vec![id.clone()])
        }
        C::SecretRevoke { id, target } => {
            if let Some(r) = target.relation {
                a.opt("--relation", r.to_string());
            }
            if let Some(app) = &target.app {
                a.opt("--app", app);
            }
            if let Some(u) = &target.unit {
                a.opt("--unit", u);
            }
            a.end(vec![id.clone()])
        }
        C::SecretRemove { id, revision } => {
            if let Some(r) = revision {
                a.opt("--revision", r.to_string());
            }
            a.end(vec![id.clone()])
        }
        C::ActionSet { results } => {
            a.end(results.iter().map(|(k, v)| format!("{k}={v}")).collect())
        }
        C::ActionLog { message } => a.rest(vec![message.clone()]),
        C::ActionFail { message } => match message {
            Some(m) => a.rest(vec![m.clone()]),
            None => a.0,
        },
    };
    Ok((argv, stdin))
}
