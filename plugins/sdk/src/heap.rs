//! The guest heap: allocations are first carved from the free end of the module's initial
//! linear memory, then left to the standard allocator.
//!
//! On `wasm32-unknown-unknown` the standard allocator (dlmalloc) never uses the memory it
//! starts with: its first allocation grows the memory by `memory.grow`, although the
//! linker leaves the pages between the end of the data (`__heap_base`) and the end of the
//! initial memory free (about 30 KiB for the example plugins). In the host every decision
//! runs in a fresh instance, so every decision paid for that growth: the host's limiter,
//! the pages made accessible (an `mprotect`) and, when the instance ends, made
//! inaccessible again; and dlmalloc's own set-up, under fuel.
//!
//! [`InitialHeap`] hands out that free tail first, as a bump allocator: an allocation is
//! the next aligned bytes; freeing or growing the most recent one takes back or extends
//! it in place, any other freed block in the tail stays unused (at most the tail's size,
//! for the instance's one call). Once the tail is used up, or for any block that does not
//! fit in what is left, the standard allocator is called as before, so a plugin can use
//! as much memory as the tenant's limit allows. Blocks are told apart by address: the
//! tail lies below every page `memory.grow` returns.
//!
//! It is the global allocator of a plugin built with the SDK's default `initial-heap`
//! feature for `wasm32-unknown-unknown` without threads; disable the feature
//! (`default-features = false`) to use your own. Not on WASI targets: wasi-libc's allocator
//! claims `[__heap_base, __heap_end)` as its first region, the very bytes handed out here.
//! The standard allocator of `wasm32-unknown-unknown` (dlmalloc) only takes memory from
//! `memory.grow` today; a block it returns inside the tail would break that assumption, and
//! traps (`unreachable`) instead of sharing bytes: re-check it on a toolchain upgrade.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::System;

/// Bytes in a WebAssembly page.
const PAGE: usize = 65_536;

unsafe extern "C" {
    /// The first byte after the module's data and stack, defined by the linker.
    static __heap_base: u8;
    /// The end of the module's initial memory, defined by the linker.
    static __heap_end: u8;
}

/// The bump allocator over the initial memory's free tail, in front of [`System`].
///
/// `wasm32-unknown-unknown` runs one thread, so the relaxed atomics are plain loads and
/// stores; they are atomics only for `GlobalAlloc`'s `Sync` bound.
#[derive(Debug)]
pub struct InitialHeap {
    /// The next free byte of the tail; 0 before the first allocation.
    next: AtomicUsize,
    /// The end of the initial memory (the tail's end).
    end: AtomicUsize,
    /// The start of the tail (`__heap_base`).
    start: AtomicUsize,
}

impl InitialHeap {
    /// The allocator, not yet set up (it reads the memory's size on first use).
    pub const fn new() -> Self {
        InitialHeap {
            next: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
        }
    }

    /// The tail's bounds and next free byte, set up on first use: from `__heap_base` to
    /// `__heap_end`, the end of the initial memory (both set by the linker; the memory's
    /// size is checked too). Pages the plugin grows itself lie past it.
    fn state(&self) -> (usize, usize, usize) {
        let next = self.next.load(Ordering::Relaxed);
        if next != 0 {
            return (
                self.start.load(Ordering::Relaxed),
                next,
                self.end.load(Ordering::Relaxed),
            );
        }
        let start = core::ptr::addr_of!(__heap_base) as usize;
        let end = (core::ptr::addr_of!(__heap_end) as usize)
            .min(wasm32::memory_size(0).saturating_mul(PAGE))
            .max(start);
        self.start.store(start, Ordering::Relaxed);
        self.end.store(end, Ordering::Relaxed);
        self.next.store(start.max(1), Ordering::Relaxed);
        (start, start.max(1), end)
    }

    /// The block `layout` needs at the top of the tail, if it fits: its address.
    fn bump(&self, layout: Layout) -> Option<usize> {
        let (_, next, end) = self.state();
        let at = next.checked_next_multiple_of(layout.align())?;
        let after = at.checked_add(layout.size())?;
        if after > end {
            return None;
        }
        self.next.store(after, Ordering::Relaxed);
        Some(at)
    }

    /// `block`, from [`System`]: a trap if it lies in the tail (the standard allocator
    /// using the initial memory's free end would share bytes with the bump allocator).
    fn checked(&self, block: *mut u8) -> *mut u8 {
        if !block.is_null() && self.owns(block) {
            wasm32::unreachable();
        }
        block
    }

    /// Whether `ptr` was handed out from the tail.
    fn owns(&self, ptr: *mut u8) -> bool {
        let (start, _, end) = self.state();
        let addr = ptr as usize;
        addr >= start && addr < end
    }
}

impl Default for InitialHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks from the tail never overlap (the top only moves down to the start of the
// most recent block when that block is freed or shrunk), lie inside the initial memory,
// which is never shrunk, and below every page `memory.grow` returns to `System`; blocks
// from `System` are returned to it. Alignment is honoured by rounding the top up.
unsafe impl GlobalAlloc for InitialHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(at) => at as *mut u8,
            // SAFETY: the caller's contract, passed on.
            None => self.checked(unsafe { System.alloc(layout) }),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.owns(ptr) {
            // The most recent block is taken back; any other stays unused.
            if (ptr as usize).checked_add(layout.size()) == Some(self.next.load(Ordering::Relaxed))
            {
                self.next.store(ptr as usize, Ordering::Relaxed);
            }
            return;
        }
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: `ptr` came from `System` with this layout.
            return self.checked(unsafe { System.realloc(ptr, layout, new_size) });
        }
        let addr = ptr as usize;
        let end = self.end.load(Ordering::Relaxed);
        let top = addr.checked_add(layout.size());
        // The most recent block grows or shrinks in place while it fits.
        if top == Some(self.next.load(Ordering::Relaxed))
            && let Some(after) = addr.checked_add(new_size)
            && after <= end
        {
            self.next.store(after, Ordering::Relaxed);
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `new_size` is non-zero and, rounded to the alignment, does not
        // overflow (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as `alloc`.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are at least `layout.size()` bytes and do not overlap
            // (the new one is above the top of the tail, or from `System`).
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
            // SAFETY: `ptr` is a block of the tail with this layout.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}
