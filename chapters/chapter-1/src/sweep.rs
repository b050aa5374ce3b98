//! Experiment 1: the std of activations and of back-propagated gradients, layer by layer,
//! through a deep MLP at initialisation, for every (initialisation, activation) pair.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use lab::linalg::matmul;
use lab::rng::{derive_seed, rng_stream};
use lab::{Activation, Dense, Init};

/// The initialisations compared, in the book's series order.
pub fn inits() -> Vec<Init> {
    vec![
        Init::Normal { std: 1.0 },
        Init::Normal { std: 0.01 },
        Init::OldUniform,
        Init::GlorotUniform,
        Init::GlorotNormal,
        Init::HeNormal,
        Init::LeCunNormal,
    ]
}

/// The activations compared. Identity is there because its theory is exact.
pub fn activations() -> Vec<Activation> {
    vec![
        Activation::Identity,
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Selu,
    ]
}

/// One (initialisation, activation) pair through the deep net.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sweep {
    pub init: Init,
    pub activation: Activation,
    /// `forward_std[l]`: std of the activations `a` of layer `l + 1` (NaN where the signal left
    /// f32's faithful range, see [`F32_RANGE`]).
    pub forward_std: Vec<f64>,
    /// `backward_std[l]`: std of the back-propagated gradient `∂L/∂z` at layer `l + 1` (all NaN
    /// when the forward pass left f32's range).
    pub backward_std: Vec<f64>,
    /// Fraction of activations within 1% of the activation's bounds at the last layer
    /// (|a| > 0.99 for tanh, a < 0.01 or > 0.99 for sigmoid; 0 for unbounded ones).
    pub saturated_last: f64,
    /// The per-layer std factor predicted by theory, where one exists (linear and ReLU).
    pub theory_factor: Option<f64>,
}

/// Population standard deviation of all entries, accumulated in f64. Non-finite entries (an
/// overflowed signal) make it infinite.
pub fn std_dev(a: &Array2<f32>) -> f64 {
    let std = lab::stats::moments(a.iter()).1;
    if std.is_nan() { f64::INFINITY } else { std }
}

/// The per-layer factor on the std that the variance argument predicts, for square layers of
/// width `n`: `√(n·Var(W)·g)` with `g = 1` for a linear layer and `g = ½` for ReLU (it zeroes
/// half of a symmetric input, so `E[ReLU(z)²] = Var(z)/2` and `E[ReLU′(z)²] = ½`).
/// The same factor holds forward (on `a`) and backward (on `∂L/∂z`) when fan-in = fan-out.
pub fn theory_factor(init: Init, activation: Activation, n: usize) -> Option<f64> {
    let g = match activation {
        Activation::Identity => 1.0,
        Activation::Relu => 0.5,
        _ => return None,
    };
    Some((n as f64 * init.variance(lab::init::Fans::of((n, n))) * g).sqrt())
}

// ANCHOR: propagate
/// What one forward and one backward pass through a stack of layers produced, per layer.
pub struct Propagation {
    /// `activations[l] = f(z_l)`: `(batch, n_out of layer l)`.
    pub activations: Vec<Array2<f32>>,
    /// `grads[l] = ∂L/∂z_l`: same shapes.
    pub grads: Vec<Array2<f32>>,
}

/// Forward `x` through `layers` with activation `act`, then back-propagate `grad_out`
/// (the gradient of some loss with respect to the last activations).
pub fn propagate(
    layers: &[Dense],
    act: Activation,
    x: Array2<f32>,
    grad_out: Array2<f32>,
) -> Propagation {
    let (mut pre, mut activations) = (Vec::new(), Vec::new());
    let mut a = x;
    for layer in layers {
        let z = layer.forward(a.view()); // z = a·W + b   (batch, n_out)
        a = act.forward(z.view()); //        a = f(z)
        activations.push(a.clone());
        pre.push(z);
    }
    let mut grads = vec![Array2::zeros((0, 0)); layers.len()];
    let mut grad_a = grad_out;
    for l in (0..layers.len()).rev() {
        let grad_z = act.backward(pre[l].view(), grad_a.view()); // ∂L/∂z = ∂L/∂a ⊙ f′(z)
        grad_a = matmul(grad_z.view(), layers[l].w.t()); //          ∂L/∂a_prev = ∂L/∂z · Wᵀ
        grads[l] = grad_z;
    }
    Propagation { activations, grads }
}
// ANCHOR_END: propagate

