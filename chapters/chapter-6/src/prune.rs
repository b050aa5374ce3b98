//! Magnitude pruning: masks that zero the smallest weights, globally or layer by layer, and the
//! TensorFlow Model Optimization Toolkit's `PolynomialDecay` sparsity schedule.
//!
//! A mask is one `0/1` matrix per weight matrix (biases are never pruned). Pruning to sparsity
//! `s` zeroes exactly `round(s·n)` weights: the smallest by `|w|`, ties broken by position, so a
//! mask is a deterministic function of the weights.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use lab::Mlp;

/// Where the threshold is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// One threshold over the weights of every layer: layers with small weights lose more.
    Global,
    /// Each layer pruned to the same sparsity (what the toolkit does, layer by layer).
    PerLayer,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::PerLayer => "per layer",
        }
    }
}

/// One `0/1` matrix per layer, shaped like that layer's weights `(n_in, n_out)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Masks(pub Vec<Array2<f32>>);

// ANCHOR: magnitude
/// The indices of the `k` smallest `|w|` (ties broken by index): the weights to prune.
fn smallest(w: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..w.len()).collect();
    if k == 0 {
        return Vec::new();
    }
    // Partial selection is enough: everything before position k after this call is smaller.
    idx.select_nth_unstable_by(k - 1, |&a, &b| {
        w[a].abs().total_cmp(&w[b].abs()).then(a.cmp(&b))
    });
    idx.truncate(k);
    idx
}

/// Masks that zero exactly `round(sparsity·n)` weights: the smallest by magnitude, either over
/// all layers at once or in each layer separately.
pub fn magnitude_masks(model: &Mlp, sparsity: f64, scope: Scope) -> Masks {
    let mut masks: Vec<Array2<f32>> = model
        .layers
        .iter()
        .map(|l| Array2::ones(l.w.dim()))
        .collect();
    match scope {
        Scope::PerLayer => {
            for (mask, layer) in masks.iter_mut().zip(&model.layers) {
                let w = layer.w.as_slice().expect("contiguous weights");
                let k = (sparsity * w.len() as f64).round() as usize;
                let m = mask.as_slice_mut().expect("contiguous");
                smallest(w, k).into_iter().for_each(|i| m[i] = 0.0);
            }
        }
        Scope::Global => {
            // Concatenate every layer's weights; prune the k smallest of the whole network.
            let all: Vec<f32> = model
                .layers
                .iter()
                .flat_map(|l| l.w.iter().copied())
                .collect();
            let k = (sparsity * all.len() as f64).round() as usize;
            let offsets: Vec<usize> = model
                .layers
                .iter()
                .scan(0, |o, l| {
                    let start = *o;
                    *o += l.w.len();
                    Some(start)
                })
                .collect();
            for i in smallest(&all, k) {
                let l = offsets.partition_point(|&o| o <= i) - 1;
                masks[l].as_slice_mut().expect("contiguous")[i - offsets[l]] = 0.0;
            }
        }
    }
    Masks(masks)
}

impl Masks {
    /// `W ← W ⊙ M` for every layer: called after every optimiser step so pruned weights stay 0.
    pub fn apply(&self, model: &mut Mlp) {
        for (layer, m) in model.layers.iter_mut().zip(&self.0) {
            layer.w *= m;
        }
    }
}
// ANCHOR_END: magnitude

/// Fraction of weights (not biases) that are exactly zero, over all layers.
pub fn weight_sparsity(model: &Mlp) -> f64 {
    let (zeros, n) = model.layers.iter().fold((0usize, 0usize), |(z, n), l| {
        (z + l.w.iter().filter(|&&w| w == 0.0).count(), n + l.w.len())
    });
    zeros as f64 / n as f64
}

/// Fraction of weights with `|w| < eps`.
pub fn fraction_below(model: &Mlp, eps: f32) -> f64 {
    let (small, n) = model.layers.iter().fold((0usize, 0usize), |(z, n), l| {
        (
            z + l.w.iter().filter(|&&w| w.abs() < eps).count(),
            n + l.w.len(),
        )
    });
    small as f64 / n as f64
}

