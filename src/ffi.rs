//! A thin, checked layer over raw Node-API for the hot-path callbacks.
//!
//! The cache methods are plain Node-API functions (no `napi_unwrap`, no
//! argument conversion layer). [`Env`] holds the environment of the callback
//! being run; its methods are safe because an `Env` only exists inside a
//! callback on its own thread, and every `napi_value` they are given comes from
//! Node-API in that same callback scope. A failed Node-API call becomes a
//! [`JsError`] naming the call and its status; [`guard`] throws it into JS and
//! turns a Rust panic into a JS error instead of an abort across the boundary.

use std::ffi::{c_void, CStr, CString};
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;

use napi::sys::{self, napi_callback_info, napi_env, napi_status, napi_value};

/// Error raised by a native callback; thrown into JS by [`guard`].
#[derive(Debug)]
pub enum JsError {
    Type(String),
    Range(String),
    /// A plain `Error`: a broken invariant or a failed Node-API call.
    Internal(String),
    /// A JS exception is already pending; leave it to propagate.
    Pending,
}

/// The error is boxed: a `JsResult<napi_value>` is then two words, returned
/// in registers, where the error itself (32 bytes) made every callback pass
/// its result through memory. Errors are rare; the allocation is theirs.
pub type JsResult<T> = Result<T, Box<JsError>>;

pub fn type_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Type(msg.into()).into())
}

