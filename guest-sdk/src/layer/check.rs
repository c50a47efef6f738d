//! Health checks of a layer (`checks:` entries) and what they probe.

use super::yaml::{Key, Node, opt_int, opt_str, string_map};
use super::{Override, upsert};

/// What a check probes.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// `http:` — GET `url`, success on 2xx.
    Http {
        /// The URL.
        url: String,
        /// Extra request headers.
        headers: Vec<(String, String)>,
    },
    /// `tcp:` — connect to `port`.
    Tcp {
        /// The port.
        port: u16,
        /// The host (default localhost).
        host: Option<String>,
    },
    /// `exec:` — run `command`, success on exit 0.
    Exec {
        /// The command line.
        command: String,
        /// Run in this service's context.
        service_context: Option<String>,
        /// Extra environment.
        environment: Vec<(String, String)>,
        /// Working directory.
        working_dir: Option<String>,
    },
    /// No probe given (a `merge` entry that only changes settings).
    Unset,
}

/// A health check of a layer (`checks:` entry).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// `override:`.
    pub override_: Override,
    /// `level:` (`alive` or `ready`).
    pub level: Option<String>,
    /// `startup:` (`Some(true)` for `enabled`).
    pub startup: Option<bool>,
    /// `period:`, a Go duration.
    pub period: Option<String>,
    /// `timeout:`, a Go duration.
    pub timeout: Option<String>,
    /// `threshold:`.
    pub threshold: Option<u32>,
    /// The probe (`http`, `tcp` or `exec`).
    pub probe: Probe,
}

impl Check {
    fn with(probe: Probe) -> Self {
        Check {
            override_: Override::Replace,
            level: None,
            startup: None,
            period: None,
            timeout: None,
            threshold: None,
            probe,
        }
    }

    /// A check that GETs `url` and wants a 2xx answer.
    pub fn http(url: impl Into<String>) -> Self {
        Self::with(Probe::Http {
            url: url.into(),
            headers: Vec::new(),
        })
    }

    /// A check that opens a TCP connection to `port` (on localhost).
    pub fn tcp(port: u16) -> Self {
        Self::with(Probe::Tcp { port, host: None })
    }

    /// A check that runs `command` and wants exit 0.
    pub fn exec(command: impl Into<String>) -> Self {
        Self::with(Probe::Exec {
            command: command.into(),
            service_context: None,
            environment: Vec::new(),
            working_dir: None,
        })
    }

    /// Set how the entry combines with earlier layers.
    pub fn override_mode(mut self, mode: Override) -> Self {
        self.override_ = mode;
        self
    }

    /// `level: alive`.
    pub fn level_alive(mut self) -> Self {
        self.level = Some("alive".into());
        self
    }

    /// `level: ready`.
    pub fn level_ready(mut self) -> Self {
        self.level = Some("ready".into());
        self
    }

    /// `startup: enabled` / `disabled`.
    pub fn startup(mut self, enabled: bool) -> Self {
        self.startup = Some(enabled);
        self
    }

    /// How often to run, a Go duration (`10s`).
    pub fn period(mut self, period: impl Into<String>) -> Self {
        self.period = Some(period.into());
        self
    }

    /// How long one run may take, a Go duration (`3s`).
    pub fn timeout(mut self, timeout: impl Into<String>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Failures in a row before the check is down.
    pub fn threshold(mut self, threshold: u32) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Add an HTTP header (http checks); ignored by other checks.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Probe::Http { headers, .. } = &mut self.probe {
            upsert(headers, name.into(), value.into());
        }
        self
    }

    /// Connect to this host (tcp checks); ignored by other checks.
    pub fn host(mut self, name: impl Into<String>) -> Self {
        if let Probe::Tcp { host, .. } = &mut self.probe {
            *host = Some(name.into());
        }
        self
    }

    /// Run with a service's context (exec checks); ignored by other checks.
    pub fn service_context(mut self, service: impl Into<String>) -> Self {
        if let Probe::Exec {
            service_context, ..
        } = &mut self.probe
        {
            *service_context = Some(service.into());
        }
        self
    }

    /// Add an environment variable (exec checks); ignored by other checks.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let Probe::Exec { environment, .. } = &mut self.probe {
            upsert(environment, key.into(), value.into());
        }
        self
    }

    /// Run in this directory (exec checks); ignored by other checks.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        if let Probe::Exec { working_dir, .. } = &mut self.probe {
            *working_dir = Some(dir.into());
        }
        self
    }

    pub(super) fn node(&self) -> Node {
        let mut m = vec![(
            Key::Field("override"),
            Node::Plain(self.override_.as_str().into()),
        )];
        if let Some(level) = &self.level {
            m.push((Key::Field("level"), Node::Plain(level.clone())));
        }
        if let Some(enabled) = self.startup {
            let v = if enabled { "enabled" } else { "disabled" };
            m.push((Key::Field("startup"), Node::Plain(v.into())));
        }
        opt_str(&mut m, "period", &self.period);
        opt_str(&mut m, "timeout", &self.timeout);
        opt_int(&mut m, "threshold", self.threshold);
        let (field, probe) = match &self.probe {
            Probe::Http { url, headers } => {
                let mut p = vec![(Key::Field("url"), Node::Str(url.clone()))];
                string_map(&mut p, "headers", headers);
                ("http", p)
            }
            Probe::Tcp { port, host } => {
                let mut p = vec![(Key::Field("port"), Node::Plain(port.to_string()))];
                opt_str(&mut p, "host", host);
                ("tcp", p)
            }
            Probe::Exec {
                command,
                service_context,
                environment,
                working_dir,
            } => {
                let mut p = vec![(Key::Field("command"), Node::Str(command.clone()))];
                opt_str(&mut p, "service-context", service_context);
                string_map(&mut p, "environment", environment);
                opt_str(&mut p, "working-dir", working_dir);
                ("exec", p)
            }
            Probe::Unset => return Node::Map(m),
        };
        m.push((Key::Field(field), Node::Map(probe)));
        Node::Map(m)
    }
}
