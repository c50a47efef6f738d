//! The secret tools: `secret-add`, `secret-set`, `secret-get`,
//! `secret-info-get`, `secret-ids`, `secret-grant`, `secret-revoke`,
//! `secret-remove`.

use crate::go;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::super::host::FileError;
use super::super::input::secret_data;
use super::super::output::{Flags, Id, SMART, YAML_JSON};
use super::super::value::Value;
use super::super::{Ctx, Res, message, reply};
use super::relation::{is_valid_application, is_valid_unit};
use super::{check_empty, hook_relation, run_err, usage};
use crate::backend::HookCall;
use crate::bindings::types::{
    HookError, SecretOptions, SecretOwner, SecretReadMode, SecretRevokeTarget,
};
use crate::juju::names::is_uuid;

/// Largest base64-encoded value, and content, Juju 3.6 accepts.
use crate::juju::secrets::{
    MAX_SECRET_CONTENT as MAX_CONTENT, MAX_SECRET_VALUE as MAX_VALUE, is_secret_key, rotate_name,
    rotate_policy,
};

/// A parsed secret URI: the bare id, and the URI to hand the backend.
#[derive(Debug)]
struct Uri {
    id: String,
    full: String,
}

/// juju's `secrets.ParseURI`: `secret:<id>`, `secret://<model-uuid>/<id>`
/// or a bare `<id>` (20 characters, lower-case letters and digits).
fn parse_uri(s: &str) -> Result<Uri, String> {
    let not_valid = || format!("secret URI {} not valid", go::quote::quote(s));
    let scheme_end = s.find(':');
    let rest = match scheme_end {
        Some(i) if is_scheme(&s[..i]) => {
            if &s[..i] != "secret" {
                return Err(format!(
                    "secret URI scheme {} not valid",
                    go::quote::quote(&s[..i])
                ));
            }
            &s[i + 1..]
        }
        _ => s,
    };
    let (model, id) = match rest.strip_prefix("//") {
        Some(r) => match r.split_once('/') {
            Some((uuid, id)) if is_uuid(uuid) => (Some(uuid), id),
            _ => return Err(not_valid()),
        },
        None => (None, rest),
    };
    if !crate::juju::secrets::is_secret_xid(id) {
        return Err(not_valid());
    }
    let full = match model {
        Some(uuid) => format!("secret://{uuid}/{id}"),
        None => format!("secret:{id}"),
    };
    Ok(Uri {
        id: id.to_string(),
        full,
    })
}

fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The flags secret-add and secret-set share.
struct Upsert {
    expire: Id,
    rotate: Id,
    description: Id,
    label: Id,
    file: Id,
    owner: Id,
}

impl Upsert {
    fn declare(flags: &mut Flags) -> Upsert {
        Upsert {
            expire: flags.string(&["expire"]),
            rotate: flags.string(&["rotate"]),
            description: flags.string(&["description"]),
            label: flags.string(&["label"]),
            file: flags.string(&["file"]),
            owner: flags.string(&["owner"]),
        }
    }

