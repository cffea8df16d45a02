//! Cache keys: JS values encoded natively with `Map`'s SameValueZero equality.
//!
//! A key is a `u16` string: a tag, then the payload. Strings are read as UTF-16
//! (exact, no transcoding) straight into a stack buffer; numbers are
//! normalised so that `-0` is `0` and every `NaN` is one key. Objects and
//! symbols cannot be hashed from Rust (V8 moves them), so the JS layer hands
//! over a numeric token for them (identity id, or an interned value-object id).

use std::hash::{BuildHasher, Hash, Hasher};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::OnceLock;

use equivalent::Equivalent;

use napi::sys::{self, napi_value};

use crate::ffi::{napi_call, type_error, Env, JsResult};
use crate::latin1;
use crate::same_value_zero;

const TAG_STRING: u16 = 1;
const TAG_NUMBER: u16 = 2;
const TAG_BIGINT: u16 = 3;
const TAG_TRUE: u16 = 4;
const TAG_FALSE: u16 = 5;
const TAG_NULL: u16 = 6;
const TAG_UNDEFINED: u16 = 7;
const TAG_TOKEN: u16 = 8;

/// The units of a stored key. Short keys (a tag and up to 14 UTF-16 units,
/// e.g. `user:123456789`) live inline, inside the `Arc` moka allocates per
/// key: one pointer less to chase on every lookup. With its hash the key is
/// 48 bytes and moka's `Arc` of it 64, mimalloc's 64-byte block, which the
/// 56 bytes without the hash took as well (benches/entry_bytes.rs).
type Units = smallvec::SmallVec<[u16; 15]>;

/// The owned key stored in moka: its units and their hash.
///
/// The hash is computed once, when the key is made, and moka reads it
/// wherever it hashes the key again (its table rehashes every key it moves
/// when it grows or sweeps removed entries; an evicting cache sweeps
/// constantly). moka's hasher ([`StoredHash`]) hands it on unchanged.
#[derive(Clone, Debug)]
pub struct Key {
    hash: u64,
    units: Units,
}

impl Key {
    #[inline]
    pub fn from_slice(units: &[u16]) -> Key {
        KeyRef::new(units).to_key()
    }

    #[inline]
    pub fn as_slice(&self) -> &[u16] {
        &self.units
    }

    /// The key to look this one up by, with its stored hash.
    #[inline]
    pub fn key_ref(&self) -> KeyRef<'_> {
        KeyRef {
            hash: self.hash,
            units: Borrowed::Units(&self.units),
        }
    }
}

/// A key from its units (tag first).
impl FromIterator<u16> for Key {
    fn from_iter<I: IntoIterator<Item = u16>>(units: I) -> Key {
        let units: Units = units.into_iter().collect();
        Key {
            hash: units_hash(&units),
            units,
        }
    }
}

/// A key reads as its units.
impl std::ops::Deref for Key {
    type Target = [u16];

    #[inline]
    fn deref(&self) -> &[u16] {
        &self.units
    }
}

impl PartialEq for Key {
    #[inline]
    fn eq(&self, other: &Key) -> bool {
        self.hash == other.hash && self.units == other.units
    }
}

impl Eq for Key {}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A key to look up in moka: borrowed units and their hash, computed once
/// per call however many lookups the call makes.
#[derive(Clone, Copy)]
pub struct KeyRef<'a> {
    hash: u64,
    units: Borrowed<'a>,
}

/// The units of a key looked up.
#[derive(Clone, Copy)]
pub enum Borrowed<'a> {
    /// Its units, tag first.
    Units(&'a [u16]),
    /// A string key's Latin-1 bytes, as V8 holds a one-byte string: each
    /// byte is the unit of the same value. A lookup compares them with the
    /// stored units only when the hashes match, so that a read (a miss
    /// above all) widens nothing.
    Latin1(&'a [u8]),
}

impl<'a> From<&'a [u16]> for Borrowed<'a> {
    fn from(units: &'a [u16]) -> Self {
        Borrowed::Units(units)
    }
}

impl Borrowed<'_> {
    /// The number of units, tag included.
    #[inline(always)]
    pub fn len(&self) -> usize {
        match self {
            Borrowed::Units(units) => units.len(),
            Borrowed::Latin1(bytes) => 1 + bytes.len(),
        }
    }

    /// Unit `i` (below `len`).
    #[inline(always)]
    pub fn unit(&self, i: usize) -> u16 {
        match self {
            Borrowed::Units(units) => units[i],
            Borrowed::Latin1(_) if i == 0 => TAG_STRING,
            Borrowed::Latin1(bytes) => bytes[i - 1].into(),
        }
    }
}

