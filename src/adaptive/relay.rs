//! How a build's entries leave it during a migration: a move is neither
//! reported nor releases its slot; any other removal is reported once.
//!
//! - With a user listener, every build has moka's eviction listener
//!   (`removed`), which reports straight to the events queue except the one
//!   removal a migration makes on purpose, which it holds back.
//! - Without one, no build has moka's listener (it costs a per-key lock on
//!   every write): stored values release their slots when moka drops them
//!   (`Value::released_on_drop`), and a move hands the slot over to the value
//!   it inserts into the new build (`Events::hand_over`), so that the slot is
//!   released once both are dropped.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use moka::notification::RemovalCause;

use crate::core::{Build, Extra};
use crate::events::Events;
use crate::key::KeyRef;
use crate::value::Value;

pub struct Relay {
    pub events: Arc<Events>,
    /// A user listener: moka's listener is installed on every build and
    /// removals are reported with their cause.
    notify: bool,
    /// `slot + 1` of the entry being moved; 0 when none.
    holding: AtomicU64,
    /// The cause moka gave for the held entry, `cause_code`; 0 when none.
    held: AtomicU32,
}

fn cause_code(cause: RemovalCause) -> u32 {
    match cause {
        RemovalCause::Expired => 1,
        RemovalCause::Explicit => 2,
        RemovalCause::Replaced => 3,
        RemovalCause::Size => 4,
    }
}

impl Relay {
    pub fn new(events: Arc<Events>, notify: bool) -> Self {
        Relay {
            events,
            notify,
            holding: AtomicU64::new(0),
            held: AtomicU32::new(0),
        }
    }

    /// The eviction listener of every build (with a user listener).
    pub fn removed(&self, slot: u32, cause: RemovalCause) {
        if self.holding.load(Ordering::Relaxed) == slot as u64 + 1 {
            self.held.store(cause_code(cause), Ordering::Relaxed);
        } else {
            self.events.removed(slot, cause);
        }
    }

    /// Takes the entry of `key`, found live with `slot`, out of `build` to
    /// move it: the value returned goes into the new build and takes the
    /// slot over. `None` when moka reported it expired on the way out (then
    /// reported as such): it must not move.
    pub fn take<D: Extra>(&self, build: &Build<D>, key: KeyRef<'_>, slot: u32) -> Option<Value<D>> {
        if self.notify {
            let mut value = None;
            let expired = self.quietly(slot, || value = build.remove(&key));
            return value.filter(|_| !expired);
        }
        // Before the removal, after which moka may drop the old value at any time.
        self.events.hand_over(slot);
        let Some(copy) = build.remove(&key) else {
            self.events.take_back(slot);
            return None;
        };
        Some(copy.released_on_drop_as(&self.events))
    }

    /// Removes the entry of `key` (live with `slot`, if known) from `build`,
    /// reported as `cause`: `replaced` by a write to the new build, or
    /// evicted (`size`) when the new build has no room for it.
    pub fn evict<D: Extra>(
        &self,
        build: &Build<D>,
        key: KeyRef<'_>,
        slot: Option<u32>,
        cause: RemovalCause,
    ) {
        if !self.notify {
            // Its value releases the slot when moka drops it.
            build.invalidate(&key);
            return;
        }
        let Some(slot) = slot.or_else(|| build.get(&key).map(|v| v.slot())) else {
            // Absent, or expired: moka reports that at maintenance.
            return;
        };
        let mut taken = None;
        if !self.quietly(slot, || taken = build.remove(&key)) && taken.is_some() {
            self.events.removed(slot, cause);
        }
    }

    /// Runs `remove` (which removes the entry of `slot`) without reporting
    /// that removal, and returns whether moka reported it as expired: then
    /// it is reported as such, and the entry must not move.
    fn quietly(&self, slot: u32, remove: impl FnOnce()) -> bool {
        self.holding.store(slot as u64 + 1, Ordering::Relaxed);
        remove();
        self.holding.store(0, Ordering::Relaxed);
        let expired = self.held.swap(0, Ordering::Relaxed) == cause_code(RemovalCause::Expired);
        if expired {
            self.events.removed(slot, RemovalCause::Expired);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{EXPIRED, EXPLICIT};

    #[test]
    fn only_the_held_slot_is_kept_back() {
        let events = Arc::new(Events::default());
        let relay = Relay::new(Arc::clone(&events), true);
        let expired = relay.quietly(7, || {
            relay.removed(7, RemovalCause::Explicit);
            relay.removed(8, RemovalCause::Explicit);
        });
        assert!(!expired);
        assert_eq!(
            events.removals(EXPLICIT),
            1,
            "slot 8 reported, slot 7 held back"
        );
        assert!(relay.quietly(9, || relay.removed(9, RemovalCause::Expired)));
        assert_eq!(
            events.removals(EXPIRED),
            1,
            "an expired entry is reported as expired"
        );
    }
}
