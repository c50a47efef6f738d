//! Workload containers driven through Pebble (`ops.Container`): layers,
//! services, files and commands.
//!
//! Service operations wait for Pebble's change to finish and turn a change
//! that ended in error into an [`Error::Pebble`].

use std::time::Duration;

use crate::bindings::juju::charm::pebble as raw;
pub use crate::bindings::juju::charm::pebble::{
    ChangeInfo, ChangeSelect, CheckInfo, CheckLevel, ExecOutput, FileInfo, FileType, HttpResponse,
    Notice, PebbleError, ServiceInfo, ServiceStartup, TaskInfo,
};
use crate::error::ExecError;
use crate::{Error, Layer, Plan};

/// One workload container (`ops.Container`).
pub struct Container {
    inner: raw::Container,
    name: String,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Container({:?})", self.name)
    }
}

fn names(services: &[&str]) -> Vec<String> {
    services.iter().map(|s| s.to_string()).collect()
}

impl Container {
    /// The container `name` from charmcraft.yaml `containers:`.
    pub fn open(name: &str) -> Result<Self, Error> {
        Ok(Container {
            inner: raw::Container::open(name)?,
            name: name.to_string(),
        })
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw Pebble resource, for calls this wrapper does not cover.
    pub fn raw(&self) -> &raw::Container {
        &self.inner
    }

    /// Whether Pebble answers (`container.can_connect()`).
    pub fn can_connect(&self) -> bool {
        self.inner.can_connect()
    }

    /// Add a layer under `label` (`container.add_layer`); with `combine`,
    /// merge it into an existing layer of that label.
    pub fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> Result<(), Error> {
        Ok(self.inner.add_layer(label, &layer.to_yaml(), combine)?)
    }

    /// The combined plan (`container.get_plan()`).
    pub fn get_plan(&self) -> Result<Plan, Error> {
        Plan::from_yaml(&self.get_plan_yaml()?)
    }

    /// The combined plan exactly as Pebble renders it (YAML).
    pub fn get_plan_yaml(&self) -> Result<String, Error> {
        Ok(self.inner.get_plan()?)
    }

    /// Pebble's `system-info` (JSON with `version` and `boot-id`).
    pub fn system_info(&self) -> Result<String, Error> {
        Ok(self.inner.system_info()?)
    }

    /// Services by name; all services when `names` is empty.
    pub fn get_services(&self, services: &[&str]) -> Result<Vec<ServiceInfo>, Error> {
        Ok(self.inner.get_services(&names(services))?)
    }

    /// One service (`container.get_service`); an error if it is not in the plan.
    pub fn get_service(&self, service: &str) -> Result<ServiceInfo, Error> {
        self.get_services(&[service])?
            .into_iter()
            .find(|s| s.name == service)
            .ok_or_else(|| Error::Usage(format!("service {service:?} not found")))
    }

    fn wait(&self, change_id: String) -> Result<(), Error> {
        let change = self.wait_change(&change_id, None)?;
        match change.err {
            Some(err) => Err(Error::Pebble(PebbleError::Change(err))),
            None => Ok(()),
        }
    }

    fn need_services(op: &str, services: &[&str]) -> Result<(), Error> {
        if services.is_empty() {
            return Err(Error::Usage(format!(
                "{op} expected at least 1 service, got 0"
            )));
        }
        Ok(())
    }

    /// Start services and wait for them (`container.start`).
    pub fn start(&self, services: &[&str]) -> Result<(), Error> {
        Self::need_services("start", services)?;
        self.wait(self.inner.start(&names(services))?)
    }

    /// Stop services and wait for them (`container.stop`).
    pub fn stop(&self, services: &[&str]) -> Result<(), Error> {
        Self::need_services("stop", services)?;
        self.wait(self.inner.stop(&names(services))?)
    }

    /// Restart services (stopped ones are started) and wait (`container.restart`).
    pub fn restart(&self, services: &[&str]) -> Result<(), Error> {
        Self::need_services("restart", services)?;
        self.wait(self.inner.restart(&names(services))?)
    }

    /// Bring services in line with the plan and wait (`container.replan()`).
    pub fn replan(&self) -> Result<(), Error> {
        self.wait(self.inner.replan()?)
    }

    /// Start the services marked `startup: enabled` and wait (`container.autostart()`).
    pub fn autostart(&self) -> Result<(), Error> {
        self.wait(self.inner.autostart()?)
    }

    /// Send a signal (`SIGHUP`, ...) to services (`container.send_signal`).
    pub fn send_signal(&self, signal: &str, services: &[&str]) -> Result<(), Error> {
        Self::need_services("send_signal", services)?;
        Ok(self.inner.send_signal(signal, &names(services))?)
    }

    /// Checks at `level` (or all), by name (or all when `checks` is empty).
    pub fn get_checks(&self, level: CheckLevel, checks: &[&str]) -> Result<Vec<CheckInfo>, Error> {
        Ok(self.inner.get_checks(level, &names(checks))?)
    }

    /// One check (`container.get_check`); an error if it is not in the plan.
    pub fn get_check(&self, check: &str) -> Result<CheckInfo, Error> {
        self.get_checks(CheckLevel::Unset, &[check])?
            .into_iter()
            .find(|c| c.name == check)
            .ok_or_else(|| Error::Usage(format!("check {check:?} not found")))
    }

    /// Start checks; the names that were not already running.
    pub fn start_checks(&self, checks: &[&str]) -> Result<Vec<String>, Error> {
        Ok(self.inner.start_checks(&names(checks))?)
    }

    /// Stop checks; the names that were running.
    pub fn stop_checks(&self, checks: &[&str]) -> Result<Vec<String>, Error> {
        Ok(self.inner.stop_checks(&names(checks))?)
    }

    /// Changes (`pebble.get_changes`), optionally only those of a service.
    pub fn get_changes(
        &self,
        select: ChangeSelect,
        service: Option<&str>,
    ) -> Result<Vec<ChangeInfo>, Error> {
        Ok(self.inner.get_changes(select, service)?)
    }

    /// One change by id.
    pub fn get_change(&self, id: &str) -> Result<ChangeInfo, Error> {
        Ok(self.inner.get_change(id)?)
    }

    /// Wait for a change to be ready (`None`: however long it takes, in the
    /// workload's time).
    pub fn wait_change(&self, id: &str, timeout: Option<Duration>) -> Result<ChangeInfo, Error> {
        let ms = timeout.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        Ok(self.inner.wait_change(id, ms)?)
    }

    /// Abort a change that is not ready yet.
    pub fn abort_change(&self, id: &str) -> Result<ChangeInfo, Error> {
        Ok(self.inner.abort_change(id)?)
    }

    /// Record a custom notice (`pebble.notify`); its id.
    pub fn notify(&self, key: &str, data: &[(&str, &str)]) -> Result<String, Error> {
        let data: Vec<(String, String)> = data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(self.inner.notify(key, &data, None)?)
    }

    /// A notice by id (`container.get_notice`).
    pub fn get_notice(&self, id: &str) -> Result<Notice, Error> {
        Ok(self.inner.get_notice(id)?)
    }

    /// Notices of these types and keys (all when empty).
    pub fn get_notices(&self, types: &[&str], keys: &[&str]) -> Result<Vec<Notice>, Error> {
        Ok(self.inner.get_notices(&raw::NoticesFilter {
            types: names(types),
            keys: names(keys),
            after: None,
        })?)
    }

    /// The identities (`pebble.get_identities`), as JSON.
    pub fn get_identities(&self) -> Result<String, Error> {
        Ok(self.inner.get_identities()?)
    }

    /// Replace identities (JSON map of name → identity, `null` removes).
    pub fn replace_identities(&self, identities_json: &str) -> Result<(), Error> {
        Ok(self.inner.replace_identities(identities_json)?)
    }

    /// Any Pebble API request, answered as Pebble's HTTP server would.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<HttpResponse, Error> {
        let query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        Ok(self.inner.request(method, path, &query, &headers, body)?)
    }

