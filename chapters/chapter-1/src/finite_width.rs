//! Experiment 5, beyond the answer: He initialisation preserves the activations' variance *on
//! average*, but a single finite-width network fluctuates around it, more so when it is narrow
//! (Hanin & Rolnick 2018: the variance of the squared activation length grows like Σ 1/width).

use serde::{Deserialize, Serialize};

use lab::rng::{derive_seed, rng_stream};
use lab::stats::{mean, median, std};
use lab::{Activation, Dense, Init};

use crate::sweep::{propagate, std_dev};

/// Many seeds of one width.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WidthRun {
    pub width: usize,
    /// Per seed, the std of each layer's activations divided by layer 1's.
    pub relative_std: Vec<Vec<f64>>,
}

impl WidthRun {
    /// Per seed, log10(std at the last layer / std at layer 1), over the nets whose signal
    /// survived: a narrow net can go silent (every unit of a layer off for every input), and its
    /// log ratio is then −∞. Leaving those out can only make the spread look smaller.
    pub fn log10_last(&self) -> Vec<f64> {
        self.relative_std
            .iter()
            .map(|r| r.last().expect("depth ≥ 1").log10())
            .filter(|x| x.is_finite())
            .collect()
    }
    /// Nets whose signal died before the last layer.
    pub fn dead_nets(&self) -> usize {
        self.relative_std.len() - self.log10_last().len()
    }
    /// Over the surviving nets, the mean and the std of [`log10_last`](Self::log10_last).
    pub fn log10_last_mean(&self) -> f64 {
        mean(&self.log10_last())
    }
    pub fn log10_last_std(&self) -> f64 {
        std(&self.log10_last())
    }
    /// Per seed, the largest drift from layer 1's std: `max_l max(r_l, 1/r_l)`.
    pub fn max_drift(&self) -> Vec<f64> {
        self.relative_std
            .iter()
            .map(|r| r.iter().map(|&x| x.max(1.0 / x)).fold(1.0, f64::max))
            .collect()
    }
    /// The median over seeds of [`max_drift`](Self::max_drift).
    pub fn median_max_drift(&self) -> f64 {
        median(&self.max_drift())
    }
    /// How many seeds stay within `factor` of layer 1's std at every layer.
    pub fn seeds_within(&self, factor: f64) -> usize {
        self.max_drift().iter().filter(|&&d| d <= factor).count()
    }
}

// ANCHOR: predicted_spread
/// Hanin & Rolnick's prediction for the spread over seeds of log10(σ_L/σ_1) in a ReLU net whose
/// signal crosses `transitions` He-initialised layers of `width` units. Each layer multiplies
/// the squared length by (2/n) Σᵢ relu(gᵢ)², gᵢ ~ N(0, 1): mean 1, variance 5/n (since
/// E relu(g)⁴ = 3/2 and (E relu(g)²)² = 1/4). So Var ln σ² ≈ 5·transitions/n, and the std of
/// log10 σ is half its square root, over ln 10. It is asymptotic: one input, large n.
pub fn predicted_spread(width: usize, transitions: usize) -> f64 {
    0.5 * (5.0 * transitions as f64 / width as f64).sqrt() / std::f64::consts::LN_10
}
// ANCHOR_END: predicted_spread

/// `seeds` He-initialised ReLU nets of `depth` layers of `width` units.
pub fn width_run(width: usize, depth: usize, batch: usize, seeds: usize, seed: u64) -> WidthRun {
    let relative_std: Vec<Vec<f64>> = (0..seeds)
        .map(|s| {
            let mut rng = rng_stream(derive_seed(seed, "finite width"), (width * 1000 + s) as u64);
            let layers: Vec<Dense> = (0..depth)
                .map(|_| Dense::new(width, width, Init::HeNormal, Init::Zeros, &mut rng))
                .collect();
            let x = Init::Normal { std: 1.0 }.sample((batch, width), &mut rng);
            let grad_out = ndarray::Array2::zeros((batch, width));
            let std: Vec<f64> = propagate(&layers, Activation::Relu, x, grad_out)
                .activations
                .iter()
                .map(std_dev)
                .collect();
            std.iter().map(|s| s / std[0]).collect()
        })
        .collect();
    WidthRun {
        width,
        relative_std,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::rng::rng;

    /// The prediction against the multiplicative process it describes, simulated: 4,000 chains
    /// of 49 layers of width 64 (the prediction's only approximation is ln's curvature, a few %).
    #[test]
    fn predicted_spread_matches_the_simulated_process() {
        let (width, layers, chains) = (64, 49, 4000);
        let mut r = rng(7);
        let normal = Init::Normal { std: 1.0 };
        let logs: Vec<f64> = (0..chains)
            .map(|_| {
                (0..layers)
                    .map(|_| {
                        let g = normal.sample((1, width), &mut r);
                        let sum: f64 = g.iter().map(|&x| f64::from(x.max(0.0)).powi(2)).sum();
                        0.5 * (2.0 * sum / width as f64).log10()
                    })
                    .sum()
            })
            .collect();
        let predicted = predicted_spread(width, layers);
        let measured = std(&logs);
        assert!(
            (measured / predicted - 1.0).abs() < 0.05,
            "simulated {measured:.4} vs predicted {predicted:.4}"
        );
    }
}
