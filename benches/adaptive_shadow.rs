//! Can a cache tell, while it runs and cheaply, which of moka's two eviction
//! policies serves its workload better? A measured prototype of an adaptive
//! policy (docs/adaptive.md); the library is not changed.
//!
//! Per trace@capacity row it replays the trace (get; insert on a miss) through
//! full-size moka TinyLFU and LRU builds and an exact LRU, and through two
//! hash-sampled shadows (SHARDS, Waldspurger et al., ATC 2017): a moka TinyLFU
//! and a moka LRU build at capacity × rate, fed only the keys whose hash falls
//! under the rate. Every epoch (a fixed number of sampled accesses) the shadows
//! name a winner; an adaptive cache follows them with hysteresis, switching
//! between two real moka builds with an incremental migration. Then it times
//! feeding the shadows against a `get` of the addon's own cache, interleaved.
//!
//! Run: `cargo bench --bench adaptive_shadow`. Environment:
//! `ADAPTIVE_ONLY=oltp,gli` keeps the rows of those traces; `ADAPTIVE_SHADOW`
//! lists the shadows' target entries, one table each (512,2048; the cost is
//! timed for the first); `ADAPTIVE_EPOCH` sets the sampled requests per epoch
//! (500) and `ADAPTIVE_EPOCH_CAPACITIES` the least requests per epoch, in
//! capacities (1); `ADAPTIVE_MARGIN` the shadow difference in points that
//! counts as a preference (1) and `ADAPTIVE_STREAK` how many epochs in a row it
//! must hold before a switch (2); `ADAPTIVE_LEAD` the other policy's lead over
//! that streak, in hits per capacity, that a switch also needs (0);
//! `ADAPTIVE_SEEDS` the sampling seeds (5);
//! `ADAPTIVE_ROUNDS` the cost rounds (9; 0 skips the cost);
//! `ADAPTIVE_MAX_REQUESTS` cuts every trace to its first requests.

use std::collections::HashMap;
use std::hash::Hash;
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use moka_js::core::{Core, Options};
use moka_js::Key;

/// The rows of the comparison: the trace points where the better policy
/// changes between TinyLFU and LRU.
const ROWS: [(&str, u64); 11] = [
    ("oltp", 250),
    ("oltp", 1000),
    ("oltp", 2000),
    ("corda", 1000),
    ("scarab", 100_000),
    ("sprite", 256),
    ("sprite", 768),
    ("web12", 512),
    ("loop", 512),
    ("gli", 1000),
    ("multi2", 1000),
];

/// Fixed seeds for moka's hasher: TinyLFU's frequency sketch hashes with it, so
/// a random seed moves TinyLFU's hit ratio between runs.
const MOKA_SEED: u64 = 0x6d6f_6b61;

/// A key is sampled when `hash % SAMPLE_MODULUS < threshold`.
const SAMPLE_MODULUS: u64 = 1 << 24;

struct Settings {
    /// Target entries of each shadow; one table per size.
    shadow_sizes: Vec<u64>,
    epoch_samples: u64,
    epoch_capacities: u64,
    margin_pp: f64,
    streak: u32,
    /// The other policy's estimated lead in hits over the streak, in
    /// capacities, that a switch also needs (0: the streak alone).
    lead_capacities: f64,
    seeds: u64,
    rounds: usize,
    max_requests: usize,
    only: Option<Vec<String>>,
}

impl Settings {
    fn from_env() -> Settings {
        let shadow_sizes: Vec<u64> = std::env::var("ADAPTIVE_SHADOW")
            .unwrap_or_else(|_| "512,2048".into())
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .filter(|&v| v > 0)
            .collect();
        fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        }
        Settings {
            shadow_sizes: if shadow_sizes.is_empty() {
                vec![512]
            } else {
                shadow_sizes
            },
            epoch_samples: var("ADAPTIVE_EPOCH", 500u64).max(1),
            epoch_capacities: var("ADAPTIVE_EPOCH_CAPACITIES", 1u64),
            margin_pp: var("ADAPTIVE_MARGIN", 1.0),
            streak: var("ADAPTIVE_STREAK", 2u32).max(1),
            lead_capacities: var("ADAPTIVE_LEAD", 0.0),
            seeds: var("ADAPTIVE_SEEDS", 5u64).max(1),
            rounds: var("ADAPTIVE_ROUNDS", 9usize),
            max_requests: var("ADAPTIVE_MAX_REQUESTS", usize::MAX),
            only: std::env::var("ADAPTIVE_ONLY")
                .ok()
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()),
        }
    }
}

