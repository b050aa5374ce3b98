//! Layers: dense, dropout, alpha dropout, the gated linear unit, and an MLP built from a spec.
//!
//! Shapes: `B` is the batch size, `n_in`/`n_out` a layer's widths. Each layer's forward returns
//! what its backward needs, and the two sit side by side.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Zip};
use serde::{Deserialize, Serialize};

use crate::activation::{Activation, SELU_ALPHA, SELU_LAMBDA};
use crate::init::Init;
use crate::linalg::{matmul, matmul_into};
use crate::rng::{ChaCha8Rng, RngCore};

// ------------------------------------------------------------------------------------------------
// Dense

/// A fully connected layer, `z = x·W + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// `(n_in, n_out)`
    pub w: Array2<f32>,
    /// `(n_out)`
    pub b: Array1<f32>,
}

/// Gradients of a [`Dense`] layer, shaped like its parameters.
#[derive(Clone, Debug)]
pub struct DenseGrads {
    pub w: Array2<f32>,
    pub b: Array1<f32>,
}

impl Dense {
    /// A layer with weights from `w_init` and biases from `b_init` (drawn as a `(1, n_out)` row).
    pub fn new(
        n_in: usize,
        n_out: usize,
        w_init: Init,
        b_init: Init,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let w = w_init.sample((n_in, n_out), rng);
        // A bias initialiser that uses fans (e.g. U(±1/√n_in)) sees this layer's fan-in.
        let b = b_init.sample((n_in, n_out), rng).row(0).to_owned();
        Dense { w, b }
    }

    pub fn n_in(&self) -> usize {
        self.w.nrows()
    }
    pub fn n_out(&self) -> usize {
        self.w.ncols()
    }

    /// `x: (B, n_in)` → `z: (B, n_out)`. The backward pass needs this same `x`.
    pub fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut z = Array2::zeros((x.nrows(), self.n_out()));
        z.assign(
            &self
                .b
                .broadcast((x.nrows(), self.n_out()))
                .expect("bias broadcasts"),
        );
        matmul_into(x, self.w.view(), 1.0, z.view_mut());
        z
    }

    /// `x: (B, n_in)` → `(z, f(z))`, both `(B, n_out)`: the product, then one fused pass that
    /// adds the bias and applies `activation` (what a training step needs).
    pub fn forward_activation(
        &self,
        x: ArrayView2<f32>,
        activation: Activation,
    ) -> (Array2<f32>, Array2<f32>) {
        let mut z = matmul(x, self.w.view());
        let mut a = Array2::zeros(z.raw_dim());
        activation.bias_forward_slice(
            z.as_slice_mut().expect("new arrays are contiguous"),
            self.b.as_slice().expect("biases are contiguous"),
            a.as_slice_mut().expect("new arrays are contiguous"),
        );
        (z, a)
    }

    /// Given `x: (B, n_in)` and `∂L/∂z: (B, n_out)`: `∂L/∂W = xᵀ·∂L/∂z`, `∂L/∂b = Σ_batch ∂L/∂z`,
    /// `∂L/∂x = ∂L/∂z·Wᵀ` (skipped when `need_grad_x` is false, e.g. for the first layer).
    pub fn backward(
        &self,
        x: ArrayView2<f32>,
        grad_z: ArrayView2<f32>,
        need_grad_x: bool,
    ) -> (Option<Array2<f32>>, DenseGrads) {
        let w = matmul(x.t(), grad_z);
        let b = grad_z.sum_axis(Axis(0));
        let grad_x = need_grad_x.then(|| matmul(grad_z, self.w.t()));
        (grad_x, DenseGrads { w, b })
    }
}

// ------------------------------------------------------------------------------------------------
// Dropout

/// Inverted dropout: at training time each unit is kept with probability `1 − p` and scaled
/// by `1/(1 − p)`, so its expected value is unchanged and evaluation needs no rescaling.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dropout {
    pub p: f32,
}

