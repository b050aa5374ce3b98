//! Stochastic gradient descent with momentum (heavy ball or Nesterov), as in PyTorch and Keras.
//!
//! For each parameter tensor `w` with gradient `g` (after the penalty's gradient is added):
//!
//! ```text
//! v ← β·v + g
//! w ← w − α·v                (heavy ball)
//! w ← w − α·(g + β·v)        (Nesterov, PyTorch's formulation)
//! ```
//!
//! then the penalty's proximal step, if any. With β = 0 this is plain SGD. The effective step
//! along a constant gradient is α/(1 − β): 10α at β = 0.9.

use serde::{Deserialize, Serialize};

use crate::layer::DenseGrads;
use crate::regularize::Penalty;
use crate::train::Model;

/// The optimiser's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate α.
    pub lr: f32,
    /// Momentum β (0 = plain SGD).
    pub momentum: f32,
    pub nesterov: bool,
    /// Penalty on weights (not biases).
    pub penalty: Penalty,
}

impl SgdConfig {
    pub fn plain(lr: f32) -> Self {
        SgdConfig {
            lr,
            momentum: 0.0,
            nesterov: false,
            penalty: Penalty::None,
        }
    }
    pub fn momentum(lr: f32, momentum: f32) -> Self {
        SgdConfig {
            momentum,
            ..Self::plain(lr)
        }
    }
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }
    pub fn with_nesterov(mut self) -> Self {
        self.nesterov = true;
        self
    }
}

/// SGD with its velocity buffers, one per parameter tensor (created on first use).
#[derive(Clone, Debug)]
pub struct Sgd {
    pub config: SgdConfig,
    velocity: Vec<Vec<f32>>,
}

impl Sgd {
    pub fn new(config: SgdConfig) -> Self {
        Sgd {
            config,
            velocity: Vec::new(),
        }
    }

    /// Update one tensor (`slot` identifies its velocity). `penalise` is false for biases.
    pub fn update(&mut self, slot: usize, w: &mut [f32], g: &[f32], penalise: bool) {
        let SgdConfig {
            lr,
            momentum,
            nesterov,
            penalty,
        } = self.config;
        // A penalty's gradient is added to a copy; without one, the gradient is used as is.
        let with_penalty;
        let g = if penalise && matches!(penalty, Penalty::L2(_) | Penalty::L1Subgradient(_)) {
            let mut g = g.to_vec();
            penalty.add_gradient(w, &mut g);
            with_penalty = g;
            &with_penalty
        } else {
            g
        };
        if momentum == 0.0 {
            w.iter_mut().zip(g).for_each(|(w, &g)| *w -= lr * g);
        } else {
            if self.velocity.len() <= slot {
                self.velocity.resize(slot + 1, Vec::new());
            }
            let v = &mut self.velocity[slot];
            if v.len() != w.len() {
                *v = vec![0.0; w.len()];
            }
            for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                *v = momentum * *v + g;
                *w -= lr * if nesterov { g + momentum * *v } else { *v };
            }
        }
        if penalise {
            penalty.proximal(w, lr);
        }
    }

    /// One step on every dense layer of a model (weights penalised, biases not).
    pub fn step<M: Model>(&mut self, model: &mut M, grads: &[DenseGrads]) {
        for (l, (layer, g)) in model.dense_layers_mut().into_iter().zip(grads).enumerate() {
            let w = layer.w.as_slice_mut().expect("weights are contiguous");
            self.update(2 * l, w, g.w.as_slice().expect("contiguous"), true);
            let b = layer.b.as_slice_mut().expect("biases are contiguous");
            self.update(2 * l + 1, b, g.b.as_slice().expect("contiguous"), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heavy ball on f(w) = ½w², g = w, by hand: v₁ = 1, w₁ = 1 − 0.1 = 0.9;
    /// v₂ = 0.9·1 + 0.9 = 1.8, w₂ = 0.9 − 0.18 = 0.72.
    #[test]
    fn heavy_ball_by_hand() {
        let mut opt = Sgd::new(SgdConfig::momentum(0.1, 0.9));
        let mut w = [1.0f32];
        let g = [w[0]];
        opt.update(0, &mut w, &g, true);
        assert!((w[0] - 0.9).abs() < 1e-7);
        let g = [w[0]];
        opt.update(0, &mut w, &g, true);
        assert!((w[0] - 0.72).abs() < 1e-6);
    }

    /// Nesterov (PyTorch form): v₁ = 1, w₁ = 1 − 0.1·(1 + 0.9) = 0.81.
    #[test]
    fn nesterov_by_hand() {
        let mut opt = Sgd::new(SgdConfig::momentum(0.1, 0.9).with_nesterov());
        let mut w = [1.0f32];
        opt.update(0, &mut w, &[1.0], true);
        assert!((w[0] - 0.81).abs() < 1e-6);
    }

    #[test]
    fn penalties_reach_weights_not_biases() {
        let mut opt = Sgd::new(SgdConfig::plain(0.1).with_penalty(Penalty::L1Proximal(1.0)));
        let mut w = [0.05f32, 0.5];
        opt.update(0, &mut w, &[0.0, 0.0], true);
        assert_eq!(w, [0.0, 0.4]);
        let mut b = [0.05f32];
        opt.update(1, &mut b, &[0.0], false);
        assert_eq!(b, [0.05]);
    }
}
