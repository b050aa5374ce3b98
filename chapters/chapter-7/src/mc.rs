//! MC Dropout's quality as `T` grows: accuracy, NLL, ECE, reliability, and how well the
//! predictive std flags errors, for the `T` passes of [`lab::mc_dropout`].

use ndarray::{Array2, ArrayView2, Axis, s};
use serde::{Deserialize, Serialize};

use lab::Mlp;
use lab::loss::{argmax_rows, softmax};
use lab::mc_dropout::{first_hidden, mc_passes};
use lab::metrics::{CalibrationBin, accuracy, auroc, calibration_bins, ece, nll};

/// How good the predictions are: accuracy, NLL, ECE, and how well an uncertainty score flags
/// the wrong predictions (AUROC, wrong = positive).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quality {
    /// Number of passes (0 for the deterministic weight-scaled prediction).
    pub passes: usize,
    pub accuracy: f64,
    pub nll: f64,
    pub ece: f64,
    /// AUROC of the predictive std of the predicted class's probability (MC only; NaN for T=1
    /// and for weight scaling, where the std is 0).
    pub auroc_std: f64,
    /// AUROC of the entropy of the (mean) predictive distribution.
    pub auroc_entropy: f64,
    /// AUROC of the mutual information between the prediction and the masks,
    /// H[p̄] − (1/T) Σₜ H[pₜ] (MC only; NaN otherwise).
    pub auroc_mi: f64,
}

/// Entropy `−Σ_c p_c ln p_c` of each row.
pub fn entropy_rows(probs: ArrayView2<f32>) -> Vec<f64> {
    probs
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|&p| {
                    let p = f64::from(p);
                    if p > 0.0 { -p * p.ln() } else { 0.0 }
                })
                .sum()
        })
        .collect()
}

/// The quality of `probs: (n, k)` against `labels`, with an optional per-example std.
pub fn quality(
    probs: ArrayView2<f32>,
    labels: &[usize],
    std: Option<&[f64]>,
    passes: usize,
    bins: usize,
) -> Quality {
    let pred = argmax_rows(probs);
    let wrong: Vec<bool> = pred.iter().zip(labels).map(|(p, y)| p != y).collect();
    Quality {
        passes,
        accuracy: accuracy(probs, labels),
        nll: nll(probs, labels),
        ece: ece(probs, labels, bins),
        auroc_std: std.map_or(f64::NAN, |s| auroc(s, &wrong)),
        auroc_entropy: auroc(&entropy_rows(probs), &wrong),
        auroc_mi: f64::NAN,
    }
}

// ANCHOR: temperature
/// Temperature scaling (Guo et al. 2017): the τ > 0 that minimises the NLL of softmax(z/τ) on
/// held-out logits `z`, found by golden-section search on ln τ ∈ [ln 0.05, ln 20] (the NLL is
/// convex in 1/τ, so it has one minimum). One number, fitted after training; the prediction
/// stays one pass.
pub fn fit_temperature(logits: ArrayView2<f32>, labels: &[usize]) -> f64 {
    let nll_at = |ln_t: f64| {
        let t = ln_t.exp() as f32;
        nll(softmax(logits.mapv(|z| z / t).view()).view(), labels)
    };
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (nll_at(c), nll_at(d));
    while b - a > 1e-4 {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = nll_at(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = nll_at(d);
        }
    }
    (0.5 * (a + b)).exp()
}
// ANCHOR_END: temperature

/// Everything MC Dropout gives on a test set, for one trained net.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct McEval {
    pub dropout: f32,
    /// The deterministic weight-scaled prediction (dropout off).
    pub weight_scaled: Quality,
    /// The same logits divided by the temperature fitted on the validation set.
    pub temperature: f64,
    pub temperature_scaled: Quality,
    /// The MC average after each T.
    pub mc: Vec<Quality>,
    /// Reliability bins of weight scaling and of MC at `reliability_passes`.
    pub reliability_weight_scaled: Vec<CalibrationBin>,
    pub reliability_mc: Vec<CalibrationBin>,
    pub reliability_passes: usize,
    /// Histograms of the predictive std at `reliability_passes` on `[0, STD_MAX]`, on correct
    /// and on wrong predictions, and the mean std of each group.
    pub std_counts_correct: Vec<u64>,
    pub std_counts_wrong: Vec<u64>,
    pub mean_std_correct: f64,
    pub mean_std_wrong: f64,
}

