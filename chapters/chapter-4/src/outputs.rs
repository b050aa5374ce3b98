//! Experiment 6: output layers. One small task per output activation, each trained twice: with
//! the activation that fits the target, and with the plain alternative.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use lab::activation::sigmoid;
use lab::data::Dataset;
use lab::loss::{binary_cross_entropy, mse, softmax, softmax_cross_entropy};
use lab::metrics::{accuracy, ece};
use lab::rng::{Rng, derive_seed, rng, rng_stream};
use lab::train::{LossFn, TrainConfig, fit_with};
use lab::{Activation, Mlp, MlpSpec, Sgd, SgdConfig};

use crate::nets::one_vs_rest_bce;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputConfig {
    pub seeds: usize,
    /// Regression tasks: training points, epochs, test-grid points.
    pub reg_samples: usize,
    pub reg_epochs: usize,
    pub grid: usize,
    /// Classification tasks (Fashion-MNIST): training samples, epochs.
    pub cls_samples: usize,
    pub cls_epochs: usize,
    pub batch: usize,
    pub lr: f32,
    pub momentum: f32,
    /// Reliability bins for the ECE (Guo et al. 2017 use 15).
    pub ece_bins: usize,
}

// ANCHOR: targets
/// A positive target with most of its mass near zero: `y = e^(2(x−2))·e^(0.2ε)` with
/// ε ~ N(0, 1), on x ∈ [−3, 3] (below 0.14 for x < 1, below 0.02 for x < 0).
pub fn positive_target(x: f32) -> f32 {
    (2.0 * (x - 2.0)).exp()
}

/// A target in [−1, 1]: `y = clip(1.5·sin 2x, −1, 1)`.
pub fn bounded_target(x: f32) -> f32 {
    (1.5 * (2.0 * x).sin()).clamp(-1.0, 1.0)
}
// ANCHOR_END: targets

/// A regression fit evaluated on a grid of x over [−3, 3].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegressionFit {
    pub output: Activation,
    /// Fraction of grid predictions outside the target's range, and the extreme prediction
    /// (the minimum for the positive task, the largest |ŷ| for the bounded one).
    pub outside: f64,
    pub extreme: f64,
    pub rmse: f64,
    /// The predictions on the grid (kept for seed 0 only, for the figure).
    pub curve: Vec<f64>,
}

/// The output layer of a classification fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ClassOutput {
    /// One logit through a sigmoid, binary cross-entropy.
    Sigmoid,
    /// One linear output fitted to the 0/1 labels by MSE (a linear probability model).
    Linear,
    /// Softmax with cross-entropy.
    Softmax,
    /// One sigmoid per class, each with binary cross-entropy.
    IndependentSigmoids,
}

impl ClassOutput {
    pub fn name(self) -> &'static str {
        match self {
            ClassOutput::Sigmoid => "sigmoid",
            ClassOutput::Linear => "linear",
            ClassOutput::Softmax => "softmax",
            ClassOutput::IndependentSigmoids => "independent sigmoids",
        }
    }
}

/// A binary or multi-class fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassFit {
    pub output: ClassOutput,
    pub accuracy: f64,
    /// 15-bin expected calibration error of the probabilities (clipped to [0, 1], or for
    /// independent sigmoids normalised to sum to 1).
    pub ece: f64,
    /// Binary: fraction of outputs outside [0, 1]. Multi-class: mean |Σₖ pₖ − 1|.
    pub off: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutputsSeed {
    pub positive: Vec<RegressionFit>,
    pub bounded: Vec<RegressionFit>,
    pub binary: Vec<ClassFit>,
    pub exclusive: Vec<ClassFit>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outputs {
    pub grid: Vec<f64>,
    /// Training points of seed 0 for the two regression figures: (x, y).
    pub positive_train: Vec<(f64, f64)>,
    pub bounded_train: Vec<(f64, f64)>,
    pub seeds: Vec<OutputsSeed>,
}

fn grid(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| -3.0 + 6.0 * i as f32 / (n - 1) as f32)
        .collect()
}

fn column(v: &[f32]) -> Array2<f32> {
    Array2::from_shape_vec((v.len(), 1), v.to_vec()).expect("a column")
}

