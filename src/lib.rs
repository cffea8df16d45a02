//! moka-js: moka's sync cache bound to Node.js.
//!
//! `lib.rs` only wires the modules together and registers the entry point.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

// `allocator`, `core`, `value`, `shared` and `Key` are public for the Rust benchmarks
// (`benches/`), which measure moka with exactly what the addon builds; not an API.
mod adaptive;
#[doc(hidden)]
pub mod allocator;
#[doc(hidden)]
pub mod core;
mod events;
mod expiry;
mod externals;
mod fast;
mod ffi;
mod handle;
mod info;
mod key;
mod latin1;
mod maintenance;
mod methods;
mod protocol;
mod same_value_zero;
#[doc(hidden)]
pub mod shared;
mod state;
#[doc(hidden)]
pub mod value;

#[doc(hidden)]
pub use key::Key;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Adds `createCache`, the cache methods (`cacheMethods`) and the `protocol`
/// constants to the module's exports.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    // SAFETY: called by napi-rs on the module's thread during registration.
    let ffi_env = unsafe { ffi::Env::from_raw(env.raw()) };
    let fail = |e: Box<ffi::JsError>| {
        Error::from_reason(format!("moka-js: cannot register the addon: {e:?}"))
    };
    let (create, methods) = methods::export(ffi_env).map_err(fail)?;
    let protocol = protocol::export(ffi_env, &methods::method_names()).map_err(fail)?;
    let fast_abi = fast::export(ffi_env).map_err(fail)?;
    for (name, value) in [
        ("createCache", create),
        ("cacheMethods", methods),
        ("protocol", protocol),
        ("fastAbi", fast_abi),
    ] {
        // SAFETY: each value was just created in this env's current scope.
        exports.set_named_property(name, unsafe {
            Unknown::from_raw_unchecked(env.raw(), value)
        })?;
    }
    Ok(())
}