/// benchmark/traces/NAME.trace.gz: gzip text, one integer key per line.
fn load_trace(name: &str, max_requests: usize) -> Vec<u32> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "benchmark",
        "traces",
        &format!("{name}.trace.gz"),
    ]
    .iter()
    .collect();
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|line| line.expect("trace read"))
        .filter(|line| !line.trim().is_empty())
        .take(max_requests)
        .map(|line| line.trim().parse().expect("trace line is an integer key"))
        .collect()
}

type Moka<K> = Cache<K, (), ahash::RandomState>;

fn moka<K: Hash + Eq + Send + Sync + 'static>(capacity: u64, lru: bool) -> Moka<K> {
    Cache::builder()
        .max_capacity(capacity)
        .eviction_policy(if lru {
            EvictionPolicy::lru()
        } else {
            EvictionPolicy::tiny_lfu()
        })
        .build_with_hasher(ahash::RandomState::with_seeds(MOKA_SEED, 1, 2, 3))
}

/// One request of the replay: get, and insert on a miss. Maintenance runs when
/// moka runs it itself, as in an application.
fn replay(cache: &Moka<u32>, key: u32) -> bool {
    let hit = cache.get(&key).is_some();
    if !hit {
        cache.insert(key, ());
    }
    hit
}

/// LRU with exact recency order: a map to slots of a doubly linked list.
struct ExactLru {
    capacity: usize,
    slot_of: HashMap<u32, u32>,
    keys: Vec<u32>,
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Most recent.
    head: u32,
    /// Least recent.
    tail: u32,
}

const NIL: u32 = u32::MAX;

impl ExactLru {
    fn new(capacity: usize) -> ExactLru {
        ExactLru {
            capacity,
            slot_of: HashMap::with_capacity(capacity),
            keys: Vec::with_capacity(capacity),
            prev: Vec::with_capacity(capacity),
            next: Vec::with_capacity(capacity),
            head: NIL,
            tail: NIL,
        }
    }

    fn unlink(&mut self, s: u32) {
        let (p, n) = (self.prev[s as usize], self.next[s as usize]);
        if p == NIL {
            self.head = n;
        } else {
            self.next[p as usize] = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.prev[n as usize] = p;
        }
    }

    fn push_front(&mut self, s: u32) {
        self.prev[s as usize] = NIL;
        self.next[s as usize] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = s;
        }
        self.head = s;
        if self.tail == NIL {
            self.tail = s;
        }
    }

    fn replay(&mut self, key: u32) -> bool {
        if let Some(&s) = self.slot_of.get(&key) {
            if s != self.head {
                self.unlink(s);
                self.push_front(s);
            }
            return true;
        }
        let s = if self.keys.len() < self.capacity {
            self.keys.push(key);
            self.prev.push(NIL);
            self.next.push(NIL);
            (self.keys.len() - 1) as u32
        } else {
            let s = self.tail;
            self.unlink(s);
            self.slot_of.remove(&self.keys[s as usize]);
            self.keys[s as usize] = key;
            s
        };
        self.slot_of.insert(key, s);
        self.push_front(s);
        false
    }
}

/// Spatial sampling: a key is in the sample or not for the whole run, so the
/// sampled keys keep their reuse distances (scaled by the rate).
struct Sampler {
    hasher: ahash::RandomState,
    threshold: u64,
}

impl Sampler {
    fn new(rate: f64, seed: u64) -> Sampler {
        Sampler {
            hasher: ahash::RandomState::with_seeds(seed, seed ^ 0x5a5a, 7, 11),
            threshold: (rate * SAMPLE_MODULUS as f64).round() as u64,
        }
    }

    #[inline]
    fn sampled<K: Hash + ?Sized>(&self, key: &K) -> bool {
        self.hasher.hash_one(key) % SAMPLE_MODULUS < self.threshold
    }
}