pub fn range_error<T>(msg: impl Into<String>) -> JsResult<T> {
    Err(JsError::Range(msg.into()).into())
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

/// Appends `item`, growing `v` fallibly. For lists whose length comes from
/// JS: an array's `length` says nothing of what it holds (a sparse array of
/// length 2^32 - 1 holds nothing), so nothing is reserved up front from it.
pub fn push<T>(v: &mut Vec<T>, item: T) -> JsResult<()> {
    if v.len() == v.capacity() {
        v.try_reserve(1).or_else(|_| {
            range_error(format!(
                "cannot allocate {} elements of {} bytes",
                v.len() + 1,
                std::mem::size_of::<T>()
            ))
        })?;
    }
    v.push(item);
    Ok(())
}

/// The environment of the callback being run.
#[derive(Clone, Copy)]
pub struct Env(napi_env);

/// Runs one Node-API call and turns a failure into an error naming it.
/// `napi_call!(status env, f(…))` returns the raw status instead, for the
/// callers that answer an expected failure (a value of another type) themselves.
macro_rules! napi_call {
    (status $env:expr, $f:ident($($arg:expr),* $(,)?)) => {{
        let env: Env = $env;
        // SAFETY: `env` is the live environment of the current callback (see
        // `Env`); every other argument is a handle from that callback's scope
        // or a pointer to a local that outlives the call.
        unsafe { sys::$f(env.raw(), $($arg),*) }
    }};
    ($env:expr, $f:ident($($arg:expr),* $(,)?)) => {{
        let env: Env = $env;
        let status = napi_call!(status env, $f($($arg),*));
        env.check(status, stringify!($f))
    }};
}
pub(crate) use napi_call;

impl Env {
    /// # Safety
    /// `raw` is the environment Node-API passed to the callback being run, and
    /// the `Env` is used only on that thread, before the callback returns.
    #[inline]
    pub unsafe fn from_raw(raw: napi_env) -> Env {
        Env(raw)
    }

    #[inline]
    pub fn raw(self) -> napi_env {
        self.0
    }

    /// `Ok` for `napi_ok`; else an error naming `call` and its status, unless
    /// the call left a JS exception pending (that one propagates instead).
    #[inline]
    pub fn check(self, status: napi_status, call: &str) -> JsResult<()> {
        if status == sys::Status::napi_ok {
            Ok(())
        } else {
            Err(self.failure(status, call).into())
        }
    }

    #[cold]
    fn failure(self, status: napi_status, call: &str) -> JsError {
        if status == sys::Status::napi_pending_exception || self.exception_pending() {
            return JsError::Pending;
        }
        let mut info: *const sys::napi_extended_error_info = ptr::null();
        // SAFETY: live env; `info` is a local out-pointer.
        let detail = unsafe {
            if sys::napi_get_last_error_info(self.0, &mut info) == sys::Status::napi_ok
                && !info.is_null()
                && !(*info).error_message.is_null()
            {
                CStr::from_ptr((*info).error_message)
                    .to_string_lossy()
                    .into_owned()
            } else {
                String::from("no detail")
            }
        };
        JsError::Internal(format!(
            "moka-js: {call} failed with status {status} ({detail})"
        ))
    }

    fn exception_pending(self) -> bool {
        let mut pending = false;
        // SAFETY: live env; `pending` is a local.
        unsafe { sys::napi_is_exception_pending(self.0, &mut pending) };
        pending
    }

    #[inline]
    pub fn type_of(self, v: napi_value) -> JsResult<sys::napi_valuetype> {
        let mut t = 0;
        napi_call!(self, napi_typeof(v, &mut t))?;
        Ok(t)
    }

    #[inline]
    pub fn is_undefined(self, v: napi_value) -> JsResult<bool> {
        Ok(self.type_of(v)? == sys::ValueType::napi_undefined)
    }

    /// A number, or `None` when `v` is not one: one Node-API call where a
    /// `typeof` first would take two.
    #[inline]
    fn try_f64(self, v: napi_value) -> JsResult<Option<f64>> {
        let mut x = 0.0;
        match napi_call!(status self, napi_get_value_double(v, &mut x)) {
            sys::Status::napi_ok => Ok(Some(x)),
            sys::Status::napi_number_expected => Ok(None),
            status => Err(self.failure(status, "napi_get_value_double").into()),
        }
    }

    /// A number; anything else is a `TypeError` naming `name`.
    #[inline]
    pub fn get_f64(self, v: napi_value, name: &str) -> JsResult<f64> {
        match self.try_f64(v)? {
            Some(x) => Ok(x),
            None => type_error(format!("{name} must be a number")),
        }
    }

    /// An integer in `[0, 2^32)`.
    #[inline]
    pub fn get_u32(self, v: napi_value, name: &str) -> JsResult<u32> {
        let x = self.get_f64(v, name)?;
        if (0.0..=u32::MAX as f64).contains(&x) && x.fract() == 0.0 {
            Ok(x as u32)
        } else {
            range_error(format!("{name} must be an integer in [0, 2^32)"))
        }
    }

    /// An optional number: `undefined` and absence both read as `None`.
    /// Absence, the common case on the hot paths, is checked inline.
    #[inline(always)]
    pub fn get_opt_f64(self, v: Option<napi_value>, name: &str) -> JsResult<Option<f64>> {
        match v {
            None => Ok(None),
            Some(v) => self.get_given_f64(v, name),
        }
    }

    fn get_given_f64(self, v: napi_value, name: &str) -> JsResult<Option<f64>> {
        match self.try_f64(v)? {
            Some(x) => Ok(Some(x)),
            None if self.is_undefined(v)? => Ok(None),
            None => type_error(format!("{name} must be a number")),
        }
    }

    pub fn get_bool(self, v: Option<napi_value>, name: &str) -> JsResult<bool> {
        match v {
            None => Ok(false),
            Some(v) => {
                if self.type_of(v)? != sys::ValueType::napi_boolean {
                    return type_error(format!("{name} must be a boolean"));
                }
                let mut b = false;
                napi_call!(self, napi_get_value_bool(v, &mut b))?;
                Ok(b)
            }
        }
    }

    #[inline]
    pub fn int(self, x: i32) -> JsResult<napi_value> {
        let mut v = MaybeUninit::uninit();
        napi_call!(self, napi_create_int32(x, v.as_mut_ptr()))?;
        // SAFETY: the call succeeded, so it wrote the value.
        Ok(unsafe { v.assume_init() })
    }

    #[inline]
    pub fn double(self, x: f64) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_create_double(x, &mut v))?;
        Ok(v)
    }

    #[inline]
    pub fn boolean(self, b: bool) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_boolean(b, &mut v))?;
        Ok(v)
    }

    /// `undefined`, as a callback's result: Node-API makes a null result
    /// `undefined`, so this costs no call (unlike [`Env::undefined`]).
    #[inline]
    pub fn returns_undefined(self) -> JsResult<napi_value> {
        Ok(ptr::null_mut())
    }

    #[inline]
    pub fn undefined(self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_undefined(&mut v))?;
        Ok(v)
    }

    pub fn string(self, s: &str) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_string_utf8(s.as_ptr().cast(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    pub fn object(self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_create_object(&mut v))?;
        Ok(v)
    }

    pub fn set_property(self, obj: napi_value, name: &str, value: napi_value) -> JsResult<()> {
        let name = CString::new(name)
            .map_err(|_| Box::new(JsError::Internal("property name has a NUL".into())))?;
        napi_call!(self, napi_set_named_property(obj, name.as_ptr(), value))
    }

    /// A new array of strings.
    pub fn string_array(self, items: &[&str]) -> JsResult<napi_value> {
        let mut arr = ptr::null_mut();
        napi_call!(self, napi_create_array_with_length(items.len(), &mut arr))?;
        for (i, s) in items.iter().enumerate() {
            let v = self.string(s)?;
            napi_call!(self, napi_set_element(arr, i as u32, v))?;
        }
        Ok(arr)
    }

    /// Length of a JS array; anything else is a `TypeError` naming `name`.
    pub fn array_len(self, arr: napi_value, name: &str) -> JsResult<u32> {
        let mut is_array = false;
        napi_call!(self, napi_is_array(arr, &mut is_array))?;
        if !is_array {
            return type_error(format!("{name} must be an array"));
        }
        let mut len = 0;
        napi_call!(self, napi_get_array_length(arr, &mut len))?;
        Ok(len)
    }

    #[inline]
    pub fn array_get(self, arr: napi_value, i: u32) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_element(arr, i, &mut v))?;
        Ok(v)
    }

    /// A new typed array of `kind` holding a copy of `bytes`.
    fn typed_array(
        self,
        kind: sys::napi_typedarray_type,
        len: usize,
        bytes: &[u8],
    ) -> JsResult<napi_value> {
        let mut data: *mut c_void = ptr::null_mut();
        let mut buf = ptr::null_mut();
        napi_call!(
            self,
            napi_create_arraybuffer(bytes.len(), &mut data, &mut buf)
        )?;
        if !bytes.is_empty() {
            // SAFETY: Node allocated `bytes.len()` writable bytes at `data`,
            // a fresh buffer that cannot overlap `bytes`.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
        }
        let mut arr = ptr::null_mut();
        napi_call!(self, napi_create_typedarray(kind, len, buf, 0, &mut arr))?;
        Ok(arr)
    }

    pub fn float64_array(self, xs: &[f64]) -> JsResult<napi_value> {
        let bytes: Vec<u8> = xs.iter().flat_map(|x| x.to_ne_bytes()).collect();
        self.typed_array(sys::TypedarrayType::float64_array, xs.len(), &bytes)
    }

    pub fn int32_array(self, xs: &[i32]) -> JsResult<napi_value> {
        let bytes: Vec<u8> = xs.iter().flat_map(|x| x.to_ne_bytes()).collect();
        self.typed_array(sys::TypedarrayType::int32_array, xs.len(), &bytes)
    }

    /// What a typed array is: `None` for any other value.
    pub fn typed_array_info(self, v: napi_value) -> JsResult<Option<TypedArrayInfo>> {
        let mut is_typed = false;
        napi_call!(self, napi_is_typedarray(v, &mut is_typed))?;
        if !is_typed {
            return Ok(None);
        }
        let (mut kind, mut len, mut data, mut buffer, mut offset) =
            (0, 0, ptr::null_mut(), ptr::null_mut(), 0);
        napi_call!(
            self,
            napi_get_typedarray_info(v, &mut kind, &mut len, &mut data, &mut buffer, &mut offset)
        )?;
        Ok(Some(TypedArrayInfo {
            kind,
            len,
            data,
            buffer,
        }))
    }

    /// Tells V8 how much native memory JS objects keep alive (may be negative).
    pub fn adjust_external_memory(self, delta: i64) {
        let mut total = 0i64;
        // SAFETY: live env; `total` is a local. A failure only loses a hint.
        unsafe { sys::napi_adjust_external_memory(self.0, delta, &mut total) };
    }

    /// Creates a function whose `data` is `data`.
    pub fn function(self, name: &str, cb: Callback, data: *mut c_void) -> JsResult<napi_value> {
        let mut f = ptr::null_mut();
        napi_call!(
            self,
            napi_create_function(
                name.as_ptr().cast(),
                name.len() as isize,
                Some(cb),
                data,
                &mut f
            )
        )?;
        Ok(f)
    }

    /// A JS function calling `cb` with `data` as its data pointer. The
    /// function owns one reference to `data`, dropped by its finalizer:
    /// whoever can call it keeps `data` alive. (`Rc`: a function and its
    /// finalizer run on this environment's thread only.)
    pub fn owning_function<T: 'static>(
        self,
        name: &str,
        cb: Callback,
        data: &Rc<T>,
    ) -> JsResult<napi_value> {
        let raw = Rc::into_raw(Rc::clone(data)) as *mut c_void;
        let f = self.function(name, cb, raw).inspect_err(|_| {
            // SAFETY: `raw` came from `Rc::into_raw` above and was handed to no one.
            drop(unsafe { Rc::from_raw(raw as *const T) });
        })?;
        // On failure the reference is leaked, never freed early: the function
        // may still be reachable and called.
        napi_call!(
            self,
            napi_add_finalizer(
                f,
                raw,
                Some(release_rc::<T>),
                ptr::null_mut(),
                ptr::null_mut()
            )
        )?;
        Ok(f)
    }

    /// An object holding one owning function per `(name, callback)`.
    pub fn methods<T: 'static>(
        self,
        data: &Rc<T>,
        methods: &[(&str, Callback)],
    ) -> JsResult<napi_value> {
        let obj = self.object()?;
        for (name, cb) in methods {
            let f = self.owning_function(name, *cb, data)?;
            self.set_property(obj, name, f)?;
        }
        Ok(obj)
    }

    fn throw(self, err: JsError) {
        let msg = |m: String| CString::new(m.replace('\0', " ")).unwrap_or_default();
        // SAFETY: live env; the messages are NUL-terminated locals that
        // outlive each call.
        unsafe {
            match err {
                JsError::Type(m) => {
                    sys::napi_throw_type_error(self.0, ptr::null(), msg(m).as_ptr())
                }
                JsError::Range(m) => {
                    sys::napi_throw_range_error(self.0, ptr::null(), msg(m).as_ptr())
                }
                JsError::Internal(m) => sys::napi_throw_error(self.0, ptr::null(), msg(m).as_ptr()),
                JsError::Pending => sys::Status::napi_ok,
            };
        }
    }
}

