//! Chapter 3: is it fine to initialise biases to zero?
//!
//! Four experiments, in three modules:
//! 1. [`sweep`]: HOML's 3×100 He-initialised ReLU MLP on Fashion-MNIST with five bias inits,
//!    several seeds each: is the spread between inits larger than the spread between seeds?
//! 2. [`sweep`] again: dead ReLU units at init and after training, for b = 0, +0.01 and −1;
//! 3. [`imbalance`]: on a 1:10 and a 1:100 one-vs-rest task, the output bias 0 against the log
//!    prior odds;
//! 4. [`long_tail`]: the same for ten classes, on a long-tailed subset (softmax biases 0 against
//!    the log class priors).
//!
//! The fourth question of the chapter (do random biases break the symmetry of constant weights?)
//! is measured in chapter 2 and argued on the page.

pub mod artifacts;
pub mod imbalance;
pub mod long_tail;
pub mod sweep;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::progress::Progress;
use lab::data::{Dataset, FASHION_CLASSES, FashionSubset, TestRows};
use lab::rng::derive_seed;
use lab::stats::{Paired, mean};
use lab::{Recipe, SgdConfig};

use imbalance::{Cell, EARLY_STEPS, Head, one_vs_rest, train_binary};
use long_tail::{TailCell, long_tail, train_long_tail};
use sweep::{BiasInit, Summary, against_zero, summarise, train_one};

