//! `relation-ids`, `relation-list`, `relation-get`, `relation-set`,
//! `relation-model-get`.

use super::super::args::parse_key_values;
use super::super::input::settings_from;
use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Fail, Res, reply};
use super::{check_empty, require_relation, usage};
use crate::backend::HookCall;
use crate::bindings::types::HookError;
use crate::go;

/// `relation-ids [<endpoint>] [--format]`: sorted `endpoint:id` strings.
pub(crate) fn relation_ids(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<name>]");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let endpoint = match args.first() {
        Some(ep) => {
            check_empty(&args[1..])?;
            ep.clone()
        }
        None => String::new(),
    };
    // An explicit empty name matches no relation; no name means the hook's
    // endpoint, which the backend resolves (or refuses, exit 2).
    let ids = if args.is_empty() || !endpoint.is_empty() {
        reply!(ctx.call(HookCall::RelationIds { endpoint })?, RelationIds)?
    } else {
        Vec::new()
    };
    let mut keys = Vec::new();
    for id in ids {
        let ep = reply!(
            ctx.call_run(HookCall::RelationEndpoint { relation: id })?,
            Text
        )?;
        keys.push(format!("{ep}:{id}"));
    }
    keys.sort();
    out.write(ctx, &Value::strings(keys))
}

/// `relation-list [-r id] [--app] [--format]`.
pub(crate) fn relation_list(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let rel = flags.relation();
    let app = flags.bool(&["app"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let relation = flags.get_relation(rel);
    require_relation(ctx, relation)?;
    check_empty(&args)?;
    let value = if flags.get_bool(app) {
        Value::Str(reply!(
            ctx.call_run(HookCall::RelationRemoteApp { relation })?,
            Text
        )?)
    } else {
        Value::strings(reply!(
            ctx.call_run(HookCall::RelationList { relation })?,
            Texts
        )?)
    };
    out.write(ctx, &value)
}

/// `relation-get [-r id] [--app] [<key>|-] [<unit-or-app>] [--format]`.
pub(crate) fn relation_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<key> <unit id>");
    let out = flags.output(SMART, "smart");
    let rel = flags.relation();
    let app = flags.bool(&["app"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let relation = flags.get_relation(rel);
    let app = flags.get_bool(app);
    require_relation(ctx, relation)?;
    let mut rest: &[String] = &args;
    let mut key = String::new();
    if let Some(k) = rest.first() {
        if k != "-" {
            key = k.clone();
        }
        rest = &rest[1..];
    }
    let target = rest.first().cloned();
    if let Some(t) = &target {
        if !app && !is_valid_unit(t) {
            if is_valid_application(t) {
                return Err(usage(format!(
                    "expected unit name, got application name {}",
                    go::quote::quote(t)
                )));
            }
            return Err(usage(format!("invalid unit name {}", go::quote::quote(t))));
        }
        rest = &rest[1..];
    }
    // Without a target the backend picks Juju's default (remote unit, else
    // remote app, else `no unit or application specified`, exit 2).
    let reply = ctx.try_call(HookCall::RelationGet {
        relation,
        target,
        app,
    })?;
    let settings = match reply {
        Ok(r) => reply!(r, Map)?,
        Err(HookError::InvalidArgument(m)) => return Err(Fail::Usage(m)),
        Err(e) => {
            check_empty(rest)?;
            return Err(Fail::Run(super::super::message(&e).to_string()));
        }
    };
    check_empty(rest)?;
    let value = if key.is_empty() {
        Value::string_map(&settings)
    } else {
        settings
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(Value::Nil, |(_, v)| Value::Str(v.clone()))
    };
    out.write(ctx, &value)
}

/// `relation-set [-r id] [--app] [--file path|-] key=value ...` (buffered).
pub(crate) fn relation_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("key=value [key=value ...]");
    let rel = flags.relation();
    let file = flags.string(&["file"]);
    let app = flags.bool(&["app"]);
    let format = flags.string(&["format"]);
    let args = flags.parse(ctx, args)?;
    let relation = flags.get_relation(rel);
    require_relation(ctx, relation)?;
    let overrides = parse_key_values(&args, true).map_err(usage)?;
    if flags.get_str(format).is_some_and(|f| !f.is_empty()) {
        ctx.format_deprecated();
    }
    let file = flags.get_str(file).map(str::to_string);
    let settings = settings_from(ctx, file.as_deref(), overrides)?;
    ctx.call_run(HookCall::RelationSet {
        relation,
        app: flags.get_bool(app),
        settings,
    })?;
    Ok(())
}

/// `relation-model-get [-r id] [--format]`: `{uuid: ...}`.
pub(crate) fn relation_model_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let rel = flags.relation();
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let relation = flags.get_relation(rel);
    require_relation(ctx, relation)?;
    check_empty(&args)?;
    let uuid = reply!(ctx.call_run(HookCall::RelationModelGet { relation })?, Text)?;
    out.write(ctx, &Value::record(vec![("uuid", Value::Str(uuid))]))
}

/// juju/names `IsValidUnit`.
pub(crate) fn is_valid_unit(s: &str) -> bool {
    crate::juju::names::parse_unit(s).is_ok()
}

/// juju/names `IsValidApplication`.
pub(crate) fn is_valid_application(s: &str) -> bool {
    crate::juju::names::is_app_name(s)
}