impl Dropout {
    /// The threshold a generator word is compared with, and the scale of a kept unit.
    fn threshold_and_scale(&self) -> (u32, f32) {
        assert!(
            (0.0..1.0).contains(&self.p),
            "dropout rate must be in [0, 1)"
        );
        let keep = 1.0 - f64::from(self.p);
        let threshold = (keep * 4_294_967_296.0).min(4_294_967_295.0) as u32;
        (threshold, (1.0 / keep) as f32)
    }

    /// Feed `f` the mask's entries in order, `n` of them in {0, 1/(1−p)}, in blocks of up to
    /// 256 (with the index of each block's first entry). One `u32` per entry against a
    /// threshold: no float conversion, and the same numbers for the same generator state.
    ///
    /// The generator's output is read 256 words at a time with `fill_bytes`, which yields exactly
    /// the words `next_u32` would (little-endian), several times faster than one call per entry
    /// (chapter 7 measures it).
    fn for_each_block(&self, n: usize, rng: &mut ChaCha8Rng, mut f: impl FnMut(usize, &[f32])) {
        let (threshold, scale) = self.threshold_and_scale();
        let (mut bytes, mut values) = ([0u8; 4 * 256], [0f32; 256]);
        let mut done = 0;
        while done < n {
            let len = (n - done).min(256);
            rng.fill_bytes(&mut bytes[..4 * len]);
            for (v, b) in values.iter_mut().zip(bytes[..4 * len].chunks_exact(4)) {
                let word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                *v = if word < threshold { scale } else { 0.0 };
            }
            f(done, &values[..len]);
            done += len;
        }
    }

    /// Draw a mask of `(B, n)` entries in {0, 1/(1−p)} (see [`Dropout::for_each_block`]).
    pub fn mask(&self, shape: (usize, usize), rng: &mut ChaCha8Rng) -> Array2<f32> {
        let mut values = Vec::with_capacity(shape.0 * shape.1);
        self.for_each_block(shape.0 * shape.1, rng, |_, m| values.extend_from_slice(m));
        Array2::from_shape_vec(shape, values).expect("n = rows × columns values")
    }

    /// `x ← x ⊙ m` in place, with the mask [`Dropout::mask`] would draw (the same words, the
    /// same products), without storing it: what inference with dropout on needs, since nothing
    /// goes backward. `x` must be in standard (row-major) layout.
    pub fn apply_in_place(&self, mut x: ArrayViewMut2<f32>, rng: &mut ChaCha8Rng) {
        let xs = x.as_slice_mut().expect("a row-major block");
        self.for_each_block(xs.len(), rng, |start, m| {
            for (x, &m) in xs[start..start + m.len()].iter_mut().zip(m) {
                *x *= m;
            }
        });
    }

    /// Training forward: `y = x ⊙ m`; returns `(y, m)`. `m` is what backward needs.
    pub fn forward_train(
        &self,
        x: ArrayView2<f32>,
        rng: &mut ChaCha8Rng,
    ) -> (Array2<f32>, Array2<f32>) {
        let m = self.mask(x.dim(), rng);
        (&x * &m, m)
    }

    /// `∂L/∂x = ∂L/∂y ⊙ m`.
    pub fn backward(grad_y: ArrayView2<f32>, mask: ArrayView2<f32>) -> Array2<f32> {
        &grad_y * &mask
    }
}

/// Alpha dropout for SELU nets (Klambauer et al. 2017): dropped units are set to SELU's
/// saturation value α′ = −λα rather than 0, then an affine map `a·x + c` restores mean 0 and
/// variance 1 for standardised inputs: `a = ((1−p)(1 + p·α′²))^(−½)`, `c = −a·α′·p`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlphaDropout {
    pub p: f32,
}

impl AlphaDropout {
    fn constants(&self) -> (f32, f32, f32) {
        let alpha_prime = -SELU_LAMBDA * SELU_ALPHA;
        let p = self.p;
        let a = ((1.0 - p) * (1.0 + p * alpha_prime * alpha_prime)).powf(-0.5);
        (alpha_prime, a, -a * alpha_prime * p)
    }

