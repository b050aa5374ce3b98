//! Experiment 2: every weight and bias 0, ReLU. A small explicit loop, so that every gradient is
//! in plain sight.

use ndarray::Axis;
use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::loss::softmax_cross_entropy;
use lab::rng::{derive_seed, rng};
use lab::{Sgd, SgdConfig};

use crate::training::{Start, Training, build};

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
/// Train the all-zero net and record the largest gradient each layer ever receives.
pub fn zero_run(hidden: &[usize], t: &Training, train: &Dataset, seed: u64) -> ZeroRun {
    let mut sizes = vec![train.features()];
    sizes.extend_from_slice(hidden);
    sizes.push(train.classes);
    let mut model = build(&sizes, Start::Zeros, seed);
    let mut opt = Sgd::new(SgdConfig::plain(t.lr));
    let n_layers = model.layers.len();
    let (mut gw, mut gb) = (vec![0.0f64; n_layers], vec![0.0f64; n_layers]);
    let mut order = rng(derive_seed(seed, "batch order"));
    let (mut epoch_loss, mut steps) = (Vec::new(), 0);
    for _ in 0..t.epochs {
        let mut sum = 0.0;
        for batch in train.batches(t.batch, &mut order) {
            let x = train.x.select(Axis(0), &batch);
            let y: Vec<usize> = batch.iter().map(|&i| train.y[i]).collect();
            let (logits, cache) = model.forward_train(x.view(), None);
            let (loss, grad) = softmax_cross_entropy(logits.view(), &y);
            let grads = model.backward(&cache, grad.view());
            for (l, g) in grads.iter().enumerate() {
                gw[l] = g.w.iter().fold(gw[l], |m, &v| m.max(f64::from(v.abs())));
                gb[l] = g.b.iter().fold(gb[l], |m, &v| m.max(f64::from(v.abs())));
            }
            opt.step(&mut model, &grads);
            sum += loss * y.len() as f64;
            steps += 1;
        }
        epoch_loss.push(sum / train.len() as f64);
    }
    // ANCHOR_END: zero
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
        max_abs_weight_grad: gw,
        max_abs_bias_grad: gb,
        epoch_loss,
        max_abs_weight_after,
        output_bias_after,
        steps,
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
        let t = Training {
            epochs: 2,
            batch: 32,
            lr: 0.1,
        };
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
