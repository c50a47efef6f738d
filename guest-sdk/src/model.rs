//! The model as the charm sees it (`ops.Model`): this unit and application,
//! statuses, config, relations, leader settings, ports, resources, secrets.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::bindings::juju::charm::event::JujuContext;
use crate::bindings::juju::charm::hook_tools as tools;
use crate::bindings::juju::charm::types::{
    ConfigValue, LogLevel, PortProtocol, PortRange, SecretOwner, StatusInfo, StatusKind,
};
use crate::secret::{Secret, SecretOptions};
use crate::{Container, Error, Relation, StoredState};

/// Names from the dispatch context that every handle needs.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) unit: String,
    pub(crate) app: String,
    pub(crate) model_name: String,
    pub(crate) model_uuid: String,
    pub(crate) juju_version: String,
    pub(crate) charm_dir: String,
}

impl Context {
    pub(crate) fn from_juju(c: &JujuContext) -> Self {
        let app = if c.app_name.is_empty() {
            c.unit_name
                .split_once('/')
                .map_or_else(String::new, |(app, _)| app.to_string())
        } else {
            c.app_name.clone()
        };
        Context {
            unit: c.unit_name.clone(),
            app,
            model_name: c.model_name.clone(),
            model_uuid: c.model_uuid.clone(),
            juju_version: c.juju_version.clone(),
            charm_dir: c.charm_dir.clone(),
        }
    }
}

/// The Juju model as this unit sees it during one event (`self.model`).
pub struct Model {
    ctx: Rc<Context>,
}

impl Model {
    pub(crate) fn new(ctx: Rc<Context>) -> Self {
        Model { ctx }
    }

    /// This unit (`self.unit`).
    pub fn unit(&self) -> Unit {
        Unit {
            name: self.ctx.unit.clone(),
        }
    }

    /// This application (`self.app`).
    pub fn app(&self) -> Application {
        Application {
            name: self.ctx.app.clone(),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.ctx.model_name
    }

    /// The model's UUID.
    pub fn uuid(&self) -> &str {
        &self.ctx.model_uuid
    }

    /// The Juju agent's version.
    pub fn juju_version(&self) -> &str {
        &self.ctx.juju_version
    }

    /// The charm directory as Juju names it.
    pub fn charm_dir(&self) -> &str {
        &self.ctx.charm_dir
    }

    /// The charm's config (`self.config`).
    pub fn config(&self) -> Config {
        Config { _private: () }
    }

    /// Every live relation on `endpoint` (`self.model.relations[endpoint]`).
    pub fn relations(&self, endpoint: &str) -> Result<Vec<Relation>, Error> {
        Ok(tools::relation_ids(endpoint)?
            .into_iter()
            .map(|id| Relation::new(id, endpoint.to_string(), self.ctx.clone()))
            .collect())
    }

    /// The relation on `endpoint`, if there is one (`self.model.get_relation`).
    /// More than one is an error: use [`relations`](Model::relations) then.
    pub fn get_relation(&self, endpoint: &str) -> Result<Option<Relation>, Error> {
        let mut relations = self.relations(endpoint)?;
        match relations.len() {
            0 | 1 => Ok(relations.pop()),
            count => Err(Error::TooManyRelations {
                endpoint: endpoint.to_string(),
                count,
            }),
        }
    }

    /// The relation with this id (`self.model.get_relation(name, id)`).
    pub fn get_relation_by_id(&self, id: u32) -> Result<Relation, Error> {
        let endpoint = tools::relation_endpoint(id)?;
        Ok(Relation::new(id, endpoint, self.ctx.clone()))
    }

    /// Log through `juju-log` (errors from the log itself are ignored).
    pub fn log(&self, level: LogLevel, message: &str) {
        crate::log::log(level, message);
    }

    /// All leader settings (`leader-get`).
    pub fn leader_get(&self) -> Result<BTreeMap<String, String>, Error> {
        Ok(tools::leader_get()?.into_iter().collect())
    }

    /// Set leader settings (`leader-set`, leader only, immediate); an
    /// empty value deletes the key.
    pub fn leader_set<K, V>(&self, settings: impl IntoIterator<Item = (K, V)>) -> Result<(), Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let settings: Vec<(String, String)> = settings
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Ok(tools::leader_set(&settings)?)
    }

    /// A workload container (`self.unit.get_container(name)`).
    pub fn container(&self, name: &str) -> Result<Container, Error> {
        Container::open(name)
    }

    /// The local path of a resource file (`self.model.resources.fetch`).
    pub fn resource(&self, name: &str) -> Result<String, Error> {
        Ok(tools::resource_get(name)?)
    }

