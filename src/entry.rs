//! The value moka stores: a handle on a JS-side slot.
//!
//! JS keeps the key and value objects in slot tables; Rust holds only the slot
//! number, inline in moka's entry (no extra allocation, no pointer to chase).
//! moka reports every removal to its eviction listener, which queues the slot
//! for release (see `events`); a slot is reused only after that, when moka can
//! no longer return it.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    pub slot: u32,
    pub weight: u32,
    /// Per-entry time to live, overriding the cache's.
    pub ttl: Option<Duration>,
    /// Per-entry time to idle, overriding the cache's.
    pub tti: Option<Duration>,
}