/// Finalizer of a function made by [`Env::owning_function`]: drops its reference.
unsafe extern "C" fn release_rc<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Rc::into_raw` pointer this function owned; Node
    // calls the finalizer once, on the function's thread.
    let rc = unsafe { Rc::from_raw(data as *const T) };
    // A panicking drop must not unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(rc)));
}

/// A typed array's element type, length in elements, data and `ArrayBuffer`.
pub struct TypedArrayInfo {
    pub kind: sys::napi_typedarray_type,
    pub len: usize,
    pub data: *mut c_void,
    pub buffer: napi_value,
}

pub type Callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

/// Arguments of one call, read with a single `napi_get_cb_info`.
pub struct Args<const N: usize> {
    /// Not zeroed first: Node writes all `N` (`undefined` past those passed).
    argv: [MaybeUninit<napi_value>; N],
    pub argc: usize,
    pub data: *mut c_void,
    /// How many leading arguments [`Args::get`] skips (see [`Args::read_after_first`]).
    skip: usize,
}

impl<const N: usize> Args<N> {
    /// # Safety
    /// `info` is the callback info Node-API passed to the callback being run
    /// with `env`.
    #[inline]
    pub unsafe fn read(env: Env, info: napi_callback_info) -> JsResult<Self> {
        let mut argv = [MaybeUninit::uninit(); N];
        // SAFETY: as for this function.
        let (argc, data) = unsafe { cb_info(env, info, &mut argv) }?;
        Ok(Args {
            argv,
            argc,
            data,
            skip: 0,
        })
    }

    /// Reads the first argument apart (`undefined` when none was passed),
    /// and the others (up to `N - 1`) as the call's arguments: `get(0)` is
    /// the second one. For functions shared by many native objects, whose
    /// first argument says which (see `externals`).
    ///
    /// # Safety
    /// As for [`Args::read`].
    #[inline(always)]
    pub unsafe fn read_after_first(
        env: Env,
        info: napi_callback_info,
    ) -> JsResult<(napi_value, Self)> {
        // SAFETY: as for this function.
        let mut args = unsafe { Self::read(env, info) }?;
        let first = args.value(0);
        args.skip = 1;
        Ok((first, args))
    }

    /// The `i`-th argument, or `None` when it was not passed.
    #[inline]
    pub fn get(&self, i: usize) -> Option<napi_value> {
        (i + self.skip < self.argc).then(|| self.value(i))
    }

    /// The `i`-th argument, `undefined` when it was not passed: no test of
    /// the count, for arguments where absence and `undefined` mean the same.
    #[inline]
    pub fn value(&self, i: usize) -> napi_value {
        // SAFETY: `napi_get_cb_info` succeeded (`Args` exists only then) and
        // wrote all `N` elements: the arguments passed, then `undefined`.
        unsafe { self.argv[i + self.skip].assume_init() }
    }
}

/// Reads up to `argv.len()` arguments into `argv` and the function's data
/// pointer; returns them with the number of arguments passed.
///
/// # Safety
/// As for [`Args::read`].
#[inline]
unsafe fn cb_info(
    env: Env,
    info: napi_callback_info,
    argv: &mut [MaybeUninit<napi_value>],
) -> JsResult<(usize, *mut c_void)> {
    let mut argc = argv.len();
    let mut data = MaybeUninit::uninit();
    napi_call!(
        env,
        napi_get_cb_info(
            info,
            &mut argc,
            argv.as_mut_ptr().cast(),
            ptr::null_mut(),
            data.as_mut_ptr()
        )
    )?;
    // SAFETY: the call succeeded, so it wrote the data pointer.
    Ok((argc, unsafe { data.assume_init() }))
}

/// Defines `$name`, a raw Node-API callback running `$body` under [`guard`]
/// with the call's `Env` and callback info.
macro_rules! native_fn {
    ($(#[$meta:meta])* $vis:vis $name:ident, |$env:ident, $info:ident| $body:block) => {
        $(#[$meta])*
        $vis unsafe extern "C" fn $name(
            raw: napi::sys::napi_env,
            $info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            // SAFETY: Node calls this with the live environment of this call.
            let $env = unsafe { $crate::ffi::Env::from_raw(raw) };
            $crate::ffi::guard($env, || $body)
        }
    };
}
pub(crate) use native_fn;

/// Runs a callback body: errors become JS exceptions, panics become JS errors.
#[inline]
pub fn guard(env: Env, body: impl FnOnce() -> JsResult<napi_value>) -> napi_value {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            env.throw(*e);
            ptr::null_mut()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            env.throw(JsError::Internal(format!("moka-js internal error: {what}")));
            ptr::null_mut()
        }
    }
}
