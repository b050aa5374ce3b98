//! Statistics over seeds, repeats and samples: one definition of each, used by every chapter.
//!
//! - [`mean`], [`std`] (the sample standard deviation, n − 1), [`std_err`], [`median`] (the
//!   middle value, or the average of the two middle values), [`quantile`] (linear interpolation
//!   between order statistics, NumPy's and R's default);
//! - [`mean_ci`]: a mean with its Student-t confidence interval;
//! - [`Paired`]: the differences `a_s − b_s` of two conditions run on the same seeds, their mean
//!   and confidence interval, and the two one-sided tests (TOST) of equivalence against a margin;
//! - [`bootstrap_ci`]: a percentile-bootstrap interval for statistics that are not means
//!   (a median, a ratio of medians, an AUROC), seeded so that it gives the same bits every run.
//!
//! Every function takes plain `f64` slices and computes in a fixed order. An empty input gives
//! NaN, and so does a spread of fewer than two values: a claim judged on it then fails, rather
//! than pass on a number that was never measured.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::rng::{Rng, rng};

/// The arithmetic mean; NaN for an empty slice.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample standard deviation, `√(Σ(x − x̄)² / (n − 1))`; NaN for fewer than two values.
pub fn std(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

/// The standard error of the mean, `std / √n`; NaN for fewer than two values.
pub fn std_err(xs: &[f64]) -> f64 {
    std(xs) / (xs.len() as f64).sqrt()
}

/// The mean and the population standard deviation (over n, not n − 1) of a tensor's entries,
/// accumulated in f64 in their order: the moments of a layer's activations or of a dataset's
/// pixels, where every entry is measured, not a sample over seeds. A non-finite entry makes both
/// non-finite.
pub fn moments<'a>(xs: impl Iterator<Item = &'a f32> + Clone) -> (f64, f64) {
    let (mut n, mut sum) = (0usize, 0.0f64);
    for &x in xs.clone() {
        n += 1;
        sum += f64::from(x);
    }
    let mean = sum / n as f64;
    let ss: f64 = xs.map(|&x| (f64::from(x) - mean).powi(2)).sum();
    (mean, (ss / n as f64).sqrt())
}

/// The values in increasing order (NaN last).
fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The median: the middle value of an odd count, the mean of the two middle values of an even
/// one; NaN for an empty slice.
pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

/// The `q`-quantile (0 ≤ q ≤ 1) by linear interpolation between the order statistics
/// `x₍₁₎ ≤ … ≤ x₍ₙ₎` at position `h = (n − 1)·q` (Hyndman & Fan's type 7, the default of NumPy
/// and R); NaN for an empty slice.
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
    if xs.is_empty() {
        return f64::NAN;
    }
    let v = sorted(xs);
    let h = (v.len() - 1) as f64 * q;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    if frac == 0.0 {
        v[lo]
    } else {
        v[lo] + frac * (v[lo + 1] - v[lo])
    }
}

/// A confidence interval `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// An interval of NaNs, for statistics that could not be computed: every comparison with
    /// it is false.
    pub const UNKNOWN: Interval = Interval {
        lo: f64::NAN,
        hi: f64::NAN,
    };

    /// Entirely above `x`.
    pub fn above(&self, x: f64) -> bool {
        self.lo > x
    }
    /// Entirely below `x`.
    pub fn below(&self, x: f64) -> bool {
        self.hi < x
    }
    /// Inside the open interval `(−margin, margin)`.
    pub fn within(&self, margin: f64) -> bool {
        self.lo > -margin && self.hi < margin
    }
    /// `[lo, hi]` with `decimals` decimals, e.g. `[0.12, 0.34]`.
    pub fn fmt(&self, decimals: usize) -> String {
        format!("[{:.decimals$}, {:.decimals$}]", self.lo, self.hi)
    }
    /// `[+lo, +hi]`, signs always shown (for differences).
    pub fn fmt_signed(&self, decimals: usize) -> String {
        format!("[{:+.decimals$}, {:+.decimals$}]", self.lo, self.hi)
    }
}