    /// Training forward: returns `(y, keep)` with `keep` the 0/1 mask backward needs.
    pub fn forward_train(
        &self,
        x: ArrayView2<f32>,
        rng: &mut ChaCha8Rng,
    ) -> (Array2<f32>, Array2<f32>) {
        let keep = Dropout { p: self.p }
            .mask(x.dim(), rng)
            .mapv(|m| if m > 0.0 { 1.0 } else { 0.0 });
        let (alpha_prime, a, c) = self.constants();
        let mut y = Array2::zeros(x.dim());
        Zip::from(&mut y).and(&x).and(&keep).for_each(|y, &x, &k| {
            *y = a * (if k > 0.0 { x } else { alpha_prime }) + c;
        });
        (y, keep)
    }

    /// `∂L/∂x = a · keep ⊙ ∂L/∂y`.
    pub fn backward(&self, grad_y: ArrayView2<f32>, keep: ArrayView2<f32>) -> Array2<f32> {
        let (_, a, _) = self.constants();
        &grad_y * &keep * a
    }
}

// ------------------------------------------------------------------------------------------------
// Gated linear unit

/// A gated linear unit, `y = (x·W + b) ⊙ g(x·V + c)` (Dauphin et al. 2017). With `g = σ` it is
/// the original GLU; with Swish, SwiGLU; with GELU, GEGLU (Shazeer 2020).
#[derive(Clone, Debug)]
pub struct Glu {
    pub value: Dense,
    pub gate: Dense,
    pub gate_activation: Activation,
}

/// What [`Glu::backward`] needs from the forward pass.
pub struct GluCache {
    value: Array2<f32>,
    gate_pre: Array2<f32>,
    gate: Array2<f32>,
}

impl Glu {
    pub fn new(
        n_in: usize,
        n_out: usize,
        init: Init,
        gate_activation: Activation,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        Glu {
            value: Dense::new(n_in, n_out, init, Init::Zeros, rng),
            gate: Dense::new(n_in, n_out, init, Init::Zeros, rng),
            gate_activation,
        }
    }

    /// `x: (B, n_in)` → `y: (B, n_out)`.
    pub fn forward(&self, x: ArrayView2<f32>) -> (Array2<f32>, GluCache) {
        let value = self.value.forward(x);
        let gate_pre = self.gate.forward(x);
        let gate = self.gate_activation.forward(gate_pre.view());
        (
            &value * &gate,
            GluCache {
                value,
                gate_pre,
                gate,
            },
        )
    }

    /// `∂L/∂value = ∂L/∂y ⊙ g`, `∂L/∂gate_pre = ∂L/∂y ⊙ value ⊙ g′`; returns `∂L/∂x` and both
    /// layers' gradients `(value, gate)`.
    pub fn backward(
        &self,
        x: ArrayView2<f32>,
        cache: &GluCache,
        grad_y: ArrayView2<f32>,
    ) -> (Array2<f32>, DenseGrads, DenseGrads) {
        let grad_value = &grad_y * &cache.gate;
        let grad_gate = self
            .gate_activation
            .backward(cache.gate_pre.view(), (&grad_y * &cache.value).view());
        let (gx_value, g_value) = self.value.backward(x, grad_value.view(), true);
        let (gx_gate, g_gate) = self.gate.backward(x, grad_gate.view(), true);
        let grad_x = gx_value.expect("requested") + gx_gate.expect("requested");
        (grad_x, g_value, g_gate)
    }
}

// ------------------------------------------------------------------------------------------------
// MLP

/// What an MLP looks like: `sizes = [784, 128, 10]` is one hidden layer of 128 units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    pub sizes: Vec<usize>,
    /// Activation of every hidden layer.
    pub activation: Activation,
    /// Applied to the last layer's output (Identity for logits).
    pub output: Activation,
    pub init: Init,
    pub bias_init: Init,
    /// Inverted dropout on each hidden layer's output during training (0 = none).
    pub dropout: f32,
}