/// A deep square MLP at initialisation: `batch` N(0, I) inputs forward through `depth` layers of
/// `width` units (zero biases), and a random N(0, I) gradient backward from the output.
pub fn sweep(
    init: Init,
    act: Activation,
    depth: usize,
    width: usize,
    batch: usize,
    seed: u64,
) -> Sweep {
    let mut rng = rng_stream(derive_seed(seed, "sweep"), 0);
    let layers: Vec<Dense> = (0..depth)
        .map(|_| Dense::new(width, width, init, Init::Zeros, &mut rng))
        .collect();
    let x = Init::Normal { std: 1.0 }.sample((batch, width), &mut rng);
    let grad_out = Init::Normal { std: 1.0 }.sample((batch, width), &mut rng);
    let p = propagate(&layers, act, x, grad_out);
    let forward_std: Vec<f64> = p.activations.iter().map(|a| in_range(std_dev(a))).collect();
    // A backward pass through an overflowed or underflowed forward pass means nothing.
    let backward_std = if forward_std.iter().all(|s| s.is_finite()) {
        p.grads.iter().map(|g| in_range(std_dev(g))).collect()
    } else {
        vec![f64::NAN; depth]
    };
    Sweep {
        init,
        activation: act,
        forward_std,
        backward_std,
        saturated_last: saturation(act, p.activations.last().expect("depth ≥ 1")),
        theory_factor: theory_factor(init, act, width),
    }
}

/// The range of stds that f32 represents faithfully: below it values are subnormal or zero,
/// above it the next layers overflow. Outside it a std is recorded as NaN (shown as a gap).
pub const F32_RANGE: (f64, f64) = (1e-30, 1e30);

fn in_range(s: f64) -> f64 {
    if (F32_RANGE.0..=F32_RANGE.1).contains(&s) {
        s
    } else {
        f64::NAN
    }
}

/// Fraction of the activations within 1% of the bounds of a bounded activation.
fn saturation(act: Activation, a: &Array2<f32>) -> f64 {
    let n = a.len() as f64;
    let count = match act {
        Activation::Tanh => a.iter().filter(|x| x.abs() > 0.99).count(),
        Activation::Sigmoid => a.iter().filter(|&&x| !(0.01..=0.99).contains(&x)).count(),
        _ => 0,
    };
    count as f64 / n
}

/// The per-layer factor fitted on a run going *up* the layers: the geometric mean of
/// consecutive ratios over the layers where the std is finite and non-zero,
/// `(s_last / s_first)^(1/(layers − 1))`. For a backward pass, which goes down, take its inverse.
pub fn fitted_factor(std: &[f64]) -> Option<f64> {
    let ok: Vec<(usize, f64)> = std
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, s)| s.is_finite() && *s > 0.0)
        .collect();
    let (&(i0, s0), &(i1, s1)) = (ok.first()?, ok.last()?);
    (i1 > i0).then(|| (s1 / s0).powf(1.0 / (i1 - i0) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theory_factors() {
        // He with ReLU: √(n·2/n·½) = 1; LeCun with ReLU: √½; LeCun linear: 1.
        assert!(
            (theory_factor(Init::HeNormal, Activation::Relu, 256).unwrap() - 1.0).abs() < 1e-12
        );
        assert!(
            (theory_factor(Init::LeCunNormal, Activation::Relu, 256).unwrap() - 0.5f64.sqrt())
                .abs()
                < 1e-12
        );
        assert!(
            (theory_factor(Init::LeCunNormal, Activation::Identity, 64).unwrap() - 1.0).abs()
                < 1e-12
        );
        assert!(theory_factor(Init::HeNormal, Activation::Tanh, 64).is_none());
        assert_eq!(fitted_factor(&[1.0, 0.5, 0.25, 0.0]), Some(0.5));
        assert_eq!(fitted_factor(&[f64::INFINITY]), None);
    }
}
