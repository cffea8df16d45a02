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
    /// `maxCapacity: 0`: moka drops every insert without notifying.
    holds_nothing: bool,
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
            holds_nothing: opts.max_capacity == 0,
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
        if self.holds_nothing {
            // moka would drop the value silently; the slot must still be released.
            self.events.removed(value.slot, moka::notification::RemovalCause::Size);
            return;
        }
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

    /// Removes a live entry and returns its slot. An expired entry is left to
    /// maintenance, which reports it as expired (moka's `remove` would return
    /// its value).
    pub fn remove(&self, key: &[u16]) -> Option<u32> {
        if !self.cache.contains_key(key) {
            return None;
        }
        self.cache.remove(key).map(|v| v.slot)
    }

    /// Removes everything now (moka's `invalidate_all` alone is lazy).
    pub fn clear(&self) {
        self.cache.invalidate_all();
        self.run_pending_tasks();
    }

    /// Runs maintenance to the end. With an eviction listener (ours is always
    /// set) moka stops a run after 100 ms and leaves the rest for later, so
    /// one run can leave invalidated, expired or excess entries behind:
    /// repeat while a run still removed something.
    pub fn run_pending_tasks(&self) {
        let removals = || -> u64 { (EXPIRED..=SIZE).map(|kind| self.events.removals(kind)).sum() };
        loop {
            let before = removals();
            self.cache.run_pending_tasks();
            if removals() == before {
                break;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{KIND_BITS, STATE_COUNT, STATE_HEADER, STATE_MORE};

    /// A core and the state array it publishes into (dropped after the core).
    struct Fixture {
        core: Core,
        state: Box<[u32]>,
    }

    fn fixture(max_capacity: u64, ttl: Option<Duration>) -> Fixture {
        let mut state = vec![0u32; STATE_HEADER + 64].into_boxed_slice();
        let opts = Options { max_capacity, ttl, tti: None, lru: false, weighted: false };
        // SAFETY: the boxed state outlives the core (field order) and never moves.
        let core = unsafe { Core::new(opts, state.as_mut_ptr(), state.len()) };
        Fixture { core, state }
    }

    fn key(i: u32) -> Key {
        Key::from_slice(&[2, i as u16, (i >> 16) as u16])
    }

    fn value(slot: u32) -> Value {
        Value { slot, weight: 1, ttl: None, tti: None }
    }

    /// Takes every published event, as the JS layer's drain does.
    fn drain(f: &mut Fixture) -> Vec<u32> {
        let mut events = Vec::new();
        loop {
            f.core.publish();
            let n = f.state[STATE_COUNT] as usize;
            events.extend_from_slice(&f.state[STATE_HEADER..STATE_HEADER + n]);
            f.state[STATE_COUNT] = 0;
            if n == 0 && f.state[STATE_MORE] == 0 {
                return events;
            }
        }
    }

    fn fill(f: &Fixture, n: u32) {
        for i in 0..n {
            f.core.insert(key(i), value(i));
        }
    }

    /// The cache is empty and exactly `n` removals of `cause` were published.
    fn assert_all_removed(f: &mut Fixture, n: usize, cause: u32) {
        assert_eq!(f.core.cache.entry_count(), 0);
        let events = drain(f);
        assert_eq!(events.len(), n);
        assert!(events.iter().all(|e| e & ((1 << KIND_BITS) - 1) == cause));
    }

    #[test]
    fn clear_removes_everything_in_one_call() {
        // Far more than moka removes in one 100 ms maintenance run.
        let mut f = fixture(1_000_000, None);
        fill(&f, 300_000);
        f.core.clear();
        assert_all_removed(&mut f, 300_000, EXPLICIT);
    }

    #[test]
    fn run_pending_tasks_removes_every_expired_entry() {
        let mut f = fixture(1_000_000, Some(Duration::from_millis(1)));
        fill(&f, 300_000);
        std::thread::sleep(Duration::from_millis(5));
        f.core.run_pending_tasks();
        assert_all_removed(&mut f, 300_000, EXPIRED);
    }

    #[test]
    fn remove_never_returns_an_expired_entry() {
        let mut f = fixture(100, Some(Duration::from_millis(5)));
        f.core.insert(key(1), value(7));
        assert_eq!(f.core.remove(&key(2)), None);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(f.core.remove(&key(1)), None, "expired: not returned");
        f.core.run_pending_tasks();
        assert_eq!(drain(&mut f), vec![7 << KIND_BITS | EXPIRED], "released as expired");
        f.core.insert(key(1), value(8));
        assert_eq!(f.core.remove(&key(1)), Some(8));
        assert_eq!(drain(&mut f), vec![8 << KIND_BITS | EXPLICIT]);
    }

    #[test]
    fn zero_capacity_releases_every_slot() {
        let mut f = fixture(0, None);
        for slot in 0..3 {
            f.core.insert(key(1), value(slot));
        }
        assert_eq!(f.core.get(&key(1)), None);
        let sized: Vec<u32> = (0..3).map(|slot| slot << KIND_BITS | SIZE).collect();
        assert_eq!(drain(&mut f), sized);
        assert_eq!(f.core.stats()[5], 3.0);
    }
}
