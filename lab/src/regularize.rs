//! Weight penalties: ℓ2 (weight decay), and ℓ1 in its two forms.
//!
//! ℓ1 adds `λ‖w‖₁` to the loss. Its *subgradient* `λ·sign(w)` is added to the gradient, and a
//! weight then jitters around zero, almost never landing on it. The *proximal* step instead
//! takes the plain gradient step and then applies the soft-threshold operator
//! `S_τ(w) = sign(w)·max(|w| − τ, 0)` with `τ = lr·λ`: every weight within τ of zero becomes
//! exactly zero. Penalties apply to weights, not biases.

use serde::{Deserialize, Serialize};

/// A penalty on the weights (biases are never penalised).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Penalty {
    #[default]
    None,
    /// `(λ/2)‖w‖²`: adds `λw` to the gradient.
    L2(f32),
    /// `λ‖w‖₁` by subgradient: adds `λ·sign(w)` to the gradient.
    L1Subgradient(f32),
    /// `λ‖w‖₁` by proximal step: soft-threshold by `lr·λ` after the update.
    L1Proximal(f32),
}

impl Penalty {
    /// Add the penalty's (sub)gradient to `g`, before the optimiser's step.
    pub fn add_gradient(&self, w: &[f32], g: &mut [f32]) {
        match *self {
            Penalty::None | Penalty::L1Proximal(_) => {}
            Penalty::L2(lambda) => g.iter_mut().zip(w).for_each(|(g, &w)| *g += lambda * w),
            Penalty::L1Subgradient(lambda) => {
                // sign(0) = 0: the subgradient at 0 that keeps a zero weight at zero.
                g.iter_mut()
                    .zip(w)
                    .for_each(|(g, &w)| *g += lambda * sign(w))
            }
        }
    }

    /// Apply the proximal operator after the step (only [`Penalty::L1Proximal`] has one).
    pub fn proximal(&self, w: &mut [f32], lr: f32) {
        if let Penalty::L1Proximal(lambda) = *self {
            let tau = lr * lambda;
            w.iter_mut().for_each(|w| *w = soft_threshold(*w, tau));
        }
    }

    /// The penalty's value, `λ‖w‖₁` or `(λ/2)‖w‖²`.
    pub fn value(&self, w: &[f32]) -> f64 {
        match *self {
            Penalty::None => 0.0,
            Penalty::L2(l) => {
                0.5 * f64::from(l) * w.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>()
            }
            Penalty::L1Subgradient(l) | Penalty::L1Proximal(l) => {
                f64::from(l) * w.iter().map(|&x| f64::from(x.abs())).sum::<f64>()
            }
        }
    }
}

fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `S_τ(w) = sign(w)·max(|w| − τ, 0)`, the proximal operator of `τ|w|`.
pub fn soft_threshold(w: f32, tau: f32) -> f32 {
    sign(w) * (w.abs() - tau).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_and_subgradients() {
        assert_eq!(soft_threshold(0.5, 0.2), 0.3);
        assert_eq!(soft_threshold(-0.5, 0.2), -0.3);
        assert_eq!(soft_threshold(0.1, 0.2), 0.0);
        assert_eq!(soft_threshold(-0.1, 0.2), 0.0);
        let w = [1.0, -2.0, 0.0];
        let mut g = [0.0; 3];
        Penalty::L2(0.1).add_gradient(&w, &mut g);
        assert_eq!(g, [0.1, -0.2, 0.0]);
        let mut g = [0.0; 3];
        Penalty::L1Subgradient(0.1).add_gradient(&w, &mut g);
        assert_eq!(g, [0.1, -0.1, 0.0]);
        let mut w2 = [0.05f32, -0.5, 0.01];
        Penalty::L1Proximal(1.0).proximal(&mut w2, 0.1);
        assert_eq!(w2, [0.0, -0.4, 0.0]);
        assert!((Penalty::L1Proximal(2.0).value(&w) - 6.0).abs() < 1e-12);
        assert!((Penalty::L2(2.0).value(&w) - 5.0).abs() < 1e-12);
    }

    /// Gradient check of the penalties themselves (away from w = 0 for ℓ1's kink).
    #[test]
    fn penalty_gradients_match_finite_differences() {
        use crate::gradcheck::{STEP, check_gradient};
        let mut w = vec![0.7f32, -1.3, 0.4, -0.2];
        for p in [Penalty::L2(0.3), Penalty::L1Subgradient(0.3)] {
            let mut g = vec![0.0; 4];
            p.add_gradient(&w, &mut g);
            let err = check_gradient(&mut w, &g, |w| p.value(w), STEP, 4);
            println!("gradcheck {p:?}: {err:.1e}");
            assert!(err < 1e-4, "{p:?}: {err:e}");
        }
    }
}
