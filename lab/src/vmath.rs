//! Elementary functions in `f32` that the compiler can vectorise.
//!
//! Rust's `f32::exp`, `tanh` and `ln_1p` call the C library one number at a time: a loop over
//! them runs at a few hundred million elements per second, twenty times slower than the
//! arithmetic units allow. Here each function is a *branch-free* formula (range reduction,
//! a polynomial, and comparisons that compile to vector blends), so a loop over a slice becomes
//! 16 lanes at a time under AVX-512 (see [`crate::activation`], which compiles its loops for
//! several instruction sets with `multiversion`).
//!
//! The formulas use only `+ − × ÷`, comparisons and exponent-bit arithmetic, so every
//! instruction set gives the same bits: a figure made here is identical on another machine.
//! (`f32::mul_add`, correctly rounded everywhere, would keep that property, as it does for the
//! matrix product, but where the CPU has no fused multiply-add it becomes a slow software
//! routine; writing these polynomials with it made no measurable difference on an AVX-512
//! machine.)
//!
//! Accuracy, checked against `f64` over the whole `f32` range by this module's tests (on a
//! dense grid plus every power of two, ±0, ±∞, NaN):
//!
//! | function | bound (relative error, normal results) |
//! |---|---|
//! | [`exp`], [`expm1`], [`sigmoid`], [`tanh`], [`softplus`] | 4 ulp (4.8e-7) |
//! | [`normal_cdf`] | 3e-6 for x ≥ −5; 2.5e-5 in the far lower tail (the fit's 1.2e-7, plus the rounding of x²/2 in the exponent, which grows with x²) |
//!
//! Results below `f32`'s smallest normal number (2⁻¹²⁶ ≈ 1.2e-38) are flushed to zero, where
//! the C library would return a subnormal; NaN propagates; overflow gives +∞.

/// `log₂e`, and `ln 2` split in a part with few bits (exact in products with small integers)
/// and the rest (Cody & Waite 1980), as in Cephes.
const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5·2²³`: adding it rounds a float to the nearest integer (for |x| < 2²²).
const ROUND: f32 = 12_582_912.0;
/// Beyond these, `eˣ` overflows `f32` or falls below its smallest normal number.
const EXP_MAX: f32 = 88.722_83;
const EXP_MIN: f32 = -87.336_55;

/// `eˣ`: `x = n·ln2 + r` with |r| ≤ ln2/2, `eʳ` by Cephes' degree-6 polynomial, `2ⁿ` built
/// in the exponent bits.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Clamp (NaN passes through both comparisons unchanged).
    let xc = if x > EXP_MAX { EXP_MAX } else { x };
    let xc = if xc < EXP_MIN { EXP_MIN } else { xc };
    let shifted = xc * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5; // Cephes: 5.0000001201e-1, which rounds to ½ in f32
    let er = p * (r * r) + r + 1.0;
    // The integer n sits in the low mantissa bits of `shifted` (no float → int conversion,
    // which would not vectorise). n ∈ [−126, 128]; 2ⁿ as two factors, so that n = 128
    // (e^88.72…) does not overflow before the multiplication.
    let n = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let half = n >> 1;
    let scale_a = f32::from_bits(((half + 127) as u32) << 23);
    let scale_b = f32::from_bits(((n - half + 127) as u32) << 23);
    let y = er * scale_a * scale_b;
    if x > EXP_MAX {
        f32::INFINITY
    } else if x < EXP_MIN {
        0.0
    } else {
        y
    }
}

/// `eˣ − 1`, accurate near 0: a Taylor polynomial for |x| < ½ (the first neglected term is
/// below 1e-8 relative), `eˣ − 1` elsewhere (where the subtraction loses at most 2.5 ulp).
#[inline(always)]
pub fn expm1(x: f32) -> f32 {
    let p = 1.0 / 40_320.0;
    let p = p * x + 1.0 / 5_040.0;
    let p = p * x + 1.0 / 720.0;
    let p = p * x + 1.0 / 120.0;
    let p = p * x + 1.0 / 24.0;
    let p = p * x + 1.0 / 6.0;
    let p = p * x + 0.5;
    let small = p * (x * x) + x;
    let large = exp(x) - 1.0;
    if x.abs() < 0.5 { small } else { large }
}

/// The logistic function `1 / (1 + e⁻ˣ)`; 0 and 1 in the tails, never NaN for finite x.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x` as Eigen computes it in `f32` (`generic_fast_tanh_float`): an odd rational
/// function `x·P(x²)/Q(x²)` of degrees 13/6 on |x| ≤ 7.9053 (beyond, tanh rounds to ±1), and
/// `x` itself for |x| < 0.0004. One division, no exponential.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    let xc = if x > CLAMP { CLAMP } else { x };
    let xc = if xc < -CLAMP { -CLAMP } else { xc };
    let x2 = xc * xc;
    let p = -2.760_768_5e-16;
    let p = p * x2 + 2.000_188e-13;
    let p = p * x2 - 8.604_672e-11;
    let p = p * x2 + 5.122_297e-8;
    let p = p * x2 + 1.485_722_4e-5;
    let p = p * x2 + 6.372_619_3e-4;
    let p = p * x2 + 4.893_524_6e-3;
    let q = 1.198_258_4e-6;
    let q = q * x2 + 1.185_347_1e-4;
    let q = q * x2 + 2.268_434_6e-3;
    let q = q * x2 + 4.893_525e-3;
    let t = xc * p / q;
    if x.abs() < 0.0004 { x } else { t }
}

