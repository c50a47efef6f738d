//! `loopback` imports: HTTP to the unit's own workloads, checked, metered
//! in and out, and answered by the backend.

use super::{HostState, stop};
use crate::backend::loopback::LoopbackCall;
use crate::bindings::loopback::{Host, HttpRequest, HttpResponse, LoopbackError};
use crate::capability::loopback::check_request;

impl Host for HostState {
    fn connect(&mut self, port: u16) -> wasmtime::Result<Result<(), LoopbackError>> {
        if let Err(e) = self.meter.call(0).map_err(stop)? {
            return Ok(Err(LoopbackError::Invalid(e.to_string())));
        }
        let answer = self
            .backend
            .loopback(port, &LoopbackCall::Connect)
            .map_err(|m| wasmtime::format_err!("{m}"))?;
        Ok(answer.map(|_| ()))
    }

    fn request(
        &mut self,
        port: u16,
        request: HttpRequest,
    ) -> wasmtime::Result<Result<HttpResponse, LoopbackError>> {
        let asked = request.target.len() + request.body.len() + header_bytes(&request.headers);
        if let Err(e) = self.meter.call(asked as u64).map_err(stop)? {
            return Ok(Err(LoopbackError::Invalid(e.to_string())));
        }
        if let Err(e) = check_request(&request) {
            return Ok(Err(e));
        }
        let answer = self
            .backend
            .loopback(port, &LoopbackCall::Request { request })
            .map_err(|m| wasmtime::format_err!("{m}"))?;
        let response = match answer {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(wasmtime::format_err!(
                    "the backend answered a loopback request as a connection"
                ));
            }
            Err(e) => return Ok(Err(e)),
        };
        let size = response.body.len() + header_bytes(&response.headers);
        if let Err(e) = self.meter.reply(size as u64).map_err(stop)? {
            return Ok(Err(LoopbackError::Invalid(e.to_string())));
        }
        Ok(Ok(response))
    }
}

/// The bytes of headers' names and values.
fn header_bytes(headers: &[(String, String)]) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len()).sum()
}
