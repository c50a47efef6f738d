//! `open-port`, `close-port`, `opened-ports`.

use super::super::output::{Flags, SMART};
use super::super::value::Value;
use super::super::{Ctx, Res, reply};
use super::{check_empty, usage};
use crate::backend::HookCall;
use crate::bindings::types::{PortProtocol, PortRange};
use crate::go;

/// Juju's `network.ParsePortRange` of the lower-cased argument, with its
/// error texts.
fn parse_port_range(arg: &str) -> Result<PortRange, String> {
    let (ports, mut protocol) = match arg.split_once('/') {
        Some((p, proto)) => (p, proto.to_string()),
        None => (arg, "tcp".to_string()),
    };
    let parts: Vec<&str> = ports.split('-').collect();
    if parts.len() > 2 {
        return Err(format!("invalid port range {}", go::quote::quote(ports)));
    }
    let num = |s: &str, shown: &str| -> Result<i64, String> {
        go::strconv::atoi(s).map_err(|e| format!("invalid port {}: {e}", go::quote::quote(shown)))
    };
    let (from, to) = if parts.len() == 1 {
        if parts[0] == "icmp" {
            (-1, -1)
        } else {
            let p = num(parts[0], ports)?;
            (p, p)
        }
    } else {
        (num(parts[0], parts[0])?, num(parts[1], parts[1])?)
    };
    if from == -1 {
        protocol = "icmp".into();
    }
    let proto = match protocol.as_str() {
        "tcp" => PortProtocol::Tcp,
        "udp" => PortProtocol::Udp,
        "icmp" => PortProtocol::Icmp,
        other => {
            return Err(format!(
                "invalid protocol {}, expected \"tcp\", \"udp\", or \"icmp\"",
                go::quote::quote(other)
            ));
        }
    };
    if proto == PortProtocol::Icmp {
        if from == -1 && to == -1 {
            return Ok(PortRange {
                protocol: proto,
                from_port: 0,
                to_port: 0,
            });
        }
        return Err(format!(
            "protocol \"icmp\" doesn't support any ports; got \"{from}\""
        ));
    }
    if from > to {
        return Err(format!("invalid port range {from}-{to}/{protocol}"));
    }
    if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) {
        return Err(format!(
            "port range bounds must be between 0 and 65535, got {from}-{to}"
        ));
    }
    Ok(PortRange {
        protocol: proto,
        from_port: from as u16,
        to_port: to as u16,
    })
}

fn port_command(ctx: &mut Ctx, args: &[String], open: bool) -> Res<()> {
    let mut flags = Flags::new("<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp");
    let format = flags.string(&["format"]);
    let endpoints = flags.string(&["endpoints"]);
    let args = flags.parse(ctx, args)?;
    let Some(arg) = args.first() else {
        return Err(usage("no port or range specified"));
    };
    let range = parse_port_range(&arg.to_lowercase()).map_err(usage)?;
    check_empty(&args[1..])?;
    if flags.get_str(format).is_some_and(|f| !f.is_empty()) {
        ctx.format_deprecated();
    }
    // Juju applies the change once per listed endpoint; an empty entry (or
    // no --endpoints) means every endpoint.
    let list = flags.get_str(endpoints).unwrap_or("");
    let mut eps: Vec<String> = Vec::new();
    let mut all = list.is_empty();
    for ep in list.split(',').map(str::trim) {
        if ep.is_empty() {
            all = true;
        } else if !eps.iter().any(|e| e == ep) {
            eps.push(ep.to_string());
        }
    }
    if all {
        eps.clear();
    }
    let call = if open {
        HookCall::OpenPort {
            range,
            endpoints: eps,
        }
    } else {
        HookCall::ClosePort {
            range,
            endpoints: eps,
        }
    };
    ctx.call_run(call)?;
    Ok(())
}

/// `open-port <range> [--endpoints a,b]` (buffered).
pub(crate) fn open_port(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    port_command(ctx, args, true)
}

/// `close-port <range> [--endpoints a,b]` (buffered).
pub(crate) fn close_port(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    port_command(ctx, args, false)
}

fn range_text(r: &PortRange) -> String {
    let proto = match r.protocol {
        PortProtocol::Tcp => "tcp",
        PortProtocol::Udp => "udp",
        PortProtocol::Icmp => return "icmp".into(),
    };
    if r.from_port == r.to_port {
        format!("{}/{proto}", r.from_port)
    } else {
        format!("{}-{}/{proto}", r.from_port, r.to_port)
    }
}

fn sort_key(r: &PortRange) -> (&'static str, u16, u16) {
    let proto = match r.protocol {
        PortProtocol::Tcp => "tcp",
        PortProtocol::Udp => "udp",
        PortProtocol::Icmp => "icmp",
    };
    (proto, r.from_port, r.to_port)
}

/// `opened-ports [--endpoints] [--format]`, this hook's changes included.
pub(crate) fn opened_ports(ctx: &mut Ctx, args: &[String]) -> Res<()> {
    let mut flags = Flags::new("");
    let out = flags.output(SMART, "smart");
    let show = flags.bool(&["endpoints"]);
    let args = flags.parse(ctx, args)?;
    let out = flags.output_of(out);
    check_empty(&args)?;
    let mut ports = reply!(ctx.call_run(HookCall::OpenedPorts)?, OpenedPorts)?;
    ports.sort_by(|a, b| sort_key(&a.range).cmp(&sort_key(&b.range)));
    let mut lines: Vec<String> = Vec::new();
    for p in &ports {
        let text = range_text(&p.range);
        if flags.get_bool(show) {
            let mut eps = p.endpoints.clone();
            eps.sort();
            let desc = if eps.is_empty() {
                "*".to_string()
            } else {
                eps.join(", ")
            };
            lines.push(format!("{text} ({desc})"));
        } else if !lines.contains(&text) {
            lines.push(text);
        }
    }
    out.write(ctx, &Value::strings(lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = parse_port_range("8000-8080/udp").unwrap();
        assert_eq!(
            (r.from_port, r.to_port, r.protocol),
            (8000, 8080, PortProtocol::Udp)
        );
        assert_eq!(
            parse_port_range("icmp").unwrap().protocol,
            PortProtocol::Icmp
        );
        assert_eq!(
            parse_port_range("x").unwrap_err(),
            "invalid port \"x\": strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_port_range("90-80").unwrap_err(),
            "invalid port range 90-80/tcp"
        );
        assert_eq!(
            parse_port_range("1-2-3").unwrap_err(),
            "invalid port range \"1-2-3\""
        );
        assert_eq!(
            parse_port_range("80/sctp").unwrap_err(),
            "invalid protocol \"sctp\", expected \"tcp\", \"udp\", or \"icmp\""
        );
        assert_eq!(
            parse_port_range("80/icmp").unwrap_err(),
            "protocol \"icmp\" doesn't support any ports; got \"80\""
        );
        assert_eq!(
            parse_port_range("70000").unwrap_err(),
            "port range bounds must be between 0 and 65535, got 70000-70000"
        );
    }
}
