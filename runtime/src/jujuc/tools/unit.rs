//! Unit and model facts: `unit-get`, `network-get`, `goal-state`,
//! `credential-get`, `application-version-set`, `resource-get`,
//! `juju-reboot`.

use super::super::output::{Flags, SMART, YAML_JSON};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, run_err, usage};
use crate::backend::HookCall;
use crate::bindings::types::{CloudSpec, GoalStatus, NetworkInfo};
use crate::go;

/// `unit-get private-address|public-address`.
pub(crate) fn unit_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("<setting>");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let Some(setting) = args.first() else {
        return Err(usage("no setting specified"));
    };
    if setting != "private-address" && setting != "public-address" {
        return Err(usage(format!(
            "unknown setting {}",
            go::quote::quote(setting)
        )));
    }
    check_empty(&args[1..])?;
    let value = reply!(
        ctx.call_run(HookCall::UnitGet {
            setting: setting.clone()
        })?,
        Text
    )?;
    out.write(ctx, &Value::Str(value))
}

/// The display form of network-get's full answer (struct order, empty
/// lists left out, yaml's legacy duplicate keys).
fn network_value(info: &NetworkInfo, yaml: bool) -> Value {
    let mut fields: Vec<(&str, Value)> = Vec::new();
    if !info.bind_addresses.is_empty() {
        let binds = info
            .bind_addresses
            .iter()
            .map(|b| {
                let addrs = b
                    .addresses
                    .iter()
                    .map(|a| {
                        let mut f = vec![
                            ("hostname", Value::Str(a.hostname.clone())),
                            ("value", Value::Str(a.value.clone())),
                            ("cidr", Value::Str(a.cidr.clone())),
                        ];
                        if yaml {
                            f.push(("address", Value::Str(a.value.clone())));
                        }
                        Value::record(f)
                    })
                    .collect();
                let mut f = vec![
                    ("mac-address", Value::Str(b.mac_address.clone())),
                    ("interface-name", Value::Str(b.interface_name.clone())),
                    ("addresses", Value::List(addrs)),
                ];
                if yaml {
                    f.push(("macaddress", Value::Str(b.mac_address.clone())));
                    f.push(("interfacename", Value::Str(b.interface_name.clone())));
                }
                Value::record(f)
            })
            .collect();
        fields.push(("bind-addresses", Value::List(binds)));
    }
    if !info.egress_subnets.is_empty() {
        fields.push((
            "egress-subnets",
            Value::strings(info.egress_subnets.clone()),
        ));
    }
    if !info.ingress_addresses.is_empty() {
        fields.push((
            "ingress-addresses",
            Value::strings(info.ingress_addresses.clone()),
        ));
    }
    Value::record(fields)
}

/// A `[]string` from the API: empty arrives as nil.
fn api_strings(items: &[String]) -> Value {
    Value::Strings {
        items: items.to_vec(),
        nil: items.is_empty(),
    }
}

/// `network-get <binding> [-r id] [--bind-address] [--ingress-address]
/// [--egress-subnets] [--primary-address]`.
pub(crate) fn network_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags =
        Flags::new("<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]");
    let out = flags.output(SMART, "smart");
    let primary = flags.bool(&["primary-address"]);
    let bind = flags.bool(&["bind-address"]);
    let ingress = flags.bool(&["ingress-address"]);
    let egress = flags.bool(&["egress-subnets"]);
    let rel = flags.relation();
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    let Some(binding) = args.first().cloned() else {
        return Err(usage("no arguments specified"));
    };
    if binding.is_empty() {
        return Err(usage("no binding name specified"));
    }
    let (primary, bind, ingress, egress) = (
        flags.get_bool(primary),
        flags.get_bool(bind),
        flags.get_bool(ingress),
        flags.get_bool(egress),
    );
    let mut keys = Vec::new();
    if bind {
        keys.push("bind-address");
    }
    if ingress {
        keys.push("ingress-address");
    }
    if egress {
        keys.push("egress-subnets");
    }
    check_empty(&args[1..])?;
    let relation = flags.get_relation(rel);
    let info = reply!(
        ctx.call_run(HookCall::NetworkGet {
            binding: binding.clone(),
            relation
        })?,
        Network
    )?;
    if info.bind_addresses.is_empty() {
        return Err(run_err(format!(
            "no network config found for binding {}",
            go::quote::quote(&binding)
        )));
    }
    if !primary && keys.is_empty() {
        return out.write(ctx, &network_value(&info, out.format != "json"));
    }
    let first_addr = info.bind_addresses[0]
        .addresses
        .first()
        .map(|a| a.value.clone());
    let no_addrs = || {
        run_err(format!(
            "no addresses attached to space for binding {}",
            go::quote::quote(&binding)
        ))
    };
    if primary {
        if bind || ingress || egress {
            return Err(run_err("--primary-address must be the only flag specified"));
        }
        return out.write(ctx, &Value::Str(first_addr.ok_or_else(no_addrs)?));
    }
    let mut values: Vec<(String, Value)> = Vec::new();
    if egress {
        values.push(("egress-subnets".into(), api_strings(&info.egress_subnets)));
    }
    if ingress {
        let addr = match info.ingress_addresses.first() {
            Some(a) => a.clone(),
            None => first_addr.clone().ok_or_else(no_addrs)?,
        };
        values.push(("ingress-address".into(), Value::Str(addr)));
    }
    if bind {
        values.push((
            "bind-address".into(),
            Value::Str(first_addr.ok_or_else(no_addrs)?),
        ));
    }
    if keys.len() == 1 {
        let v = values.pop().map(|(_, v)| v).unwrap_or(Value::Nil);
        return out.write(ctx, &v);
    }
    out.write(ctx, &Value::map(values))
}