    /// A secret by id or label (`self.model.get_secret`); its content is
    /// read once here so a missing secret fails early, as in `ops`.
    pub fn get_secret(&self, id: Option<&str>, label: Option<&str>) -> Result<Secret, Error> {
        Secret::lookup(id, label)
    }

    /// Unit state kept under `key` (see [`StoredState`]).
    pub fn stored<T>(&self, key: &str) -> Result<StoredState<T>, Error>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Default,
    {
        StoredState::load(key)
    }
}

/// A unit (`ops.Unit`); usually this one, from [`Model::unit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    name: String,
}

impl Unit {
    /// `app/N`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The application's name (the part before `/`).
    pub fn app_name(&self) -> &str {
        self.name.split_once('/').map_or(&self.name, |(a, _)| a)
    }

    /// Whether this unit is the leader (`is-leader`).
    pub fn is_leader(&self) -> Result<bool, Error> {
        Ok(tools::is_leader()?)
    }

    /// Set this unit's status (`self.unit.status = ...`; immediate).
    pub fn set_status(&self, status: Status) -> Result<(), Error> {
        let (kind, message) = status.settable()?;
        Ok(tools::status_set(false, kind, &message)?)
    }

    /// This unit's status (`status-get`).
    pub fn status(&self) -> Result<Status, Error> {
        Ok(Status::from_info(&tools::status_get()?))
    }

    /// Reboot this unit's machine (`self.unit.reboot(now)`; `juju-reboot`):
    /// after this hook, if it succeeds; with `now`, at once — the hook
    /// stops here (its buffered changes are lost) and runs again after the
    /// reboot, so it must not ask again. Refused in actions.
    pub fn reboot(&self, now: bool) -> Result<(), Error> {
        Ok(tools::juju_reboot(now)?)
    }

    /// Set the workload version shown by `juju status`.
    pub fn set_workload_version(&self, version: &str) -> Result<(), Error> {
        Ok(tools::application_version_set(version)?)
    }

    /// A workload container of this unit (`self.unit.get_container`).
    pub fn get_container(&self, name: &str) -> Result<Container, Error> {
        Container::open(name)
    }

    /// Open a port on all endpoints (`self.unit.open_port`; buffered).
    pub fn open_port(&self, port: Port) -> Result<(), Error> {
        Ok(tools::open_port(port.range(), &[])?)
    }

    /// Close a port (`self.unit.close_port`; buffered).
    pub fn close_port(&self, port: Port) -> Result<(), Error> {
        Ok(tools::close_port(port.range(), &[])?)
    }

    /// The ports this unit has open, pending changes included.
    pub fn opened_ports(&self) -> Result<Vec<Port>, Error> {
        Ok(tools::opened_ports()?
            .into_iter()
            .map(|p| Port::from_range(&p.range))
            .collect())
    }

    /// Create a secret owned by this unit (`self.unit.add_secret`).
    pub fn add_secret<K, V>(
        &self,
        content: impl IntoIterator<Item = (K, V)>,
        options: &SecretOptions,
    ) -> Result<Secret, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        Secret::add(content, options, SecretOwner::Unit)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// An application (`ops.Application`); usually this one, from [`Model::app`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    name: String,
}

impl Application {
    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Set the application's status (`self.app.status = ...`; leader only).
    pub fn set_status(&self, status: Status) -> Result<(), Error> {
        let (kind, message) = status.settable()?;
        Ok(tools::status_set(true, kind, &message)?)
    }

    /// The application's status (`status-get --application`; leader only).
    pub fn status(&self) -> Result<Status, Error> {
        Ok(Status::from_info(
            &tools::application_status_get()?.application,
        ))
    }

    /// Create a secret owned by this application (`self.app.add_secret`).
    pub fn add_secret<K, V>(
        &self,
        content: impl IntoIterator<Item = (K, V)>,
        options: &SecretOptions,
    ) -> Result<Secret, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        Secret::add(content, options, SecretOwner::Application)
    }
}

impl fmt::Display for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A workload status (`ops.StatusBase` and its subclasses).
///
/// A charm sets `Active`, `Blocked`, `Maintenance` or `Waiting`; the agent
/// may report the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `ActiveStatus`: ready to serve.
    Active(String),
    /// `BlockedStatus`: needs a human.
    Blocked(String),
    /// `MaintenanceStatus`: busy on its own.
    Maintenance(String),
    /// `WaitingStatus`: waiting for something outside.
    Waiting(String),
    /// `UnknownStatus`.
    Unknown,
    /// `ErrorStatus`, set by the agent when a hook failed.
    Error(String),
    /// Any other status name the agent reports (e.g. `terminated`).
    Other {
        /// The status name.
        name: String,
        /// Its message.
        message: String,
    },
}

