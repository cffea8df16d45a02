//! `policy: 'adaptive'`: a cache that watches its own reads and runs on
//! whichever of moka's two policies, TinyLFU or LRU, serves them better.
//!
//! - `sample`, `shadow`, `watch`: sampled keys feed two small shadow caches
//!   (an exact LRU and a TinyLFU), and an epoch rule says when to switch.
//! - `drain`: a switch builds the other policy; the old build answers the
//!   new one's misses and is then emptied in bounded slices.
//! - `relay`: how entries leave the old build: a move is neither reported
//!   nor releases its slot, with moka's eviction listener (a user listener)
//!   or without it.
//!
//! `Core` owns the builds and calls in here from its methods; a switch and
//! the end of a migration replace builds, which needs `&mut Core`, so they
//! are asked for here and done by `Core::adapt` after the native call.

mod drain;
pub mod relay;
mod sample;
mod shadow;
mod watch;

#[cfg(test)]
mod expiry_tests;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use moka::notification::RemovalCause;

use crate::core::{Build, Extra};
use crate::key::KeyRef;

use drain::Draining;
use relay::Relay;
use sample::Sampler;
pub use watch::Policy;
use watch::Watch;

/// Entries a read or write moves or evicts from the old build, and a
/// maintenance call, once the old build is being emptied.
const STEP: usize = 4;
const MAINTENANCE_STEP: usize = 256;

/// What `Core::adapt` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Switch(Policy),
    /// The old build is empty: drop it.
    Finish,
}

pub struct Adaptive<D: Extra> {
    /// The watch's sampling test, and the reads it left out since the last
    /// one sampled: a read not sampled touches nothing else.
    sampler: Sampler,
    unsampled: Cell<u64>,
    watch: RefCell<Watch>,
    pub relay: Arc<Relay>,
    in_force: Policy,
    switches: u32,
    draining: Option<Draining<D>>,
    change: Cell<Option<Change>>,
    capacity: u64,
}

impl<D: Extra> Adaptive<D> {
    pub fn new(relay: Arc<Relay>, capacity: u64) -> Self {
        let watch = Watch::new(capacity);
        Adaptive {
            sampler: watch.sampler(),
            unsampled: Cell::new(0),
            watch: RefCell::new(watch),
            relay,
            in_force: Policy::TinyLfu,
            switches: 0,
            draining: None,
            change: Cell::new(None),
            capacity,
        }
    }

    /// Whether `Core::adapt` has something to do.
    #[inline]
    pub fn change(&self) -> Option<Change> {
        self.change.get()
    }

    /// A read: `found` is the active build's answer. A miss there may be a
    /// hit in the old build, which moves the entry over.
    #[inline]
    pub fn get(&self, active: &Build<D>, key: KeyRef<'_>, found: Option<u32>) -> Option<u32> {
        match self.sampler.sampled(key.borrowed()) {
            Some(h) => self.observe_sampled(h),
            None => self.unsampled.set(self.unsampled.get() + 1),
        }
        match &self.draining {
            None => found,
            Some(draining) => self.get_draining(draining, active, key, found),
        }
    }

    /// A read while the old build drains, out of line: most reads come
    /// when nothing drains, and `Core::get` is inlined into each method.
    #[inline(never)]
    fn get_draining(
        &self,
        draining: &Draining<D>,
        active: &Build<D>,
        key: KeyRef<'_>,
        found: Option<u32>,
    ) -> Option<u32> {
        let found = found.or_else(|| {
            let value = draining.take(&self.relay, key)?;
            let slot = value.slot();
            draining.wrote(value.weight);
            drain::move_to(active, key.to_key(), value);
            Some(slot)
        });
        self.step(active, STEP);
        found
    }

    /// A sampled read: to the watch, with the reads left out before it.
    #[inline(never)]
    fn observe_sampled(&self, h: u64) {
        let mut watch = self.watch.borrow_mut();
        watch.counted(self.unsampled.take());
        if let Some(policy) = watch.observe_sampled(h, self.in_force, self.draining.is_none()) {
            self.change.set(Some(Change::Switch(policy)));
        }
    }

    /// A write of `key` to the active build: its entry in the old build, if
    /// any, was replaced.
    #[inline]
    pub fn inserted(&self, active: &Build<D>, key: KeyRef<'_>, weight: u32) {
        let Some(draining) = &self.draining else {
            return;
        };
        self.relay
            .evict(draining.build(), key, None, RemovalCause::Replaced);
        draining.wrote(weight);
        self.step(active, STEP);
    }

    fn step(&self, active: &Build<D>, n: usize) {
        if let Some(draining) = &self.draining {
            if draining.step(&self.relay, active, n) {
                self.change.set(Some(Change::Finish));
            }
        }
    }

    /// Asks `Core::adapt` for a switch to the other policy now, whatever the
    /// watch says: tests that need a switch at a given moment.
    #[cfg(test)]
    pub fn switch_now(&self) {
        self.change.set(Some(Change::Switch(self.in_force.other())));
    }

    /// The old build, while a switch is migrating.
    pub fn old(&self) -> Option<&Build<D>> {
        self.draining.as_ref().map(Draining::build)
    }

    /// Maintenance: the old build's own, then a larger slice of emptying it.
    /// `settle_active` runs the active build's: after the slice, so that
    /// the counts both builds report afterwards include what it moved.
    pub fn run_pending_tasks(&self, active: &Build<D>, settle_active: impl FnOnce()) {
        self.step(active, MAINTENANCE_STEP);
        settle_active();
        let Some(old) = self.old() else { return };
        crate::maintenance::until_settled(
            usize::MAX,
            || old.entry_count(),
            || old.run_pending_tasks(),
        );
        if old.entry_count() == 0 {
            self.change.set(Some(Change::Finish));
        }
    }

    /// After `Core::adapt` built `policy`: `old` is the build it replaced.
    pub fn switched(&mut self, old: Build<D>, policy: Policy) {
        self.in_force = policy;
        self.switches += 1;
        self.draining = Some(Draining::new(old, self.capacity));
        self.change.set(None);
    }

    /// The old build is empty (`Change::Finish`): drop it. Freeing the hash
    /// table of an emptied build of a million entries takes about 10 ms
    /// (`benches/adaptive_pause.rs`), so it is freed on a thread of its own;
    /// it holds no entry, so nothing is notified or released there.
    pub fn finish(&mut self) {
        if let Some(draining) = self.draining.take() {
            let build = draining.into_build();
            // If no thread can be started, the closure and the build are dropped here.
            let _ = std::thread::Builder::new()
                .name("moka-js-drop".into())
                .spawn(move || drop(build));
        }
        self.change.set(None);
    }

    /// `[policy (0 tinyLfu, 1 lru), switches, migrating, LRU shadow hit
    /// ratio, TinyLFU shadow hit ratio, sampled requests]`; the ratios are
    /// NaN before the first epoch closed.
    pub fn info(&self) -> [f64; 6] {
        let w = self.watch.borrow();
        [
            (self.in_force == Policy::Lru) as u8 as f64,
            self.switches as f64,
            self.draining.is_some() as u8 as f64,
            w.lru_ratio,
            w.tiny_lfu_ratio,
            w.sampled_total as f64,
        ]
    }
}