/// Upper end of the predictive-std histograms (a probability's std is at most ½).
pub const STD_MAX: f64 = 0.5;
/// Bins of the predictive-std histograms.
pub const STD_BINS: usize = 25;

/// Counts of `xs` in `bins` equal bins of `[0, hi]` (values above `hi` go to the last bin).
pub fn counts(xs: &[f64], hi: f64, bins: usize) -> Vec<u64> {
    let mut c = vec![0u64; bins];
    for &x in xs {
        c[((x / hi * bins as f64) as usize).min(bins - 1)] += 1;
    }
    c
}

/// The average of several predictive distributions over the same `n` examples (MC Dropout's
/// passes, or a deep ensemble's members), added one at a time, with the per-example spread.
pub struct Average {
    /// How many distributions have been added.
    pub count: usize,
    /// Σ p and Σ p² per example and class, `(n, k)`; Σ H[p] per example.
    sum: Array2<f64>,
    sum_sq: Array2<f64>,
    sum_entropy: Vec<f64>,
}

impl Average {
    pub fn new(n: usize, k: usize) -> Self {
        Average {
            count: 0,
            sum: Array2::zeros((n, k)),
            sum_sq: Array2::zeros((n, k)),
            sum_entropy: vec![0.0; n],
        }
    }

    /// Add one distribution `probs: (n, k)`.
    pub fn add(&mut self, probs: ArrayView2<f32>) {
        for (acc, e) in self.sum_entropy.iter_mut().zip(entropy_rows(probs)) {
            *acc += e;
        }
        let p = probs.mapv(f64::from);
        self.sum += &p;
        self.sum_sq += &(&p * &p);
        self.count += 1;
    }

    /// The quality of the mean so far, its mean `(n, k)` and the predictive std: the std of the
    /// predicted class's probability across the distributions, `sqrt(E[p²] − E[p]²)`. With more
    /// than one distribution, the std and the mutual information `H[p̄] − (1/T) Σₜ H[pₜ]` are
    /// scored as error detectors too.
    pub fn quality(&self, labels: &[usize], bins: usize) -> (Quality, Array2<f32>, Vec<f64>) {
        let t = self.count as f64;
        let mean = self.sum.mapv(|v| (v / t) as f32);
        let pred = argmax_rows(mean.view());
        let std: Vec<f64> = pred
            .iter()
            .enumerate()
            .map(|(r, &c)| {
                let m = self.sum[(r, c)] / t;
                (self.sum_sq[(r, c)] / t - m * m).max(0.0).sqrt()
            })
            .collect();
        let several = self.count > 1;
        let mut q = quality(
            mean.view(),
            labels,
            several.then_some(&std[..]),
            self.count,
            bins,
        );
        if several {
            let wrong: Vec<bool> = pred.iter().zip(labels).map(|(p, y)| p != y).collect();
            let mi: Vec<f64> = entropy_rows(mean.view())
                .iter()
                .zip(&self.sum_entropy)
                .map(|(h, s)| h - s / t)
                .collect();
            q.auroc_mi = auroc(&mi, &wrong);
        }
        (q, mean, std)
    }
}

// ANCHOR: evaluate
/// MC Dropout on `(x, labels)` for `T ∈ ts` (nested: the first T passes of the same
/// `max(ts)`), in chunks of `chunk` passes. The predictive std is that of the probability of
/// the predicted class across passes: `sqrt(E[p²] − E[p]²)`.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    model: &Mlp,
    (val_x, val_labels): (ArrayView2<f32>, &[usize]),
    x: ArrayView2<f32>,
    labels: &[usize],
    ts: &[usize],
    seed: u64,
    chunk: usize,
    bins: usize,
    reliability_passes: usize,
) -> McEval {
    let n = x.nrows();
    let k = model.layers.last().unwrap().n_out();
    let logits = model.forward(x);
    let scaled = softmax(logits.view());
    let weight_scaled = quality(scaled.view(), labels, None, 0, bins);
    let temperature = fit_temperature(model.forward(val_x).view(), val_labels);
    let tau = temperature as f32;
    let tempered = softmax(logits.mapv(|z| z / tau).view());
    let temperature_scaled = quality(tempered.view(), labels, None, 0, bins);
    let h = first_hidden(model, x);
    let t_max = *ts.iter().max().expect("at least one T");
    let mut average = Average::new(n, k);
    let (mut mc, mut done) = (Vec::new(), 0);
    let mut at_reliability = None;
    while done < t_max {
        let end = (done + chunk).min(t_max);
        let probs = mc_passes(model, h.view(), seed, done..end);
        for block in probs.axis_chunks_iter(Axis(0), n) {
            average.add(block);
            if ts.contains(&average.count) {
                let (q, mean, std) = average.quality(labels, bins);
                mc.push(q);
                if average.count == reliability_passes {
                    at_reliability = Some((mean, std));
                }
            }
        }
        done = end;
    }
    let (mean, std) = at_reliability.expect("reliability_passes is one of ts");
    let pred = argmax_rows(mean.view());
    let (mut std_correct, mut std_wrong) = (Vec::new(), Vec::new());
    for ((&p, &y), &s) in pred.iter().zip(labels).zip(&std) {
        if p == y {
            std_correct.push(s);
        } else {
            std_wrong.push(s);
        }
    }
    McEval {
        dropout: model.dropout,
        weight_scaled,
        temperature,
        temperature_scaled,
        mc,
        reliability_weight_scaled: calibration_bins(scaled.view(), labels, bins),
        reliability_mc: calibration_bins(mean.view(), labels, bins),
        reliability_passes,
        std_counts_correct: counts(&std_correct, STD_MAX, STD_BINS),
        std_counts_wrong: counts(&std_wrong, STD_MAX, STD_BINS),
        mean_std_correct: lab::stats::mean(&std_correct),
        mean_std_wrong: lab::stats::mean(&std_wrong),
    }
}
// ANCHOR_END: evaluate

