//! Cache keys: JS values encoded natively with `Map`'s SameValueZero equality.
//!
//! A key is a `u16` string: a tag, then the payload. Strings are read as UTF-16
//! (exact, no transcoding) straight into a stack buffer; numbers are
//! normalised so that `-0` is `0` and every `NaN` is one key. Objects and
//! symbols cannot be hashed from Rust (V8 moves them), so the JS layer hands
//! over a numeric token for them (identity id, or an interned value-object id).

use std::mem::MaybeUninit;
use std::ptr;

use napi::sys::{self, napi_value};

use crate::ffi::{napi_call, type_error, Env, JsResult};
use crate::same_value_zero;

const TAG_STRING: u16 = 1;
const TAG_NUMBER: u16 = 2;
const TAG_BIGINT: u16 = 3;
const TAG_TRUE: u16 = 4;
const TAG_FALSE: u16 = 5;
const TAG_NULL: u16 = 6;
const TAG_UNDEFINED: u16 = 7;
const TAG_TOKEN: u16 = 8;

/// The owned key stored in moka. Short keys (a tag and up to 14 UTF-16
/// units, e.g. `user:123456789`) live inline, inside the `Arc` moka allocates
/// per key: one pointer less to chase on every lookup. 15 units make the key
/// 40 bytes and moka's `Arc` of it 56, which fits glibc's 64-byte chunk (a
/// larger inline buffer costs 16 more bytes on every entry).
pub type Key = smallvec::SmallVec<[u16; 15]>;

/// Keys up to this many code units (tag included) are read without allocating.
const INLINE: usize = 64;

/// A key being read: on the stack when short, on the heap when long.
pub struct KeyBuf {
    /// The first `len` units are written (not zeroed first: a read costs
    /// no more than the key's length).
    inline: [MaybeUninit<u16>; INLINE],
    heap: Vec<u16>,
    len: usize,
    spilled: bool,
}

