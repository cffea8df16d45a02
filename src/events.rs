//! Entries moka removed, queued for the JS layer.
//!
//! moka calls its eviction listener, and drops stored values, while holding
//! its own locks (and possibly on another thread), so no JS may run there:
//! both only append a `u32` event here. After each native call the queue is
//! published into the state array shared with JS, which calls the user's
//! listener and releases the slot once the native call has returned. Every
//! removal, whatever its cause, is one event: a slot is released exactly once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use moka::notification::RemovalCause;

use crate::protocol::{
    EXPIRED, EXPLICIT, KIND_BITS, RELEASED, REPLACED, SIZE, STATE_COUNT, STATE_HEADER, STATE_MORE,
};
use crate::state::StateArray;

#[derive(Default)]
pub struct Events {
    queue: Mutex<Queue>,
    /// `queue.len()`, kept beside it so that a method can tell how much is
    /// waiting without taking the lock.
    queued: AtomicUsize,
    /// Removals by event kind (`RELEASED..=SIZE`).
    removals: [AtomicU64; 5],
}

#[derive(Default)]
struct Queue {
    events: Vec<u32>,
    /// Slots whose value was handed over to another value that releases
    /// them (`hand_over`), with the number of such hand-overs: that many
    /// drops of a value of the slot release nothing.
    handed_over: HashMap<u32, u32>,
}

