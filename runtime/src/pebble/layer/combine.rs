//! Combining layers (`plan.CombineLayers`): per entry, `override: replace`
//! copies the new definition, `override: merge` merges it field by field
//! into the earlier one (scalars only when set, lists appended, maps merged
//! key by key, new wins). Defaults are then filled in: backoff values and
//! check period/timeout as values that stay "not set" (they do not show in
//! the plan), and `threshold: 3`, which does.

use std::collections::BTreeMap;

use super::model::*;
use crate::go::quote::quote;

fn merge_str(into: &mut String, from: &str) {
    if !from.is_empty() {
        *into = from.to_string();
    }
}

fn merge_map(into: &mut OptMap, from: &OptMap) {
    if let Some(f) = from {
        for (k, v) in f {
            into.get_or_insert_with(BTreeMap::new)
                .insert(k.clone(), v.clone());
        }
    }
}

fn merge_dur(into: &mut OptDuration, from: &OptDuration) {
    if from.is_set {
        *into = *from;
    }
}

fn merge_opt<T: Copy>(into: &mut Option<T>, from: &Option<T>) {
    if from.is_some() {
        *into = *from;
    }
}

/// A copy as Pebble's `Copy` makes it (empty lists become absent).
fn copy_service(s: &Service) -> Service {
    s.clone()
}

/// `Service.Merge`.
pub fn merge_service(s: &mut Service, o: &Service) {
    merge_str(&mut s.summary, &o.summary);
    merge_str(&mut s.description, &o.description);
    merge_str(&mut s.startup, &o.startup);
    merge_str(&mut s.command, &o.command);
    merge_dur(&mut s.kill_delay, &o.kill_delay);
    merge_opt(&mut s.user_id, &o.user_id);
    merge_str(&mut s.user, &o.user);
    merge_opt(&mut s.group_id, &o.group_id);
    merge_str(&mut s.group, &o.group);
    merge_str(&mut s.working_dir, &o.working_dir);
    merge_str(&mut s.workload, &o.workload);
    s.after.extend(o.after.iter().cloned());
    s.before.extend(o.before.iter().cloned());
    s.requires.extend(o.requires.iter().cloned());
    merge_map(&mut s.environment, &o.environment);
    merge_str(&mut s.on_success, &o.on_success);
    merge_str(&mut s.on_failure, &o.on_failure);
    merge_map(&mut s.on_check_failure, &o.on_check_failure);
    merge_dur(&mut s.backoff_delay, &o.backoff_delay);
    if o.backoff_factor.is_set {
        s.backoff_factor = o.backoff_factor;
    }
    merge_dur(&mut s.backoff_limit, &o.backoff_limit);
}

/// `Check.Merge`, including the probe blocks.
pub fn merge_check(c: &mut Check, o: &Check) {
    merge_str(&mut c.level, &o.level);
    merge_str(&mut c.startup, &o.startup);
    merge_dur(&mut c.period, &o.period);
    merge_dur(&mut c.timeout, &o.timeout);
    if o.threshold != 0 {
        c.threshold = o.threshold;
    }
    if let Some(oh) = &o.http {
        let h = c.http.get_or_insert_with(HttpCheck::default);
        merge_str(&mut h.url, &oh.url);
        merge_map(&mut h.headers, &oh.headers);
    }
    if let Some(ot) = &o.tcp {
        let t = c.tcp.get_or_insert_with(TcpCheck::default);
        if ot.port != 0 {
            t.port = ot.port;
        }
        merge_str(&mut t.host, &ot.host);
    }
    if let Some(oe) = &o.exec {
        let e = c.exec.get_or_insert_with(ExecCheck::default);
        merge_str(&mut e.command, &oe.command);
        merge_str(&mut e.service_context, &oe.service_context);
        merge_map(&mut e.environment, &oe.environment);
        merge_opt(&mut e.user_id, &oe.user_id);
        merge_str(&mut e.user, &oe.user);
        merge_opt(&mut e.group_id, &oe.group_id);
        merge_str(&mut e.group, &oe.group);
        merge_str(&mut e.working_dir, &oe.working_dir);
    }
}

/// `LogTarget.Merge`.
pub fn merge_log_target(t: &mut LogTarget, o: &LogTarget) {
    merge_str(&mut t.type_, &o.type_);
    merge_str(&mut t.location, &o.location);
    t.services.extend(o.services.iter().cloned());
    merge_map(&mut t.labels, &o.labels);
}

