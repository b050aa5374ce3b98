//! Experiment 2 (Glorot & Bengio 2010, Figs 6–7): histograms of the activations and of the
//! back-propagated gradients at each layer of a 5-layer tanh net, with the old heuristic
//! U(±1/√n_in) and with Glorot's normalised initialisation U(±√(6/(n_in+n_out))).

use serde::{Deserialize, Serialize};

use lab::rng::{derive_seed, rng_stream};
use lab::{Activation, Dense, Init};

use crate::sweep::{propagate, std_dev};

/// Counts over fixed, equal-width bins.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Binned {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<u64>,
}

impl Binned {
    /// Bin `values` into `bins` equal bins over [lo, hi]; values outside go to the end bins.
    pub fn new(values: impl Iterator<Item = f64>, lo: f64, hi: f64, bins: usize) -> Self {
        let mut counts = vec![0; bins];
        for v in values.filter(|v| v.is_finite()) {
            let b = (((v - lo) / (hi - lo)) * bins as f64)
                .floor()
                .clamp(0.0, (bins - 1) as f64) as usize;
            counts[b] += 1;
        }
        Binned { lo, hi, counts }
    }
}

/// One initialisation's histograms, one per layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerHistograms {
    pub init: Init,
    pub activations: Vec<Binned>,
    pub gradients: Vec<Binned>,
    pub activation_std: Vec<f64>,
    pub gradient_std: Vec<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Histograms {
    pub runs: Vec<LayerHistograms>,
    /// The gradient histograms' range, shared by both inits: ± this.
    pub gradient_range: f64,
}

/// The two initialisations of Glorot & Bengio's figures.
pub fn inits() -> [Init; 2] {
    [Init::OldUniform, Init::GlorotUniform]
}

pub fn histograms(layers: usize, width: usize, batch: usize, bins: usize, seed: u64) -> Histograms {
    let props: Vec<_> = inits()
        .iter()
        .map(|&init| {
            let mut rng = rng_stream(derive_seed(seed, "histograms"), 0);
            let net: Vec<Dense> = (0..layers)
                .map(|_| Dense::new(width, width, init, Init::Zeros, &mut rng))
                .collect();
            let x = Init::Normal { std: 1.0 }.sample((batch, width), &mut rng);
            let grad_out = Init::Normal { std: 1.0 }.sample((batch, width), &mut rng);
            (init, propagate(&net, Activation::Tanh, x, grad_out))
        })
        .collect();
    // One gradient range for every panel, so the widths of the histograms compare.
    let gradient_range = props
        .iter()
        .flat_map(|(_, p)| p.grads.iter().map(|g| 3.0 * std_dev(g)))
        .fold(0.0, f64::max);
    let runs = props
        .iter()
        .map(|(init, p)| LayerHistograms {
            init: *init,
            activations: p
                .activations
                .iter()
                .map(|a| Binned::new(a.iter().map(|&v| f64::from(v)), -1.0, 1.0, bins))
                .collect(),
            gradients: p
                .grads
                .iter()
                .map(|g| {
                    Binned::new(
                        g.iter().map(|&v| f64::from(v)),
                        -gradient_range,
                        gradient_range,
                        bins,
                    )
                })
                .collect(),
            activation_std: p.activations.iter().map(std_dev).collect(),
            gradient_std: p.grads.iter().map(std_dev).collect(),
        })
        .collect();
    Histograms {
        runs,
        gradient_range,
    }
}

/// `std(∂L/∂z at layer 1) / std(at the last layer)`: how much the gradient shrinks on its way
/// down (1 = not at all).
pub fn gradient_ratio(run: &LayerHistograms) -> f64 {
    run.gradient_std[0] / run.gradient_std[run.gradient_std.len() - 1]
}
