//! Activation functions, each beside its derivative.
//!
//! Every activation is an elementwise `a = f(z)`. Its backward pass multiplies the incoming
//! gradient by `f'(z)`: `∂L/∂z = ∂L/∂a ⊙ f'(z)`. Softmax, which mixes a row's elements, lives
//! with its loss in [`crate::loss`]; the gated linear unit, which has weights, in
//! [`crate::layer::Glu`].

use ndarray::{Array2, ArrayView2, Zip};
use serde::Serialize;

/// SELU's constants (Klambauer et al. 2017, eq. 14), to the digits the paper gives.
pub const SELU_ALPHA: f32 = 1.673_263_2;
pub const SELU_LAMBDA: f32 = 1.050_701;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// An elementwise non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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

/// Logistic sigmoid, stable for large |x|: never computes `exp` of a large positive number.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + eˣ)` without overflow: `max(x, 0) + ln(1 + e^(−|x|))`.
pub fn softplus(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
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

    /// f(x).
    pub fn f(&self, x: f32) -> f32 {
        match *self {
            Activation::Identity => x,
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
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
                    alpha * x.exp_m1()
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() },
            Activation::Gelu => 0.5 * x * (1.0 + libm::erff(x * FRAC_1_SQRT_2)),
            Activation::GeluTanh => {
                let t = (SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x)).tanh();
                0.5 * x * (1.0 + t)
            }
            Activation::Swish => x * sigmoid(x),
            Activation::Mish => x * softplus(x).tanh(),
            Activation::Softplus => softplus(x),
        }
    }

    /// f'(x). At ReLU's kink we take f'(0) = 0, as PyTorch and TensorFlow do.
    pub fn df(&self, x: f32) -> f32 {
        match *self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let t = x.tanh();
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
                    alpha * x.exp()
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() },
            Activation::Gelu => {
                // d/dx x·Φ(x) = Φ(x) + x·φ(x)
                let cdf = 0.5 * (1.0 + libm::erff(x * FRAC_1_SQRT_2));
                let pdf = FRAC_1_SQRT_2PI * (-0.5 * x * x).exp();
                cdf + x * pdf
            }
            Activation::GeluTanh => {
                let u = SQRT_2_OVER_PI * (x + 0.044_715 * x * x * x);
                let t = u.tanh();
                let du = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044_715 * x * x);
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
            }
            Activation::Swish => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Mish => {
                // d/dx x·tanh(sp(x)) = tanh(sp) + x·sech²(sp)·σ(x)
                let t = softplus(x).tanh();
                t + x * (1.0 - t * t) * sigmoid(x)
            }
            Activation::Softplus => sigmoid(x),
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
        macro_rules! map {
            ($f:expr) => {
                Zip::from(a).and(&z).for_each(|a, &z| *a = $f(z))
            };
        }
        // One monomorphised loop per variant: the `match` is outside the element loop.
        match *self {
            Activation::Identity => a.assign(&z),
            Activation::Relu => map!(|x: f32| x.max(0.0)),
            Activation::LeakyRelu { alpha } => map!(|x: f32| if x > 0.0 { x } else { alpha * x }),
            act => map!(|x| act.f(x)),
        }
    }

    /// Backward: `∂L/∂z = ∂L/∂a ⊙ f'(z)`, all `(batch, n)`.
    pub fn backward(&self, z: ArrayView2<f32>, grad_a: ArrayView2<f32>) -> Array2<f32> {
        let mut g = Array2::zeros(z.raw_dim());
        match *self {
            Activation::Identity => g.assign(&grad_a),
            Activation::Relu => Zip::from(&mut g)
                .and(&z)
                .and(&grad_a)
                .for_each(|g, &z, &ga| *g = if z > 0.0 { ga } else { 0.0 }),
            Activation::LeakyRelu { alpha } => Zip::from(&mut g)
                .and(&z)
                .and(&grad_a)
                .for_each(|g, &z, &ga| *g = if z > 0.0 { ga } else { alpha * ga }),
            act => Zip::from(&mut g)
                .and(&z)
                .and(&grad_a)
                .for_each(|g, &z, &ga| *g = ga * act.df(z)),
        }
        g
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
}
