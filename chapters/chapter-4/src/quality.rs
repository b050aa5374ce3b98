//! Experiment 3: the same deep MLP on Fashion-MNIST with every hidden activation, each at the
//! learning rate it chose on a validation split, several seeds; then a deeper net for ReLU and
//! the smooth activations said to pay off "in deeper models".

use serde::{Deserialize, Serialize};

use book_pipeline::plot::{BookColor, RGBColor};
use book_pipeline::progress::Progress;
use lab::data::Splits;
use lab::rng::{derive_seed, rng_stream};
use lab::stats::{mean, median, std};
use lab::train::{History, Model, fit};
use lab::tune::{LrChoice, Protocol, Score, Trial};
use lab::{Activation, Init, Mlp, Recipe, SgdConfig};

use crate::nets::GluNet;

/// The nets and how they are trained (the same for every activation).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityConfig {
    /// Fashion-MNIST training images (stratified) and the validation split held out of the
    /// rest; the test set is all 10,000.
    pub train_samples: usize,
    pub validation_samples: usize,
    /// Units of every hidden layer of both nets (the GELU paper's MNIST net is 8 × 128).
    pub width: usize,
    /// The main net: its depth and training; the protocol replaces the rate in `sgd`.
    pub net: Stack,
    /// The size axis: a deeper net, for [`deeper_candidates`].
    pub deeper: Stack,
    pub protocol: Protocol,
    /// "Epochs to reach" this validation accuracy are reported.
    pub target_accuracy: f64,
}

/// A stack of hidden layers of the config's width, and how it trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    pub depth: usize,
    pub sgd: SgdConfig,
    pub epochs: usize,
    pub batch: usize,
}

impl QualityConfig {
    /// The main net's recipe: `net.depth` layers of `width`.
    pub fn net(&self) -> Recipe {
        self.recipe(&self.net)
    }
    /// The deeper net's recipe.
    pub fn deeper(&self) -> Recipe {
        self.recipe(&self.deeper)
    }
    fn recipe(&self, s: &Stack) -> Recipe {
        Recipe::deep(s.depth, self.width, s.sgd, s.epochs, s.batch)
    }
}

// ANCHOR: candidates
/// A hidden-layer choice: an activation with the initialisation made for it, or a GLU stack.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Hidden {
    Plain {
        activation: Activation,
        init: Init,
    },
    /// Gated linear units `(h·W) ⊙ g(h·V)` with `g = gate` (σ: Dauphin et al.'s GLU), at 2/3 of
    /// the width so that the parameter count matches the plain net's (as Shazeer 2020 does).
    Glu {
        gate: Activation,
    },
}

impl Hidden {
    pub fn name(&self) -> String {
        match self {
            Hidden::Plain { activation, .. } => activation.name(),
            Hidden::Glu {
                gate: Activation::Sigmoid,
            } => "GLU".into(),
            Hidden::Glu {
                gate: Activation::Swish,
            } => "SwiGLU".into(),
            Hidden::Glu { gate } => format!("GLU ({})", gate.name()),
        }
    }
    pub fn init_name(&self) -> String {
        match self {
            Hidden::Plain { init, .. } => init.name(),
            Hidden::Glu { .. } => "variance-preserving (see text)".into(),
        }
    }
}

/// sigmoid and tanh get Glorot's init, SELU LeCun's (and the standardised inputs it assumes),
/// the ReLU family and its smooth cousins He's.
pub fn candidates() -> Vec<Hidden> {
    use Activation::*;
    let plain = |activation, init| Hidden::Plain { activation, init };
    vec![
        plain(Sigmoid, Init::GlorotNormal),
        plain(Tanh, Init::GlorotNormal),
        plain(Relu, Init::HeNormal),
        plain(LeakyRelu { alpha: 0.01 }, Init::HeNormal),
        plain(LeakyRelu { alpha: 0.2 }, Init::HeNormal),
        plain(Elu { alpha: 1.0 }, Init::HeNormal),
        plain(Selu, Init::LeCunNormal),
        plain(Gelu, Init::HeNormal),
        plain(Swish, Init::HeNormal),
        plain(Mish, Init::HeNormal),
        Hidden::Glu { gate: Sigmoid },
    ]
}