/// Sampling rate and shadow capacity for a cache of `capacity` entries.
fn shadow_scale(capacity: u64, target_entries: u64) -> (f64, u64) {
    let rate = (target_entries as f64 / capacity as f64).min(1.0);
    let entries = ((capacity as f64 * rate).round() as u64).max(1);
    (rate, entries)
}

/// The two shadows, a moka TinyLFU and a moka LRU of the scaled capacity, and
/// their hits in the current epoch.
struct Shadows<K: Hash + Eq + Send + Sync + 'static> {
    sampler: Sampler,
    tiny_lfu: Moka<K>,
    lru: Moka<K>,
    samples: u64,
    tiny_lfu_hits: u64,
    lru_hits: u64,
}

impl<K: Hash + Eq + Send + Sync + Clone + 'static> Shadows<K> {
    fn new(capacity: u64, target_entries: u64, seed: u64) -> Shadows<K> {
        let (rate, entries) = shadow_scale(capacity, target_entries);
        Shadows {
            sampler: Sampler::new(rate, seed),
            tiny_lfu: moka(entries, false),
            lru: moka(entries, true),
            samples: 0,
            tiny_lfu_hits: 0,
            lru_hits: 0,
        }
    }

    /// Called on every get of the real cache: a hash and a compare, and for a
    /// sampled key the same replay step in both shadows. The borrowed key is
    /// made an owned one only when a shadow inserts it.
    #[inline]
    fn observe<Q>(&mut self, key: &Q, to_owned: impl Fn(&Q) -> K) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.sampler.sampled(key) {
            return false;
        }
        self.samples += 1;
        for (shadow, hits) in [
            (&self.tiny_lfu, &mut self.tiny_lfu_hits),
            (&self.lru, &mut self.lru_hits),
        ] {
            if shadow.get(key).is_some() {
                *hits += 1;
            } else {
                shadow.insert(to_owned(key), ());
            }
        }
        true
    }

    /// TinyLFU's hit ratio minus LRU's in the shadows this epoch, in points;
    /// starts the next epoch.
    fn close_epoch(&mut self) -> f64 {
        let diff = 100.0 * (self.tiny_lfu_hits as f64 - self.lru_hits as f64) / self.samples as f64;
        self.samples = 0;
        self.tiny_lfu_hits = 0;
        self.lru_hits = 0;
        diff
    }
}

/// A cache on one moka build at a time. A switch builds the other policy
/// empty; until it has taken `capacity` inserts the old build answers its
/// misses (a key found there moves over), then the old build is dropped.
struct SwitchingCache {
    capacity: u64,
    active: Moka<u32>,
    active_is_lru: bool,
    draining: Option<Moka<u32>>,
    inserts_since_switch: u64,
}

impl SwitchingCache {
    fn new(capacity: u64) -> SwitchingCache {
        SwitchingCache {
            capacity,
            // Today's default policy.
            active: moka(capacity, false),
            active_is_lru: false,
            draining: None,
            inserts_since_switch: 0,
        }
    }

    fn migrating(&self) -> bool {
        self.draining.is_some()
    }

    fn switch(&mut self) {
        self.active_is_lru = !self.active_is_lru;
        let old = std::mem::replace(&mut self.active, moka(self.capacity, self.active_is_lru));
        self.draining = Some(old);
        self.inserts_since_switch = 0;
    }

    fn replay(&mut self, key: u32) -> bool {
        if self.active.get(&key).is_some() {
            return true;
        }
        let hit = self
            .draining
            .as_ref()
            .is_some_and(|old| old.remove(&key).is_some());
        self.active.insert(key, ());
        if self.draining.is_some() {
            self.inserts_since_switch += 1;
            if self.inserts_since_switch >= self.capacity {
                self.draining = None;
            }
        }
        hit
    }
}

/// The full-size replays of one row: per request, whether TinyLFU (bit 0) and
/// moka's LRU (bit 1) hit; and the exact LRU's hits.
struct FullReplay {
    hit_bits: Vec<u8>,
    tiny_lfu_hits: u64,
    lru_hits: u64,
    exact_lru_hits: u64,
}

