//! Experiment 4: does the initialisation matter for training?
//!
//! Two comparisons trained the same way ([`compare`]), and one illustration:
//! - He et al.'s Fig. 3 on Fashion-MNIST: a 30-layer ReLU net, He against Xavier (Glorot);
//! - Glorot & Bengio's Table 1: 5-layer tanh and sigmoid nets, the old U(±1/√n) heuristic
//!   against their normalised initialisation;
//! - HOML's 100-layer test, ReLU + He against SELU + LeCun, one seed ([`train_one`]).

use ndarray::Axis;
use serde::{Deserialize, Serialize};

use lab::data::{Dataset, Splits};
use lab::rng::{derive_seed, rng};
use lab::train::{History, Observer, Recipe, TrainConfig, fit};
use lab::tune::{LrChoice, Protocol, Score};
use lab::{Activation, Init, Mlp};

use crate::diagnostics::{Diagnose, Snapshot};

/// The output layer's weights are drawn like every other layer's, then multiplied by this:
/// the initial logits are then small, so every net starts at a loss near ln 10 (chance), not
/// at a confident wrong guess (the unscaled 30-layer He net started at 4.2 nats).
pub const OUTPUT_GAIN: f32 = 0.1;

/// Steps at which the first seed's runs are diagnosed, layer by layer.
pub const DIAGNOSE_AT: [usize; 4] = [0, 10, 100, 1000];

/// Rows of the training set the diagnostics measure activations on.
const PROBE_ROWS: usize = 512;

/// Steps per point of the smoothed loss curves.
pub const SMOOTHING: usize = 20;

/// An activation and an initialisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub activation: Activation,
    pub init: Init,
}

impl Condition {
    pub const fn new(activation: Activation, init: Init) -> Self {
        Condition { activation, init }
    }
    /// "ReLU + He normal".
    pub fn label(&self) -> String {
        format!("{} + {}", self.activation.name(), self.init.name())
    }
}

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainRun {
    pub seed: u64,
    /// Per epoch: training loss and accuracy, validation loss and accuracy (epoch 0 =
    /// before training). The per-step losses are dropped once smoothed.
    pub history: History,
    /// Mean training loss over each window of [`SMOOTHING`] steps.
    pub smoothed_steps: Vec<f64>,
    pub test_accuracy: f64,
    /// Layer-by-layer snapshots at [`DIAGNOSE_AT`] (the first seed only).
    pub diagnostics: Vec<Snapshot>,
}

impl TrainRun {
    pub fn initial_loss(&self) -> f64 {
        self.history.epochs[0].train_loss
    }
    /// The last epoch's mean training loss; NaN if the run diverged.
    pub fn final_loss(&self) -> f64 {
        if self.history.diverged.is_some() {
            f64::NAN
        } else {
            self.history.last().train_loss
        }
    }
    /// Validation accuracy after each epoch.
    pub fn val_curve(&self) -> Vec<f64> {
        self.history.epochs.iter().map(|e| e.val_accuracy).collect()
    }
}

/// One condition of a comparison: the rate it chose and its runs, one per seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConditionRuns {
    pub condition: Condition,
    pub lr: LrChoice,
    pub runs: Vec<TrainRun>,
}

impl ConditionRuns {
    pub fn test_accuracies(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.test_accuracy).collect()
    }
    pub fn final_losses(&self) -> Vec<f64> {
        self.runs.iter().map(TrainRun::final_loss).collect()
    }
    /// Mean over seeds of the validation accuracy after each epoch.
    pub fn mean_val_curve(&self) -> Vec<f64> {
        let curves: Vec<Vec<f64>> = self.runs.iter().map(TrainRun::val_curve).collect();
        let epochs = curves.iter().map(Vec::len).min().unwrap_or(0);
        (0..epochs)
            .map(|e| curves.iter().map(|c| c[e]).sum::<f64>() / curves.len() as f64)
            .collect()
    }
}

/// A condition trained once, at its recipe's rate: an illustration, not a comparison.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SingleRun {
    pub condition: Condition,
    pub lr: f64,
    pub run: TrainRun,
}

/// Multiply the output layer's weights by `gain` (see [`OUTPUT_GAIN`]).
pub fn scale_output_layer(model: &mut Mlp, gain: f32) {
    let last = model.layers.last_mut().expect("an MLP has an output layer");
    last.w *= gain;
}

// ANCHOR: train_one
/// Train `net` with `condition` at learning rate `lr` for `epochs` on `splits` (validation
/// scored every epoch), drawing weights and batch order from `seed`; diagnose the layers if
/// `diagnose`.
pub fn train_one(
    net: &Recipe,
    condition: Condition,
    lr: f64,
    epochs: usize,
    splits: &Splits,
    seed: u64,
    diagnose: bool,
) -> TrainRun {
    let spec = net
        .spec(&splits.train)
        .with_activation(condition.activation)
        .with_init(condition.init);
    let mut model = Mlp::new(&spec, &mut rng(derive_seed(seed, "weights")));
    scale_output_layer(&mut model, OUTPUT_GAIN);
    let mut opt = net.optimizer_at(lr as f32);
    let cfg = TrainConfig {
        epochs,
        record_steps: true,
        ..net.train_config(seed)
    };
    let mut diag = diagnose.then(|| Diagnose::new(probe(&splits.train), &DIAGNOSE_AT));
    let observer: &mut dyn Observer<Mlp> = match diag.as_mut() {
        Some(d) => d,
        None => &mut (),
    };
    let mut history = fit(
        &mut model,
        &mut opt,
        &splits.train,
        Some(&splits.validation),
        &cfg,
        observer,
    );
    let smoothed_steps = history.smoothed_step_losses(SMOOTHING);
    history.step_losses.clear();
    TrainRun {
        seed,
        test_accuracy: history.test_accuracy(&model, &splits.test),
        history,
        smoothed_steps,
        diagnostics: diag.map(|d| d.snapshots).unwrap_or_default(),
    }
}
// ANCHOR_END: train_one

