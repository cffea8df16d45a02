//! One shared cache: a moka `sync::Cache` of byte values, used from every
//! thread that holds a handle on it.
//!
//! moka calls its eviction listener under its own locks, so the listener
//! installed here (only when some thread wants notifications: moka takes a
//! per-key lock around every write once one is set) counts the removal and
//! queues it on the subscribed ports; no JS runs there.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::ops::compute::{CompResult, Op};
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::flight::Flights;
use super::key::Key;
use super::port::{Delivery, Port};
use super::value::Value;
use crate::expiry::PerEntry;
use crate::ffi::{type_error, JsResult};
use crate::maintenance::until_settled;

/// Removal causes, in the order the JS layer names them.
pub const EXPIRED: u32 = 0;
pub const EXPLICIT: u32 = 1;
pub const REPLACED: u32 = 2;
pub const SIZE: u32 = 3;

/// The options that make a cache what it is; every handle must agree on them.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub max_capacity: u64,
    /// Milliseconds.
    pub ttl: Option<f64>,
    pub tti: Option<f64>,
    pub lru: bool,
    /// Capacity counts key + value bytes instead of entries.
    pub weigh_bytes: bool,
    /// The serializer's format code (the JS layer's: 1 JSON, 2 v8, 3 custom).
    pub serializer: u8,
    /// Removals are counted and notified (an `evictionListener` exists).
    pub notify: bool,
    /// Entries may carry their own ttl/tti (moka's `expire_after`, which costs every call).
    pub per_entry: bool,
}

impl Options {
    /// A cache of `max_capacity` entries and no other option (the defaults of `new SharedMoka`).
    pub fn entries(max_capacity: u64) -> Options {
        Options {
            max_capacity,
            ttl: None,
            tti: None,
            lru: false,
            weigh_bytes: false,
            serializer: 2,
            notify: false,
            per_entry: false,
        }
    }

    /// A `TypeError` naming the first option in which `asked` differs from
    /// the cache's. A handle without a listener may attach to a cache that
    /// notifies; one with a listener cannot attach to one that does not.
    pub fn check_attach(&self, name: &str, asked: &Options) -> JsResult<()> {
        let show_ms = |ms: Option<f64>| ms.map_or("none".to_string(), |ms| format!("{ms} ms"));
        let show_bool = |b: bool| b.to_string();
        let differs: Option<(&str, String, String)> = if self.max_capacity != asked.max_capacity {
            Some((
                "maxCapacity",
                self.max_capacity.to_string(),
                asked.max_capacity.to_string(),
            ))
        } else if self.ttl != asked.ttl {
            Some(("ttl", show_ms(self.ttl), show_ms(asked.ttl)))
        } else if self.tti != asked.tti {
            Some(("tti", show_ms(self.tti), show_ms(asked.tti)))
        } else if self.lru != asked.lru {
            let policy = |lru| if lru { "'lru'" } else { "'tinyLfu'" }.to_string();
            Some(("policy", policy(self.lru), policy(asked.lru)))
        } else if self.weigh_bytes != asked.weigh_bytes {
            let weigher = |bytes| if bytes { "'bytes'" } else { "none" }.to_string();
            Some((
                "weigher",
                weigher(self.weigh_bytes),
                weigher(asked.weigh_bytes),
            ))
        } else if self.serializer != asked.serializer {
            let serializer = |format| {
                match format {
                    1 => "'json'",
                    2 => "'v8'",
                    _ => "a custom one",
                }
                .to_string()
            };
            Some((
                "serializer",
                serializer(self.serializer),
                serializer(asked.serializer),
            ))
        } else if self.per_entry != asked.per_entry {
            Some((
                "perEntryExpiry",
                show_bool(self.per_entry),
                show_bool(asked.per_entry),
            ))
        } else if asked.notify && !self.notify {
            Some(("evictionListener", show_bool(false), show_bool(true)))
        } else {
            None
        };
        match differs {
            None => Ok(()),
            Some((option, has, wants)) => type_error(format!(
                "SharedMoka {name:?} exists with {option} {has}; this handle asked for {wants}. \
                 Every thread must open it with the same options{}",
                if option == "evictionListener" {
                    " (a listener needs the cache to be created with one: moka decides at creation)"
                } else {
                    ""
                }
            )),
        }
    }
}

/// A counter bumped from many threads: one cache line per shard.
#[derive(Default)]
struct Counter([Padded; 8]);

#[derive(Default)]
#[repr(align(64))]
struct Padded(AtomicU64);

thread_local! {
    static SHARD: usize = {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        (NEXT.fetch_add(1, Ordering::Relaxed) % 8) as usize
    };
}

impl Counter {
    fn bump(&self) {
        let shard = SHARD.with(|s| *s);
        self.0[shard].0.fetch_add(1, Ordering::Relaxed);
    }