fn goal_status(s: &GoalStatus) -> Value {
    let mut f = vec![("status", Value::Str(s.status.clone()))];
    if let Some(since) = s.since.as_ref().filter(|s| !s.is_empty()) {
        f.push(("since", Value::Str(format_since(since))));
    }
    Value::record(f)
}

/// juju's `common.FormatTime(t, true)` of an RFC 3339 time: UTC, whole
/// seconds, a space for the `T` (`2026-01-01 07:00:00Z`). Text that is not
/// RFC 3339 is shown as it is.
fn format_since(rfc3339: &str) -> String {
    match go::time::parse_time(rfc3339, true) {
        Some(ns) => {
            let whole = ns - ns.rem_euclid(1_000_000_000);
            go::time::format_time(whole).replacen('T', " ", 1)
        }
        None => rfc3339.to_string(),
    }
}

/// `goal-state [--format yaml|json]`.
pub(crate) fn goal_state(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(YAML_JSON, "yaml");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let gs = reply!(ctx.call_run(HookCall::GoalState)?, GoalState)?;
    let units = Value::map(
        gs.units
            .iter()
            .map(|(u, s)| (u.clone(), goal_status(s)))
            .collect(),
    );
    let relations = Value::map(
        gs.relations
            .iter()
            .map(|(ep, members)| {
                (
                    ep.clone(),
                    Value::map(
                        members
                            .iter()
                            .map(|(m, s)| (m.clone(), goal_status(s)))
                            .collect(),
                    ),
                )
            })
            .collect(),
    );
    out.write(
        ctx,
        &Value::record(vec![("units", units), ("relations", relations)]),
    )
}

fn cloud_spec_value(spec: &CloudSpec) -> Value {
    let mut f = vec![
        ("type", Value::Str(spec.type_.clone())),
        ("name", Value::Str(spec.name.clone())),
    ];
    let opt = |f: &mut Vec<(&str, Value)>, k: &'static str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            f.push((k, Value::Str(v.clone())));
        }
    };
    opt(&mut f, "region", &spec.region);
    opt(&mut f, "endpoint", &spec.endpoint);
    opt(&mut f, "identity-endpoint", &spec.identity_endpoint);
    opt(&mut f, "storage-endpoint", &spec.storage_endpoint);
    if let Some(c) = &spec.credential {
        let mut cf = vec![("auth-type", Value::Str(c.auth_type.clone()))];
        if !c.attrs.is_empty() {
            cf.push(("attrs", Value::string_map(&c.attrs)));
        }
        if !c.redacted.is_empty() {
            cf.push(("redacted", Value::strings(c.redacted.clone())));
        }
        f.push(("credential", Value::record(cf)));
    }
    if !spec.ca_certificates.is_empty() {
        f.push((
            "cacertificates",
            Value::strings(spec.ca_certificates.clone()),
        ));
    }
    if spec.skip_tls_verify {
        f.push(("skip-tls-verify", Value::Bool(true)));
    }
    if spec.is_controller_cloud {
        f.push(("is-controller-cloud", Value::Bool(true)));
    }
    Value::record(f)
}

/// `credential-get [--format]`.
pub(crate) fn credential_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let spec = reply!(ctx.call_run(HookCall::CredentialGet)?, CloudSpec)?;
    out.write(ctx, &cloud_spec_value(&spec))
}

/// `application-version-set <version>` (immediate).
pub(crate) fn application_version_set(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<new-version>").parse(ctx, args)?;
    let Some(version) = args.first().cloned() else {
        return Err(usage("no version specified"));
    };
    check_empty(&args[1..])?;
    ctx.call_run(HookCall::ApplicationVersionSet { version })?;
    Ok(())
}

/// `resource-get <name>`: the path, with no trailing newline.
pub(crate) fn resource_get(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let args = Flags::new("<resource name>").parse(ctx, args)?;
    let Some(name) = args.first().cloned() else {
        return Err(usage("missing required resource name"));
    };
    check_empty(&args[1..])?;
    let path = reply!(ctx.call_run(HookCall::ResourceGet { name })?, Text)?;
    ctx.out(path.as_bytes());
    Ok(())
}

/// `juju-reboot [--now]`.
pub(crate) fn juju_reboot(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let now = flags.bool(&["now"]);
    let args = flags.parse(ctx, args)?;
    check_empty(&args)?;
    ctx.call_run(HookCall::JujuReboot {
        now: flags.get_bool(now),
    })?;
    Ok(())
}
