//! Activation functions, each beside its derivative.
//!
//! Every activation is an elementwise `a = f(z)`. Its backward pass multiplies the incoming
//! gradient by `f'(z)`: `∂L/∂z = ∂L/∂a ⊙ f'(z)`. Softmax, which mixes a row's elements, lives
//! with its loss in [`crate::loss`]; the gated linear unit, which has weights, in
//! [`crate::layer::Glu`].

use ndarray::{Array2, ArrayView2, Zip};
use serde::{Deserialize, Serialize};

/// SELU's constants (Klambauer et al. 2017, eq. 14), to the digits the paper gives.
pub const SELU_ALPHA: f32 = 1.673_263_2;
pub const SELU_LAMBDA: f32 = 1.050_701;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// An elementwise non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Activation {
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    /// `max(αz, z)`; Maas et al. use α = 0.01, Keras defaults to 0.3.
    LeakyRelu {
        alpha: f32,
    },
    /// `z` for z > 0, `α(eᶻ − 1)` otherwise (Clevert et al. 2015).
    Elu {
        alpha: f32,
    },
    /// `λ·ELU_α(z)` with SELU's fixed-point constants.
    Selu,
    /// Exact GELU, `z·Φ(z)` with the normal CDF Φ written through erf.
    Gelu,
    /// GELU's tanh approximation (Hendrycks & Gimpel, BERT, GPT-2).
    GeluTanh,
    /// Swish / SiLU, `z·σ(z)`.
    Swish,
    /// `z·tanh(softplus(z))` (Misra 2019).
    Mish,
    /// `ln(1 + eᶻ)`, a smooth ReLU whose output is always positive.
    Softplus,
}

use crate::vmath::{exp, expm1, normal_cdf, normal_pdf, tanh};
pub use crate::vmath::{sigmoid, softplus};

/// Mish's inner `tanh(softplus(x))`, as `n / (n + 2)` with `n = eˣ(eˣ + 2)` (one `exp`
/// instead of three functions); 1 beyond x = 20, where it rounds to 1 and `n` would overflow.
#[inline(always)]
fn tanh_softplus(x: f32) -> f32 {
    let e = exp(if x > 20.0 { 20.0 } else { x });
    let n = e * (e + 2.0);
    if x > 20.0 { 1.0 } else { n / (n + 2.0) }
}

impl Activation {
    /// The name used in legends and tables (and for the series colour, see [`crate::plot`]).
    pub fn name(&self) -> String {
        match self {
            Activation::Identity => "identity".into(),
            Activation::Sigmoid => "sigmoid".into(),
            Activation::Tanh => "tanh".into(),
            Activation::Relu => "ReLU".into(),
            Activation::LeakyRelu { alpha } => format!("leaky ReLU {alpha}"),
            Activation::Elu { alpha } if *alpha == 1.0 => "ELU".into(),
            Activation::Elu { alpha } => format!("ELU {alpha}"),
            Activation::Selu => "SELU".into(),
            Activation::Gelu => "GELU".into(),
            Activation::GeluTanh => "GELU (tanh)".into(),
            Activation::Swish => "Swish".into(),
            Activation::Mish => "Mish".into(),
            Activation::Softplus => "softplus".into(),
        }
    }