    /// Write a file (`container.push`).
    pub fn push(
        &self,
        path: &str,
        data: impl AsRef<[u8]>,
        options: &FileOptions,
    ) -> Result<(), Error> {
        Ok(self.inner.push(path, data.as_ref(), &options.raw())?)
    }

    /// Read a file (`container.pull`).
    pub fn pull(&self, path: &str) -> Result<Vec<u8>, Error> {
        Ok(self.inner.pull(path)?)
    }

    /// Read a text file (invalid UTF-8 is replaced).
    pub fn pull_string(&self, path: &str) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.pull(path)?).into_owned())
    }

    /// List a directory, or with `itself` the path itself (`container.list_files`).
    pub fn list_files(
        &self,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> Result<Vec<FileInfo>, Error> {
        Ok(self.inner.list_files(path, pattern, itself)?)
    }

    fn stat(&self, path: &str) -> Result<Option<FileInfo>, Error> {
        match self.inner.list_files(path, None, true) {
            Ok(mut files) => Ok(files.pop()),
            Err(PebbleError::Api(e)) if e.status_code == 404 => Ok(None),
            Err(PebbleError::Path(e)) if e.kind == "not-found" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a path exists (`container.exists`).
    pub fn exists(&self, path: &str) -> Result<bool, Error> {
        Ok(self.stat(path)?.is_some())
    }

    /// Whether a path is a directory (`container.isdir`).
    pub fn isdir(&self, path: &str) -> Result<bool, Error> {
        Ok(matches!(
            self.stat(path)?,
            Some(FileInfo {
                type_: FileType::Directory,
                ..
            })
        ))
    }

    /// Create a directory (`container.make_dir`).
    pub fn make_dir(&self, path: &str, options: &FileOptions) -> Result<(), Error> {
        Ok(self.inner.make_dir(path, &options.raw())?)
    }

    /// Remove a file or directory (`container.remove_path`).
    pub fn remove_path(&self, path: &str, recursive: bool) -> Result<(), Error> {
        Ok(self.inner.remove_path(path, recursive)?)
    }

    /// Prepare a command (`container.exec`); run it with
    /// [`Exec::wait_output`] or [`Exec::output`].
    pub fn exec(&self, command: &[&str]) -> Exec<'_> {
        Exec {
            container: self,
            request: raw::ExecRequest {
                command: names(command),
                service_context: None,
                environment: Vec::new(),
                working_dir: None,
                timeout_ms: None,
                user_id: None,
                user: None,
                group_id: None,
                group: None,
                stdin: Vec::new(),
                split_stderr: false,
            },
        }
    }
}

/// Owner, mode and parent creation for [`Container::push`] and
/// [`Container::make_dir`]. `FileOptions::default()` is Pebble's default.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// Create missing parent directories.
    pub make_dirs: bool,
    /// Mode bits, e.g. `0o644`.
    pub permissions: Option<u32>,
    /// Owner by id.
    pub user_id: Option<u32>,
    /// Owner by name.
    pub user: Option<String>,
    /// Group by id.
    pub group_id: Option<u32>,
    /// Group by name.
    pub group: Option<String>,
}

