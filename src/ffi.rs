//! Thin helpers over raw Node-API for the hot-path callbacks.
//!
//! The cache methods are plain N-API functions whose `data` pointer is the
//! cache itself: no `napi_unwrap`, no argument conversion layer. Every callback
//! goes through [`guard`], so a Rust panic becomes a JS exception instead of an
//! abort across the FFI boundary.

use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::sys::{self, napi_callback_info, napi_env, napi_status, napi_value};

/// Error raised by a native callback; thrown into JS by [`guard`].
pub enum JsError {
    Type(String),
    Range(String),
    /// A plain `Error`: a broken invariant, never the caller's fault.
    Internal(String),
    /// A JS exception is already pending (a Node-API call failed).
    Pending,
}

pub type JsResult<T> = Result<T, JsError>;

pub fn type_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Type(msg.into()))
}

pub fn range_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Range(msg.into()))
}

/// Turns a Node-API status into a result.
#[inline]
pub fn check(status: napi_status) -> JsResult<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(JsError::Pending)
    }
}

/// Arguments of one call, read with a single `napi_get_cb_info`.
pub struct Args<const N: usize> {
    pub argv: [napi_value; N],
    pub argc: usize,
    pub data: *mut c_void,
}

impl<const N: usize> Args<N> {
    #[inline]
    pub unsafe fn read(env: napi_env, info: napi_callback_info) -> JsResult<Self> {
        let mut argv = [ptr::null_mut(); N];
        let mut argc = N;
        let mut data = ptr::null_mut();
        check(sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        ))?;
        Ok(Args { argv, argc, data })
    }

    /// The `i`-th argument, or `None` when it was not passed.
    #[inline]
    pub fn get(&self, i: usize) -> Option<napi_value> {
        if i < self.argc.min(N) {
            Some(self.argv[i])
        } else {
            None
        }
    }
}

#[inline]
pub unsafe fn type_of(env: napi_env, v: napi_value) -> JsResult<sys::napi_valuetype> {
    let mut t = 0;
    check(sys::napi_typeof(env, v, &mut t))?;
    Ok(t)
}

#[inline]
pub unsafe fn get_f64(env: napi_env, v: napi_value) -> JsResult<f64> {
    let mut x = 0.0;
    check(sys::napi_get_value_double(env, v, &mut x))?;
    Ok(x)
}

/// A `u32` argument; the JS layer validates, so anything else is a type error.
#[inline]
pub unsafe fn get_u32(env: napi_env, v: napi_value, name: &str) -> JsResult<u32> {
    let x = get_f64(env, v).or_else(|_| {
        clear_exception(env);
        type_error(format!("{name} must be a number"))
    })?;
    if x >= 0.0 && x <= u32::MAX as f64 && x.fract() == 0.0 {
        Ok(x as u32)
    } else {
        range_error(format!("{name} must be an integer in [0, 2^32)"))
    }
}

/// An optional number argument: `undefined` and absence both read as `None`.
#[inline]
pub unsafe fn get_opt_f64(env: napi_env, v: Option<napi_value>) -> JsResult<Option<f64>> {
    match v {
        None => Ok(None),
        Some(v) => match type_of(env, v)? {
            sys::ValueType::napi_undefined => Ok(None),
            _ => get_f64(env, v).map(Some),
        },
    }
}

pub unsafe fn clear_exception(env: napi_env) {
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if pending {
        let mut e = ptr::null_mut();
        sys::napi_get_and_clear_last_exception(env, &mut e);
    }
}

#[inline]
pub unsafe fn int(env: napi_env, x: i32) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_int32(env, x, &mut v))?;
    Ok(v)
}

#[inline]
pub unsafe fn double(env: napi_env, x: f64) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_double(env, x, &mut v))?;
    Ok(v)
}

#[inline]
pub unsafe fn boolean(env: napi_env, b: bool) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_boolean(env, b, &mut v))?;
    Ok(v)
}

#[inline]
pub unsafe fn undefined(env: napi_env) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_undefined(env, &mut v))?;
    Ok(v)
}

