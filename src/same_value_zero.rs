//! `Map`'s key equality (SameValueZero) for primitives: the rules both key
//! encodings follow, `key` (a `Moka`'s UTF-16 keys) and `shared::key` (a
//! `SharedMoka`'s byte keys, decodable on any thread). The encodings differ
//! for measured reasons (see each); what makes two keys equal does not.

use std::ptr;

use napi::sys::{self, napi_value};

use crate::ffi::{napi_call, reserve, Env, JsResult};

/// A number as a key: `-0` is `0`, and every `NaN` is one key.
#[inline]
pub fn number(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else if x.is_nan() {
        f64::NAN
    } else {
        x
    }
}

/// A bigint as a key: its 64-bit words, least significant first, without
/// high zero words, and negative only when it is not zero (`-0n` is `0n`).
pub fn bigint(negative: bool, mut words: Vec<u64>) -> (bool, Vec<u64>) {
    while words.last() == Some(&0) {
        words.pop();
    }
    (negative && !words.is_empty(), words)
}

/// Reads bigint `v` as a key (see `bigint`). Its words are reserved fallibly:
/// a bigint may be larger than what can be allocated twice.
pub fn read_bigint(env: Env, v: napi_value) -> JsResult<(bool, Vec<u64>)> {
    let mut count = 0usize;
    // With both out-pointers null, Node reports the word count only.
    napi_call!(
        env,
        napi_get_value_bigint_words(v, ptr::null_mut(), &mut count, ptr::null_mut())
    )?;
    let mut words = Vec::new();
    reserve(&mut words, count)?;
    words.resize(count, 0u64);
    let mut sign = 0i32;
    napi_call!(
        env,
        napi_get_value_bigint_words(v, &mut sign, &mut count, words.as_mut_ptr())
    )?;
    words.truncate(count);
    Ok(bigint(sign != 0, words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(-0.0).to_bits(), number(0.0).to_bits());
        assert_eq!(number(-f64::NAN).to_bits(), number(f64::NAN).to_bits());
        assert_eq!(number(1.5), 1.5);
    }

    #[test]
    fn bigints_drop_high_zero_words_and_the_sign_of_zero() {
        assert_eq!(bigint(false, vec![5, 0, 0]), (false, vec![5]));
        assert_eq!(bigint(true, vec![0]), (false, vec![]), "-0n is 0n");
        assert_eq!(bigint(true, vec![5]), (true, vec![5]));
    }
}