impl Queue {
    /// Consumes one hand-over of `slot`; false when it has none.
    fn take_hand_over(&mut self, slot: u32) -> bool {
        let Some(count) = self.handed_over.get_mut(&slot) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            self.handed_over.remove(&slot);
        }
        true
    }
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A poisoned queue is still a valid Vec; never panic under moka's locks.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, slot: u32, kind: u32) {
        self.push_to(&mut self.lock(), slot, kind);
    }

    fn push_to(&self, queue: &mut Queue, slot: u32, kind: u32) {
        // Every writer holds the queue's lock (`queue` is its guard's), so a
        // load and a store count exactly, without a locked add.
        let removals = &self.removals[kind as usize];
        removals.store(removals.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        queue.events.push(slot << KIND_BITS | kind);
        self.queued.store(queue.events.len(), Ordering::Release);
    }

    /// A removal moka's eviction listener reported.
    pub fn removed(&self, slot: u32, cause: RemovalCause) {
        let kind = match cause {
            RemovalCause::Expired => EXPIRED,
            RemovalCause::Explicit => EXPLICIT,
            RemovalCause::Replaced => REPLACED,
            RemovalCause::Size => SIZE,
        };
        self.push(slot, kind);
    }

    /// A stored value moka dropped, cause unknown (no listener). After a
    /// `hand_over` of the slot, the first of its two values dropped
    /// releases nothing; the second releases it.
    pub fn released(&self, slot: u32) {
        let mut queue = self.lock();
        if queue.handed_over.is_empty() || !queue.take_hand_over(slot) {
            self.push_to(&mut queue, slot, RELEASED);
        }
    }

    /// A second value now releases `slot` when dropped, besides the one
    /// that does (an entry moved between builds of an adaptive cache
    /// without a listener): the slot is released once both are dropped,
    /// in whichever order moka drops them. Called before the first value
    /// can be dropped, that is before its entry is removed.
    pub fn hand_over(&self, slot: u32) {
        *self.lock().handed_over.entry(slot).or_insert(0) += 1;
    }

    /// Undoes a `hand_over` whose second value was never made.
    pub fn take_back(&self, slot: u32) {
        self.lock().take_hand_over(slot);
    }

    pub fn removals(&self, kind: u32) -> u64 {
        self.removals[kind as usize].load(Ordering::Relaxed)
    }

    pub fn released_total(&self) -> u64 {
        self.removals(RELEASED)
    }

    /// Every removal so far, whatever its kind.
    pub fn total(&self) -> u64 {
        (RELEASED..=SIZE).map(|kind| self.removals(kind)).sum()
    }

    /// Events queued and not yet published.
    #[inline]
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    #[inline]
    pub fn pending(&self) -> bool {
        self.queued() > 0
    }

    /// Drops every queued event unpublished: for the benches, whose queue
    /// would otherwise grow without end.
    pub fn discard(&self) {
        let mut queue = self.lock();
        queue.events.clear();
        self.queued.store(0, Ordering::Release);
    }

    /// Publishes and takes every queued event, as the JS layer's drain does.
    #[cfg(test)]
    pub fn take_all(&self) -> Vec<u32> {
        let state = StateArray::new(crate::protocol::STATE_LENGTH);
        let mut all = Vec::new();
        loop {
            self.publish(&state);
            let (events, more) = state.take();
            all.extend(events);
            if !more {
                return all;
            }
        }
    }

    /// Moves queued events into `state` (`[count, more, events...]`), as many
    /// as fit after the `count` already there. `count` is written by JS, so it
    /// is clamped, never trusted.
    pub fn publish(&self, state: &StateArray) {
        let room_total = state.len() - STATE_HEADER;
        let used = (state.get(STATE_COUNT) as usize).min(room_total);
        let mut queue = self.lock();
        let queue = &mut queue.events;
        let n = (room_total - used).min(queue.len());
        for (at, &event) in (STATE_HEADER + used..).zip(&queue[..n]) {
            state.set(at, event);
        }
        queue.drain(..n);
        state.set(STATE_COUNT, (used + n) as u32);
        state.set(STATE_MORE, !queue.is_empty() as u32);
        self.queued.store(queue.len(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_spills_what_does_not_fit() {
        let events = Events::default();
        for slot in 0..5 {
            events.removed(slot, RemovalCause::Expired);
        }
        let state = StateArray::new(STATE_HEADER + 3);
        events.publish(&state);
        assert_eq!(
            state.take(),
            (
                vec![EXPIRED, 1 << KIND_BITS | EXPIRED, 2 << KIND_BITS | EXPIRED],
                true
            )
        );
        events.publish(&state);
        assert_eq!(state.get(STATE_MORE), 0);
        assert_eq!(
            state.published(),
            [3 << KIND_BITS | EXPIRED, 4 << KIND_BITS | EXPIRED]
        );
    }

    #[test]
    fn a_count_from_js_is_clamped() {
        let events = Events::default();
        events.released(9);
        let state = StateArray::new(STATE_HEADER + 3);
        state.set(STATE_COUNT, 5000);
        events.publish(&state);
        assert_eq!(state.get(STATE_COUNT), 3, "treated as full");
        assert_eq!(state.get(STATE_MORE), 1, "the event waits for room");
        state.set(STATE_COUNT, 0);
        events.publish(&state);
        assert_eq!(state.take(), (vec![9 << KIND_BITS | RELEASED], false));
    }

    #[test]
    fn a_handed_over_slot_is_released_by_the_last_of_its_values() {
        let events = Events::default();
        events.hand_over(4);
        events.released(4);
        assert_eq!(events.released_total(), 0, "the first value dropped");
        events.released(4);
        assert_eq!(events.released_total(), 1, "the second");
        events.released(4);
        assert_eq!(events.released_total(), 2, "the hand-over was used up");
        events.hand_over(5);
        events.hand_over(5);
        events.take_back(5);
        events.released(5);
        events.released(5);
        assert_eq!(events.released_total(), 3, "one hand-over left, then none");
    }

    #[test]
    fn removals_are_counted_by_cause() {
        let events = Events::default();
        events.removed(7, RemovalCause::Size);
        events.removed(8, RemovalCause::Size);
        events.removed(9, RemovalCause::Expired);
        events.released(10);
        assert_eq!(events.removals(SIZE), 2);
        assert_eq!(events.removals(EXPIRED), 1);
        assert_eq!(events.removals(EXPLICIT), 0);
        assert_eq!(events.total(), 4);
    }
}