impl<'a> KeyRef<'a> {
    #[inline]
    pub fn new(units: &'a [u16]) -> KeyRef<'a> {
        KeyRef {
            hash: units_hash(units),
            units: Borrowed::Units(units),
        }
    }

    /// The string key of these Latin-1 bytes (a V8 one-byte string's).
    #[inline]
    pub fn latin1(bytes: &'a [u8]) -> KeyRef<'a> {
        KeyRef {
            hash: latin1_hash(TAG_STRING, bytes),
            units: Borrowed::Latin1(bytes),
        }
    }

    /// The key's units as borrowed, read in place (see `adaptive::sample::key_hash`).
    #[inline]
    pub fn borrowed(&self) -> Borrowed<'a> {
        self.units
    }

    /// Runs `f` on the key's units, tag first (widened on the stack, or on
    /// the heap when long, from Latin-1 bytes).
    #[cfg(test)]
    pub fn with_units<R>(&self, f: impl FnOnce(&[u16]) -> R) -> R {
        match self.units {
            Borrowed::Units(units) => f(units),
            Borrowed::Latin1(bytes) => {
                let mut buf = KeyBuf::new();
                buf.set_latin1(bytes);
                f(buf.as_slice())
            }
        }
    }

    /// The owned key, its hash reused.
    #[inline]
    pub fn to_key(self) -> Key {
        let units = match self.units {
            Borrowed::Units(units) => Units::from_slice(units),
            Borrowed::Latin1(bytes) => widened_string(bytes),
        };
        Key {
            hash: self.hash,
            units,
        }
    }
}

/// The units of the string key of these Latin-1 bytes, out of line: stored
/// keys are made from units read (`KeyBuf`), these only when an adaptive
/// cache moves an entry a read found.
#[inline(never)]
fn widened_string(bytes: &[u8]) -> Units {
    let mut units = Units::with_capacity(1 + bytes.len());
    // SAFETY: the `capacity()` units from `as_mut_ptr()` are the vector's
    // own, seen as uninitialised: only written here.
    let room = unsafe {
        std::slice::from_raw_parts_mut(
            units.as_mut_ptr().cast::<MaybeUninit<u16>>(),
            units.capacity(),
        )
    };
    let len = write_string(bytes, room);
    // SAFETY: `write_string` wrote the first `len` units.
    unsafe { units.set_len(len) };
    units
}

/// Writes the string key of `units` (its tag, then the units as UTF-16)
/// at the start of `out`, which has room for it; answers its length. The
/// one writer of a string key's units from V8's, on the stack or the heap.
#[inline(always)]
fn write_string<U: StringUnit>(units: &[U], out: &mut [MaybeUninit<u16>]) -> usize {
    out[0].write(TAG_STRING);
    U::write_utf16(units, &mut out[1..]);
    1 + units.len()
}

/// A stored key, to look up by.
impl<'a> From<&'a Key> for KeyRef<'a> {
    #[inline]
    fn from(key: &'a Key) -> KeyRef<'a> {
        key.key_ref()
    }
}

impl Hash for KeyRef<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    #[inline]
    fn equivalent(&self, key: &Key) -> bool {
        self.hash == key.hash
            && match self.units {
                Borrowed::Units(units) => units == key.as_slice(),
                Borrowed::Latin1(bytes) => is_latin1_string(bytes, key.as_slice()),
            }
    }
}

/// Whether `units` are the string key of the Latin-1 `bytes`.
#[inline]
fn is_latin1_string(bytes: &[u8], units: &[u16]) -> bool {
    match units.split_first() {
        Some((&TAG_STRING, rest)) => latin1::equals(bytes, rest),
        _ => false,
    }
}

/// The hash of a key's units (tag first), the one rule every producer of a
/// key follows: ahash, seeded at random once per process, so that keys
/// chosen to collide cannot be computed without the seeds, over the units
/// narrowed to bytes when every unit is below 256 (Latin-1 strings, most
/// keys: half the bytes to hash), else over the units as they are.
///
/// Producers that know their units are narrow (V8's one-byte strings) hash
/// the bytes they have with [`latin1_hash`]; others ask this function, which
/// decides from the units.
#[inline]
pub fn units_hash(units: &[u16]) -> u64 {
    match units.split_first() {
        Some((&tag, rest)) => tagged_hash(tag, rest),
        None => Narrow::new(0).finish(),
    }
}

