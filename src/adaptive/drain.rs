//! The build a switch left behind, emptied a bounded slice at a time.
//!
//! Until the new build has taken one capacity of writes, the old one answers
//! the new one's misses: a key found there moves over (a hit, and no
//! notification). After that, what is left moves over while the new build
//! has room and is evicted (`size`) once it has none: the cache as a whole
//! then holds more than its capacity, and entries nobody read since the
//! switch are the coldest there are.

use std::cell::{Cell, RefCell};

use moka::notification::RemovalCause;
use moka::sync::Iter;

use super::relay::Relay;
use crate::core::{Build, Extra};
use crate::key::{Key, KeyRef};
use crate::value::Value;

pub struct Draining<D: Extra> {
    // Declared before `build`, which it borrows: dropped first.
    cursor: RefCell<Option<Iter<'static, Key, Value<D>>>>,
    /// Boxed: `cursor` borrows it at a fixed address.
    build: Box<Build<D>>,
    /// Weight written to the new build since the switch.
    written: Cell<u64>,
    capacity: u64,
}

impl<D: Extra> Draining<D> {
    pub fn new(build: Build<D>, capacity: u64) -> Self {
        Draining {
            cursor: RefCell::new(None),
            build: Box::new(build),
            written: Cell::new(0),
            capacity,
        }
    }

    pub fn build(&self) -> &Build<D> {
        &self.build
    }

    /// The build, with the cursor that borrowed it dropped.
    pub fn into_build(self) -> Box<Build<D>> {
        let Draining { cursor, build, .. } = self;
        drop(cursor);
        build
    }

    pub fn wrote(&self, weight: u32) {
        self.written.set(self.written.get() + weight as u64);
    }

    /// Takes the live entry of `key` out to move it (see `Relay::take`).
    pub fn take(&self, relay: &Relay, key: KeyRef<'_>) -> Option<Value<D>> {
        let slot = self.build.get(&key)?.slot();
        relay.take(&self.build, key, slot)
    }

    /// Moves or evicts up to `n` entries, once the new build has taken a
    /// capacity of writes. Returns true once nothing is left.
    pub fn step(&self, relay: &Relay, active: &Build<D>, n: usize) -> bool {
        if self.written.get() < self.capacity {
            return false;
        }
        let mut cursor = self.cursor.borrow_mut();
        for _ in 0..n {
            let iter = cursor.get_or_insert_with(|| {
                // SAFETY: the iterator borrows `*self.build`, which is boxed
                // (its address never changes), never replaced, and outlives
                // the iterator: `cursor` is declared first and so dropped
                // first, and nothing else drops the box. moka's `iter` takes
                // `&self` and tolerates entries removed while it runs.
                unsafe {
                    std::mem::transmute::<Iter<'_, Key, Value<D>>, Iter<'static, Key, Value<D>>>(
                        self.build.iter(),
                    )
                }
            });
            let Some((key, value)) = iter.next() else {
                *cursor = None;
                // Entries that expired are moka's to report, at maintenance.
                self.build.run_pending_tasks();
                return self.build.entry_count() == 0;
            };
            if active.weighted_size() + value.weight as u64 > self.capacity {
                relay.evict(
                    &self.build,
                    key.key_ref(),
                    Some(value.slot()),
                    RemovalCause::Size,
                );
            } else if let Some(taken) = relay.take(&self.build, key.key_ref(), value.slot()) {
                move_to(active, (*key).clone(), taken);
            }
        }
        false
    }
}

/// Inserts an entry taken out of the old build into `active`, with the
/// clocks it carries.
pub fn move_to<D: Extra>(active: &Build<D>, key: Key, mut value: Value<D>) {
    value.extra.moved();
    active.insert(key, value);
}