impl MlpSpec {
    /// A ReLU MLP with He-normal weights and zero biases: the book's default.
    pub fn relu(sizes: &[usize]) -> Self {
        MlpSpec {
            sizes: sizes.to_vec(),
            activation: Activation::Relu,
            output: Activation::Identity,
            init: Init::HeNormal,
            bias_init: Init::Zeros,
            dropout: 0.0,
        }
    }
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
    pub fn with_init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    pub fn with_bias_init(mut self, bias_init: Init) -> Self {
        self.bias_init = bias_init;
        self
    }
    pub fn with_dropout(mut self, p: f32) -> Self {
        self.dropout = p;
        self
    }
    pub fn with_output(mut self, output: Activation) -> Self {
        self.output = output;
        self
    }
}

/// A multilayer perceptron: dense layers with one activation between them.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Dense>,
    pub activation: Activation,
    pub output: Activation,
    pub dropout: f32,
}

/// Everything [`Mlp::backward`] needs, recorded by [`Mlp::forward_train`].
pub struct MlpCache {
    /// The input of each layer (after dropout): `inputs[l]: (B, sizes[l])`.
    pub inputs: Vec<Array2<f32>>,
    /// Each layer's pre-activation `z`: `pre[l]: (B, sizes[l+1])`.
    pub pre: Vec<Array2<f32>>,
    /// The dropout mask applied to the output of hidden layer `l`, if any.
    pub masks: Vec<Option<Array2<f32>>>,
}