fn full_replay(trace: &[u32], capacity: u64) -> FullReplay {
    let tiny_lfu = moka(capacity, false);
    let lru = moka(capacity, true);
    let mut exact = ExactLru::new(capacity as usize);
    let mut out = FullReplay {
        hit_bits: Vec::with_capacity(trace.len()),
        tiny_lfu_hits: 0,
        lru_hits: 0,
        exact_lru_hits: 0,
    };
    for &k in trace {
        let t = replay(&tiny_lfu, k);
        let l = replay(&lru, k);
        out.tiny_lfu_hits += t as u64;
        out.lru_hits += l as u64;
        out.exact_lru_hits += exact.replay(k) as u64;
        out.hit_bits.push(t as u8 | (l as u8) << 1);
    }
    out
}

/// One adaptive run of a row with one sampling seed.
struct AdaptiveRun {
    /// The switching cache's hits (real builds, migration included).
    hits: u64,
    /// Hits had each switch been free: the full cache of the policy in force.
    free_switch_hits: u64,
    /// Hits of the better full cache in each epoch (an upper bound for
    /// switching at epoch boundaries).
    epoch_oracle_hits: u64,
    epochs: u32,
    /// Epochs where the full caches differ by at least the margin.
    decisive_epochs: u32,
    /// Of those, the ones where the shadows favour the same policy.
    agreeing_epochs: u32,
    switches: u32,
    sampled_requests: u64,
}

fn adaptive_run(
    trace: &[u32],
    capacity: u64,
    full: &FullReplay,
    settings: &Settings,
    shadow_entries: u64,
    seed: u64,
) -> AdaptiveRun {
    let mut shadows: Shadows<u32> = Shadows::new(capacity, shadow_entries, seed);
    let mut cache = SwitchingCache::new(capacity);
    let mut run = AdaptiveRun {
        hits: 0,
        free_switch_hits: 0,
        epoch_oracle_hits: 0,
        epochs: 0,
        decisive_epochs: 0,
        agreeing_epochs: 0,
        switches: 0,
        sampled_requests: 0,
    };
    let mut streak = 0u32;
    let mut lead = 0.0f64;
    let (mut epoch_start, mut epoch_tiny_lfu, mut epoch_lru) = (0usize, 0u64, 0u64);
    for (i, &k) in trace.iter().enumerate() {
        run.hits += cache.replay(k) as u64;
        let bits = full.hit_bits[i];
        let (t, l) = ((bits & 1) as u64, (bits >> 1) as u64);
        run.free_switch_hits += if cache.active_is_lru { l } else { t };
        epoch_tiny_lfu += t;
        epoch_lru += l;
        if !shadows.observe(&k, |&k| k) {
            continue;
        }
        run.sampled_requests += 1;
        if shadows.samples < settings.epoch_samples
            || ((i + 1 - epoch_start) as u64) < settings.epoch_capacities * capacity
        {
            continue;
        }
        let shadow_diff = shadows.close_epoch();
        let requests = (i + 1 - epoch_start) as f64;
        let full_diff = 100.0 * (epoch_tiny_lfu as f64 - epoch_lru as f64) / requests;
        run.epochs += 1;
        run.epoch_oracle_hits += epoch_tiny_lfu.max(epoch_lru);
        if full_diff.abs() >= settings.margin_pp {
            run.decisive_epochs += 1;
            if shadow_diff * full_diff > 0.0 {
                run.agreeing_epochs += 1;
            }
        }
        (epoch_start, epoch_tiny_lfu, epoch_lru) = (i + 1, 0, 0);
        let prefers_lru = if shadow_diff > settings.margin_pp {
            Some(false)
        } else if shadow_diff < -settings.margin_pp {
            Some(true)
        } else {
            None
        };
        // The shadows' lead scaled to the full cache's requests in this epoch.
        let epoch_lead = shadow_diff.abs() / 100.0 * requests;
        (streak, lead) = match prefers_lru {
            Some(lru) if lru != cache.active_is_lru => (streak + 1, lead + epoch_lead),
            _ => (0, 0.0),
        };
        if streak >= settings.streak
            && lead >= settings.lead_capacities * capacity as f64
            && !cache.migrating()
        {
            cache.switch();
            run.switches += 1;
            (streak, lead) = (0, 0.0);
        }
    }
    // The unfinished last epoch counts for the oracle as it ran.
    run.epoch_oracle_hits += epoch_tiny_lfu.max(epoch_lru);
    run
}

fn pct(hits: u64, requests: usize) -> f64 {
    100.0 * hits as f64 / requests as f64
}

