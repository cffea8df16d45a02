//! One JS `Moka` instance on the native side: a moka cache of slot handles,
//! built with only the machinery its options need.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;
use moka::sync::{Cache, CacheBuilder};

use crate::adaptive::relay::Relay;
use crate::adaptive::{Adaptive, Change, Policy};
use crate::events::Events;
use crate::expiry::{Clocks, PerEntry};
use crate::ffi::{type_error, JsResult};
use crate::key::{Key, KeyRef, StoredHash};
use crate::maintenance::until_settled;
use crate::protocol::{EXPIRED, EXPLICIT, RELEASED, REPLACED, SIZE};
use crate::value::{Carried, Deadlines, Value};

/// Options as the JS layer validated and normalised them.
#[derive(Clone)]
pub struct Options {
    pub max_capacity: u64,
    pub ttl: Option<Duration>,
    pub tti: Option<Duration>,
    pub lru: bool,
    pub weighted: bool,
    /// Install moka's eviction listener: removals are reported with their
    /// cause. Costs moka's per-key locks on every write.
    pub notify: bool,
    /// `policy: 'adaptive'`: start on TinyLFU, switch builds when the other
    /// policy would serve the reads better (`adaptive`).
    pub adaptive: bool,
    /// `perEntryExpiry: true`: a write may carry its own `ttl`/`tti`.
    pub per_entry_expiry: bool,
}

impl Options {
    /// A cache of `max_capacity` entries and no other option (the defaults of `new Moka`).
    pub fn entries(max_capacity: u64) -> Options {
        Options {
            max_capacity,
            ttl: None,
            tti: None,
            lru: false,
            weighted: false,
            notify: false,
            adaptive: false,
            per_entry_expiry: false,
        }
    }
}

/// One moka build of the cache.
pub type Build<D> = Cache<Key, Value<D>, StoredHash>;

type Builder<D> = CacheBuilder<Key, Value<D>, Cache<Key, Value<D>>>;

/// What a cache keeps per entry besides slot and weight: nothing, the
/// per-entry deadlines its `Expiry` reads, or (an adaptive cache with expiry)
/// those and the clocks an entry carries from build to build.
pub trait Extra: Clone + Send + Sync + 'static {
    /// `configure` gives moka an `Expiry`: entries can expire one by one.
    const EXPIRES: bool = false;
    fn configure(builder: Builder<Self>, opts: &Options) -> Builder<Self>;
    /// What to store for an entry written with these per-entry options
    /// (allowed or not: `Core::entry_extra` decides).
    fn per_entry(ttl: Option<Duration>, tti: Option<Duration>) -> JsResult<Self>;
    /// The entry moves to another build (`policy: 'adaptive'`).
    fn moved(&mut self) {}
}

impl Extra for () {
    fn configure(builder: Builder<Self>, _: &Options) -> Builder<Self> {
        builder
    }

    fn per_entry(_: Option<Duration>, _: Option<Duration>) -> JsResult<Self> {
        Ok(())
    }
}

impl Extra for Deadlines {
    const EXPIRES: bool = true;

    fn configure(builder: Builder<Self>, _: &Options) -> Builder<Self> {
        builder.expire_after(PerEntry::new())
    }

    fn per_entry(ttl: Option<Duration>, tti: Option<Duration>) -> JsResult<Self> {
        Ok(Deadlines::new(ttl, tti))
    }
}

impl Extra for Carried {
    const EXPIRES: bool = true;

    fn configure(builder: Builder<Self>, opts: &Options) -> Builder<Self> {
        builder.expire_after(PerEntry::carrying(opts.ttl, opts.tti))
    }

    fn per_entry(ttl: Option<Duration>, tti: Option<Duration>) -> JsResult<Self> {
        Ok(Carried {
            own: Deadlines::new(ttl, tti),
            clocks: Clocks::new(),
        })
    }

    fn moved(&mut self) {
        self.clocks.moved();
    }
}

pub struct Core<D: Extra> {
    /// The build in force (with `adaptive`, the newest).
    pub cache: Build<D>,
    pub events: Arc<Events>,
    hits: Cell<u64>,
    misses: Cell<u64>,
    /// `maxCapacity: 0`: moka drops every insert without notifying.
    holds_nothing: bool,
    /// Entries can expire (a `ttl`, a `tti` or an `Expiry`): moka's table
    /// can then hold an entry that is no longer live.
    expires: bool,
    notify: bool,
    /// moka reports removals to a listener: values are `notified`, never
    /// `released_on_drop`.
    listener: Option<Arc<Relay>>,
    /// References to `events` held by other than stored values (the core's,
    /// an adaptive cache's relay's): see `settle_releases`.
    own_event_refs: usize,
    adaptive: Option<Box<Adaptive<D>>>,
    opts: Options,
    /// The next publish hands over every queued release, not only a full batch.
    publish_all: Cell<bool>,
}

