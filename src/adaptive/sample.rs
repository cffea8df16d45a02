//! Which keys the shadows watch: a cheap hash of the key units already read,
//! and a threshold on it (spatial sampling, SHARDS: Waldspurger et al.,
//! USENIX ATC 2017). A key is in or out for the cache's whole life, so the
//! sampled keys keep their reuse distances, scaled by the rate.

use crate::key::Borrowed;
use crate::latin1::widened_word;

/// Constants of the folded multiply (wyhash's primes).
const K0: u64 = 0xa076_1d64_78bd_642f;
const K1: u64 = 0xe703_7ed1_a0b4_28db;

/// The high and low halves of the 128-bit product, xored: every input bit
/// reaches every output bit, where a plain multiply carries only upwards.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = a as u128 * b as u128;
    p as u64 ^ (p >> 64) as u64
}

/// A 64-bit hash of all of a key's `u16` units, four units per multiply.
/// A key of four units or more ends with the word of its last four units,
/// overlapping the one before when the length is not a multiple of four
/// (the length, hashed first, keeps such keys apart); a shorter one is one
/// word of its first, middle and last unit. No per-unit loop, and the last
/// multiply is the final mix. Not DoS-resistant: it only picks which keys
/// feed the shadows, and a key chosen to be sampled costs its sender
/// nothing more than any other. The units are read where they are: a
/// Latin-1 key's bytes are not widened first.
#[inline]
pub fn key_hash(units: Borrowed<'_>) -> u64 {
    let n = units.len();
    let h = K1 ^ n as u64;
    if n < 4 {
        let w = match n {
            0 => 0,
            _ => {
                units.unit(0) as u64
                    | (units.unit(n / 2) as u64) << 16
                    | (units.unit(n - 1) as u64) << 32
            }
        };
        return fold(h ^ w, K1);
    }
    match units {
        Borrowed::Units(units) => {
            // The words before the last: the first (n - 1) / 4 of them.
            let (before, _) = units[..n - 1].as_chunks::<4>();
            let last = units.last_chunk::<4>().map_or(0, word);
            words_hash(h, before.iter().map(word), last)
        }
        // Unit i is byte i - 1: the first word is the tag and three bytes,
        // the others four bytes each, widened in place.
        Borrowed::Latin1(bytes) => {
            let tag = u64::from(units.unit(0));
            let (Some(&start), Some(&end)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>())
            else {
                // Three bytes: one word, the last.
                let three = widened_word([bytes[0], bytes[1], bytes[2], 0]);
                return words_hash(h, std::iter::empty(), tag | three << 16);
            };
            // The fourth byte of `start` is shifted out.
            let first = tag | widened_word(start) << 16;
            let (others, _) = bytes[3..n - 2].as_chunks::<4>();
            let before = std::iter::once(first).chain(others.iter().map(|&c| widened_word(c)));
            words_hash(h, before, widened_word(end))
        }
    }
}

/// Four units as one little-endian word: one 8-byte load.
#[inline(always)]
fn word(c: &[u16; 4]) -> u64 {
    c[0] as u64 | (c[1] as u64) << 16 | (c[2] as u64) << 32 | (c[3] as u64) << 48
}

/// The hash from `h` on: one multiply per word before the last, and the
/// last word's, which is the final mix.
#[inline(always)]
fn words_hash(h: u64, before: impl Iterator<Item = u64>, last: u64) -> u64 {
    fold(before.fold(h, |h, w| fold(h ^ w, K0)) ^ last, K1)
}

/// The sampling test: `hash < threshold` keeps `threshold / 2^64` of the keys.
#[derive(Clone, Copy, Debug)]
pub struct Sampler {
    threshold: u64,
}

impl Sampler {
    /// Samples `rate` (0..=1) of the keys.
    pub fn new(rate: f64) -> Self {
        let threshold = if rate >= 1.0 {
            u64::MAX
        } else {
            (rate.max(0.0) * u64::MAX as f64) as u64
        };
        Sampler { threshold }
    }