fn regression_data(cfg: &OutputConfig, positive: bool, seed: u64) -> (Array2<f32>, Array2<f32>) {
    let mut r = rng(seed);
    let xs: Vec<f32> = (0..cfg.reg_samples)
        .map(|_| r.random_range(-3.0f32..3.0))
        .collect();
    let ys: Vec<f32> = xs
        .iter()
        .map(|&x| {
            if positive {
                // Box–Muller for the log-normal noise.
                let (u, v): (f32, f32) = (r.random_range(1e-7..1.0), r.random());
                let eps = (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos();
                positive_target(x) * (0.2 * eps).exp()
            } else {
                bounded_target(x)
            }
        })
        .collect();
    (column(&xs), column(&ys))
}

fn small_net(n_in: usize, n_out: usize, output: Activation, seed: u64) -> Mlp {
    let spec = MlpSpec::relu(&[n_in, 32, 32, n_out]).with_output(output);
    Mlp::new(&spec, &mut rng_stream(seed, 0))
}

/// Train `net` through lab's loop on `loss(outputs, rows) → (mean loss, ∂L/∂outputs)`, where
/// `rows` index `data`, with SGD + momentum for `epochs` epochs (the order seeded by `seed`).
fn train_on<L>(net: &mut Mlp, data: &Dataset, loss: L, epochs: usize, cfg: &OutputConfig, seed: u64)
where
    L: Fn(ArrayView2<f32>, &[usize]) -> (f64, Array2<f32>) + Sync,
{
    let mut opt = Sgd::new(SgdConfig::momentum(cfg.lr, cfg.momentum));
    let tc = TrainConfig::new(epochs, cfg.batch, seed);
    let loss = LossFn(|out: ArrayView2<f32>, _: &Dataset, rows: &[usize]| {
        let (l, grad) = loss(out, rows);
        (l, grad, 0)
    });
    fit_with(net, &mut opt, data, None, &tc, &loss, &mut ());
}

// ANCHOR: regression
/// Fit `[1, 32, 32, 1]` ReLU nets with MSE, once per output activation, and score them on a grid.
fn regression(
    cfg: &OutputConfig,
    positive: bool,
    outputs: &[Activation],
    seed: u64,
) -> Vec<RegressionFit> {
    let (x, y) = regression_data(cfg, positive, derive_seed(seed, "data"));
    let inputs = Dataset::unlabelled(x);
    let g = grid(cfg.grid);
    let truth: Vec<f32> = g
        .iter()
        .map(|&x| {
            if positive {
                positive_target(x)
            } else {
                bounded_target(x)
            }
        })
        .collect();
    outputs
        .iter()
        .map(|&out| {
            let mut net = small_net(1, 1, out, derive_seed(seed, "init"));
            let loss =
                |pred: ArrayView2<f32>, idx: &[usize]| mse(pred, y.select(Axis(0), idx).view());
            train_on(&mut net, &inputs, loss, cfg.reg_epochs, cfg, seed);
            let pred: Vec<f64> = net
                .forward(column(&g).view())
                .iter()
                .map(|&p| f64::from(p))
                .collect();
            let outside = |p: f64| if positive { p < 0.0 } else { p.abs() > 1.0 };
            let n = pred.len() as f64;
            RegressionFit {
                output: out,
                outside: pred.iter().filter(|&&p| outside(p)).count() as f64 / n,
                extreme: if positive {
                    pred.iter().copied().fold(f64::INFINITY, f64::min)
                } else {
                    pred.iter().map(|p| p.abs()).fold(0.0, f64::max)
                },
                rmse: (pred
                    .iter()
                    .zip(&truth)
                    .map(|(p, &t)| (p - f64::from(t)).powi(2))
                    .sum::<f64>()
                    / n)
                    .sqrt(),
                curve: pred,
            }
        })
        .collect()
}
// ANCHOR_END: regression

/// T-shirt (class 0) against shirt (class 6): a sigmoid trained with binary cross-entropy, and a
/// linear output trained with MSE on the 0/1 labels (a "linear probability model").
fn binary(cfg: &OutputConfig, train: &Dataset, test: &Dataset, seed: u64) -> Vec<ClassFit> {
    let pick = |d: &Dataset| {
        let idx: Vec<usize> = (0..d.len())
            .filter(|&i| d.y[i] == 0 || d.y[i] == 6)
            .collect();
        let mut s = d.select(&idx);
        s.y.iter_mut().for_each(|y| *y = usize::from(*y == 6));
        s.classes = 2;
        s
    };
    let (tr, te) = (pick(train), pick(test));
    let t: Vec<f32> = tr.y.iter().map(|&y| y as f32).collect();
    let t_col = column(&t);
    let mut fits = Vec::new();
    for sigmoid_output in [true, false] {
        let mut net = small_net(
            tr.features(),
            1,
            Activation::Identity,
            derive_seed(seed, "binary"),
        );
        let loss = |out: ArrayView2<f32>, idx: &[usize]| {
            if sigmoid_output {
                let tb: Vec<f32> = idx.iter().map(|&i| t[i]).collect();
                binary_cross_entropy(out, &tb)
            } else {
                mse(out, t_col.select(Axis(0), idx).view())
            }
        };
        train_on(&mut net, &tr, loss, cfg.cls_epochs, cfg, seed);
        let out = net.forward(te.x.view());
        let p: Vec<f32> = out
            .iter()
            .map(|&z| if sigmoid_output { sigmoid(z) } else { z })
            .collect();
        let off = p.iter().filter(|&&p| !(0.0..=1.0).contains(&p)).count() as f64 / p.len() as f64;
        let probs = Array2::from_shape_fn((p.len(), 2), |(i, k)| {
            let q = p[i].clamp(0.0, 1.0);
            if k == 1 { q } else { 1.0 - q }
        });
        fits.push(ClassFit {
            output: if sigmoid_output {
                ClassOutput::Sigmoid
            } else {
                ClassOutput::Linear
            },
            accuracy: accuracy(probs.view(), &te.y),
            ece: ece(probs.view(), &te.y, cfg.ece_bins),
            off,
        });
    }
    fits
}

/// Ten exclusive classes: softmax with cross-entropy, and ten independent sigmoids each with
/// binary cross-entropy.
fn exclusive(cfg: &OutputConfig, train: &Dataset, test: &Dataset, seed: u64) -> Vec<ClassFit> {
    let mut fits = Vec::new();
    for use_softmax in [true, false] {
        let k = train.classes;
        let mut net = small_net(
            train.features(),
            k,
            Activation::Identity,
            derive_seed(seed, "exclusive"),
        );
        let loss = |out: ArrayView2<f32>, idx: &[usize]| {
            let y: Vec<usize> = idx.iter().map(|&i| train.y[i]).collect();
            if use_softmax {
                softmax_cross_entropy(out, &y)
            } else {
                one_vs_rest_bce(out, &y)
            }
        };
        train_on(&mut net, train, loss, cfg.cls_epochs, cfg, seed);
        let logits = net.forward(test.x.view());
        let (probs, off) = if use_softmax {
            let p = softmax(logits.view());
            let off = p
                .axis_iter(Axis(0))
                .map(|r| (f64::from(r.sum()) - 1.0).abs())
                .sum::<f64>();
            (p, off / test.len() as f64)
        } else {
            let mut p = logits.mapv(sigmoid);
            let mut off = 0.0;
            for mut row in p.axis_iter_mut(Axis(0)) {
                let s = row.sum();
                off += (f64::from(s) - 1.0).abs();
                row /= s;
            }
            (p, off / test.len() as f64)
        };
        fits.push(ClassFit {
            output: if use_softmax {
                ClassOutput::Softmax
            } else {
                ClassOutput::IndependentSigmoids
            },
            accuracy: accuracy(probs.view(), &test.y),
            ece: ece(probs.view(), &test.y, cfg.ece_bins),
            off,
        });
    }
    fits
}

pub fn outputs(cfg: &OutputConfig, train: &Dataset, test: &Dataset, seed: u64) -> Outputs {
    let seeds: Vec<OutputsSeed> = (0..cfg.seeds)
        .into_par_iter()
        .map(|s| {
            let ss = derive_seed(seed, &format!("outputs {s}"));
            let sub = train.stratified_subset(cfg.cls_samples, ss);
            let mut seed_run = OutputsSeed {
                positive: regression(cfg, true, &[Activation::Identity, Activation::Softplus], ss),
                bounded: regression(cfg, false, &[Activation::Identity, Activation::Tanh], ss),
                binary: binary(cfg, &sub, test, ss),
                exclusive: exclusive(cfg, &sub, test, ss),
            };
            if s > 0 {
                for f in seed_run.positive.iter_mut().chain(&mut seed_run.bounded) {
                    f.curve.clear();
                }
            }
            seed_run
        })
        .collect();
    let points = |positive| {
        let ss = derive_seed(seed, "outputs 0");
        let (x, y) = regression_data(cfg, positive, derive_seed(ss, "data"));
        x.iter()
            .zip(&y)
            .map(|(&a, &b)| (f64::from(a), f64::from(b)))
            .collect()
    };
    Outputs {
        grid: grid(cfg.grid).iter().map(|&x| f64::from(x)).collect(),
        positive_train: points(true),
        bounded_train: points(false),
        seeds,
    }
}
