//! moka-js: moka's sync cache bound to Node.js.
//!
//! `lib.rs` only wires the modules together and registers the entry point.

mod core;
mod entry;
mod events;
mod expiry;
mod ffi;
mod key;
mod info;
mod methods;
mod shared;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Adds the raw `createCache` function to the module's exports.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    let mut f = std::ptr::null_mut();
    let name = "createCache";
    // SAFETY: plain Node-API calls on the live module environment.
    unsafe {
        let status = napi::sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(methods::create),
            std::ptr::null_mut(),
            &mut f,
        );
        if status != napi::sys::Status::napi_ok {
            return Err(Error::from_reason("cannot create createCache"));
        }
        exports.set_named_property(name, Unknown::from_raw_unchecked(env.raw(), f))?;
    }
    Ok(())
}
