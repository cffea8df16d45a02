//! Build facts the JS side reports (benchmarks name what they measured).

use napi_derive::napi;

/// Version of the `moka` crate linked into this addon.
// Only JS calls it; the unit-test build registers no exports.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn moka_version() -> &'static str {
    env!("MOKA_VERSION")
}