    /// f(x). The transcendental functions come from [`crate::vmath`], so this scalar function
    /// and the vectorised array passes give the same bits.
    #[inline(always)]
    pub fn f(&self, x: f32) -> f32 {
        match *self {
            Activation::Identity => x,
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => tanh(x),
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * expm1(x)
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { x } else { SELU_ALPHA * expm1(x) },
            Activation::Gelu => x * normal_cdf(x),
            // ½x(1 + tanh u) = x·σ(2u): the same function, without the cancellation of
            // 1 + tanh u in the lower tail.
            Activation::GeluTanh => x * sigmoid(2.0 * SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)),
            Activation::Swish => x * sigmoid(x),
            Activation::Mish => x * tanh_softplus(x),
            Activation::Softplus => softplus(x),
        }
    }

    /// f'(x). At ReLU's kink we take f'(0) = 0, as PyTorch and TensorFlow do.
    #[inline(always)]
    pub fn df(&self, x: f32) -> f32 {
        match *self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let t = tanh(x);
                1.0 - t * t
            }
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha
                }
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * exp(x)
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { 1.0 } else { SELU_ALPHA * exp(x) },
            // d/dx x·Φ(x) = Φ(x) + x·φ(x)
            Activation::Gelu => normal_cdf(x) + x * normal_pdf(x),
            Activation::GeluTanh => {
                // d/dx x·σ(2u) = σ(2u) + x·2σ(2u)(1 − σ(2u))·u'
                let u = SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x);
                let du = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * x * x);
                let s = sigmoid(2.0 * u);
                s + x * 2.0 * s * (1.0 - s) * du
            }
            Activation::Swish => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Mish => {
                // d/dx x·tanh(sp(x)) = tanh(sp) + x·sech²(sp)·σ(x)
                let t = tanh_softplus(x);
                t + x * (1.0 - t * t) * sigmoid(x)
            }
            Activation::Softplus => sigmoid(x),
        }
    }

    /// The backward of one element, `∂L/∂z = g·f′(z)`, as every backward pass computes it (the
    /// vectorised one and the strided one). ReLU and leaky ReLU select rather than multiply, so
    /// that an infinite upstream gradient through a zero slope gives 0, not `0·∞ = NaN`.
    #[inline(always)]
    pub fn backward_one(&self, z: f32, g: f32) -> f32 {
        match *self {
            Activation::Identity => g,
            Activation::Relu => {
                if z > 0.0 {
                    g
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { alpha } => {
                if z > 0.0 {
                    g
                } else {
                    alpha * g
                }
            }
            _ => g * self.df(z),
        }
    }

    /// Forward: `a = f(z)`, shapes `(batch, n)`.
    pub fn forward(&self, z: ArrayView2<f32>) -> Array2<f32> {
        let mut a = Array2::zeros(z.raw_dim());
        self.forward_into(z, &mut a);
        a
    }

    /// Forward into a preallocated `a` of the same shape as `z`.
    pub fn forward_into(&self, z: ArrayView2<f32>, a: &mut Array2<f32>) {
        assert_eq!(z.dim(), a.dim(), "activation: shapes differ");
        match (z.as_slice(), a.as_slice_mut()) {
            (Some(z), Some(a)) => self.forward_slice(z, a),
            _ => Zip::from(a).and(&z).for_each(|a, &z| *a = self.f(z)),
        }
    }

    /// `a[i] = f(z[i])` over slices, vectorised (see [`kernels`]).
    pub fn forward_slice(&self, z: &[f32], a: &mut [f32]) {
        assert_eq!(z.len(), a.len(), "activation: lengths differ");
        // One monomorphised, multiversioned loop per variant: the `match` is outside it.
        macro_rules! run {
            ($($variant:pat => $act:expr),* $(,)?) => {
                match *self {
                    Activation::Identity => a.copy_from_slice(z),
                    $($variant => kernels::map(#[inline(always)] |x| $act.f(x), z, a),)*
                }
            };
        }
        run! {
            Activation::Sigmoid => Activation::Sigmoid,
            Activation::Tanh => Activation::Tanh,
            Activation::Relu => Activation::Relu,
            Activation::LeakyRelu { alpha } => Activation::LeakyRelu { alpha },
            Activation::Elu { alpha } => Activation::Elu { alpha },
            Activation::Selu => Activation::Selu,
            Activation::Gelu => Activation::Gelu,
            Activation::GeluTanh => Activation::GeluTanh,
            Activation::Swish => Activation::Swish,
            Activation::Mish => Activation::Mish,
            Activation::Softplus => Activation::Softplus,
        }
    }

    /// The fused first half of a dense layer: `z ← z + b` (row by row), then `a = f(z)`, in one
    /// pass over memory. `z` and `a` are `(batch, n)` row-major slices, `b` has `n` entries.
    pub fn bias_forward_slice(&self, z: &mut [f32], bias: &[f32], a: &mut [f32]) {
        assert_eq!(z.len(), a.len(), "activation: lengths differ");
        macro_rules! run {
            ($($variant:pat => $act:expr),* $(,)?) => {
                match *self {
                    $($variant => kernels::bias_map(#[inline(always)] |x| $act.f(x), z, bias, a),)*
                }
            };
        }
        run! {
            Activation::Identity => Activation::Identity,
            Activation::Sigmoid => Activation::Sigmoid,
            Activation::Tanh => Activation::Tanh,
            Activation::Relu => Activation::Relu,
            Activation::LeakyRelu { alpha } => Activation::LeakyRelu { alpha },
            Activation::Elu { alpha } => Activation::Elu { alpha },
            Activation::Selu => Activation::Selu,
            Activation::Gelu => Activation::Gelu,
            Activation::GeluTanh => Activation::GeluTanh,
            Activation::Swish => Activation::Swish,
            Activation::Mish => Activation::Mish,
            Activation::Softplus => Activation::Softplus,
        }
    }

    /// Backward: `∂L/∂z = ∂L/∂a ⊙ f'(z)`, all `(batch, n)`.
    pub fn backward(&self, z: ArrayView2<f32>, grad_a: ArrayView2<f32>) -> Array2<f32> {
        let mut g = Array2::zeros(z.raw_dim());
        self.backward_into(z, grad_a, &mut g);
        g
    }

    /// Backward into a preallocated `grad_z` of the same shape as `z`.
    pub fn backward_into(
        &self,
        z: ArrayView2<f32>,
        grad_a: ArrayView2<f32>,
        grad_z: &mut Array2<f32>,
    ) {
        assert!(
            z.dim() == grad_a.dim() && z.dim() == grad_z.dim(),
            "activation: shapes differ"
        );
        match (z.as_slice(), grad_a.as_slice(), grad_z.as_slice_mut()) {
            (Some(z), Some(ga), Some(g)) => self.backward_slice(z, ga, g),
            _ => Zip::from(grad_z)
                .and(&z)
                .and(&grad_a)
                .for_each(|g, &z, &ga| *g = self.backward_one(z, ga)),
        }
    }

    /// `grad_z[i] = grad_a[i] · f'(z[i])` over slices, vectorised.
    pub fn backward_slice(&self, z: &[f32], grad_a: &[f32], grad_z: &mut [f32]) {
        assert!(
            z.len() == grad_a.len() && z.len() == grad_z.len(),
            "activation: lengths differ"
        );
        macro_rules! run {
            ($($variant:pat => $act:expr),* $(,)?) => {
                match *self {
                    Activation::Identity => grad_z.copy_from_slice(grad_a),
                    $($variant => kernels::zip_map(
                        #[inline(always)] |z, g| $act.backward_one(z, g), z, grad_a, grad_z),)*
                }
            };
        }
        run! {
            Activation::Relu => Activation::Relu,
            Activation::LeakyRelu { alpha } => Activation::LeakyRelu { alpha },
            Activation::Sigmoid => Activation::Sigmoid,
            Activation::Tanh => Activation::Tanh,
            Activation::Elu { alpha } => Activation::Elu { alpha },
            Activation::Selu => Activation::Selu,
            Activation::Gelu => Activation::Gelu,
            Activation::GeluTanh => Activation::GeluTanh,
            Activation::Swish => Activation::Swish,
            Activation::Mish => Activation::Mish,
            Activation::Softplus => Activation::Softplus,
        }
    }

    /// Every hidden-layer activation the book compares, in the book's series order.
    pub fn all() -> Vec<Activation> {
        vec![
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu { alpha: 0.01 },
            Activation::LeakyRelu { alpha: 0.2 },
            Activation::Elu { alpha: 1.0 },
            Activation::Selu,
            Activation::Gelu,
            Activation::GeluTanh,
            Activation::Swish,
            Activation::Mish,
            Activation::Softplus,
            Activation::Identity,
        ]
    }
}

/// The element loops, compiled for several instruction sets and picked at run time
/// (`multiversion`): with AVX-512 the vmath formulas run on 16 lanes at once. Callers pass
/// `#[inline(always)]` closures, which are compiled into each version, so one generic loop
/// serves every activation (a closure left out of line would keep the loop scalar).
pub mod kernels {
    use multiversion::multiversion;

    /// `out[i] = f(x[i])`.
    #[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
    pub fn map(f: impl Fn(f32) -> f32, x: &[f32], out: &mut [f32]) {
        for (o, &x) in out.iter_mut().zip(x) {
            *o = f(x);
        }
    }

    /// `out[i] = f(x[i], y[i])`.
    #[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
    pub fn zip_map(f: impl Fn(f32, f32) -> f32, x: &[f32], y: &[f32], out: &mut [f32]) {
        for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
            *o = f(x, y);
        }
    }

    /// Row by row (rows of `bias.len()`): `z[i] += bias[j]`, then `out[i] = f(z[i])`.
    #[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
    pub fn bias_map(f: impl Fn(f32) -> f32, z: &mut [f32], bias: &[f32], out: &mut [f32]) {
        let n = bias.len();
        for (z_row, o_row) in z.chunks_exact_mut(n).zip(out.chunks_exact_mut(n)) {
            for ((z, o), &b) in z_row.iter_mut().zip(o_row).zip(bias) {
                *z += b;
                *o = f(*z);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::derivative_error;

    /// Each derivative against a central difference computed in f64 around the f32 function.
    /// With h = 1e-2 on f32, the truncation error is h²·|f'''|/6 ≲ 2e-5 and the rounding error
    /// 2·ε·|f|/(2h) ≲ 6e-6·|f|; the tolerance 1e-3 (relative, with a floor of 1 on the scale) is
    /// ten times what that allows, and a wrong formula misses it by orders of magnitude.
    #[test]
    fn derivatives_match_finite_differences() {
        let xs: Vec<f32> = (-60..=60).map(|i| i as f32 * 0.1 + 0.0137).collect();
        for act in Activation::all() {
            let err = derivative_error(|x| act.f(x), |x| act.df(x), &xs, 1e-2);
            println!("gradcheck {}: {err:.1e}", act.name());
            assert!(err < 1e-3, "{}: derivative error {err:e}", act.name());
        }
    }

    #[test]
    fn known_values_and_stability() {
        assert_eq!(Activation::Relu.f(-3.0), 0.0);
        assert_eq!(Activation::Relu.df(0.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(softplus(1000.0), 1000.0);
        assert_eq!(softplus(-1000.0), 0.0);
        assert!((softplus(0.0) - 2f32.ln()).abs() < 1e-7);
        // An output for positive targets: never negative (0 only where e^x underflows), in the
        // scalar and in the vectorised pass.
        let z = Array2::from_shape_fn((1, 4001), |(_, j)| (j as f32 - 2000.0) * 0.05);
        let out = Activation::Softplus.forward(z.view());
        assert!(
            out.iter()
                .zip(z.iter())
                .all(|(&y, &x)| y >= 0.0 && softplus(x) >= 0.0)
        );
        assert!((Activation::Gelu.f(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((Activation::GeluTanh.f(1.0) - 0.841_192).abs() < 1e-5);
        assert!((Activation::Mish.f(1.0) - 0.865_098_4).abs() < 1e-6);
        // SELU: λ·α·(e⁻¹ − 1) at −1; its saturation value is −λα ≈ −1.7581.
        assert!((Activation::Selu.f(-100.0) + 1.758_099_3).abs() < 1e-5);
        for act in Activation::all() {
            for x in [-1e4f32, 1e4] {
                assert!(
                    act.f(x).is_finite() && act.df(x).is_finite(),
                    "{} at {x}",
                    act.name()
                );
            }
        }
    }

    #[test]
    fn array_passes_agree_with_the_scalar_functions() {
        let z = Array2::from_shape_fn((7, 5), |(i, j)| (i as f32 - 3.0) * 0.7 + j as f32 * 0.3);
        let g = Array2::from_shape_fn((7, 5), |(i, j)| 1.0 + (i * 5 + j) as f32 * 0.01);
        for act in Activation::all() {
            let a = act.forward(z.view());
            let gz = act.backward(z.view(), g.view());
            for ((&zi, &ai), (&gi, &gzi)) in z.iter().zip(&a).zip(g.iter().zip(&gz)) {
                assert_eq!(ai, act.f(zi), "{}", act.name());
                assert_eq!(gzi, gi * act.df(zi), "{}", act.name());
            }
        }
    }

    /// The contiguous (vectorised) and the strided backward passes are one definition: the same
    /// bits, including an infinite upstream gradient through ReLU's zero slope (0, not NaN; the
    /// strided pass used to multiply and give NaN).
    #[test]
    fn contiguous_and_strided_backward_agree_even_on_infinite_gradients() {
        let z = Array2::from_shape_fn((6, 8), |(i, j)| (i as f32 - 2.5) * 0.9 + j as f32 * 0.2);
        let mut g = Array2::from_shape_fn((6, 8), |(i, j)| 1.0 + (i + j) as f32 * 0.1);
        g[(0, 0)] = f32::INFINITY; // z < 0 there
        g[(5, 7)] = f32::NEG_INFINITY; // z > 0 there
        let zt = z.t().as_standard_layout().into_owned();
        let gt = g.t().as_standard_layout().into_owned();
        for act in Activation::all() {
            let fast = act.backward(z.view(), g.view());
            // The transposes of transposed copies: the same values, not contiguous.
            let slow = act.backward(zt.t(), gt.t());
            assert!(zt.t().as_slice().is_none(), "the strided path is taken");
            for (a, b) in fast.iter().zip(&slow) {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{}: {a} vs {b}",
                    act.name()
                );
            }
            if matches!(act, Activation::Relu) {
                assert_eq!(
                    slow[(0, 0)],
                    0.0,
                    "ReLU blocks an infinite gradient where z < 0"
                );
            }
        }
    }
}
