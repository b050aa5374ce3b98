//! Chapter 3: is it fine to initialise biases to zero?
//!
//! Three experiments, in two modules:
//! 1. [`sweep`]: HOML's 3×100 He-initialised ReLU MLP on Fashion-MNIST with five bias inits,
//!    several seeds each: is the spread between inits larger than the spread between seeds?
//! 2. [`sweep`] again: dead ReLU units at init and after training, for b = 0, +0.01 and −1;
//! 3. [`imbalance`]: on a 1:10 and a 1:100 one-vs-rest task, the output bias 0 against the log
//!    prior odds.
//!
//! The fourth question of the chapter (do random biases break the symmetry of constant weights?)
//! is measured in chapter 2 and argued on the page.

pub mod artifacts;
pub mod imbalance;
pub mod sweep;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use lab::chapter::Claim;
use lab::data::{Dataset, FASHION_CLASSES, Standardizer, fashion_mnist};
use lab::progress::Progress;
use lab::rng::derive_seed;

use imbalance::{Cell, Head, one_vs_rest, train_binary};
use sweep::{BiasInit, Net, Summary, spread_between_and_within, summarise, train_one};

/// The chapter, as the book pipeline sees it.
pub struct Chapter3;

// ANCHOR: config
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub seed: u64,
    /// Seeds per configuration (each seed fixes the weights and the batch order).
    pub seeds: usize,
    /// Stratified subsets of Fashion-MNIST's training and test sets.
    pub train_samples: usize,
    pub test_samples: usize,
    /// HOML's net (3×100, ReLU, He normal) and Keras's SGD defaults
    /// (learning rate 0.01, batch 32, no momentum).
    pub net: Net,
    /// Experiment 2: dead units are counted on this many training images.
    pub probe_samples: usize,
    /// Experiment 3: the positive class, the negatives per positive, the epochs.
    pub positive_class: usize,
    pub ratios: Vec<usize>,
    pub binary_epochs: usize,
    /// The inits are "within noise" when best − worst mean accuracy < this × the
    /// largest seed std: 2 on the full run (LITERATURE.md, Q3). The smoke run has
    /// 3 seeds, whose std is a rough estimate (±50%), and trains for 2 epochs on
    /// 2,000 images: it gets 3.
    pub noise_factor: f64,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            seeds: 5,
            train_samples: 10_000,
            test_samples: 10_000,
            net: Net {
                hidden: vec![100, 100, 100],
                epochs: 10,
                batch: 32,
                lr: 0.01,
                momentum: 0.0,
            },
            probe_samples: 1_000,
            positive_class: 0,
            ratios: vec![10, 100],
            binary_epochs: 3,
            noise_factor: 2.0,
        }
    }
    // ANCHOR_END: full
    pub fn smoke() -> Self {
        let full = Self::full();
        Config {
            seeds: 3,
            train_samples: 2_000,
            test_samples: 2_000,
            net: Net {
                epochs: 2,
                ..full.net.clone()
            },
            binary_epochs: 1,
            noise_factor: 3.0,
            ..full
        }
    }
}

/// The bias inits of experiment 1, then the extra one of experiment 2.
pub fn sweep_inits() -> Vec<BiasInit> {
    vec![
        BiasInit::Zero,
        BiasInit::Constant(0.01),
        BiasInit::Constant(0.1),
        BiasInit::PyTorch,
        BiasInit::LikeWeights,
    ]
}
pub const NEGATIVE: BiasInit = BiasInit::Constant(-1.0);
pub fn dead_inits() -> Vec<BiasInit> {
    vec![BiasInit::Zero, BiasInit::Constant(0.01), NEGATIVE]
}

/// Dead units per hidden layer (mean over seeds), at init and after training.
#[derive(Clone, Debug, Serialize)]
pub struct DeadRow {
    pub bias: String,
    pub at_init: Vec<f64>,
    pub trained: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub seeds: usize,
    pub epochs: usize,
    pub noise_factor: f64,
    pub hidden_units: usize,
    pub probe_samples: usize,
    pub positive_class: String,
    /// Experiment 1 (the five inits) and the b = −1 runs of experiment 2, summarised over seeds.
    pub summaries: Vec<Summary>,
    /// Experiment 2, per layer.
    pub dead: Vec<DeadRow>,
    /// Experiment 3: one cell per (ratio, output head).
    pub imbalance: Vec<Cell>,
}

