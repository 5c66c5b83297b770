//! The word table kept as bfloat16: the top half of a 32-bit float (its sign, its
//! whole exponent and 7 bits of its fraction). Half the memory of floats (23 MB less
//! for all-MiniLM-L6-v2), and a float again by one shift.
//!
//! The table is read as floats and rounded to the nearest bfloat16 once, when loaded:
//! a normal value moves by at most 1/256 of itself, and a sentence's vector far less
//! than the 8-bit codes threads are searched by (a cosine of 0.99999 or more with the
//! vector of full floats on 426 questions; BENCHMARKS.md). Only the table: a token
//! reads one row of it, while the layers' weights are read whole for every question,
//! and widening them took more time than reading half the bytes saved.

/// `x` rounded to the nearest bfloat16 (ties to even), as its bits.
pub fn from_f32(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        // Keep it a NaN whatever fraction bits are dropped.
        return ((bits >> 16) as u16) | 0x0040;
    }
    let round = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

/// The float a bfloat16's bits stand for.
#[inline(always)]
pub fn to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_nearest_and_keeps_what_fits() {
        for x in [0.0f32, -0.0, 1.0, -2.5, 0.15625, f32::INFINITY, f32::MIN_POSITIVE] {
            assert_eq!(to_f32(from_f32(x)).to_bits(), x.to_bits(), "{x}");
        }
        assert!(to_f32(from_f32(f32::NAN)).is_nan());
        // NaNs whose only fraction bits are the ones dropped stay NaNs, of either sign.
        for bits in [0x7f80_0001u32, 0xff80_0001] {
            let b = from_f32(f32::from_bits(bits));
            assert!(to_f32(b).is_nan());
            assert_eq!(b >> 15, (bits >> 31) as u16);
        }
        // Past the largest bfloat16, to infinity.
        assert_eq!(to_f32(from_f32(f32::MAX)), f32::INFINITY);
        assert_eq!(to_f32(from_f32(-f32::MAX)), f32::NEG_INFINITY);
        // A subnormal keeps its top bits.
        let tiny = f32::from_bits(0x0001_2345);
        assert_eq!(to_f32(from_f32(tiny)).to_bits(), 0x0001_0000);
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even one, 1.
        assert_eq!(to_f32(from_f32(1.0 + 1.0 / 256.0)), 1.0);
        // 1 + 3/256 lies halfway between 1 + 1/128 and 1 + 1/64: to the even one, up.
        assert_eq!(to_f32(from_f32(1.0 + 3.0 / 256.0)), 1.0 + 1.0 / 64.0);
        // Just past halfway rounds up.
        assert_eq!(
            to_f32(from_f32(1.0 + 1.0 / 256.0 + 1.0 / 65536.0)),
            1.0 + 1.0 / 128.0
        );
        let mut seed = 9u32;
        for _ in 0..10_000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let x = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
            let back = to_f32(from_f32(x));
            assert!((back - x).abs() <= x.abs() / 256.0, "{x} {back}");
        }
    }
}
