//! The JS↔Rust protocol: the one source of the constants both sides use.
//!
//! `ts/core/native.ts` reads them from the addon's `protocol` export at load time,
//! so the two sides cannot disagree; a test checks the method list against
//! the cache methods the addon exports.

use napi::sys::napi_value;

use crate::ffi::{Env, JsResult};

/// An event is `slot << KIND_BITS | kind`.
pub const KIND_BITS: u32 = 3;
/// Event kinds. `RELEASED`: moka dropped the entry and did not say why (a
/// cache without an eviction listener).
pub const RELEASED: u32 = 0;
pub const EXPIRED: u32 = 1;
pub const EXPLICIT: u32 = 2;
pub const REPLACED: u32 = 3;
pub const SIZE: u32 = 4;
/// Cause names by event kind, as JS listeners receive them.
pub const CAUSES: [&str; 5] = ["released", "expired", "explicit", "replaced", "size"];

/// Largest slot number an event can carry.
pub const MAX_SLOT: u32 = u32::MAX >> KIND_BITS;

/// Layout of the state array shared with JS: `[count, more, events...]`.
pub const STATE_COUNT: usize = 0;
pub const STATE_MORE: usize = 1;
pub const STATE_HEADER: usize = 2;
pub const STATE_LENGTH: usize = STATE_HEADER + 1022;

/// What `stats()` returns, in order.
pub const STATS: [&str; 7] = [
    "hits", "misses", "expired", "explicit", "replaced", "size", "released",
];

pub use crate::expiry::MAX_DURATION_MS;

/// The `protocol` object exported to JS.
pub fn export(env: Env, methods: &[&str]) -> JsResult<napi_value> {
    let obj = env.object()?;
    let numbers: [(&str, f64); 11] = [
        ("KIND_BITS", KIND_BITS as f64),
        ("MAX_SLOT", MAX_SLOT as f64),
        ("STATE_COUNT", STATE_COUNT as f64),
        ("STATE_MORE", STATE_MORE as f64),
        ("STATE_HEADER", STATE_HEADER as f64),
        ("STATE_LENGTH", STATE_LENGTH as f64),
        ("MAX_DURATION_MS", MAX_DURATION_MS),
        ("RELEASED", RELEASED as f64),
        ("EXPIRED", EXPIRED as f64),
        ("SIZE", SIZE as f64),
        ("FAST_NOT_TAKEN", crate::fast::NOT_TAKEN as f64),
    ];
    for (name, x) in numbers {
        env.set_property(obj, name, env.double(x)?)?;
    }
    env.set_property(obj, "CAUSES", env.string_array(&CAUSES)?)?;
    env.set_property(obj, "STATS", env.string_array(&STATS)?)?;
    env.set_property(obj, "METHODS", env.string_array(methods)?)?;
    Ok(obj)
}
