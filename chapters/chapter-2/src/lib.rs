//! Chapter 2: why the weights of a layer must not all start equal (symmetry).
//!
//! Three experiments on a 784-128-64-10 ReLU MLP trained on Fashion-MNIST with plain SGD:
//! 1. [`training`]: every weight 0.05, against random (He) weights and against a net with one
//!    unit per hidden layer, with the layers measured by [`symmetry`] during training;
//! 2. [`zero`]: every weight 0;
//! 3. [`training`] again: what breaks the symmetry (dropout, a tiny random perturbation,
//!    random biases).

pub mod artifacts;
pub mod symmetry;
pub mod training;
pub mod zero;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::progress::Progress;
use book_pipeline::report::fmt_sig;
use lab::data::{FashionSubset, Splits, TestRows};
use lab::rng::derive_seed;
use lab::stats::{Bootstrap, Paired, mean, median, paired_ratio, std};
use lab::{Init, Recipe, SgdConfig};

use training::{Constant, EpochCost, Job, Run, Start, epoch_cost, train};
use zero::{ZeroRun, zero_run};

/// The chapter, as the book pipeline sees it.
pub struct Chapter2;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Training-set size (a stratified subset of Fashion-MNIST's 60,000) and test-set size
    /// (a stratified subset of its 10,000).
    pub train_samples: usize,
    pub test_samples: usize,
    /// The value every weight of a layer starts at in the constant runs (experiments 1 and 3),
    /// and a naive 0.05 in every layer (He's std for the first layer), run once for comparison.
    pub constant: Constant,
    pub naive_constant: Constant,
    /// The net under study (units per hidden layer), trained with plain SGD (HOML's
    /// Fashion-MNIST settings: learning rate 0.01, batch 32).
    pub net: Recipe,
    /// Seeds (batch order; weights too for random starts) of the nets compared in experiments
    /// 1 and 3 (random, constant, one unit per layer, constant + dropout).
    pub seeds: usize,
    /// Experiment 3: dropout rate, perturbation sizes, bias initialisers.
    pub dropout: f32,
    pub eps: Vec<f32>,
    /// Seeds per perturbation size (the first `eps_seeds` of experiment 1's seeds).
    pub eps_seeds: usize,
    pub bias_inits: Vec<Init>,
    /// Units of hidden layer 1 shown in the cosine-similarity heatmaps.
    pub heatmap_units: usize,
    /// The mean pairwise cosine similarity above which we call a layer's units "correlated".
    pub correlated: f64,
    /// Rounds of the epoch timing (one epoch of the constant net and one of the one-unit net
    /// per round).
    pub timing_rounds: usize,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            train_samples: 20_000,
            test_samples: 10_000,
            constant: Constant::InverseFanIn,
            naive_constant: Constant::Fixed(0.05),
            net: Recipe::new(&[128, 64], SgdConfig::plain(0.01), 5, 32),
            seeds: 5,
            dropout: 0.2,
            eps: vec![1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
            eps_seeds: 3,
            bias_inits: vec![Init::OldUniform, Init::Normal { std: 1.0 }],
            heatmap_units: 128,
            correlated: 0.9,
            timing_rounds: 7,
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        Config {
            train_samples: 1_000,
            test_samples: 1_000,
            net: Recipe {
                epochs: 1,
                ..Self::full().net
            },
            seeds: 5,
            eps: vec![1e-8, 1e-1],
            eps_seeds: 1,
            bias_inits: vec![Init::Normal { std: 1.0 }],
            heatmap_units: 12,
            timing_rounds: 2,
            ..Self::full()
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Copied from the Config for the tables and claims.
    pub hidden: Vec<usize>,
    pub constant: Constant,
    pub correlated: f64,
    pub steps_per_epoch: usize,
    /// Experiments 1 and 3, one entry per seed each, paired: seed `k` of every group shares its
    /// batch order (and, for the random net, draws its weights from it).
    pub random: Vec<Run>,
    pub constant_runs: Vec<Run>,
    pub one_unit: Vec<Run>,
    pub dropout: Vec<Run>,
    /// The naive constant (0.05 in every layer), one seed.
    pub naive_constant: Run,
    /// Experiment 2.
    pub zeros: ZeroRun,
    /// `eps_seeds` runs per perturbation size, in the Config's order.
    pub perturbed: Vec<Run>,
    pub eps_seeds: usize,
    pub random_bias: Vec<Run>,
    /// Seconds per epoch, constant net against one unit per layer (wall times: never compared
    /// for equality, left out of snapshots).
    pub timings: EpochCost,
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let test_rows = TestRows::Stratified(cfg.test_samples, derive_seed(cfg.seed, "test"));
    let Splits {
        train: train_set,
        test: test_set,
        ..
    } = FashionSubset::new(cfg.train_samples, cfg.seed)
        .with_test(test_rows)
        .load()?;

    // Every run is independent: one parallel task each, with seeds fixed by the task.
    let seed = |k: usize| derive_seed(cfg.seed, &format!("seed {k}"));
    let one: &[usize] = &[1, 1];
    let hidden = cfg.net.hidden.as_slice();
    // Runs with a heatmap are the ones whose rank the figures follow.
    let job = |hidden, start, seed, heatmap_units| Job {
        hidden,
        start,
        seed,
        heatmap_units,
        track_rank: heatmap_units > 0,
    };
    let c = cfg.constant;
    let dropout = Start::ConstantDropout { c, p: cfg.dropout };
    let mut jobs = Vec::new();
    for k in 0..cfg.seeds {
        let hm = if k == 0 { cfg.heatmap_units } else { 0 };
        jobs.push(job(hidden, Start::Random, seed(k), hm));
        jobs.push(job(hidden, Start::Constant(cfg.constant), seed(k), hm));
        jobs.push(job(one, Start::Constant(cfg.constant), seed(k), 0));
        jobs.push(job(hidden, dropout, seed(k), hm));
    }
    jobs.push(job(hidden, Start::Constant(cfg.naive_constant), seed(0), 0));
    for &eps in &cfg.eps {
        for k in 0..cfg.eps_seeds {
            jobs.push(job(hidden, Start::Perturbed { c, eps }, seed(k), 0));
        }
    }
    for &bias in &cfg.bias_inits {
        let start = Start::RandomBias { c, bias };
        jobs.push(job(hidden, start, seed(0), cfg.heatmap_units));
    }
    let bar = progress.bar(jobs.len() as u64 + 1, "training runs");
    let mut runs: Vec<Run> = jobs
        .par_iter()
        .map(|&j| {
            let r = train(j, &cfg.net, &train_set, &test_set);
            bar.inc(1);
            r
        })
        .collect();
    let zeros = zero_run(hidden, &cfg.net, &train_set, seed(0));
    bar.inc(1);
    bar.finish();
    // Timed alone, after the parallel runs, so that nothing else competes for the cores.
    let timings = epoch_cost(hidden, &cfg.net, &train_set, cfg.timing_rounds, seed(0));

    let random_bias = runs.split_off(runs.len() - cfg.bias_inits.len());
    let perturbed = runs.split_off(runs.len() - cfg.eps.len() * cfg.eps_seeds);
    let naive_constant = runs.pop().expect("the naive constant's run");
    let (mut random, mut constant_runs, mut one_unit, mut dropout) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for chunk in runs.chunks(4) {
        random.push(chunk[0].clone());
        constant_runs.push(chunk[1].clone());
        one_unit.push(chunk[2].clone());
        dropout.push(chunk[3].clone());
    }
    Ok(Report {
        hidden: cfg.net.hidden.clone(),
        constant: cfg.constant,
        correlated: cfg.correlated,
        steps_per_epoch: cfg.net.steps_per_epoch(&train_set),
        random,
        constant_runs,
        one_unit,
        dropout,
        naive_constant,
        zeros,
        perturbed,
        eps_seeds: cfg.eps_seeds,
        random_bias,
        timings,
    })
}

/// Test accuracies of a group of runs (fractions).
pub fn accuracies(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.test_accuracy).collect()
}

/// Test accuracies of a group of runs, in points (%).
fn points(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| 100.0 * r.test_accuracy).collect()
}

