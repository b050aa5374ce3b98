//! Weight initialisers.
//!
//! A dense layer's weight matrix has shape `(fan_in, fan_out)`: `fan_in` inputs feed each unit,
//! and each input feeds `fan_out` units. The classic schemes differ only in the variance they
//! give each weight:
//!
//! | scheme | Var(W) | keeps constant |
//! |---|---|---|
//! | LeCun | 1 / fan_in | forward variance of a linear layer (and SELU's fixed point) |
//! | Glorot (Xavier) | 2 / (fan_in + fan_out) | a compromise: forward *and* backward variance |
//! | He (Kaiming) | 2 / fan_in | forward variance of a ReLU layer (ReLU halves it) |
//!
//! A uniform U(−a, a) has variance a²/3, so each scheme's uniform form uses a = √(3·Var).

use ndarray::Array2;
use ndarray_rand::RandomExt;
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::{Normal, Uniform};
use serde::{Deserialize, Serialize};

/// The two fans of a `(fan_in, fan_out)` weight matrix, computed in one place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fans {
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Fans {
    pub fn of(shape: (usize, usize)) -> Self {
        Fans {
            fan_in: shape.0,
            fan_out: shape.1,
        }
    }
    /// Glorot's compromise, (fan_in + fan_out) / 2.
    pub fn fan_avg(&self) -> f64 {
        (self.fan_in + self.fan_out) as f64 / 2.0
    }
}

/// How to draw a weight matrix (or, with `fan_in = n`, a bias vector).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    Zeros,
    Constant(f32),
    /// N(0, std²).
    Normal {
        std: f32,
    },
    /// U(−limit, limit).
    Uniform {
        limit: f32,
    },
    /// The pre-2010 heuristic U(±1/√fan_in) (Glorot & Bengio's "standard" init; PyTorch's
    /// default for biases).
    OldUniform,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LeCunNormal,
    LeCunUniform,
}

impl Init {
    /// A short name for tables and legends.
    pub fn name(&self) -> String {
        match self {
            Init::Zeros => "zeros".into(),
            Init::Constant(c) => format!("constant {c}"),
            Init::Normal { std } if *std == 1.0 => "N(0, 1)".into(),
            Init::Normal { std } => format!("N(0, {std}²)"),
            Init::Uniform { limit } => format!("U(±{limit})"),
            Init::OldUniform => "U(±1/√n_in)".into(),
            Init::GlorotNormal => "Glorot normal".into(),
            Init::GlorotUniform => "Glorot uniform".into(),
            Init::HeNormal => "He normal".into(),
            Init::HeUniform => "He uniform".into(),
            Init::LeCunNormal => "LeCun normal".into(),
            Init::LeCunUniform => "LeCun uniform".into(),
        }
    }

    /// The variance each weight gets for these fans (0 for constants).
    pub fn variance(&self, fans: Fans) -> f64 {
        let n_in = fans.fan_in as f64;
        match *self {
            Init::Zeros | Init::Constant(_) => 0.0,
            Init::Normal { std } => f64::from(std).powi(2),
            Init::Uniform { limit } => f64::from(limit).powi(2) / 3.0,
            Init::OldUniform => 1.0 / (3.0 * n_in),
            Init::GlorotNormal | Init::GlorotUniform => 1.0 / fans.fan_avg(),
            Init::HeNormal | Init::HeUniform => 2.0 / n_in,
            Init::LeCunNormal | Init::LeCunUniform => 1.0 / n_in,
        }
    }

    /// Draw a `(fan_in, fan_out)` matrix.
    pub fn sample(&self, shape: (usize, usize), rng: &mut impl Rng) -> Array2<f32> {
        let fans = Fans::of(shape);
        let std = self.variance(fans).sqrt() as f32;
        match *self {
            Init::Zeros => Array2::zeros(shape),
            Init::Constant(c) => Array2::from_elem(shape, c),
            Init::Normal { .. } | Init::GlorotNormal | Init::HeNormal | Init::LeCunNormal => {
                Array2::random_using(shape, Normal::new(0.0, std).expect("std is finite"), rng)
            }
            Init::Uniform { .. }
            | Init::OldUniform
            | Init::GlorotUniform
            | Init::HeUniform
            | Init::LeCunUniform => {
                let limit = (3.0f32).sqrt() * std;
                if limit == 0.0 {
                    return Array2::zeros(shape);
                }
                Array2::random_using(shape, Uniform::new(-limit, limit).expect("limit > 0"), rng)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;

    fn sample_variance(a: &Array2<f32>) -> f64 {
        let xs: Vec<f64> = a.iter().map(|&x| f64::from(x)).collect();
        crate::stats::std(&xs).powi(2)
    }

    /// On 10⁶ draws the sample variance has relative standard error √(2/10⁶) ≈ 0.14% (normal)
    /// and less for uniform, so a 2% tolerance is > 10 standard errors: it fails only on a wrong
    /// formula, never by chance.
    #[test]
    fn every_scheme_has_its_variance() {
        let shape = (1000, 1000);
        let fans = Fans::of(shape);
        let cases = [
            (Init::HeNormal, 2.0 / 1000.0),
            (Init::HeUniform, 2.0 / 1000.0),
            (Init::GlorotNormal, 2.0 / 2000.0),
            (Init::GlorotUniform, 2.0 / 2000.0),
            (Init::LeCunNormal, 1.0 / 1000.0),
            (Init::LeCunUniform, 1.0 / 1000.0),
            (Init::OldUniform, 1.0 / 3000.0),
            (Init::Normal { std: 0.01 }, 1e-4),
            (Init::Uniform { limit: 0.5 }, 0.25 / 3.0),
        ];
        for (i, (init, expected)) in cases.into_iter().enumerate() {
            let w = init.sample(shape, &mut rng(i as u64));
            let v = sample_variance(&w);
            assert!(
                (v / expected - 1.0).abs() < 0.02,
                "{}: variance {v}, expected {expected}",
                init.name()
            );
            assert!(
                (init.variance(fans) / expected - 1.0).abs() < 1e-6,
                "f32 parameters round at 1e-7"
            );
        }
    }

    #[test]
    fn fans_use_the_right_axis_and_uniform_respects_its_limit() {
        // (fan_in, fan_out) = (10, 1000): Glorot averages them, He and LeCun use fan_in only.
        let fans = Fans::of((10, 1000));
        assert_eq!(fans.fan_avg(), 505.0);
        assert!((Init::HeNormal.variance(fans) - 0.2).abs() < 1e-12);
        let w = Init::GlorotUniform.sample((10, 1000), &mut rng(1));
        let limit = (6.0f32 / 1010.0).sqrt();
        assert!(w.iter().all(|&x| x.abs() <= limit));
        assert!(w.iter().any(|&x| x.abs() > 0.9 * limit));
        assert!(
            Init::Constant(0.05)
                .sample((3, 4), &mut rng(0))
                .iter()
                .all(|&x| x == 0.05)
        );
        assert!(
            Init::Zeros
                .sample((3, 4), &mut rng(0))
                .iter()
                .all(|&x| x == 0.0)
        );
    }
}