/// The chapter, as the book pipeline sees it.
pub struct Chapter3;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Seeds per configuration (each seed fixes the weights and the batch order).
    pub seeds: usize,
    /// Stratified subsets of Fashion-MNIST's training and test sets.
    pub train_samples: usize,
    pub test_samples: usize,
    /// HOML's net (3×100, ReLU, He normal) and Keras's SGD defaults
    /// (learning rate 0.01, batch 32, no momentum).
    pub net: Recipe,
    /// Experiment 2: dead units are counted on this many training images.
    pub probe_samples: usize,
    /// Experiments 3 and 4: the positive class, the negatives per positive, the epochs.
    pub positive_class: usize,
    pub ratios: Vec<usize>,
    pub binary_epochs: usize,
    /// Experiment 4: the most frequent class has this many times the images of the rarest.
    pub long_tail_ratio: f64,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            seeds: 10,
            train_samples: 10_000,
            test_samples: 10_000,
            net: Recipe::deep(3, 100, SgdConfig::plain(0.01), 10, 32),
            probe_samples: 1_000,
            positive_class: 0,
            ratios: vec![10, 100],
            binary_epochs: 3,
            long_tail_ratio: 100.0,
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        let full = Self::full();
        Config {
            seeds: 5,
            train_samples: 2_000,
            test_samples: 2_000,
            net: Recipe {
                epochs: 2,
                ..full.net.clone()
            },
            binary_epochs: 1,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeadRow {
    pub bias: BiasInit,
    pub at_init: Vec<f64>,
    pub trained: Vec<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub seeds: usize,
    pub epochs: usize,
    pub hidden_units: usize,
    pub probe_samples: usize,
    pub positive_class: String,
    /// Experiment 1 (the five inits) and the b = −1 runs of experiment 2, summarised over seeds.
    pub summaries: Vec<Summary>,
    /// Experiment 2, per layer.
    pub dead: Vec<DeadRow>,
    /// Experiment 3: one cell per (ratio, output head).
    pub imbalance: Vec<Cell>,
    /// Experiment 4: output biases 0, then the log priors.
    pub long_tail: Vec<TailCell>,
}

/// Load, subsample and standardise Fashion-MNIST.
fn data(cfg: &Config) -> Result<(Dataset, Dataset)> {
    let test_rows = TestRows::Stratified(cfg.test_samples, derive_seed(cfg.seed, "test subset"));
    let s = FashionSubset::new(cfg.train_samples, derive_seed(cfg.seed, "train subset"))
        .with_test(test_rows)
        .load()?;
    Ok((s.train, s.test))
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
            let mine: Vec<&sweep::Run> = runs.iter().filter(|r| r.bias == *b).collect();
            let layers = cfg.net.hidden.len();
            // Over the runs that reached epoch `e` (a diverged run stops counting early).
            let mean_at = |e: usize, l: usize| {
                let counts: Vec<f64> = mine
                    .iter()
                    .filter_map(|r| r.dead.get(e))
                    .map(|d| d[l] as f64)
                    .collect();
                mean(&counts)
            };
            DeadRow {
                bias: *b,
                at_init: (0..layers).map(|l| mean_at(0, l)).collect(),
                trained: (0..layers).map(|l| mean_at(cfg.net.epochs, l)).collect(),
            }
        })
        .collect();

    // 3. One-vs-rest at each ratio, both output biases, every seed.
    let binary_net = Recipe {
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

    // 4. The long-tailed ten-class task, both output biases, every seed.
    let pick = derive_seed(cfg.seed, "long tail");
    let (tail_train, tail_test) = (
        long_tail(&train, cfg.long_tail_ratio, pick),
        long_tail(&test, cfg.long_tail_ratio, pick),
    );
    let jobs: Vec<(bool, usize)> = [false, true]
        .iter()
        .flat_map(|&b| (0..cfg.seeds).map(move |k| (b, k)))
        .collect();
    let bar = progress.bar(jobs.len() as u64, "4 long-tailed softmax bias");
    let tail_runs: Vec<imbalance::Run> = jobs
        .par_iter()
        .map(|&(b, k)| {
            let r = train_long_tail(&binary_net, b, seed_of(cfg, k), &tail_train, &tail_test);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();
    let long_tail = tail_runs
        .chunks(cfg.seeds)
        .zip([false, true])
        .map(|(runs, b)| long_tail::summarise(b, &tail_train, cfg.net.batch, runs))
        .collect();

    Ok(Report {
        seeds: cfg.seeds,
        epochs: cfg.net.epochs,
        hidden_units: cfg.net.hidden.iter().sum(),
        probe_samples: cfg.probe_samples,
        positive_class: FASHION_CLASSES[cfg.positive_class].into(),
        summaries,
        dead,
        imbalance,
        long_tail,
    })
}

/// The summaries of experiment 1's five inits.
pub fn sweep_summaries(r: &Report) -> Vec<&Summary> {
    let inits = sweep_inits();
    r.summaries
        .iter()
        .filter(|s| inits.contains(&s.bias))
        .collect()
}

/// The summary of one init.
pub fn summary(r: &Report, b: BiasInit) -> &Summary {
    r.summaries
        .iter()
        .find(|s| s.bias == b)
        .expect("init was run")
}

/// The cell of one (ratio, output bias).
pub fn cell(r: &Report, ratio: usize, head: Head) -> &Cell {
    r.imbalance
        .iter()
        .find(|c| c.ratio == ratio && c.head == head)
        .expect("cell was run")
}

// ANCHOR: thresholds
/// "No practical difference": the equivalence margin of each init against b = 0, in points of
/// final test accuracy (two one-sided tests at α = 0.05: the 90% interval of the paired
/// difference inside ±margin). Half a point: a difference smaller than this is not worth acting on.
pub const SAME_AS_ZERO: Threshold = Threshold {
    full: 0.5,
    quick: 3.0,
    why: "3 seeds of 2 epochs on 2,000 images: paired differences of about a point, and t₂ = 2.9",
};
// ANCHOR_END: thresholds

/// The quick run's imbalanced tasks train one epoch of about 60 steps on 2,000 images: shorter
/// than the window the early-training claims judge.
const EARLY_NEEDS_FULL_RUN: &str =
    "one quick epoch of about 60 steps, shorter than the 100-step window";

/// Early-training claims whose verdict full runs under base seeds 1, 2 and 3 did not agree on
/// (the book's check of every verdict), with what they found.
const NOISY_RATIOS: [(usize, &str); 1] = [(
    10,
    "base seeds 1, 2, 3 give ✗ (6/10), ✗ (6/10), ✓ (9/10); the gain depends on how far the random output layer starts from the base rate",
)];

pub fn claims(r: &Report, scale: Scale) -> Vec<Claim> {
    let zero = summary(r, BiasInit::Zero);
    let others: Vec<&Summary> = sweep_summaries(r)
        .into_iter()
        .filter(|s| s.bias != zero.bias)
        .collect();
    let margin = SAME_AS_ZERO.at(scale);
    let tests = against_zero(zero, &others, margin);
    let equivalent = tests.iter().filter(|e| e.equivalent).count();
    let worst = tests
        .iter()
        .zip(&others)
        .max_by(|a, b| {
            let w = |e: &lab::stats::Equivalence| e.ci90.lo.abs().max(e.ci90.hi.abs());
            w(a.0).total_cmp(&w(b.0))
        })
        .expect("inits");

    // 2. Dead units after training, b = −1 against b = 0, paired by seed.
    let neg = summary(r, NEGATIVE);
    let dead = Paired::new(&neg.dead_trained, &zero.dead_trained);
    let dead_ci = dead.ci95();

    let mut out = vec![
        Claim::new(format!(
            "Bias init makes no practical difference: every init's test accuracy is equivalent to b = 0's within ±{margin} points"
        ))
        .rule(format!(
            "for each of the {} other inits, init − (b = 0), paired by seed: 90% CI inside ±{margin} points (two one-sided tests, α = 0.05)",
            others.len()
        ))
        .measured(format!(
            "{equivalent} of {} equivalent; widest 90% CI: {} {} points; {} seeds",
            others.len(),
            worst.1.bias.label(),
            worst.0.ci90.fmt_signed(2),
            r.seeds
        ))
        .interval(worst.0.ci90)
        .holds(equivalent == others.len())
        .literature(
            "zero or weight-like biases make little difference; gap < 2× seed std",
            "HOML ch. 11 answer 3; CS231n",
        ),
        Claim::new("A bias init of −1 leaves more dead ReLU units after training than 0")
            .rule("dead units after training, (b = −1) − (b = 0), paired by seed: 95% CI above 0")
            .measured(format!(
                "{:+.1} units, 95% CI {} (of {}, on {} images); b = −1: {:.1} at init, {:.1} trained; b = 0: {:.1} trained",
                dead.mean(),
                dead_ci.fmt_signed(1),
                r.hidden_units,
                r.probe_samples,
                neg.dead_mean[0],
                mean(&neg.dead_trained),
                mean(&zero.dead_trained),
            ))
            .interval(dead_ci)
            .seeds(dead.count_above(0.0), dead.n())
            .holds(dead_ci.above(0.0))
            .literature("0 is the common choice; 0.01 is not clearly better", "CS231n"),
    ];

    // 3. The log-prior output bias in early training, per imbalance ratio, on the ordinary
    // (He-normal) output layer.
    let mut ratios: Vec<usize> = r.imbalance.iter().map(|c| c.ratio).collect();
    ratios.dedup();
    for ratio in ratios {
        let z = &cell(r, ratio, Head::new(false, false)).runs;
        let p = &cell(r, ratio, Head::new(true, false)).runs;
        let d = Paired::new(&p.early_loss, &z.early_loss);
        let ci = d.ci95();
        let idealised = Paired::new(
            &cell(r, ratio, Head::new(true, true)).runs.early_loss,
            &cell(r, ratio, Head::new(false, true)).runs.early_loss,
        );
        out.push(
            Claim::new(format!(
                "At 1:{ratio}, the log-prior output bias lowers the training loss of the first {EARLY_STEPS} steps"
            ))
            .rule(format!(
                "mean loss of the first {EARLY_STEPS} steps, He-normal output layer, log prior − 0, paired by seed: 95% CI below 0"
            ))
            .measured(format!(
                "{:+.4} nats, 95% CI {}; {:.4} vs {:.4} (initial loss {:.4} vs {:.4}); with zero output weights {:+.4}",
                d.mean(),
                ci.fmt_signed(4),
                mean(&p.early_loss),
                mean(&z.early_loss),
                p.initial_loss,
                z.initial_loss,
                idealised.mean(),
            ))
            .interval(ci)
            .seeds(d.count_below(0.0), d.n())
            .holds(ci.below(0.0))
            .full_run_only(EARLY_NEEDS_FULL_RUN)
            .literature("no wasted early iterations learning the bias", "Karpathy, \"A Recipe\""),
        );
        if let Some((_, why)) = NOISY_RATIOS.iter().find(|(r, _)| *r == ratio) {
            let last = out.pop().expect("the claim just pushed");
            out.push(last.inside_noise(*why));
        }
    }
    // 4. The same for ten classes.
    let [z, p] = [&r.long_tail[0], &r.long_tail[1]];
    let d = Paired::new(&p.runs.early_loss, &z.runs.early_loss);
    let ci = d.ci95();
    let counts = &z.class_counts;
    out.push(
        Claim::new(format!(
            "On a long-tailed ten-class subset (1:{}), softmax biases set to the log class priors lower the training loss of the first {EARLY_STEPS} steps",
            counts[0] / counts[counts.len() - 1].max(1)
        ))
        .rule(format!(
            "mean loss of the first {EARLY_STEPS} steps, log priors − 0, paired by seed: 95% CI below 0"
        ))
        .measured(format!(
            "{:+.4} nats, 95% CI {}; {:.4} vs {:.4} (initial loss {:.4} vs {:.4}; H(prior) {:.4}, ln 10 {:.4})",
            d.mean(),
            ci.fmt_signed(4),
            mean(&p.runs.early_loss),
            mean(&z.runs.early_loss),
            p.runs.initial_loss,
            z.runs.initial_loss,
            z.prior_entropy,
            10f64.ln(),
        ))
        .interval(ci)
        .seeds(d.count_below(0.0), d.n())
        .holds(ci.below(0.0))
        .full_run_only(EARLY_NEEDS_FULL_RUN)
        .literature("init the final layer's bias to the class priors", "Karpathy, \"A Recipe\""),
    );
    out
}

book_pipeline::impl_chapter!(
    Chapter3,
    "chapter-3",
    "Is it fine to initialise biases to zero?"
);