impl Status {
    /// `ActiveStatus(message)`.
    pub fn active(message: impl Into<String>) -> Self {
        Status::Active(message.into())
    }

    /// `BlockedStatus(message)`.
    pub fn blocked(message: impl Into<String>) -> Self {
        Status::Blocked(message.into())
    }

    /// `MaintenanceStatus(message)`.
    pub fn maintenance(message: impl Into<String>) -> Self {
        Status::Maintenance(message.into())
    }

    /// `WaitingStatus(message)`.
    pub fn waiting(message: impl Into<String>) -> Self {
        Status::Waiting(message.into())
    }

    /// The status name as Juju spells it.
    pub fn name(&self) -> &str {
        match self {
            Status::Active(_) => "active",
            Status::Blocked(_) => "blocked",
            Status::Maintenance(_) => "maintenance",
            Status::Waiting(_) => "waiting",
            Status::Unknown => "unknown",
            Status::Error(_) => "error",
            Status::Other { name, .. } => name,
        }
    }

    /// The status message.
    pub fn message(&self) -> &str {
        match self {
            Status::Active(m)
            | Status::Blocked(m)
            | Status::Maintenance(m)
            | Status::Waiting(m)
            | Status::Error(m) => m,
            Status::Unknown => "",
            Status::Other { message, .. } => message,
        }
    }

    /// Parse a status as `status-get` reports it.
    pub fn from_name(name: &str, message: &str) -> Self {
        let message = message.to_string();
        match name {
            "active" => Status::Active(message),
            "blocked" => Status::Blocked(message),
            "maintenance" => Status::Maintenance(message),
            "waiting" => Status::Waiting(message),
            "unknown" => Status::Unknown,
            "error" => Status::Error(message),
            _ => Status::Other {
                name: name.to_string(),
                message,
            },
        }
    }

    fn from_info(info: &StatusInfo) -> Self {
        Status::from_name(&info.status, &info.message)
    }

    fn settable(self) -> Result<(StatusKind, String), Error> {
        match self {
            Status::Active(m) => Ok((StatusKind::Active, m)),
            Status::Blocked(m) => Ok((StatusKind::Blocked, m)),
            Status::Maintenance(m) => Ok((StatusKind::Maintenance, m)),
            Status::Waiting(m) => Ok((StatusKind::Waiting, m)),
            other => Err(Error::Usage(format!(
                "invalid status {:?}, expected one of [maintenance blocked waiting active]",
                other.name()
            ))),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message().is_empty() {
            f.write_str(self.name())
        } else {
            write!(f, "{}: {}", self.name(), self.message())
        }
    }
}

/// The charm's config (`self.config`), read through `config-get`.
///
/// The getters return `Ok(None)` for an option that is unset with no
/// default, and an error when the option has another type.
pub struct Config {
    _private: (),
}

impl Config {
    /// The typed value of an option.
    pub fn get(&self, key: &str) -> Result<Option<ConfigValue>, Error> {
        Ok(tools::config_get(key)?)
    }

    /// Every option that has a value.
    pub fn all(&self) -> Result<BTreeMap<String, ConfigValue>, Error> {
        Ok(tools::config_get_all(false)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect())
    }

    /// A `string` (or `secret` URI) option.
    pub fn get_str(&self, key: &str) -> Result<Option<String>, Error> {
        self.get(key)?.map(|v| as_str(key, v)).transpose()
    }

    /// An `int` option.
    pub fn get_int(&self, key: &str) -> Result<Option<i64>, Error> {
        self.get(key)?.map(|v| as_int(key, v)).transpose()
    }

    /// A `float` option (an `int` value is widened).
    pub fn get_float(&self, key: &str) -> Result<Option<f64>, Error> {
        self.get(key)?.map(|v| as_float(key, v)).transpose()
    }

    /// A `boolean` option.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        self.get(key)?.map(|v| as_bool(key, v)).transpose()
    }
}

fn type_name(v: &ConfigValue) -> &'static str {
    match v {
        ConfigValue::String(_) => "string",
        ConfigValue::Int(_) => "int",
        ConfigValue::Float(_) => "float",
        ConfigValue::Boolean(_) => "boolean",
        ConfigValue::Secret(_) => "secret",
    }
}

fn mismatch(key: &str, expected: &'static str, v: &ConfigValue) -> Error {
    Error::ConfigType {
        key: key.to_string(),
        expected,
        found: type_name(v),
    }
}

fn as_str(key: &str, v: ConfigValue) -> Result<String, Error> {
    match v {
        ConfigValue::String(s) | ConfigValue::Secret(s) => Ok(s),
        other => Err(mismatch(key, "string", &other)),
    }
}

