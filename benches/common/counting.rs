//! A global allocator that counts live bytes and blocks, with a histogram by
//! allocation size while tracking is on: what the `*_entry_bytes` benches
//! use to count the native bytes per entry of a cache.
//!
//! A bench includes it with `#[path = "common/counting.rs"] mod counting;`
//! and installs `counting::COUNTING` as its `#[global_allocator]`; it wraps
//! the addon's own allocator (`moka_js::allocator`), which the library then
//! leaves uninstalled (the benches need `--features count-allocations`).

use std::alloc::{GlobalAlloc, Layout};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Mutex;

use moka_js::allocator::{Allocator, ALLOCATOR, NAME};

pub struct Counting(Allocator);

/// The bench's global allocator: the addon's, counted.
pub const COUNTING: Counting = Counting(ALLOCATOR);

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
/// Live blocks by size, while `TRACKING` is set (its own allocations excluded).
static BY_SIZE: Mutex<BTreeMap<usize, isize>> = Mutex::new(BTreeMap::new());
static TRACKING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static IN_TRACKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn track(size: usize, delta: isize) {
    LIVE_BYTES.fetch_add(delta * size as isize, Ordering::Relaxed);
    LIVE_BLOCKS.fetch_add(delta, Ordering::Relaxed);
    if TRACKING.load(Ordering::Relaxed) == 0 || IN_TRACKER.with(|t| t.replace(true)) {
        return;
    }
    *BY_SIZE.lock().unwrap().entry(size).or_default() += delta;
    IN_TRACKER.with(|t| t.set(false));
}

// SAFETY: every call forwards to the wrapped allocator with the same layout
// and pointer; the counters are plain atomics and the histogram is guarded
// against recursion, so allocation behaviour is unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size(), 1);
        // SAFETY: same contract as ours.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        track(layout.size(), 1);
        // SAFETY: same contract as ours.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(layout.size(), -1);
        // SAFETY: same contract as ours.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let new = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            track(layout.size(), -1);
            track(new_size, 1);
        }
        new
    }
}

/// Live bytes and blocks when tracking started.
pub struct Baseline {
    bytes: isize,
    blocks: isize,
}

/// Starts counting what is allocated from now on.
pub fn start() -> Baseline {
    let baseline = Baseline {
        bytes: LIVE_BYTES.load(Ordering::Relaxed),
        blocks: LIVE_BLOCKS.load(Ordering::Relaxed),
    };
    TRACKING.store(1, Ordering::Relaxed);
    baseline
}

/// glibc's chunk for a request: 8 bytes of header, 16-byte granules, 32 at least.
fn glibc_chunk(size: usize) -> usize {
    ((size + 8 + 15) & !15).max(32)
}

/// mimalloc's block for a request (alignment at most 16): no header; 8 bytes,
/// then multiples of 16 up to 64, then four size classes per doubling (80,
/// 96, 112, 128, 160, 192, 224, 256, 320, …) up to 512 KiB, then whole 4 KiB
/// pages. Checked against `mi_good_size` of mimalloc 3.3 for every size up to
/// 4 MiB.
fn mimalloc_block(size: usize) -> usize {
    if size > 512 << 10 {
        return size.next_multiple_of(4096);
    }
    let words = size.div_ceil(8).max(1);
    if words == 1 {
        return 8;
    }
    if words <= 8 {
        return 8 * words.next_multiple_of(2);
    }
    let log2 = usize::BITS - 1 - (words - 1).leading_zeros();
    let step = 1usize << (log2 - 2);
    8 * words.div_ceil(step) * step
}

/// Stops counting and prints what is live since `baseline`, per entry of `n`.
pub fn report(baseline: Baseline, n: usize) {
    TRACKING.store(0, Ordering::Relaxed);
    let bytes = LIVE_BYTES.load(Ordering::Relaxed) - baseline.bytes;
    let blocks = LIVE_BLOCKS.load(Ordering::Relaxed) - baseline.blocks;
    println!(
        "  {:.1} bytes and {:.2} allocations per entry (requested sizes), allocator: {NAME}",
        bytes as f64 / n as f64,
        blocks as f64 / n as f64
    );
    println!("  by allocation size (live blocks per entry x size = bytes per entry, then in glibc chunks and mimalloc blocks):");
    let (mut glibc_total, mut mimalloc_total) = (0.0, 0.0);
    for (size, count) in BY_SIZE.lock().unwrap().iter() {
        let per_entry = *count as f64 / n as f64;
        let glibc = per_entry * glibc_chunk(*size) as f64;
        let mimalloc = per_entry * mimalloc_block(*size) as f64;
        glibc_total += glibc;
        mimalloc_total += mimalloc;
        if per_entry.abs() >= 0.01 {
            let bytes = per_entry * *size as f64;
            println!("    {size:>9} B x {per_entry:>5.2} = {bytes:>6.1} B   (glibc {glibc:>6.1} B, mimalloc {mimalloc:>6.1} B)");
        }
    }
    println!("  {glibc_total:.1} bytes per entry in glibc chunks, {mimalloc_total:.1} in mimalloc blocks, every allocation included");
}