/// ReLU and the smooth activations said to pay off in deeper models (Ramachandran et al.
/// 2017; Hendrycks & Gimpel 2016; Misra 2019), for the deeper net.
pub fn deeper_candidates() -> Vec<Hidden> {
    candidates()
        .into_iter()
        .filter(|h| {
            matches!(
                h.activation(),
                Some(Activation::Relu | Activation::Gelu | Activation::Swish | Activation::Mish)
            )
        })
        .collect()
}
// ANCHOR_END: candidates

/// One hidden choice on one net, over all seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityRun {
    pub hidden: Hidden,
    /// Hidden layers of the net, and the epochs each seed trained.
    pub depth: usize,
    pub epochs: usize,
    pub n_params: usize,
    /// The rate the protocol kept, and every rate's validation score.
    pub lr: LrChoice,
    /// One training history per seed, scored on the validation split after each epoch.
    pub curves: Vec<History>,
    /// Final test accuracy per seed (chance, 0.1, for a run that diverged), and its mean and
    /// std over seeds.
    pub test_accuracy: Vec<f64>,
    pub final_mean: f64,
    pub final_std: f64,
    /// Validation accuracy averaged over epochs 1..=E and seeds: the area under the learning
    /// curve.
    pub mean_over_epochs: f64,
    /// First epoch reaching the target validation accuracy, per seed (None: never).
    pub epochs_to_target: Vec<Option<usize>>,
    pub timings: QualityTimings,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityTimings {
    /// Median wall time of one training epoch over seeds and epochs (runs share 2 cores).
    pub epoch_seconds: f64,
}

// ANCHOR: train
/// What one run of a candidate leaves: its history (validation scored every epoch), the net's
/// parameter count, and its test accuracy.
pub struct CandidateRun {
    pub history: History,
    pub n_params: usize,
    pub test_accuracy: f64,
}

/// Train `net` with hidden layers `h` at the trial's rate (weights from stream `trial.seed` of
/// the seed) through lab's loop: the same loop, optimiser and clock for every candidate.
fn train_candidate(
    h: Hidden,
    net: &Recipe,
    splits: &Splits,
    seed: u64,
    trial: Trial,
) -> CandidateRun {
    fn run<M: Model>(
        mut model: M,
        net: &Recipe,
        splits: &Splits,
        order: u64,
        trial: Trial,
    ) -> (History, f64) {
        let mut opt = net.optimizer_at(trial.lr as f32);
        let tc = lab::TrainConfig {
            epochs: trial.epochs,
            ..net.train_config(order)
        };
        let history = fit(
            &mut model,
            &mut opt,
            &splits.train,
            Some(&splits.validation),
            &tc,
            &mut (),
        );
        let test = if trial.tuning {
            f64::NAN
        } else {
            history.test_accuracy(&model, &splits.test)
        };
        (history, test)
    }
    let mut r = rng_stream(derive_seed(seed, "quality init"), trial.seed as u64);
    let order = derive_seed(seed, &format!("quality order {}", trial.seed));
    let (history, test_accuracy, n_params) = match h {
        Hidden::Plain { activation, init } => {
            let spec = net
                .spec(&splits.train)
                .with_activation(activation)
                .with_init(init);
            let model = Mlp::new(&spec, &mut r);
            let n_params = model.n_params();
            let (history, test) = run(model, net, splits, order, trial);
            (history, test, n_params)
        }
        Hidden::Glu { gate } => {
            let glu = Recipe {
                hidden: vec![(2 * net.width()).div_ceil(3); net.depth()],
                ..net.clone()
            };
            let model = GluNet::new(&glu.sizes(&splits.train), gate, &mut r);
            let n_params = model.n_params();
            let (history, test) = run(model, net, splits, order, trial);
            (history, test, n_params)
        }
    };
    CandidateRun {
        history,
        n_params,
        // A diverged run scores chance, so that it counts against its activation.
        test_accuracy: if test_accuracy.is_nan() {
            0.1
        } else {
            test_accuracy
        },
    }
}
// ANCHOR_END: train

