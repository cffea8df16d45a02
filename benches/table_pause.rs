//! The longest request of a full, evicting moka cache of 1,000,000 entries
//! with smaller hash tables: moka's `Cache` (the addon's build: one table of
//! 64 segments), the same with `initial_capacity`, `SegmentedCache`s of 16,
//! 64 and 256 caches, each a `Cache` of its share of the capacity with a
//! table of its own (64 segments each), and 16 or 64 `Cache`s with hashers of
//! their own (see `Table::Split`). moka rehashes a table
//! segment whole, when it grows and when tombstones fill a tenth of it, on the
//! request that tips it.
//!
//! Each variant is filled with 1,000,000 keys not in the stream (untimed),
//! then runs the same 3,000,000 requests (get, and insert on a miss; keys of
//! the addon's type, uniform or Zipf over 2,000,000, so it keeps evicting),
//! each timed on the thread's CPU clock; `run_pending_tasks` every 10,000
//! requests, as a timer would, timed apart. Reports the longest requests, the
//! 99.99th percentile, the counts over 1 and 5 ms, the mean, and the hit
//! ratio on that stream (what splitting the capacity costs).
//!
//! ```sh
//! cargo bench --bench table_pause
//! ADAPTIVE_NO_THP=1 cargo bench --bench table_pause   # no huge pages for the process
//! ```
//!
//! `TABLE_PAUSE_ONLY=name` runs the variants whose name contains it;
//! `TABLE_PAUSE_WHEN=1` prints when each of the longest requests started on
//! `CLOCK_MONOTONIC`, to find its samples in a `perf record -k
//! CLOCK_MONOTONIC` profile, as for `adaptive_pause`.

#[path = "common/pause.rs"]
mod pause;

use std::time::Duration;

use moka::sync::{Cache, SegmentedCache};
use moka_js::Key;
use pause::{faults, monotonic, no_huge_pages_if_asked, thread_cpu};

const CAPACITY: u64 = 1_000_000;
const KEYS: u64 = 2_000_000;
const REQUESTS: usize = 3_000_000;
const MAINTENANCE_EVERY: usize = 10_000;
const ZIPF_EXPONENT: f64 = 0.8;

type Hasher = ahash::RandomState;

enum Table {
    Whole(Cache<Key, u32, Hasher>),
    Segmented(SegmentedCache<Key, u32, Hasher>),
    /// `Cache`s each with a hasher of its own seed, picked by a hash of a
    /// third: what `SegmentedCache` would need for smaller table segments
    /// (its caches share one hasher, and it and their tables both index by
    /// the hash's top bits, so a cache's keys fill only 64/N of its table's
    /// segments while N <= 64).
    Split(Vec<Cache<Key, u32, Hasher>>, Hasher),
}

impl Table {
    fn get(&self, k: &Key) -> Option<u32> {
        match self {
            Table::Whole(c) => c.get(k),
            Table::Segmented(c) => c.get(k),
            Table::Split(caches, h) => Table::pick(caches, h, k).get(k),
        }
    }

    fn insert(&self, k: Key, v: u32) {
        match self {
            Table::Whole(c) => c.insert(k, v),
            Table::Segmented(c) => c.insert(k, v),
            Table::Split(caches, h) => Table::pick(caches, h, &k).insert(k, v),
        }
    }

    fn run_pending_tasks(&self) {
        match self {
            Table::Whole(c) => c.run_pending_tasks(),
            Table::Segmented(c) => c.run_pending_tasks(),
            Table::Split(caches, _) => caches.iter().for_each(Cache::run_pending_tasks),
        }
    }

    fn pick<'a>(
        caches: &'a [Cache<Key, u32, Hasher>],
        h: &Hasher,
        k: &Key,
    ) -> &'a Cache<Key, u32, Hasher> {
        &caches[(h.hash_one(k) % caches.len() as u64) as usize]
    }
}

/// A variant's name, and how to build it.
type Variant = (&'static str, Box<dyn Fn() -> Table>);

fn variants() -> Vec<Variant> {
    let segmented = |n: usize| {
        move || {
            Table::Segmented(
                SegmentedCache::builder(n)
                    .max_capacity(CAPACITY)
                    .build_with_hasher(Hasher::new()),
            )
        }
    };
    let split = |n: u64| {
        move || {
            let caches = (0..n)
                .map(|_| {
                    Cache::builder()
                        .max_capacity(CAPACITY / n)
                        .build_with_hasher(Hasher::new())
                })
                .collect();
            Table::Split(caches, Hasher::new())
        }
    };
    vec![
        (
            "Cache",
            Box::new(|| {
                Table::Whole(
                    Cache::builder()
                        .max_capacity(CAPACITY)
                        .build_with_hasher(Hasher::new()),
                )
            }),
        ),
        (
            "Cache, initial_capacity 1M",
            Box::new(|| {
                Table::Whole(
                    Cache::builder()
                        .max_capacity(CAPACITY)
                        .initial_capacity(CAPACITY as usize)
                        .build_with_hasher(Hasher::new()),
                )
            }),
        ),
        ("SegmentedCache 16", Box::new(segmented(16))),
        ("SegmentedCache 64", Box::new(segmented(64))),
        ("SegmentedCache 256", Box::new(segmented(256))),
        ("16 Caches, own hashers", Box::new(split(16))),
        ("64 Caches, own hashers", Box::new(split(64))),
    ]
}

fn key(i: u64) -> Key {
    Key::from_slice(&[2, i as u16, (i >> 16) as u16, (i >> 32) as u16])
}

/// splitmix64: a fixed, seeded stream, the same for every variant.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn uniform() -> Vec<u64> {
    let mut r = Random(1);
    (0..REQUESTS).map(|_| r.next() % KEYS).collect()
}