fn median_and_range(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

/// A JS number key as the addon stores it: the number tag, then the f64's bits.
fn number_key(k: u32) -> Key {
    let b = f64::from(k).to_bits();
    Key::from_slice(&[
        2,
        b as u16,
        (b >> 16) as u16,
        (b >> 32) as u16,
        (b >> 48) as u16,
    ])
}

/// ns per `get` hit of the addon's own cache holding `capacity` number keys,
/// at pseudo-random picks.
fn time_get(capacity: u64, keys: &[Key], picks: &[u32]) -> f64 {
    let core = Core::<()>::new(&Options::entries(capacity));
    for (i, k) in keys.iter().enumerate() {
        core.insert(k.clone(), i as u32, 1, ());
    }
    core.run_pending_tasks();
    let t = Instant::now();
    for &i in picks {
        black_box(core.get(&keys[i as usize]));
    }
    t.elapsed().as_nanos() as f64 / picks.len() as f64
}

/// ns per request of feeding fresh shadows (addon keys) the whole trace at the
/// row's rate, and the share of requests sampled; a `target_entries` of 0
/// times the sampling test alone.
fn time_feed(capacity: u64, target_entries: u64, trace_keys: &[Key]) -> (f64, f64) {
    let mut shadows: Shadows<Key> = Shadows::new(capacity, target_entries, 1);
    let mut sampled = 0u64;
    let t = Instant::now();
    for k in trace_keys {
        sampled += black_box(shadows.observe(k, Key::clone)) as u64;
    }
    let ns = t.elapsed().as_nanos() as f64 / trace_keys.len() as f64;
    (ns, sampled as f64 / trace_keys.len() as f64)
}

/// Pseudo-random key indices below `n`, the same every run.
fn picks(n: usize, count: usize) -> Vec<u32> {
    let hasher = ahash::RandomState::with_seeds(3, 5, 7, 9);
    (0..count)
        .map(|i| (hasher.hash_one(i) % n as u64) as u32)
        .collect()
}

const GET_OPS: usize = 500_000;

fn main() {
    let settings = Settings::from_env();
    let rows: Vec<(&str, u64)> = ROWS
        .iter()
        .copied()
        .filter(|(name, _)| {
            settings
                .only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == name))
        })
        .collect();
    let mut traces: HashMap<&str, Vec<u32>> = HashMap::new();
    for &(name, _) in &rows {
        traces
            .entry(name)
            .or_insert_with(|| load_trace(name, settings.max_requests));
    }

    println!(
        "moka {}; epoch = {} sampled requests and at least {} × capacity requests; switch when \
         the shadows differ by > {} pp for {} epochs in a row, leading by {} × capacity hits; {} sampling seeds (adaptive: \
         median, range)",
        env!("MOKA_VERSION"),
        settings.epoch_samples,
        settings.epoch_capacities,
        settings.margin_pp,
        settings.streak,
        settings.lead_capacities,
        settings.seeds,
    );
    let mut tables: Vec<Vec<String>> = vec![Vec::new(); settings.shadow_sizes.len()];
    for &(name, capacity) in &rows {
        let trace = &traces[name];
        let n = trace.len();
        let started = Instant::now();
        let full = full_replay(trace, capacity);
        let best = full.tiny_lfu_hits.max(full.lru_hits);
        for (table, &shadow_entries) in tables.iter_mut().zip(&settings.shadow_sizes) {
            let runs: Vec<AdaptiveRun> = (0..settings.seeds)
                .map(|seed| {
                    adaptive_run(trace, capacity, &full, &settings, shadow_entries, seed + 1)
                })
                .collect();
            let (adaptive, low, high) =
                median_and_range(runs.iter().map(|r| pct(r.hits, n)).collect());
            let (free, _, _) =
                median_and_range(runs.iter().map(|r| pct(r.free_switch_hits, n)).collect());
            let (oracle, _, _) =
                median_and_range(runs.iter().map(|r| pct(r.epoch_oracle_hits, n)).collect());
            let agreeing: u32 = runs.iter().map(|r| r.agreeing_epochs).sum();
            let decisive: u32 = runs.iter().map(|r| r.decisive_epochs).sum();
            let epochs: u32 = runs.iter().map(|r| r.epochs).sum();
            let switches: Vec<String> = runs.iter().map(|r| r.switches.to_string()).collect();
            let (rate, entries) = shadow_scale(capacity, shadow_entries);
            let range = if high - low >= 0.01 {
                format!(" ({low:.2}–{high:.2})")
            } else {
                String::new()
            };
            table.push(format!(
                "| {name} @ {capacity} | {n} | {:.2} | {:.2} | {:.2} | {:.2} | {adaptive:.2}{range} | \
                 {:+.2} | {free:.2} | {oracle:.2} | {agreeing}/{decisive} of {epochs} | {} | \
                 {entries} ({:.3}) |",
                pct(full.exact_lru_hits, n),
                pct(full.lru_hits, n),
                pct(full.tiny_lfu_hits, n),
                pct(best, n),
                adaptive - pct(best, n),
                switches.join("/"),
                rate,
            ));
        }
        eprintln!(
            "  {name} @ {capacity}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    for (table, shadow_entries) in tables.iter().zip(&settings.shadow_sizes) {
        println!(
            "\nShadows of {shadow_entries} entries (rate = entries / capacity, at most 1), hit ratio %:\n"
        );
        println!(
            "| trace @ capacity | requests | exact LRU | moka LRU | moka TinyLFU | best of two | \
             adaptive | adaptive − best | free switch | epoch oracle | epochs agreeing | switches | \
             shadow entries (rate) |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for line in table {
            println!("{line}");
        }
    }

    if settings.rounds == 0 {
        return;
    }
    // Cost, for the first shadow size: rounds interleave the get and the feeds, and each feed is divided
    // by the get timed in the same round at the same capacity. The feed is
    // a fixed part (the sampling test) plus the rate times the cost of a
    // sampled request; solving for the rate that costs 5 % in all says how
    // large a shadow the budget allows at that capacity.
    println!(
        "\nCost of shadows of {} entries, % of a get hit on the addon's cache of the row's \
         capacity (number keys), median (range) of {} interleaved rounds:\n",
        settings.shadow_sizes[0], settings.rounds
    );
    println!(
        "| trace @ capacity | get hit ns | sampling test alone | shadows fed | one sampled request, \
         in gets | shadow entries within 5 % |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    struct CostInput {
        capacity: u64,
        keys: Vec<Key>,
        picks: Vec<u32>,
        trace_keys: Vec<Key>,
    }
    let inputs: Vec<CostInput> = rows
        .iter()
        .map(|&(name, capacity)| CostInput {
            capacity,
            keys: (0..capacity as u32).map(number_key).collect(),
            picks: picks(capacity as usize, GET_OPS),
            trace_keys: traces[name].iter().map(|&k| number_key(k)).collect(),
        })
        .collect();
    // Per row: get ns, test %, fed %, a sampled request in gets.
    let mut samples: Vec<[Vec<f64>; 4]> = vec![Default::default(); rows.len()];
    for round in 0..settings.rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..rows.len()).collect()
        } else {
            (0..rows.len()).rev().collect()
        };
        for i in order {
            let input = &inputs[i];
            let get = time_get(input.capacity, &input.keys, &input.picks);
            let (test, _) = time_feed(input.capacity, 0, &input.trace_keys);
            let (fed, rate) =
                time_feed(input.capacity, settings.shadow_sizes[0], &input.trace_keys);
            samples[i][0].push(get);
            samples[i][1].push(100.0 * test / get);
            samples[i][2].push(100.0 * fed / get);
            samples[i][3].push((fed - test) / rate / get);
        }
    }
    for (i, &(name, capacity)) in rows.iter().enumerate() {
        let [get, test, fed, per_sample] = samples[i].clone().map(median_and_range);
        let budget_rate = ((5.0 - test.0) / 100.0 / per_sample.0).clamp(0.0, 1.0);
        println!(
            "| {name} @ {capacity} | {:.1} ({:.1}–{:.1}) | {:.1} % ({:.1}–{:.1}) | \
             {:.1} % ({:.1}–{:.1}) | {:.1} ({:.1}–{:.1}) | {:.0} |",
            get.0,
            get.1,
            get.2,
            test.0,
            test.1,
            test.2,
            fed.0,
            fed.1,
            fed.2,
            per_sample.0,
            per_sample.1,
            per_sample.2,
            capacity as f64 * budget_rate,
        );
    }
}