    fn total(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Ordering::Relaxed)).sum()
    }
}

/// Removals by cause, and the ports that want them.
#[derive(Default)]
struct Removals {
    counts: [AtomicU64; 4],
    subscribers: RwLock<Vec<Arc<Port>>>,
}

impl Removals {
    /// Runs inside moka's listener: counts and queues, never panics.
    fn record(&self, key: &Arc<Key>, value: &Value, cause: u32) {
        self.counts[cause as usize].fetch_add(1, Ordering::Relaxed);
        let subscribers = self.subscribers.read().unwrap_or_else(|p| p.into_inner());
        for port in subscribers.iter() {
            port.push(Delivery::Removed {
                key: Arc::clone(key),
                value: value.clone(),
                cause,
            });
        }
    }

    fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

pub struct SharedCache {
    pub name: String,
    pub options: Options,
    moka: Cache<Key, Value, ahash::RandomState>,
    pub flights: Flights,
    hits: Counter,
    misses: Counter,
    removals: Option<Arc<Removals>>,
}

fn cause_of(cause: RemovalCause) -> u32 {
    match cause {
        RemovalCause::Expired => EXPIRED,
        RemovalCause::Explicit => EXPLICIT,
        RemovalCause::Replaced => REPLACED,
        RemovalCause::Size => SIZE,
    }
}

/// Weight of an entry with `weigher: 'bytes'`: its key and payload bytes.
pub fn byte_weight(key: &[u8], value: &Value) -> u64 {
    (key.len() + value.payload().len()) as u64
}

/// At most this many maintenance runs per `run_pending_tasks`.
const MAX_MAINTENANCE_RUNS: usize = 64;

impl SharedCache {
    /// Builds the cache. Durations must be validated (moka panics past 1000 years).
    pub fn new(name: String, options: Options) -> SharedCache {
        let ms = |ms: f64| Duration::from_secs_f64(ms / 1000.0);
        let mut builder = Cache::builder()
            .max_capacity(options.max_capacity)
            .eviction_policy(if options.lru {
                EvictionPolicy::lru()
            } else {
                EvictionPolicy::tiny_lfu()
            });
        if options.per_entry {
            builder = builder.expire_after(PerEntry::new());
        }
        if let Some(ttl) = options.ttl {
            builder = builder.time_to_live(ms(ttl));
        }
        if let Some(tti) = options.tti {
            builder = builder.time_to_idle(ms(tti));
        }
        if options.weigh_bytes {
            builder = builder.weigher(|key: &Key, value: &Value| {
                byte_weight(key, value).min(u32::MAX as u64) as u32
            });
        }
        let removals = options.notify.then(|| Arc::new(Removals::default()));
        if let Some(removals) = &removals {
            let removals = Arc::clone(removals);
            builder = builder.eviction_listener(move |key, value: Value, cause| {
                removals.record(&key, &value, cause_of(cause))
            });
        }
        SharedCache {
            name,
            options,
            moka: builder.build_with_hasher(ahash::RandomState::new()),
            flights: Flights::default(),
            hits: Counter::default(),
            misses: Counter::default(),
            removals,
        }
    }

    /// A live entry's value; counts a hit or a miss.
    pub fn get(&self, key: &[u8]) -> Option<Value> {
        let value = self.moka.get(key);
        if value.is_some() {
            &self.hits
        } else {
            &self.misses
        }
        .bump();
        value
    }

