//! Experiments 1 and 2: HOML's 3×100 He-initialised ReLU MLP on Fashion-MNIST, trained once per
//! (bias init, seed), counting dead ReLU units along the way.
//!
//! The runs of one seed share everything but the biases: the same weights, the same batch order.
//! The biases come from their own generator, so the inits are compared *paired*, seed by seed.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use book_pipeline::plot::{BookColor, RGBColor, palette};
use lab::data::Dataset;
use lab::layer::Mlp;
use lab::rng::{derive_seed, rng};
use lab::stats::{Equivalence, Paired, mean, std};
use lab::train::{EpochRecord, Observer, evaluate, fit};
use lab::{Init, Recipe};

// ANCHOR: bias_inits
/// A bias initialisation, applied to every layer (hidden and output).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum BiasInit {
    /// Keras's default (and Glorot & Bengio's).
    Zero,
    /// A constant, e.g. 0.01 (CS231n's "small positive" ReLU bias) or −1.
    Constant(f32),
    /// U(±1/√n_in): PyTorch's `nn.Linear` default.
    PyTorch,
    /// N(0, 2/n_in): the same distribution as the He-normal weights.
    LikeWeights,
}

/// One colour per bias init in every figure of the chapter (Okabe–Ito); PyTorch's default keeps
/// the book-wide colour of U(±1/√n_in), its distribution.
impl BookColor for BiasInit {
    fn book_color(&self) -> Option<RGBColor> {
        match *self {
            BiasInit::Zero => Some(palette::REDDISH_PURPLE),
            BiasInit::Constant(0.01) => Some(palette::SKY_BLUE),
            BiasInit::Constant(0.1) => Some(palette::BLUISH_GREEN),
            BiasInit::Constant(-1.0) => Some(palette::VERMILLION),
            BiasInit::Constant(_) => None,
            BiasInit::PyTorch => self.init().book_color(),
            BiasInit::LikeWeights => Some(palette::BLUE),
        }
    }
}

impl BiasInit {
    /// The distribution, in `lab::Init` terms (drawn with the layer's fan-in).
    pub fn init(self) -> Init {
        match self {
            BiasInit::Zero => Init::Zeros,
            BiasInit::Constant(c) => Init::Constant(c),
            BiasInit::PyTorch => Init::OldUniform,
            BiasInit::LikeWeights => Init::HeNormal,
        }
    }

    /// Short label for tables and legends.
    pub fn label(self) -> String {
        match self {
            BiasInit::Zero => "b = 0".into(),
            BiasInit::Constant(c) if c < 0.0 => format!("b = −{}", -c),
            BiasInit::Constant(c) => format!("b = {c}"),
            BiasInit::PyTorch => "U(±1/√n_in)".into(),
            BiasInit::LikeWeights => "N(0, 2/n_in)".into(),
        }
    }
}
// ANCHOR_END: bias_inits

// ANCHOR: set_biases
/// Redraw every layer's bias from `init`, with its own generator (the weights are
/// untouched).
pub fn set_biases(model: &mut Mlp, init: BiasInit, seed: u64) {
    let mut r = rng(derive_seed(seed, "biases"));
    for layer in &mut model.layers {
        let shape = (layer.n_in(), layer.n_out());
        layer.b = init.init().sample(shape, &mut r).row(0).to_owned();
    }
}
// ANCHOR_END: set_biases

// ANCHOR: dead_units
/// Dead ReLU units per hidden layer: units whose output is 0 for every row of
/// `x: (B, n_in)`, i.e. whose pre-activation `z = x·W + b` is ≤ 0 on the whole batch.
pub fn dead_units(model: &Mlp, x: ArrayView2<f32>) -> Vec<usize> {
    let hidden = &model.layers[..model.layers.len() - 1];
    let mut a: Array2<f32> = x.to_owned();
    let mut dead = Vec::with_capacity(hidden.len());
    for layer in hidden {
        let z = layer.forward(a.view());
        dead.push(
            z.columns()
                .into_iter()
                .filter(|c| c.iter().all(|&v| v <= 0.0))
                .count(),
        );
        a = model.activation.forward(z.view());
    }
    dead
}
// ANCHOR_END: dead_units

/// Counts dead units on a fixed batch after every epoch.
struct DeadCounter<'a> {
    probe: ArrayView2<'a, f32>,
    per_epoch: Vec<Vec<usize>>,
}