/// The first rows of the training set, on which the diagnostics measure the activations.
fn probe(train: &Dataset) -> ndarray::Array2<f32> {
    let rows = PROBE_ROWS.min(train.len());
    train.x.slice_axis(Axis(0), (0..rows).into()).to_owned()
}

/// The seed of run `k` of a comparison.
pub fn run_seed(base: u64, k: usize) -> u64 {
    derive_seed(base, &format!("train seed {k}"))
}

// ANCHOR: compare
/// Train every condition on `net` by `protocol` ([`Protocol::run`]): the rate chosen per
/// condition on the validation split with the first seed, then every seed with it. The first
/// seed's runs are diagnosed. `tick` is called after each run.
pub fn compare(
    net: &Recipe,
    conditions: &[Condition],
    protocol: &Protocol,
    splits: &Splits,
    base_seed: u64,
    tick: &(dyn Fn() + Sync),
) -> Vec<ConditionRuns> {
    let tuned = protocol.run(
        conditions,
        net.epochs,
        |&condition, trial| {
            let seed = run_seed(base_seed, trial.seed);
            let diagnose = trial.seed == 0 && !trial.tuning;
            let run = train_one(
                net,
                condition,
                trial.lr,
                trial.epochs,
                splits,
                seed,
                diagnose,
            );
            tick();
            run
        },
        |run| Score::of(&run.history),
    );
    conditions
        .iter()
        .zip(tuned)
        .map(|(&condition, t)| ConditionRuns {
            condition,
            lr: t.lr,
            runs: t.runs,
        })
        .collect()
}
// ANCHOR_END: compare

#[cfg(test)]
mod tests {
    use super::*;
    use lab::SgdConfig;
    use lab::train::evaluate;

    /// A 30-layer He net on standardised-like inputs (N(0, 1) pixels, 10 classes).
    fn deep_net_and_data() -> (Mlp, Dataset) {
        let x = Init::Normal { std: 1.0 }.sample((512, 64), &mut rng(1));
        let y = (0..512).map(|i| i % 10).collect();
        let data = Dataset { x, y, classes: 10 };
        let net = Recipe::deep(30, 128, SgdConfig::plain(0.01), 1, 128);
        let model = Mlp::new(&net.spec(&data), &mut rng(2));
        (model, data)
    }

    /// With the output layer scaled by [`OUTPUT_GAIN`] the logits are about 0.1 × √2 ≈ 0.14
    /// wide, which moves the loss off ln 10 by about half their variance, 0.01 nats: 0.05
    /// allows for a last layer whose scale drifted 2× (experiment 5). Unscaled, the same net
    /// starts about a nat above chance, as the 30-layer net did before (4.2 nats).
    #[test]
    fn the_scaled_output_layer_starts_at_chance() {
        let (mut model, data) = deep_net_and_data();
        let unscaled = evaluate(&model, &data).0;
        scale_output_layer(&mut model, OUTPUT_GAIN);
        let scaled = evaluate(&model, &data).0;
        let ln10 = 10f64.ln();
        assert!((scaled - ln10).abs() < 0.05, "scaled: {scaled}");
        assert!(unscaled - ln10 > 0.3, "unscaled: {unscaled}");
    }

    #[test]
    fn compare_keeps_each_condition_and_its_seeds() {
        let (_, data) = deep_net_and_data();
        let splits = Splits {
            train: data.clone(),
            validation: data.clone(),
            test: data,
            scaler: lab::data::Standardizer {
                mean: 0.0,
                std: 1.0,
            },
        };
        let net = Recipe::deep(2, 16, SgdConfig::momentum(0.01, 0.9), 1, 128);
        let conditions = [
            Condition::new(Activation::Relu, Init::HeNormal),
            Condition::new(Activation::Tanh, Init::GlorotUniform),
        ];
        let protocol = Protocol {
            lr_grid: vec![0.01, 0.1],
            tune_epochs: 1,
            seeds: 3,
        };
        let ticks = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let out = compare(&net, &conditions, &protocol, &splits, 7, &tick);
        assert_eq!(ticks.into_inner(), protocol.jobs(2));
        for (c, runs) in conditions.iter().zip(&out) {
            assert_eq!(runs.condition, *c);
            assert_eq!(runs.lr.scores.len(), 2);
            let seeds: Vec<u64> = runs.runs.iter().map(|r| r.seed).collect();
            assert_eq!(seeds, (0..3).map(|k| run_seed(7, k)).collect::<Vec<_>>());
            // Only the first seed is diagnosed, at every step of DIAGNOSE_AT it reached (4
            // steps: 0 only).
            assert_eq!(runs.runs[0].diagnostics.len(), 1);
            assert!(runs.runs[1].diagnostics.is_empty());
        }
    }
}