/// The `p`-quantile of Student's t distribution with `dof` degrees of freedom (statrs).
pub fn t_quantile(p: f64, dof: usize) -> f64 {
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The two-sided `level` (e.g. 0.95) Student-t confidence interval of the mean of `xs`:
/// `x̄ ± t_{(1+level)/2, n−1} · s/√n`. Unknown (NaN) for fewer than two values.
pub fn mean_ci(xs: &[f64], level: f64) -> Interval {
    if xs.len() < 2 {
        return Interval::UNKNOWN;
    }
    let half = t_quantile(0.5 + level / 2.0, xs.len() - 1) * std_err(xs);
    let m = mean(xs);
    Interval {
        lo: m - half,
        hi: m + half,
    }
}

/// Two conditions run on the same seeds: the differences `a_s − b_s`, seed by seed.
///
/// Pairing removes what the seeds share (the same initial weights, batch order, data subset)
/// from the comparison; the interval is then on the difference itself, which is what a claim
/// that one condition beats another is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    pub diffs: Vec<f64>,
}

impl Paired {
    /// Differences `a[s] − b[s]`. Panics if the two have different lengths (not paired).
    pub fn new(a: &[f64], b: &[f64]) -> Self {
        assert_eq!(
            a.len(),
            b.len(),
            "paired samples must have one value per seed"
        );
        Paired {
            diffs: a.iter().zip(b).map(|(x, y)| x - y).collect(),
        }
    }
    pub fn n(&self) -> usize {
        self.diffs.len()
    }
    /// The mean difference.
    pub fn mean(&self) -> f64 {
        mean(&self.diffs)
    }
    /// The 95% Student-t confidence interval of the mean difference.
    pub fn ci95(&self) -> Interval {
        mean_ci(&self.diffs, 0.95)
    }
    /// Seeds in which `a` is above `b` by more than `by`.
    pub fn count_above(&self, by: f64) -> usize {
        self.diffs.iter().filter(|&&d| d > by).count()
    }
    /// Seeds in which `a` is below `b` by more than `by`.
    pub fn count_below(&self, by: f64) -> usize {
        self.diffs.iter().filter(|&&d| d < -by).count()
    }
    /// The two one-sided tests (TOST, Schuirmann 1987) of equivalence at α = 0.05: the mean
    /// difference lies within `(−margin, margin)`, established when the 90% confidence interval
    /// lies inside it.
    pub fn equivalence(&self, margin: f64) -> Equivalence {
        let ci90 = mean_ci(&self.diffs, 0.90);
        Equivalence {
            mean: self.mean(),
            ci90,
            margin,
            equivalent: ci90.within(margin),
        }
    }
}

/// The outcome of [`Paired::equivalence`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Equivalence {
    pub mean: f64,
    /// The 90% interval of the mean difference (both one-sided tests at α = 0.05).
    pub ci90: Interval,
    pub margin: f64,
    pub equivalent: bool,
}

/// How many resamples [`bootstrap_ci`] draws, and from which seed.
#[derive(Clone, Copy, Debug)]
pub struct Bootstrap {
    pub resamples: usize,
    pub level: f64,
    pub seed: u64,
}

impl Default for Bootstrap {
    /// 2,000 resamples at 95%: the interval's ends then move by about 1% of its width from one
    /// bootstrap seed to another.
    fn default() -> Self {
        Bootstrap {
            resamples: 2_000,
            level: 0.95,
            seed: 0,
        }
    }
}

/// The percentile-bootstrap confidence interval (Efron & Tibshirani 1993, §13.3) of a statistic
/// of one or more independent samples.
///
/// `sizes[g]` is the size of sample `g`. Each resample draws, for every sample independently,
/// `sizes[g]` indices with replacement and passes them to `statistic` (one index vector per
/// sample); the interval runs between the `(1 − level)/2` and `(1 + level)/2` quantiles of the
/// statistic over the resamples. Rows that belong together (a score and its label, two
/// conditions on one seed) form one sample, so they are resampled together. Resamples whose
/// statistic is NaN are dropped.
pub fn bootstrap_ci(
    sizes: &[usize],
    mut statistic: impl FnMut(&[Vec<usize>]) -> f64,
    cfg: Bootstrap,
) -> Interval {
    if sizes.contains(&0) {
        return Interval::UNKNOWN;
    }
    let mut r = rng(cfg.seed);
    let mut idx: Vec<Vec<usize>> = sizes.iter().map(|&n| vec![0; n]).collect();
    let mut stats = Vec::with_capacity(cfg.resamples);
    for _ in 0..cfg.resamples {
        for (sample, &n) in idx.iter_mut().zip(sizes) {
            sample.iter_mut().for_each(|i| *i = r.random_range(0..n));
        }
        let s = statistic(&idx);
        if !s.is_nan() {
            stats.push(s);
        }
    }
    if stats.is_empty() {
        return Interval::UNKNOWN;
    }
    let tail = (1.0 - cfg.level) / 2.0;
    Interval {
        lo: quantile(&stats, tail),
        hi: quantile(&stats, 1.0 - tail),
    }
}