impl KeyBuf {
    #[inline]
    pub fn new() -> Self {
        KeyBuf {
            inline: [MaybeUninit::uninit(); INLINE],
            heap: Vec::new(),
            len: 0,
            spilled: false,
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u16] {
        if self.spilled {
            &self.heap
        } else {
            // SAFETY: every writer of `inline` sets `len` to the number of
            // units it wrote from the start (`set_inline`, `read_string`).
            unsafe { std::slice::from_raw_parts(self.inline.as_ptr().cast::<u16>(), self.len) }
        }
    }

    #[inline]
    pub fn to_key(&self) -> Key {
        Key::from_slice(self.as_slice())
    }

    #[inline]
    fn set_inline(&mut self, units: &[u16]) {
        for (slot, unit) in self.inline.iter_mut().zip(units) {
            slot.write(*unit);
        }
        self.len = units.len();
        self.spilled = false;
    }

    #[inline]
    fn set_f64(&mut self, tag: u16, x: f64) {
        let b = x.to_bits();
        self.set_inline(&[
            tag,
            b as u16,
            (b >> 16) as u16,
            (b >> 32) as u16,
            (b >> 48) as u16,
        ]);
    }

    /// A string key from its code units, read without Node-API (`u8` for
    /// V8's one-byte strings, which are Latin-1: each byte is the UTF-16
    /// unit of the same value): on the stack when it fits, else on the heap.
    #[inline(always)]
    pub fn set_string<U: Copy + Into<u16>>(&mut self, units: &[U]) {
        if units.len() >= INLINE {
            return self.spill_string(units);
        }
        self.inline[0].write(TAG_STRING);
        for (slot, unit) in self.inline[1..].iter_mut().zip(units) {
            slot.write((*unit).into());
        }
        self.len = 1 + units.len();
        self.spilled = false;
    }

    /// A long string key, on the heap (as `read_string` spills one).
    #[inline(never)]
    fn spill_string<U: Copy + Into<u16>>(&mut self, units: &[U]) {
        self.heap.clear();
        self.heap.reserve(1 + units.len());
        self.heap.push(TAG_STRING);
        self.heap.extend(units.iter().map(|&u| u.into()));
        self.spilled = true;
    }

    /// [`KeyBuf::set_string`] of V8's one-byte (Latin-1) code units, widened
    /// eight at a time (the last eight overlapping the eight before when
    /// the length is no multiple of eight): on x86-64, three SSE2
    /// instructions per eight instead of a loop step per unit.
    #[inline(always)]
    pub fn set_latin1(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        if !(8..INLINE).contains(&n) {
            return self.set_string(bytes);
        }
        self.inline[0].write(TAG_STRING);
        let out = &mut self.inline[1..=n];
        let widen = |out: &mut [MaybeUninit<u16>], at: usize| {
            let eight: [u8; 8] = bytes[at..at + 8].try_into().unwrap_or([0; 8]);
            let out = &mut out[at..at + 8];
            #[cfg(target_arch = "x86_64")]
            {
                use std::arch::x86_64::{
                    __m128i, _mm_loadl_epi64, _mm_setzero_si128, _mm_storeu_si128,
                    _mm_unpacklo_epi8,
                };
                // SAFETY: SSE2 is part of x86-64; the load reads the 8 bytes
                // of `eight` and the store writes the 16 bytes of `out`'s 8
                // units, both unaligned accesses.
                unsafe {
                    let v = _mm_loadl_epi64(eight.as_ptr().cast::<__m128i>());
                    let wide = _mm_unpacklo_epi8(v, _mm_setzero_si128());
                    _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), wide);
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            for (slot, unit) in out.iter_mut().zip(eight) {
                slot.write(unit.into());
            }
        };
        let mut at = 0;
        while at + 8 < n {
            widen(out, at);
            at += 8;
        }
        widen(out, n - 8);
        self.len = 1 + n;
        self.spilled = false;
    }

    /// A number key, read without Node-API.
    #[inline]
    pub fn set_number(&mut self, x: f64) {
        self.set_f64(TAG_NUMBER, same_value_zero::number(x));
    }

    /// Reads `value` (or `token`, when the JS layer passed one) as a key.
    ///
    /// `token` must be given for objects, functions and symbols; a primitive
    /// with a token is keyed by the token too (custom `hash`/`equals`).
    #[inline(always)]
    pub fn read(&mut self, env: Env, value: napi_value, token: Option<napi_value>) -> JsResult<()> {
        // The common key, a short string without a token, is read inline.
        if token.is_none() {
            if let Some(len) = read_short_string(env, value, &mut self.inline) {
                self.len = len;
                self.spilled = false;
                return Ok(());
            }
        }
        self.read_any(env, value, token)
    }

    #[inline(never)]
    fn read_any(&mut self, env: Env, value: napi_value, token: Option<napi_value>) -> JsResult<()> {
        if let Some(t) = env.get_opt_f64(token, "token")? {
            self.set_f64(TAG_TOKEN, t);
            return Ok(());
        }
        // Strings are the common key: read one before asking for the type.
        if self.read_string(env, value)? {
            return Ok(());
        }
        match env.type_of(value)? {
            sys::ValueType::napi_number => {
                let x = env.get_f64(value, "key")?;
                self.set_f64(TAG_NUMBER, same_value_zero::number(x));
                Ok(())
            }
            sys::ValueType::napi_boolean => {
                let mut b = false;
                napi_call!(env, napi_get_value_bool(value, &mut b))?;
                self.set_inline(&[if b { TAG_TRUE } else { TAG_FALSE }]);
                Ok(())
            }
            sys::ValueType::napi_null => {
                self.set_inline(&[TAG_NULL]);
                Ok(())
            }
            sys::ValueType::napi_undefined => {
                self.set_inline(&[TAG_UNDEFINED]);
                Ok(())
            }
            sys::ValueType::napi_bigint => self.read_bigint(env, value),
            _ => type_error("key: objects, functions and symbols need an identity token"),
        }
    }

    /// Reads `value` if it is a string; false (and nothing read) when it is not.
    #[inline]
    fn read_string(&mut self, env: Env, value: napi_value) -> JsResult<bool> {
        self.inline[0].write(TAG_STRING);
        let room = INLINE - 1;
        let mut written = 0usize;
        // Node writes at most `bufsize - 1` units and a terminating NUL.
        let units = self.inline[1..].as_mut_ptr().cast::<u16>();
        match napi_call!(
            status env,
            napi_get_value_string_utf16(value, units, room, &mut written)
        ) {
            sys::Status::napi_ok => {}
            sys::Status::napi_string_expected => return Ok(false),
            status => env.check(status, "napi_get_value_string_utf16")?,
        }
        if written < room - 1 {
            self.len = 1 + written;
            self.spilled = false;
            return Ok(true);
        }
        let mut total = 0usize;
        napi_call!(
            env,
            napi_get_value_string_utf16(value, ptr::null_mut(), 0, &mut total)
        )?;
        if total == written {
            self.len = 1 + written;
            self.spilled = false;
            return Ok(true);
        }
        self.heap.clear();
        self.heap.resize(total + 2, 0);
        self.heap[0] = TAG_STRING;
        napi_call!(
            env,
            napi_get_value_string_utf16(
                value,
                self.heap[1..].as_mut_ptr(),
                total + 1,
                &mut written
            )
        )?;
        self.heap.truncate(1 + written);
        self.spilled = true;
        Ok(true)
    }

    fn read_bigint(&mut self, env: Env, value: napi_value) -> JsResult<()> {
        let (negative, words) = same_value_zero::read_bigint(env, value)?;
        self.heap.clear();
        self.heap.push(TAG_BIGINT);
        self.heap.push(negative as u16);
        for w in words {
            self.heap.extend_from_slice(&[
                w as u16,
                (w >> 16) as u16,
                (w >> 32) as u16,
                (w >> 48) as u16,
            ]);
        }
        self.spilled = true;
        Ok(())
    }
}

/// Runs `f` on `value` (or `token`) read as a key (see [`KeyBuf::read`]).
/// The common key, a short string without a token, is read into a buffer on
/// the stack: no `KeyBuf` to set up and drop on the hot path.
#[inline(always)]
pub fn with_key<R>(
    env: Env,
    value: napi_value,
    token: Option<napi_value>,
    f: impl FnOnce(&[u16]) -> R,
) -> JsResult<R> {
    if token.is_none() {
        let mut units = [MaybeUninit::uninit(); INLINE];
        if let Some(len) = read_short_string(env, value, &mut units) {
            // SAFETY: `read_short_string` wrote the first `len` units.
            let key = unsafe { std::slice::from_raw_parts(units.as_ptr().cast::<u16>(), len) };
            return Ok(f(key));
        }
    }
    with_any_key(env, value, token, f)
}

#[inline(never)]
fn with_any_key<R>(
    env: Env,
    value: napi_value,
    token: Option<napi_value>,
    f: impl FnOnce(&[u16]) -> R,
) -> JsResult<R> {
    let mut key = KeyBuf::new();
    key.read_any(env, value, token)?;
    Ok(f(key.as_slice()))
}

/// Reads `value` into `units` (tag first) if it is a string that fits; its
/// length in units, tag included, or `None` (and nothing read) otherwise,
/// whatever the reason.
#[inline(always)]
fn read_short_string(
    env: Env,
    value: napi_value,
    units: &mut [MaybeUninit<u16>; INLINE],
) -> Option<usize> {
    units[0].write(TAG_STRING);
    let room = INLINE - 1;
    let mut written = MaybeUninit::<usize>::uninit();
    // Node writes at most `bufsize - 1` units and a terminating NUL.
    let status = napi_call!(
        status env,
        napi_get_value_string_utf16(value, units[1..].as_mut_ptr().cast(), room, written.as_mut_ptr())
    );
    if status != sys::Status::napi_ok {
        return None;
    }
    // SAFETY: the call succeeded, so it wrote the count.
    let written = unsafe { written.assume_init() };
    (written < room - 1).then_some(1 + written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_encoding_is_same_value_zero() {
        let mut a = KeyBuf::new();
        let mut b = KeyBuf::new();
        a.set_f64(TAG_NUMBER, 0.0);
        b.set_f64(TAG_NUMBER, 0.0);
        assert_eq!(a.as_slice(), b.as_slice());
        a.set_f64(TAG_NUMBER, 1.0);
        b.set_f64(TAG_TOKEN, 1.0);
        assert_ne!(a.as_slice(), b.as_slice(), "a token never equals a number");
    }

    #[test]
    fn latin1_keys_are_their_utf16_keys() {
        let bytes: Vec<u8> = (0..200).map(|i| (i * 37 + 200) as u8).collect();
        // One buffer for every length, as a call reuses none: a long key
        // spilled to the heap must not leave it marked spilled for the next.
        let mut a = KeyBuf::new();
        for n in (0..=bytes.len()).chain((0..=bytes.len()).rev()) {
            let wide: Vec<u16> = bytes[..n].iter().map(|&b| b.into()).collect();
            let mut b = KeyBuf::new();
            a.set_latin1(&bytes[..n]);
            b.set_string(&wide[..]);
            assert_eq!(a.as_slice(), b.as_slice(), "length {n}");
            assert_eq!(a.as_slice().len(), 1 + n, "length {n}");
            assert_eq!(&a.as_slice()[1..], &wide[..], "length {n}");
        }
    }

    #[test]
    fn a_key_fits_in_its_allocation_class() {
        assert_eq!(std::mem::size_of::<Key>(), 40);
    }

    #[test]
    fn long_keys_spill_to_the_heap() {
        let mut k = KeyBuf::new();
        k.heap = vec![TAG_STRING; 200];
        k.spilled = true;
        assert_eq!(k.to_key().len(), 200);
        k.set_inline(&[TAG_NULL]);
        assert_eq!(k.as_slice(), &[TAG_NULL]);
    }
}
