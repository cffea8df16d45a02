//! What watching the workload adds to a `get` hit of `policy: 'adaptive'`,
//! in instructions: the addon's own `Core`, `ADAPTIVE_CAPACITY` string keys
//! (`key:0` ...) read round-robin, `ADAPTIVE_GETS` gets after the fill.
//! Run under callgrind twice per setting, with two numbers of gets, and
//! divide the difference of the totals by the difference of the gets:
//!
//! ```sh
//! cargo bench --bench adaptive_cost --no-run     # prints the binary's path
//! for a in 0 1; do for n in 100000 500000; do
//!   ADAPTIVE=$a ADAPTIVE_CAPACITY=10000 ADAPTIVE_GETS=$n \
//!     valgrind --tool=callgrind --callgrind-out-file=cg.$a.$n target/release/deps/adaptive_cost-HASH
//! done; done
//! ```
//!
//! `ADAPTIVE_MISS=1` reads 200,000 keys never written instead, round-robin
//! (every get a miss, and each far too long ago for any shadow to hold it).
//!
//! `ADAPTIVE_TTL_MS` gives the cache a `ttl`: an adaptive cache's entries
//! then carry their clocks (`Carried`), the cost of keeping expiry across a
//! switch; the baseline is `ADAPTIVE=0` with the same ttl, and
//! `PER_ENTRY=1` adds moka's per-entry expiry to it (`perEntryExpiry`).
//!
//! The watch's own share (docs/adaptive.md): build with debug info
//! (`CARGO_PROFILE_BENCH_DEBUG=true CARGO_PROFILE_BENCH_STRIP=none`, in a
//! target directory of its own), and sum the instructions that
//! `callgrind_annotate --auto=yes` puts on the lines of `src/adaptive/*.rs`
//! (inlined code included, call lines `=>` left out) for each number of gets.

use std::time::Duration;

use moka_js::core::{Core, Extra, Options};
use moka_js::value::{Carried, Deadlines};
use moka_js::Key;

fn env(name: &str, fallback: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(fallback)
}

fn main() {
    let capacity = env("ADAPTIVE_CAPACITY", 10_000);
    let opts = Options {
        // NOTIFY=1: moka's eviction listener (a user `evictionListener`);
        // an adaptive cache has it only then.
        notify: env("NOTIFY", 0) == 1,
        adaptive: env("ADAPTIVE", 1) == 1,
        ttl: std::env::var("ADAPTIVE_TTL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis),
        ..Options::entries(capacity)
    };
    if opts.adaptive && opts.ttl.is_some() {
        run(Core::<Carried>::new(&opts), capacity, Carried::default);
    } else if env("PER_ENTRY", 0) == 1 {
        // perEntryExpiry: moka's `Expiry` on every call, as the clocks have.
        run(Core::<Deadlines>::new(&opts), capacity, Deadlines::default);
    } else {
        run(Core::<()>::new(&opts), capacity, || ());
    }
}

fn run<D: Extra>(core: Core<D>, capacity: u64, extra: impl Fn() -> D) {
    let gets = env("ADAPTIVE_GETS", 500_000) as usize;
    // Keys as the addon reads a JS string: a tag, then the UTF-16 units.
    let keys: Vec<Key> = (0..capacity)
        .map(|i| {
            std::iter::once(1)
                .chain(format!("key:{i}").encode_utf16())
                .collect()
        })
        .collect();
    for (slot, k) in keys.iter().enumerate() {
        core.insert(k.clone(), slot as u32, 1, extra());
    }
    core.run_pending_tasks();
    // ADAPTIVE_MISS=1: gets of 200,000 keys never written (`miss:0` ...),
    // as many whatever the number of gets, so that making them cancels out.
    let read: Vec<Key> = if env("ADAPTIVE_MISS", 0) == 1 {
        (0..200_000)
            .map(|i| {
                std::iter::once(1)
                    .chain(format!("miss:{i}").encode_utf16())
                    .collect()
            })
            .collect()
    } else {
        keys
    };
    let mut hits = 0;
    for i in 0..gets {
        hits += core.get(&read[i * 7919 % read.len()]).is_some() as usize;
    }
    println!(
        "{hits} hits of {gets}; adaptive: {:?}",
        core.adaptive_info()
    );
}