    /// The key's hash when it is sampled. The hash is then mixed once more,
    /// so that the shadows' tables do not see only small values.
    #[inline(always)]
    pub fn sampled<'a>(&self, units: impl Into<Borrowed<'a>>) -> Option<u64> {
        let h = key_hash(units.into());
        (h <= self.threshold).then(|| fold(h, K0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(units: &[u16]) -> u64 {
        key_hash(Borrowed::Units(units))
    }

    #[test]
    fn a_latin1_key_hashes_as_its_units_do() {
        // Bytes of every value, at every length around the word boundaries
        // and beyond: read in place, they give the hash of their units.
        let mut x = 0x9e37_79b9_u32;
        for len in (0..40).chain([63, 64, 65, 127, 128, 129, 255, 256, 257, 1000]) {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        x as u8
                    })
                    .collect();
                let units: Vec<u16> = std::iter::once(1)
                    .chain(bytes.iter().map(|&b| b.into()))
                    .collect();
                assert_eq!(
                    key_hash(Borrowed::Latin1(&bytes)),
                    hash(&units),
                    "length {len}"
                );
            }
        }
    }

    #[test]
    fn samples_about_the_rate_asked() {
        let s = Sampler::new(0.1);
        let n = 100_000u32;
        let hits = (0..n)
            .filter(|i| {
                let key = [1u16, 0x75, *i as u16, (*i >> 16) as u16, 0x3a];
                s.sampled(&key[..]).is_some()
            })
            .count() as f64;
        let rate = hits / n as f64;
        assert!((0.09..0.11).contains(&rate), "sampled {rate}");
        assert!(Sampler::new(1.0).sampled(&[1u16, 2][..]).is_some());
        assert!(Sampler::new(0.0).sampled(&[1u16, 2][..]).is_none() || hash(&[1, 2]) == 0);
    }

    /// A string key as the addon reads it: a tag, then the UTF-16 units.
    fn string_key(s: &str) -> Vec<u16> {
        std::iter::once(1).chain(s.encode_utf16()).collect()
    }

    #[test]
    fn string_keys_of_every_length_hash_apart_and_sample_at_the_rate() {
        // Lengths 2 to 11 units: short keys, and every overlap of the last word.
        let keys: Vec<Vec<u16>> = (0..100_000u32)
            .flat_map(|i| [string_key(&i.to_string()), string_key(&format!("key:{i}"))])
            .collect();
        let mut hashes: Vec<u64> = keys.iter().map(|k| hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
        let s = Sampler::new(0.1);
        let rate =
            keys.iter().filter(|k| s.sampled(&k[..]).is_some()).count() as f64 / keys.len() as f64;
        assert!((0.095..0.105).contains(&rate), "sampled {rate}");
    }

    #[test]
    fn every_unit_of_a_key_changes_its_hash() {
        for len in 0..14 {
            let key: Vec<u16> = (0..len).map(|i| 0x61 + i as u16).collect();
            let h = hash(&key);
            for i in 0..len {
                let mut other = key.clone();
                other[i] ^= 1;
                assert_ne!(hash(&other), h, "unit {i} of {len}");
            }
        }
    }

    #[test]
    fn distinct_number_keys_hash_apart() {
        let mut hashes: Vec<u64> = (0..100_000u32)
            .map(|i| {
                let bits = (i as f64).to_bits();
                hash(&[
                    2,
                    bits as u16,
                    (bits >> 16) as u16,
                    (bits >> 32) as u16,
                    (bits >> 48) as u16,
                ])
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 100_000);
    }

    #[test]
    fn number_keys_with_close_values_spread() {
        // Number keys differ only in a few units of the encoded f64.
        let s = Sampler::new(0.25);
        let hits = (0..40_000u32)
            .filter(|i| {
                let bits = (*i as f64).to_bits();
                let key = [
                    2u16,
                    bits as u16,
                    (bits >> 16) as u16,
                    (bits >> 32) as u16,
                    (bits >> 48) as u16,
                ];
                s.sampled(&key[..]).is_some()
            })
            .count();
        assert!((9_000..11_000).contains(&hits), "sampled {hits}");
    }
}