    /// `secretUpsertCommand.Init`: options, then the content.
    fn init(
        &self,
        ctx: &mut Ctx,
        flags: &Flags,
        args: &[String],
    ) -> Res<(SecretOptions, Vec<(String, String)>)> {
        let mut options = SecretOptions {
            owner: None,
            label: None,
            description: None,
            expire: None,
            rotate: None,
        };
        if let Some(spec) = flags.get_str(self.expire).filter(|s| !s.is_empty()) {
            let ns = match go::time::parse_time(spec, true)
                .or_else(|| go::time::parse_time(spec, false))
            {
                Some(t) => t,
                None => {
                    let d = go::duration::Duration::parse(spec)
                        .map(|d| i128::from(d.nanos()))
                        .map_err(|_| {
                            usage(format!(
                                "expire time or duration {} not valid",
                                go::quote::quote(spec)
                            ))
                        })?;
                    if d <= 0 {
                        return Err(usage(format!(
                            "negative expire duration {} not valid",
                            go::quote::quote(spec)
                        )));
                    }
                    i128::from(ctx.host.now_ns()) + d
                }
            };
            options.expire = Some(go::time::format_time(ns));
        }
        if let Some(r) = flags.get_str(self.rotate).filter(|s| !s.is_empty()) {
            options.rotate = Some(rotate_policy(r).ok_or_else(|| {
                usage(format!("rotate policy {} not valid", go::quote::quote(r)))
            })?);
        }
        let owner = flags.get_str(self.owner).unwrap_or("application");
        options.owner = Some(match owner {
            "application" => SecretOwner::Application,
            "unit" => SecretOwner::Unit,
            o => {
                return Err(usage(format!(
                    "secret owner {} not valid",
                    go::quote::quote(o)
                )));
            }
        });
        options.description = flags
            .get_str(self.description)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        options.label = flags
            .get_str(self.label)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let mut data = create_secret_data(ctx, args)?;
        if let Some(file) = flags.get_str(self.file).filter(|s| !s.is_empty()) {
            let file = file.to_string();
            let bytes = ctx
                .host
                .read_file(&file, MAX_CONTENT as u64)
                .map_err(|e| match e {
                    FileError::TooLarge { size, .. } => too_large(&file, size),
                    e => usage(e.to_string()),
                })?;
            let raw = secret_data(&bytes).map_err(usage)?;
            for (k, v) in encode(raw)? {
                data.retain(|(x, _)| *x != k);
                data.push((k, v));
            }
        }
        Ok((options, data))
    }
}

/// Juju's error for a secret file over its limit (found by `stat`, before
/// reading it).
fn too_large(path: &str, size: u64) -> super::super::Fail {
    usage(format!(
        "secret content in file {} too large: {size} bytes",
        go::quote::quote(path)
    ))
}

/// `CreateSecretData`: `key=value`, `key#base64=...`, `key#file=path`,
/// validated and base64-encoded as Juju stores them.
fn create_secret_data(ctx: &mut Ctx, args: &[String]) -> Res<Vec<(String, String)>> {
    let mut raw: Vec<(String, String)> = Vec::new();
    for arg in args {
        let stripped = arg.trim_end_matches('=');
        let idx = match stripped.find('=') {
            Some(i) if i >= 1 => i,
            _ => {
                return Err(usage(format!(
                    "key value {} not valid",
                    go::quote::quote(arg)
                )));
            }
        };
        let (key, value) = (&arg[..idx], &arg[idx + 1..]);
        let (key, value) = match key.strip_suffix("#file") {
            Some(k) => {
                let content = ctx
                    .host
                    .read_file(value, MAX_VALUE as u64)
                    .map_err(|e| match e {
                        FileError::TooLarge { size, .. } => too_large(value, size),
                        e => usage(format!(
                            "reading content for secret key {}: {e}",
                            go::quote::quote(k)
                        )),
                    })?;
                let text = String::from_utf8(content).map_err(|_| {
                    usage(format!(
                        "secret content for key {} is not UTF-8 text",
                        go::quote::quote(k)
                    ))
                })?;
                (k.to_string(), text)
            }
            None => (key.to_string(), value.to_string()),
        };
        raw.retain(|(x, _)| *x != key);
        raw.push((key, value));
    }
    encode(raw)
}

/// `encodeBase64`: check keys and sizes; values end up base64-encoded.
fn encode(raw: Vec<(String, String)>) -> Res<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    for (k, v) in raw {
        let (key, encoded) = match k.strip_suffix("#base64") {
            Some(bare) => (bare.to_string(), v),
            None => (k.clone(), STANDARD.encode(v.as_bytes())),
        };
        if !is_secret_key(&key) {
            return Err(usage(format!("key {} not valid", go::quote::quote(&key))));
        }
        if encoded.len() > MAX_VALUE {
            return Err(usage(format!(
                "base64 encoded secret content for key {} too large: {} bytes",
                go::quote::quote(&key),
                encoded.len()
            )));
        }
        total += encoded.len();
        out.retain(|(x, _)| *x != key);
        out.push((key, encoded));
    }
    if total > MAX_CONTENT {
        return Err(usage(format!(
            "base64 encoded secret content too large: {total} bytes"
        )));
    }
    Ok(out)
}

