//! The memory bound of a guest: growth past the limit traps with a message
//! saying so, instead of failing an allocation into a bare `unreachable`.

use wasmtime::ResourceLimiter;

/// Limits linear memory and tables of one store.
#[derive(Debug, Clone)]
pub struct MemoryLimiter {
    pub max_memory: usize,
    pub max_table_elements: usize,
    /// Set when the guest asked for more than the limit.
    pub exceeded: Option<usize>,
}

impl MemoryLimiter {
    pub fn new(max_memory: usize) -> Self {
        MemoryLimiter {
            max_memory,
            max_table_elements: 1_000_000,
            exceeded: None,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.exceeded = Some(desired);
            return Err(wasmtime::format_err!(
                "out of memory: the guest asked for {desired} bytes of linear memory, the limit is {}",
                self.max_memory
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_table_elements {
            return Err(wasmtime::format_err!(
                "table limit exceeded: {desired} elements asked, the limit is {}",
                self.max_table_elements
            ));
        }
        Ok(true)
    }
}
