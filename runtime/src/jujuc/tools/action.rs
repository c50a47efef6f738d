//! `action-get`, `action-set`, `action-fail`, `action-log`.

use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, run_err, usage};
use crate::backend::HookCall;
use crate::go;
use crate::juju::actions::{RESERVED_RESULT_KEYS as RESERVED, is_result_key};

/// `action-get [key[.key...]] [--format]`.
pub(crate) fn action_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<key>[.<key>.<key>...]]");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let keys: Vec<String> = match args.first() {
        Some(k) => {
            check_empty(&args[1..])?;
            k.split('.').map(str::to_string).collect()
        }
        None => Vec::new(),
    };
    let text = reply!(ctx.call_run(HookCall::ActionGet)?, Text)?;
    let params: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| run_err(format!("cannot read action parameters: {e}")))?;
    let mut answer = &params;
    if keys.is_empty() {
        if answer.is_null() {
            return out.write(ctx, &Value::map(Vec::new()));
        }
    } else {
        for k in &keys {
            match answer.get(k.as_str()) {
                Some(v) if answer.is_object() => answer = v,
                _ => return out.write(ctx, &Value::Nil),
            }
        }
    }
    out.write(ctx, &Value::from_json(answer))
}

/// `action-set key[.key...]=value ...`.
pub(crate) fn action_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<key>=<value> [<key>=<value> ...]").parse(ctx, args)?;
    let mut results: Vec<(String, String)> = Vec::new();
    for arg in &args {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(usage(format!(
                "argument {} must be of the form key...=value",
                go::quote::quote(arg)
            )));
        };
        for seg in key.split('.') {
            if !is_result_key(seg) {
                return Err(usage(format!(
                    "key {} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods",
                    go::quote::quote(seg)
                )));
            }
            if RESERVED.contains(&seg) {
                return Err(usage(format!(
                    "cannot set reserved action key {}",
                    go::quote::quote(seg)
                )));
            }
        }
        results.push((key.to_string(), value.to_string()));
    }
    if results.is_empty() {
        return Ok(());
    }
    ctx.call_run(HookCall::ActionSet { results })?;
    Ok(())
}

/// `action-fail ["message"]`.
pub(crate) fn action_fail(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("[\"<failure message>\"]").parse(ctx, args)?;
    let message = match args.first() {
        Some(m) => {
            check_empty(&args[1..])?;
            m.clone()
        }
        None => "action failed without reason given, check action for errors".to_string(),
    };
    ctx.call_run(HookCall::ActionFail {
        message: Some(message),
    })?;
    Ok(())
}

/// `action-log <message...>` (immediate).
pub(crate) fn action_log(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<message>").parse(ctx, args)?;
    if args.is_empty() {
        return Err(usage("no message specified"));
    }
    ctx.call_run(HookCall::ActionLog {
        message: args.join(" "),
    })?;
    Ok(())
}
