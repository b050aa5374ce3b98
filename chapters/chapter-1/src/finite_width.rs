//! Experiment 5, beyond the answer: He initialisation preserves the activations' variance *on
//! average*, but a single finite-width network fluctuates around it, more so when it is narrow
//! (Hanin & Rolnick 2018: the variance of the squared activation length grows like Σ 1/width).

use serde::Serialize;

use lab::rng::{derive_seed, rng_stream};
use lab::{Activation, Dense, Init};

use crate::sweep::{propagate, std_dev};

/// Many seeds of one width.
#[derive(Clone, Debug, Serialize)]
pub struct WidthRun {
    pub width: usize,
    /// Per seed, the std of each layer's activations divided by layer 1's.
    pub relative_std: Vec<Vec<f64>>,
    /// Over seeds, of log10(std at the last layer / std at layer 1): mean and std.
    pub log10_last_mean: f64,
    pub log10_last_std: f64,
    /// Over seeds, the median of the largest drift from layer 1's std (`max_l max(r_l, 1/r_l)`).
    pub median_max_drift: f64,
    /// How many seeds stay within 2× of layer 1's std at every layer.
    pub seeds_within_2x: usize,
}

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
    let logs: Vec<f64> = relative_std
        .iter()
        .map(|r| r.last().expect("depth ≥ 1").log10())
        .collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let std = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let mut drifts: Vec<f64> = relative_std
        .iter()
        .map(|r| r.iter().map(|&x| x.max(1.0 / x)).fold(1.0, f64::max))
        .collect();
    drifts.sort_by(f64::total_cmp);
    let seeds_within_2x = drifts.iter().filter(|&&d| d <= 2.0).count();
    let median_max_drift = drifts[drifts.len() / 2];
    WidthRun {
        width,
        relative_std,
        log10_last_mean: mean,
        log10_last_std: std,
        median_max_drift,
        seeds_within_2x,
    }
}