/// Rows `rows` of `x`, for timing on a request of a given size.
pub fn rows(x: ArrayView2<f32>, rows: usize) -> ArrayView2<f32> {
    x.slice_move(s![..rows, ..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::mc_dropout::mc_shared_first;
    use lab::rng::rng;
    use lab::{Init, MlpSpec};

    fn net(p: f32) -> Mlp {
        let spec = MlpSpec::relu(&[7, 16, 12, 4])
            .with_dropout(p)
            .with_bias_init(Init::Normal { std: 0.1 });
        Mlp::new(&spec, &mut rng(3))
    }

    /// Logits that are twice too confident: the fitted temperature is 2 (within the search's
    /// tolerance), and it lowers the NLL.
    #[test]
    fn temperature_undoes_overconfidence() {
        // True class probabilities softmax(z); labels drawn so that they match them, then
        // logits scaled by 2.
        let z = Init::Normal { std: 1.5 }.sample((4000, 5), &mut rng(2));
        let p = softmax(z.view());
        let mut r = rng(9);
        let labels: Vec<usize> = p
            .rows()
            .into_iter()
            .map(|row| {
                let u: f32 = lab::rng::Rng::random(&mut r);
                let mut acc = 0.0;
                row.iter()
                    .position(|&q| {
                        acc += q;
                        u < acc
                    })
                    .unwrap_or(4)
            })
            .collect();
        let hot = z.mapv(|v| 2.0 * v);
        let t = fit_temperature(hot.view(), &labels);
        assert!((t - 2.0).abs() < 0.15, "{t}");
        let before = nll(softmax(hot.view()).view(), &labels);
        let after = nll(softmax(hot.mapv(|v| v / t as f32).view()).view(), &labels);
        assert!(after < before);
    }

    #[test]
    fn entropy_by_hand() {
        let p = ndarray::array![[1.0f32, 0.0], [0.5, 0.5]];
        let e = entropy_rows(p.view());
        assert_eq!(e[0], 0.0);
        assert!((e[1] - 2f64.ln()).abs() < 1e-12);
    }

    /// The nested evaluation at T equals an independent computation of the first T passes.
    #[test]
    fn evaluation_is_nested_in_t() {
        let model = net(0.5);
        let x = Init::Normal { std: 1.0 }.sample((40, 7), &mut rng(8));
        let labels: Vec<usize> = (0..40).map(|i| i % 4).collect();
        let ev = evaluate(
            &model,
            (x.view(), &labels),
            x.view(),
            &labels,
            &[1, 3, 5],
            13,
            2,
            5,
            3,
        );
        let mean3 = mc_shared_first(&model, x.view(), 13, 3);
        let q = quality(mean3.view(), &labels, None, 3, 5);
        assert!((ev.mc[1].nll - q.nll).abs() < 1e-5);
        assert_eq!(ev.mc[1].accuracy, q.accuracy);
        let total: u64 = ev
            .std_counts_correct
            .iter()
            .chain(&ev.std_counts_wrong)
            .sum();
        assert_eq!(total, 40);
    }
}
