//! Experiment 4: units that die during training at a deliberately high learning rate, against
//! the same nets (same weights, same batches) trained at a control rate five times lower.
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
    /// The quality experiment's net, its learning rate deliberately high (five times the
    /// control's).
    pub net: Recipe,
    /// The control: the same runs at this learning rate (the one ReLU's tuning keeps in the
    /// quality experiment, under the book's seed).
    pub control_lr: f32,
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
/// Per hidden layer, per unit: dead (f′(z) = 0 on every row of the probe) and inactive (z ≤ 0
/// on every row).
#[derive(Clone, Debug, PartialEq)]
pub struct Silence {
    pub dead: Vec<Vec<bool>>,
    pub inactive: Vec<Vec<bool>>,
}

pub fn silent_units(mlp: &Mlp, x: ArrayView2<f32>) -> Silence {
    let hidden = &mlp.layers[..mlp.layers.len() - 1];
    let (mut dead, mut inactive) = (Vec::new(), Vec::new());
    let mut a = x.to_owned();
    for layer in hidden {
        let z = layer.forward(a.view()); // (probe, width)
        let silent = |test: &dyn Fn(f32) -> bool| -> Vec<bool> {
            z.axis_iter(Axis(1))
                .map(|col| col.iter().all(|&v| test(v)))
                .collect()
        };
        dead.push(silent(&|v| mlp.activation.df(v) == 0.0));
        inactive.push(silent(&|v| v <= 0.0));
        a = mlp.activation.forward(z.view());
    }
    Silence { dead, inactive }
}

impl Silence {
    pub fn count(&self) -> UnitCount {
        let per_layer =
            |m: &[Vec<bool>]| m.iter().map(|l| l.iter().filter(|&&d| d).count()).collect();
        UnitCount {
            dead: per_layer(&self.dead),
            inactive: per_layer(&self.inactive),
        }
    }
    /// Units dead now that were alive in `before` (the same net, earlier): the ones that died.
    pub fn died_since(&self, before: &Silence) -> usize {
        let pairs = self.dead.iter().flatten().zip(before.dead.iter().flatten());
        pairs.filter(|&(&now, &then)| now && !then).count()
    }
}

/// The share of hidden activations that are exactly 0 over the rows of `x`: the sparsity of the
/// representation (ReLU's zeros; leaky ReLU and ELU are 0 only where z is).
pub fn zero_share(mlp: &Mlp, x: ArrayView2<f32>) -> f64 {
    let (mut zeros, mut total) = (0usize, 0usize);
    let mut a = x.to_owned();
    for layer in &mlp.layers[..mlp.layers.len() - 1] {
        a = mlp.activation.forward(layer.forward(a.view()).view());
        zeros += a.iter().filter(|&&v| v == 0.0).count();
        total += a.len();
    }
    zeros as f64 / total as f64
}

// ANCHOR_END: dead_units

/// One trained net of the experiment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trained {
    pub units: UnitCount,
    /// Units alive at initialisation and dead after training.
    pub died: usize,
    /// Test accuracy (NaN for a run that diverged).
    pub accuracy: f64,
    pub diverged: bool,
    /// Share of the hidden activations exactly 0 on the probe (see [`zero_share`]).
    pub zero_share: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DyingRun {
    pub activation: Activation,
    pub hidden_units: usize,
    /// Per seed: counts at initialisation, then after training at the high rate and at the
    /// control rate (from the same initial weights, on the same batches).
    pub at_init: Vec<UnitCount>,
    pub trained: Vec<Trained>,
    pub control: Vec<Trained>,
}

impl DyingRun {
    pub fn diverged(&self) -> usize {
        self.trained.iter().filter(|t| t.diverged).count()
    }
}

pub fn dying(cfg: &DyingConfig, train: &Dataset, test: &Dataset, seed: u64) -> Vec<DyingRun> {
    let probe = test.x.slice(ndarray::s![..cfg.probe.min(test.len()), ..]);
    let acts = activations();
    let control = Recipe {
        sgd: lab::SgdConfig {
            lr: cfg.control_lr,
            ..cfg.net.sgd
        },
        ..cfg.net.clone()
    };
    let rates = [&cfg.net, &control];
    let jobs: Vec<(usize, usize, &Recipe)> = (0..acts.len())
        .flat_map(|a| (0..cfg.seeds).flat_map(move |s| rates.map(|net| (a, s, net))))
        .collect();
    let results: Vec<(UnitCount, Trained)> = jobs
        .par_iter()
        .map(|&(a, s, net)| {
            let spec = net
                .spec(train)
                .with_activation(acts[a])
                .with_init(Init::HeNormal);
            let mut r = rng_stream(derive_seed(seed, "dying init"), s as u64);
            let mut mlp = Mlp::new(&spec, &mut r);
            let before = silent_units(&mlp, probe);
            let mut opt = net.optimizer();
            let order = derive_seed(seed, &format!("dying order {s}"));
            let h = fit(
                &mut mlp,
                &mut opt,
                train,
                None,
                &net.train_config(order),
                &mut (),
            );
            let after = silent_units(&mlp, probe);
            let trained = Trained {
                units: after.count(),
                died: after.died_since(&before),
                accuracy: h.test_accuracy(&mlp, test),
                diverged: h.diverged.is_some(),
                zero_share: zero_share(&mlp, probe),
            };
            (before.count(), trained)
        })
        .collect();
    acts.iter()
        .enumerate()
        .map(|(a, act)| {
            let rs = &results[2 * a * cfg.seeds..2 * (a + 1) * cfg.seeds];
            DyingRun {
                activation: *act,
                hidden_units: cfg.net.hidden.iter().sum(),
                at_init: rs.iter().step_by(2).map(|r| r.0.clone()).collect(),
                trained: rs.iter().step_by(2).map(|r| r.1.clone()).collect(),
                control: rs.iter().skip(1).step_by(2).map(|r| r.1.clone()).collect(),
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
            let c = silent_units(&mlp, x.view()).count();
            assert_eq!(c.dead, vec![dead], "{}", act.name());
            assert!(c.inactive[0] >= 1);
        }
    }

    /// Only units alive before and dead after count as having died; one dead all along does not.
    #[test]
    fn died_counts_only_units_that_were_alive() {
        let before = Silence {
            dead: vec![vec![false, true, false], vec![false]],
            inactive: vec![vec![false; 3], vec![false]],
        };
        let after = Silence {
            dead: vec![vec![true, true, false], vec![true]],
            inactive: vec![vec![false; 3], vec![false]],
        };
        assert_eq!(after.died_since(&before), 2);
        assert_eq!(before.died_since(&after), 0);
        assert_eq!(after.count().dead, vec![2, 1]);
    }

    /// ReLU zeroes the negative half of a symmetric input; leaky ReLU zeroes nothing.
    #[test]
    fn zero_share_counts_exact_zeros_of_the_hidden_layers() {
        let x = array![[1.0f32, -1.0], [-2.0, 0.5]];
        for (act, want) in [
            (Activation::Relu, 0.5),
            (Activation::LeakyRelu { alpha: 0.01 }, 0.0),
        ] {
            let mut mlp = Mlp::new(
                &MlpSpec::relu(&[2, 2, 1]).with_activation(act),
                &mut lab::rng::rng(1),
            );
            mlp.layers[0].w.assign(&array![[1.0, 0.0], [0.0, 1.0]]);
            mlp.layers[0].b.fill(0.0);
            assert_eq!(zero_share(&mlp, x.view()), want, "{}", act.name());
        }
    }
}
