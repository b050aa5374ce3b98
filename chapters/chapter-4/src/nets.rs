//! The networks this chapter trains and the one small loop that trains them all.
//!
//! Every hidden-layer activation plugs into lab's [`Mlp`]; the gated linear unit has weights of
//! its own, so a stack of [`Glu`] layers is a separate network, [`GluNet`]. Both implement
//! [`Net`], and [`train_classifier`] trains either with softmax cross-entropy, so every
//! activation goes through exactly the same loop (and the same clock).
//!
//! Shapes: `B` is the batch size, `x: (B, n_in)`, logits `(B, classes)`.

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis, s};
use serde::{Deserialize, Serialize};

use lab::activation::sigmoid;
use lab::data::Dataset;
use lab::layer::{Dense, DenseGrads, Glu, GluCache};
use lab::loss::softmax_cross_entropy;
use lab::metrics::accuracy;
use lab::rng::{ChaCha8Rng, derive_seed, rng};
use lab::{Activation, Init, Mlp, Sgd};

/// A classifier the loop can train: a forward pass for evaluation and one SGD step.
pub trait Net {
    /// Logits, `x: (B, n_in)` → `(B, classes)`.
    fn logits(&self, x: ArrayView2<f32>) -> Array2<f32>;
    /// One step of softmax cross-entropy on a batch: returns the batch's mean loss, or `None`
    /// (and leaves the weights alone) when the loss is not finite.
    fn sgd_step(&mut self, x: ArrayView2<f32>, y: &[usize], opt: &mut Sgd) -> Option<f64>;
    fn n_params(&self) -> usize;
}

impl Net for Mlp {
    fn logits(&self, x: ArrayView2<f32>) -> Array2<f32> {
        self.forward(x)
    }
    fn sgd_step(&mut self, x: ArrayView2<f32>, y: &[usize], opt: &mut Sgd) -> Option<f64> {
        let (out, cache) = self.forward_train(x, None);
        let (loss, grad) = softmax_cross_entropy(out.view(), y);
        if !loss.is_finite() {
            return None;
        }
        let grads = self.backward(&cache, grad.view());
        opt.step(self, &grads);
        Some(loss)
    }
    fn n_params(&self) -> usize {
        Mlp::n_params(self)
    }
}

// ANCHOR: glu_net
/// Hidden layers `h ← (h·W + b) ⊙ g(h·V + c)` (lab's [`Glu`]), then a dense layer to the logits.
#[derive(Clone, Debug)]
pub struct GluNet {
    pub hidden: Vec<Glu>,
    pub output: Dense,
}

impl GluNet {
    /// `sizes = [n_in, h, …, h, classes]`, biases zero. The gate path is LeCun-normal, so its
    /// pre-activation has unit variance when the layer's input does; the value path is drawn
    /// with variance `1 / (n_in · E[g(z)²])`, so that the product keeps unit second moment
    /// (the same reasoning that gives He's factor 2 for ReLU). The output layer is LeCun.
    pub fn new(sizes: &[usize], gate: Activation, rng: &mut ChaCha8Rng) -> Self {
        let m2 = gate_second_moment(gate);
        let last = sizes.len() - 2;
        let hidden = sizes[..=last]
            .windows(2)
            .map(|w| {
                let std = (1.0 / (w[0] as f64 * m2)).sqrt() as f32;
                Glu {
                    value: Dense::new(w[0], w[1], Init::Normal { std }, Init::Zeros, rng),
                    gate: Dense::new(w[0], w[1], Init::LeCunNormal, Init::Zeros, rng),
                    gate_activation: gate,
                }
            })
            .collect();
        let output = Dense::new(
            sizes[last],
            sizes[last + 1],
            Init::LeCunNormal,
            Init::Zeros,
            rng,
        );
        GluNet { hidden, output }
    }

    /// Forward keeping what backward needs: each layer's input and GLU cache.
    fn forward_train(&self, x: ArrayView2<f32>) -> (Array2<f32>, Vec<Array2<f32>>, Vec<GluCache>) {
        let mut inputs = Vec::with_capacity(self.hidden.len() + 1);
        let mut caches = Vec::with_capacity(self.hidden.len());
        let mut h = x.to_owned();
        for glu in &self.hidden {
            let (next, cache) = glu.forward(h.view());
            inputs.push(h);
            caches.push(cache);
            h = next;
        }
        let logits = self.output.forward(h.view());
        inputs.push(h);
        (logits, inputs, caches)
    }

