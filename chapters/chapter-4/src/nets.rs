//! The gated-linear-unit network and the one-vs-rest loss this chapter adds to lab.
//!
//! Every hidden-layer activation plugs into lab's [`Mlp`](lab::Mlp); the gated linear unit has
//! weights of its own, so a stack of [`Glu`] layers is a separate network, [`GluNet`]. It
//! implements [`Model`], so `lab::train::fit` trains it exactly as it trains an `Mlp`: every
//! activation goes through the same loop (and the same clock).
//!
//! Shapes: `B` is the batch size, `x: (B, n_in)`, logits `(B, classes)`.

use ndarray::{Array2, ArrayView2};

use lab::activation::sigmoid;
use lab::layer::{Dense, DenseGrads, Glu, GluCache};
use lab::rng::ChaCha8Rng;
use lab::train::Model;
use lab::{Activation, Init};

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

    /// Weights and biases of every layer.
    pub fn n_params(&self) -> usize {
        let dense = |d: &Dense| d.w.len() + d.b.len();
        self.hidden
            .iter()
            .map(|g| dense(&g.value) + dense(&g.gate))
            .sum::<usize>()
            + dense(&self.output)
    }
}

/// What the backward pass needs: each layer's input and each GLU's cache.
pub type GluNetCache = (Vec<Array2<f32>>, Vec<GluCache>);

/// The GLU net has no dropout, so the training forward pass ignores `dropout_rng`.
impl Model for GluNet {
    type Cache = GluNetCache;
    fn forward_train_owned(
        &self,
        x: Array2<f32>,
        _dropout_rng: Option<&mut ChaCha8Rng>,
    ) -> (Array2<f32>, GluNetCache) {
        let (logits, inputs, caches) = self.forward_train(x.view());
        (logits, (inputs, caches))
    }
    fn backward(&self, cache: &GluNetCache, grad_output: ArrayView2<f32>) -> Vec<DenseGrads> {
        GluNet::backward(self, &cache.0, &cache.1, grad_output)
    }
    fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        self.forward_train(x).0
    }
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use lab::gradcheck::{STEP, check_gradient};
    use lab::loss::softmax_cross_entropy;
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
                let mut w = net.clone().dense_layers_mut()[layer]
                    .w
                    .as_slice()
                    .unwrap()
                    .to_vec();
                let loss = |p: &[f32]| {
                    let mut m = net.clone();
                    m.dense_layers_mut()[layer]
                        .w
                        .as_slice_mut()
                        .unwrap()
                        .copy_from_slice(p);
                    softmax_cross_entropy(m.forward(x.view()).view(), &y).0
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

    /// Through `lab::train::fit`, as the chapter trains it.
    #[test]
    fn glu_net_learns_a_small_problem() {
        let mut data = lab::data::blobs(300, 3, 4, 3.0, 7);
        lab::data::Standardizer::fit(&data).apply(&mut data);
        let mut glu = GluNet::new(&[4, 16, 16, 3], Activation::Sigmoid, &mut rng(1));
        let mut opt = lab::Sgd::new(lab::SgdConfig::momentum(0.05, 0.9));
        let cfg = lab::train::TrainConfig::new(10, 32, 2);
        let h = lab::train::fit(&mut glu, &mut opt, &data, Some(&data), &cfg, &mut ());
        assert!(h.diverged.is_none());
        let last = h.last();
        assert!(last.val_accuracy > 0.9, "accuracy {}", last.val_accuracy);
        assert!(last.train_loss < h.epochs[0].train_loss);
    }
}
