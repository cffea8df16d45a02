//! `SharedMoka`: one moka cache per name for the whole process, used from
//! every thread (main and `worker_threads`), with values held as bytes off
//! the V8 heap.
//!
//! - `registry`: name -> cache, process-wide.
//! - `cache`: the moka cache, its counters and removal fan-out.
//! - `key`, `value`: what is stored, and its conversions to and from JS.
//! - `handle`: one thread's methods on a cache; `snapshot`: iteration.
//! - `flight`, `ticket`, `port`: single-flight loads across threads, and
//!   delivery of their outcomes and of removals to each thread's JS.
//! - `js`: what they need from Node-API beyond the crate's `ffi` layer.

pub mod cache;
mod flight;
mod handle;
mod js;
pub mod key;
mod port;
mod registry;
mod snapshot;
mod ticket;
pub mod value;

use napi::bindgen_prelude::{Result, Unknown};
use napi_derive::napi;

/// `{ open, methods }`: the native side of `SharedMoka` (see `handle::export`).
// Only JS calls it; the unit-test build registers no exports.
#[cfg_attr(test, allow(dead_code))]
#[napi(js_name = "sharedBinding")]
pub fn shared_binding(napi_env: &napi::Env) -> Result<Unknown<'_>> {
    // SAFETY: napi-rs runs this inside the call of the exported function,
    // with that call's live environment.
    let env = unsafe { crate::ffi::Env::from_raw(napi_env.raw()) };
    let binding = std::panic::catch_unwind(|| handle::export(env));
    match binding {
        Ok(Ok(object)) => {
            // SAFETY: `object` was just created in this environment.
            Ok(unsafe { Unknown::from_raw_unchecked(napi_env.raw(), object) })
        }
        Ok(Err(e)) => Err(napi::Error::from_reason(format!("sharedBinding: {e:?}"))),
        Err(_) => Err(napi::Error::from_reason("sharedBinding: internal error")),
    }
}
