//! The `kubernetes` import on a State: the declaration, the model type and
//! the application's trust checked, then the State's StatefulSet partition
//! read or patched (at once: the API call is not part of the hook's
//! transaction).

use super::UnitBackend;
use crate::backend::kubernetes::{
    KubernetesBackend, KubernetesResult, STATEFULSET_PARTITION, check,
};

impl UnitBackend {
    fn kubernetes_allowed(&self) -> Result<(), crate::backend::kubernetes::KubernetesError> {
        check(
            STATEFULSET_PARTITION,
            &self.meta.kubernetes,
            &self.state.model.kind,
            self.state.trusted,
        )
    }
}

impl KubernetesBackend for UnitBackend {
    fn statefulset_partition(&mut self) -> KubernetesResult {
        Ok(self
            .kubernetes_allowed()
            .map(|()| self.state.statefulset_partition))
    }

    fn set_statefulset_partition(&mut self, partition: u32) -> KubernetesResult {
        Ok(self.kubernetes_allowed().map(|()| {
            self.state.statefulset_partition = partition;
            partition
        }))
    }
}
