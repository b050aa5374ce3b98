//! Experiment 3: the same deep MLP on Fashion-MNIST with every hidden activation, several seeds.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::plot::{BookColor, RGBColor};
use book_pipeline::progress::Progress;
use lab::data::Dataset;
use lab::rng::{derive_seed, rng_stream};
use lab::stats::{mean, median, std};
use lab::train::{History, Model, fit};
use lab::{Activation, Init, Mlp, Recipe};

use crate::nets::GluNet;

/// The deep net and how it is trained (the same for every activation).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityConfig {
    /// Hidden layers of equal width (the GELU paper's MNIST net is 8 × 128) and their training.
    pub net: Recipe,
    pub seeds: usize,
    /// "Epochs to reach" this test accuracy are reported.
    pub target_accuracy: f64,
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
// ANCHOR_END: candidates

/// One hidden choice over all seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityRun {
    pub hidden: Hidden,
    pub n_params: usize,
    /// One training history per seed; its `val_*` columns are scored on the test set.
    pub curves: Vec<History>,
    /// Final test accuracy, mean and std over seeds.
    pub final_mean: f64,
    pub final_std: f64,
    /// Test accuracy averaged over epochs 1..=E and seeds: the area under the learning curve.
    pub mean_over_epochs: f64,
    /// First epoch reaching the target accuracy, per seed (None: never).
    pub epochs_to_target: Vec<Option<usize>>,
    pub timings: QualityTimings,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QualityTimings {
    /// Median wall time of one training epoch over seeds and epochs (runs share 2 cores).
    pub epoch_seconds: f64,
}

// ANCHOR: train
/// Train the net for `h` (its weights drawn from stream `s` of the seed) through lab's loop,
/// scoring the test set after every epoch: the same loop, optimiser and clock for every
/// candidate. Returns the history and the net's parameter count.
fn train_candidate(
    h: Hidden,
    cfg: &QualityConfig,
    train: &Dataset,
    test: &Dataset,
    seed: u64,
    s: usize,
) -> (History, usize) {
    fn run<M: Model>(
        mut net: M,
        cfg: &QualityConfig,
        data: (&Dataset, &Dataset),
        order: u64,
    ) -> History {
        let mut opt = cfg.net.optimizer();
        let tc = cfg.net.train_config(order);
        fit(&mut net, &mut opt, data.0, Some(data.1), &tc, &mut ())
    }
    let mut r = rng_stream(derive_seed(seed, "quality init"), s as u64);
    let order = derive_seed(seed, &format!("quality order {s}"));
    match h {
        Hidden::Plain { activation, init } => {
            let spec = cfg
                .net
                .spec(train)
                .with_activation(activation)
                .with_init(init);
            let net = Mlp::new(&spec, &mut r);
            let n_params = net.n_params();
            (run(net, cfg, (train, test), order), n_params)
        }
        Hidden::Glu { gate } => {
            let glu = Recipe {
                hidden: vec![(2 * cfg.net.width()).div_ceil(3); cfg.net.depth()],
                ..cfg.net.clone()
            };
            let net = GluNet::new(&glu.sizes(train), gate, &mut r);
            let n_params = net.n_params();
            (run(net, cfg, (train, test), order), n_params)
        }
    }
}
// ANCHOR_END: train

/// The test accuracy after the last epoch; chance (0.1) for a run that diverged.
pub fn final_accuracy(c: &History) -> f64 {
    if c.diverged.is_some() {
        0.1
    } else {
        c.last().val_accuracy
    }
}

/// Test accuracy averaged over epochs 1..=E: the area under the learning curve, a measure of how
/// fast the net learns.
pub fn area_under_curve(c: &History) -> f64 {
    let accs: Vec<f64> = c.epochs[1..].iter().map(|e| e.val_accuracy).collect();
    mean(&accs)
}

impl QualityRun {
    /// Per seed, in points: the final test accuracy and the area under the learning curve.
    pub fn final_points(&self) -> Vec<f64> {
        self.curves
            .iter()
            .map(|c| 100.0 * final_accuracy(c))
            .collect()
    }
    pub fn area_points(&self) -> Vec<f64> {
        self.curves
            .iter()
            .map(|c| 100.0 * area_under_curve(c))
            .collect()
    }
}

/// Every candidate × seed, in parallel (each run on its own seeded stream).
pub fn quality(
    cfg: &QualityConfig,
    train: &Dataset,
    test: &Dataset,
    seed: u64,
    progress: &Progress,
) -> Vec<QualityRun> {
    let cands = candidates();
    let jobs: Vec<(usize, usize)> = (0..cands.len())
        .flat_map(|c| (0..cfg.seeds).map(move |s| (c, s)))
        .collect();
    let bar = progress.bar(jobs.len() as u64, "3 quality");
    let results: Vec<(History, usize)> = jobs
        .par_iter()
        .map(|&(c, s)| {
            let run = train_candidate(cands[c], cfg, train, test, seed, s);
            bar.inc(1);
            run
        })
        .collect();
    bar.finish();
    cands
        .iter()
        .enumerate()
        .map(|(c, h)| {
            let runs = &results[c * cfg.seeds..(c + 1) * cfg.seeds];
            let curves: Vec<History> = runs.iter().map(|r| r.0.clone()).collect();
            let finals: Vec<f64> = curves.iter().map(final_accuracy).collect();
            let auc: Vec<f64> = curves.iter().map(area_under_curve).collect();
            let secs: Vec<f64> = curves
                .iter()
                .flat_map(|c| c.epoch_seconds.iter().copied())
                .collect();
            QualityRun {
                hidden: *h,
                n_params: runs[0].1,
                final_mean: mean(&finals),
                final_std: std(&finals),
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
