//! A checked layer over raw Node-API for the shared cache's callbacks.
//!
//! Every callback builds a [`Cx`] from the environment Node passed it; through
//! it, Node-API calls are safe methods, and a failed call becomes a
//! [`JsError`] that names it. The module's invariant, which every `unsafe`
//! block below relies on: a `Cx` exists only inside the callback (or
//! threadsafe-function call) whose environment it wraps, on that
//! environment's thread, and every `napi_value` it is given was produced
//! during that same callback.

use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, Ordering};

use napi::sys::{self, napi_callback_info, napi_env, napi_status, napi_value};

/// An error on its way to JS.
#[derive(Debug)]
pub enum JsError {
    Type(String),
    Range(String),
    /// A plain `Error`: misuse such as a closed handle, or a broken invariant.
    Error(String),
    /// A Node-API call failed: its name and status. A JS exception it left
    /// pending is thrown as it is.
    Napi(&'static str, napi_status),
}

pub type JsResult<T> = Result<T, JsError>;

pub fn type_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Type(msg.into()))
}

pub fn range_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Range(msg.into()))
}

/// The signature of every native function.
pub type Callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

/// Calls a Node-API function on `cx`'s environment and names it on failure.
macro_rules! napi_call {
    ($cx:expr, $f:ident ( $($arg:expr),* $(,)? )) => {{
        let cx: &$crate::shared::js::Cx = &$cx;
        // SAFETY: `cx.raw()` is the live environment of the running callback,
        // on its thread; every `napi_value` passed was produced in this
        // callback (module invariant) and every out-pointer points to a live
        // local.
        let status = unsafe { napi::sys::$f(cx.raw(), $($arg),*) };
        cx.check(status, stringify!($f))
    }};
}

pub(crate) use napi_call;

/// The arguments of one call, read with a single `napi_get_cb_info`.
pub struct Args<const N: usize> {
    argv: [napi_value; N],
    argc: usize,
    pub data: *mut c_void,
}

/// The environment of the callback being run (see the module invariant).
#[derive(Clone, Copy)]
pub struct Cx {
    env: napi_env,
}

impl Cx {
    /// # Safety
    /// `env` must be the environment of the callback that is running now, on
    /// this thread, and the `Cx` must not outlive that callback.
    pub unsafe fn new(env: napi_env) -> Cx {
        Cx { env }
    }

    pub fn raw(&self) -> napi_env {
        self.env
    }

    pub fn check(&self, status: napi_status, call: &'static str) -> JsResult<()> {
        if status == sys::Status::napi_ok {
            Ok(())
        } else {
            Err(JsError::Napi(call, status))
        }
    }

    /// # Safety
    /// `info` must be the callback info Node passed to the running callback.
    pub unsafe fn args<const N: usize>(&self, info: napi_callback_info) -> JsResult<Args<N>> {
        let mut argv = [ptr::null_mut(); N];
        let mut argc = N;
        let mut data = ptr::null_mut();
        let this = ptr::null_mut();
        napi_call!(
            self,
            napi_get_cb_info(info, &mut argc, argv.as_mut_ptr(), this, &mut data)
        )?;
        Ok(Args { argv, argc, data })
    }

    /// The `i`-th argument; `undefined` when it was not passed.
    pub fn arg<const N: usize>(&self, args: &Args<N>, i: usize) -> JsResult<napi_value> {
        if i < args.argc.min(N) {
            Ok(args.argv[i])
        } else {
            self.undefined()
        }
    }

    pub fn type_of(&self, v: napi_value) -> JsResult<sys::napi_valuetype> {
        let mut t = 0;
        napi_call!(self, napi_typeof(v, &mut t))?;
        Ok(t)
    }

    pub fn is_undefined(&self, v: napi_value) -> JsResult<bool> {
        Ok(self.type_of(v)? == sys::ValueType::napi_undefined)
    }

    pub fn get_f64(&self, v: napi_value) -> JsResult<f64> {
        let mut x = 0.0;
        napi_call!(self, napi_get_value_double(v, &mut x))?;
        Ok(x)
    }

    /// A number argument named `name`; anything else is a `TypeError`.
    pub fn number(&self, v: napi_value, name: &str) -> JsResult<f64> {
        if self.type_of(v)? != sys::ValueType::napi_number {
            return type_error(format!("{name} must be a number"));
        }
        self.get_f64(v)
    }