/// Without a listener, releases are handed to JS in batches of at least this
/// many (or all of them once maintenance has settled): each hand-over costs
/// Node-API calls and a JS loop, and a release only returns a slot to reuse.
const RELEASE_BATCH: usize = 64;

impl<D: Extra> Core<D> {
    pub fn new(opts: &Options) -> Core<D> {
        let events = Arc::new(Events::default());
        // An adaptive cache moves entries between builds without moka's
        // listener unless the user has one (`relay`).
        let relay = (opts.notify || opts.adaptive)
            .then(|| Arc::new(Relay::new(Arc::clone(&events), opts.notify)));
        let listener = relay.clone().filter(|_| opts.notify);
        let adaptive = relay
            .filter(|_| opts.adaptive)
            .map(|relay| Box::new(Adaptive::new(relay, opts.max_capacity)));
        Core {
            own_event_refs: Arc::strong_count(&events),
            cache: build(opts, Policy::from_lru(opts.lru), listener.as_ref()),
            events,
            hits: Cell::new(0),
            misses: Cell::new(0),
            holds_nothing: opts.max_capacity == 0,
            expires: D::EXPIRES || opts.ttl.is_some() || opts.tti.is_some(),
            notify: opts.notify,
            listener,
            adaptive,
            opts: opts.clone(),
            publish_all: Cell::new(false),
        }
    }

    /// Whether `adapt` has work: a switch or the end of a migration.
    #[inline]
    pub fn wants_adapt(&self) -> bool {
        self.adaptive.as_ref().is_some_and(|a| a.change().is_some())
    }

    /// Switches builds, or drops an emptied old build, as `adaptive` asked.
    pub fn adapt(&mut self) {
        let Some(adaptive) = self.adaptive.as_deref_mut() else {
            return;
        };
        match adaptive.change() {
            Some(Change::Switch(policy)) => {
                let new = build(&self.opts, policy, self.listener.as_ref());
                let old = std::mem::replace(&mut self.cache, new);
                adaptive.switched(old, policy);
            }
            Some(Change::Finish) => adaptive.finish(),
            None => {}
        }
    }

    /// Switches an adaptive cache to the other policy now (tests).
    #[cfg(test)]
    pub fn switch_now(&mut self) {
        if let Some(adaptive) = &self.adaptive {
            adaptive.switch_now();
        }
        self.adapt();
    }

    /// `[policy, switches, migrating, shadow hit ratios...]` of an adaptive
    /// cache (see `Adaptive::info`); empty for the others.
    pub fn adaptive_info(&self) -> Vec<f64> {
        self.adaptive
            .as_ref()
            .map_or_else(Vec::new, |a| a.info().to_vec())
    }

    /// Entries in every build, after `run_pending_tasks`.
    pub fn entry_count(&self) -> u64 {
        self.cache.entry_count() + self.old().map_or(0, |old| old.entry_count())
    }

    pub fn weighted_size(&self) -> u64 {
        self.cache.weighted_size() + self.old().map_or(0, |old| old.weighted_size())
    }

