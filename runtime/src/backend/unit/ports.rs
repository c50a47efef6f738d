//! Ports: buffered `open-port`/`close-port`, checked at call time, and
//! `opened-ports` including this hook's pending changes.

use super::UnitBackend;
use crate::backend::ToolResult;
use crate::backend::error::juju;
use crate::bindings::types::{OpenedPort, PortProtocol, PortRange};
use crate::state::PortState;

/// Opens and closes waiting for the commit, in call order.
#[derive(Debug, Default)]
pub(super) struct PendingPorts {
    changes: Vec<(bool, PortState)>,
}

fn protocol_name(p: PortProtocol) -> &'static str {
    match p {
        PortProtocol::Tcp => "tcp",
        PortProtocol::Udp => "udp",
        PortProtocol::Icmp => "icmp",
    }
}

/// `80/tcp`, `8000-8080/udp` or `icmp`.
pub fn range_text(r: &PortRange) -> String {
    match r.protocol {
        PortProtocol::Icmp => "icmp".into(),
        p if r.from_port == r.to_port => format!("{}/{}", r.from_port, protocol_name(p)),
        p => format!("{}-{}/{}", r.from_port, r.to_port, protocol_name(p)),
    }
}

fn to_state(r: &PortRange, endpoints: Vec<String>) -> PortState {
    let single = r.from_port == r.to_port || r.protocol == PortProtocol::Icmp;
    PortState {
        protocol: protocol_name(r.protocol).into(),
        port: r.from_port,
        to_port: if single { None } else { Some(r.to_port) },
        endpoints,
    }
}

fn to_range(p: &PortState) -> PortRange {
    let protocol = match p.protocol.as_str() {
        "udp" => PortProtocol::Udp,
        "icmp" => PortProtocol::Icmp,
        _ => PortProtocol::Tcp,
    };
    PortRange {
        protocol,
        from_port: p.port,
        to_port: p.to_port.unwrap_or(p.port),
    }
}

fn same_range(a: &PortState, b: &PortState) -> bool {
    a.protocol == b.protocol
        && a.port == b.port
        && a.to_port.unwrap_or(a.port) == b.to_port.unwrap_or(b.port)
}

impl PendingPorts {
    /// The opened ports after these changes.
    pub(super) fn apply(&self, mut ports: Vec<PortState>) -> Vec<PortState> {
        for (open, p) in &self.changes {
            ports.retain(|q| !same_range(q, p));
            if *open {
                ports.push(p.clone());
            }
        }
        ports.sort();
        ports
    }
}

impl UnitBackend {
    pub(super) fn change_port(
        &mut self,
        open: bool,
        range: PortRange,
        endpoints: Vec<String>,
    ) -> ToolResult<()> {
        if range.protocol != PortProtocol::Icmp {
            if range.to_port < range.from_port {
                return Err(juju::invalid(format!(
                    "invalid port range {}",
                    range_text(&range)
                )));
            }
            if range.from_port != range.to_port && self.state.model.kind == "kubernetes" {
                return Err(juju::other(
                    "port ranges are not supported for k8s applications, please specify a single port",
                ));
            }
        }
        for ep in &endpoints {
            if !self.meta.endpoints.contains_key(ep) {
                return Err(juju::invalid(format!("unknown endpoint {ep:?}")));
            }
        }
        let new = to_state(&range, endpoints);
        if open {
            let current = self.tx.ports.apply(self.state.opened_ports.clone());
            let overlap = current.iter().find(|q| {
                let r = to_range(q);
                q.protocol == new.protocol
                    && !same_range(q, &new)
                    && r.from_port <= range.to_port
                    && range.from_port <= r.to_port
            });
            if let Some(q) = overlap {
                return Err(juju::other(format!(
                    "cannot open {} (unit {:?}): port range conflicts with {} (unit {:?})",
                    range_text(&range),
                    self.unit,
                    range_text(&to_range(q)),
                    self.unit
                )));
            }
        }
        self.tx.ports.changes.push((open, new));
        Ok(())
    }

    pub(super) fn opened_ports(&self) -> Vec<OpenedPort> {
        self.tx
            .ports
            .apply(self.state.opened_ports.clone())
            .iter()
            .map(|p| OpenedPort {
                range: to_range(p),
                endpoints: p.endpoints.clone(),
            })
            .collect()
    }
}
