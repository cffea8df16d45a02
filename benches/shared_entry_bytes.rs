//! Native bytes per entry of a `SharedMoka` cache (`src/shared/`), counted by
//! a global allocator while 1M entries are inserted: `key:${i}` string keys
//! and 200-byte one-byte string values, as `benchmark/shared-memory.mjs`
//! stores them, with a breakdown by allocation size. The figure does not
//! depend on the machine's load.
//!
//! Run: `cargo bench --bench shared_entry_bytes` (MOKA_ENTRIES=… to change 1M,
//! MOKA_VALUE_BYTES=… to change 200).

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Mutex;

use moka_js::shared::cache::{Options, SharedCache};
use moka_js::shared::key::Key;
use moka_js::shared::value::{EntryTimes, Value, STRING};

struct Counting;

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

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env_number("MOKA_ENTRIES", 1_000_000);
    let value_bytes = env_number("MOKA_VALUE_BYTES", 200);
    // Keys as the addon encodes `key:${i}`: a Latin-1 tag, then the characters.
    let keys: Vec<Key> = (0..n)
        .map(|i| {
            std::iter::once(1u8)
                .chain(format!("key:{i}").bytes())
                .collect()
        })
        .collect();
    let options = Options {
        max_capacity: n as u64,
        ttl: None,
        tti: None,
        lru: false,
        weigh_bytes: false,
        serializer: 2,
        notify: false,
        per_entry: false,
    };
    let (bytes0, blocks0) = (
        LIVE_BYTES.load(Ordering::Relaxed),
        LIVE_BLOCKS.load(Ordering::Relaxed),
    );
    TRACKING.store(1, Ordering::Relaxed);
    let cache = SharedCache::new("bench".into(), options);
    for (i, key) in keys.iter().enumerate() {
        let value = Value::build(STRING, EntryTimes::default(), value_bytes, |b| {
            b.fill(b'a');
            b[..8].copy_from_slice(&(i as u64).to_le_bytes());
        })
        .expect("allocation");
        cache.insert(key.clone(), value);
    }
    cache.run_pending_tasks();
    TRACKING.store(0, Ordering::Relaxed);
    let bytes = LIVE_BYTES.load(Ordering::Relaxed) - bytes0;
    let blocks = LIVE_BLOCKS.load(Ordering::Relaxed) - blocks0;
    let key_bytes = keys.iter().map(|k| k.len()).sum::<usize>() as f64 / n as f64;
    println!(
        "moka {}: {n} SharedMoka entries, {value_bytes}-byte values, {key_bytes:.1}-byte keys",
        env!("MOKA_VERSION")
    );
    println!("  {:.1} bytes and {:.2} allocations per entry (requested sizes; the allocator adds ~8–16 bytes of header per block)", bytes as f64 / n as f64, blocks as f64 / n as f64);
    println!("  by allocation size (live blocks per entry × size = bytes per entry):");
    for (size, count) in BY_SIZE.lock().unwrap().iter() {
        let per_entry = *count as f64 / n as f64;
        if per_entry.abs() >= 0.01 {
            println!(
                "    {size:>9} B × {per_entry:>6.2} = {:>7.1} B",
                per_entry * *size as f64
            );
        }
    }
    assert_eq!(cache.entry_count(), n as u64);
}
