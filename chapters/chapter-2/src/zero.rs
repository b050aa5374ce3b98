//! Experiment 2: every weight and bias 0, ReLU, trained by `lab::train::fit` with an observer
//! that keeps the largest gradient each layer receives.

use serde::{Deserialize, Serialize};

use lab::Recipe;
use lab::data::Dataset;
use lab::layer::DenseGrads;
use lab::train::{Observer, fit};

use crate::training::{Start, build};

/// What the all-zero net did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ZeroRun {
    /// The largest |gradient| of each weight matrix over every step of training (input side
    /// first), and the same for each bias vector.
    pub max_abs_weight_grad: Vec<f64>,
    pub max_abs_bias_grad: Vec<f64>,
    /// Mean training loss of each epoch.
    pub epoch_loss: Vec<f64>,
    /// The largest |weight| anywhere in the net after training.
    pub max_abs_weight_after: f64,
    /// The output biases after training (they learn the class frequencies of each batch).
    pub output_bias_after: Vec<f64>,
    pub steps: usize,
}

// ANCHOR: zero
/// The largest |gradient| each weight matrix and each bias vector has received so far.
#[derive(Default)]
struct LargestGradients {
    weights: Vec<f64>,
    biases: Vec<f64>,
    steps: usize,
}

impl Observer for LargestGradients {
    fn on_gradients(&mut self, steps: usize, grads: &[DenseGrads]) {
        let largest = |m: f64, &v: &f32| m.max(f64::from(v.abs()));
        self.weights.resize(grads.len(), 0.0);
        self.biases.resize(grads.len(), 0.0);
        for (l, g) in grads.iter().enumerate() {
            self.weights[l] = g.w.iter().fold(self.weights[l], largest);
            self.biases[l] = g.b.iter().fold(self.biases[l], largest);
        }
        self.steps = steps;
    }
}

/// Train the all-zero net and record the largest gradient each layer ever receives.
pub fn zero_run(hidden: &[usize], t: &Recipe, train: &Dataset, seed: u64) -> ZeroRun {
    let mut sizes = vec![train.features()];
    sizes.extend_from_slice(hidden);
    sizes.push(train.classes);
    let mut model = build(&sizes, Start::Zeros, seed);
    let mut opt = t.optimizer();
    let cfg = t.train_config(seed);
    let mut largest = LargestGradients::default();
    let history = fit(&mut model, &mut opt, train, None, &cfg, &mut largest);
    // ANCHOR_END: zero
    let n_layers = model.layers.len();
    let max_abs_weight_after = model
        .layers
        .iter()
        .flat_map(|l| l.w.iter())
        .fold(0.0f64, |m, &v| m.max(f64::from(v.abs())));
    let output_bias_after = model.layers[n_layers - 1]
        .b
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    ZeroRun {
        max_abs_weight_grad: largest.weights,
        max_abs_bias_grad: largest.biases,
        epoch_loss: history.epochs[1..].iter().map(|e| e.train_loss).collect(),
        max_abs_weight_after,
        output_bias_after,
        steps: largest.steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::data::blobs;

    /// Balanced blobs: every weight gradient is exactly 0, only the output bias moves, and the
    /// loss stays at ln(classes) up to the batches' class imbalance.
    #[test]
    fn all_zero_net_never_moves_its_weights() {
        let data = blobs(400, 4, 6, 3.0, 1);
        let t = Recipe::new(&[8, 5], lab::SgdConfig::plain(0.1), 2, 32);
        let z = zero_run(&[8, 5], &t, &data, 3);
        assert!(z.max_abs_weight_grad.iter().all(|&g| g == 0.0));
        assert_eq!(z.max_abs_bias_grad[0], 0.0);
        assert_eq!(z.max_abs_bias_grad[1], 0.0);
        assert!(z.max_abs_bias_grad[2] > 0.0);
        assert_eq!(z.max_abs_weight_after, 0.0);
        for l in &z.epoch_loss {
            assert!((l - 4f64.ln()).abs() < 0.02, "loss {l}");
        }
    }
}