fn merge_workload(w: &mut Workload, o: &Workload) {
    if o.environment.as_ref().is_some_and(|e| !e.is_empty()) {
        merge_map(&mut w.environment, &o.environment);
    }
    merge_opt(&mut w.user_id, &o.user_id);
    merge_str(&mut w.user, &o.user);
    merge_opt(&mut w.group_id, &o.group_id);
    merge_str(&mut w.group, &o.group);
}

/// Apply one section of one layer to the combined entries.
fn apply<T: Clone>(
    combined: &mut BTreeMap<String, T>,
    entries: &BTreeMap<String, T>,
    override_of: impl Fn(&T) -> &str,
    merge: impl Fn(&mut T, &T),
    missing: impl Fn(&str) -> String,
    invalid: impl Fn(&str, &str) -> String,
) -> Result<(), FormatError> {
    for (name, entry) in entries {
        match override_of(entry) {
            "merge" => match combined.get_mut(name) {
                Some(old) => merge(old, entry),
                None => {
                    combined.insert(name.clone(), entry.clone());
                }
            },
            "replace" => {
                combined.insert(name.clone(), entry.clone());
            }
            "" => return Err(FormatError(missing(name))),
            other => return Err(FormatError(invalid(name, other))),
        }
    }
    Ok(())
}

/// `CombineLayers`: the layers combined in order; summary and description
/// come from the last one.
pub fn combine(layers: &[&Layer]) -> Result<Layer, FormatError> {
    let mut c = Layer::default();
    if let Some(last) = layers.last() {
        c.summary = last.summary.clone();
        c.description = last.description.clone();
    }
    // Extension sections are combined first, across all layers.
    for layer in layers {
        apply(
            &mut c.workloads,
            &layer.workloads,
            |s| &s.override_,
            merge_workload,
            |n| format!("workload {} must define an \"override\" policy", quote(n)),
            |n, o| {
                format!(
                    "workload {} has an invalid \"override\" policy: {}",
                    quote(n),
                    quote(o)
                )
            },
        )?;
    }
    for layer in layers {
        let label = quote(&layer.label);
        apply(
            &mut c.services,
            &layer.services,
            |s| &s.override_,
            |old, new| {
                let mut merged = copy_service(old);
                merge_service(&mut merged, new);
                *old = merged;
            },
            |n| {
                format!(
                    "layer {label} must define \"override\" for service {}",
                    quote(n)
                )
            },
            |n, _| {
                format!(
                    "layer {label} has invalid \"override\" value for service {}",
                    quote(n)
                )
            },
        )?;
        apply(
            &mut c.checks,
            &layer.checks,
            |s| &s.override_,
            merge_check,
            |n| {
                format!(
                    "layer {label} must define \"override\" for check {}",
                    quote(n)
                )
            },
            |n, _| {
                format!(
                    "layer {label} has invalid \"override\" value for check {}",
                    quote(n)
                )
            },
        )?;
        apply(
            &mut c.log_targets,
            &layer.log_targets,
            |s| &s.override_,
            merge_log_target,
            |n| {
                format!(
                    "layer {label} must define \"override\" for log target {}",
                    quote(n)
                )
            },
            |n, _| {
                format!(
                    "layer {label} has invalid \"override\" value for log target {}",
                    quote(n)
                )
            },
        )?;
    }
    for s in c.services.values_mut() {
        if !s.backoff_delay.is_set {
            s.backoff_delay.value = DEFAULT_BACKOFF_DELAY;
        }
        if !s.backoff_factor.is_set {
            s.backoff_factor.value = DEFAULT_BACKOFF_FACTOR;
        }
        if !s.backoff_limit.is_set {
            s.backoff_limit.value = DEFAULT_BACKOFF_LIMIT;
        }
    }
    for ch in c.checks.values_mut() {
        if !ch.period.is_set {
            ch.period.value = DEFAULT_CHECK_PERIOD;
        }
        if !ch.timeout.is_set {
            ch.timeout.value = DEFAULT_CHECK_TIMEOUT;
        }
        if ch.timeout.value > ch.period.value {
            ch.timeout.value = ch.period.value;
        }
        if ch.threshold == 0 {
            ch.threshold = DEFAULT_CHECK_THRESHOLD;
        }
    }
    Ok(c)
}