/// Validation accuracy averaged over epochs 1..=`epochs`: the area under the learning curve, a
/// measure of how fast the net learns (chance, 0.1, for the epochs a diverged run did not
/// finish).
pub fn area_under_curve(c: &History, epochs: usize) -> f64 {
    let accs: Vec<f64> = (1..=epochs)
        .map(|e| c.epochs.get(e).map_or(0.1, |x| x.val_accuracy))
        .collect();
    mean(&accs)
}

impl QualityRun {
    /// Per seed, in points: the final test accuracy and the area under the learning curve.
    pub fn final_points(&self) -> Vec<f64> {
        self.test_accuracy.iter().map(|a| 100.0 * a).collect()
    }
    pub fn area_points(&self) -> Vec<f64> {
        self.curves
            .iter()
            .map(|c| 100.0 * area_under_curve(c, self.epochs))
            .collect()
    }
}

/// Every candidate of `cands` on `net` by the protocol (the runs of each phase in parallel).
pub fn quality_on(
    cands: &[Hidden],
    net: &Recipe,
    cfg: &QualityConfig,
    splits: &Splits,
    seed: u64,
    progress: &Progress,
    label: &str,
) -> Vec<QualityRun> {
    let bar = progress.bar(cfg.protocol.jobs(cands.len()) as u64, label);
    let tuned = cfg.protocol.run(
        cands,
        net.epochs,
        |&h, trial| {
            let run = train_candidate(h, net, splits, seed, trial);
            bar.inc(1);
            run
        },
        |run| Score::of(&run.history),
    );
    bar.finish();
    cands
        .iter()
        .zip(tuned)
        .map(|(h, t)| {
            let curves: Vec<History> = t.runs.iter().map(|r| r.history.clone()).collect();
            let test_accuracy: Vec<f64> = t.runs.iter().map(|r| r.test_accuracy).collect();
            let auc: Vec<f64> = curves
                .iter()
                .map(|c| area_under_curve(c, net.epochs))
                .collect();
            let secs: Vec<f64> = curves
                .iter()
                .flat_map(|c| c.epoch_seconds.iter().copied())
                .collect();
            QualityRun {
                hidden: *h,
                depth: net.depth(),
                epochs: net.epochs,
                n_params: t.runs[0].n_params,
                lr: t.lr,
                final_mean: mean(&test_accuracy),
                final_std: std(&test_accuracy),
                test_accuracy,
                mean_over_epochs: mean(&auc),
                epochs_to_target: curves
                    .iter()
                    .map(|c| {
                        c.epochs
                            .iter()
                            .find(|e| e.val_accuracy >= cfg.target_accuracy)
                            .map(|e| e.epoch)
                    })
                    .collect(),
                curves,
                timings: QualityTimings {
                    epoch_seconds: median(&secs),
                },
            }
        })
        .collect()
}

/// The two nets: every candidate on `cfg.net`, then [`deeper_candidates`] on `cfg.deeper`.
pub fn quality(
    cfg: &QualityConfig,
    splits: &Splits,
    seed: u64,
    progress: &Progress,
) -> (Vec<QualityRun>, Vec<QualityRun>) {
    let main = quality_on(
        &candidates(),
        &cfg.net(),
        cfg,
        splits,
        seed,
        progress,
        "3 quality",
    );
    let deeper = quality_on(
        &deeper_candidates(),
        &cfg.deeper(),
        cfg,
        splits,
        seed,
        progress,
        "3 quality, deeper",
    );
    (main, deeper)
}

impl Hidden {
    /// The ReLU family and the smooth variants (and GLU): what "within a few points of each
    /// other" is about; the saturating sigmoid and tanh are not.
    pub fn is_modern(&self) -> bool {
        !matches!(
            self,
            Hidden::Plain {
                activation: Activation::Sigmoid | Activation::Tanh,
                ..
            }
        )
    }
    /// The plain activation, if it is one.
    pub fn activation(&self) -> Option<Activation> {
        match *self {
            Hidden::Plain { activation, .. } => Some(activation),
            Hidden::Glu { .. } => None,
        }
    }
}

/// A plain activation has its book-wide colour; GLU takes the figure's next.
impl BookColor for Hidden {
    fn book_color(&self) -> Option<RGBColor> {
        self.activation().and_then(|a| a.book_color())
    }
}