    /// A boolean argument named `name`; anything else is a `TypeError`.
    pub fn flag(&self, v: napi_value, name: &str) -> JsResult<bool> {
        if self.type_of(v)? != sys::ValueType::napi_boolean {
            return type_error(format!("{name} must be a boolean"));
        }
        let mut b = false;
        napi_call!(self, napi_get_value_bool(v, &mut b))?;
        Ok(b)
    }

    /// Reads a string as UTF-16 into `out` (replacing its contents).
    pub fn string_utf16(&self, v: napi_value, out: &mut Vec<u16>) -> JsResult<()> {
        let mut len = 0usize;
        napi_call!(
            self,
            napi_get_value_string_utf16(v, ptr::null_mut(), 0, &mut len)
        )?;
        out.clear();
        reserve(out, len + 1)?;
        let mut written = 0usize;
        napi_call!(
            self,
            napi_get_value_string_utf16(v, out.as_mut_ptr(), len + 1, &mut written)
        )?;
        // SAFETY: Node wrote `written` (≤ len < capacity) units into the buffer.
        unsafe { out.set_len(written) };
        Ok(())
    }

    /// Reads a string of at most `buf.len() - 2` units into `buf`; `None` when
    /// it is longer (then nothing useful was read).
    pub fn short_string_utf16<'b>(
        &self,
        v: napi_value,
        buf: &'b mut [u16],
    ) -> JsResult<Option<&'b [u16]>> {
        let mut written = 0usize;
        // Node writes at most `len - 1` units and a terminating NUL.
        napi_call!(
            self,
            napi_get_value_string_utf16(v, buf.as_mut_ptr(), buf.len(), &mut written)
        )?;
        Ok(if written + 1 < buf.len() {
            Some(&buf[..written])
        } else {
            None
        })
    }

    /// A bigint's sign (true when negative) and 64-bit words, least significant first.
    pub fn bigint_words(&self, v: napi_value) -> JsResult<(bool, Vec<u64>)> {
        let mut count = 0usize;
        let (sign, words) = (ptr::null_mut(), ptr::null_mut());
        // With both out-pointers null, Node reports the word count only.
        napi_call!(
            self,
            napi_get_value_bigint_words(v, sign, &mut count, words)
        )?;
        let mut words = Vec::new();
        reserve(&mut words, count)?;
        words.resize(count, 0u64);
        let mut sign = 0i32;
        napi_call!(
            self,
            napi_get_value_bigint_words(v, &mut sign, &mut count, words.as_mut_ptr())
        )?;
        words.truncate(count);
        Ok((sign != 0, words))
    }

    /// Reads a `Uint8Array` (a `Buffer` is one): `f` gets its length and a
    /// function that copies its bytes into a slice of that length. Anything
    /// else is a `TypeError` naming `name`.
    pub fn read_uint8_array<T>(
        &self,
        v: napi_value,
        name: &str,
        f: impl FnOnce(usize, &dyn Fn(&mut [u8])) -> JsResult<T>,
    ) -> JsResult<T> {
        let mut is_typed = false;
        napi_call!(self, napi_is_typedarray(v, &mut is_typed))?;
        let (mut kind, mut len, mut data, mut buffer, mut offset) =
            (0, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        if is_typed {
            napi_call!(
                self,
                napi_get_typedarray_info(
                    v,
                    &mut kind,
                    &mut len,
                    &mut data,
                    &mut buffer,
                    &mut offset
                )
            )?;
        }
        if !is_typed || kind != sys::TypedarrayType::uint8_array {
            return type_error(format!("{name} must be a Uint8Array"));
        }
        let mut plain = false;
        napi_call!(self, napi_is_arraybuffer(buffer, &mut plain))?;
        let src = data as *const u8;
        let copy = |out: &mut [u8]| {
            let n = out.len().min(len);
            if n == 0 {
                return;
            }
            if plain {
                // SAFETY: a live, non-shared `ArrayBuffer` holds `len` bytes at
                // `data`; `f` runs no JS, so nothing writes or detaches it meanwhile.
                out[..n].copy_from_slice(unsafe { std::slice::from_raw_parts(src, n) });
            } else {
                // A `SharedArrayBuffer`: other threads may write while we read,
                // so read with atomic loads (no data race).
                for (i, o) in out[..n].iter_mut().enumerate() {
                    // SAFETY: `src + i` is inside the shared buffer, alive while
                    // its typed array is; `AtomicU8` has `u8`'s layout.
                    *o = unsafe { &*(src.add(i) as *const AtomicU8) }.load(Ordering::Relaxed);
                }
            }
        };
        f(len, &copy)
    }

    pub fn undefined(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_undefined(&mut v))?;
        Ok(v)
    }

    pub fn null(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_null(&mut v))?;
        Ok(v)
    }

    pub fn boolean(&self, b: bool) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_boolean(b, &mut v))?;
        Ok(v)
    }

    pub fn double(&self, x: f64) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_create_double(x, &mut v))?;
        Ok(v)
    }

    pub fn string_latin1(&self, s: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_string_latin1(s.as_ptr().cast(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    /// A string from UTF-16 units stored as little-endian byte pairs.
    pub fn string_from_utf16_le(&self, bytes: &[u8]) -> JsResult<napi_value> {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        self.string_from_utf16(&units)
    }

    pub fn string_from_utf16(&self, s: &[u16]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_string_utf16(s.as_ptr(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    pub fn bigint(&self, negative: bool, words: &[u64]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_bigint_words(negative as i32, words.len(), words.as_ptr(), &mut v)
        )?;
        Ok(v)
    }

    /// A new `Buffer` holding a copy of `bytes`.
    pub fn buffer_copy(&self, bytes: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        let mut data = ptr::null_mut();
        napi_call!(
            self,
            napi_create_buffer_copy(bytes.len(), bytes.as_ptr().cast(), &mut data, &mut v)
        )?;
        Ok(v)
    }

    /// A new `ArrayBuffer` holding a copy of `bytes`.
    pub fn arraybuffer_copy(&self, bytes: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        let mut data: *mut c_void = ptr::null_mut();
        napi_call!(
            self,
            napi_create_arraybuffer(bytes.len(), &mut data, &mut v)
        )?;
        if !bytes.is_empty() {
            // SAFETY: Node allocated `bytes.len()` writable bytes at `data`
            // for the new buffer, which nothing else can see yet.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
        }
        Ok(v)
    }

    /// A new `Uint8Array` holding a copy of `bytes`.
    pub fn uint8_array_copy(&self, bytes: &[u8]) -> JsResult<napi_value> {
        let buffer = self.arraybuffer_copy(bytes)?;
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_typedarray(
                sys::TypedarrayType::uint8_array,
                bytes.len(),
                buffer,
                0,
                &mut v
            )
        )?;
        Ok(v)
    }

    pub fn float64_array(&self, xs: &[f64]) -> JsResult<napi_value> {
        let bytes: Vec<u8> = xs.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let buffer = self.arraybuffer_copy(&bytes)?;
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_typedarray(
                sys::TypedarrayType::float64_array,
                xs.len(),
                buffer,
                0,
                &mut v
            )
        )?;
        Ok(v)
    }

    pub fn array(&self, items: &[napi_value]) -> JsResult<napi_value> {
        let mut arr = ptr::null_mut();
        napi_call!(self, napi_create_array_with_length(items.len(), &mut arr))?;
        for (i, item) in items.iter().enumerate() {
            napi_call!(self, napi_set_element(arr, i as u32, *item))?;
        }
        Ok(arr)
    }

    pub fn object(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_create_object(&mut v))?;
        Ok(v)
    }

    pub fn set_named(&self, obj: napi_value, name: &str, value: napi_value) -> JsResult<()> {
        let name =
            CString::new(name).map_err(|_| JsError::Error("property names have no NUL".into()))?;
        napi_call!(self, napi_set_named_property(obj, name.as_ptr(), value))
    }

    /// Calls `f` with `this` undefined.
    pub fn call(&self, f: napi_value, args: &[napi_value]) -> JsResult<napi_value> {
        let recv = self.undefined()?;
        let mut result = ptr::null_mut();
        napi_call!(
            self,
            napi_call_function(recv, f, args.len(), args.as_ptr(), &mut result)
        )?;
        Ok(result)
    }

    /// A JS function calling `cb` with `data` as its data pointer. The function
    /// owns one reference to `data`, dropped by its finalizer: whoever can
    /// call it keeps `data` alive. (`Rc`: functions and their finalizers run
    /// on this environment's thread only.)
    pub fn function<T: 'static>(
        &self,
        name: &str,
        cb: Callback,
        data: &Rc<T>,
    ) -> JsResult<napi_value> {
        let raw = Rc::into_raw(Rc::clone(data)) as *mut c_void;
        let mut f = ptr::null_mut();
        if let Err(e) = napi_call!(
            self,
            napi_create_function(
                name.as_ptr().cast(),
                name.len() as isize,
                Some(cb),
                raw,
                &mut f
            )
        ) {
            // SAFETY: `raw` came from `Rc::into_raw` above and was handed to no one.
            drop(unsafe { Rc::from_raw(raw as *const T) });
            return Err(e);
        }
        let no_ref = ptr::null_mut();
        // On failure the reference is leaked, never freed early: the function
        // may still be reachable and called.
        napi_call!(
            self,
            napi_add_finalizer(f, raw, Some(release_rc::<T>), ptr::null_mut(), no_ref)
        )?;
        Ok(f)
    }

    /// An object holding one function per `(name, callback)`, each owning a
    /// reference to `data`.
    pub fn methods<T: 'static>(
        &self,
        data: &Rc<T>,
        methods: &[(&str, Callback)],
    ) -> JsResult<napi_value> {
        let obj = self.object()?;
        for (name, cb) in methods {
            let f = self.function(name, *cb, data)?;
            self.set_named(obj, name, f)?;
        }
        Ok(obj)
    }

    /// Runs a callback body: errors become JS exceptions, panics JS errors.
    pub fn guard(&self, body: impl FnOnce() -> JsResult<napi_value>) -> napi_value {
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                self.throw(e);
                ptr::null_mut()
            }
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                self.throw(JsError::Error(format!("moka-js internal error: {what}")));
                ptr::null_mut()
            }
        }
    }

    fn throw(&self, err: JsError) {
        let text = |m: String| CString::new(m.replace('\0', " ")).unwrap_or_default();
        let code = ptr::null();
        // Throwing can only fail when an exception is already pending, which
        // then reaches JS instead: the statuses below are deliberately ignored.
        match err {
            JsError::Type(m) => {
                let m = text(m);
                let _ = napi_call!(self, napi_throw_type_error(code, m.as_ptr()));
            }
            JsError::Range(m) => {
                let m = text(m);
                let _ = napi_call!(self, napi_throw_range_error(code, m.as_ptr()));
            }
            JsError::Error(m) => {
                let m = text(m);
                let _ = napi_call!(self, napi_throw_error(code, m.as_ptr()));
            }
            JsError::Napi(call, status) => {
                let mut pending = false;
                let _ = napi_call!(self, napi_is_exception_pending(&mut pending));
                if !pending {
                    let m = text(format!("moka-js: {call} failed with status {status}"));
                    let _ = napi_call!(self, napi_throw_error(code, m.as_ptr()));
                }
            }
        }
    }
}

