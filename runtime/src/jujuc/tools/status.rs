//! `juju-log`, `status-get`, `status-set`.

use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, usage};
use crate::backend::HookCall;
use crate::bindings::types::{LogLevel, StatusInfo, StatusKind};
use crate::go;

/// loggo's `ParseLevel`; `Some(None)` is UNSPECIFIED (never logged).
fn log_level(s: &str) -> Option<Option<LogLevel>> {
    Some(Some(match s.to_ascii_uppercase().as_str() {
        "UNSPECIFIED" => return Some(None),
        "TRACE" => LogLevel::Trace,
        "DEBUG" => LogLevel::Debug,
        "INFO" => LogLevel::Info,
        "WARN" | "WARNING" => LogLevel::Warning,
        "ERROR" => LogLevel::Error,
        "CRITICAL" => LogLevel::Critical,
        _ => return None,
    }))
}

/// `juju-log [--debug] [-l|--log-level LEVEL] <message...>` (immediate).
pub(crate) fn juju_log(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<message>");
    let debug = flags.bool(&["debug"]);
    let level = flags.string(&["l", "log-level"]);
    let format = flags.string(&["format"]);
    let args = flags.parse(ctx, args)?;
    if args.is_empty() {
        return Err(usage("no message specified"));
    }
    let message = args.join(" ");
    if flags.get_str(format).is_some_and(|f| !f.is_empty()) {
        ctx.format_deprecated();
    }
    let level_text = flags.get_str(level).unwrap_or("INFO").to_string();
    let level = if flags.get_bool(debug) {
        Some(LogLevel::Debug)
    } else if level_text.is_empty() {
        Some(LogLevel::Info)
    } else {
        match log_level(&level_text) {
            Some(l) => l,
            None => {
                let warning = format!(
                    "Specified log level of {} is not valid",
                    go::quote::quote(&level_text)
                );
                ctx.call_run(HookCall::JujuLog {
                    level: LogLevel::Warning,
                    message: warning,
                })?;
                Some(LogLevel::Info)
            }
        }
    };
    if let Some(level) = level {
        ctx.call_run(HookCall::JujuLog { level, message })?;
    }
    Ok(())
}

fn details(info: &StatusInfo, include_data: bool) -> Value {
    let mut m = vec![("status".to_string(), Value::Str(info.status.clone()))];
    if include_data {
        m.push(("status-data".into(), Value::string_map(&info.data)));
        m.push(("message".into(), Value::Str(info.message.clone())));
    }
    Value::map(m)
}

/// `status-get [--include-data] [--application] [--format]`.
pub(crate) fn status_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[--include-data] [--application]");
    let out = flags.output(SMART, "smart");
    let include = flags.bool(&["include-data"]);
    let app = flags.bool(&["application"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let include = flags.get_bool(include);
    if flags.get_bool(app) {
        let status = reply!(
            ctx.call_run(HookCall::ApplicationStatusGet)?,
            ApplicationStatus
        )?;
        if !include && out.format == "smart" {
            return out.write(ctx, &Value::Str(status.application.status.clone()));
        }
        let mut d = details(&status.application, include);
        let units = Value::map(
            status
                .units
                .iter()
                .map(|(u, s)| (u.clone(), details(s, include)))
                .collect(),
        );
        if let Value::Map { entries, .. } = &mut d {
            entries.push(("units".into(), units));
        }
        return out.write(ctx, &Value::map(vec![("application-status".into(), d)]));
    }
    let status = reply!(ctx.call_run(HookCall::StatusGet)?, Status)?;
    if !include && out.format == "smart" {
        return out.write(ctx, &Value::Str(status.status.clone()));
    }
    out.write(ctx, &details(&status, include))
}

const VALID_STATUS: &[(&str, StatusKind)] = &[
    ("maintenance", StatusKind::Maintenance),
    ("blocked", StatusKind::Blocked),
    ("waiting", StatusKind::Waiting),
    ("active", StatusKind::Active),
];

/// `status-set [--application] <status> [message]` (immediate).
pub(crate) fn status_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<maintenance | blocked | waiting | active> [message]");
    let app = flags.bool(&["application"]);
    let args = flags.parse(ctx, args)?;
    let Some(name) = args.first() else {
        return Err(usage("invalid args, require <status> [message]"));
    };
    let Some(&(_, status)) = VALID_STATUS.iter().find(|(n, _)| n == name) else {
        return Err(usage(format!(
            "invalid status {}, expected one of [maintenance blocked waiting active]",
            go::quote::quote(name)
        )));
    };
    let message = args.get(1).cloned().unwrap_or_default();
    if args.len() > 1 {
        check_empty(&args[2..])?;
    }
    ctx.call_run(HookCall::StatusSet {
        application: flags.get_bool(app),
        status,
        message,
    })?;
    Ok(())
}
