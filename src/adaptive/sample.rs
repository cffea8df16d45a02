//! Which keys the shadows watch: a cheap hash of the key units already read,
//! and a threshold on it (spatial sampling, SHARDS: Waldspurger et al.,
//! USENIX ATC 2017). A key is in or out for the cache's whole life, so the
//! sampled keys keep their reuse distances, scaled by the rate.

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

/// A 64-bit hash of a key's `u16` units, four units per multiply. Not
/// DoS-resistant: it only picks which keys feed the shadows, and a key
/// chosen to be sampled costs its sender nothing more than any other.
#[inline]
pub fn key_hash(units: &[u16]) -> u64 {
    let mut h = K1 ^ units.len() as u64;
    let mut chunks = units.chunks_exact(4);
    for c in &mut chunks {
        let w = c[0] as u64 | (c[1] as u64) << 16 | (c[2] as u64) << 32 | (c[3] as u64) << 48;
        h = fold(h ^ w, K0);
    }
    let mut rest = 0u64;
    for (i, &u) in chunks.remainder().iter().enumerate() {
        rest |= (u as u64) << (16 * i);
    }
    fold(h ^ rest, K1)
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
    #[inline]
    pub fn sampled(&self, units: &[u16]) -> Option<u64> {
        let h = key_hash(units);
        (h <= self.threshold).then(|| fold(h, K0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_about_the_rate_asked() {
        let s = Sampler::new(0.1);
        let n = 100_000u32;
        let hits = (0..n)
            .filter(|i| {
                let key = [1u16, 0x75, *i as u16, (*i >> 16) as u16, 0x3a];
                s.sampled(&key).is_some()
            })
            .count() as f64;
        let rate = hits / n as f64;
        assert!((0.09..0.11).contains(&rate), "sampled {rate}");
        assert!(Sampler::new(1.0).sampled(&[1, 2]).is_some());
        assert!(Sampler::new(0.0).sampled(&[1, 2]).is_none() || key_hash(&[1, 2]) == 0);
    }

    #[test]
    fn distinct_number_keys_hash_apart() {
        let mut hashes: Vec<u64> = (0..100_000u32)
            .map(|i| {
                let bits = (i as f64).to_bits();
                key_hash(&[
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
                s.sampled(&key).is_some()
            })
            .count();
        assert!((9_000..11_000).contains(&hits), "sampled {hits}");
    }
}
