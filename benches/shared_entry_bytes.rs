//! Native bytes per entry of a `SharedMoka` cache (`src/shared/`), counted by
//! a global allocator while 1M entries are inserted: `key:${i}` string keys
//! and 200-byte one-byte string values, as `benchmark/shared-memory.mjs`
//! stores them, with a breakdown by allocation size. The figure does not
//! depend on the machine's load.
//!
//! Run: `cargo bench --bench shared_entry_bytes --features count-allocations`
//! (MOKA_ENTRIES=… to change 1M, MOKA_VALUE_BYTES=… to change 200).

use moka_js::shared::cache::{Options, SharedCache};
use moka_js::shared::key::Key;
use moka_js::shared::value::{EntryTimes, Value, STRING};

#[path = "common/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::COUNTING;

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
    let options = Options::entries(n as u64);
    let baseline = counting::start();
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
    let key_bytes = keys.iter().map(|k| k.len()).sum::<usize>() as f64 / n as f64;
    println!(
        "moka {}: {n} SharedMoka entries, {value_bytes}-byte values, {key_bytes:.1}-byte keys",
        env!("MOKA_VERSION")
    );
    counting::report(baseline, n);
    assert_eq!(cache.entry_count(), n as u64);
}
