//! The value moka stores: a handle on a JS-side slot.
//!
//! JS keeps keys and values in slot tables; Rust holds only the slot number.
//! A slot is released exactly once, when moka is done with the entry:
//! - with an eviction listener, moka reports the removal and its cause, and
//!   the listener queues the release (see `events`);
//! - without one (the lean default: no per-key locks in moka), the stored
//!   value releases its slot when moka drops it. moka stores a *clone* of the
//!   value it is given and hands out clones on reads, so ownership is passed
//!   on the first clone of the value given to `insert` (the seed); every other
//!   clone is a plain copy. moka may drop the stored value late (epoch-based
//!   reclamation) and on another thread, hence the shared, locked queue.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::events::Events;
use crate::expiry::{Clocks, EntryDeadlines};
use crate::protocol::MAX_SLOT;

/// The slot number and, in its spare high bits, the value's role: 16 bytes
/// in all for a value without per-entry data, where an enum of roles would
/// take 24 (moka's entry then needs a larger allocation class).
const SEED: u32 = 1 << 31;
/// The stored value: releases the slot when dropped.
const OWNER: u32 = 1 << 29;
const SLOT: u32 = MAX_SLOT;

pub struct Value<D> {
    bits: u32,
    pub weight: u32,
    /// Per-entry data: `()`, [`Deadlines`] or [`Carried`].
    pub extra: D,
    /// Where the seed and the owner release to: one count of an
    /// `Arc<Events>` (`Arc::into_raw`), which the seed's first clone takes
    /// over (an exchange, where a counted copy took an increment, a claim and
    /// a decrement: atomic operations on every insert); null for copies, for
    /// a seed once cloned, and for values a listener reports.
    events: AtomicPtr<Events>,
}

impl<D> Value<D> {
    /// A value whose removal moka's eviction listener reports.
    pub fn notified(slot: u32, weight: u32, extra: D) -> Self {
        debug_assert!(slot <= SLOT);
        Value {
            bits: slot & SLOT,
            weight,
            extra,
            events: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// A value that releases its slot into `events` once moka drops it.
    pub fn released_on_drop(slot: u32, weight: u32, extra: D, events: &Arc<Events>) -> Self {
        debug_assert!(slot <= SLOT);
        Value {
            bits: slot & SLOT | SEED,
            weight,
            extra,
            events: AtomicPtr::new(Arc::into_raw(Arc::clone(events)).cast_mut()),
        }
    }

    /// A value that releases the slot of `self`, a copy, once moka drops it
    /// (a move between builds of an adaptive cache without a listener).
    pub fn released_on_drop_as(&self, events: &Arc<Events>) -> Self
    where
        D: Clone,
    {
        Value::released_on_drop(self.slot(), self.weight, self.extra.clone(), events)
    }

    #[inline]
    pub fn slot(&self) -> u32 {
        self.bits & SLOT
    }
}

impl<D: Clone> Clone for Value<D> {
    fn clone(&self) -> Self {
        // Only one clone may own the slot, whatever moka does with others:
        // the one that takes the seed's count of `events`.
        let events = if self.bits & SEED != 0 {
            self.events.swap(ptr::null_mut(), Ordering::AcqRel)
        } else {
            ptr::null_mut()
        };
        Value {
            bits: self.bits & SLOT | if events.is_null() { 0 } else { OWNER },
            weight: self.weight,
            extra: self.extra.clone(),
            events: AtomicPtr::new(events),
        }
    }
}

impl<D> Drop for Value<D> {
    fn drop(&mut self) {
        let events = *self.events.get_mut();
        if events.is_null() {
            return;
        }
        // SAFETY: a non-null `events` is a count of an `Arc<Events>` that
        // `released_on_drop` made with `Arc::into_raw` and that only this value
        // holds (a clone that takes it leaves null behind); it is given back
        // once, here.
        let events = unsafe { Arc::from_raw(events) };
        if self.bits & OWNER != 0 {
            events.released(self.bits & SLOT);
        }
    }
}

/// Per-entry time to live and time to idle, in microseconds (`NONE`: unset).
/// Two `u64`s rather than two `Option<Duration>`s: 16 bytes instead of 32 in
/// every entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    ttl_us: u64,
    tti_us: u64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines::new(None, None)
    }
}

impl Deadlines {
    const NONE: u64 = u64::MAX;

    pub fn new(ttl: Option<Duration>, tti: Option<Duration>) -> Self {
        let us = |d: Option<Duration>| {
            d.map_or(Self::NONE, |d| (d.as_micros() as u64).min(Self::NONE - 1))
        };
        Deadlines {
            ttl_us: us(ttl),
            tti_us: us(tti),
        }
    }

    fn get(us: u64) -> Option<Duration> {
        (us != Self::NONE).then(|| Duration::from_micros(us))
    }

    pub fn ttl(&self) -> Option<Duration> {
        Self::get(self.ttl_us)
    }

    pub fn tti(&self) -> Option<Duration> {
        Self::get(self.tti_us)
    }
}

impl EntryDeadlines for Value<Deadlines> {
    fn ttl(&self) -> Option<Duration> {
        self.extra.ttl()
    }

    fn tti(&self) -> Option<Duration> {
        self.extra.tti()
    }
}

/// What an entry of an adaptive cache with expiry keeps: its own deadlines
/// and the clocks it carries when a switch moves it to another build
/// (16 bytes more than [`Deadlines`]).
#[derive(Clone, Default)]
pub struct Carried {
    pub own: Deadlines,
    pub clocks: Clocks,
}

impl EntryDeadlines for Value<Carried> {
    fn ttl(&self) -> Option<Duration> {
        self.extra.own.ttl()
    }

    fn tti(&self) -> Option<Duration> {
        self.extra.own.tti()
    }

    fn clocks(&self) -> Option<&Clocks> {
        Some(&self.extra.clocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_clone_of_the_seed_releases() {
        let events = Arc::new(Events::default());
        let seed = Value::released_on_drop(7, 1, (), &events);
        let stored = seed.clone();
        let extra = seed.clone();
        let read = stored.clone();
        drop((seed, extra, read));
        assert_eq!(
            events.released_total(),
            0,
            "copies and the seed release nothing"
        );
        drop(stored);
        assert_eq!(events.released_total(), 1);
    }

    #[test]
    fn notified_values_never_release() {
        let events = Arc::new(Events::default());
        let v = Value::notified(1, 1, ());
        drop(v.clone());
        drop(v);
        assert_eq!(events.released_total(), 0);
    }

    #[test]
    fn deadlines_round_trip() {
        let d = Deadlines::new(Some(Duration::from_millis(1500)), None);
        assert_eq!(d.ttl(), Some(Duration::from_millis(1500)));
        assert_eq!(d.tti(), None);
        assert_eq!(std::mem::size_of::<Value<()>>(), 16);
        assert_eq!(std::mem::size_of::<Value<Deadlines>>(), 32);
        assert_eq!(std::mem::size_of::<Value<Carried>>(), 48);
    }
}