    /// Gradients of every layer from `∂L/∂logits`, in the order the optimiser's slots use:
    /// `[value₀, gate₀, value₁, gate₁, …, output]`.
    fn backward(
        &self,
        inputs: &[Array2<f32>],
        caches: &[GluCache],
        grad_logits: ArrayView2<f32>,
    ) -> Vec<DenseGrads> {
        let n = self.hidden.len();
        let (grad_h, g_out) = self.output.backward(inputs[n].view(), grad_logits, true);
        let mut grad_h = grad_h.expect("requested");
        let mut grads = Vec::with_capacity(2 * n + 1);
        for l in (0..n).rev() {
            let (gx, g_value, g_gate) =
                self.hidden[l].backward(inputs[l].view(), &caches[l], grad_h.view());
            grads.push(g_gate);
            grads.push(g_value);
            grad_h = gx;
        }
        grads.reverse();
        grads.push(g_out);
        grads
    }

    fn layers_mut(&mut self) -> Vec<&mut Dense> {
        let mut v: Vec<&mut Dense> = Vec::new();
        for glu in &mut self.hidden {
            v.push(&mut glu.value);
            v.push(&mut glu.gate);
        }
        v.push(&mut self.output);
        v
    }
}
// ANCHOR_END: glu_net

/// `E[g(z)²]` for `z ~ N(0, 1)`, by the midpoint rule on [−10, 10] with 20,000 steps (the
/// tails beyond ±10 weigh less than 1e-22 for any gate that grows at most linearly).
pub fn gate_second_moment(gate: Activation) -> f64 {
    let (lo, n) = (-10.0f64, 20_000);
    let h = 20.0 / n as f64;
    (0..n)
        .map(|i| {
            let z = lo + (i as f64 + 0.5) * h;
            let g = f64::from(gate.f(z as f32));
            g * g * (-0.5 * z * z).exp() * h
        })
        .sum::<f64>()
        / (2.0 * std::f64::consts::PI).sqrt()
}

impl Net for GluNet {
    fn logits(&self, x: ArrayView2<f32>) -> Array2<f32> {
        self.forward_train(x).0
    }
    fn sgd_step(&mut self, x: ArrayView2<f32>, y: &[usize], opt: &mut Sgd) -> Option<f64> {
        let (logits, inputs, caches) = self.forward_train(x);
        let (loss, grad) = softmax_cross_entropy(logits.view(), y);
        if !loss.is_finite() {
            return None;
        }
        let grads = self.backward(&inputs, &caches, grad.view());
        for (l, (layer, g)) in self.layers_mut().into_iter().zip(&grads).enumerate() {
            let w = layer.w.as_slice_mut().expect("contiguous");
            opt.update(2 * l, w, g.w.as_slice().expect("contiguous"), true);
            let b = layer.b.as_slice_mut().expect("contiguous");
            opt.update(2 * l + 1, b, g.b.as_slice().expect("contiguous"), false);
        }
        Some(loss)
    }
    fn n_params(&self) -> usize {
        let dense = |d: &Dense| d.w.len() + d.b.len();
        self.hidden
            .iter()
            .map(|g| dense(&g.value) + dense(&g.gate))
            .sum::<usize>()
            + dense(&self.output)
    }
}

/// One epoch of a classification run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Epoch {
    pub epoch: usize,
    /// Mean mini-batch loss over the epoch (NaN for epoch 0).
    pub train_loss: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

/// What [`train_classifier`] returns. `seconds_per_epoch` is wall time (not serialised).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Curve {
    pub epochs: Vec<Epoch>,
    /// Global step at which the loss became non-finite, if it did.
    pub diverged_at: Option<usize>,
    #[serde(skip)]
    pub seconds_per_epoch: Vec<f64>,
}

