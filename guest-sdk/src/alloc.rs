//! The guest's global allocator (feature `allocator`, on by default):
//! dlmalloc, as Rust's standard library uses on wasm32, except that it is
//! first given the initial memory above the heap base (`__heap_base` to
//! `__heap_end`) and grows the memory only when that is used up. The
//! standard library's allocator grows the memory for its very first block,
//! whatever the initial size; a grown memory must be shrunk back by the host
//! (an `mprotect` and a TLB shootdown) before the next event takes the pool
//! slot, which was a third of a small Rust dispatch. `charmbox build` links
//! guests with room for a typical event's heap (`GUEST_INITIAL_MEMORY`).
//!
//! A charm with its own `#[global_allocator]` turns the feature off:
//! `charmbox-sdk = { …, default-features = false }`.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

#[cfg(target_feature = "atomics")]
compile_error!("the charmbox-sdk allocator is for single-threaded wasm32 guests");

/// WebAssembly's page.
const PAGE: usize = 64 * 1024;

unsafe extern "C" {
    /// The first byte after the stack and static data (wasm-ld).
    static __heap_base: u8;
    /// The end of the initial memory (wasm-ld).
    static __heap_end: u8;
}

/// Where dlmalloc's system memory comes from: the initial heap once, then
/// `memory.grow`.
struct InitialThenGrow {
    initial_given: AtomicBool,
}

// SAFETY: regions handed out are never handed out twice (the initial heap
// once, grown pages are new), and are zeroed memory of the instance.
unsafe impl dlmalloc::Allocator for InitialThenGrow {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        if !self.initial_given.swap(true, Ordering::Relaxed) {
            let base = (&raw const __heap_base).addr();
            let end = (&raw const __heap_end).addr();
            let start = base.next_multiple_of(16);
            if end > start && end - start >= size {
                return (start as *mut u8, end - start, 0);
            }
        }
        let pages = size.div_ceil(PAGE);
        let previous = core::arch::wasm32::memory_grow(0, pages);
        if previous == usize::MAX {
            return (core::ptr::null_mut(), 0, 0);
        }
        ((previous * PAGE) as *mut u8, pages * PAGE, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        core::ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// dlmalloc behind the global-allocator interface.
pub struct SdkAllocator(UnsafeCell<dlmalloc::Dlmalloc<InitialThenGrow>>);

// SAFETY: wasm32 guests without the atomics feature run on one thread.
unsafe impl Sync for SdkAllocator {}

// SAFETY: dlmalloc upholds GlobalAlloc's contracts (it is the standard
// library's allocator on this target); access is single-threaded.
unsafe impl GlobalAlloc for SdkAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: SdkAllocator = SdkAllocator(UnsafeCell::new(
    dlmalloc::Dlmalloc::new_with_allocator(InitialThenGrow {
        initial_given: AtomicBool::new(false),
    }),
));