/// Load, subsample and standardise Fashion-MNIST.
fn data(cfg: &Config) -> Result<(Dataset, Dataset)> {
    let data = fashion_mnist()?;
    let mut train = data
        .train
        .stratified_subset(cfg.train_samples, derive_seed(cfg.seed, "train subset"));
    let mut test = data
        .test
        .stratified_subset(cfg.test_samples, derive_seed(cfg.seed, "test subset"));
    let scaler = Standardizer::fit(&train);
    scaler.apply(&mut train);
    scaler.apply(&mut test);
    Ok((train, test))
}

/// The seed of the `k`-th repeat: the same for every init, so runs are paired.
pub fn seed_of(cfg: &Config, k: usize) -> u64 {
    derive_seed(cfg.seed, &format!("repeat {k}"))
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let (train, test) = data(cfg)?;
    let probe = train
        .stratified_subset(cfg.probe_samples, derive_seed(cfg.seed, "probe"))
        .x;

    // 1–2. Every (bias init, seed) pair, in parallel.
    let mut inits = sweep_inits();
    inits.push(NEGATIVE);
    let jobs: Vec<(BiasInit, usize)> = inits
        .iter()
        .flat_map(|&b| (0..cfg.seeds).map(move |k| (b, k)))
        .collect();
    let bar = progress.bar(jobs.len() as u64, "1-2 bias-init sweep");
    let runs: Vec<sweep::Run> = jobs
        .par_iter()
        .map(|&(b, k)| {
            let r = train_one(
                &cfg.net,
                b,
                k,
                seed_of(cfg, k),
                (&train, &test),
                probe.view(),
            );
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();
    let summaries = inits.iter().map(|&b| summarise(&runs, b)).collect();
    let dead = dead_inits()
        .iter()
        .map(|b| {
            let mine: Vec<&sweep::Run> = runs.iter().filter(|r| r.bias == b.label()).collect();
            let layers = cfg.net.hidden.len();
            // Over the runs that reached epoch `e` (a diverged run stops counting early).
            let mean_at = |e: usize, l: usize| {
                let counts: Vec<f64> = mine
                    .iter()
                    .filter_map(|r| r.dead.get(e))
                    .map(|d| d[l] as f64)
                    .collect();
                counts.iter().sum::<f64>() / counts.len() as f64
            };
            DeadRow {
                bias: b.label(),
                at_init: (0..layers).map(|l| mean_at(0, l)).collect(),
                trained: (0..layers).map(|l| mean_at(cfg.net.epochs, l)).collect(),
            }
        })
        .collect();

    // 3. One-vs-rest at each ratio, both output biases, every seed.
    let binary_net = Net {
        epochs: cfg.binary_epochs,
        ..cfg.net.clone()
    };
    let tasks: Vec<(usize, Dataset, Dataset)> = cfg
        .ratios
        .iter()
        .map(|&ratio| {
            let pick = derive_seed(cfg.seed, &format!("positives 1:{ratio}"));
            (
                ratio,
                one_vs_rest(&train, cfg.positive_class, ratio, pick),
                one_vs_rest(&test, cfg.positive_class, ratio, pick),
            )
        })
        .collect();
    let jobs: Vec<(usize, Head, usize)> = (0..tasks.len())
        .flat_map(|t| {
            Head::ALL
                .iter()
                .flat_map(move |&h| (0..cfg.seeds).map(move |k| (t, h, k)))
        })
        .collect();
    let bar = progress.bar(jobs.len() as u64, "3 imbalanced output bias");
    let bin_runs: Vec<imbalance::Run> = jobs
        .par_iter()
        .map(|&(t, b, k)| {
            let r = train_binary(&binary_net, b, seed_of(cfg, k), &tasks[t].1, &tasks[t].2);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();
    let imbalance = bin_runs
        .chunks(cfg.seeds)
        .zip(&jobs.iter().step_by(cfg.seeds).collect::<Vec<_>>())
        .map(|(runs, &&(t, b, _))| {
            let (ratio, train, _) = &tasks[t];
            imbalance::summarise(*ratio, b, train, cfg.net.batch, runs)
        })
        .collect();

    Ok(Report {
        seeds: cfg.seeds,
        epochs: cfg.net.epochs,
        noise_factor: cfg.noise_factor,
        hidden_units: cfg.net.hidden.iter().sum(),
        probe_samples: cfg.probe_samples,
        positive_class: FASHION_CLASSES[cfg.positive_class].into(),
        summaries,
        dead,
        imbalance,
    })
}

/// The summaries of experiment 1's five inits.
pub fn sweep_summaries(r: &Report) -> Vec<&Summary> {
    let labels: Vec<String> = sweep_inits().iter().map(|b| b.label()).collect();
    r.summaries
        .iter()
        .filter(|s| labels.contains(&s.bias))
        .collect()
}

/// The summary of one init.
pub fn summary(r: &Report, b: BiasInit) -> &Summary {
    r.summaries
        .iter()
        .find(|s| s.bias == b.label())
        .expect("init was run")
}

/// The cell of one (ratio, output bias).
pub fn cell(r: &Report, ratio: usize, head: Head) -> &Cell {
    r.imbalance
        .iter()
        .find(|c| c.ratio == ratio && c.head == head.label())
        .expect("cell was run")
}

pub fn claims(r: &Report) -> Vec<Claim> {
    let sweep: Vec<Summary> = sweep_summaries(r).into_iter().cloned().collect();
    let (between, within) = spread_between_and_within(&sweep);
    let pp = |x: f64| format!("{:.2} pp", 100.0 * x);
    let zero = summary(r, BiasInit::Zero);
    let neg = summary(r, NEGATIVE);
    let small = summary(r, BiasInit::Constant(0.01));
    let last = |s: &Summary| *s.dead_mean.last().expect("epochs");
    let ratios: Vec<usize> = {
        let mut v: Vec<usize> = r.imbalance.iter().map(|c| c.ratio).collect();
        v.dedup();
        v
    };
    let mut prior_measured = Vec::new();
    let mut prior_holds = true;
    let mut gain_measured = Vec::new();
    let mut gain_holds = true;
    for &ratio in &ratios {
        let z = cell(r, ratio, Head::new(false, true));
        let p = cell(r, ratio, Head::new(true, true));
        let err = (p.initial_loss - p.prior_entropy).abs() + p.initial_loss_spread;
        prior_holds &= err < 1e-3 && p.initial_loss < z.initial_loss;
        prior_measured.push(format!(
            "1:{ratio}: {:.4} vs H(p) = {:.4} (|Δ| ≤ {:.1e}); bias 0: {:.4}",
            p.initial_loss, p.prior_entropy, err, z.initial_loss
        ));
        gain_holds &= p.epoch1_loss_mean < z.epoch1_loss_mean;
        gain_measured.push(format!(
            "1:{ratio}: {:.4} ± {:.4} vs {:.4} ± {:.4}",
            p.epoch1_loss_mean, p.epoch1_loss_std, z.epoch1_loss_mean, z.epoch1_loss_std
        ));
    }
    vec![
        Claim::new(
            format!(
                "Bias init makes no difference beyond noise: best − worst mean test accuracy < {}× the largest seed std",
                r.noise_factor
            ),
            format!(
                "{} inits × {} seeds: best − worst {}, largest seed std {} (ratio {:.2})",
                sweep.len(),
                r.seeds,
                pp(between),
                pp(within),
                between / within
            ),
            between < r.noise_factor * within,
        )
        .literature(
            "zero or weight-like biases make little difference; gap < 2× seed std",
            "HOML ch. 11 answer 3; CS231n",
        ),
        Claim::new(
            "A bias init of −1 leaves more dead ReLU units than 0",
            format!(
                "of {} hidden units, on {} images (mean over seeds): b = −1 {:.1} at init, {:.1} trained; \
                 b = 0 {:.1} at init, {:.1} trained; b = 0.01 {:.1} trained",
                r.hidden_units,
                r.probe_samples,
                neg.dead_mean[0],
                last(neg),
                zero.dead_mean[0],
                last(zero),
                last(small),
            ),
            last(neg) > last(zero),
        )
        .literature("0 is the common choice; 0.01 is not clearly better", "CS231n"),
        Claim::new(
            "With zero output weights, the log-prior output bias makes the initial loss equal the prior entropy (to 1e-3), lower than with bias 0",
            prior_measured.join("; "),
            prior_holds,
        )
        .literature("1:10 → 0.69 drops to ≈ 0.33", "Karpathy, \"A Recipe for Training Neural Networks\""),
        Claim::new(
            "With zero output weights, the log-prior output bias lowers the first epoch's mean training loss",
            format!("log prior vs 0, {} seeds: {}", r.seeds, gain_measured.join("; ")),
            gain_holds,
        )
        .literature("no wasted early iterations learning the bias", "Karpathy, \"A Recipe\""),
    ]
}

lab::impl_chapter!(
    Chapter3,
    "chapter-3",
    "Is it fine to initialise biases to zero?"
);
