//! `is-leader`, `leader-get`, `leader-set`.

use super::super::args::parse_key_values;
use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, usage};
use crate::backend::HookCall;
use crate::go;

/// `is-leader [--format]`.
pub(crate) fn is_leader(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let leader = reply!(ctx.call_run(HookCall::IsLeader)?, Bool)?;
    out.write(ctx, &Value::Bool(leader))
}

/// `leader-get [<key>|-] [--format]`.
pub(crate) fn leader_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<key>]");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let mut key = String::new();
    if let Some(k) = args.first() {
        if k != "-" {
            if k.contains('=') {
                return Err(usage(format!("invalid key {}", go::quote::quote(k))));
            }
            key = k.clone();
        }
        check_empty(&args[1..])?;
    }
    let settings = reply!(ctx.call_run(HookCall::LeaderGet)?, Map)?;
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

/// `leader-set key=value ...` (immediate; an empty value deletes).
pub(crate) fn leader_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<key>=<value> [...]").parse(ctx, args)?;
    let settings = parse_key_values(&args, true).map_err(usage)?;
    ctx.call_run(HookCall::LeaderSet { settings })?;
    Ok(())
}
