//! Experiment 4's diagnostics: what each layer looks like while the net trains (after
//! Karpathy's *makemore* part 3), so the reader sees how long the scale set at initialisation
//! lasts once the weights start to move.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use lab::layer::DenseGrads;
use lab::stats::moments;
use lab::train::Observer;
use lab::{Activation, Mlp, Sgd};

/// A unit counts as flat when its slope f′(z) is below this share of the activation's peak
/// slope: tanh with |a| > 0.97 (Karpathy's saturation threshold), sigmoid outside about
/// (0.015, 0.985), ReLU switched off.
pub const FLAT: f32 = 0.06;

/// One moment of training, layer by layer (input side first).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Steps taken before this one (0: the initial weights).
    pub step: usize,
    /// Std of each hidden layer's output on the probe batch.
    pub act_std: Vec<f64>,
    /// Share of each hidden layer's units on the probe batch with a slope below [`FLAT`] of
    /// the peak.
    pub flat_share: Vec<f64>,
    /// Std of each dense layer's weight gradient in this step (the output layer last).
    pub grad_std: Vec<f64>,
    /// Std of each dense layer's weight update in this step over the std of its weights:
    /// Karpathy's update-to-data ratio (about 10⁻³ is healthy).
    pub update_ratio: Vec<f64>,
}

/// An [`Observer`] that takes a [`Snapshot`] at each step of `at`.
pub struct Diagnose {
    probe: Array2<f32>,
    at: Vec<usize>,
    pending: Option<(Snapshot, Vec<Array2<f32>>)>,
    pub snapshots: Vec<Snapshot>,
}

impl Diagnose {
    /// Snapshots at the steps `at`, the activations measured on `probe: (B, n_in)`.
    pub fn new(probe: Array2<f32>, at: &[usize]) -> Self {
        Diagnose {
            probe,
            at: at.to_vec(),
            pending: None,
            snapshots: Vec::new(),
        }
    }
}

/// The largest slope of `activation` near zero, where every activation here peaks.
fn peak_slope(activation: Activation) -> f32 {
    (-50..=50)
        .map(|i| activation.backward_one(i as f32 / 100.0, 1.0))
        .fold(0.0, f32::max)
}

/// Share of the entries of `z: (B, n)` where `activation`'s slope is below [`FLAT`] of its peak.
pub fn flat_share(activation: Activation, z: ArrayView2<f32>) -> f64 {
    let bar = FLAT * peak_slope(activation);
    let flat = z
        .iter()
        .filter(|&&z| activation.backward_one(z, 1.0) < bar)
        .count();
    flat as f64 / z.len() as f64
}

// ANCHOR: observe
impl Observer<Mlp> for Diagnose {
    fn before_step(&mut self, steps: usize, model: &mut Mlp, _opt: &mut Sgd) {
        if !self.at.contains(&steps) {
            return;
        }
        let (_, cache) = model.forward_train(self.probe.view(), None);
        // inputs[l] is layer l's input: inputs[1..] are the hidden layers' outputs, pre[..L]
        // their pre-activations.
        let hidden = model.layers.len() - 1;
        let snapshot = Snapshot {
            step: steps,
            act_std: cache.inputs[1..]
                .iter()
                .map(|a| moments(a.iter()).1)
                .collect(),
            flat_share: cache.pre[..hidden]
                .iter()
                .map(|z| flat_share(model.activation, z.view()))
                .collect(),
            ..Snapshot::default()
        };
        let weights = model.layers.iter().map(|l| l.w.clone()).collect();
        self.pending = Some((snapshot, weights));
    }

    fn on_gradients(&mut self, _steps: usize, grads: &[DenseGrads]) {
        if let Some((snapshot, _)) = &mut self.pending {
            snapshot.grad_std = grads.iter().map(|g| moments(g.w.iter()).1).collect();
        }
    }

    fn after_step(&mut self, _steps: usize, model: &mut Mlp) {
        if let Some((mut snapshot, before)) = self.pending.take() {
            snapshot.update_ratio = model
                .layers
                .iter()
                .zip(&before)
                .map(|(layer, w0)| moments((&layer.w - w0).iter()).1 / moments(w0.iter()).1)
                .collect();
            self.snapshots.push(snapshot);
        }
    }
}
// ANCHOR_END: observe

#[cfg(test)]
mod tests {
    use super::*;
    use lab::data::blobs;
    use lab::rng::rng;
    use lab::train::{TrainConfig, fit};
    use lab::{MlpSpec, SgdConfig};

    #[test]
    fn flat_share_matches_each_activation_threshold() {
        let z = Array2::from_shape_vec((1, 4), vec![-1.0f32, -0.1, 0.1, 3.0]).unwrap();
        // ReLU: off for z < 0. tanh: |tanh z| > 0.97 only at z = 3 (tanh 3 = 0.995).
        assert_eq!(flat_share(Activation::Relu, z.view()), 0.5);
        assert_eq!(flat_share(Activation::Tanh, z.view()), 0.25);
        // sigmoid'(3) = 0.045 = 0.18 of the peak 0.25: not flat; sigmoid'(6) = 0.0025 is.
        let far = Array2::from_shape_vec((1, 2), vec![3.0f32, 6.0]).unwrap();
        assert_eq!(flat_share(Activation::Sigmoid, far.view()), 0.5);
    }

    #[test]
    fn records_each_requested_step_of_every_layer() {
        let data = blobs(256, 3, 4, 0.5, 1);
        let spec = MlpSpec::relu(&[4, 16, 16, 3]);
        let mut model = Mlp::new(&spec, &mut rng(2));
        let mut opt = Sgd::new(SgdConfig::plain(0.1));
        let initial = model.clone();
        let mut diag = Diagnose::new(data.x.clone(), &[0, 3]);
        fit(
            &mut model,
            &mut opt,
            &data,
            None,
            &TrainConfig::new(1, 32, 3),
            &mut diag,
        );
        let steps: Vec<usize> = diag.snapshots.iter().map(|s| s.step).collect();
        assert_eq!(steps, [0, 3]);
        for s in &diag.snapshots {
            assert_eq!((s.act_std.len(), s.flat_share.len()), (2, 2));
            assert_eq!((s.grad_std.len(), s.update_ratio.len()), (3, 3));
            assert!(s.act_std.iter().chain(&s.grad_std).all(|&x| x > 0.0));
        }
        // Plain SGD moves each weight by lr·gradient: the first update's ratio is
        // 0.1·std(grad)/std(W₀). The difference W₁ − W₀ is rounded in f32 (relative error
        // ~1e-5 per entry for updates ~1e-3 of the weights): 1e-3 leaves a wide margin.
        let first = &diag.snapshots[0];
        for (l, layer) in initial.layers.iter().enumerate() {
            let expected = 0.1 * first.grad_std[l] / moments(layer.w.iter()).1;
            let rel = (first.update_ratio[l] / expected - 1.0).abs();
            assert!(
                rel < 1e-3,
                "layer {l}: {} vs {expected}",
                first.update_ratio[l]
            );
        }
    }
}