/// [`units_hash`] of the key `tag` then `rest`.
#[inline]
fn tagged_hash(tag: u16, rest: &[u16]) -> u64 {
    narrow_units_hash(tag, rest).unwrap_or_else(|| wide_hash(tag, rest))
}

/// The hash of the key `tag` then `bytes` (Latin-1: each byte is the
/// unit of the same value), as [`units_hash`] computes it from the units.
/// Inlined: a read of a short key costs a few dozen instructions here.
#[inline(always)]
pub fn latin1_hash(tag: u16, bytes: &[u8]) -> u64 {
    let mut h = Narrow::new(tag);
    h.write(bytes);
    h.finish()
}

/// Units narrowed on the stack, up to this many; more on the heap.
const NARROW_INLINE: usize = 256;

/// The hash of the key `tag` then `rest` when every unit is below 256 (the
/// hash of [`latin1_hash`]), else `None`.
#[inline]
fn narrow_units_hash(tag: u16, rest: &[u16]) -> Option<u64> {
    if tag >= 256 {
        return None;
    }
    if rest.len() > NARROW_INLINE {
        return narrow_long_units_hash(tag, rest);
    }
    narrowed_hash(tag, rest, &mut [MaybeUninit::uninit(); NARROW_INLINE])
}

/// [`narrow_units_hash`] of a long key, narrowed on the heap.
#[cold]
fn narrow_long_units_hash(tag: u16, rest: &[u16]) -> Option<u64> {
    let mut bytes = Vec::with_capacity(rest.len());
    narrowed_hash(tag, rest, bytes.spare_capacity_mut())
}

/// [`narrow_units_hash`], narrowing into `room` (at least `rest.len()`
/// bytes, on the stack or the heap).
#[inline(always)]
fn narrowed_hash(tag: u16, rest: &[u16], room: &mut [MaybeUninit<u8>]) -> Option<u64> {
    if !latin1::narrow(rest, room) {
        return None;
    }
    // SAFETY: `narrow` wrote the first `rest.len()` bytes of `room`.
    let bytes = unsafe { std::slice::from_raw_parts(room.as_ptr().cast::<u8>(), rest.len()) };
    Some(latin1_hash(tag, bytes))
}

/// The hash of a key with a unit of 256 or more: over the units as they are,
/// the tag marked so that no narrow key's input is the same.
fn wide_hash(tag: u16, rest: &[u16]) -> u64 {
    let mut h = seeds().state.build_hasher();
    h.write_u32(WIDE | tag as u32);
    rest.hash(&mut h);
    h.finish()
}

const WIDE: u32 = 1 << 16;

/// The process's hash seeds, and the hasher of a narrow string key after its
/// tag, which string keys, the common ones, start from.
struct Seeds {
    state: ahash::RandomState,
    narrow_string: ahash::AHasher,
}

#[inline(always)]
fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let state = ahash::RandomState::new();
        let mut narrow_string = state.build_hasher();
        narrow_string.write_u32(TAG_STRING as u32);
        Seeds {
            state,
            narrow_string,
        }
    })
}

/// The hasher of a narrow key: its tag, then its bytes.
struct Narrow(ahash::AHasher);

impl Narrow {
    #[inline(always)]
    fn new(tag: u16) -> Narrow {
        let seeds = seeds();
        if tag == TAG_STRING {
            return Narrow(seeds.narrow_string.clone());
        }
        let mut h = seeds.state.build_hasher();
        h.write_u32(tag as u32);
        Narrow(h)
    }

    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    #[inline(always)]
    fn finish(self) -> u64 {
        self.0.finish()
    }
}

/// moka's hasher: a key's hash is its stored one ([`Key`], [`KeyRef`]).
#[derive(Clone, Copy, Default)]
pub struct StoredHash;

impl BuildHasher for StoredHash {
    type Hasher = StoredHasher;

    #[inline]
    fn build_hasher(&self) -> StoredHasher {
        StoredHasher(0)
    }
}

pub struct StoredHasher(u64);

