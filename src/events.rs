//! Entries moka removed, queued for the JS layer.
//!
//! moka calls its eviction listener while holding its own locks, so no JS may
//! run there. The listener only appends a `u32` event here; after each native
//! call the queue is published into a `Uint32Array` shared with JS, which
//! calls the user's listener and releases the slot once the native call has
//! returned. Every removal, whatever its cause, is one event: the slot is
//! released exactly once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use moka::notification::RemovalCause;

/// An event is `slot << KIND_BITS | kind`.
pub const KIND_BITS: u32 = 3;
pub const EXPIRED: u32 = 1;
pub const EXPLICIT: u32 = 2;
pub const REPLACED: u32 = 3;
pub const SIZE: u32 = 4;

/// Largest slot number an event can carry.
pub const MAX_SLOT: u32 = u32::MAX >> KIND_BITS;

/// Layout of the shared state array: `[count, more, events...]`.
pub const STATE_COUNT: usize = 0;
pub const STATE_MORE: usize = 1;
pub const STATE_HEADER: usize = 2;

#[derive(Default)]
pub struct Events {
    queue: Mutex<Vec<u32>>,
    pending: AtomicBool,
    /// Removals by cause, indexed by event kind (`EXPIRED..=SIZE`; 0 unused).
    removals: [AtomicU64; 5],
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, Vec<u32>> {
        // A poisoned queue is still a valid Vec; never panic in moka's listener.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, slot: u32, kind: u32) {
        self.lock().push(slot << KIND_BITS | kind);
        self.pending.store(true, Ordering::Release);
    }

    pub fn removed(&self, slot: u32, cause: RemovalCause) {
        let kind = match cause {
            RemovalCause::Expired => EXPIRED,
            RemovalCause::Explicit => EXPLICIT,
            RemovalCause::Replaced => REPLACED,
            RemovalCause::Size => SIZE,
        };
        self.removals[kind as usize].fetch_add(1, Ordering::Relaxed);
        self.push(slot, kind);
    }

    pub fn removals(&self, kind: u32) -> u64 {
        self.removals[kind as usize].load(Ordering::Relaxed)
    }

    /// Moves queued events into `state` (see the layout above), as many as fit.
    ///
    /// # Safety
    /// `state` must point to `len` writable `u32`s that outlive the call.
    #[inline]
    pub unsafe fn publish(&self, state: *mut u32, len: usize) {
        if !self.pending.load(Ordering::Acquire) {
            return;
        }
        let state = std::slice::from_raw_parts_mut(state, len);
        let mut queue = self.lock();
        let used = state[STATE_COUNT] as usize;
        let room = (len - STATE_HEADER).saturating_sub(used);
        let n = room.min(queue.len());
        state[STATE_HEADER + used..STATE_HEADER + used + n].copy_from_slice(&queue[..n]);
        queue.drain(..n);
        state[STATE_COUNT] = (used + n) as u32;
        state[STATE_MORE] = !queue.is_empty() as u32;
        self.pending.store(!queue.is_empty(), Ordering::Release);
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
        let mut state = [0u32; STATE_HEADER + 3];
        unsafe { events.publish(state.as_mut_ptr(), state.len()) };
        assert_eq!(state[STATE_COUNT], 3);
        assert_eq!(state[STATE_MORE], 1);
        assert_eq!(&state[STATE_HEADER..], &[EXPIRED, 1 << KIND_BITS | EXPIRED, 2 << KIND_BITS | EXPIRED]);
        state[STATE_COUNT] = 0;
        unsafe { events.publish(state.as_mut_ptr(), state.len()) };
        assert_eq!(state[STATE_COUNT], 2);
        assert_eq!(state[STATE_MORE], 0);
        assert_eq!(state[STATE_HEADER], 3 << KIND_BITS | EXPIRED);
    }

    #[test]
    fn removals_are_counted_by_cause() {
        let events = Events::default();
        events.removed(7, RemovalCause::Size);
        events.removed(8, RemovalCause::Size);
        events.removed(9, RemovalCause::Expired);
        assert_eq!(events.removals(SIZE), 2);
        assert_eq!(events.removals(EXPIRED), 1);
        assert_eq!(events.removals(EXPLICIT), 0);
    }
}
