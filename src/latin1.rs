//! Latin-1 bytes against UTF-16 units, eight at a time: V8 holds most
//! strings one byte a unit, a stored key holds UTF-16 units, and a key's
//! hash is over bytes when its units allow (`key::units_hash`). On x86-64
//! each eight takes a few SSE2 instructions (part of x86-64) where a loop
//! takes a step per unit; a length that is no multiple of eight ends with
//! the eight that end it, overlapping the eight before. Under eight units,
//! and elsewhere than x86-64, a loop per unit.

use std::mem::MaybeUninit;

/// Calls `f` with the start of each eight of `n` (at least 8): 0, 8, …,
/// and `n - 8` last.
/// One call site for `f`, which is then inlined.
#[inline(always)]
fn eights(n: usize, mut f: impl FnMut(usize)) {
    let mut at = 0;
    loop {
        let last = at + 8 >= n;
        f(if last { n - 8 } else { at });
        if last {
            return;
        }
        at += 8;
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    pub use std::arch::x86_64::*;

    /// The eight bytes at `bytes[at..]`, widened to eight 16-bit lanes.
    #[inline(always)]
    pub fn widened(bytes: &[u8], at: usize) -> __m128i {
        let eight: [u8; 8] = bytes[at..at + 8].try_into().unwrap_or([0; 8]);
        // SAFETY: SSE2 is part of x86-64; the load reads the 8 bytes of `eight`.
        unsafe {
            _mm_unpacklo_epi8(
                _mm_loadl_epi64(eight.as_ptr().cast::<__m128i>()),
                _mm_setzero_si128(),
            )
        }
    }

    /// The eight units at `units[at..]`.
    #[inline(always)]
    pub fn loaded(units: &[u16], at: usize) -> __m128i {
        let eight = &units[at..at + 8];
        // SAFETY: SSE2 is part of x86-64; an unaligned load of the 16 bytes of `eight`.
        unsafe { _mm_loadu_si128(eight.as_ptr().cast::<__m128i>()) }
    }
}

/// Four bytes widened to the word of the four units they are: each byte
/// in the low half of a 16-bit lane, little-endian. On x86-64 one SSE2
/// unpack, where shifts and masks take a dozen instructions.
#[inline(always)]
pub fn widened_word(four: [u8; 4]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use sse2::*;
        // SAFETY: SSE2 (part of x86-64), on registers only.
        unsafe {
            let bytes = _mm_cvtsi32_si128(i32::from_le_bytes(four));
            _mm_cvtsi128_si64(_mm_unpacklo_epi8(bytes, _mm_setzero_si128())) as u64
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let x = u32::from_le_bytes(four) as u64;
        let x = (x | x << 16) & 0x0000_ffff_0000_ffff;
        (x | x << 8) & 0x00ff_00ff_00ff_00ff
    }
}

/// Writes `bytes` widened into the first `bytes.len()` units of `out`.
#[inline(always)]
pub fn widen(bytes: &[u8], out: &mut [MaybeUninit<u16>]) {
    let n = bytes.len();
    let out = &mut out[..n];
    #[cfg(target_arch = "x86_64")]
    if n >= 8 {
        return eights(n, |at| {
            let wide = sse2::widened(bytes, at);
            let eight = &mut out[at..at + 8];
            // SAFETY: SSE2; an unaligned store of the 16 bytes of `eight`.
            unsafe { sse2::_mm_storeu_si128(eight.as_mut_ptr().cast::<sse2::__m128i>(), wide) }
        });
    }
    for (slot, &byte) in out.iter_mut().zip(bytes) {
        slot.write(byte.into());
    }
}

/// Whether `units` are `bytes` widened.
#[inline(always)]
pub fn equals(bytes: &[u8], units: &[u16]) -> bool {
    let n = bytes.len();
    if units.len() != n {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if n >= 8 {
        use sse2::*;
        // SAFETY: SSE2 (part of x86-64), on registers only.
        let mut same = unsafe { _mm_set1_epi16(-1) };
        eights(n, |at| {
            // SAFETY: as above.
            same = unsafe {
                _mm_and_si128(same, _mm_cmpeq_epi16(widened(bytes, at), loaded(units, at)))
            };
        });
        // SAFETY: as above.
        return unsafe { _mm_movemask_epi8(same) } == 0xffff;
    }
    units.iter().zip(bytes).all(|(&u, &b)| u == u16::from(b))
}

/// Writes `units` narrowed into the first `units.len()` bytes of `out`
/// and answers true when every unit is below 256 (else what is written
/// is no key's).
#[inline(always)]
pub fn narrow(units: &[u16], out: &mut [MaybeUninit<u8>]) -> bool {
    let n = units.len();
    let out = &mut out[..n];
    #[cfg(target_arch = "x86_64")]
    if n >= 8 {
        use sse2::*;
        // SAFETY: SSE2 (part of x86-64), on registers only.
        let mut all = unsafe { _mm_setzero_si128() };
        eights(n, |at| {
            let eight = loaded(units, at);
            let out = &mut out[at..at + 8];
            // SAFETY: SSE2; an unaligned store of `out`'s 8 bytes.
            unsafe {
                all = _mm_or_si128(all, eight);
                _mm_storel_epi64(
                    out.as_mut_ptr().cast::<__m128i>(),
                    _mm_packus_epi16(eight, eight),
                );
            }
        });
        // SAFETY: SSE2, on registers only.
        return unsafe {
            _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_srli_epi16(all, 8), _mm_setzero_si128()))
        } == 0xffff;
    }
    let mut all = 0;
    for (slot, &unit) in out.iter_mut().zip(units) {
        slot.write(unit as u8);
        all |= unit;
    }
    all < 256
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_and_position_agrees_with_a_loop() {
        let bytes: Vec<u8> = (0..70).map(|i| (i * 37 + 200) as u8).collect();
        for n in 0..bytes.len() {
            let bytes = &bytes[..n];
            let wide: Vec<u16> = bytes.iter().map(|&b| b.into()).collect();
            let mut out = vec![MaybeUninit::new(0xffff); n];
            widen(bytes, &mut out);
            // SAFETY: every element was initialized.
            let out: Vec<u16> = out.iter().map(|u| unsafe { u.assume_init() }).collect();
            assert_eq!(out, wide, "{n}");
            assert!(equals(bytes, &wide), "{n}");
            for (four, units) in bytes.windows(4).zip(wide.windows(4)) {
                let word = units.iter().rev().fold(0, |w, &u| w << 16 | u64::from(u));
                assert_eq!(widened_word(four.try_into().unwrap()), word, "{n}");
            }
            let mut narrowed = vec![MaybeUninit::new(0); n];
            assert!(narrow(&wide, &mut narrowed), "{n}");
            // SAFETY: every element was initialized.
            let out: Vec<u8> = narrowed
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            assert_eq!(out, bytes, "{n}");
            for at in 0..n {
                let mut other = wide.clone();
                other[at] ^= 1;
                assert!(!equals(bytes, &other), "{n}: unit {at} differs");
                other[at] = wide[at] | 0x100;
                assert!(!equals(bytes, &other), "{n}: unit {at} is wide");
                assert!(!narrow(&other, &mut narrowed), "{n}: unit {at} is wide");
                other[at] = 0xff00;
                assert!(!narrow(&other, &mut narrowed), "{n}: unit {at} is 0xff00");
            }
            assert!(
                !equals(bytes, &[wide.clone(), vec![0]].concat()),
                "{n}: longer"
            );
        }
    }
}