/// The content as the backend keeps it (decoded text).
fn decode(encoded: Vec<(String, String)>) -> Res<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (k, v) in encoded {
        let bytes = STANDARD.decode(v.as_bytes()).map_err(|_| {
            run_err(format!(
                "secret value for key {} is not valid base64",
                go::quote::quote(&k)
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            run_err(format!(
                "secret value for key {} is not UTF-8 text",
                go::quote::quote(&k)
            ))
        })?;
        out.push((k, text));
    }
    out.sort();
    Ok(out)
}

/// `secret-add [options] key[#base64|#file]=value...`: prints the new URI.
pub(crate) fn secret_add(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[key[#base64|#file]=value...]");
    let up = Upsert::declare(&mut flags);
    let args = flags.parse(ctx, args)?;
    if args.is_empty() && flags.get_str(up.file).is_none_or(str::is_empty) {
        return Err(usage("missing secret value or filename"));
    }
    let (options, data) = up.init(ctx, &flags, &args)?;
    if data.is_empty() {
        return Err(run_err("empty secret value not valid"));
    }
    let content = decode(data)?;
    let uri = reply!(
        ctx.call_run(HookCall::SecretAdd { content, options })?,
        Text
    )?;
    ctx.out(format!("{uri}\n").as_bytes());
    Ok(())
}

/// `secret-set <ID> [options] [key[#base64]=value...]`.
pub(crate) fn secret_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID> [key[#base64]=value...]");
    let up = Upsert::declare(&mut flags);
    let args = flags.parse(ctx, args)?;
    let Some(first) = args.first() else {
        return Err(usage("missing secret URI"));
    };
    let uri = parse_uri(first).map_err(usage)?;
    let (mut options, data) = up.init(ctx, &flags, &args[1..])?;
    // secret-set only changes the owner-independent metadata.
    options.owner = None;
    let content = if data.is_empty() {
        None
    } else {
        Some(decode(data)?)
    };
    ctx.call_run(HookCall::SecretSet {
        id: uri.full,
        content,
        options,
    })?;
    Ok(())
}

/// `secret-get <ID> [key[#base64]] | --label L [--peek|--refresh]`.
pub(crate) fn secret_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID> [key[#base64]]");
    let out = flags.output(YAML_JSON, "yaml");
    let label = flags.string(&["label"]);
    let peek = flags.bool(&["peek"]);
    let refresh = flags.bool(&["refresh"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let mut rest: &[String] = &args;
    let mut uri = None;
    if let Some(first) = rest.first() {
        uri = Some(
            parse_uri(first)
                .map_err(|_| usage(format!("secret URI {} not valid", go::quote::quote(first))))?,
        );
        rest = &rest[1..];
    }
    let label = flags
        .get_str(label)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    if uri.is_none() && label.is_none() {
        return Err(usage("require either a secret URI or label"));
    }
    let (peek, refresh) = (flags.get_bool(peek), flags.get_bool(refresh));
    if peek && refresh {
        return Err(usage("specify one of --peek or --refresh but not both"));
    }
    let key = rest.first().cloned();
    if !rest.is_empty() {
        rest = &rest[1..];
    }
    check_empty(rest)?;
    let mode = if peek {
        SecretReadMode::Peek
    } else if refresh {
        SecretReadMode::Refresh
    } else {
        SecretReadMode::Tracked
    };
    let id = uri.map(|u| u.full);
    let content = reply!(ctx.call_run(HookCall::SecretGet { id, label, mode })?, Map)?;
    let value = match key {
        None => Value::string_map(&content),
        Some(k) => {
            let (name, raw) = match k.strip_suffix("#base64") {
                Some(n) => (n.to_string(), true),
                None => (k.clone(), false),
            };
            let Some((_, v)) = content.iter().find(|(x, _)| *x == name) else {
                return Err(run_err(format!(
                    "secret key {} not found",
                    go::quote::quote(&name)
                )));
            };
            Value::Str(if raw {
                STANDARD.encode(v.as_bytes())
            } else {
                v.clone()
            })
        }
    };
    out.write(ctx, &value)
}

/// `secret-info-get <ID> | --label L [--format yaml|json]`.
pub(crate) fn secret_info_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID>");
    let out = flags.output(YAML_JSON, "yaml");
    let label = flags.string(&["label"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let mut rest: &[String] = &args;
    let mut uri = None;
    if let Some(first) = rest.first() {
        uri = Some(
            parse_uri(first)
                .map_err(|_| usage(format!("secret URI {} not valid", go::quote::quote(first))))?,
        );
        rest = &rest[1..];
    }
    let label = flags
        .get_str(label)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    match (&uri, &label) {
        (None, None) => return Err(usage("require either a secret URI or label")),
        (Some(_), Some(_)) => {
            return Err(usage("specify either a secret URI or label but not both"));
        }
        _ => {}
    }
    check_empty(rest)?;
    let wanted = uri
        .as_ref()
        .map_or_else(|| label.clone().unwrap_or_default(), |u| u.id.clone());
    let id = uri.map(|u| u.full);
    let info = match ctx.try_call(HookCall::SecretInfoGet { id, label })? {
        Ok(r) => reply!(r, SecretInfo)?,
        Err(HookError::NotFound(_)) => {
            return Err(run_err(format!(
                "secret {} not found",
                go::quote::quote(&wanted)
            )));
        }
        Err(e) => return Err(run_err(message(&e))),
    };
    let mut f = vec![
        ("revision", Value::Int(i64::from(info.revision))),
        ("label", Value::Str(info.label.clone().unwrap_or_default())),
        (
            "owner",
            Value::Str(
                if info.owner == SecretOwner::Unit {
                    "unit"
                } else {
                    "application"
                }
                .into(),
            ),
        ),
    ];
    if let Some(d) = info.description.as_ref().filter(|d| !d.is_empty()) {
        f.push(("description", Value::Str(d.clone())));
    }
    if let Some(r) = info.rotation {
        f.push(("rotation", Value::Str(rotate_name(r).into())));
    }
    if let Some(e) = info.expiry.as_ref().filter(|e| !e.is_empty()) {
        f.push(("expiry", Value::Time(e.clone())));
    }
    if let Some(r) = info.rotates.as_ref().filter(|r| !r.is_empty()) {
        f.push(("rotates", Value::Time(r.clone())));
    }
    if !info.access.is_empty() {
        let access = info
            .access
            .iter()
            .map(|a| {
                Value::record(vec![
                    ("target", Value::Str(a.target.clone())),
                    ("scope", Value::Str(a.scope.clone())),
                    ("role", Value::Str(a.role.clone())),
                ])
            })
            .collect();
        f.push(("access", Value::List(access)));
    }
    let bare = info
        .id
        .strip_prefix("secret:")
        .unwrap_or(&info.id)
        .to_string();
    out.write(ctx, &Value::map(vec![(bare, Value::record(f))]))
}

/// `secret-ids [--format]`: bare ids of owned secrets (nil when none).
pub(crate) fn secret_ids(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let ids = reply!(ctx.call_run(HookCall::SecretIds)?, Texts)?;
    let mut bare: Vec<String> = ids
        .iter()
        .map(|i| i.strip_prefix("secret:").unwrap_or(i).to_string())
        .collect();
    bare.sort();
    let nil = bare.is_empty();
    out.write(ctx, &Value::Strings { items: bare, nil })
}

/// `secret-grant <ID> -r <rel> [--unit u]` (buffered).
pub(crate) fn secret_grant(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID>");
    let unit = flags.string(&["unit"]);
    let rel = flags.relation();
    let args = flags.parse(ctx, args)?;
    let Some(first) = args.first() else {
        return Err(usage("missing secret URI"));
    };
    let uri = parse_uri(first).map_err(usage)?;
    let relation = match flags.get_relation(rel) {
        Some(r) => r,
        None => hook_relation(ctx)?.ok_or_else(|| usage("no relation id specified"))?,
    };
    let app = reply!(
        ctx.call(HookCall::RelationRemoteApp {
            relation: Some(relation)
        })?,
        Text
    )?;
    let unit = flags
        .get_str(unit)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(u) = &unit {
        if !is_valid_unit(u) {
            return Err(usage(format!("unit {} not valid", go::quote::quote(u))));
        }
        if crate::juju::names::unit_app(u) != Some(app.as_str()) {
            return Err(usage(format!(
                "cannot specify unit {} in relation to application {}",
                go::quote::quote(u),
                go::quote::quote(&app)
            )));
        }
    }
    check_empty(&args[1..])?;
    ctx.call_run(HookCall::SecretGrant {
        id: uri.full,
        relation,
        unit,
    })?;
    Ok(())
}

/// `secret-revoke <ID> [-r rel | --app a | --unit u]` (buffered).
pub(crate) fn secret_revoke(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID>");
    let app = flags.string(&["app", "application"]);
    let unit = flags.string(&["unit"]);
    let rel = flags.relation();
    let args = flags.parse(ctx, args)?;
    let Some(first) = args.first() else {
        return Err(usage("missing secret URI"));
    };
    let uri = parse_uri(first).map_err(usage)?;
    let app = flags
        .get_str(app)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    let unit = flags
        .get_str(unit)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(a) = app.as_ref().filter(|a| !is_valid_application(a)) {
        return Err(usage(format!(
            "application {} not valid",
            go::quote::quote(a)
        )));
    }
    if let Some(u) = unit.as_ref().filter(|u| !is_valid_unit(u)) {
        return Err(usage(format!("unit {} not valid", go::quote::quote(u))));
    }
    if app.is_some() && unit.is_some() {
        return Err(usage("specify only one of application or unit"));
    }
    // -r, or the hook's relation, names the related application.
    let relation = match flags.get_relation(rel) {
        Some(r) => Some(r),
        None => hook_relation(ctx)?,
    };
    let mut target = SecretRevokeTarget {
        relation: None,
        app: app.clone(),
        unit: unit.clone(),
    };
    if let Some(r) = relation {
        if app.is_some() {
            return Err(usage("do not specify both relation and app"));
        }
        let remote = reply!(
            ctx.call(HookCall::RelationRemoteApp { relation: Some(r) })?,
            Text
        )?;
        if unit.is_none() {
            target.relation = Some(r);
        }
        target.app = if unit.is_none() { None } else { Some(remote) };
    }
    if target.relation.is_none() && target.app.is_none() && target.unit.is_none() {
        return Err(usage("missing relation or application or unit"));
    }
    check_empty(&args[1..])?;
    if target.unit.is_some() {
        // The unit alone identifies the grant to drop.
        target.app = None;
    }
    ctx.call_run(HookCall::SecretRevoke {
        id: uri.full,
        target,
    })?;
    Ok(())
}

/// `secret-remove <ID> [--revision N]` (buffered).
pub(crate) fn secret_remove(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<ID>");
    let revision = flags.int(&["revision"]);
    let args = flags.parse(ctx, args)?;
    let Some(first) = args.first() else {
        return Err(usage("missing secret URI"));
    };
    let uri = parse_uri(first).map_err(usage)?;
    check_empty(&args[1..])?;
    let revision = match flags.get_int(revision) {
        Some(r) if r > 0 => Some(u32::try_from(r).unwrap_or(u32::MAX)),
        _ => None,
    };
    ctx.call_run(HookCall::SecretRemove {
        id: uri.full,
        revision,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            parse_uri("secret:9m4e2mr0ui3e8a215n4g").unwrap().id,
            "9m4e2mr0ui3e8a215n4g"
        );
        assert_eq!(
            parse_uri("9m4e2mr0ui3e8a215n4g").unwrap().full,
            "secret:9m4e2mr0ui3e8a215n4g"
        );
        let x = parse_uri("secret://00000000-0000-4000-8000-000000000000/9m4e2mr0ui3e8a215n4g")
            .unwrap();
        assert_eq!(
            x.full,
            "secret://00000000-0000-4000-8000-000000000000/9m4e2mr0ui3e8a215n4g"
        );
        assert_eq!(
            parse_uri("foo").unwrap_err(),
            "secret URI \"foo\" not valid"
        );
        assert_eq!(
            parse_uri("http:9m4e2mr0ui3e8a215n4g").unwrap_err(),
            "secret URI scheme \"http\" not valid"
        );
    }
}
