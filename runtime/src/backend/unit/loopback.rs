//! The `loopback` import on a State: the State's scripted answers serve
//! the request ([`crate::state::loopback`]).

use super::UnitBackend;
use crate::backend::loopback::{LoopbackBackend, LoopbackCall, LoopbackResult};
use crate::state::loopback::{connect, serve};

impl LoopbackBackend for UnitBackend {
    fn loopback(&mut self, port: u16, call: &LoopbackCall) -> LoopbackResult {
        let answers = &self.state.loopback_http;
        Ok(match call {
            LoopbackCall::Connect => connect(answers, port).map(|()| None),
            LoopbackCall::Request { request } => serve(answers, port, request).map(Some),
        })
    }
}
