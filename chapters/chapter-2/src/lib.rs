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
use serde::Serialize;

use lab::chapter::Claim;
use lab::data::{Standardizer, fashion_mnist};
use lab::progress::Progress;
use lab::report::fmt_sig;
use lab::rng::derive_seed;
use lab::{Activation, Init};

use training::{Constant, Job, Run, Start, Training, train};
use zero::{ZeroRun, zero_run};

/// The chapter, as the book pipeline sees it.
pub struct Chapter2;

// ANCHOR: config
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub seed: u64,
    /// Training-set size (a stratified subset of Fashion-MNIST's 60,000) and test-set size
    /// (a stratified subset of its 10,000).
    pub train_samples: usize,
    pub test_samples: usize,
    /// Units per hidden layer of the net under study.
    pub hidden: Vec<usize>,
    /// The value every weight of a layer starts at in the constant runs (experiments 1 and 3),
    /// and the issue's 0.05 in every layer, run once more for comparison.
    pub constant: Constant,
    pub issue_constant: Constant,
    /// Plain SGD (HOML's Fashion-MNIST settings: learning rate 0.01, batch 32).
    pub training: Training,
    /// Seeds (batch order; weights too for random starts) of the three nets compared in
    /// experiment 1.
    pub seeds: usize,
    /// Experiment 3: dropout rate, perturbation sizes, bias initialisers.
    pub dropout: f32,
    pub eps: Vec<f32>,
    /// Seeds per perturbation size (the first `eps_seeds` of experiment 1's seeds).
    pub eps_seeds: usize,
    pub bias_inits: Vec<Init>,
    /// Units of hidden layer 1 shown in the cosine-similarity heatmaps.
    pub heatmap_units: usize,
    /// "Within a few points": the largest gap in test accuracy between the constant net and
    /// the one-unit net that still counts as "about as well" (5 percentage points).
    pub few_points: f64,
    /// "Far below": how far (at least) the constant net must trail the random one (10 points).
    pub far_below: f64,
    /// The mean pairwise cosine similarity above which we call a layer's units "correlated".
    pub correlated: f64,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            train_samples: 20_000,
            test_samples: 10_000,
            hidden: vec![128, 64],
            constant: Constant::InverseFanIn,
            issue_constant: Constant::Fixed(0.05),
            training: Training {
                epochs: 5,
                batch: 32,
                lr: 0.01,
            },
            seeds: 3,
            dropout: 0.2,
            eps: vec![1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
            eps_seeds: 3,
            bias_inits: vec![Init::OldUniform, Init::Normal { std: 1.0 }],
            heatmap_units: 128,
            few_points: 0.05,
            far_below: 0.10,
            correlated: 0.9,
        }
    }
    // ANCHOR_END: full
    pub fn smoke() -> Self {
        Config {
            train_samples: 1_000,
            test_samples: 1_000,
            training: Training {
                epochs: 1,
                ..Self::full().training
            },
            seeds: 2,
            eps: vec![1e-8, 1e-1],
            eps_seeds: 1,
            bias_inits: vec![Init::Normal { std: 1.0 }],
            heatmap_units: 12,
            ..Self::full()
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Copied from the Config for the tables and claims.
    pub hidden: Vec<usize>,
    pub constant: Constant,
    pub few_points: f64,
    pub far_below: f64,
    pub correlated: f64,
    pub steps_per_epoch: usize,
    /// Experiment 1, one entry per seed each.
    pub random: Vec<Run>,
    pub constant_runs: Vec<Run>,
    pub one_unit: Vec<Run>,
    /// The issue's constant (0.05 in every layer), one seed.
    pub issue_constant: Run,
    /// Experiment 2.
    pub zeros: ZeroRun,
    /// Experiment 3.
    pub dropout: Run,
    /// `eps_seeds` runs per perturbation size, in the Config's order.
    pub perturbed: Vec<Run>,
    pub eps_seeds: usize,
    pub random_bias: Vec<Run>,
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let data = fashion_mnist()?;
    let mut train_set = data.train.stratified_subset(cfg.train_samples, cfg.seed);
    let mut test_set = data
        .test
        .stratified_subset(cfg.test_samples, derive_seed(cfg.seed, "test"));
    let scaler = Standardizer::fit(&train_set);
    scaler.apply(&mut train_set);
    scaler.apply(&mut test_set);

    // Every run is independent: one parallel task each, with seeds fixed by the task.
    let seed = |k: usize| derive_seed(cfg.seed, &format!("seed {k}"));
    let one: &[usize] = &[1, 1];
    let hidden = cfg.hidden.as_slice();
    // Runs with a heatmap are the ones whose rank the figures follow.
    let job = |hidden, start, seed, heatmap_units| Job {
        hidden,
        start,
        seed,
        heatmap_units,
        track_rank: heatmap_units > 0,
    };
    let mut jobs = Vec::new();
    for k in 0..cfg.seeds {
        let hm = if k == 0 { cfg.heatmap_units } else { 0 };
        jobs.push(job(hidden, Start::Random, seed(k), hm));
        jobs.push(job(hidden, Start::Constant(cfg.constant), seed(k), hm));
        jobs.push(job(one, Start::Constant(cfg.constant), seed(k), 0));
    }
    let c = cfg.constant;
    jobs.push(job(hidden, Start::Constant(cfg.issue_constant), seed(0), 0));
    let dropout = Start::ConstantDropout { c, p: cfg.dropout };
    jobs.push(job(hidden, dropout, seed(0), cfg.heatmap_units));
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
            let r = train(j, &cfg.training, &train_set, &test_set);
            bar.inc(1);
            r
        })
        .collect();
    let zeros = zero_run(hidden, &cfg.training, &train_set, seed(0));
    bar.inc(1);
    bar.finish();

    let random_bias = runs.split_off(runs.len() - cfg.bias_inits.len());
    let perturbed = runs.split_off(runs.len() - cfg.eps.len() * cfg.eps_seeds);
    let dropout = runs.pop().expect("the dropout run");
    let issue_constant = runs.pop().expect("the issue's constant run");
    let (mut random, mut constant_runs, mut one_unit) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in runs.chunks(3) {
        random.push(chunk[0].clone());
        constant_runs.push(chunk[1].clone());
        one_unit.push(chunk[2].clone());
    }
    Ok(Report {
        hidden: cfg.hidden.clone(),
        constant: cfg.constant,
        few_points: cfg.few_points,
        far_below: cfg.far_below,
        correlated: cfg.correlated,
        steps_per_epoch: train_set.len().div_ceil(cfg.training.batch),
        random,
        constant_runs,
        one_unit,
        issue_constant,
        zeros,
        dropout,
        perturbed,
        eps_seeds: cfg.eps_seeds,
        random_bias,
    })
}

