//! The addon's global allocator: mimalloc in release builds (the default
//! feature `mimalloc`), the system's otherwise.
//!
//! moka allocates five small blocks for every entry, and the addon one or two
//! more (the key, a `SharedMoka` value). glibc's malloc puts an 8-byte header
//! before each block and rounds it to 16 bytes; mimalloc has no per-block
//! header and size classes 16 bytes apart up to 64, so an entry takes 48 to 64
//! bytes less (`cargo bench --bench shared_entry_bytes --features
//! count-allocations` counts both), an insert runs about a sixth fewer
//! instructions, and what a cleared or closed cache frees goes back to the OS,
//! where glibc keeps it. Only the addon's own (Rust) allocations use it: Node
//! and V8 keep the process's malloc.
//!
//! The version is mimalloc v2 (2.3), not v3. mimalloc takes the thread that
//! loads it for the process's main thread; a worker thread loads the addon
//! first in a worker pool, and exits. v3 frees that thread's state when it
//! exits and crashed the next thread to allocate (SIGSEGV in `_mi_subproc`,
//! reached from `mi_thread_init`); v2 keeps the main heap for the process's
//! life, and a later thread takes it over (`__test__/load-order.spec.ts`
//! loads the addon first in workers that exit, are terminated, or start
//! together). Its purge delay is set to 0 when the addon loads (below). Bytes
//! per entry are as with v3 (`node benchmark/shared-memory.mjs
//! --entries=1000000`: `SharedMoka` 532 B native, `Moka` 328–338 B, against
//! 536 and 334 with v3).
//!
//! mimalloc is C11: the Linux glibc binaries are compiled with clang against
//! napi-rs's glibc 2.17 sysroot (`TARGET_CC=clang`), because that toolchain's
//! GCC 4.8.5 has no `<stdatomic.h>`. `--no-default-features` builds with the
//! system allocator, for a compiler that cannot build mimalloc.
//!
//! Debug builds keep the system allocator, so that valgrind's memcheck (`npm
//! run test:valgrind`, which loads the debug addon) sees every block. The
//! `count-allocations` feature leaves the global allocator to the benches that
//! count allocations; they wrap this same one.

#[cfg(all(
    feature = "mimalloc",
    not(debug_assertions),
    not(target_family = "wasm")
))]
mod chosen {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;

    use libmimalloc_sys::{
        mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
        mi_zalloc_aligned,
    };

    /// The allocator the addon's Rust code allocates with.
    pub type Allocator = Mimalloc;
    pub const ALLOCATOR: Allocator = Mimalloc;
    pub const NAME: &str = "mimalloc";

    /// Every mimalloc block is aligned to at least a word.
    const WORD: usize = std::mem::size_of::<usize>();

    /// A block of `layout` from `plain` when a word's alignment will do,
    /// else from `aligned`.
    ///
    /// # Safety
    /// `layout`'s size is not zero; the functions are mimalloc's.
    #[inline(always)]
    unsafe fn by_alignment(
        layout: Layout,
        plain: unsafe extern "C" fn(usize) -> *mut c_void,
        aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
    ) -> *mut u8 {
        // SAFETY: see the function's contract.
        unsafe {
            if layout.align() <= WORD {
                plain(layout.size()) as *mut u8
            } else {
                aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    /// mimalloc, through its plain entry points for the word-aligned blocks
    /// that nearly every allocation asks for. The `mimalloc` crate's
    /// allocator calls the aligned ones for all: four calls deep, and about
    /// 15 instructions more per block (moka allocates five per insert).
    pub struct Mimalloc;

    // SAFETY: each function hands the request to the mimalloc function that
    // serves it: a plain one only when `layout`'s alignment is at most a
    // word, which every mimalloc block has; blocks are freed by `mi_free`,
    // whichever function allocated them.
    unsafe impl GlobalAlloc for Mimalloc {
        #[inline]
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: as above; `layout`'s size is not zero (GlobalAlloc's contract).
            unsafe { by_alignment(layout, mi_malloc, mi_malloc_aligned) }
        }

        #[inline]
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: as in `alloc`.
            unsafe { by_alignment(layout, mi_zalloc, mi_zalloc_aligned) }
        }

        #[inline]
        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract).
            unsafe { mi_free(ptr as *mut c_void) }
        }

        #[inline]
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: `ptr` came from this allocator with `layout` (GlobalAlloc's contract).
            unsafe {
                if layout.align() <= WORD {
                    mi_realloc(ptr as *mut c_void, new_size) as *mut u8
                } else {
                    mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
                }
            }
        }
    }

    /// `mi_option_purge_delay` in the v2 `mimalloc.h` of `libmimalloc-sys`
    /// 0.1.49, which exports no constant for it; Cargo.toml pins that version.
    pub(super) const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

    /// Milliseconds before freed pages go back to the OS: at once. v2 purges
    /// a delayed range only when the same thread allocates again, so with
    /// its default (10 ms) a process that frees thousands of caches and then
    /// idles kept 300–310 MB resident in `reliability-soak`, against 130–136
    /// MB with 0. An evicting `set` measured no slower (1,758–2,728 ns
    /// against 1,764–2,554 ns, runs interleaved on a loaded machine).
    pub(super) const PURGE_DELAY_MS: std::ffi::c_long = 0;

    /// Runs when the addon is loaded, before any of its code can run on any
    /// thread: mimalloc's options are plain, unsynchronised variables.
    // SAFETY (`ctor(unsafe)`: code run while the library loads): the function
    // touches nothing that needs initialising first, no Rust runtime state,
    // no thread-locals, no I/O; it only stores one mimalloc option.
    #[ctor::ctor(unsafe)]
    fn set_purge_delay() {
        // SAFETY: a load-time constructor runs once, on the loading thread,
        // before any thread can run the addon's code; the option index is
        // `mi_option_purge_delay`. `set_default` leaves a value read from the
        // environment (`MIMALLOC_PURGE_DELAY`) as it is.
        unsafe { libmimalloc_sys::mi_option_set_default(PURGE_DELAY_OPTION, PURGE_DELAY_MS) }
    }
}

#[cfg(not(all(
    feature = "mimalloc",
    not(debug_assertions),
    not(target_family = "wasm")
)))]
mod chosen {
    /// The allocator the addon's Rust code allocates with.
    pub type Allocator = std::alloc::System;
    pub const ALLOCATOR: Allocator = std::alloc::System;
    pub const NAME: &str = "system";
}

pub use chosen::{Allocator, ALLOCATOR, NAME};

#[cfg(not(feature = "count-allocations"))]
#[global_allocator]
static GLOBAL: Allocator = ALLOCATOR;

#[cfg(all(
    test,
    feature = "mimalloc",
    not(debug_assertions),
    not(target_family = "wasm")
))]
mod tests {
    use super::chosen::{PURGE_DELAY_MS, PURGE_DELAY_OPTION};

    #[test]
    fn the_purge_delay_is_set_when_the_library_loads() {
        let expected = match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(value) => value.parse().expect("MIMALLOC_PURGE_DELAY is a number"),
            Err(_) => PURGE_DELAY_MS,
        };
        // SAFETY: reads an option; no thread writes options after load.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) };
        assert_eq!(delay, expected);
    }
}