    /// A live entry's value, not counted in the statistics.
    pub fn peek(&self, key: &[u8]) -> Option<Value> {
        self.moka.get(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.moka.contains_key(key)
    }

    pub fn insert(&self, key: Key, value: Value) {
        if self.options.max_capacity == 0 {
            // moka would drop the value silently; report it as evicted.
            if let Some(removals) = &self.removals {
                removals.record(&Arc::new(key), &value, SIZE);
            }
            return;
        }
        self.moka.insert(key, value);
    }

    /// Stores `value` unless `key` has a live entry; returns that entry's value.
    pub fn insert_if_absent(&self, key: Key, value: Value) -> Option<Value> {
        if self.options.max_capacity == 0 {
            self.insert(key, value);
            return None;
        }
        let entry = self.moka.entry(key).or_insert(value);
        (!entry.is_fresh()).then(|| entry.into_value())
    }

    /// Removes a live entry and returns its value. An expired entry is left
    /// to maintenance (moka's `remove` would return it).
    pub fn remove(&self, key: &[u8]) -> Option<Value> {
        if !self.moka.contains_key(key) {
            return None;
        }
        self.moka.remove(key)
    }

    /// Removes `key` only while it still holds this very `value`.
    pub fn remove_if_same(&self, key: &Key, value: &Value) -> bool {
        let result = self
            .moka
            .entry_by_ref(key)
            .and_compute_with(|current| match current {
                Some(e) if e.value().same(value) => Op::Remove,
                _ => Op::Nop,
            });
        matches!(result, CompResult::Removed(_))
    }

    /// Removes everything now (moka's `invalidate_all` alone is lazy).
    pub fn clear(&self) {
        self.moka.invalidate_all();
        self.run_pending_tasks();
    }

    /// Runs maintenance to the end: repeats while a run still changed the
    /// entry count or removed something. Bounded, for writers on other
    /// threads never stop adding work.
    pub fn run_pending_tasks(&self) {
        let progress = || {
            let removed = self.removals.as_ref().map_or(0, |r| r.total());
            (self.moka.entry_count(), removed)
        };
        until_settled(MAX_MAINTENANCE_RUNS, progress, || {
            self.moka.run_pending_tasks()
        });
    }

    pub fn entry_count(&self) -> u64 {
        self.moka.entry_count()
    }

    pub fn weighted_size(&self) -> u64 {
        self.moka.weighted_size()
    }

    /// The live entries now (expired ones skipped).
    pub fn snapshot(&self) -> Vec<(Arc<Key>, Value)> {
        self.moka.iter().collect()
    }

    /// `[hits, misses, expired, explicit, replaced, size]`; the removals are
    /// `NaN` when the cache does not count them.
    pub fn stats(&self) -> [f64; 6] {
        let removed = |cause: u32| {
            self.removals.as_ref().map_or(f64::NAN, |r| {
                r.counts[cause as usize].load(Ordering::Relaxed) as f64
            })
        };
        [
            self.hits.total() as f64,
            self.misses.total() as f64,
            removed(EXPIRED),
            removed(EXPLICIT),
            removed(REPLACED),
            removed(SIZE),
        ]
    }

    /// Delivers removals to `port` from now on.
    pub fn subscribe(&self, port: &Arc<Port>) {
        if let Some(removals) = &self.removals {
            removals
                .subscribers
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .push(Arc::clone(port));
        }
    }

    pub fn unsubscribe(&self, port: &Arc<Port>) {
        if let Some(removals) = &self.removals {
            removals
                .subscribers
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|p| !Arc::ptr_eq(p, port));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::value::{EntryTimes, BYTES};

    fn options() -> Options {
        Options::entries(100)
    }

    fn value(byte: u8) -> Value {
        Value::build(BYTES, EntryTimes::default(), 1, |b| b[0] = byte).unwrap()
    }

    #[test]
    fn attaching_names_the_first_option_that_differs() {
        let cache = options();
        assert!(cache.check_attach("c", &options()).is_ok());
        let ttl = Options {
            ttl: Some(5.0),
            ..options()
        };
        let err = format!("{:?}", cache.check_attach("c", &ttl).unwrap_err());
        assert!(err.contains("ttl none") && err.contains("5 ms"), "{err}");
        let listener = Options {
            notify: true,
            ..options()
        };
        assert!(
            format!("{:?}", cache.check_attach("c", &listener).unwrap_err())
                .contains("evictionListener")
        );
        assert!(
            listener.check_attach("c", &cache).is_ok(),
            "a handle without a listener attaches"
        );
    }

    #[test]
    fn conditional_removal_spares_a_replaced_entry() {
        let cache = SharedCache::new("t".into(), options());
        let key = Key::from_slice(b"\x01k");
        let first = value(1);
        cache.insert(key.clone(), first.clone());
        cache.insert(key.clone(), value(2));
        assert!(!cache.remove_if_same(&key, &first));
        let second = cache.peek(&key).unwrap();
        assert!(cache.remove_if_same(&key, &second));
        assert!(cache.peek(&key).is_none());
    }

    #[test]
    fn insert_if_absent_returns_the_value_already_there() {
        let cache = SharedCache::new("t".into(), options());
        let key = Key::from_slice(b"\x01k");
        assert!(cache.insert_if_absent(key.clone(), value(1)).is_none());
        let existing = cache.insert_if_absent(key, value(2)).unwrap();
        assert_eq!(existing.payload(), &[1]);
    }

    #[test]
    fn removals_are_counted_only_when_notifying() {
        let quiet = SharedCache::new("q".into(), options());
        assert!(quiet.stats()[3].is_nan());
        let loud = SharedCache::new(
            "l".into(),
            Options {
                notify: true,
                ..options()
            },
        );
        let key = Key::from_slice(b"\x01k");
        loud.insert(key.clone(), value(1));
        loud.insert(key.clone(), value(2));
        loud.remove(&key);
        loud.run_pending_tasks();
        assert_eq!(&loud.stats()[2..], &[0.0, 1.0, 1.0, 0.0]);
    }
}