impl Observer for DeadCounter<'_> {
    fn after_epoch(&mut self, _epoch: usize, model: &Mlp) {
        self.per_epoch.push(dead_units(model, self.probe));
    }
}

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub bias: BiasInit,
    pub seed_index: usize,
    /// Test accuracy after each epoch (index 0: before training); NaN after a divergence.
    pub test_accuracy: Vec<f64>,
    /// Mean training loss of each epoch (index 0: the loss of the untrained net on the train
    /// set); NaN after a divergence.
    pub train_loss: Vec<f64>,
    pub final_test_loss: f64,
    /// Dead units per hidden layer, at init (index 0) and after each epoch.
    pub dead: Vec<Vec<usize>>,
    pub diverged: bool,
}

// ANCHOR: train_one
/// Train the net with biases from `bias`; `seed` fixes the weights and the batch
/// order, so two runs with the same seed differ only in their biases.
pub fn train_one(
    net: &Recipe,
    bias: BiasInit,
    seed_index: usize,
    seed: u64,
    data: (&Dataset, &Dataset),
    probe: ArrayView2<f32>,
) -> Run {
    let (train, test) = data;
    let spec = net.spec(train).with_init(Init::HeNormal);
    let mut model = Mlp::new(&spec, &mut rng(derive_seed(seed, "weights")));
    set_biases(&mut model, bias, seed);
    let mut opt = net.optimizer();
    let mut counter = DeadCounter {
        probe,
        per_epoch: vec![dead_units(&model, probe)],
    };
    let cfg = net.train_config(derive_seed(seed, "batches"));
    let history = fit(&mut model, &mut opt, train, Some(test), &cfg, &mut counter);
    // A run that diverges stops early: pad its curves with NaN to one value per epoch.
    let per_epoch = |f: fn(&EpochRecord) -> f64| {
        let mut v: Vec<f64> = history.epochs.iter().map(f).collect();
        v.resize(net.epochs + 1, f64::NAN);
        v
    };
    Run {
        bias,
        seed_index,
        test_accuracy: per_epoch(|e| e.val_accuracy),
        train_loss: per_epoch(|e| e.train_loss),
        final_test_loss: evaluate(&model, test).0,
        dead: counter.per_epoch,
        diverged: history.diverged.is_some(),
    }
}
// ANCHOR_END: train_one

// ANCHOR: equivalence
/// Each init's final test accuracy against b = 0's, paired by seed (same weights, same batches),
/// in points: the mean difference and the two one-sided tests of equivalence within ±`margin`.
pub fn against_zero(zero: &Summary, others: &[&Summary], margin: f64) -> Vec<Equivalence> {
    let points = |s: &Summary| s.accuracy.iter().map(|a| 100.0 * a).collect::<Vec<_>>();
    others
        .iter()
        .map(|s| Paired::new(&points(s), &points(zero)).equivalence(margin))
        .collect()
}
// ANCHOR_END: equivalence

/// Across-seed summary of one bias init.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub bias: BiasInit,
    /// Per seed, in seed order: the final test accuracy, the mean training loss of epoch 1, and
    /// the dead hidden units (all layers) after training (NaN for a run that diverged first).
    pub accuracy: Vec<f64>,
    pub epoch1_loss: Vec<f64>,
    pub dead_trained: Vec<f64>,
    /// Final test accuracy over seeds.
    pub accuracy_mean: f64,
    pub accuracy_std: f64,
    /// Mean training loss of epoch 1 over seeds.
    pub epoch1_loss_mean: f64,
    pub epoch1_loss_std: f64,
    /// Test loss after training, mean over seeds.
    pub final_test_loss_mean: f64,
    /// Final test accuracy minus that of b = 0 with the same seed: mean and std over seeds.
    pub paired_gain_mean: f64,
    pub paired_gain_std: f64,
    /// Epoch-1 training loss minus that of b = 0 with the same seed: mean and std over seeds.
    pub paired_loss1_mean: f64,
    pub paired_loss1_std: f64,
    /// Test accuracy per epoch, mean and std over seeds.
    pub curve_mean: Vec<f64>,
    pub curve_std: Vec<f64>,
    /// Mean training loss per epoch (index 0: untrained), mean over seeds.
    pub loss_curve_mean: Vec<f64>,
    /// Dead hidden units (all layers), mean over seeds, at init and after each epoch.
    pub dead_mean: Vec<f64>,
}