/// `ln(1 + u)` for `u ∈ [0, 1]`: `w = 1 + u = 2ᵏ·m` with `m ∈ [√½, √2]`,
/// `ln m = 2·atanh((m−1)/(m+1))` by its series to s¹¹ (error < 2e-9), and Goldberg's
/// correction `ln(w)·u/(w − 1)` for the rounding of `1 + u`.
#[inline(always)]
fn ln_1p_unit(u: f32) -> f32 {
    let w = 1.0 + u;
    let big = w > std::f32::consts::SQRT_2;
    let m = if big { 0.5 * w } else { w };
    let k = if big { std::f32::consts::LN_2 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let q = 1.0 / 11.0;
    let q = q * s2 + 1.0 / 9.0;
    let q = q * s2 + 1.0 / 7.0;
    let q = q * s2 + 1.0 / 5.0;
    let q = q * s2 + 1.0 / 3.0;
    let q = q * s2 + 1.0;
    let ln_w = k + 2.0 * s * q;
    let d = w - 1.0;
    if d == 0.0 { u } else { ln_w * (u / d) }
}

/// `ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|)`, without overflow.
#[inline(always)]
pub fn softplus(x: f32) -> f32 {
    let pos = if x > 0.0 { x } else { 0.0 };
    pos + ln_1p_unit(exp(-x.abs()))
}

/// The standard normal CDF `Φ(x) = ½·erfc(−x/√2)`, through the complementary error function
/// so that the lower tail keeps its relative accuracy (`½(1 + erf)` cancels there).
///
/// `erfc(z) = t·exp(−z² + P(t))`, `t = 1/(1 + z/2)` for `z ≥ 0` (Press et al., *Numerical
/// Recipes*, §6.2, fractional error < 1.2e-7 everywhere), and `2 − erfc(−z)` for `z < 0`.
#[inline(always)]
pub fn normal_cdf(x: f32) -> f32 {
    let z = x * -std::f32::consts::FRAC_1_SQRT_2;
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let p = 0.170_872_77;
    let p = p * t - 0.822_152_2;
    let p = p * t + 1.488_515_9;
    let p = p * t - 1.135_204;
    let p = p * t + 0.278_868_07;
    let p = p * t - 0.186_288_06;
    let p = p * t + 0.096_784_18;
    let p = p * t + 0.374_091_96;
    let p = p * t + 1.000_023_7;
    let p = p * t - 1.265_512_2;
    let tail = 0.5 * t * exp(p - a * a);
    // z ≥ 0 ⇔ x ≤ 0: Φ(x) = ½erfc(z) is the small tail; otherwise 1 − ½erfc(|z|).
    if z >= 0.0 { tail } else { 1.0 - tail }
}

/// The standard normal density `φ(x) = e^(−x²/2) / √(2π)`.
#[inline(always)]
pub fn normal_pdf(x: f32) -> f32 {
    0.398_942_3 * exp(-0.5 * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test points: every power of two in f32's range with both signs, a dense grid of 2⁻¹⁴
    /// steps over [−100, 100], a million spread logarithmically over the whole range, and the
    /// special values.
    fn points() -> Vec<f32> {
        let mut xs = vec![
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MIN_POSITIVE,
        ];
        for e in -149..=127 {
            let p = 2f32.powi(e);
            xs.extend([p, -p]);
        }
        xs.extend((-1_638_400..=1_638_400).map(|i| i as f32 / 16_384.0));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            xs.push(f32::from_bits(state as u32));
        }
        xs.retain(|x| !x.is_nan());
        xs
    }

    /// Largest relative error of `f` against the f64 reference `g`, over points whose exact
    /// result is a normal f32 (the flush-to-zero region is checked separately).
    fn max_relative_error(f: impl Fn(f32) -> f32, g: impl Fn(f64) -> f64, from: f32) -> (f64, f32) {
        let mut worst = (0.0, 0.0);
        for x in points().into_iter().filter(|&x| x >= from) {
            let exact = g(f64::from(x));
            let got = f64::from(f(x));
            if !exact.is_finite() || exact.abs() < f64::from(f32::MIN_POSITIVE) {
                continue;
            }
            if exact.abs() > f64::from(f32::MAX) {
                assert_eq!(got, f64::INFINITY.copysign(exact), "overflow at {x}");
                continue;
            }
            let err = (got - exact).abs() / exact.abs();
            if err > worst.0 {
                worst = (err, x);
            }
        }
        worst
    }

    /// Half an ulp of 1 (the unit roundoff 2⁻²⁴): 8 of them are 4 ulp.
    const HALF_ULP: f64 = f32::EPSILON as f64 / 2.0;

    #[test]
    fn accuracy_against_f64_over_the_whole_range() {
        type Case = (
            &'static str,
            Box<dyn Fn(f32) -> f32>,
            Box<dyn Fn(f64) -> f64>,
            f32,
            f64,
        );
        let cdf = |x: f64| 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        let cases: Vec<Case> = vec![
            (
                "exp",
                Box::new(exp),
                Box::new(f64::exp),
                f32::MIN,
                8.0 * HALF_ULP,
            ),
            (
                "expm1",
                Box::new(expm1),
                Box::new(f64::exp_m1),
                f32::MIN,
                8.0 * HALF_ULP,
            ),
            (
                "sigmoid",
                Box::new(sigmoid),
                Box::new(|x: f64| 1.0 / (1.0 + (-x).exp())),
                f32::MIN,
                8.0 * HALF_ULP,
            ),
            (
                "tanh",
                Box::new(tanh),
                Box::new(f64::tanh),
                f32::MIN,
                8.0 * HALF_ULP,
            ),
            (
                "softplus",
                Box::new(softplus),
                Box::new(|x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p()),
                f32::MIN,
                8.0 * HALF_ULP,
            ),
            (
                "normal_cdf",
                Box::new(normal_cdf),
                Box::new(cdf),
                -5.0,
                3e-6,
            ),
            (
                "normal_cdf",
                Box::new(normal_cdf),
                Box::new(cdf),
                f32::MIN,
                2.5e-5,
            ),
        ];
        for (name, f, g, from, bound) in cases {
            let (err, at) = max_relative_error(f, g, from);
            println!("vmath {name}: max relative error {err:.2e} at {at}");
            assert!(err < bound, "{name}: {err:e} at {at} (bound {bound:e})");
        }
    }

    #[test]
    fn special_values() {
        for f in [exp, expm1, sigmoid, tanh, softplus, normal_cdf] {
            assert!(f(f32::NAN).is_nan());
        }
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(-88.0), 0.0, "below the smallest normal: flushed");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(expm1(0.0), 0.0);
        assert_eq!(expm1(f32::NEG_INFINITY), -1.0);
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(softplus(f32::INFINITY), f32::INFINITY);
        assert_eq!(softplus(f32::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(f32::INFINITY), 1.0);
        assert_eq!(normal_cdf(f32::NEG_INFINITY), 0.0);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
    }
}