/// The first probed step at which hidden layer 1's units are no longer correlated (mean
/// pairwise cosine below `threshold`), if it happened.
pub fn decorrelation_step(run: &Run, threshold: f64) -> Option<usize> {
    run.probes
        .iter()
        .find(|p| p.layers[0].mean_cosine < threshold)
        .map(|p| p.step)
}

// ANCHOR: thresholds
/// "Far below": how far (at least) the constant net trails random init, in accuracy points:
/// the lower end of the 95% interval of the paired difference must clear it.
pub const FAR_BELOW: Threshold = Threshold::same(10.0);
/// "As well as one unit per layer": the equivalence margin, in accuracy points (two one-sided
/// tests at α = 0.05, i.e. the 90% interval of the paired difference inside ±margin).
pub const SAME_AS_ONE_UNIT: Threshold = Threshold::same(5.0);
/// "Much slower": the constant net's epoch over the one-unit net's. The arithmetic ratio of the
/// two nets is about 137× (784·128 + 128·64 + 64·10 multiply-adds per row against 784 + 1 + 10);
/// below 5× the step would be dominated by costs that do not grow with the width.
pub const CONSTANT_NET_COST: Threshold = Threshold::same(5.0);
// ANCHOR_END: thresholds

/// The quick run trains 32 steps: the constant net and the one-unit net are then still near
/// their start, where the two differ by their effective learning rates, not by what they can
/// learn.
const ONE_UNIT_NEEDS_TRAINING: &str =
    "32 quick steps leave both nets near their start, where their step sizes differ";