    /// Whether a live entry has `key`; not a read.
    pub fn contains<'k>(&self, key: impl Into<KeyRef<'k>>) -> bool {
        let key = key.into();
        self.cache.contains_key(&key) || self.old().is_some_and(|old| old.contains_key(&key))
    }

    /// The build a switch left behind, while it still holds entries.
    fn old(&self) -> Option<&Build<D>> {
        self.adaptive.as_ref().and_then(|a| a.old())
    }

    /// Whether queued events go to JS now. Notifications always do (the
    /// listener runs before the call that caused them returns); bare releases
    /// wait for a batch, or for maintenance that was asked to settle.
    #[inline]
    pub fn publish_now(&self) -> bool {
        let now = self.would_publish();
        self.publish_all.set(false);
        now
    }

    /// What the next `publish_now` will answer, without answering it.
    #[inline]
    pub fn would_publish(&self) -> bool {
        self.notify || self.publish_all.get() || self.events.queued() >= RELEASE_BATCH
    }

    /// Takes what the handle would hand to JS after a call, and drops it:
    /// for the benches, whose queue would otherwise grow without end (and
    /// time its reallocations).
    #[doc(hidden)]
    pub fn discard_published(&self) {
        if self.events.pending() && self.publish_now() {
            self.events.discard();
        }
    }

    /// Makes the next publish hand over everything queued.
    pub fn publish_all_next(&self) {
        self.publish_all.set(true);
    }

    /// The slot of a live, unexpired entry; counts a hit or a miss.
    #[inline(always)]
    pub fn get<'k>(&self, key: impl Into<KeyRef<'k>>) -> Option<u32> {
        let key = key.into();
        let mut slot = self.cache.get(&key).map(|v| v.slot());
        if let Some(adaptive) = &self.adaptive {
            slot = adaptive.get(&self.cache, key, slot);
        }
        let counter = if slot.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.set(counter.get() + 1);
        slot
    }

    /// What an entry written with these per-entry durations keeps, refused
    /// unless the cache was created with `perEntryExpiry` (an adaptive cache
    /// with only a cache-wide `ttl`/`tti` keeps clocks per entry, but no
    /// durations of its own).
    pub fn entry_extra(&self, ttl: Option<Duration>, tti: Option<Duration>) -> JsResult<D> {
        if (ttl.is_some() || tti.is_some()) && !self.opts.per_entry_expiry {
            return type_error("per-entry ttl/tti need a cache created with perEntryExpiry: true");
        }
        D::per_entry(ttl, tti)
    }

    #[inline]
    pub fn insert(&self, key: Key, slot: u32, weight: u32, extra: D) {
        if self.holds_nothing {
            // moka would drop the value without a word; the slot must still be released.
            self.events.removed(slot, RemovalCause::Size);
            return;
        }
        let value = if self.listener.is_some() {
            Value::notified(slot, weight, extra)
        } else {
            Value::released_on_drop(slot, weight, extra, &self.events)
        };
        if let Some(adaptive) = &self.adaptive {
            adaptive.inserted(&self.cache, key.key_ref(), weight);
        }
        self.cache.insert(key, value);
    }

    /// Removes `key` only while it still maps to `slot`.
    pub fn remove_slot<'k>(&self, key: impl Into<KeyRef<'k>>, slot: u32) -> bool {
        let key = key.into();
        remove_slot(&self.cache, key, slot)
            || self.old().is_some_and(|old| remove_slot(old, key, slot))
    }

    /// Removes a live entry and returns its slot. An expired entry is left to
    /// maintenance, which reports it as expired (moka's `remove` would return
    /// its value).
    pub fn remove<'k>(&self, key: impl Into<KeyRef<'k>>) -> Option<u32> {
        let key = key.into();
        remove(&self.cache, key, self.expires)
            .or_else(|| self.old().and_then(|old| remove(old, key, self.expires)))
    }

    /// Removes everything now (moka's `invalidate_all` alone is lazy).
    pub fn clear(&self) {
        self.cache.invalidate_all();
        if let Some(old) = self.old() {
            old.invalidate_all();
        }
        self.run_pending_tasks();
    }

    /// Runs maintenance to the end, and waits for moka to drop what it removed.
    ///
    /// moka processes a bounded share of its logs per run, and stops a run
    /// after 100 ms when a listener is set: repeat while a run still changed
    /// something. Removed entries are dropped through crossbeam-epoch, which
    /// frees a few bags of garbage per flush: flush while that still releases
    /// slots and more slots are held than entries exist.
    pub fn run_pending_tasks(&self) {
        // One thread: no writer elsewhere adds work, so no bound is needed.
        let progress = || {
            (
                self.cache.entry_count(),
                self.cache.weighted_size(),
                self.events.total(),
            )
        };
        let settle = || until_settled(usize::MAX, progress, || self.cache.run_pending_tasks());
        match &self.adaptive {
            Some(adaptive) => adaptive.run_pending_tasks(&self.cache, settle),
            None => settle(),
        }
        if self.listener.is_none() {
            self.settle_releases();
        }
        self.publish_all_next();
    }

    fn settle_releases(&self) {
        // Each stored value holds one reference to `events`.
        let held = || (Arc::strong_count(&self.events) - self.own_event_refs) as u64;
        let mut idle_flushes = 0;
        while held() > self.entry_count() && idle_flushes < 4 {
            let before = self.events.released_total();
            crossbeam_epoch::pin().flush();
            idle_flushes = if self.events.released_total() == before {
                idle_flushes + 1
            } else {
                0
            };
        }
    }

    /// Live slots; expired entries are skipped.
    pub fn slots(&self) -> Vec<i32> {
        let old = self.old().into_iter().flat_map(|old| old.iter());
        self.cache
            .iter()
            .chain(old)
            .map(|(_, v)| v.slot() as i32)
            .collect()
    }

    /// In the order of `protocol::STATS`.
    pub fn stats(&self) -> [f64; 7] {
        let e = |kind| self.events.removals(kind) as f64;
        [
            self.hits.get() as f64,
            self.misses.get() as f64,
            e(EXPIRED),
            e(EXPLICIT),
            e(REPLACED),
            e(SIZE),
            e(RELEASED),
        ]
    }
}

