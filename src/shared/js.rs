//! What the shared cache needs from Node-API beyond the crate's `ffi` layer:
//! strings read and made as UTF-16 or Latin-1, bigints, byte arrays in and
//! out, calls into JS, and functions that own their native data.
//!
//! Same invariant as `ffi`: an `Env` exists only inside the callback (or
//! threadsafe-function call) whose environment it wraps, on that thread, and
//! every `napi_value` it is given was produced during that callback.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU8, Ordering};

use napi::sys::{self, napi_value};

pub use crate::ffi::reserve;
use crate::ffi::{napi_call, type_error, Args, Env, JsResult, TypedArrayInfo};

pub trait EnvExt {
    /// The `i`-th argument; `undefined` when it was not passed.
    fn arg<const N: usize>(self, args: &Args<N>, i: usize) -> JsResult<napi_value>;
    /// A boolean argument named `name`; anything else is a `TypeError`.
    fn flag(self, v: napi_value, name: &str) -> JsResult<bool>;
    /// Reads a string as UTF-16 into `out` (replacing its contents).
    fn string_utf16(self, v: napi_value, out: &mut Vec<u16>) -> JsResult<()>;
    /// Reads a string of at most `buf.len() - 2` units into `buf`; `None` when it is longer.
    fn short_string_utf16(self, v: napi_value, buf: &mut [u16]) -> JsResult<Option<usize>>;
    /// Reads a `Uint8Array` (a `Buffer` is one): `f` gets its length and a
    /// function that copies its bytes into a slice of that length. Anything
    /// else is a `TypeError` naming `name`.
    fn read_uint8_array<T>(
        self,
        v: napi_value,
        name: &str,
        f: impl FnOnce(usize, &dyn Fn(&mut [u8])) -> JsResult<T>,
    ) -> JsResult<T>;
    fn null(self) -> JsResult<napi_value>;
    fn string_latin1(self, s: &[u8]) -> JsResult<napi_value>;
    fn string_from_utf16(self, s: &[u16]) -> JsResult<napi_value>;
    /// A string from UTF-16 units stored as little-endian byte pairs.
    fn string_from_utf16_le(self, bytes: &[u8]) -> JsResult<napi_value>;
    fn bigint(self, negative: bool, words: &[u64]) -> JsResult<napi_value>;
    /// A new `Buffer` holding a copy of `bytes`.
    fn buffer_copy(self, bytes: &[u8]) -> JsResult<napi_value>;
    /// A new `ArrayBuffer` holding a copy of `bytes`.
    fn arraybuffer_copy(self, bytes: &[u8]) -> JsResult<napi_value>;
    /// A new `Uint8Array` holding a copy of `bytes`.
    fn uint8_array_copy(self, bytes: &[u8]) -> JsResult<napi_value>;
    fn array(self, items: &[napi_value]) -> JsResult<napi_value>;
    /// Calls `f` with `this` undefined.
    fn call(self, f: napi_value, args: &[napi_value]) -> JsResult<napi_value>;
}

impl EnvExt for Env {
    fn arg<const N: usize>(self, args: &Args<N>, i: usize) -> JsResult<napi_value> {
        match args.get(i) {
            Some(v) => Ok(v),
            None => self.undefined(),
        }
    }

    fn flag(self, v: napi_value, name: &str) -> JsResult<bool> {
        self.get_bool(Some(v), name)
    }

    fn string_utf16(self, v: napi_value, out: &mut Vec<u16>) -> JsResult<()> {
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
        unsafe { out.set_len(written.min(len)) };
        Ok(())
    }

    fn short_string_utf16(self, v: napi_value, buf: &mut [u16]) -> JsResult<Option<usize>> {
        let mut written = 0usize;
        // Node writes at most `len - 1` units and a terminating NUL.
        napi_call!(
            self,
            napi_get_value_string_utf16(v, buf.as_mut_ptr(), buf.len(), &mut written)
        )?;
        Ok((written + 1 < buf.len()).then_some(written))
    }

    fn read_uint8_array<T>(
        self,
        v: napi_value,
        name: &str,
        f: impl FnOnce(usize, &dyn Fn(&mut [u8])) -> JsResult<T>,
    ) -> JsResult<T> {
        let info = self.typed_array_info(v)?;
        let Some(TypedArrayInfo {
            len, data, buffer, ..
        }) = info.filter(|i| i.kind == sys::TypedarrayType::uint8_array)
        else {
            return type_error(format!("{name} must be a Uint8Array"));
        };
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

    fn null(self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(self, napi_get_null(&mut v))?;
        Ok(v)
    }

    fn string_latin1(self, s: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_string_latin1(s.as_ptr().cast(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    fn string_from_utf16(self, s: &[u16]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_string_utf16(s.as_ptr(), s.len() as isize, &mut v)
        )?;
        Ok(v)
    }

    fn string_from_utf16_le(self, bytes: &[u8]) -> JsResult<napi_value> {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        self.string_from_utf16(&units)
    }

    fn bigint(self, negative: bool, words: &[u64]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        napi_call!(
            self,
            napi_create_bigint_words(negative as i32, words.len(), words.as_ptr(), &mut v)
        )?;
        Ok(v)
    }

    fn buffer_copy(self, bytes: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        let mut data = ptr::null_mut();
        napi_call!(
            self,
            napi_create_buffer_copy(bytes.len(), bytes.as_ptr().cast(), &mut data, &mut v)
        )?;
        Ok(v)
    }

    fn arraybuffer_copy(self, bytes: &[u8]) -> JsResult<napi_value> {
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

    fn uint8_array_copy(self, bytes: &[u8]) -> JsResult<napi_value> {
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

    fn array(self, items: &[napi_value]) -> JsResult<napi_value> {
        let mut arr = ptr::null_mut();
        napi_call!(self, napi_create_array_with_length(items.len(), &mut arr))?;
        for (i, item) in items.iter().enumerate() {
            napi_call!(self, napi_set_element(arr, i as u32, *item))?;
        }
        Ok(arr)
    }

    fn call(self, f: napi_value, args: &[napi_value]) -> JsResult<napi_value> {
        let recv = self.undefined()?;
        let mut result = ptr::null_mut();
        napi_call!(
            self,
            napi_call_function(recv, f, args.len(), args.as_ptr(), &mut result)
        )?;
        Ok(result)
    }
}

/// Defines a native function whose data pointer is an `Rc<$ty>` owned by the
/// function (see [`Env::owning_function`]).
macro_rules! callback {
    ($name:ident, $ty:ty, $argc:literal, |$env:ident, $this:ident, $args:ident| $body:block) => {
        $crate::ffi::native_fn!(pub $name, |$env, info| {
            // SAFETY: `info` is this call's callback info.
            let $args = unsafe { $crate::ffi::Args::<$argc>::read($env, info)? };
            // SAFETY: the data pointer is the `Rc<$ty>` this function owns
            // (`Env::owning_function`), alive at least as long as the
            // function, which is alive while it runs.
            let $this: &$ty = unsafe { &*($args.data as *const $ty) };
            #[allow(clippy::redundant_closure_call)]
            (|| -> $crate::ffi::JsResult<napi::sys::napi_value> { $body })()
        });
    };
}

pub(crate) use callback;
