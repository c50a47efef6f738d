//! Server-side unit state: `state-get`, `state-set`, `state-delete`.

use super::super::args::parse_key_values;
use super::super::input::settings_from;
use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, run_err, usage};
use crate::backend::HookCall;
use crate::go;

/// `state-get [<key>|-] [--strict] [--format]`. A missing key prints an
/// empty string (`""` in json); an empty store is a nil map (`null` in
/// json, `{}` in smart and yaml).
pub(crate) fn state_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<key>]");
    let out = flags.output(SMART, "smart");
    let strict = flags.bool(&["strict"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let mut key = String::new();
    if let Some(k) = args.first() {
        if k != "-" {
            key = k.clone();
        }
        check_empty(&args[1..])?;
    }
    let state = reply!(ctx.call_run(HookCall::StateGet)?, Map)?;
    if key.is_empty() {
        let nil = state.is_empty();
        let entries = state.into_iter().map(|(k, v)| (k, Value::Str(v))).collect();
        return out.write(
            ctx,
            &Value::Map {
                entries,
                sorted: true,
                nil,
            },
        );
    }
    match state.into_iter().find(|(k, _)| *k == key) {
        Some((_, v)) => out.write(ctx, &Value::Str(v)),
        None if flags.get_bool(strict) => {
            Err(run_err(format!("{} not found", go::quote::quote(&key))))
        }
        None => out.write(ctx, &Value::Str(String::new())),
    }
}

/// `state-set [--file path|-] key=value ...` (buffered; quota-checked).
pub(crate) fn state_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("key=value [key=value ...]");
    let file = flags.string(&["file"]);
    let args = flags.parse(ctx, args)?;
    let overrides = parse_key_values(&args, true).map_err(usage)?;
    let file = flags.get_str(file).map(str::to_string);
    let settings = settings_from(ctx, file.as_deref(), overrides)?;
    if settings.is_empty() {
        return Ok(());
    }
    ctx.call_run(HookCall::StateSet { settings })?;
    Ok(())
}

/// `state-delete <key>`: a missing key is a no-op, no key does nothing.
pub(crate) fn state_delete(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<key>").parse(ctx, args)?;
    let Some(key) = args.first().cloned() else {
        return Ok(());
    };
    check_empty(&args[1..])?;
    if key.is_empty() {
        return Ok(());
    }
    ctx.call_run(HookCall::StateDelete { key })?;
    Ok(())
}
