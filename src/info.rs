//! Build facts the JS side reports (benchmarks name what they measured).

use napi_derive::napi;

/// Version of the `moka` crate linked into this addon.
#[napi]
pub fn moka_version() -> &'static str {
    env!("MOKA_VERSION")
}
