//! Where a build's eviction listener reports: straight to the events queue,
//! except the one removal a migration makes on purpose, which it holds back
//! (a moved entry was neither evicted nor removed).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use moka::notification::RemovalCause;

use crate::events::Events;

pub struct Relay {
    pub events: Arc<Events>,
    /// Report causes, or only that the slot is free (no user listener).
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

    /// The eviction listener of every build.
    pub fn removed(&self, slot: u32, cause: RemovalCause) {
        if self.holding.load(Ordering::Relaxed) == slot as u64 + 1 {
            self.held.store(cause_code(cause), Ordering::Relaxed);
        } else {
            self.emit(slot, cause);
        }
    }

    pub fn emit(&self, slot: u32, cause: RemovalCause) {
        if self.notify {
            self.events.removed(slot, cause);
        } else {
            self.events.released(slot);
        }
    }

    /// Runs `remove` (which removes the entry of `slot`) without reporting
    /// that removal, and returns whether moka reported it as expired: then
    /// it is reported as such, and the entry must not move.
    pub fn quietly(&self, slot: u32, remove: impl FnOnce()) -> bool {
        self.holding.store(slot as u64 + 1, Ordering::Relaxed);
        remove();
        self.holding.store(0, Ordering::Relaxed);
        let expired = self.held.swap(0, Ordering::Relaxed) == cause_code(RemovalCause::Expired);
        if expired {
            self.emit(slot, RemovalCause::Expired);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{EXPIRED, EXPLICIT, RELEASED};

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
        let quiet = Relay::new(Arc::clone(&events), false);
        quiet.emit(3, RemovalCause::Size);
        assert_eq!(
            events.removals(RELEASED),
            1,
            "without a user listener, only released"
        );
    }
}
