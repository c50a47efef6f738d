//! `storage-get`, `storage-list`, `storage-add`.

use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Fail, Res, reply};
use super::{check_empty, run_err, usage};
use crate::backend::HookCall;
use crate::bindings::types::{HookError, StorageKind};
use crate::go;

/// `storage-get [-s <name>/<n>] [<key>] [--format]`.
pub(crate) fn storage_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<key>]");
    let out = flags.output(SMART, "smart");
    let sid = flags.storage();
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let storage_id = flags.get_str(sid).map(str::to_string);
    // Init: the storage (given, or the hook's) comes first, then the args.
    let info = match ctx.try_call(HookCall::StorageGet { storage_id })? {
        Ok(r) => Ok(reply!(r, Storage)?),
        Err(HookError::InvalidArgument(m)) => return Err(Fail::Usage(m)),
        Err(e) => Err(Fail::Run(super::super::message(&e).to_string())),
    };
    let key = args.first().cloned().unwrap_or_default();
    if !args.is_empty() {
        check_empty(&args[1..])?;
    }
    let info = info?;
    let kind = match info.kind {
        StorageKind::Block => "block",
        StorageKind::Filesystem => "filesystem",
    };
    let values = vec![
        ("kind".to_string(), Value::Str(kind.into())),
        ("location".to_string(), Value::Str(info.location)),
    ];
    if key.is_empty() {
        return out.write(ctx, &Value::map(values));
    }
    match values.into_iter().find(|(k, _)| *k == key) {
        Some((_, v)) => out.write(ctx, &v),
        None => Err(run_err(format!(
            "invalid storage attribute {}",
            go::quote::quote(&key)
        ))),
    }
}

/// `storage-list [<storage-name>] [--format]`.
pub(crate) fn storage_list(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("[<storage-name>]");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let name = args.first().cloned().unwrap_or_default();
    if !args.is_empty() {
        check_empty(&args[1..])?;
    }
    let mut ids = reply!(ctx.call_run(HookCall::StorageList { name: None })?, Texts)?;
    if !name.is_empty() {
        ids.retain(|id| id.rsplit_once('/').is_some_and(|(n, _)| n == name));
    }
    // Juju lists storage tags in sorted order (`storage-<name>-<n>`).
    ids.sort_by_key(|id| format!("storage-{}", id.replace('/', "-")));
    out.write(ctx, &Value::strings(ids))
}

/// juju's `ParseConstraints` of one directive, keeping only the count.
fn parse_directive(s: &str) -> Result<(bool, u64), String> {
    let (mut pool, mut size, mut count) = (false, false, 0u64);
    for field in s.split(',').filter(|f| !f.is_empty()) {
        let is_pool = field.starts_with(|c: char| c.is_ascii_alphabetic())
            && field[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '?');
        if is_pool {
            pool = true;
            continue;
        }
        let digits = field.strip_prefix('-').unwrap_or(field);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            match (field.starts_with('-'), field.parse::<u64>()) {
                (false, Ok(n)) if n > 0 => {
                    count = n;
                    continue;
                }
                (false, Err(_)) => {}
                _ => {
                    return Err(format!(
                        "cannot parse count: count must be greater than zero, got {}",
                        go::quote::quote(field)
                    ));
                }
            }
        }
        if is_size(field) {
            size = true;
        }
        // Anything else is ignored with a warning in the agent's log.
    }
    if count == 0 && !size && !pool {
        return Err("storage constraints require at least one field to be specified".into());
    }
    Ok((pool || size, count.max(1)))
}

/// `^-?[0-9]+(?:\.[0-9]+)?[MGTPEZY](?:i?B)?$`
fn is_size(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    let num_ok = match num.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && (a.to_string() + b).bytes().all(|c| c.is_ascii_digit())
        }
        None => !num.is_empty(),
    };
    num_ok
        && matches!(
            unit.as_bytes(),
            [b'M' | b'G' | b'T' | b'P' | b'E' | b'Z' | b'Y']
                | [b'M' | b'G' | b'T' | b'P' | b'E' | b'Z' | b'Y', b'B']
                | [b'M' | b'G' | b'T' | b'P' | b'E' | b'Z' | b'Y', b'i', b'B']
        )
}

/// `storage-add <name>[=count] ...` (buffered).
pub(crate) fn storage_add(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<charm storage name>[=count] ...").parse(ctx, args)?;
    if args.is_empty() {
        return Err(usage("storage add requires a storage directive"));
    }
    let mut directives: Vec<(String, u32)> = Vec::new();
    for kv in &args {
        let parts: Vec<&str> = kv.split('=').collect();
        let name = parts[0];
        if parts.len() > 2 || name.is_empty() {
            return Err(usage(format!(
                "expected \"name=constraints\" or \"name\", got {}",
                go::quote::quote(kv)
            )));
        }
        if directives.iter().any(|(n, _)| n == name) {
            return Err(usage(format!(
                "storage {} specified more than once",
                go::quote::quote(name)
            )));
        }
        let (other, count) =
            parse_directive(parts.get(1).copied().unwrap_or("1")).map_err(|e| {
                usage(format!(
                    "cannot parse constraints for storage {}: {e}",
                    go::quote::quote(name)
                ))
            })?;
        if other {
            return Err(usage(format!(
                "only count can be specified for {}",
                go::quote::quote(name)
            )));
        }
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        directives.push((name.to_string(), count));
    }
    ctx.call_run(HookCall::StorageAdd { directives })?;
    Ok(())
}