/// Exact zeros in each layer's weights.
pub fn zeros_per_layer(model: &Mlp) -> Vec<usize> {
    model
        .layers
        .iter()
        .map(|l| l.w.iter().filter(|&&w| w == 0.0).count())
        .collect()
}

// ANCHOR: schedule
/// `tfmot.sparsity.keras.PolynomialDecay`: sparsity rises from `initial` at `begin_step` to
/// `final_sparsity` at `end_step` along a power curve, and masks are recomputed every
/// `frequency` steps inside `[begin_step, end_step]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolynomialDecay {
    pub initial: f64,
    pub final_sparsity: f64,
    pub begin_step: usize,
    pub end_step: usize,
    /// 3 in the toolkit and in Zhu & Gupta (2017).
    pub power: i32,
    /// 100 in the toolkit.
    pub frequency: usize,
}

impl PolynomialDecay {
    /// `s_t = s_f + (s_i − s_f)·(1 − p)^power` with `p = (t − t₀)/(t_end − t₀)` clipped to [0, 1].
    pub fn sparsity(&self, step: usize) -> f64 {
        let span = (self.end_step - self.begin_step) as f64;
        let p = ((step as f64 - self.begin_step as f64) / span).clamp(0.0, 1.0);
        self.final_sparsity + (self.initial - self.final_sparsity) * (1.0 - p).powi(self.power)
    }

    /// The toolkit's `_should_prune_in_step`: inside the range, on a multiple of `frequency`.
    pub fn should_prune(&self, step: usize) -> bool {
        (self.begin_step..=self.end_step).contains(&step)
            && (step - self.begin_step).is_multiple_of(self.frequency)
    }
}
// ANCHOR_END: schedule

// ANCHOR: rounds
/// When to recompute the masks and to what sparsity: the pruning observer asks this at every
/// step.
pub trait Schedule {
    fn should_prune(&self, step: usize) -> bool;
    fn sparsity(&self, step: usize) -> f64;
}

impl Schedule for PolynomialDecay {
    fn should_prune(&self, step: usize) -> bool {
        PolynomialDecay::should_prune(self, step)
    }
    fn sparsity(&self, step: usize) -> f64 {
        PolynomialDecay::sparsity(self, step)
    }
}

/// Iterative magnitude pruning (Han et al. 2015): `rounds` prunings at steps `0, every, …,
/// (rounds − 1)·every`, each removing the same fraction `1 − (1 − s_f)^(1/rounds)` of the
/// weights still there, so that round `k` (from 1) leaves `(1 − s_f)^(k/rounds)` of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rounds {
    pub final_sparsity: f64,
    pub rounds: usize,
    pub every: usize,
}

impl Rounds {
    /// The sparsity after round `k` (1-based).
    pub fn after_round(&self, k: usize) -> f64 {
        1.0 - (1.0 - self.final_sparsity).powf(k as f64 / self.rounds as f64)
    }
}

impl Schedule for Rounds {
    fn should_prune(&self, step: usize) -> bool {
        step.is_multiple_of(self.every) && step / self.every < self.rounds
    }
    fn sparsity(&self, step: usize) -> f64 {
        self.after_round((step / self.every + 1).min(self.rounds))
    }
}
// ANCHOR_END: rounds

#[cfg(test)]
mod tests {
    use super::*;
    use lab::MlpSpec;
    use lab::rng::rng;

    fn model() -> Mlp {
        Mlp::new(&MlpSpec::relu(&[20, 15, 10, 3]), &mut rng(1))
    }