impl Policy {
    fn from_lru(lru: bool) -> Policy {
        if lru {
            Policy::Lru
        } else {
            Policy::TinyLfu
        }
    }
}

/// A moka build with the options' machinery and `policy`.
fn build<D: Extra>(opts: &Options, policy: Policy, listener: Option<&Arc<Relay>>) -> Build<D> {
    let mut builder = D::configure(Cache::builder().max_capacity(opts.max_capacity), opts)
        .eviction_policy(match policy {
            Policy::Lru => EvictionPolicy::lru(),
            Policy::TinyLfu => EvictionPolicy::tiny_lfu(),
        });
    if let Some(relay) = listener {
        let relay = Arc::clone(relay);
        builder = builder.eviction_listener(move |_key, value: Value<D>, cause| {
            relay.removed(value.slot(), cause)
        });
    }
    if let Some(ttl) = opts.ttl {
        builder = builder.time_to_live(ttl);
    }
    if let Some(tti) = opts.tti {
        builder = builder.time_to_idle(tti);
    }
    if opts.weighted {
        builder = builder.weigher(|_key, value: &Value<D>| value.weight);
    }
    builder.build_with_hasher(StoredHash)
}

/// Removes `key` from `build` only while it still maps to `slot`.
fn remove_slot<D: Extra>(build: &Build<D>, key: KeyRef<'_>, slot: u32) -> bool {
    use moka::ops::compute::{CompResult, Op};
    let result = build
        .entry(key.to_key())
        .and_compute_with(|current| match current {
            Some(e) if e.value().slot() == slot => Op::Remove,
            _ => Op::Nop,
        });
    matches!(result, CompResult::Removed(_))
}