impl Mlp {
    /// Build from a spec, drawing every layer's parameters from `rng` in order.
    pub fn new(spec: &MlpSpec, rng: &mut ChaCha8Rng) -> Self {
        assert!(
            spec.sizes.len() >= 2,
            "an MLP needs at least an input and an output size"
        );
        let layers = spec
            .sizes
            .windows(2)
            .map(|w| Dense::new(w[0], w[1], spec.init, spec.bias_init, rng))
            .collect();
        Mlp {
            layers,
            activation: spec.activation,
            output: spec.output,
            dropout: spec.dropout,
        }
    }

    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// Evaluation forward (dropout off): `x: (B, n_in)` → outputs `(B, n_out)`.
    pub fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let last = self.layers.len() - 1;
        let mut a = x.to_owned();
        for (l, layer) in self.layers.iter().enumerate() {
            let activation = if l == last {
                self.output
            } else {
                self.activation
            };
            a = layer.forward_activation(a.view(), activation).1;
        }
        a
    }

    /// Training forward. With `dropout_rng`, hidden outputs are dropped (MC Dropout passes the
    /// generator at inference too). Returns the outputs and the cache for [`Mlp::backward`].
    pub fn forward_train(
        &self,
        x: ArrayView2<f32>,
        dropout_rng: Option<&mut ChaCha8Rng>,
    ) -> (Array2<f32>, MlpCache) {
        self.forward_train_owned(x.to_owned(), dropout_rng)
    }

    /// [`Mlp::forward_train`] taking the batch by value (it becomes the cache's first input,
    /// without a copy). Each layer is one product and one fused pass that adds the bias and
    /// applies the activation.
    pub fn forward_train_owned(
        &self,
        x: Array2<f32>,
        mut dropout_rng: Option<&mut ChaCha8Rng>,
    ) -> (Array2<f32>, MlpCache) {
        let last = self.layers.len() - 1;
        let mut cache = MlpCache {
            inputs: Vec::with_capacity(self.layers.len()),
            pre: Vec::with_capacity(self.layers.len()),
            masks: Vec::with_capacity(last),
        };
        let mut a = x;
        for (l, layer) in self.layers.iter().enumerate() {
            let activation = if l == last {
                self.output
            } else {
                self.activation
            };
            let (z, out) = layer.forward_activation(a.view(), activation);
            cache.inputs.push(a);
            cache.pre.push(z);
            a = out;
            if l == last {
                break;
            }
            let mask = match dropout_rng.as_deref_mut() {
                Some(rng) if self.dropout > 0.0 => {
                    let m = Dropout { p: self.dropout }.mask(a.dim(), rng);
                    a *= &m;
                    Some(m)
                }
                _ => None,
            };
            cache.masks.push(mask);
        }
        (a, cache)
    }

    /// Backward from `∂L/∂output: (B, n_out)`: one [`DenseGrads`] per layer.
    pub fn backward(&self, cache: &MlpCache, grad_output: ArrayView2<f32>) -> Vec<DenseGrads> {
        let last = self.layers.len() - 1;
        let mut grads = Vec::with_capacity(self.layers.len());
        let mut grad_z = self.output.backward(cache.pre[last].view(), grad_output);
        for l in (0..=last).rev() {
            let (grad_x, g) = self.layers[l].backward(cache.inputs[l].view(), grad_z.view(), l > 0);
            grads.push(g);
            if let Some(grad_a) = grad_x {
                let grad_a = match &cache.masks[l - 1] {
                    Some(m) => Dropout::backward(grad_a.view(), m.view()),
                    None => grad_a,
                };
                grad_z = self
                    .activation
                    .backward(cache.pre[l - 1].view(), grad_a.view());
            }
        }
        grads.reverse();
        grads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{STEP, check_gradient};
    use crate::loss::softmax_cross_entropy;
    use crate::rng::rng;

    fn input(shape: (usize, usize), seed: u64) -> Array2<f32> {
        Init::Normal { std: 1.0 }.sample(shape, &mut rng(seed))
    }

    /// A scalar loss `Σ r ⊙ y` with fixed random `r`, accumulated in f64.
    fn probe(y: &Array2<f32>, r: &Array2<f32>) -> f64 {
        y.iter()
            .zip(r)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    }

    /// The dense layer is linear in W, b and x, so the central difference is exact up to f32
    /// rounding of a sum of ~20 terms (≈1e-6 relative, /2h → ~1e-4 absolute at h = 1e-2).
    /// The 1e-3 bound is ten times that.
    #[test]
    fn dense_gradients() {
        let layer = Dense::new(
            5,
            4,
            Init::GlorotNormal,
            Init::Normal { std: 0.5 },
            &mut rng(1),
        );
        let x = input((3, 5), 2);
        let r = input((3, 4), 3);
        let (gx, g) = layer.backward(x.view(), r.view(), true);
        let mut w = layer.w.clone().into_raw_vec_and_offset().0;
        let err_w = check_gradient(
            &mut w,
            g.w.as_slice().unwrap(),
            |w| {
                let l = Dense {
                    w: Array2::from_shape_vec((5, 4), w.to_vec()).unwrap(),
                    b: layer.b.clone(),
                };
                probe(&l.forward(x.view()), &r)
            },
            STEP,
            usize::MAX,
        );
        let mut b = layer.b.to_vec();
        let err_b = check_gradient(
            &mut b,
            g.b.as_slice().unwrap(),
            |b| {
                let l = Dense {
                    w: layer.w.clone(),
                    b: Array1::from(b.to_vec()),
                };
                probe(&l.forward(x.view()), &r)
            },
            STEP,
            usize::MAX,
        );
        let mut xv = x.clone().into_raw_vec_and_offset().0;
        let gx = gx.unwrap();
        let err_x = check_gradient(
            &mut xv,
            gx.as_slice().unwrap(),
            |xv| {
                probe(
                    &layer.forward(ArrayView2::from_shape((3, 5), xv).unwrap()),
                    &r,
                )
            },
            STEP,
            usize::MAX,
        );
        for (name, e) in [("W", err_w), ("b", err_b), ("x", err_x)] {
            println!("gradcheck dense ∂L/∂{name}: {e:.1e}");
            assert!(e < 1e-3, "dense ∂L/∂{name}: {e:e}");
        }
    }

    #[test]
    fn dropout_gradient_and_statistics() {
        let d = Dropout { p: 0.3 };
        let x = input((200, 500), 4);
        let (y, m) = d.forward_train(x.view(), &mut rng(5));
        let kept = m.iter().filter(|&&v| v > 0.0).count() as f64 / m.len() as f64;
        // 10⁵ Bernoulli(0.7) draws: standard error 0.0014, so ±0.01 is > 7 s.e.
        assert!((kept - 0.7).abs() < 0.01, "kept fraction {kept}");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
        // Linear in x for a fixed mask: the backward pass is exactly the mask.
        let r = input((200, 500), 6);
        let gx = Dropout::backward(r.view(), m.view());
        assert_eq!(gx, &r * &m);
        assert_eq!(y, &x * &m);
        // The same generator state gives the same mask.
        assert_eq!(d.mask((3, 3), &mut rng(9)), d.mask((3, 3), &mut rng(9)));
        // Applied in place: the same products, bit for bit, and the generator left where the
        // mask left it (700 entries: two full blocks of 256 and a partial one).
        let x = input((7, 100), 8);
        let (mut g1, mut g2) = (rng(11), rng(11));
        let m = d.mask(x.dim(), &mut g1);
        let mut y = x.clone();
        d.apply_in_place(y.view_mut(), &mut g2);
        assert_eq!(y, &x * &m);
        assert_eq!(d.mask((1, 5), &mut g1), d.mask((1, 5), &mut g2));
    }

    #[test]
    fn alpha_dropout_keeps_mean_and_variance_and_its_gradient() {
        let ad = AlphaDropout { p: 0.2 };
        let x = input((500, 400), 7);
        let (y, keep) = ad.forward_train(x.view(), &mut rng(8));
        let (mean, std) = crate::stats::moments(y.iter());
        let var = std * std;
        // 2·10⁵ samples: s.e. of the mean ≈ 0.002, of the variance ≈ 0.004.
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.03,
            "mean {mean}, var {var}"
        );
        let r = input((500, 400), 9);
        let (_, a, _) = ad.constants();
        assert_eq!(ad.backward(r.view(), keep.view()), &r * &keep * a);
    }

    /// GLU is a product of a linear and a smooth function: truncation error h²·|f'''| ~ 1e-4
    /// at most on these scales, so the 1e-3 bound holds for every gate.
    #[test]
    fn glu_gradients() {
        for gate in [Activation::Sigmoid, Activation::Swish, Activation::Gelu] {
            let glu = Glu::new(4, 3, Init::GlorotNormal, gate, &mut rng(10));
            let x = input((5, 4), 11);
            let r = input((5, 3), 12);
            let (_, cache) = glu.forward(x.view());
            let (gx, gv, gg) = glu.backward(x.view(), &cache, r.view());
            let mut xv = x.clone().into_raw_vec_and_offset().0;
            let err_x = check_gradient(
                &mut xv,
                gx.as_slice().unwrap(),
                |xv| {
                    probe(
                        &glu.forward(ArrayView2::from_shape((5, 4), xv).unwrap()).0,
                        &r,
                    )
                },
                STEP,
                usize::MAX,
            );
            let mut wv = glu.value.w.clone().into_raw_vec_and_offset().0;
            let err_v = check_gradient(
                &mut wv,
                gv.w.as_slice().unwrap(),
                |wv| {
                    let mut g = glu.clone();
                    g.value.w = Array2::from_shape_vec((4, 3), wv.to_vec()).unwrap();
                    probe(&g.forward(x.view()).0, &r)
                },
                STEP,
                usize::MAX,
            );
            let mut wg = glu.gate.w.clone().into_raw_vec_and_offset().0;
            let err_g = check_gradient(
                &mut wg,
                gg.w.as_slice().unwrap(),
                |wg| {
                    let mut g = glu.clone();
                    g.gate.w = Array2::from_shape_vec((4, 3), wg.to_vec()).unwrap();
                    probe(&g.forward(x.view()).0, &r)
                },
                STEP,
                usize::MAX,
            );
            for (name, e) in [("x", err_x), ("W_value", err_v), ("W_gate", err_g)] {
                println!("gradcheck GLU ({}) ∂L/∂{name}: {e:.1e}", gate.name());
                assert!(e < 1e-3, "GLU ({}) ∂L/∂{name}: {e:e}", gate.name());
            }
        }
    }

    /// The whole MLP with a softmax cross-entropy loss: every parameter of every layer, for a
    /// smooth activation (tanh) and, with inputs away from the kink, ReLU.
    #[test]
    fn mlp_gradients_through_every_layer() {
        for act in [Activation::Tanh, Activation::Relu, Activation::Selu] {
            let spec = MlpSpec::relu(&[6, 5, 4, 3])
                .with_activation(act)
                .with_bias_init(Init::Normal { std: 0.1 });
            let mlp = Mlp::new(&spec, &mut rng(13));
            let x = input((4, 6), 14);
            let labels = [0, 2, 1, 2];
            let (out, cache) = mlp.forward_train(x.view(), None);
            let (_, g_out) = softmax_cross_entropy(out.view(), &labels);
            let grads = mlp.backward(&cache, g_out.view());
            for l in 0..mlp.layers.len() {
                let mut w = mlp.layers[l].w.clone().into_raw_vec_and_offset().0;
                let shape = mlp.layers[l].w.dim();
                let err = check_gradient(
                    &mut w,
                    grads[l].w.as_slice().unwrap(),
                    |w| {
                        let mut m = mlp.clone();
                        m.layers[l].w = Array2::from_shape_vec(shape, w.to_vec()).unwrap();
                        softmax_cross_entropy(m.forward(x.view()).view(), &labels).0
                    },
                    STEP,
                    usize::MAX,
                );
                let mut b = mlp.layers[l].b.to_vec();
                let err_b = check_gradient(
                    &mut b,
                    grads[l].b.as_slice().unwrap(),
                    |b| {
                        let mut m = mlp.clone();
                        m.layers[l].b = Array1::from(b.to_vec());
                        softmax_cross_entropy(m.forward(x.view()).view(), &labels).0
                    },
                    STEP,
                    usize::MAX,
                );
                // A ReLU unit whose z is within h of 0 would make the difference straddle the
                // kink; with these seeds none is (checked by the bound itself: a straddle gives
                // an O(1) error).
                println!(
                    "gradcheck MLP ({}) layer {l}: W {err:.1e}, b {err_b:.1e}",
                    act.name()
                );
                assert!(
                    err < 1e-3 && err_b < 1e-3,
                    "{} layer {l}: W {err:e}, b {err_b:e}",
                    act.name()
                );
            }
        }
    }

    #[test]
    fn mlp_with_dropout_uses_the_mask_in_backward() {
        let spec = MlpSpec::relu(&[6, 8, 3]).with_dropout(0.5);
        let mlp = Mlp::new(&spec, &mut rng(15));
        let x = input((4, 6), 16);
        let (out1, cache) = mlp.forward_train(x.view(), Some(&mut rng(17)));
        let mask = cache.masks[0].clone().unwrap();
        assert!(mask.iter().any(|&m| m == 0.0));
        // With the mask frozen the network is a fixed function: check one weight numerically.
        let (_, g_out) = softmax_cross_entropy(out1.view(), &[0, 1, 2, 0]);
        let grads = mlp.backward(&cache, g_out.view());
        let mut w = mlp.layers[0].w.clone().into_raw_vec_and_offset().0;
        let err = check_gradient(
            &mut w,
            grads[0].w.as_slice().unwrap(),
            |w| {
                let mut m = mlp.clone();
                m.layers[0].w = Array2::from_shape_vec((6, 8), w.to_vec()).unwrap();
                let (o, _) = m.forward_train(x.view(), Some(&mut rng(17)));
                softmax_cross_entropy(o.view(), &[0, 1, 2, 0]).0
            },
            STEP,
            usize::MAX,
        );
        println!("gradcheck MLP with dropout ∂L/∂W1: {err:.1e}");
        assert!(err < 1e-3, "dropout MLP: {err:e}");
    }
}