impl FileOptions {
    /// Create missing parents.
    pub fn make_dirs(mut self, yes: bool) -> Self {
        self.make_dirs = yes;
        self
    }

    /// Set the mode bits.
    pub fn permissions(mut self, mode: u32) -> Self {
        self.permissions = Some(mode);
        self
    }

    /// Set the owner by name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Set the group by name.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    fn raw(&self) -> raw::FileOptions {
        raw::FileOptions {
            make_dirs: self.make_dirs,
            permissions: self.permissions,
            user_id: self.user_id,
            user: self.user.clone(),
            group_id: self.group_id,
            group: self.group.clone(),
        }
    }
}

/// A command to run in a container, built by [`Container::exec`].
pub struct Exec<'a> {
    container: &'a Container,
    request: raw::ExecRequest,
}

impl Exec<'_> {
    /// Add an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.environment.push((key.into(), value.into()));
        self
    }

    /// Run in this directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.request.working_dir = Some(dir.into());
        self
    }

    /// Run with a service's environment, user and directory.
    pub fn service_context(mut self, service: impl Into<String>) -> Self {
        self.request.service_context = Some(service.into());
        self
    }

    /// Give up after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Run as this user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.request.user = Some(user.into());
        self
    }

    /// Run as this user id.
    pub fn user_id(mut self, id: u32) -> Self {
        self.request.user_id = Some(id);
        self
    }

    /// Run with this group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.request.group = Some(group.into());
        self
    }

    /// Run with this group id.
    pub fn group_id(mut self, id: u32) -> Self {
        self.request.group_id = Some(id);
        self
    }

    /// Feed this to the command's stdin.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.request.stdin = data.into();
        self
    }

    /// Keep stderr apart from stdout (`combine_stderr=False`, the `ops` default
    /// for `wait_output`).
    pub fn split_stderr(mut self, split: bool) -> Self {
        self.request.split_stderr = split;
        self
    }

    /// Run to completion; the exit code is the caller's to judge.
    pub fn output(self) -> Result<ExecOutput, Error> {
        Ok(self.container.inner.exec(&self.request)?)
    }

    /// Run to completion; a non-zero exit is an [`Error::Exec`] (`wait_output`).
    /// Returns stdout and stderr (stderr empty unless split).
    pub fn wait_output(self) -> Result<(String, String), Error> {
        let command = self.request.command.clone();
        let split = self.request.split_stderr;
        let out = self.output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.exit_code != 0 {
            return Err(Error::Exec(ExecError {
                command,
                exit_code: out.exit_code,
                stdout,
                stderr: split.then_some(stderr),
            }));
        }
        Ok((stdout, stderr))
    }
}
