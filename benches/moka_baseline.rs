//! What moka itself costs on this machine, with no JS in the way: `get` hits
//! and evicting inserts over N random string keys, against std's `HashMap`,
//! with and without an eviction listener (moka-js always installs one: it is
//! how slots are released and removals counted by cause).
//! Run: `cargo bench --bench moka_baseline` (prints ns/op; N defaults to 100000,
//! override with MOKA_BASELINE_N).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

type Key = smallvec::SmallVec<[u16; 27]>;

fn key(prefix: &str, i: usize) -> Key {
    format!("{prefix}:{i}").encode_utf16().collect()
}

fn main() {
    let n: usize = std::env::var("MOKA_BASELINE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let keys: Vec<Key> = (0..n).map(|i| key("key", i)).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let picks: Vec<usize> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        })
        .collect();

    let map: HashMap<Key, u32, ahash::RandomState> = keys.iter().cloned().zip(0..).collect();
    let t = Instant::now();
    for &i in &picks {
        black_box(map.get(&keys[i][..]));
    }
    report(n, "HashMap get hit", t, picks.len());

    let policies = [
        ("tinyLfu", EvictionPolicy::tiny_lfu(), true),
        ("lru", EvictionPolicy::lru(), true),
        ("tinyLfu, no listener,", EvictionPolicy::tiny_lfu(), false),
    ];
    for (name, policy, listener) in policies {
        let mut builder = Cache::builder()
            .max_capacity(n as u64)
            .eviction_policy(policy);
        if listener {
            builder = builder.eviction_listener(|_, _, _| {});
        }
        let cache: Cache<Key, u32, ahash::RandomState> =
            builder.build_with_hasher(ahash::RandomState::new());
        for (i, k) in keys.iter().enumerate() {
            cache.insert(k.clone(), i as u32);
        }
        cache.run_pending_tasks();
        let t = Instant::now();
        for &i in &picks {
            black_box(cache.get(&keys[i][..]));
        }
        report(n, &format!("moka {name} get hit"), t, picks.len());
        let fresh: Vec<Key> = (0..n * 2).map(|i| key("new", i)).collect();
        let t = Instant::now();
        let count = fresh.len();
        for (i, k) in fresh.into_iter().enumerate() {
            cache.insert(k, i as u32);
        }
        report(n, &format!("moka {name} insert new (evicting)"), t, count);
    }
}

fn report(n: usize, what: &str, start: Instant, ops: usize) {
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{n} keys  {what:<34} {ns:>8.1} ns/op");
}