/// Mean cross-entropy and accuracy on `data`, in fixed chunks of 1000 rows summed in order.
pub fn evaluate(net: &dyn Net, data: &Dataset) -> (f64, f64) {
    let (mut loss, mut correct) = (0.0, 0.0);
    for start in (0..data.len()).step_by(1000) {
        let end = (start + 1000).min(data.len());
        let logits = net.logits(data.x.slice(s![start..end, ..]));
        let y = &data.y[start..end];
        loss += softmax_cross_entropy(logits.view(), y).0 * y.len() as f64;
        correct += accuracy(logits.view(), y) * y.len() as f64;
    }
    (loss / data.len() as f64, correct / data.len() as f64)
}

// ANCHOR: train
/// Mini-batch SGD with softmax cross-entropy; the test set is scored after every epoch.
pub fn train_classifier(
    net: &mut dyn Net,
    opt: &mut Sgd,
    train: &Dataset,
    test: &Dataset,
    epochs: usize,
    batch: usize,
    seed: u64,
) -> Curve {
    let (test_loss, test_accuracy) = evaluate(net, test);
    let mut curve = Curve {
        epochs: vec![Epoch {
            epoch: 0,
            train_loss: f64::NAN,
            test_loss,
            test_accuracy,
        }],
        diverged_at: None,
        seconds_per_epoch: Vec::new(),
    };
    let mut order = rng(derive_seed(seed, "batch order"));
    let mut step = 0;
    for epoch in 1..=epochs {
        let start = Instant::now();
        let mut loss_sum = 0.0;
        for idx in train.batches(batch, &mut order) {
            let x = train.x.select(Axis(0), &idx);
            let y: Vec<usize> = idx.iter().map(|&i| train.y[i]).collect();
            step += 1;
            match net.sgd_step(x.view(), &y, opt) {
                Some(loss) => loss_sum += loss * y.len() as f64,
                None => {
                    curve.diverged_at = Some(step);
                    return curve;
                }
            }
        }
        curve.seconds_per_epoch.push(start.elapsed().as_secs_f64());
        let (test_loss, test_accuracy) = evaluate(net, test);
        let train_loss = loss_sum / train.len() as f64;
        curve.epochs.push(Epoch {
            epoch,
            train_loss,
            test_loss,
            test_accuracy,
        });
    }
    curve
}
// ANCHOR_END: train

// ANCHOR: sigmoid_bce
/// Independent sigmoids, one per class, each trained with binary cross-entropy against the
/// one-hot label: `L = (1/B) Σᵢ Σₖ softplus(zᵢₖ) − tᵢₖ·zᵢₖ`, `∂L/∂z = (σ(z) − t) / B`.
/// `logits: (B, K)`, `labels: (B)`.
pub fn one_vs_rest_bce(logits: ArrayView2<f32>, labels: &[usize]) -> (f64, Array2<f32>) {
    let b = logits.nrows() as f32;
    let mut loss = 0.0f64;
    let mut grad = Array2::zeros(logits.raw_dim());
    for ((i, k), &z) in logits.indexed_iter() {
        let t = if labels[i] == k { 1.0 } else { 0.0 };
        loss += f64::from(lab::activation::softplus(z) - t * z);
        grad[(i, k)] = (sigmoid(z) - t) / b;
    }
    (loss / f64::from(b), grad)
}
// ANCHOR_END: sigmoid_bce

/// A regression or classification loss on a batch: outputs and the batch's row indices →
/// (mean loss, `∂L/∂outputs`).
pub type BatchLoss<'a> = dyn Fn(ArrayView2<f32>, &[usize]) -> (f64, Array2<f32>) + 'a;