/// Summarise the runs of `bias`, pairing each seed with `b = 0`'s.
pub fn summarise(runs: &[Run], bias: BiasInit) -> Summary {
    let mine: Vec<&Run> = runs.iter().filter(|r| r.bias == bias).collect();
    let final_acc = |r: &Run| *r.test_accuracy.last().expect("epochs");
    let acc: Vec<f64> = mine.iter().map(|r| final_acc(r)).collect();
    let loss1: Vec<f64> = mine.iter().map(|r| r.train_loss[1]).collect();
    // Each run against the b = 0 run of the same seed (same weights, same batches).
    let paired = |f: &dyn Fn(&Run) -> f64| -> Vec<f64> {
        mine.iter()
            .filter_map(|r| {
                runs.iter()
                    .find(|z| z.bias == BiasInit::Zero && z.seed_index == r.seed_index)
                    .map(|z| f(r) - f(z))
            })
            .collect()
    };
    let gains = paired(&|r| final_acc(r));
    let loss1_diffs = paired(&|r| r.train_loss[1]);
    let epochs = mine[0].test_accuracy.len();
    let per_epoch = |f: &dyn Fn(&Run, usize) -> f64, e: usize| {
        let xs: Vec<f64> = mine.iter().map(|r| f(r, e)).collect();
        (mean(&xs), std(&xs))
    };
    let curve: Vec<(f64, f64)> = (0..epochs)
        .map(|e| per_epoch(&|r, e| r.test_accuracy[e], e))
        .collect();
    let loss_curve_mean = (0..epochs)
        .map(|e| per_epoch(&|r, e| r.train_loss[e], e).0)
        .collect();
    // Dead units are counted up to a divergence: average each epoch over the runs that got there.
    let dead_epochs = mine.iter().map(|r| r.dead.len()).max().unwrap_or(0);
    let dead_mean = (0..dead_epochs)
        .map(|e| {
            let counts: Vec<f64> = mine
                .iter()
                .filter_map(|r| r.dead.get(e))
                .map(|d| d.iter().sum::<usize>() as f64)
                .collect();
            mean(&counts)
        })
        .collect();
    let dead_trained = mine
        .iter()
        .map(|r| {
            r.dead
                .get(r.test_accuracy.len() - 1)
                .map_or(f64::NAN, |d| d.iter().sum::<usize>() as f64)
        })
        .collect();
    let final_test_loss: Vec<f64> = mine.iter().map(|r| r.final_test_loss).collect();
    Summary {
        bias,
        accuracy_mean: mean(&acc),
        accuracy_std: std(&acc),
        epoch1_loss_mean: mean(&loss1),
        epoch1_loss_std: std(&loss1),
        final_test_loss_mean: mean(&final_test_loss),
        paired_gain_mean: mean(&gains),
        paired_gain_std: std(&gains),
        paired_loss1_mean: mean(&loss1_diffs),
        paired_loss1_std: std(&loss1_diffs),
        accuracy: acc,
        epoch1_loss: loss1,
        dead_trained,
        curve_mean: curve.iter().map(|c| c.0).collect(),
        curve_std: curve.iter().map(|c| c.1).collect(),
        loss_curve_mean,
        dead_mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::MlpSpec;
    use ndarray::array;

    #[test]
    fn dead_units_are_counted_per_layer() {
        // 2 inputs → 3 hidden → 2 hidden → 1 output.
        let spec = MlpSpec::relu(&[2, 3, 2, 1]);
        let mut m = Mlp::new(&spec, &mut rng(1));
        // Layer 1: unit 0 sees x0 (alive), unit 1 sees −|big| (dead), unit 2 is alive only for
        // the second row.
        m.layers[0].w = array![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        m.layers[0].b = array![0.5, -1.0, -0.5];
        // Layer 2: unit 0 is fed only by dead unit 1 (dead), unit 1 by unit 0 (alive).
        m.layers[1].w = array![[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]];
        m.layers[1].b = array![0.0, 0.0];
        let x = array![[1.0, 0.0], [1.0, 1.0]];
        assert_eq!(dead_units(&m, x.view()), vec![1, 1]);
    }

    #[test]
    fn biases_change_but_weights_do_not() {
        let spec = MlpSpec::relu(&[5, 4, 3]);
        let base = Mlp::new(&spec, &mut rng(3));
        for bias in [
            BiasInit::Constant(-1.0),
            BiasInit::PyTorch,
            BiasInit::LikeWeights,
        ] {
            let mut m = base.clone();
            set_biases(&mut m, bias, 9);
            for (a, b) in m.layers.iter().zip(&base.layers) {
                assert_eq!(a.w, b.w);
            }
            match bias {
                BiasInit::Constant(c) => assert!(m.layers[0].b.iter().all(|&v| v == c)),
                BiasInit::PyTorch => {
                    // U(±1/√5) for the first layer (fan-in 5), U(±1/2) for the second.
                    let lim = 1.0 / 5f32.sqrt();
                    assert!(m.layers[0].b.iter().all(|v| v.abs() <= lim));
                    assert!(m.layers[1].b.iter().all(|v| v.abs() <= 0.5));
                }
                _ => assert!(m.layers[0].b.iter().any(|&v| v != 0.0)),
            }
        }
    }
}
