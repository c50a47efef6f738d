//! Tools Juju 3.6 still serves but charmbox's charms have no use for:
//! metrics, payloads and podspec (v1) k8s specs. They parse their
//! arguments as Juju does and then answer as Juju would for a charm that
//! declares no metrics, no payload classes and is not a podspec charm.
//! See `docs/jujuc.md`.

use super::super::args::parse_key_values;
use super::super::input::read_file_arg;
use super::super::output::Flags;
use super::super::{Ctx, Res, reply};
use super::{check_empty, run_err, usage};
use crate::backend::HookCall;
use crate::go;

/// `add-metric [-l labels] key=value ...`: outside `collect-metrics`
/// (every hook charmbox runs) Juju refuses the metric.
pub(crate) fn add_metric(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("key1=value1 [key2=value2 ...]");
    let labels = flags.string(&["l", "labels"]);
    let args = flags.parse(ctx, args)?;
    if args.is_empty() {
        return Err(usage("no metrics specified"));
    }
    let metrics =
        parse_key_values(&args, false).map_err(|e| usage(format!("invalid metrics: {e}")))?;
    let label_args: Vec<String> = match flags.get_str(labels).filter(|l| !l.is_empty()) {
        Some(l) => l.split(',').map(str::to_string).collect(),
        None => Vec::new(),
    };
    parse_key_values(&label_args, false).map_err(|e| usage(format!("invalid labels: {e}")))?;
    for (key, _) in &metrics {
        if key.starts_with("juju") {
            return Err(run_err(format!("{key} uses a reserved prefix")));
        }
    }
    Err(run_err(
        "cannot record metric: metrics not allowed in this context",
    ))
}

/// `payload-register <type> <class> <id> [tags...]`: charmbox charms
/// declare no payload classes.
pub(crate) fn payload_register(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<type> <class> <id> [tags...]").parse(ctx, args)?;
    if args.len() < 3 {
        return Err(usage("missing required arguments"));
    }
    Err(run_err(format!(
        "payload {} not found in metadata.yaml",
        go::quote::quote(&args[1])
    )))
}

/// `payload-unregister <class> <id>`: nothing can have been registered.
pub(crate) fn payload_unregister(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<class> <id>").parse(ctx, args)?;
    if args.len() < 2 {
        return Err(usage("missing required arguments"));
    }
    check_empty(&args[2..])?;
    Err(run_err(format!(
        "payload {} not found",
        go::quote::quote(&format!("{}/{}", args[0], args[1]))
    )))
}

/// `payload-status-set <class> <id> <status>`.
pub(crate) fn payload_status_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<class> <id> <status>").parse(ctx, args)?;
    if args.len() < 3 {
        return Err(usage("missing required arguments"));
    }
    check_empty(&args[3..])?;
    let status = &args[2];
    if !["starting", "running", "stopping", "stopped"].contains(&status.as_str()) {
        return Err(run_err(format!(
            "status {} not supported; expected one of [\"running\", \"starting\", \"stopped\", \"stopping\"]",
            go::quote::quote(status)
        )));
    }
    Err(run_err(format!(
        "payload {} not found",
        go::quote::quote(&format!("{}/{}", args[0], args[1]))
    )))
}

fn spec_set(ctx: &mut Ctx, args: &[String], raw: bool) -> Res<()> {
    let mut flags = Flags::new("--file <core spec file>");
    let file = flags.string(&["file"]);
    if !raw {
        flags.string(&["k8s-resources"]);
    }
    let args = flags.parse(ctx, args)?;
    check_empty(&args)?;
    let path = flags.get_str(file).unwrap_or("-").to_string();
    read_file_arg(ctx, &path)?;
    if !reply!(ctx.call_run(HookCall::IsLeader)?, Bool)? {
        return Err(run_err("this unit is not the leader"));
    }
    Err(run_err(
        "k8s specs can only be set by podspec (v1) charms; charmbox runs sidecar and machine charms",
    ))
}

/// `k8s-spec-set` / `pod-spec-set [--file f|-] [--k8s-resources f]`.
pub(crate) fn k8s_spec_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    spec_set(ctx, args, false)
}

/// `k8s-raw-set [--file f|-]`.
pub(crate) fn k8s_raw_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    spec_set(ctx, args, true)
}

/// `k8s-spec-get` / `k8s-raw-get` / `pod-spec-get`: there is no spec.
pub(crate) fn k8s_spec_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("").parse(ctx, args)?;
    check_empty(&args)?;
    Err(run_err(
        "k8s spec not found: charmbox runs sidecar and machine charms, not podspec (v1) charms",
    ))
}
