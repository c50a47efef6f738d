//! `pebble` imports: the `container` resource; each method becomes one
//! [`PebbleCall`] on the backend for that container.

use wasmtime::component::Resource;

use super::{HostState, stop};
use crate::backend::pebble::{PebbleCall as P, PebbleReply};
use crate::bindings::pebble::{
    ChangeInfo, ChangeSelect, CheckInfo, CheckLevel, ExecOutput, ExecRequest, FileInfo,
    FileOptions, Host, HostContainer, HttpResponse, Notice, NoticesFilter, PebbleError,
    ServiceInfo,
};
use crate::limits::weigh;

pub use crate::bindings::resources::ContainerHandle;

type R<T> = wasmtime::Result<Result<T, PebbleError>>;

/// [`expect_variant!`](crate::expect_variant) for Pebble replies: Pebble's
/// own errors go to the guest, a wrong variant traps it.
macro_rules! reply {
    ($r:expr, $variant:ident) => {
        match $r? {
            Ok(r) => Ok(Ok(crate::expect_variant!(r, PebbleReply::$variant)?)),
            Err(e) => Ok(Err(e)),
        }
    };
    ($r:expr) => {
        reply!($r, Done)
    };
}

impl HostState {
    fn pebble(
        &mut self,
        c: &Resource<ContainerHandle>,
        call: P,
    ) -> wasmtime::Result<Result<PebbleReply, PebbleError>> {
        let name = self.table.get(c)?.name.clone();
        self.metered(&name, call)
    }

    /// Every Pebble call: metered in and out (see [`crate::limits::Meter`]),
    /// then answered by the backend. A limit gets Pebble's answer to a
    /// request it cannot take (413); a guest that must stop traps.
    fn metered(
        &mut self,
        container: &str,
        call: P,
    ) -> wasmtime::Result<Result<PebbleReply, PebbleError>> {
        if let Err(e) = self.meter.call(weigh(&call)).map_err(stop)? {
            return Ok(Err(too_large(e)));
        }
        let reply = self
            .backend
            .pebble(container, call)
            .map_err(|m| wasmtime::format_err!("{m}"))?;
        if let Ok(r) = &reply
            && let Err(e) = self.meter.reply(weigh(r)).map_err(stop)?
        {
            return Ok(Err(too_large(e)));
        }
        Ok(reply)
    }
}

/// Pebble's answer to a request over a host limit.
fn too_large(e: crate::limits::Exceeded) -> PebbleError {
    PebbleError::Api(crate::bindings::pebble::ApiError {
        status_code: 413,
        kind: None,
        message: e.to_string(),
    })
}

impl Host for HostState {}

