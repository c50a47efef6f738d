//! `config-get`.

use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, usage};
use crate::backend::HookCall;
use crate::bindings::types::ConfigValue;

/// A config value as Juju holds it in `charm.Settings`.
pub(crate) fn config_value(v: Option<ConfigValue>) -> Value {
    match v {
        None => Value::Nil,
        Some(ConfigValue::String(s) | ConfigValue::Secret(s)) => Value::Str(s),
        Some(ConfigValue::Int(i)) => Value::Int(i),
        Some(ConfigValue::Float(f)) => Value::Float(f),
        Some(ConfigValue::Boolean(b)) => Value::Bool(b),
    }
}

/// `config-get [<key>] [-a|--all] [--format] [-o]`.
pub(crate) fn config_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<key>]");
    let out = flags.output(SMART, "smart");
    let all = flags.bool(&["a", "all"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let all = flags.get_bool(all);
    let key = args.first().cloned().unwrap_or_default();
    if !key.is_empty() && all {
        return Err(usage(format!(
            "cannot use argument --all together with key {}",
            crate::go::quote::quote(&key)
        )));
    }
    if !args.is_empty() {
        check_empty(&args[1..])?;
    }
    let value = if key.is_empty() {
        let settings = reply!(ctx.call_run(HookCall::ConfigGetAll { all })?, Config)?;
        Value::map(
            settings
                .into_iter()
                .map(|(k, v)| (k, config_value(v)))
                .collect(),
        )
    } else {
        config_value(reply!(
            ctx.call_run(HookCall::ConfigGet { key })?,
            ConfigValue
        )?)
    };
    out.write(ctx, &value)
}
