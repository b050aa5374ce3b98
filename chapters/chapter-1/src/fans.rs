//! Experiment 3: why Glorot averages fan-in and fan-out.
//!
//! In a net whose widths change (784 → 1024 → 256 → 64 → 10), with linear layers so the theory
//! is exact: Var(W) = 1/fan_in keeps the forward variance, 1/fan_out keeps the backward
//! variance, and Glorot's 2/(fan_in + fan_out) splits the difference.

use serde::{Deserialize, Serialize};

use lab::rng::{derive_seed, rng_stream};
use lab::{Activation, Dense, Init};

use crate::sweep::{propagate, std_dev};

/// Which fan a scheme divides by.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum FanMode {
    FanIn,
    FanOut,
    FanAvg,
}

impl FanMode {
    pub fn all() -> [FanMode; 3] {
        [FanMode::FanIn, FanMode::FanOut, FanMode::FanAvg]
    }
    pub fn name(&self) -> &'static str {
        match self {
            FanMode::FanIn => "fan-in (LeCun)",
            FanMode::FanOut => "fan-out",
            FanMode::FanAvg => "average (Glorot)",
        }
    }
    /// Var(W) for a `(fan_in, fan_out)` layer.
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        match self {
            FanMode::FanIn => 1.0 / fan_in as f64,
            FanMode::FanOut => 1.0 / fan_out as f64,
            FanMode::FanAvg => 2.0 / (fan_in + fan_out) as f64,
        }
    }
}

/// One scheme through the net: std of the signal at each layer's output, forward and backward,
/// measured and predicted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FanRun {
    pub mode: FanMode,
    /// Std of `z` after each layer (inputs have std 1).
    pub forward_std: Vec<f64>,
    pub forward_theory: Vec<f64>,
    /// Std of `∂L/∂a` entering each layer from above, from a unit-variance gradient at the
    /// output: `backward_std[l]` is at the output of layer `l` (the last one is the output's, 1).
    pub backward_std: Vec<f64>,
    pub backward_theory: Vec<f64>,
}

/// Linear layers with widths `widths`, each weight matrix N(0, mode's variance).
pub fn fan_run(mode: FanMode, widths: &[usize], batch: usize, seed: u64) -> FanRun {
    let mut rng = rng_stream(derive_seed(seed, "fans"), 0);
    let layers: Vec<Dense> = widths
        .windows(2)
        .map(|w| {
            let std = mode.variance(w[0], w[1]).sqrt() as f32;
            Dense::new(w[0], w[1], Init::Normal { std }, Init::Zeros, &mut rng)
        })
        .collect();
    let x = Init::Normal { std: 1.0 }.sample((batch, widths[0]), &mut rng);
    let grad_out =
        Init::Normal { std: 1.0 }.sample((batch, *widths.last().expect("widths")), &mut rng);
    let p = propagate(&layers, Activation::Identity, x, grad_out);
    // Forward: Var(z_l) = Π_{k ≤ l} fan_in_k · Var(W_k).
    let mut v = 1.0;
    let forward_theory = widths
        .windows(2)
        .map(|w| {
            v *= w[0] as f64 * mode.variance(w[0], w[1]);
            v.sqrt()
        })
        .collect();
    // Backward: Var(∂L/∂a at the output of layer l) = Π_{k > l} fan_out_k · Var(W_k).
    let n = layers.len();
    let mut backward_theory = vec![1.0; n];
    let mut v = 1.0;
    for l in (0..n - 1).rev() {
        let (fi, fo) = (widths[l + 1], widths[l + 2]);
        v *= fo as f64 * mode.variance(fi, fo);
        backward_theory[l] = v.sqrt();
    }
    FanRun {
        mode,
        forward_std: p.activations.iter().map(std_dev).collect(),
        forward_theory,
        backward_std: p.grads.iter().map(std_dev).collect(),
        backward_theory,
    }
}