pub fn claims(r: &Report, scale: Scale) -> Vec<Claim> {
    let hidden_layers = r.hidden.len();
    let seeds = r.constant_runs.len();
    // 1. Exact symmetry after training, seed by seed.
    let symmetric = |run: &Run| {
        let p = run.last_probe();
        p.layers[..hidden_layers]
            .iter()
            .all(|l| l.max_unit_difference == 0.0)
            && p.layers.iter().all(|l| l.rank == Some(1))
    };
    let worst_diff = r
        .constant_runs
        .iter()
        .flat_map(|run| run.last_probe().layers[..hidden_layers].iter())
        .map(|l| l.max_unit_difference)
        .fold(0.0, f64::max);
    let symmetric_seeds = r.constant_runs.iter().filter(|run| symmetric(run)).count();
    let distinct: Vec<usize> = r.constant_runs[0].last_probe().layers[..hidden_layers]
        .iter()
        .map(|l| l.distinct_units)
        .collect();

    // 2. Accuracy, paired by seed: random vs constant, constant vs one unit per layer.
    let (random, constant, one) = (
        points(&r.random),
        points(&r.constant_runs),
        points(&r.one_unit),
    );
    let far = FAR_BELOW.at(scale);
    let gap = Paired::new(&random, &constant);
    let gap_ci = gap.ci95();
    let margin = SAME_AS_ONE_UNIT.at(scale);
    let same = Paired::new(&constant, &one);
    let eq = same.equivalence(margin);
    let same_seeds = same.diffs.iter().filter(|d| d.abs() < margin).count();

    // 3. Dropout, paired with the constant net of the same seed.
    let dropped = points(&r.dropout);
    let gain = Paired::new(&dropped, &constant);
    let gain_ci = gain.ci95();
    let cosine: Vec<f64> = r
        .dropout
        .iter()
        .map(|run| run.last_probe().layers[0].mean_cosine)
        .collect();
    let decorrelated = cosine.iter().filter(|&&c| c < r.correlated).count();
    let below_random = Paired::new(&random, &dropped);
    let pm = |xs: &[f64]| format!("{:.1} ± {:.1}%", mean(xs), std(xs));

    // 4. The cost of an epoch, paired by round.
    let t = &r.timings;
    let cost = CONSTANT_NET_COST.at(scale);
    let (ratio, ratio_ci) = paired_ratio(&t.constant, &t.one_unit, Bootstrap::default());

    vec![
        Claim::new(
            "After training from a constant init, all hidden units of a layer have identical incoming weights, and every weight matrix has rank 1",
        )
        .rule("in every seed: largest difference between two units' weights = 0 and rank 1 in every layer")
        .measured(format!(
            "largest difference {worst_diff} over {seeds} seeds; distinct units per hidden layer: {}",
            distinct.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
        ))
        .seeds(symmetric_seeds, seeds)
        .holds(symmetric_seeds == seeds)
        .literature("units stay identical under SGD", "d2l §5.4.2 \"Breaking the Symmetry\""),
        Claim::new(format!(
            "The constant-init net's test accuracy is at least {far} points below random init's"
        ))
        .rule(format!(
            "random − constant test accuracy, paired by seed: 95% CI above {far} points"
        ))
        .measured(format!(
            "{:+.1} points, 95% CI {}; random {}, constant {}",
            gap.mean(),
            gap_ci.fmt_signed(1),
            pm(&random),
            pm(&constant),
        ))
        .interval(gap_ci)
        .seeds(gap.count_above(far), seeds)
        .holds(gap_ci.above(far))
        .literature(
            "good convergence \"virtually impossible\"; a random 3×100 MLP reaches 86–87%",
            "HOML ch. 11 answer 2; HOML ch. 10",
        ),
        Claim::new(format!(
            "The constant-init net learns what a net with one unit per hidden layer learns: test accuracy equivalent within ±{margin} points"
        ))
        .rule(format!(
            "constant − one unit, paired by seed: 90% CI inside ±{margin} points (two one-sided tests, α = 0.05)"
        ))
        .measured(format!(
            "{:+.2} points, 90% CI {}; one unit {}",
            eq.mean,
            eq.ci90.fmt_signed(2),
            pm(&one),
        ))
        .interval(eq.ci90)
        .seeds(same_seeds, seeds)
        .holds(eq.equivalent)
        .full_run_only(ONE_UNIT_NEEDS_TRAINING)
        .literature("the layer acts as one unit", "d2l §5.4.2"),
        Claim::new(format!(
            "Dropout ({}) breaks the symmetry: the units of hidden layer 1 decorrelate and the net learns more than without it",
            r.dropout[0].label()
        ))
        .rule(format!(
            "mean pairwise cosine of hidden layer 1's units < {} in every seed, and dropout − constant test accuracy, paired: 95% CI above 0",
            r.correlated
        ))
        .measured(format!(
            "{:+.1} points, 95% CI {}; cosine {} (mean over seeds); still {:.1} points below random",
            gain.mean(),
            gain_ci.fmt_signed(1),
            fmt_sig(mean(&cosine), 2),
            below_random.mean(),
        ))
        .interval(gain_ci)
        .seeds(decorrelated.min(gain.count_above(0.0)), seeds)
        .holds(decorrelated == seeds && gain_ci.above(0.0))
        .full_run_only("32 quick steps are too few for dropout's noise to pull the units apart")
        .literature("dropout breaks the symmetry", "d2l §5.4.2"),
        Claim::new(format!(
            "The constant net pays a whole layer's compute for one unit's capacity: its epoch costs at least {cost}× the one-unit net's"
        ))
        .rule(format!(
            "constant-net epoch time / one-unit epoch time, median over {} interleaved rounds: 95% CI above {cost}",
            t.constant.len()
        ))
        .measured(format!(
            "{ratio:.1}× {}; {} s against {} s per epoch",
            ratio_ci.fmt(1),
            fmt_sig(median(&t.constant), 3),
            fmt_sig(median(&t.one_unit), 3),
        ))
        .interval(ratio_ci)
        .holds(ratio_ci.above(cost))
        .full_run_only("timings taken while other tests load the machine")
        .literature(
            "\"as if you had only one neuron per layer, and much slower\"",
            "HOML ch. 11, answer 2",
        ),
    ]
}

book_pipeline::impl_chapter!(
    Chapter2,
    "chapter-2",
    "Why must weights not all start equal?"
);
