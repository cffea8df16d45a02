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
//! together). v2's purge delay is 10 ms by default, so no option is set at
//! load time.
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
    /// The allocator the addon's Rust code allocates with.
    pub type Allocator = mimalloc::MiMalloc;
    pub const ALLOCATOR: Allocator = mimalloc::MiMalloc;
    pub const NAME: &str = "mimalloc";

    /// `mi_option_purge_delay` in the v2 `mimalloc.h` of `libmimalloc-sys`
    /// 0.1.49, which exports no constant for it; Cargo.toml pins that version.
    #[cfg(test)]
    pub(super) const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

    /// Milliseconds before freed pages go back to the OS: mimalloc v2's
    /// default, which the addon relies on. v3's, 1000 ms, kept 300–350 MB
    /// resident while thousands of dropped caches were freed
    /// (`reliability-soak`), against about 145 MB.
    #[cfg(test)]
    pub(super) const PURGE_DELAY_MS: std::ffi::c_long = 10;
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
    fn the_purge_delay_is_mimallocs_v2_default() {
        let expected = match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(value) => value.parse().expect("MIMALLOC_PURGE_DELAY is a number"),
            Err(_) => PURGE_DELAY_MS,
        };
        // SAFETY: reads an option; no thread writes options after load.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) };
        assert_eq!(delay, expected);
    }
}