fn as_int(key: &str, v: ConfigValue) -> Result<i64, Error> {
    match v {
        ConfigValue::Int(i) => Ok(i),
        other => Err(mismatch(key, "int", &other)),
    }
}

fn as_float(key: &str, v: ConfigValue) -> Result<f64, Error> {
    match v {
        ConfigValue::Float(f) => Ok(f),
        ConfigValue::Int(i) => Ok(i as f64),
        other => Err(mismatch(key, "float", &other)),
    }
}

fn as_bool(key: &str, v: ConfigValue) -> Result<bool, Error> {
    match v {
        ConfigValue::Boolean(b) => Ok(b),
        other => Err(mismatch(key, "boolean", &other)),
    }
}

/// Transport protocol of a [`Port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (no port number).
    Icmp,
}

/// A port or port range (`ops.Port`): `80/tcp`, `8000-8080/udp`, `icmp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    /// The protocol.
    pub protocol: Protocol,
    /// First port (0 for ICMP).
    pub from: u16,
    /// Last port, inclusive (0 for ICMP).
    pub to: u16,
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Self {
        Port {
            protocol: Protocol::Tcp,
            from: port,
            to: port,
        }
    }

    /// One UDP port.
    pub fn udp(port: u16) -> Self {
        Port {
            protocol: Protocol::Udp,
            from: port,
            to: port,
        }
    }

    /// ICMP.
    pub fn icmp() -> Self {
        Port {
            protocol: Protocol::Icmp,
            from: 0,
            to: 0,
        }
    }

    fn range(self) -> PortRange {
        PortRange {
            protocol: match self.protocol {
                Protocol::Tcp => PortProtocol::Tcp,
                Protocol::Udp => PortProtocol::Udp,
                Protocol::Icmp => PortProtocol::Icmp,
            },
            from_port: self.from,
            to_port: self.to,
        }
    }

    fn from_range(r: &PortRange) -> Self {
        Port {
            protocol: match r.protocol {
                PortProtocol::Tcp => Protocol::Tcp,
                PortProtocol::Udp => Protocol::Udp,
                PortProtocol::Icmp => Protocol::Icmp,
            },
            from: r.from_port,
            to: r.to_port,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => return f.write_str("icmp"),
        };
        if self.from == self.to {
            write!(f, "{}/{proto}", self.from)
        } else {
            write!(f, "{}-{}/{proto}", self.from, self.to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_names() {
        for s in [
            Status::active(""),
            Status::blocked("need db"),
            Status::maintenance("installing"),
            Status::waiting("for peers"),
            Status::Unknown,
            Status::Error("hook failed: \"start\"".into()),
        ] {
            assert_eq!(Status::from_name(s.name(), s.message()), s);
        }
        assert_eq!(
            Status::from_name("terminated", ""),
            Status::Other {
                name: "terminated".into(),
                message: String::new()
            }
        );
    }

    #[test]
    fn only_charm_statuses_are_settable() {
        assert!(Status::active("ok").settable().is_ok());
        let err = Status::Error("x".into()).settable().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid status \"error\", expected one of [maintenance blocked waiting active]"
        );
    }

    #[test]
    fn config_values_convert_or_name_the_mismatch() {
        assert_eq!(as_float("f", ConfigValue::Int(3)).unwrap(), 3.0);
        assert_eq!(
            as_str("s", ConfigValue::Secret("secret:x".into())).unwrap(),
            "secret:x"
        );
        let err = as_int("mode", ConfigValue::String("ok".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config option \"mode\" has type string, not int"
        );
        assert!(as_bool("b", ConfigValue::Boolean(true)).unwrap());
    }

    #[test]
    fn ports_display_like_juju() {
        assert_eq!(Port::tcp(80).to_string(), "80/tcp");
        let range = Port {
            protocol: Protocol::Udp,
            from: 8000,
            to: 8080,
        };
        assert_eq!(range.to_string(), "8000-8080/udp");
        assert_eq!(Port::icmp().to_string(), "icmp");
        assert_eq!(Port::from_range(&range.range()), range);
    }

    #[test]
    fn context_derives_app_from_unit_when_missing() {
        let mut c = JujuContext {
            hook_name: String::new(),
            dispatch_path: String::new(),
            unit_name: "peer-counter/1".into(),
            app_name: String::new(),
            model_name: String::new(),
            model_uuid: String::new(),
            juju_version: String::new(),
            charm_dir: String::new(),
            relation: None,
            workload: None,
            secret: None,
            storage: None,
            action: None,
        };
        assert_eq!(Context::from_juju(&c).app, "peer-counter");
        c.app_name = "other".into();
        assert_eq!(Context::from_juju(&c).app, "other");
    }
}