/// Mean and (sample) standard deviation; std is 0 for fewer than two values.
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Test accuracies of a group of runs.
pub fn accuracies(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.test_accuracy).collect()
}

/// The first probed step at which hidden layer 1's units are no longer correlated (mean
/// pairwise cosine below `threshold`), if it happened.
pub fn decorrelation_step(run: &Run, threshold: f64) -> Option<usize> {
    run.probes
        .iter()
        .find(|p| p.layers[0].mean_cosine < threshold)
        .map(|p| p.step)
}

pub fn claims(r: &Report) -> Vec<Claim> {
    let hidden_layers = r.hidden.len();
    // 1. Exact symmetry after training, every seed.
    let worst_diff = r
        .constant_runs
        .iter()
        .flat_map(|run| run.last_probe().layers[..hidden_layers].iter())
        .map(|l| l.max_unit_difference)
        .fold(0.0, f64::max);
    let ranks: Vec<usize> = r.constant_runs[0]
        .last_probe()
        .layers
        .iter()
        .map(|l| l.rank.unwrap_or(0))
        .collect();
    let all_rank_one = r
        .constant_runs
        .iter()
        .all(|run| run.last_probe().layers.iter().all(|l| l.rank == Some(1)));
    let distinct: Vec<usize> = r.constant_runs[0].last_probe().layers[..hidden_layers]
        .iter()
        .map(|l| l.distinct_units)
        .collect();
    // 2. Accuracy: constant vs one unit per layer vs random.
    let (c_mean, c_std) = mean_std(&accuracies(&r.constant_runs));
    let (o_mean, o_std) = mean_std(&accuracies(&r.one_unit));
    let (rand_mean, rand_std) = mean_std(&accuracies(&r.random));
    let close = (c_mean - o_mean).abs() <= r.few_points;
    let far = rand_mean - c_mean >= r.far_below;
    // 3. Dropout.
    let drop_diff = r.dropout.last_probe().layers[0].max_unit_difference;
    let drop_distinct = r.dropout.last_probe().layers[0].distinct_units;
    // 4. Zeros.
    let z = &r.zeros;
    let ln10 = 10f64.ln();
    let worst_loss_gap = z
        .epoch_loss
        .iter()
        .map(|l| (l - ln10).abs())
        .fold(0.0, f64::max);
    let pct = |x: f64| format!("{:.1}", 100.0 * x);
    vec![
        Claim::new(
            "After training from a constant init, all hidden units of a layer have identical incoming weights, and every weight matrix has rank 1",
            format!(
                "largest difference between two units' weights: {worst_diff} ({} seeds); distinct units per hidden layer: {}; ranks {:?}",
                r.constant_runs.len(),
                distinct.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
                ranks,
            ),
            worst_diff == 0.0 && all_rank_one,
        )
        .literature("units stay identical under SGD", "d2l §5.4.2 \"Breaking the Symmetry\""),
        Claim::new(
            format!(
                "The constant-init net's test accuracy is within {} points of a one-unit-per-layer net and at least {} points below random init",
                pct(r.few_points),
                pct(r.far_below)
            ),
            format!(
                "constant {} ± {}%, one unit {} ± {}%, random {} ± {}% (mean ± std over {} seeds)",
                pct(c_mean),
                pct(c_std),
                pct(o_mean),
                pct(o_std),
                pct(rand_mean),
                pct(rand_std),
                r.random.len()
            ),
            close && far,
        )
        .literature(
            "good convergence \"virtually impossible\"; a random 3×100 MLP reaches 86–87%",
            "HOML ch. 11 answer 2; HOML ch. 10",
        ),
        Claim::new(
            format!("Dropout ({}) makes the units' weights differ", r.dropout.label),
            format!(
                "largest difference {} in hidden layer 1; {drop_distinct} distinct units",
                fmt_sig(drop_diff, 3)
            ),
            drop_diff > 0.0,
        )
        .literature("dropout breaks the symmetry", "d2l §5.4.2"),
        Claim::new(
            format!(
                "With all-zero weights and {}, the first layer's gradient is exactly zero and the loss stays at ln 10",
                Activation::Relu.name()
            ),
            format!(
                "largest |∂L/∂W| over {} steps, per layer: {:?}; epoch losses within {} of ln 10",
                z.steps,
                z.max_abs_weight_grad,
                fmt_sig(worst_loss_gap, 2)
            ),
            z.max_abs_weight_grad[0] == 0.0 && worst_loss_gap < 0.01,
        )
        .literature("loss stays at ln 10 = 2.303", "a uniform softmax over 10 classes"),
    ]
}

lab::impl_chapter!(
    Chapter2,
    "chapter-2",
    "Why must weights not all start equal?"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert_eq!(m, 2.0);
        assert!((s - 1.0).abs() < 1e-12);
        assert_eq!(mean_std(&[0.5]), (0.5, 0.0));
    }
}