impl Hasher for StoredHasher {
    #[inline]
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    /// Only keys' stored hashes reach this hasher; anything else is mixed
    /// in rather than lost, should it ever.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64)
                .wrapping_mul(0x0100_0000_01b3)
                .rotate_left(5);
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Keys up to this many code units (tag included) are read without
/// allocating: string keys of up to 255 units (long keys such as paths and
/// URLs among them) cost a read no `malloc` and `free`. 512 bytes of stack,
/// written only as far as the key goes.
const INLINE: usize = 256;

/// A key being read: on the stack when short, on the heap when long.
pub struct KeyBuf {
    /// The first `len` units are written (not zeroed first: a read costs
    /// no more than the key's length).
    inline: [MaybeUninit<u16>; INLINE],
    heap: Vec<u16>,
    len: usize,
    spilled: bool,
    /// The hash of the key read ([`units_hash`]), computed by the read, which
    /// knows whether it read narrow units.
    hash: u64,
}

impl KeyBuf {
    #[inline]
    pub fn new() -> Self {
        KeyBuf {
            inline: [MaybeUninit::uninit(); INLINE],
            heap: Vec::new(),
            len: 0,
            spilled: false,
            hash: 0,
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

    /// The key read, with its hash.
    #[inline]
    pub fn key_ref(&self) -> KeyRef<'_> {
        KeyRef {
            hash: self.hash,
            units: Borrowed::Units(self.as_slice()),
        }
    }

    #[inline]
    pub fn to_key(&self) -> Key {
        self.key_ref().to_key()
    }

    /// Hashes the key read, from its units.
    #[inline]
    fn hash_units(&mut self) {
        self.hash = units_hash(self.as_slice());
    }

    #[inline]
    fn set_inline(&mut self, units: &[u16]) {
        u16::write_utf16(units, &mut self.inline);
        self.len = units.len();
        self.spilled = false;
        self.hash_units();
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
    pub fn set_string<U: StringUnit>(&mut self, units: &[U]) {
        if units.len() >= INLINE {
            return self.spill_string(units);
        }
        self.len = write_string(units, &mut self.inline);
        self.spilled = false;
        self.hash = U::string_hash(units);
    }

    /// A long string key, on the heap (as `read_string` spills one).
    #[inline(never)]
    fn spill_string<U: StringUnit>(&mut self, units: &[U]) {
        self.heap.clear();
        self.heap.reserve(1 + units.len());
        let len = write_string(units, self.heap.spare_capacity_mut());
        // SAFETY: `write_string` wrote the first `len` units, within the capacity.
        unsafe { self.heap.set_len(len) };
        self.spilled = true;
        self.hash = U::string_hash(units);
    }

    /// [`KeyBuf::set_string`] of V8's one-byte (Latin-1) code units, which
    /// it widens eight at a time (`latin1::widen`), on the stack or the heap.
    #[inline(always)]
    pub fn set_latin1(&mut self, bytes: &[u8]) {
        self.set_string(bytes);
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
                self.hash_units();
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
            self.hash_units();
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
            self.hash_units();
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
        self.hash_units();
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
        self.hash_units();
        Ok(())
    }
}

/// A code unit of a string key as V8 holds it: a byte of a one-byte
/// (Latin-1) string, or a UTF-16 unit.
pub trait StringUnit: Copy {
    /// The hash of the string key of these units ([`units_hash`]).
    fn string_hash(units: &[Self]) -> u64;

    /// Writes `units` as UTF-16 into the first `units.len()` of `out`.
    fn write_utf16(units: &[Self], out: &mut [MaybeUninit<u16>]);
}

impl StringUnit for u8 {
    #[inline(always)]
    fn string_hash(bytes: &[u8]) -> u64 {
        latin1_hash(TAG_STRING, bytes)
    }

    #[inline(always)]
    fn write_utf16(bytes: &[u8], out: &mut [MaybeUninit<u16>]) {
        latin1::widen(bytes, out);
    }
}

impl StringUnit for u16 {
    #[inline(always)]
    fn string_hash(units: &[u16]) -> u64 {
        tagged_hash(TAG_STRING, units)
    }

    #[inline(always)]
    fn write_utf16(units: &[u16], out: &mut [MaybeUninit<u16>]) {
        for (slot, &unit) in out.iter_mut().zip(units) {
            slot.write(unit);
        }
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
    f: impl FnOnce(KeyRef<'_>) -> R,
) -> JsResult<R> {
    if token.is_none() {
        let mut units = [MaybeUninit::uninit(); INLINE];
        if let Some(len) = read_short_string(env, value, &mut units) {
            // SAFETY: `read_short_string` wrote the first `len` units.
            let key = unsafe { std::slice::from_raw_parts(units.as_ptr().cast::<u16>(), len) };
            return Ok(f(KeyRef::new(key)));
        }
    }
    with_any_key(env, value, token, f)
}

#[inline(never)]
fn with_any_key<R>(
    env: Env,
    value: napi_value,
    token: Option<napi_value>,
    f: impl FnOnce(KeyRef<'_>) -> R,
) -> JsResult<R> {
    let mut key = KeyBuf::new();
    key.read_any(env, value, token)?;
    Ok(f(key.key_ref()))
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
        // Past `INLINE`, where a key is read onto the heap.
        let bytes: Vec<u8> = (0..2 * INLINE + 3).map(|i| (i * 37 + 200) as u8).collect();
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
            assert_eq!(a.hash, b.hash, "length {n}");
            assert_eq!(a.hash, units_hash(a.as_slice()), "length {n}");
        }
    }

    /// Every producer of a key hashes the same units alike: the Latin-1
    /// bytes of a one-byte string, the UTF-16 units of a two-byte string
    /// with Latin-1 content, units read back from a stored key, around the
    /// lengths where a read spills to the heap and where units are narrowed
    /// on the heap to be hashed.
    #[test]
    fn a_key_hashes_alike_from_every_producer() {
        let lengths = (0..20).chain(NARROW_INLINE - 4..NARROW_INLINE + 4).chain([
            2 * NARROW_INLINE,
            2 * NARROW_INLINE + 1,
            1000,
        ]);
        let mut buf = KeyBuf::new();
        for n in lengths {
            // Every byte value, 0 and 255 among them.
            let bytes: Vec<u8> = (0..n).map(|i| (i * 251 + 7) as u8).collect();
            let units: Vec<u16> = std::iter::once(TAG_STRING)
                .chain(bytes.iter().map(|&b| b.into()))
                .collect();
            let hash = units_hash(&units);
            assert_eq!(latin1_hash(TAG_STRING, &bytes), hash, "length {n}");
            buf.set_latin1(&bytes);
            assert_eq!(buf.key_ref().hash, hash, "Latin-1, length {n}");
            buf.set_string(&bytes[..]);
            assert_eq!(buf.key_ref().hash, hash, "bytes, length {n}");
            buf.set_string(&units[1..]);
            assert_eq!(buf.key_ref().hash, hash, "UTF-16, length {n}");
            let stored: Key = units.iter().copied().collect();
            assert_eq!(stored.key_ref().hash, hash, "collected, length {n}");
            assert_eq!(buf.to_key(), stored, "length {n}");
            assert!(KeyRef::new(&units).equivalent(&stored));
            // Looked up by its bytes, without widening them.
            let borrowed = KeyRef::latin1(&bytes);
            assert_eq!(borrowed.hash, hash, "borrowed, length {n}");
            assert!(borrowed.equivalent(&stored), "length {n}");
            assert_eq!(borrowed.to_key(), stored, "length {n}");
            assert_eq!(borrowed.with_units(|u| u.to_vec()), units, "length {n}");

            // One unit past Latin-1, wherever it is, makes another key, hashed
            // over its units as they are, alike from UTF-16 and from units.
            for at in [0, n / 2, n.saturating_sub(1)]
                .into_iter()
                .filter(|_| n > 0)
            {
                let mut wide = units.clone();
                wide[1 + at] |= 0x100;
                let wide_hash = units_hash(&wide);
                assert_ne!(wide_hash, hash, "length {n}, wide at {at}");
                buf.set_string(&wide[1..]);
                assert_eq!(buf.key_ref().hash, wide_hash, "length {n}, wide at {at}");
                assert!(!buf.key_ref().equivalent(&stored));
                assert!(!borrowed.equivalent(&buf.to_key()));
            }
        }
    }

    #[test]
    fn string_keys_start_from_their_tag_hashed() {
        let mut h = seeds().state.build_hasher();
        h.write_u32(TAG_STRING as u32);
        h.write(b"key:1");
        let mut from_tag = Narrow::new(TAG_STRING);
        from_tag.write(b"key:1");
        assert_eq!(from_tag.finish(), h.finish());
        let mut other = Narrow::new(TAG_NUMBER);
        other.write(b"key:1");
        assert_ne!(other.finish(), h.finish());
    }

    #[test]
    fn latin1_bytes_are_only_their_string_key() {
        let key = |units: &[u16]| units.iter().copied().collect::<Key>();
        assert!(is_latin1_string(b"ab", &key(&[TAG_STRING, 97, 98])));
        assert!(is_latin1_string(b"", &key(&[TAG_STRING])));
        assert!(
            !is_latin1_string(b"ab", &key(&[TAG_NUMBER, 97, 98])),
            "another tag"
        );
        assert!(!is_latin1_string(b"ab", &key(&[TAG_STRING, 97])), "shorter");
        assert!(
            !is_latin1_string(b"ab", &key(&[TAG_STRING, 97, 98, 0])),
            "longer"
        );
        assert!(
            !is_latin1_string(b"ab", &key(&[TAG_STRING, 97, 98 | 0x100])),
            "wide"
        );
        assert!(!is_latin1_string(b"", &key(&[])));
    }

    #[test]
    fn other_producers_hash_their_units() {
        let mut buf = KeyBuf::new();
        for x in [0.0, -0.0, 1.0, 1234.0, f64::NAN, 2.5e300] {
            buf.set_number(x);
            assert_eq!(buf.key_ref().hash, units_hash(buf.as_slice()), "{x}");
            buf.set_f64(TAG_TOKEN, x);
            assert_eq!(buf.key_ref().hash, units_hash(buf.as_slice()), "token {x}");
        }
        buf.set_inline(&[TAG_NULL]);
        assert_eq!(buf.key_ref().hash, units_hash(&[TAG_NULL]));
        assert_ne!(units_hash(&[TAG_NULL]), units_hash(&[TAG_UNDEFINED]));
        // The number 0 has narrow units, 1 does not: both hash as their units.
        buf.set_number(0.0);
        assert_eq!(buf.key_ref().hash, latin1_hash(TAG_NUMBER, &[0; 4]));
    }

    #[test]
    fn a_key_fits_in_its_allocation_class() {
        assert_eq!(std::mem::size_of::<Key>(), 48);
    }

    #[test]
    fn a_key_hashes_as_its_lookups_do() {
        use std::hash::BuildHasher;
        let units: Vec<u16> = "\u{1}user:123456789".encode_utf16().collect();
        let stored = Key::from_slice(&units);
        let collected: Key = units.iter().copied().collect();
        let looked_up = KeyRef::new(&units);
        let hash = |k: &dyn Fn(&mut StoredHasher)| {
            let mut h = StoredHash.build_hasher();
            k(&mut h);
            h.finish()
        };
        let of_stored = hash(&|h| stored.hash(h));
        assert_eq!(of_stored, hash(&|h| collected.hash(h)));
        assert_eq!(of_stored, hash(&|h| looked_up.hash(h)));
        assert_eq!(of_stored, hash(&|h| looked_up.to_key().hash(h)));
        assert_eq!(of_stored, hash(&|h| stored.key_ref().hash(h)));
        assert!(looked_up.equivalent(&stored));
        assert_eq!(stored, collected);
        // One unit more or less, or another unit, is another key.
        for other in [&units[..units.len() - 1], &[&units[..], &[0]].concat()[..]] {
            assert!(!KeyRef::new(other).equivalent(&stored));
            assert_ne!(units_hash(other), of_stored);
        }
        let mut changed = units.clone();
        changed[3] ^= 1;
        assert!(!KeyRef::new(&changed).equivalent(&stored));
        assert_ne!(units_hash(&changed), of_stored);
    }

    #[test]
    fn long_keys_spill_to_the_heap() {
        let mut k = KeyBuf::new();
        let units: Vec<u16> = (0..INLINE as u16 + 10).map(|u| u * 3 + 0x100).collect();
        k.set_string(&units[..]);
        assert!(
            k.spilled,
            "{} units and the tag do not fit inline",
            units.len()
        );
        assert_eq!(&k.to_key()[1..], &units[..]);
        k.set_string(&units[..INLINE - 1]);
        assert!(!k.spilled, "{} units and the tag fit inline", INLINE - 1);
        assert_eq!(&k.as_slice()[1..], &units[..INLINE - 1]);
        k.set_string(&units[..]);
        k.set_inline(&[TAG_NULL]);
        assert_eq!(k.as_slice(), &[TAG_NULL]);
    }
}
