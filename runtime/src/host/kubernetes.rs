//! `kubernetes` imports: metered and answered by the backend (which
//! applies the declaration and the trust).

use super::{HostState, stop};
use crate::bindings::kubernetes::{Host, KubernetesError};

impl HostState {
    fn kubernetes_call(&mut self) -> wasmtime::Result<Option<KubernetesError>> {
        Ok(self
            .meter
            .call(0)
            .map_err(stop)?
            .err()
            .map(|e| KubernetesError::Unavailable(e.to_string())))
    }
}

impl Host for HostState {
    fn statefulset_partition(&mut self) -> wasmtime::Result<Result<u32, KubernetesError>> {
        if let Some(e) = self.kubernetes_call()? {
            return Ok(Err(e));
        }
        self.backend
            .statefulset_partition()
            .map_err(|m| wasmtime::format_err!("{m}"))
    }

    fn set_statefulset_partition(
        &mut self,
        partition: u32,
    ) -> wasmtime::Result<Result<(), KubernetesError>> {
        if let Some(e) = self.kubernetes_call()? {
            return Ok(Err(e));
        }
        let r = self
            .backend
            .set_statefulset_partition(partition)
            .map_err(|m| wasmtime::format_err!("{m}"))?;
        Ok(r.map(|_| ()))
    }
}