/// Length of a JS array.
pub unsafe fn array_len(env: napi_env, arr: napi_value, name: &str) -> JsResult<u32> {
    let mut is_array = false;
    check(sys::napi_is_array(env, arr, &mut is_array))?;
    if !is_array {
        return type_error(format!("{name} must be an array"));
    }
    let mut len = 0;
    check(sys::napi_get_array_length(env, arr, &mut len))?;
    Ok(len)
}

#[inline]
pub unsafe fn array_get(env: napi_env, arr: napi_value, i: u32) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_element(env, arr, i, &mut v))?;
    Ok(v)
}

/// A new `Float64Array` holding `xs`.
pub unsafe fn float64_array(env: napi_env, xs: &[f64]) -> JsResult<napi_value> {
    let mut data = ptr::null_mut();
    let mut buf = ptr::null_mut();
    check(sys::napi_create_arraybuffer(env, xs.len() * 8, &mut data, &mut buf))?;
    if !xs.is_empty() {
        ptr::copy_nonoverlapping(xs.as_ptr(), data as *mut f64, xs.len());
    }
    let mut arr = ptr::null_mut();
    check(sys::napi_create_typedarray(
        env,
        sys::TypedarrayType::float64_array,
        xs.len(),
        buf,
        0,
        &mut arr,
    ))?;
    Ok(arr)
}

/// A new `Int32Array` holding `xs`.
pub unsafe fn int32_array(env: napi_env, xs: &[i32]) -> JsResult<napi_value> {
    let mut data = ptr::null_mut();
    let mut buf = ptr::null_mut();
    check(sys::napi_create_arraybuffer(env, xs.len() * 4, &mut data, &mut buf))?;
    if !xs.is_empty() {
        ptr::copy_nonoverlapping(xs.as_ptr(), data as *mut i32, xs.len());
    }
    let mut arr = ptr::null_mut();
    check(sys::napi_create_typedarray(
        env,
        sys::TypedarrayType::int32_array,
        xs.len(),
        buf,
        0,
        &mut arr,
    ))?;
    Ok(arr)
}

/// The data pointer and length (in elements) of a `Uint32Array`.
pub unsafe fn uint32_array_data(env: napi_env, v: napi_value) -> JsResult<(*mut u32, usize)> {
    let mut is_ta = false;
    check(sys::napi_is_typedarray(env, v, &mut is_ta))?;
    if !is_ta {
        return type_error("state must be a Uint32Array");
    }
    let mut kind = 0;
    let mut len = 0;
    let mut data = ptr::null_mut();
    let mut buf = ptr::null_mut();
    let mut offset = 0;
    check(sys::napi_get_typedarray_info(
        env,
        v,
        &mut kind,
        &mut len,
        &mut data,
        &mut buf,
        &mut offset,
    ))?;
    if kind != sys::TypedarrayType::uint32_array {
        return type_error("state must be a Uint32Array");
    }
    Ok((data as *mut u32, len))
}

unsafe fn throw(env: napi_env, err: JsError) {
    let msg = |m: String| CString::new(m.replace('\0', " ")).unwrap_or_default();
    match err {
        JsError::Type(m) => {
            let m = msg(m);
            sys::napi_throw_type_error(env, ptr::null(), m.as_ptr());
        }
        JsError::Range(m) => {
            let m = msg(m);
            sys::napi_throw_range_error(env, ptr::null(), m.as_ptr());
        }
        JsError::Internal(m) => {
            let m = msg(m);
            sys::napi_throw_error(env, ptr::null(), m.as_ptr());
        }
        JsError::Pending => {
            let mut pending = false;
            sys::napi_is_exception_pending(env, &mut pending);
            if !pending {
                let m = msg("moka-js: a Node-API call failed".into());
                sys::napi_throw_error(env, ptr::null(), m.as_ptr());
            }
        }
    }
}

/// Runs a callback body: errors become JS exceptions, panics become JS errors.
#[inline]
pub unsafe fn guard(env: napi_env, body: impl FnOnce() -> JsResult<napi_value>) -> napi_value {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            throw(env, e);
            ptr::null_mut()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            throw(env, JsError::Internal(format!("moka-js internal error: {what}")));
            ptr::null_mut()
        }
    }
}