    /// Exactly round(s·n) zeros, and every kept weight is at least as large as every pruned one.
    #[test]
    fn per_layer_masks_prune_the_smallest_exactly() {
        let m = model();
        for s in [0.0, 0.5, 0.9, 0.98] {
            let masks = magnitude_masks(&m, s, Scope::PerLayer);
            for (layer, mask) in m.layers.iter().zip(&masks.0) {
                let n = layer.w.len();
                let pruned = mask.iter().filter(|&&x| x == 0.0).count();
                assert_eq!(pruned, (s * n as f64).round() as usize);
                let max_pruned = layer
                    .w
                    .iter()
                    .zip(mask)
                    .filter(|&(_, &k)| k == 0.0)
                    .map(|(w, _)| w.abs())
                    .fold(0.0, f32::max);
                let min_kept = layer
                    .w
                    .iter()
                    .zip(mask)
                    .filter(|&(_, &k)| k == 1.0)
                    .map(|(w, _)| w.abs())
                    .fold(f32::INFINITY, f32::min);
                assert!(max_pruned <= min_kept);
            }
        }
    }

    #[test]
    fn global_masks_use_one_threshold_over_all_layers() {
        let mut m = model();
        // Make layer 2's weights ten times smaller: a global threshold prunes it first.
        m.layers[1].w *= 0.1;
        let masks = magnitude_masks(&m, 0.5, Scope::Global);
        let n: usize = m.layers.iter().map(|l| l.w.len()).sum();
        let pruned: usize = masks
            .0
            .iter()
            .map(|k| k.iter().filter(|&&x| x == 0.0).count())
            .sum();
        assert_eq!(pruned, (0.5 * n as f64).round() as usize);
        let frac = |l: usize| {
            masks.0[l].iter().filter(|&&x| x == 0.0).count() as f64 / masks.0[l].len() as f64
        };
        assert!(frac(1) > 0.95, "the shrunken layer is pruned first");
        let mut pruned_model = m.clone();
        masks.apply(&mut pruned_model);
        assert!((weight_sparsity(&pruned_model) - pruned as f64 / n as f64).abs() < 1e-12);
    }

    /// The schedule by hand: s_i = 0, s_f = 0.9, steps 0..=1000, power 3.
    /// Half-way, s = 0.9·(1 − 0.5³) = 0.7875.
    #[test]
    fn polynomial_decay_by_hand() {
        let s = PolynomialDecay {
            initial: 0.0,
            final_sparsity: 0.9,
            begin_step: 0,
            end_step: 1000,
            power: 3,
            frequency: 100,
        };
        assert_eq!(s.sparsity(0), 0.0);
        assert!((s.sparsity(500) - 0.7875).abs() < 1e-12);
        assert_eq!(s.sparsity(1000), 0.9);
        assert_eq!(s.sparsity(5000), 0.9);
        assert!(s.should_prune(0) && s.should_prune(100) && s.should_prune(1000));
        assert!(!s.should_prune(150) && !s.should_prune(1100));
        // Monotone non-decreasing.
        assert!((0..1000).all(|t| s.sparsity(t) <= s.sparsity(t + 1)));
    }

    /// Five rounds to 98%: prunings at 0, 100, …, 400 only; each keeps the same fraction
    /// 0.02^(1/5) ≈ 0.457 of what was left; the fifth reaches 98%.
    #[test]
    fn rounds_remove_the_same_fraction_each_time() {
        let r = Rounds {
            final_sparsity: 0.98,
            rounds: 5,
            every: 100,
        };
        let prunes: Vec<usize> = (0..1000)
            .filter(|&t| Schedule::should_prune(&r, t))
            .collect();
        assert_eq!(prunes, [0, 100, 200, 300, 400]);
        let left: Vec<f64> = prunes.iter().map(|&t| 1.0 - r.sparsity(t)).collect();
        let keep = 0.02f64.powf(0.2);
        assert!((left[0] - keep).abs() < 1e-12);
        for w in left.windows(2) {
            assert!((w[1] / w[0] - keep).abs() < 1e-12);
        }
        assert!((r.sparsity(400) - 0.98).abs() < 1e-12);
        assert!((r.sparsity(999) - 0.98).abs() < 1e-12);
    }
}