/// Zipf over `KEYS` by inverting its cumulative distribution; key ranks are
/// scattered so that hot keys are not neighbours.
fn zipf() -> Vec<u64> {
    let mut cdf = Vec::with_capacity(KEYS as usize);
    let mut sum = 0.0;
    for rank in 1..=KEYS {
        sum += (rank as f64).powf(-ZIPF_EXPONENT);
        cdf.push(sum);
    }
    let mut r = Random(2);
    (0..REQUESTS)
        .map(|_| {
            let rank = cdf.partition_point(|&c| c < r.unit() * sum) as u64;
            rank.wrapping_mul(0x9e37_79b9_7f4a_7c15) % (1 << 40)
        })
        .collect()
}

/// The longest requests: CPU time, wall time, page faults, which request,
/// when it started on `CLOCK_MONOTONIC`.
type Longest = (Duration, Duration, i64, usize, Duration);

const TOP: usize = 3;

fn run(table: &Table, stream: &[u64]) -> (Vec<u32>, Vec<Longest>, Duration, f64) {
    // Fill with keys outside the stream's range (untimed).
    for i in 0..CAPACITY {
        table.insert(key((1 << 41) + i), 0);
    }
    table.run_pending_tasks();
    let mut cpu_ns = Vec::with_capacity(stream.len());
    let mut longest: Vec<Longest> = Vec::new();
    let mut longest_maintenance = Duration::ZERO;
    let mut hits = 0u64;
    for (n, &i) in stream.iter().enumerate() {
        let k = key(i);
        let (started, cpu, faulted) = (monotonic(), thread_cpu(), faults());
        let hit = table.get(&k).is_some();
        if !hit {
            table.insert(k, n as u32);
        }
        let cpu = thread_cpu() - cpu;
        let (wall, faulted) = (monotonic() - started, faults() - faulted);
        hits += hit as u64;
        cpu_ns.push(cpu.as_nanos().min(u32::MAX as u128) as u32);
        if longest.len() < TOP || cpu > longest[TOP - 1].0 {
            longest.push((cpu, wall, faulted, n, started));
            longest.sort_by_key(|l| std::cmp::Reverse(l.0));
            longest.truncate(TOP);
        }
        if (n + 1) % MAINTENANCE_EVERY == 0 {
            let cpu = thread_cpu();
            table.run_pending_tasks();
            longest_maintenance = longest_maintenance.max(thread_cpu() - cpu);
        }
    }
    let hit_ratio = hits as f64 / stream.len() as f64;
    (cpu_ns, longest, longest_maintenance, hit_ratio)
}

fn main() {
    no_huge_pages_if_asked();
    let only = std::env::var("TABLE_PAUSE_ONLY").unwrap_or_default();
    let when = std::env::var_os("TABLE_PAUSE_WHEN").is_some();
    let ms = |ns: f64| ns / 1e6;
    for (stream_name, stream) in [("uniform", uniform()), ("Zipf 0.8", zipf())] {
        println!(
            "{stream_name} over {KEYS} keys, {REQUESTS} requests, capacity {CAPACITY}; \
             CPU ms unless said"
        );
        println!(
            "| variant | longest requests (CPU/wall ms, faults, #) | 99.99th pct | > 1 ms | > 5 ms | mean ns | longest runPendingTasks | hit ratio % |"
        );
        for (name, build) in variants().into_iter().filter(|v| v.0.contains(&*only)) {
            let table = build();
            let (mut cpu_ns, longest, maintenance, hit_ratio) = run(&table, &stream);
            drop(table);
            let mean = cpu_ns.iter().map(|&n| n as f64).sum::<f64>() / cpu_ns.len() as f64;
            let over = |limit_ns: u32| cpu_ns.iter().filter(|&&n| n > limit_ns).count();
            let (over_1, over_5) = (over(1_000_000), over(5_000_000));
            cpu_ns.sort_unstable();
            let p9999 = cpu_ns[cpu_ns.len() * 9999 / 10000];
            let longest = longest
                .iter()
                .map(|(cpu, wall, faults, n, started)| {
                    let at = if when {
                        format!(" at {:.6} s", started.as_secs_f64())
                    } else {
                        String::new()
                    };
                    format!(
                        "{:.2}/{:.2} ({faults}, #{n}{at})",
                        ms(cpu.as_nanos() as f64),
                        ms(wall.as_nanos() as f64)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "| {name} | {longest} | {:.3} | {over_1} | {over_5} | {mean:.0} | {:.2} | {:.2} |",
                ms(p9999 as f64),
                ms(maintenance.as_nanos() as f64),
                hit_ratio * 100.0
            );
        }
    }
}
