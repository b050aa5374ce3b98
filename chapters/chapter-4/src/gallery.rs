//! Experiment 1: every activation and its derivative on a grid, for the small-multiples figure.

use serde::{Deserialize, Serialize};

use lab::Activation;

/// f and f′ of one activation, sampled on `z`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Curve {
    pub activation: Activation,
    pub z: Vec<f64>,
    pub f: Vec<f64>,
    pub df: Vec<f64>,
}

/// The activations the gallery shows (the book's hidden-layer candidates and output functions).
pub fn activations() -> Vec<Activation> {
    Activation::all()
        .into_iter()
        .filter(|a| !matches!(a, Activation::Identity | Activation::GeluTanh))
        .collect()
}

/// `points` values of z evenly spread over [−lim, lim].
pub fn gallery(points: usize, lim: f64) -> Vec<Curve> {
    let z: Vec<f64> = (0..points)
        .map(|i| -lim + 2.0 * lim * i as f64 / (points - 1) as f64)
        .collect();
    activations()
        .into_iter()
        .map(|a| Curve {
            activation: a,
            f: z.iter().map(|&x| f64::from(a.f(x as f32))).collect(),
            df: z.iter().map(|&x| f64::from(a.df(x as f32))).collect(),
            z: z.clone(),
        })
        .collect()
}
