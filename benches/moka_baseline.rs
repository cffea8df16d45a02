//! What moka costs on this machine with exactly what the addon builds, no JS
//! in the way: the floor under the binding. `get` hits, updating inserts and
//! evicting inserts over N random string keys (`key:${i}`, encoded as the
//! addon encodes them), for the addon's default cache (no listener, no
//! per-entry expiry), with an eviction listener, with per-entry expiry, and a
//! bare moka cache of `u32` values for reference.
//!
//! Run: `cargo bench --bench moka_baseline` (prints ns/op for N = 1000, 10000
//! and 100000; set MOKA_BASELINE_N=1000,10000 to choose). Build with
//! `--features quanta` to measure moka's optional TSC clock instead of std's.
//! `MOKA_BASELINE_ROUNDS` sets the rounds (3); `MOKA_BASELINE_CONFIGS` keeps
//! the configurations whose names start with one of its comma-separated
//! prefixes; `MOKA_BASELINE_JSON=1` prints one JSON line per size and
//! configuration instead of the table, which is how
//! `benchmark/core-speed.mjs --rust` interleaves this floor with the Node
//! figures.

use std::hint::black_box;
use std::time::{Duration, Instant};

use moka::sync::Cache;
use moka_js::core::{Core, Extra, Options};
use moka_js::value::Deadlines;
use moka_js::Key;

const OPS: usize = 1_000_000;

/// A string key as the addon stores it: a tag unit, then UTF-16.
fn key(prefix: &str, i: usize) -> Key {
    std::iter::once(1u16)
        .chain(format!("{prefix}:{i}").encode_utf16())
        .collect()
}

fn picks(n: usize) -> Vec<usize> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    (0..OPS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        })
        .collect()
}

fn ns(start: Instant, ops: usize) -> f64 {
    start.elapsed().as_nanos() as f64 / ops as f64
}

fn options(n: usize, notify: bool) -> Options {
    Options {
        notify,
        ..Options::entries(n as u64)
    }
}

/// `[get hit, insert update, insert new (evicting)]` in ns/op for one addon configuration.
fn addon<D: Extra>(n: usize, notify: bool, extra: D) -> [f64; 3] {
    let keys: Vec<Key> = (0..n).map(|i| key("key", i)).collect();
    let picks = picks(n);
    let core = Core::<D>::new(&options(n, notify));
    for (i, k) in keys.iter().enumerate() {
        core.insert(k.clone(), i as u32, 1, extra.clone());
    }
    core.run_pending_tasks();
    let t = Instant::now();
    for &i in &picks {
        black_box(core.get(&keys[i]));
    }
    let get = ns(t, OPS);
    let updates: Vec<Key> = picks.iter().map(|&i| keys[i].clone()).collect();
    let t = Instant::now();
    for (slot, k) in updates.into_iter().enumerate() {
        core.insert(k, (n + slot) as u32, 1, extra.clone());
    }
    let update = ns(t, OPS);
    let fresh: Vec<Key> = (0..OPS).map(|i| key("new", i)).collect();
    let t = Instant::now();
    for (slot, k) in fresh.into_iter().enumerate() {
        core.insert(k, slot as u32, 1, extra.clone());
    }
    let evicting = ns(t, OPS);
    // Keep the release queue from growing without bound between runs.
    drop(core);
    [get, update, evicting]
}

/// The same cases on a bare moka cache of `u32` values (`max_capacity` only).
fn bare(n: usize) -> [f64; 3] {
    let keys: Vec<Key> = (0..n).map(|i| key("key", i)).collect();
    let picks = picks(n);
    let cache: Cache<Key, u32, ahash::RandomState> = Cache::builder()
        .max_capacity(n as u64)
        .build_with_hasher(ahash::RandomState::new());
    for (i, k) in keys.iter().enumerate() {
        cache.insert(k.clone(), i as u32);
    }
    cache.run_pending_tasks();
    let t = Instant::now();
    for &i in &picks {
        black_box(cache.get(&keys[i]));
    }
    let get = ns(t, OPS);
    let updates: Vec<Key> = picks.iter().map(|&i| keys[i].clone()).collect();
    let t = Instant::now();
    for (v, k) in updates.into_iter().enumerate() {
        cache.insert(k, v as u32);
    }
    let update = ns(t, OPS);
    let fresh: Vec<Key> = (0..OPS).map(|i| key("new", i)).collect();
    let t = Instant::now();
    for (v, k) in fresh.into_iter().enumerate() {
        cache.insert(k, v as u32);
    }
    [get, update, ns(t, OPS)]
}

fn main() {
    let env = |name: &str| std::env::var(name).ok();
    let sizes: Vec<usize> = env("MOKA_BASELINE_N")
        .unwrap_or_else(|| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rounds: usize = env("MOKA_BASELINE_ROUNDS")
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(3);
    let json = env("MOKA_BASELINE_JSON").as_deref() == Some("1");
    let only: Option<Vec<String>> =
        env("MOKA_BASELINE_CONFIGS").map(|c| c.split(',').map(|p| p.trim().to_owned()).collect());
    let clock = if cfg!(feature = "quanta") {
        "quanta"
    } else {
        "std"
    };
    if !json {
        println!(
            "moka {} ({clock} clock), ns/op over {OPS} ops; rounds interleaved, median of {rounds}",
            env!("MOKA_VERSION")
        );
        println!(
            "{:>7}  {:<28} {:>9} {:>9} {:>9}",
            "keys", "configuration", "get hit", "update", "evicting"
        );
    }
    let deadlines = Deadlines::new(None, Some(Duration::from_secs(3600)));
    for &n in &sizes {
        type Run = Box<dyn Fn() -> [f64; 3]>;
        let all: [(&str, Run); 4] = [
            (
                "addon default (no listener)",
                Box::new(move || addon::<()>(n, false, ())),
            ),
            (
                "addon + eviction listener",
                Box::new(move || addon::<()>(n, true, ())),
            ),
            (
                "addon + perEntryExpiry",
                Box::new(move || addon::<Deadlines>(n, false, deadlines)),
            ),
            ("bare moka, u32 values", Box::new(move || bare(n))),
        ];
        let configs: Vec<(&str, Run)> = all
            .into_iter()
            .filter(|(name, _)| {
                only.as_ref()
                    .is_none_or(|prefixes| prefixes.iter().any(|p| name.starts_with(p.as_str())))
            })
            .collect();
        let mut runs: Vec<Vec<[f64; 3]>> = vec![Vec::new(); configs.len()];
        for _ in 0..rounds {
            for (i, (_, run)) in configs.iter().enumerate() {
                runs[i].push(run());
            }
        }
        for (i, (name, _)) in configs.iter().enumerate() {
            let median = |case: usize| {
                let mut xs: Vec<f64> = runs[i].iter().map(|r| r[case]).collect();
                xs.sort_by(f64::total_cmp);
                xs[xs.len() / 2]
            };
            let [get, update, evicting] = [median(0), median(1), median(2)];
            if json {
                println!(
                    "{{\"keys\":{n},\"configuration\":\"{name}\",\"clock\":\"{clock}\",\"getHit\":{get:.1},\"update\":{update:.1},\"evicting\":{evicting:.1}}}"
                );
            } else {
                println!("{n:>7}  {name:<28} {get:>9.1} {update:>9.1} {evicting:>9.1}");
            }
        }
    }
}