/// Reserves room for `additional` more elements, or a `RangeError` instead
/// of aborting the process when the allocation fails.
pub fn reserve<T>(v: &mut Vec<T>, additional: usize) -> JsResult<()> {
    v.try_reserve_exact(additional).or_else(|_| {
        range_error(format!(
            "cannot allocate {additional} elements of {} bytes",
            std::mem::size_of::<T>()
        ))
    })
}

/// Finalizer of a function made by [`Cx::function`]: drops its reference.
unsafe extern "C" fn release_rc<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Rc::into_raw` pointer this function owned; Node
    // calls the finalizer once, on the function's thread.
    let rc = unsafe { Rc::from_raw(data as *const T) };
    // A panicking drop must not unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(rc)));
}

/// Defines a native function whose data pointer is an `Rc<$ty>` owned by the
/// function (see [`Cx::function`]).
macro_rules! callback {
    ($name:ident, $ty:ty, $argc:literal, |$cx:ident, $this:ident, $args:ident| $body:block) => {
        pub unsafe extern "C" fn $name(
            env: napi::sys::napi_env,
            info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            // SAFETY: Node calls this with the live environment of this call.
            let $cx = unsafe { $crate::shared::js::Cx::new(env) };
            $cx.guard(|| {
                // SAFETY: `info` is this call's callback info.
                let $args = unsafe { $cx.args::<$argc>(info)? };
                // SAFETY: the data pointer is the `Rc<$ty>` this function owns
                // (`Cx::function`), alive at least as long as the function,
                // which is alive while it runs.
                let $this: &$ty = unsafe { &*($args.data as *const $ty) };
                #[allow(clippy::redundant_closure_call)]
                (|| -> $crate::shared::js::JsResult<napi::sys::napi_value> { $body })()
            })
        }
    };
}

pub(crate) use callback;