/// Plain mini-batch SGD of an [`Mlp`] on `x` with any loss (the output activation is the
/// Mlp's own). Used by the output-layer experiments.
pub fn fit_mlp(
    mlp: &mut Mlp,
    opt: &mut Sgd,
    x: &Array2<f32>,
    loss: &BatchLoss,
    epochs: usize,
    batch: usize,
    seed: u64,
) {
    let n = x.nrows();
    let mut order = rng(derive_seed(seed, "batch order"));
    for _ in 0..epochs {
        let perm = lab::rng::permutation(n, &mut order);
        for idx in perm.chunks(batch) {
            let xb = x.select(Axis(0), idx);
            let (out, cache) = mlp.forward_train(xb.view(), None);
            let (l, grad) = loss(out.view(), idx);
            if !l.is_finite() {
                return;
            }
            let grads = mlp.backward(&cache, grad.view());
            opt.step(mlp, &grads);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::gradcheck::{STEP, check_gradient};
    use lab::rng::rng;

    fn batch(seed: u64) -> (Array2<f32>, Vec<usize>) {
        let x = Init::Normal { std: 1.0 }.sample((6, 5), &mut rng(seed));
        (x, vec![0, 2, 1, 2, 0, 1])
    }

    /// Every weight of a 2-GLU-layer net against central differences. The tolerance 1e-3 is
    /// what an f32 check with h = 1e-2 can promise (see lab::gradcheck); a wrong sign or a
    /// missing term misses it by orders of magnitude.
    #[test]
    fn glu_net_gradients_match_finite_differences() {
        for gate in [Activation::Sigmoid, Activation::Swish] {
            let net = GluNet::new(&[5, 4, 4, 3], gate, &mut rng(1));
            let (x, y) = batch(2);
            let (logits, inputs, caches) = net.forward_train(x.view());
            let (_, grad) = softmax_cross_entropy(logits.view(), &y);
            let grads = net.backward(&inputs, &caches, grad.view());
            for layer in 0..grads.len() {
                let mut w = net.clone().layers_mut()[layer]
                    .w
                    .as_slice()
                    .unwrap()
                    .to_vec();
                let loss = |p: &[f32]| {
                    let mut m = net.clone();
                    m.layers_mut()[layer]
                        .w
                        .as_slice_mut()
                        .unwrap()
                        .copy_from_slice(p);
                    softmax_cross_entropy(m.logits(x.view()).view(), &y).0
                };
                let err =
                    check_gradient(&mut w, grads[layer].w.as_slice().unwrap(), loss, STEP, 40);
                assert!(err < 1e-3, "{}: layer {layer}: {err:e}", gate.name());
            }
        }
    }

    /// Known second moments: E[z²] = 1 (identity), E[relu(z)²] = ½.
    #[test]
    fn gate_second_moments() {
        assert!((gate_second_moment(Activation::Identity) - 1.0).abs() < 1e-6);
        assert!((gate_second_moment(Activation::Relu) - 0.5).abs() < 1e-6);
        let s = gate_second_moment(Activation::Sigmoid);
        assert!(s > 0.25 && s < 0.5, "E[σ²] = {s}");
    }

    #[test]
    fn one_vs_rest_gradient_matches_finite_differences() {
        let (x, y) = batch(3);
        let (_, grad) = one_vs_rest_bce(x.view(), &y);
        let mut p = x.as_slice().unwrap().to_vec();
        let loss = |p: &[f32]| {
            let z = Array2::from_shape_vec((6, 5), p.to_vec()).unwrap();
            one_vs_rest_bce(z.view(), &y).0
        };
        let err = check_gradient(&mut p, grad.as_slice().unwrap(), loss, STEP, 30);
        assert!(err < 1e-3, "{err:e}");
        // At z = 0 every sigmoid says ½: the loss is K·ln 2.
        let (l0, _) = one_vs_rest_bce(Array2::zeros((2, 4)).view(), &[1, 3]);
        assert!((l0 - 4.0 * 2f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn both_nets_learn_a_small_problem() {
        let mut data = lab::data::blobs(300, 3, 4, 3.0, 7);
        lab::data::Standardizer::fit(&data).apply(&mut data);
        let mut mlp = Mlp::new(&lab::MlpSpec::relu(&[4, 16, 16, 3]), &mut rng(1));
        let mut glu = GluNet::new(&[4, 16, 16, 3], Activation::Sigmoid, &mut rng(1));
        for net in [&mut mlp as &mut dyn Net, &mut glu] {
            let mut opt = Sgd::new(lab::SgdConfig::momentum(0.05, 0.9));
            let c = train_classifier(net, &mut opt, &data, &data, 10, 32, 2);
            assert!(c.diverged_at.is_none());
            let last = c.epochs.last().unwrap();
            assert!(last.test_accuracy > 0.9, "accuracy {}", last.test_accuracy);
        }
    }
}