/// Removes a live entry of `build` and returns its slot. Only where entries
/// can expire can moka's table hold one that is not live (`clear` leaves
/// none of those `invalidate_all` hides), so elsewhere a hit costs one lookup
/// and one clock read, not two.
fn remove<D: Extra>(build: &Build<D>, key: KeyRef<'_>, expires: bool) -> Option<u32> {
    if expires && !build.contains_key(&key) {
        return None;
    }
    build.remove(&key).map(|v| v.slot())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::KIND_BITS;

    fn core<D: Extra>(max_capacity: u64, ttl: Option<Duration>, notify: bool) -> Core<D> {
        Core::new(&Options {
            ttl,
            notify,
            ..Options::entries(max_capacity)
        })
    }

    fn key(i: u32) -> Key {
        Key::from_slice(&[2, i as u16, (i >> 16) as u16])
    }

    /// Takes every published event, as the JS layer's drain does.
    pub fn drain<D: Extra>(core: &Core<D>) -> Vec<u32> {
        core.events.take_all()
    }

    /// Drains events, running maintenance between drains, until `done` holds
    /// of all those drained or 10 s have passed. Releases without a listener
    /// are eventual: other test threads pinned in crossbeam-epoch can hold
    /// back the garbage moka deferred.
    pub fn drain_until<D: Extra>(core: &Core<D>, mut done: impl FnMut(&[u32]) -> bool) -> Vec<u32> {
        let mut events = drain(core);
        let started = std::time::Instant::now();
        while !done(&events) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
            core.run_pending_tasks();
            events.extend(drain(core));
        }
        events
    }

    fn fill<D: Extra>(core: &Core<D>, n: u32, extra: D) {
        for i in 0..n {
            core.insert(key(i), i, 1, extra.clone());
        }
    }

    /// The cache is empty and exactly `n` removals of `cause` were published,
    /// one per slot.
    fn assert_all_removed<D: Extra>(core: &Core<D>, n: u32, cause: u32) {
        assert_eq!(core.cache.entry_count(), 0);
        let mut events = drain_until(core, |events| events.len() >= n as usize);
        assert!(events.iter().all(|e| e & ((1 << KIND_BITS) - 1) == cause));
        events.sort_unstable();
        let expected: Vec<u32> = (0..n).map(|slot| slot << KIND_BITS | cause).collect();
        assert_eq!(events, expected);
    }

    #[test]
    fn clear_removes_everything_in_one_call() {
        // Far more than moka removes in one 100 ms maintenance run.
        let c = core::<()>(1_000_000, None, true);
        fill(&c, 300_000, ());
        c.clear();
        assert_all_removed(&c, 300_000, EXPLICIT);
    }

    #[test]
    fn without_a_listener_clear_releases_every_slot_once() {
        let c = core::<()>(1_000_000, None, false);
        fill(&c, 300_000, ());
        c.clear();
        assert_all_removed(&c, 300_000, RELEASED);
    }

    #[test]
    fn without_a_listener_replaced_and_evicted_slots_are_released() {
        let c = core::<()>(100, None, false);
        for i in 0..1000 {
            c.insert(key(i % 150), i, 1, ());
        }
        let events = drain_until(&c, |events| events.len() + c.slots().len() >= 1000);
        let live = c.slots();
        let mut released: Vec<u32> = events.iter().map(|e| e >> KIND_BITS).collect();
        released.sort_unstable();
        let count = released.len();
        released.dedup();
        assert_eq!(count, released.len(), "no slot released twice");
        assert_eq!(
            released.len() + live.len(),
            1000,
            "every slot is live or released"
        );
        assert!(live.iter().all(|s| !released.contains(&(*s as u32))));
    }

    #[test]
    fn run_pending_tasks_removes_every_expired_entry() {
        let c = core::<()>(1_000_000, Some(Duration::from_millis(1)), true);
        fill(&c, 300_000, ());
        std::thread::sleep(Duration::from_millis(5));
        c.run_pending_tasks();
        assert_all_removed(&c, 300_000, EXPIRED);
    }

    #[test]
    fn per_entry_deadlines_expire_entries() {
        let c = core::<Deadlines>(100, None, true);
        c.insert(
            key(1),
            1,
            1,
            Deadlines::new(Some(Duration::from_millis(5)), None),
        );
        c.insert(key(2), 2, 1, Deadlines::new(None, None));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(c.get(&key(1)), None);
        assert_eq!(c.get(&key(2)), Some(2));
    }

    #[test]
    fn remove_never_returns_an_expired_entry() {
        let c = core::<()>(100, Some(Duration::from_millis(5)), true);
        c.insert(key(1), 7, 1, ());
        assert_eq!(c.remove(&key(2)), None);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(c.remove(&key(1)), None, "expired: not returned");
        c.run_pending_tasks();
        assert_eq!(
            drain(&c),
            vec![7 << KIND_BITS | EXPIRED],
            "released as expired"
        );
        c.insert(key(1), 8, 1, ());
        assert_eq!(c.remove(&key(1)), Some(8));
        assert_eq!(drain(&c), vec![8 << KIND_BITS | EXPLICIT]);
    }

    #[test]
    fn remove_after_clear_finds_nothing_cleared() {
        // No expiry: `remove` asks moka's `remove` alone, which would
        // return an entry that `invalidate_all` hid and maintenance kept.
        for notify in [true, false] {
            let c = core::<()>(100, None, notify);
            fill(&c, 50, ());
            c.clear();
            assert_all_removed(&c, 50, if notify { EXPLICIT } else { RELEASED });
            assert!((0..50).all(|i| c.remove(&key(i)).is_none()));
            c.insert(key(1), 60, 1, ());
            assert_eq!(c.remove(&key(1)), Some(60));
            let removed = if notify { EXPLICIT } else { RELEASED };
            assert_eq!(
                drain_until(&c, |events| !events.is_empty()),
                vec![60 << KIND_BITS | removed]
            );
        }
    }

    #[test]
    fn per_entry_remove_never_returns_an_expired_entry() {
        let c = core::<Deadlines>(100, None, true);
        let ttl = Deadlines::new(Some(Duration::from_millis(5)), None);
        c.insert(key(1), 7, 1, ttl);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(c.remove(&key(1)), None, "expired: not returned");
        c.insert(key(1), 8, 1, ttl);
        assert_eq!(c.remove(&key(1)), Some(8));
    }

    #[test]
    fn zero_capacity_releases_every_slot() {
        for notify in [true, false] {
            let c = core::<()>(0, None, notify);
            for slot in 0..3 {
                c.insert(key(1), slot, 1, ());
            }
            assert_eq!(c.get(&key(1)), None);
            let sized: Vec<u32> = (0..3).map(|slot| slot << KIND_BITS | SIZE).collect();
            assert_eq!(drain(&c), sized);
            assert_eq!(c.stats()[5], 3.0);
        }
    }
}
