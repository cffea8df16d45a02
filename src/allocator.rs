//! The addon's global allocator: the system's, or mimalloc in release builds
//! with the `mimalloc` feature.
//!
//! moka allocates five small blocks for every entry, and the addon one or two
//! more (the key, a `SharedMoka` value). glibc's malloc puts an 8-byte header
//! before each block and rounds it to 16 bytes; mimalloc has no per-block
//! header and size classes 16 bytes apart up to 64, so an entry takes 48 to 64
//! bytes less (`cargo bench --bench shared_entry_bytes --features
//! count-allocations` counts both), an insert runs about a sixth fewer
//! instructions, and what a cleared or closed cache frees goes back to the OS,
//! where glibc keeps it. Only the addon's own (Rust) allocations use it: Node
//! and V8 keep the process's malloc. It is not the default: the Linux glibc
//! binaries are built with napi-rs's glibc 2.17 cross toolchain, whose GCC
//! 4.8.5 cannot compile it (no `<stdatomic.h>`, and `libmimalloc-sys` passes
//! `-Wno-error=date-time`).
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
