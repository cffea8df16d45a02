//! Native bytes per entry of the addon's default cache, counted by a global
//! allocator that records every allocation moka and the addon make while
//! 1M entries (`key:${i}` string keys) are inserted, with a breakdown by
//! allocation size. The figure does not depend on the machine's load.
//!
//! Run: `cargo bench --bench entry_bytes --features count-allocations`
//! (MOKA_ENTRIES=… to change 1M).

use moka_js::core::{Core, Options};
use moka_js::Key;

#[path = "common/counting.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::COUNTING;

fn main() {
    let n: usize = std::env::var("MOKA_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let keys: Vec<Key> = (0..n)
        .map(|i| {
            std::iter::once(1u16)
                .chain(format!("key:{i}").encode_utf16())
                .collect()
        })
        .collect();
    let opts = Options::entries(n as u64);
    let baseline = counting::start();
    let core = Core::<()>::new(&opts);
    for (slot, k) in keys.iter().enumerate() {
        core.insert(k.clone(), slot as u32, 1, ());
    }
    core.run_pending_tasks();
    println!(
        "moka {}: {n} entries in the addon's default cache",
        env!("MOKA_VERSION")
    );
    counting::report(baseline, n);
    assert_eq!(core.cache.entry_count(), n as u64);
}
