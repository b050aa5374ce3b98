//! Experiment 4: dead units after training at a deliberately high learning rate.
//!
//! A unit is *dead* when f′(z) = 0 for every one of the probe inputs: no gradient reaches its
//! weights, so nothing can revive it. It is *inactive* when z ≤ 0 for every probe input; a leaky
//! ReLU or ELU unit can be inactive but, with f′ > 0 there, it still learns.

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng_stream};
use lab::train::fit;
use lab::{Activation, Init, Mlp, Recipe};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DyingConfig {
    /// The quality experiment's net, its learning rate deliberately high (five times as high).
    pub net: Recipe,
    pub seeds: usize,
    /// Test inputs a unit must be silent on to count.
    pub probe: usize,
}

pub fn activations() -> Vec<Activation> {
    vec![
        Activation::Relu,
        Activation::LeakyRelu { alpha: 0.01 },
        Activation::LeakyRelu { alpha: 0.2 },
        Activation::Elu { alpha: 1.0 },
    ]
}

/// Dead and inactive units of one network, per hidden layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnitCount {
    pub dead: Vec<usize>,
    pub inactive: Vec<usize>,
}

impl UnitCount {
    pub fn dead_total(&self) -> usize {
        self.dead.iter().sum()
    }
    pub fn inactive_total(&self) -> usize {
        self.inactive.iter().sum()
    }
}

// ANCHOR: dead_units
/// Count, layer by layer, the units silent on every row of `x`.
pub fn count_units(mlp: &Mlp, x: ArrayView2<f32>) -> UnitCount {
    let hidden = &mlp.layers[..mlp.layers.len() - 1];
    let (mut dead, mut inactive) = (Vec::new(), Vec::new());
    let mut a = x.to_owned();
    for layer in hidden {
        let z = layer.forward(a.view()); // (probe, width)
        let silent = |test: &dyn Fn(f32) -> bool| {
            z.axis_iter(Axis(1))
                .filter(|col| col.iter().all(|&v| test(v)))
                .count()
        };
        dead.push(silent(&|v| mlp.activation.df(v) == 0.0));
        inactive.push(silent(&|v| v <= 0.0));
        a = mlp.activation.forward(z.view());
    }
    UnitCount { dead, inactive }
}
// ANCHOR_END: dead_units

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DyingRun {
    pub activation: Activation,
    pub hidden_units: usize,
    /// Per seed: counts at initialisation and after training.
    pub at_init: Vec<UnitCount>,
    pub trained: Vec<UnitCount>,
    /// Per seed: test accuracy after training (NaN for a run that diverged).
    pub final_accuracy: Vec<f64>,
    pub diverged: Vec<bool>,
}

pub fn dying(cfg: &DyingConfig, train: &Dataset, test: &Dataset, seed: u64) -> Vec<DyingRun> {
    let probe = test.x.slice(ndarray::s![..cfg.probe.min(test.len()), ..]);
    let acts = activations();
    let jobs: Vec<(usize, usize)> = (0..acts.len())
        .flat_map(|a| (0..cfg.seeds).map(move |s| (a, s)))
        .collect();
    let results: Vec<(UnitCount, UnitCount, f64, bool)> = jobs
        .par_iter()
        .map(|&(a, s)| {
            let spec = cfg
                .net
                .spec(train)
                .with_activation(acts[a])
                .with_init(Init::HeNormal);
            let mut r = rng_stream(derive_seed(seed, "dying init"), s as u64);
            let mut mlp = Mlp::new(&spec, &mut r);
            let before = count_units(&mlp, probe);
            let mut opt = cfg.net.optimizer();
            let order = derive_seed(seed, &format!("dying order {s}"));
            let tc = cfg.net.train_config(order);
            let h = fit(&mut mlp, &mut opt, train, None, &tc, &mut ());
            let after = count_units(&mlp, probe);
            let diverged = h.diverged.is_some();
            let acc = h.test_accuracy(&mlp, test);
            (before, after, acc, diverged)
        })
        .collect();
    acts.iter()
        .enumerate()
        .map(|(a, act)| {
            let rs = &results[a * cfg.seeds..(a + 1) * cfg.seeds];
            DyingRun {
                activation: *act,
                hidden_units: cfg.net.hidden.iter().sum(),
                at_init: rs.iter().map(|r| r.0.clone()).collect(),
                trained: rs.iter().map(|r| r.1.clone()).collect(),
                final_accuracy: rs.iter().map(|r| r.2).collect(),
                diverged: rs.iter().map(|r| r.3).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::MlpSpec;
    use ndarray::array;

    /// A unit whose bias pushes z below 0 for every input is dead for ReLU, inactive but alive
    /// for leaky ReLU.
    #[test]
    fn counts_a_unit_pushed_below_zero() {
        for (act, dead) in [
            (Activation::Relu, 1),
            (Activation::LeakyRelu { alpha: 0.01 }, 0),
        ] {
            let spec = MlpSpec::relu(&[2, 3, 1]).with_activation(act);
            let mut mlp = Mlp::new(&spec, &mut lab::rng::rng(1));
            mlp.layers[0].b[1] = -100.0;
            let x = array![[0.5f32, -0.2], [1.0, 1.0], [-1.0, 0.3]];
            let c = count_units(&mlp, x.view());
            assert_eq!(c.dead, vec![dead], "{}", act.name());
            assert!(c.inactive[0] >= 1);
        }
    }
}
