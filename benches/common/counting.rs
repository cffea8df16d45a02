//! A global allocator that counts live bytes and blocks, with a histogram by
//! allocation size while tracking is on: what the `*_entry_bytes` benches
//! use to count the native bytes per entry of a cache.
//!
//! A bench includes it with `#[path = "common/counting.rs"] mod counting;`
//! and installs `counting::Counting` as its `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
/// Live blocks by size, while `TRACKING` is set (its own allocations excluded).
static BY_SIZE: Mutex<BTreeMap<usize, isize>> = Mutex::new(BTreeMap::new());
static TRACKING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static IN_TRACKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn track(size: usize, delta: isize) {
    if TRACKING.load(Ordering::Relaxed) == 0 || IN_TRACKER.with(|t| t.replace(true)) {
        return;
    }
    *BY_SIZE.lock().unwrap().entry(size).or_default() += delta;
    IN_TRACKER.with(|t| t.set(false));
}

// SAFETY: every call forwards to the system allocator with the same layout;
// the counters are plain atomics and the histogram is guarded against
// recursion, so allocation behaviour is unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        track(layout.size(), 1);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
        track(layout.size(), -1);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
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

/// Stops counting and prints what is live since `baseline`, per entry of `n`.
pub fn report(baseline: Baseline, n: usize) {
    TRACKING.store(0, Ordering::Relaxed);
    let bytes = LIVE_BYTES.load(Ordering::Relaxed) - baseline.bytes;
    let blocks = LIVE_BLOCKS.load(Ordering::Relaxed) - baseline.blocks;
    println!("  {:.1} bytes and {:.2} allocations per entry (requested sizes; the allocator adds ~8–16 bytes of header per block)", bytes as f64 / n as f64, blocks as f64 / n as f64);
    // glibc's chunk for a request: 8 bytes of header, 16-byte granules, 32 at least.
    let chunk = |size: usize| ((size + 8 + 15) & !15).max(32);
    println!("  by allocation size (live blocks per entry x size = bytes per entry, then in glibc chunks):");
    let mut chunk_total = 0.0;
    for (size, count) in BY_SIZE.lock().unwrap().iter() {
        let per_entry = *count as f64 / n as f64;
        chunk_total += per_entry * chunk(*size) as f64;
        if per_entry.abs() >= 0.01 {
            let (bytes, chunks) = (per_entry * *size as f64, per_entry * chunk(*size) as f64);
            println!("    {size:>9} B x {per_entry:>5.2} = {bytes:>6.1} B   ({chunks:>6.1} B)");
        }
    }
    println!("  {chunk_total:.1} bytes per entry in glibc chunks, every allocation included");
}
