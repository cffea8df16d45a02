//! One JS `Moka` instance on the native side: a moka cache of slot handles.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use crate::entry::Value;
use crate::events::{Events, EXPIRED, EXPLICIT, REPLACED, SIZE};
use crate::expiry::PerEntry;
use crate::key::Key;

/// Options as the JS layer validated and normalised them.
pub struct Options {
    pub max_capacity: u64,
    pub ttl: Option<Duration>,
    pub tti: Option<Duration>,
    pub lru: bool,
    pub weighted: bool,
}

pub struct Core {
    pub cache: Cache<Key, Value, ahash::RandomState>,
    pub events: Arc<Events>,
    /// The `Uint32Array` shared with JS (see `events`); kept alive by the
    /// methods object that owns this core.
    state: *mut u32,
    state_len: usize,
    hits: Cell<u64>,
    misses: Cell<u64>,
}

impl Core {
    /// # Safety
    /// `state` must stay valid for `state_len` `u32`s while the core is used.
    pub unsafe fn new(opts: Options, state: *mut u32, state_len: usize) -> Core {
        let events = Arc::new(Events::default());
        let listener_events = Arc::clone(&events);
        let mut builder = Cache::builder()
            .max_capacity(opts.max_capacity)
            .eviction_listener(move |_key, value: Value, cause| {
                listener_events.removed(value.slot, cause)
            })
            .expire_after(PerEntry)
            .eviction_policy(if opts.lru {
                EvictionPolicy::lru()
            } else {
                EvictionPolicy::tiny_lfu()
            });
        if let Some(ttl) = opts.ttl {
            builder = builder.time_to_live(ttl);
        }
        if let Some(tti) = opts.tti {
            builder = builder.time_to_idle(tti);
        }
        if opts.weighted {
            builder = builder.weigher(|_key, value: &Value| value.weight);
        }
        Core {
            cache: builder.build_with_hasher(ahash::RandomState::new()),
            events,
            state,
            state_len,
            hits: Cell::new(0),
            misses: Cell::new(0),
        }
    }

    /// Hands queued events to JS; called after every native method.
    #[inline]
    pub fn publish(&self) {
        // SAFETY: `state` outlives the core (see `new`).
        unsafe { self.events.publish(self.state, self.state_len) }
    }

    /// The slot of a live, unexpired entry; counts a hit or a miss.
    #[inline]
    pub fn get(&self, key: &[u16]) -> Option<u32> {
        let slot = self.cache.get(key).map(|v| v.slot);
        let counter = if slot.is_some() { &self.hits } else { &self.misses };
        counter.set(counter.get() + 1);
        slot
    }

    #[inline]
    pub fn insert(&self, key: Key, value: Value) {
        self.cache.insert(key, value);
    }

    /// Removes `key` only while it still maps to `slot`.
    pub fn remove_slot(&self, key: &[u16], slot: u32) -> bool {
        use moka::ops::compute::{CompResult, Op};
        let result = self
            .cache
            .entry(key.into())
            .and_compute_with(|current| match current {
                Some(e) if e.value().slot == slot => Op::Remove,
                _ => Op::Nop,
            });
        matches!(result, CompResult::Removed(_))
    }

    /// Removes everything now (moka's `invalidate_all` alone is lazy).
    pub fn clear(&self) {
        self.cache.invalidate_all();
        self.cache.run_pending_tasks();
    }

    /// Live slots; expired entries are skipped.
    pub fn slots(&self) -> Vec<i32> {
        self.cache.iter().map(|(_, v)| v.slot as i32).collect()
    }

    /// `[hits, misses, expired, explicit, replaced, size]`.
    pub fn stats(&self) -> [f64; 6] {
        let e = |kind| self.events.removals(kind) as f64;
        [
            self.hits.get() as f64,
            self.misses.get() as f64,
            e(EXPIRED),
            e(EXPLICIT),
            e(REPLACED),
            e(SIZE),
        ]
    }
}