impl HostContainer for HostState {
    fn open(&mut self, name: String) -> R<Resource<ContainerHandle>> {
        match self.metered(&name, P::Open)? {
            Ok(_) => Ok(Ok(self.table.push(ContainerHandle { name })?)),
            Err(e) => Ok(Err(e)),
        }
    }
    fn name(&mut self, c: Resource<ContainerHandle>) -> wasmtime::Result<String> {
        Ok(self.table.get(&c)?.name.clone())
    }
    fn can_connect(&mut self, c: Resource<ContainerHandle>) -> wasmtime::Result<bool> {
        // A Pebble error means it cannot be reached (ops' `can_connect` is
        // false on any API error); a wrong reply variant is a host bug.
        match self.pebble(&c, P::CanConnect)? {
            Ok(r) => Ok(crate::expect_variant!(r, PebbleReply::Bool)?),
            Err(_) => Ok(false),
        }
    }
    fn system_info(&mut self, c: Resource<ContainerHandle>) -> R<String> {
        reply!(self.pebble(&c, P::SystemInfo), Text)
    }
    fn add_layer(
        &mut self,
        c: Resource<ContainerHandle>,
        label: String,
        layer_yaml: String,
        combine: bool,
    ) -> R<()> {
        reply!(self.pebble(
            &c,
            P::AddLayer {
                label,
                layer_yaml,
                combine
            }
        ))
    }
    fn get_plan(&mut self, c: Resource<ContainerHandle>) -> R<String> {
        reply!(self.pebble(&c, P::GetPlan), Text)
    }
    fn get_services(
        &mut self,
        c: Resource<ContainerHandle>,
        names: Vec<String>,
    ) -> R<Vec<ServiceInfo>> {
        reply!(self.pebble(&c, P::GetServices { names }), Services)
    }
    fn start(&mut self, c: Resource<ContainerHandle>, services: Vec<String>) -> R<String> {
        reply!(self.pebble(&c, P::Start { services }), Text)
    }
    fn stop(&mut self, c: Resource<ContainerHandle>, services: Vec<String>) -> R<String> {
        reply!(self.pebble(&c, P::Stop { services }), Text)
    }
    fn restart(&mut self, c: Resource<ContainerHandle>, services: Vec<String>) -> R<String> {
        reply!(self.pebble(&c, P::Restart { services }), Text)
    }
    fn replan(&mut self, c: Resource<ContainerHandle>) -> R<String> {
        reply!(self.pebble(&c, P::Replan), Text)
    }
    fn autostart(&mut self, c: Resource<ContainerHandle>) -> R<String> {
        reply!(self.pebble(&c, P::Autostart), Text)
    }
    fn send_signal(
        &mut self,
        c: Resource<ContainerHandle>,
        signal: String,
        services: Vec<String>,
    ) -> R<()> {
        reply!(self.pebble(&c, P::SendSignal { signal, services }))
    }
    fn get_changes(
        &mut self,
        c: Resource<ContainerHandle>,
        select: ChangeSelect,
        service: Option<String>,
    ) -> R<Vec<ChangeInfo>> {
        reply!(self.pebble(&c, P::GetChanges { select, service }), Changes)
    }
    fn get_change(&mut self, c: Resource<ContainerHandle>, id: String) -> R<ChangeInfo> {
        reply!(self.pebble(&c, P::GetChange { id }), Change)
    }
    fn wait_change(
        &mut self,
        c: Resource<ContainerHandle>,
        id: String,
        timeout_ms: Option<u64>,
    ) -> R<ChangeInfo> {
        reply!(self.pebble(&c, P::WaitChange { id, timeout_ms }), Change)
    }
    fn abort_change(&mut self, c: Resource<ContainerHandle>, id: String) -> R<ChangeInfo> {
        reply!(self.pebble(&c, P::AbortChange { id }), Change)
    }
    fn get_checks(
        &mut self,
        c: Resource<ContainerHandle>,
        level: CheckLevel,
        names: Vec<String>,
    ) -> R<Vec<CheckInfo>> {
        reply!(self.pebble(&c, P::GetChecks { level, names }), Checks)
    }
    fn start_checks(&mut self, c: Resource<ContainerHandle>, names: Vec<String>) -> R<Vec<String>> {
        reply!(self.pebble(&c, P::StartChecks { names }), Texts)
    }
    fn stop_checks(&mut self, c: Resource<ContainerHandle>, names: Vec<String>) -> R<Vec<String>> {
        reply!(self.pebble(&c, P::StopChecks { names }), Texts)
    }
    fn pull(&mut self, c: Resource<ContainerHandle>, path: String) -> R<Vec<u8>> {
        reply!(self.pebble(&c, P::Pull { path }), Bytes)
    }
    fn push(
        &mut self,
        c: Resource<ContainerHandle>,
        path: String,
        data: Vec<u8>,
        options: FileOptions,
    ) -> R<()> {
        reply!(self.pebble(
            &c,
            P::Push {
                path,
                data,
                options
            }
        ))
    }
    fn list_files(
        &mut self,
        c: Resource<ContainerHandle>,
        path: String,
        pattern: Option<String>,
        itself: bool,
    ) -> R<Vec<FileInfo>> {
        reply!(
            self.pebble(
                &c,
                P::ListFiles {
                    path,
                    pattern,
                    itself
                }
            ),
            Files
        )
    }
    fn make_dir(
        &mut self,
        c: Resource<ContainerHandle>,
        path: String,
        options: FileOptions,
    ) -> R<()> {
        reply!(self.pebble(&c, P::MakeDir { path, options }))
    }
    fn remove_path(
        &mut self,
        c: Resource<ContainerHandle>,
        path: String,
        recursive: bool,
    ) -> R<()> {
        reply!(self.pebble(&c, P::RemovePath { path, recursive }))
    }
    fn exec(&mut self, c: Resource<ContainerHandle>, request: ExecRequest) -> R<ExecOutput> {
        reply!(self.pebble(&c, P::Exec { request }), Exec)
    }
    fn notify(
        &mut self,
        c: Resource<ContainerHandle>,
        key: String,
        data: Vec<(String, String)>,
        repeat_after: Option<String>,
    ) -> R<String> {
        reply!(
            self.pebble(
                &c,
                P::Notify {
                    key,
                    data,
                    repeat_after
                }
            ),
            Text
        )
    }
    fn get_notice(&mut self, c: Resource<ContainerHandle>, id: String) -> R<Notice> {
        reply!(self.pebble(&c, P::GetNotice { id }), Notice)
    }
    fn get_notices(
        &mut self,
        c: Resource<ContainerHandle>,
        filter: NoticesFilter,
    ) -> R<Vec<Notice>> {
        reply!(self.pebble(&c, P::GetNotices { filter }), Notices)
    }
    fn get_identities(&mut self, c: Resource<ContainerHandle>) -> R<String> {
        reply!(self.pebble(&c, P::GetIdentities), Text)
    }
    fn replace_identities(
        &mut self,
        c: Resource<ContainerHandle>,
        identities_json: String,
    ) -> R<()> {
        reply!(self.pebble(&c, P::ReplaceIdentities { identities_json }))
    }
    fn request(
        &mut self,
        c: Resource<ContainerHandle>,
        method: String,
        path: String,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> R<HttpResponse> {
        reply!(
            self.pebble(
                &c,
                P::Request {
                    method,
                    path,
                    query,
                    headers,
                    body
                }
            ),
            Http
        )
    }
    fn drop(&mut self, c: Resource<ContainerHandle>) -> wasmtime::Result<()> {
        self.table.delete(c)?;
        Ok(())
    }
}