/// The values of `xs` at `idx` (a bootstrap resample).
pub fn pick(xs: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|&i| xs[i]).collect()
}

/// Two timings taken in interleaved rounds (round `r` of each ran at about the same time): the
/// median over rounds of the ratio `a_r / b_r`, and its percentile-bootstrap interval over the
/// rounds. A slow spell of the machine slows both sides of a round alike, and cancels.
pub fn paired_ratio(a: &[f64], b: &[f64], cfg: Bootstrap) -> (f64, Interval) {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    let ci = bootstrap_ci(&[ratios.len()], |idx| median(&pick(&ratios, &idx[0])), cfg);
    (median(&ratios), ci)
}

/// The ratio of the medians of two independent samples of timings, `median(a) / median(b)`,
/// with its percentile-bootstrap interval: how many times slower `a` is than `b`.
pub fn ratio_of_medians(a: &[f64], b: &[f64], cfg: Bootstrap) -> (f64, Interval) {
    let ratio = median(a) / median(b);
    let ci = bootstrap_ci(
        &[a.len(), b.len()],
        |idx| median(&pick(a, &idx[0])) / median(&pick(b, &idx[1])),
        cfg,
    );
    (ratio, ci)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn mean_std_and_standard_error_by_hand() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        // Σ(x − 5)² = 32, n − 1 = 7.
        assert!(close(std(&xs), (32.0f64 / 7.0).sqrt(), 1e-15));
        assert!(close(std_err(&xs), (32.0f64 / 7.0 / 8.0).sqrt(), 1e-15));
        assert!(mean(&[]).is_nan());
        assert!(std(&[3.0]).is_nan(), "one value has no spread");
    }

    #[test]
    fn moments_of_a_tensor_by_hand() {
        // 1, 2, 3, 4: mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25.
        let (m, s) = moments([1.0f32, 2.0, 3.0, 4.0].iter());
        assert_eq!(m, 2.5);
        assert!(close(s, 1.25f64.sqrt(), 1e-15));
        assert!(moments([1.0f32, f32::INFINITY].iter()).1.is_nan());
    }

    #[test]
    fn median_and_quantiles_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(
            median(&[4.0, 1.0, 3.0, 2.0]),
            2.5,
            "mean of the two middle values"
        );
        assert!(median(&[]).is_nan());
        let xs = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(quantile(&xs, 0.0), 10.0);
        assert_eq!(quantile(&xs, 1.0), 50.0);
        // h = 4 · 0.1 = 0.4: 10 + 0.4 · 10 (NumPy: np.quantile([10,20,30,40,50], 0.1) = 14).
        assert!(close(quantile(&xs, 0.1), 14.0, 1e-12));
        assert!(close(quantile(&xs, 0.9), 46.0, 1e-12));
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Student t table: t_{0.975, 4} = 2.776, t_{0.975, 1} = 12.706, t_{0.95, 4} = 2.132.
        assert!(close(t_quantile(0.975, 4), 2.776_445, 1e-5));
        assert!(close(t_quantile(0.975, 1), 12.706_205, 1e-5));
        assert!(close(t_quantile(0.95, 4), 2.131_847, 1e-5));
        assert!(close(t_quantile(0.975, 1000), 1.962_339, 1e-5));
    }

    #[test]
    fn confidence_interval_of_a_mean_by_hand() {
        // x = 1..5: mean 3, s = √2.5, s.e. = √0.5, t_{0.975,4} = 2.776445.
        let ci = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        let half = 2.776_445 * 0.5f64.sqrt();
        assert!(close(ci.lo, 3.0 - half, 1e-5) && close(ci.hi, 3.0 + half, 1e-5));
        assert!(mean_ci(&[1.0], 0.95).lo.is_nan());
        assert!(!Interval::UNKNOWN.above(0.0) && !Interval::UNKNOWN.below(0.0));
    }

    #[test]
    fn paired_differences_and_their_interval() {
        let a = [85.0, 86.0, 84.5, 85.5, 86.5];
        let b = [30.0, 29.0, 29.5, 30.5, 28.5];
        let p = Paired::new(&a, &b);
        assert_eq!(p.diffs, vec![55.0, 57.0, 55.0, 55.0, 58.0]);
        assert_eq!(p.mean(), 56.0);
        // s² = (1 + 1 + 1 + 1 + 4)/4 = 2: half-width 2.776445 · √(2/5).
        let half = 2.776_445 * (2.0f64 / 5.0).sqrt();
        assert!(close(p.ci95().lo, 56.0 - half, 1e-5));
        assert!(p.ci95().above(50.0) && !p.ci95().above(55.0));
        assert_eq!(p.count_above(55.5), 2);
        assert_eq!(p.count_below(0.0), 0);
    }

    #[test]
    fn equivalence_needs_the_whole_90_percent_interval_inside_the_margin() {
        // Differences with mean 0.1 and s = 0.5 over 5 seeds: 90% half-width 2.1318 · 0.5/√5
        // = 0.477, so the interval is [−0.377, 0.577].
        let d = [0.1 - 0.5, 0.1 + 0.5, 0.1, 0.1 - 0.5, 0.1 + 0.5];
        let s = std(&d);
        let p = Paired { diffs: d.to_vec() };
        let half = 2.131_847 * s / 5f64.sqrt();
        let e = p.equivalence(1.0);
        assert!(close(e.ci90.hi, 0.1 + half, 1e-5));
        assert!(e.equivalent, "inside ±1");
        assert!(!p.equivalence(0.5).equivalent, "0.577 is outside ±0.5");
        // A large real difference is never equivalent, however tight.
        let far = Paired::new(&[2.0, 2.1, 1.9], &[0.0, 0.0, 0.0]);
        assert!(!far.equivalence(1.0).equivalent);
    }

    #[test]
    fn bootstrap_of_a_mean_agrees_with_the_t_interval_and_is_reproducible() {
        // 200 draws of a skew-free variable: the percentile interval of the mean and the
        // t interval agree to a few percent of their width.
        let mut r = rng(5);
        let xs: Vec<f64> = (0..200).map(|_| r.random::<f64>()).collect();
        let cfg = Bootstrap::default();
        let boot = bootstrap_ci(&[xs.len()], |idx| mean(&pick(&xs, &idx[0])), cfg);
        let t = mean_ci(&xs, 0.95);
        let width = t.hi - t.lo;
        assert!(close(boot.lo, t.lo, 0.08 * width), "{boot:?} vs {t:?}");
        assert!(close(boot.hi, t.hi, 0.08 * width), "{boot:?} vs {t:?}");
        let again = bootstrap_ci(&[xs.len()], |idx| mean(&pick(&xs, &idx[0])), cfg);
        assert_eq!(boot, again, "same seed, same bits");
    }

    #[test]
    fn paired_ratio_of_interleaved_rounds() {
        // A slow spell (round 3) slows both: the per-round ratio stays 1.5.
        let (r, ci) = paired_ratio(
            &[3.0, 3.0, 9.0, 3.0, 3.0],
            &[2.0, 2.0, 6.0, 2.0, 2.0],
            Bootstrap::default(),
        );
        assert_eq!(r, 1.5);
        assert_eq!((ci.lo, ci.hi), (1.5, 1.5));
        // Unpaired, the same numbers would see the spell as noise.
        let (m, _) = ratio_of_medians(
            &[3.0, 3.0, 9.0, 3.0, 3.0],
            &[2.0, 2.0, 6.0, 2.0, 2.0],
            Bootstrap::default(),
        );
        assert_eq!(m, 1.5);
    }

    #[test]
    fn ratio_of_medians_of_timings() {
        let slow = [2.0, 2.1, 1.9, 2.05, 1.95, 2.0, 2.02];
        let fast = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0];
        let (ratio, ci) = ratio_of_medians(&slow, &fast, Bootstrap::default());
        assert_eq!(ratio, 2.0);
        assert!(
            ci.lo <= 2.0 && ci.hi >= 2.0 && ci.above(1.8) && ci.below(2.2),
            "{ci:?}"
        );
        assert!(
            bootstrap_ci(&[0], |_| 1.0, Bootstrap::default())
                .lo
                .is_nan()
        );
    }
}
