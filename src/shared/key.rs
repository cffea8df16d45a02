//! Keys of a shared cache: JS primitives encoded as bytes, with `Map`'s
//! SameValueZero equality, decodable back into JS (iteration, notifications).
//!
//! A key is a tag byte and a payload. Strings are read as UTF-16 (exact, lone
//! surrogates included) and stored as Latin-1 when every unit fits in a byte,
//! so ASCII keys cost one byte per character; numbers are normalised so that
//! `-0` is `0` and every `NaN` is one key. Objects cannot cross threads, so
//! only strings, numbers, bigints and booleans are keys.

use napi::sys::{self, napi_value};
use smallvec::SmallVec;

use super::js::EnvExt;
use crate::ffi::{type_error, Env, JsError, JsResult};
use crate::same_value_zero;

const LATIN1: u8 = 1;
const UTF16: u8 = 2;
const NUMBER: u8 = 3;
const BIGINT: u8 = 4;
const NEGATIVE_BIGINT: u8 = 5;
const TRUE: u8 = 6;
const FALSE: u8 = 7;

/// The owned key moka stores (inside its own `Arc`): short keys inline.
pub type Key = SmallVec<[u8; 24]>;

/// Strings up to this many UTF-16 units are read without allocating.
const INLINE_UNITS: usize = 64;

/// A key being read: on the stack when short.
#[derive(Default)]
pub struct KeyBuf {
    bytes: SmallVec<[u8; 2 * INLINE_UNITS]>,
}

impl KeyBuf {
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    pub fn to_key(&self) -> Key {
        Key::from_slice(&self.bytes)
    }

    /// Reads `value` as a key; anything but a string, number, bigint or
    /// boolean is a `TypeError`.
    pub fn read(&mut self, env: Env, value: napi_value) -> JsResult<()> {
        self.bytes.clear();
        match env.type_of(value)? {
            sys::ValueType::napi_string => {
                let mut inline = [0u16; INLINE_UNITS];
                match env.short_string_utf16(value, &mut inline)? {
                    Some(len) => self.push_string(&inline[..len]),
                    None => {
                        let mut units = Vec::new();
                        env.string_utf16(value, &mut units)?;
                        self.push_string(&units)
                    }
                }
            }
            sys::ValueType::napi_number => {
                self.push_number(env.get_f64(value, "key")?);
                Ok(())
            }
            sys::ValueType::napi_boolean => {
                self.bytes
                    .push(if env.flag(value, "key")? { TRUE } else { FALSE });
                Ok(())
            }
            sys::ValueType::napi_bigint => {
                let (negative, words) = same_value_zero::read_bigint(env, value)?;
                self.push_bigint(negative, &words)
            }
            other => type_error(format!(
                "key must be a string, number, bigint or boolean, got {}",
                type_name(other)
            )),
        }
    }

    fn reserve(&mut self, n: usize) -> JsResult<()> {
        self.bytes
            .try_reserve(n)
            .map_err(|_| JsError::Range(format!("cannot allocate a key of {n} bytes")).into())
    }

    fn push_string(&mut self, units: &[u16]) -> JsResult<()> {
        if units.iter().all(|&u| u < 0x100) {
            self.reserve(1 + units.len())?;
            self.bytes.push(LATIN1);
            self.bytes.extend(units.iter().map(|&u| u as u8));
        } else {
            self.reserve(1 + 2 * units.len())?;
            self.bytes.push(UTF16);
            for u in units {
                self.bytes.extend_from_slice(&u.to_le_bytes());
            }
        }
        Ok(())
    }

    fn push_number(&mut self, x: f64) {
        let x = same_value_zero::number(x);
        self.bytes.push(NUMBER);
        self.bytes.extend_from_slice(&x.to_bits().to_le_bytes());
    }

    /// `negative` and `words` as `same_value_zero::bigint` makes them.
    fn push_bigint(&mut self, negative: bool, words: &[u64]) -> JsResult<()> {
        self.reserve(1 + 8 * words.len())?;
        self.bytes
            .push(if negative { NEGATIVE_BIGINT } else { BIGINT });
        for w in words {
            self.bytes.extend_from_slice(&w.to_le_bytes());
        }
        Ok(())
    }
}

/// The JS value of an encoded key.
pub fn to_js(env: Env, key: &[u8]) -> JsResult<napi_value> {
    let (tag, payload) = key
        .split_first()
        .ok_or_else(|| JsError::Internal("empty key".into()))?;
    match *tag {
        LATIN1 => env.string_latin1(payload),
        UTF16 => env.string_from_utf16_le(payload),
        NUMBER => env.double(f64::from_bits(u64::from_le_bytes(eight(payload)?))),
        BIGINT | NEGATIVE_BIGINT => {
            let words: Vec<u64> = payload
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(eight(c).unwrap_or_default()))
                .collect();
            env.bigint(*tag == NEGATIVE_BIGINT, &words)
        }
        TRUE => env.boolean(true),
        FALSE => env.boolean(false),
        _ => Err(JsError::Internal(format!("unknown key tag {tag}")).into()),
    }
}

fn eight(bytes: &[u8]) -> JsResult<[u8; 8]> {
    bytes
        .try_into()
        .map_err(|_| JsError::Internal("malformed number key".into()).into())
}

pub fn type_name(t: sys::napi_valuetype) -> &'static str {
    match t {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_number => "number",
        sys::ValueType::napi_string => "string",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        sys::ValueType::napi_bigint => "bigint",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> Vec<u8> {
        let mut k = KeyBuf::default();
        let units: Vec<u16> = s.encode_utf16().collect();
        k.push_string(&units).unwrap();
        k.as_slice().to_vec()
    }

    fn number(x: f64) -> Vec<u8> {
        let mut k = KeyBuf::default();
        k.push_number(x);
        k.as_slice().to_vec()
    }

    #[test]
    fn strings_are_latin1_when_they_fit() {
        assert_eq!(string("ab"), vec![LATIN1, b'a', b'b']);
        assert_eq!(string("é")[0], LATIN1, "U+00E9 fits in a byte");
        assert_eq!(string("€"), vec![UTF16, 0xac, 0x20]);
        assert_ne!(string("\u{ff}"), string("\u{1ff}"));
    }

    #[test]
    fn numbers_follow_same_value_zero() {
        assert_eq!(number(0.0), number(-0.0));
        assert_eq!(number(f64::NAN), number(-f64::NAN));
        assert_ne!(number(1.0), number(2.0));
        assert_ne!(number(1.0), string("1"));
    }

    #[test]
    fn bigints_drop_high_zero_words_and_the_sign_of_zero() {
        let encode = |negative, words: &[u64]| {
            let (negative, words) = same_value_zero::bigint(negative, words.to_vec());
            let mut k = KeyBuf::default();
            k.push_bigint(negative, &words).unwrap();
            k.as_slice().to_vec()
        };
        assert_eq!(encode(false, &[5, 0, 0]), encode(false, &[5]));
        assert_eq!(encode(true, &[0]), encode(false, &[]), "-0n is 0n");
        assert_ne!(encode(true, &[5]), encode(false, &[5]));
    }
}
