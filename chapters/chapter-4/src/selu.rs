//! Experiment 5: self-normalisation. Standard-normal inputs through a deep stack of square
//! layers (no biases, no training); the mean and std of each layer's activations.

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use lab::linalg::matmul;
use lab::rng::{derive_seed, rng_stream};
use lab::stats::{mean, moments};
use lab::{Activation, Init};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeluConfig {
    pub depth: usize,
    pub width: usize,
    pub batch: usize,
    pub seeds: usize,
    /// The layer the claim is checked at (1-based).
    pub check_layer: usize,
}

pub fn pairs() -> Vec<(Activation, Init)> {
    vec![
        (Activation::Selu, Init::LeCunNormal),
        (Activation::Relu, Init::HeNormal),
        (Activation::Tanh, Init::GlorotNormal),
    ]
}

/// One (activation, init) pair: per-layer statistics averaged over seeds, each seed's value at
/// the check layer and the last layer, and each seed's average from the check layer to the last
/// (where a self-normalising net has settled on its fixed point).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeluRun {
    pub activation: Activation,
    pub init: Init,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub at_check: Vec<(f64, f64)>,
    pub at_last: Vec<(f64, f64)>,
    pub settled: Vec<(f64, f64)>,
}

// ANCHOR: layer_stats
/// Mean and std of every layer's activations for one seed: `x: (batch, width)` ~ N(0, 1).
pub fn layer_stats(act: Activation, init: Init, cfg: &SeluConfig, seed: u64) -> Vec<(f64, f64)> {
    let mut r = rng_stream(seed, 0);
    let mut a: Array2<f32> = Init::Normal { std: 1.0 }.sample((cfg.batch, cfg.width), &mut r);
    (0..cfg.depth)
        .map(|_| {
            let w = init.sample((cfg.width, cfg.width), &mut r);
            a = act.forward(matmul(a.view(), w.view()).view());
            moments(a.iter())
        })
        .collect()
}
// ANCHOR_END: layer_stats

pub fn selu_sweep(cfg: &SeluConfig, seed: u64) -> Vec<SeluRun> {
    let ps = pairs();
    let jobs: Vec<(usize, usize)> = (0..ps.len())
        .flat_map(|p| (0..cfg.seeds).map(move |s| (p, s)))
        .collect();
    let stats: Vec<Vec<(f64, f64)>> = jobs
        .par_iter()
        .map(|&(p, s)| {
            let job_seed = derive_seed(seed, &format!("selu {p} {s}"));
            layer_stats(ps[p].0, ps[p].1, cfg, job_seed)
        })
        .collect();
    ps.iter()
        .enumerate()
        .map(|(p, &(act, init))| {
            let runs = &stats[p * cfg.seeds..(p + 1) * cfg.seeds];
            let avg = |f: fn(&(f64, f64)) -> f64| -> Vec<f64> {
                (0..cfg.depth)
                    .map(|l| mean(&runs.iter().map(|r| f(&r[l])).collect::<Vec<_>>()))
                    .collect()
            };
            let settled = |r: &Vec<(f64, f64)>| {
                let tail = &r[cfg.check_layer - 1..];
                let m: Vec<f64> = tail.iter().map(|s| s.0).collect();
                let s: Vec<f64> = tail.iter().map(|s| s.1).collect();
                (mean(&m), mean(&s))
            };
            SeluRun {
                activation: act,
                init,
                mean: avg(|s| s.0),
                std: avg(|s| s.1),
                at_check: runs.iter().map(|r| r[cfg.check_layer - 1]).collect(),
                at_last: runs.iter().map(|r| r[cfg.depth - 1]).collect(),
                settled: runs.iter().map(settled).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SELU's fixed point, by quadrature: for z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)²] = 1
    /// (Klambauer et al. 2017, eq. 4–5 with μ = 0, ν = 1). The Riemann sum on [−10, 10] with
    /// step 1e-3 is accurate far beyond the 1e-4 the constants' 7 digits allow.
    #[test]
    fn selu_fixed_point_by_quadrature() {
        let (mut m1, mut m2) = (0.0f64, 0.0f64);
        let h = 1e-3;
        for i in -10_000..=10_000 {
            let z = i as f64 * h;
            let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let s = f64::from(Activation::Selu.f(z as f32));
            m1 += s * pdf * h;
            m2 += s * s * pdf * h;
        }
        assert!(m1.abs() < 1e-4, "E[selu] = {m1}");
        assert!((m2 - 1.0).abs() < 1e-4, "E[selu²] = {m2}");
    }
}
