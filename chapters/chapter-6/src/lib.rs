//! Chapter 6: how to obtain a sparse model.
//!
//! LeNet-300-100 on Fashion-MNIST, made sparse three ways:
//! 1. one-shot magnitude pruning of the trained network, global or per layer, with and without
//!    fine-tuning under a fixed mask ([`training::one_shot`]);
//! 2. gradual magnitude pruning with the toolkit's cubic schedule ([`training::gradual`],
//!    [`prune::PolynomialDecay`]), or in a few rounds ([`prune::Rounds`]), and the lottery
//!    ticket's prune-and-rewind ([`training::lottery`]);
//! 3. ℓ1 regularisation during training, by subgradient and by proximal step
//!    ([`training::l1_run`]), and ℓ1 training followed by pruning and fine-tuning;
//!
//! and what the zeros buy: bytes and inference time of a CSR product against a dense one
//! ([`speed`]).

pub mod artifacts;
pub mod prune;
pub mod speed;
pub mod training;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::progress::Progress;
use lab::data::{FashionSubset, Splits, TestRows};
use lab::stats::{Paired, mean, std};
use lab::{Mlp, Penalty, Recipe, SgdConfig};

use prune::{PolynomialDecay, Rounds, Scope, fraction_below, weight_sparsity, zeros_per_layer};
use speed::{SpeedPoint, speed_point};
use training::{SparsityPoint, accuracy, baseline, gradual, l1_run, lottery, one_shot};

/// The chapter, as the book pipeline sees it.
pub struct Chapter6;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Independent repetitions (initialisation and batch order) of the baseline, of every
    /// pruning run and of every ℓ1 run.
    pub seeds: usize,
    /// Training images (stratified subset of the 60,000), validation images (held out of the
    /// rest of the 60,000: they choose ℓ1's λ before pruning) and test images (first n of
    /// 10,000).
    pub train_samples: usize,
    pub validation_samples: usize,
    pub test_samples: usize,
    /// LeNet-300-100 and how the dense baseline and each ℓ1 run are trained (from scratch): plain
    /// SGD (no momentum), so that a subgradient ℓ1 step and a proximal one shrink a weight by
    /// the same `lr·λ` per step and compare at equal λ.
    pub net: Recipe,
    /// Epochs after pruning: fine-tuning under a fixed mask, or the whole gradual run.
    pub finetune_epochs: usize,
    /// Final sparsities of one-shot and gradual pruning, and those at which ℓ1-trained nets
    /// are pruned too.
    pub sparsities: Vec<f64>,
    pub l1_prune_sparsities: Vec<f64>,
    /// The schedule recomputes masks every `frequency` steps (the toolkit's default is 100 for
    /// runs of thousands of steps; here the ramp has about 300, and 10 gives it 31 mask
    /// updates), and its ramp ends at this fraction of the post-pruning steps (rounded down to
    /// a multiple of `frequency`); the rest is recovery with the final mask.
    pub frequency: usize,
    pub ramp_fraction: f64,
    /// Iterative pruning: this many global rounds in the same fine-tuning steps, the first at
    /// step 0 and the last by the end of the gradual ramp.
    pub iterative_rounds: usize,
    /// The lottery ticket: its final sparsity and rounds (each round a whole `net` training
    /// from the rewound initial weights).
    pub lottery_sparsity: f64,
    pub lottery_rounds: usize,
    /// ℓ1 strengths λ (penalty λ‖w‖₁ added to the mean cross-entropy).
    pub lambdas: Vec<f32>,
    /// Speed: sparsities timed, images per batch, repeats (median taken).
    pub speed_sparsities: Vec<f64>,
    pub speed_batch: usize,
    pub speed_repeats: usize,
    /// Gradual runs record the target and measured sparsity every this many steps.
    pub trace_every: usize,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            seeds: 5,
            train_samples: 20_000,
            validation_samples: 5_000,
            test_samples: 10_000,
            net: Recipe::new(&[300, 100], SgdConfig::plain(0.05), 6, 64),
            finetune_epochs: 2,
            sparsities: vec![0.5, 0.75, 0.9, 0.95, 0.98],
            l1_prune_sparsities: vec![0.9, 0.95, 0.98],
            frequency: 10,
            ramp_fraction: 0.5,
            iterative_rounds: 5,
            lottery_sparsity: 0.9,
            lottery_rounds: 5,
            lambdas: vec![3e-5, 1e-4, 3e-4, 1e-3, 3e-3],
            speed_sparsities: vec![0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99],
            speed_batch: 256,
            speed_repeats: 41,
            trace_every: 10,
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        let full = Self::full();
        Config {
            seeds: 5,
            train_samples: 3_000,
            validation_samples: 1_000,
            test_samples: 1_000,
            net: Recipe {
                epochs: 5,
                ..full.net.clone()
            },
            finetune_epochs: 2,
            sparsities: vec![0.9, 0.95, 0.98],
            l1_prune_sparsities: vec![0.95],
            frequency: 2,
            iterative_rounds: 3,
            lottery_rounds: 2,
            lambdas: vec![3e-3, 1e-2],
            speed_sparsities: vec![0.0, 0.5, 0.9, 0.99],
            speed_batch: 128,
            speed_repeats: 5,
            trace_every: 2,
            ..full
        }
    }
}

/// Accuracy of every seed, in %.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Seeds(pub Vec<f64>);

impl Seeds {
    pub fn mean(&self) -> f64 {
        mean(&self.0)
    }
    /// Sample standard deviation over seeds.
    pub fn std(&self) -> f64 {
        std(&self.0)
    }
    /// The first `n` seeds.
    pub fn first(&self, n: usize) -> &[f64] {
        &self.0[..n.min(self.0.len())]
    }
}

/// One-shot pruning at one sparsity and scope.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneShotRow {
    pub scope: Scope,
    pub sparsity: f64,
    pub pruned: Seeds,
    pub tuned: Seeds,
    /// Sparsity of each layer after pruning (first seed).
    pub layer_sparsity: Vec<f64>,
}

/// Gradual pruning to one final sparsity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GradualRow {
    pub scope: Scope,
    pub sparsity: f64,
    pub accuracy: Seeds,
    pub schedule: PolynomialDecay,
    /// Zeros in each layer at the end, every seed, and what `round(s_f·n)` asks for: in each
    /// layer for per-layer masks, over the whole network (one number) for global ones.
    pub zeros: Vec<Vec<usize>>,
    pub expected_zeros: Vec<usize>,
    /// Target and measured sparsity during training (first seed).
    pub trace: Vec<SparsityPoint>,
}

/// Iterative pruning (global) to one final sparsity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IterativeRow {
    pub sparsity: f64,
    pub schedule: Rounds,
    pub accuracy: Seeds,
}

/// The lottery ticket: test accuracy after each round of prune-and-rewind (every seed), the
/// sparsity after each round, and the final mask from a fresh initialisation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Lottery {
    pub sparsity: Vec<f64>,
    pub rounds: Vec<Seeds>,
    pub control: Seeds,
}

impl Lottery {
    /// The ticket: the last round.
    pub fn ticket(&self) -> &Seeds {
        self.rounds.last().expect("at least one round")
    }
}

/// How the ℓ1 penalty is applied (see `lab::regularize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum L1Method {
    /// Proximal: a soft-threshold after each step; weights land exactly on zero.
    Proximal,
    /// Subgradient: λ·sign(w) added to the gradient.
    Subgradient,
}

impl L1Method {
    pub fn name(self) -> &'static str {
        match self {
            L1Method::Proximal => "proximal",
            L1Method::Subgradient => "subgradient",
        }
    }
}

/// ℓ1 training at one λ and method.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct L1Row {
    pub method: L1Method,
    pub lambda: f32,
    pub accuracy: Seeds,
    /// Fraction of weights exactly 0, and with |w| < 1e-3, every seed.
    pub exact_zero: Vec<f64>,
    pub below_1e3: Vec<f64>,
    /// Histogram of log10|w| over the non-zero weights (first seed), and its zero count.
    pub log_hist: Vec<u64>,
    pub zero_count: usize,
}

/// ℓ1 (proximal) training at one λ, then one-shot global pruning and fine-tuning.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct L1PruneRow {
    pub lambda: f32,
    pub sparsity: f64,
    /// Accuracy on the validation split (it chooses λ) and on the test set, every seed.
    pub validation: Seeds,
    pub test: Seeds,
}

/// The bins of [`L1Row::log_hist`]: log10|w| from −8 to 0 (values outside go to the end bins).
pub const LOG_HIST: (f64, f64, usize) = (-8.0, 0.0, 40);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub weights_per_layer: Vec<usize>,
    pub baseline: Seeds,
    /// The dense baseline trained on for the fine-tuning epochs (mask of ones): the reference
    /// every pruned model is compared with, so that no method gains from extra steps.
    pub dense_continued: Seeds,
    /// Histogram of log10|w| of the first seed's baseline, on the bins of [`LOG_HIST`].
    pub baseline_log_hist: Vec<u64>,
    pub one_shot: Vec<OneShotRow>,
    pub gradual: Vec<GradualRow>,
    pub iterative: Vec<IterativeRow>,
    pub lottery: Lottery,
    pub l1: Vec<L1Row>,
    pub l1_prune: Vec<L1PruneRow>,
    pub speed: Vec<SpeedPoint>,
}

fn log_hist(model: &Mlp) -> (Vec<u64>, usize) {
    let (lo, hi, bins) = LOG_HIST;
    let mut counts = vec![0u64; bins];
    let mut zeros = 0;
    for w in model.layers.iter().flat_map(|l| l.w.iter()) {
        if *w == 0.0 {
            zeros += 1;
            continue;
        }
        let x = f64::from(w.abs()).log10();
        let b = (((x - lo) / (hi - lo)) * bins as f64).floor();
        counts[(b.max(0.0) as usize).min(bins - 1)] += 1;
    }
    (counts, zeros)
}

/// The row of `rows` that `is` picks, pushed by `new` first if there is none: how each seed's
/// outcome joins the row of its condition.
fn row_for<R>(rows: &mut Vec<R>, is: impl Fn(&R) -> bool, new: impl FnOnce() -> R) -> &mut R {
    let i = match rows.iter().position(is) {
        Some(i) => i,
        None => {
            rows.push(new());
            rows.len() - 1
        }
    };
    &mut rows[i]
}

/// What a job of the parallel phases returns.
enum Job {
    Baseline(usize),
    L1(usize, Penalty),
    OneShot(usize, f64, Scope),
    Gradual(usize, f64, Scope),
    Iterative(usize, f64),
    Lottery(usize),
    /// Seed, index of the proximal ℓ1 model among the phase-1 runs, λ, sparsity.
    L1Prune(usize, usize, f32, f64),
}

enum Outcome {
    Baseline(Mlp, f64),
    L1 {
        model: Mlp,
        acc: f64,
        zero: f64,
        small: f64,
        hist: (Vec<u64>, usize),
    },
    OneShot {
        pruned: f64,
        tuned: f64,
        layers: Vec<f64>,
    },
    Gradual {
        acc: f64,
        zeros: Vec<usize>,
        trace: Vec<SparsityPoint>,
    },
    L1Prune {
        validation: f64,
        test: f64,
    },
    Iterative(f64),
    Lottery {
        rounds: Vec<f64>,
        control: f64,
    },
}

fn penalty_method(p: Penalty) -> L1Method {
    match p {
        Penalty::L1Subgradient(_) => L1Method::Subgradient,
        _ => L1Method::Proximal,
    }
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let Splits {
        train,
        validation,
        test,
        ..
    } = FashionSubset::new(cfg.train_samples, cfg.seed)
        .with_validation(cfg.validation_samples, cfg.seed)
        .with_test(TestRows::First(cfg.test_samples))
        .load()?;
    let net = &cfg.net;
    let finetune = Recipe {
        epochs: cfg.finetune_epochs,
        ..cfg.net.clone()
    };
    let seed_of = |s: usize| cfg.seed + 1000 * s as u64;
    let pct = |a: f64| 100.0 * a;

    // Phase 1: the dense baselines and the ℓ1 runs, all from scratch, in parallel.
    let mut jobs: Vec<Job> = (0..cfg.seeds).map(Job::Baseline).collect();
    for s in 0..cfg.seeds {
        for &l in &cfg.lambdas {
            jobs.push(Job::L1(s, Penalty::L1Subgradient(l)));
            jobs.push(Job::L1(s, Penalty::L1Proximal(l)));
        }
    }
    let bar = progress.bar(jobs.len() as u64, "1 dense and ℓ1 training");
    let phase1: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            let out = match *job {
                Job::Baseline(s) => {
                    let m = baseline(&train, net, seed_of(s));
                    let a = pct(accuracy(&m, &test));
                    Outcome::Baseline(m, a)
                }
                Job::L1(s, p) => {
                    let m = l1_run(&train, net, p, seed_of(s));
                    Outcome::L1 {
                        acc: pct(accuracy(&m, &test)),
                        zero: weight_sparsity(&m),
                        small: fraction_below(&m, 1e-3),
                        hist: log_hist(&m),
                        model: m,
                    }
                }
                _ => unreachable!("phase 1 trains from scratch"),
            };
            bar.inc(1);
            out
        })
        .collect();
    bar.finish();
    let mut models = Vec::new();
    let mut base_acc = Vec::new();
    let mut l1_out = Vec::new();
    // The proximal ℓ1 models, kept to be pruned: (seed, λ, model).
    let mut l1_models: Vec<(usize, f32, Mlp)> = Vec::new();
    for (job, out) in jobs.iter().zip(phase1) {
        match (job, out) {
            (_, Outcome::Baseline(m, a)) => {
                models.push(m);
                base_acc.push(a);
            }
            (
                Job::L1(s, p),
                Outcome::L1 {
                    model,
                    acc,
                    zero,
                    small,
                    hist,
                },
            ) => {
                if let Penalty::L1Proximal(l) = *p {
                    l1_models.push((*s, l, model));
                }
                l1_out.push((*s, *p, (acc, zero, small, hist)));
            }
            _ => unreachable!(),
        }
    }

    // Phase 2: prune every baseline, one-shot (two scopes) and gradual, in parallel.
    let post_steps = finetune.epochs * finetune.steps_per_epoch(&train);
    let ramp_end =
        ((cfg.ramp_fraction * post_steps as f64) as usize) / cfg.frequency * cfg.frequency;
    let schedule = |s_f: f64| PolynomialDecay {
        initial: 0.0,
        final_sparsity: s_f,
        begin_step: 0,
        end_step: ramp_end,
        power: 3,
        frequency: cfg.frequency,
    };
    let rounds = |s_f: f64| Rounds {
        final_sparsity: s_f,
        rounds: cfg.iterative_rounds,
        every: ramp_end / (cfg.iterative_rounds - 1).max(1),
    };
    // The lottery's rounds are whole trainings: first, so the long jobs do not come last.
    let mut jobs: Vec<Job> = (0..cfg.seeds).map(Job::Lottery).collect();
    for s in 0..cfg.seeds {
        jobs.push(Job::OneShot(s, 0.0, Scope::Global));
        for &sp in &cfg.sparsities {
            for scope in [Scope::Global, Scope::PerLayer] {
                jobs.push(Job::OneShot(s, sp, scope));
                jobs.push(Job::Gradual(s, sp, scope));
            }
            jobs.push(Job::Iterative(s, sp));
        }
    }
    for (i, &(s, lambda, _)) in l1_models.iter().enumerate() {
        for &sp in &cfg.l1_prune_sparsities {
            jobs.push(Job::L1Prune(s, i, lambda, sp));
        }
    }
    let bar = progress.bar(jobs.len() as u64, "2 pruning");
    let phase2: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            let out = match *job {
                Job::OneShot(s, sp, scope) => {
                    let (pruned, tuned) =
                        one_shot(&models[s], sp, scope, &train, &finetune, seed_of(s));
                    let layers = zeros_per_layer(&pruned)
                        .iter()
                        .zip(&pruned.layers)
                        .map(|(&z, l)| z as f64 / l.w.len() as f64)
                        .collect();
                    Outcome::OneShot {
                        pruned: pct(accuracy(&pruned, &test)),
                        tuned: pct(accuracy(&tuned, &test)),
                        layers,
                    }
                }
                Job::Gradual(s, sp, scope) => {
                    let (m, trace) = gradual(
                        &models[s],
                        schedule(sp),
                        scope,
                        &train,
                        &finetune,
                        seed_of(s),
                        cfg.trace_every,
                    );
                    Outcome::Gradual {
                        acc: pct(accuracy(&m, &test)),
                        zeros: zeros_per_layer(&m),
                        trace,
                    }
                }
                Job::Iterative(s, sp) => {
                    let (m, _) = gradual(
                        &models[s],
                        rounds(sp),
                        Scope::Global,
                        &train,
                        &finetune,
                        seed_of(s),
                        usize::MAX,
                    );
                    Outcome::Iterative(pct(accuracy(&m, &test)))
                }
                Job::Lottery(s) => {
                    let (rounds, _, control) = lottery(
                        &models[s],
                        cfg.lottery_sparsity,
                        cfg.lottery_rounds,
                        &train,
                        &test,
                        net,
                        seed_of(s),
                    );
                    Outcome::Lottery {
                        rounds: rounds.into_iter().map(pct).collect(),
                        control: pct(accuracy(&control, &test)),
                    }
                }
                Job::L1Prune(s, i, _, sp) => {
                    let (_, tuned) = one_shot(
                        &l1_models[i].2,
                        sp,
                        Scope::Global,
                        &train,
                        &finetune,
                        seed_of(s),
                    );
                    Outcome::L1Prune {
                        validation: pct(accuracy(&tuned, &validation)),
                        test: pct(accuracy(&tuned, &test)),
                    }
                }
                _ => unreachable!("phase 2 prunes"),
            };
            bar.inc(1);
            out
        })
        .collect();
    bar.finish();

    // Gather per-seed results into rows.
    let weights_per_layer: Vec<usize> = models[0].layers.iter().map(|l| l.w.len()).collect();
    let mut one_shot_rows: Vec<OneShotRow> = Vec::new();
    let mut gradual_rows: Vec<GradualRow> = Vec::new();
    let mut l1_prune_rows: Vec<L1PruneRow> = Vec::new();
    let mut iterative_rows: Vec<IterativeRow> = Vec::new();
    let keep = Rounds {
        final_sparsity: cfg.lottery_sparsity,
        rounds: cfg.lottery_rounds,
        every: 1,
    };
    let mut lottery_out = Lottery {
        sparsity: (1..=cfg.lottery_rounds)
            .map(|k| keep.after_round(k))
            .collect(),
        rounds: vec![Seeds(Vec::new()); cfg.lottery_rounds],
        control: Seeds(Vec::new()),
    };
    for (job, out) in jobs.iter().zip(phase2) {
        match (job, out) {
            (&Job::Iterative(_, sp), Outcome::Iterative(acc)) => row_for(
                &mut iterative_rows,
                |r| r.sparsity == sp,
                || IterativeRow {
                    sparsity: sp,
                    schedule: rounds(sp),
                    accuracy: Seeds(Vec::new()),
                },
            )
            .accuracy
            .0
            .push(acc),
            (&Job::Lottery(_), Outcome::Lottery { rounds, control }) => {
                for (seeds, a) in lottery_out.rounds.iter_mut().zip(rounds) {
                    seeds.0.push(a);
                }
                lottery_out.control.0.push(control);
            }
            (
                &Job::OneShot(_, sp, scope),
                Outcome::OneShot {
                    pruned,
                    tuned,
                    layers,
                },
            ) => {
                let r = row_for(
                    &mut one_shot_rows,
                    |r| r.sparsity == sp && r.scope == scope,
                    || OneShotRow {
                        scope,
                        sparsity: sp,
                        pruned: Seeds(Vec::new()),
                        tuned: Seeds(Vec::new()),
                        layer_sparsity: layers,
                    },
                );
                r.pruned.0.push(pruned);
                r.tuned.0.push(tuned);
            }
            (&Job::L1Prune(_, _, lambda, sp), Outcome::L1Prune { validation, test }) => {
                let r = row_for(
                    &mut l1_prune_rows,
                    |r| r.lambda == lambda && r.sparsity == sp,
                    || L1PruneRow {
                        lambda,
                        sparsity: sp,
                        validation: Seeds(Vec::new()),
                        test: Seeds(Vec::new()),
                    },
                );
                r.validation.0.push(validation);
                r.test.0.push(test);
            }
            (&Job::Gradual(_, sp, scope), Outcome::Gradual { acc, zeros, trace }) => {
                let r = row_for(
                    &mut gradual_rows,
                    |r| r.sparsity == sp && r.scope == scope,
                    || GradualRow {
                        scope,
                        sparsity: sp,
                        accuracy: Seeds(Vec::new()),
                        schedule: schedule(sp),
                        zeros: Vec::new(),
                        expected_zeros: match scope {
                            Scope::PerLayer => weights_per_layer
                                .iter()
                                .map(|&n| (sp * n as f64).round() as usize)
                                .collect(),
                            Scope::Global => vec![
                                (sp * weights_per_layer.iter().sum::<usize>() as f64).round()
                                    as usize,
                            ],
                        },
                        trace,
                    },
                );
                r.accuracy.0.push(acc);
                r.zeros.push(zeros);
            }
            _ => unreachable!(),
        }
    }
    // The 0% row is the dense model trained on: take it out of the table of pruned models.
    let dense_at = one_shot_rows
        .iter()
        .position(|r| r.sparsity == 0.0)
        .expect("the dense continuation ran");
    let dense_continued = one_shot_rows.remove(dense_at).tuned;
    one_shot_rows.sort_by(|a, b| {
        (a.scope != Scope::Global)
            .cmp(&(b.scope != Scope::Global))
            .then(a.sparsity.total_cmp(&b.sparsity))
    });
    gradual_rows.sort_by(|a, b| {
        (a.scope != Scope::Global)
            .cmp(&(b.scope != Scope::Global))
            .then(a.sparsity.total_cmp(&b.sparsity))
    });
    l1_prune_rows.sort_by(|a, b| {
        a.sparsity
            .total_cmp(&b.sparsity)
            .then(a.lambda.total_cmp(&b.lambda))
    });
    let mut l1_rows: Vec<L1Row> = Vec::new();
    for (_, p, (acc, zero, small, hist)) in l1_out {
        let lambda = match p {
            Penalty::L1Subgradient(l) | Penalty::L1Proximal(l) => l,
            _ => unreachable!(),
        };
        let method = penalty_method(p);
        let r = row_for(
            &mut l1_rows,
            |r| r.method == method && r.lambda == lambda,
            || L1Row {
                method,
                lambda,
                accuracy: Seeds(Vec::new()),
                exact_zero: Vec::new(),
                below_1e3: Vec::new(),
                log_hist: hist.0,
                zero_count: hist.1,
            },
        );
        r.accuracy.0.push(acc);
        r.exact_zero.push(zero);
        r.below_1e3.push(small);
    }
    l1_rows.sort_by(|a, b| a.method.cmp(&b.method).then(a.lambda.total_cmp(&b.lambda)));

    // Phase 3: speed, on the first seed's baseline, one sparsity at a time, on one thread: the
    // machine may be shared, and a single thread compares the kernels, not the scheduler.
    let x = test
        .x
        .slice(ndarray::s![..cfg.speed_batch.min(test.len()), ..]);
    let bar = progress.bar(cfg.speed_sparsities.len() as u64, "3 CSR vs dense");
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let speed = one_thread.install(|| {
        cfg.speed_sparsities
            .iter()
            .map(|&s| {
                let p = speed_point(&models[0], s, x, cfg.speed_repeats);
                bar.inc(1);
                p
            })
            .collect()
    });
    bar.finish();

    Ok(Report {
        weights_per_layer,
        baseline: Seeds(base_acc),
        dense_continued,
        baseline_log_hist: log_hist(&models[0]).0,
        one_shot: one_shot_rows,
        gradual: gradual_rows,
        iterative: iterative_rows,
        lottery: lottery_out,
        l1: l1_rows,
        l1_prune: l1_prune_rows,
        speed,
    })
}

pub fn find_one_shot(r: &Report, scope: Scope, sparsity: f64) -> Option<&OneShotRow> {
    r.one_shot
        .iter()
        .find(|o| o.scope == scope && (o.sparsity - sparsity).abs() < 1e-9)
}

/// The ℓ1 runs' accuracy cost against the baselines of the same seeds (same initial weights,
/// same batches, same epochs): `baseline − ℓ1`, in points, paired by seed.
pub fn l1_cost(r: &Report, row: &L1Row) -> Paired {
    Paired::new(r.baseline.first(row.accuracy.0.len()), &row.accuracy.0)
}

/// The mean accuracy of the baselines of the seeds the ℓ1 runs used.
pub fn l1_reference(r: &Report) -> f64 {
    let n = r.l1.first().map_or(0, |l| l.accuracy.0.len());
    mean(r.baseline.first(n.max(1)))
}

// ANCHOR: thresholds
/// The accuracy cost (points) a proximal λ may have to count (95% interval of the paired cost
/// below it), and the exact-zero shares the claim asks of the two methods.
pub const L1_MAX_COST: Threshold = Threshold::same(2.0);
pub const PROXIMAL_ZEROS: Threshold = Threshold::same(0.5);
pub const SUBGRADIENT_ZEROS: Threshold = Threshold::same(0.01);
/// At 90% sparsity: fine-tuning loses at most `FINETUNE_LOSS` points against the dense net
/// trained as long (95% interval below it), and not fine-tuning loses `NO_FINETUNE_MORE` points
/// more (95% interval above it).
pub const FINETUNE_LOSS: Threshold = Threshold::same(1.0);
pub const NO_FINETUNE_MORE: Threshold = Threshold::same(1.0);
/// "At least as accurate": gradual − (one-shot + fine-tune) no worse than −`NON_INFERIOR`
/// points (lower end of the 95% interval).
pub const NON_INFERIOR: Threshold = Threshold::same(0.5);
/// ℓ1 before pruning must win (95% interval of the paired gain above 0) at every sparsity from
/// this one on.
pub const L1_PRUNE_FROM: f64 = 0.95;
/// Sparsities where CSR must be slower than dense, and faster (95% intervals of the speed-up).
pub const CSR_SLOWER_AT: f64 = 0.5;
pub const CSR_FASTER_AT: f64 = 0.95;
// ANCHOR_END: thresholds

/// The gradual run at one sparsity and scope.
pub fn find_gradual(r: &Report, scope: Scope, sparsity: f64) -> Option<&GradualRow> {
    r.gradual
        .iter()
        .find(|g| g.scope == scope && (g.sparsity - sparsity).abs() < 1e-9)
}

/// The ℓ1 → prune → fine-tune row at `sparsity` whose λ has the best mean validation accuracy
/// (ties to the smaller λ): λ is chosen without looking at the test set.
pub fn l1_prune_choice(r: &Report, sparsity: f64) -> Option<&L1PruneRow> {
    r.l1_prune
        .iter()
        .filter(|l| (l.sparsity - sparsity).abs() < 1e-9)
        .fold(None, |best: Option<&L1PruneRow>, l| match best {
            Some(b) if b.validation.mean() >= l.validation.mean() => Some(b),
            _ => Some(l),
        })
}

/// Paired comparisons that must each clear a bar: the 95% interval above it (and, for the seed
/// tally, each seed's difference above it). Tracks whether all did, the worst interval, and the
/// seeds in which every comparison cleared it.
struct Comparisons {
    bar: f64,
    count: usize,
    ok: bool,
    seed_ok: Vec<bool>,
    worst: lab::stats::Interval,
}

impl Comparisons {
    fn new(bar: f64, seeds: usize) -> Self {
        Comparisons {
            bar,
            count: 0,
            ok: true,
            seed_ok: vec![true; seeds],
            worst: lab::stats::Interval {
                lo: f64::INFINITY,
                hi: f64::INFINITY,
            },
        }
    }
    /// Add one comparison; returns its 95% interval.
    fn add(&mut self, d: &Paired) -> lab::stats::Interval {
        let ci = d.ci95();
        self.count += 1;
        self.ok &= ci.above(self.bar);
        for (ok, &x) in self.seed_ok.iter_mut().zip(&d.diffs) {
            *ok &= x > self.bar;
        }
        if ci.lo < self.worst.lo {
            self.worst = ci;
        }
        ci
    }
    /// A comparison that should have been made could not be: the claim cannot hold.
    fn missing(&mut self) {
        self.ok = false;
    }
    fn holds(&self) -> bool {
        self.ok && self.count > 0
    }
    fn seeds_holding(&self) -> usize {
        self.seed_ok.iter().filter(|&&x| x).count()
    }
}

/// The speed point at `sparsity`, if it was timed.
pub fn speed_at(r: &Report, sparsity: f64) -> Option<&SpeedPoint> {
    r.speed
        .iter()
        .find(|p| (p.sparsity - sparsity).abs() < 1e-9)
}

pub fn claims(r: &Report, scale: Scale) -> Vec<Claim> {
    let mut out = Vec::new();

    // 1. ℓ1: the proximal λ with the most exact zeros among those whose cost is below the bound.
    let max_cost = L1_MAX_COST.at(scale);
    let affordable: Vec<&L1Row> =
        r.l1.iter()
            .filter(|l| l.method == L1Method::Proximal && l1_cost(r, l).ci95().below(max_cost))
            .collect();
    let best = affordable
        .iter()
        .max_by(|a, b| mean(&a.exact_zero).total_cmp(&mean(&b.exact_zero)));
    let (prox_min, sub_max) = (PROXIMAL_ZEROS.at(scale), SUBGRADIENT_ZEROS.at(scale));
    let claim = Claim::new(format!(
        "Proximal ℓ1 gives > {:.0}% exact zeros at a λ costing ≤ {max_cost} points; the subgradient step at that λ gives < {:.0}%",
        100.0 * prox_min,
        100.0 * sub_max
    ))
    .rule(format!(
        "among the proximal λ whose cost (baseline − ℓ1 accuracy, paired by seed) has its 95% CI below {max_cost} points, the one with the most exact zeros: mean share > {:.0}%, and the subgradient's at that λ < {:.0}%",
        100.0 * prox_min,
        100.0 * sub_max
    ))
    .full_run_only("the quick run tries two large λ on 3,000 images, not the full run's grid")
    .literature(
        "soft-thresholding: 13 of 20 exact zeros; subgradient: none",
        "LASSO demo, fmin.xyz",
    );
    out.push(match best {
        Some(p) => {
            let sub =
                r.l1.iter()
                    .find(|l| l.method == L1Method::Subgradient && l.lambda == p.lambda)
                    .expect("both methods run at every λ");
            let cost = l1_cost(r, p);
            claim
                .measured(format!(
                    "λ = {:e}: proximal {:.1}% exact zeros at a cost of {:+.2} points, 95% CI {}; subgradient {:.3}% exact zeros ({:.1}% below 1e-3)",
                    p.lambda,
                    100.0 * mean(&p.exact_zero),
                    cost.mean(),
                    cost.ci95().fmt_signed(2),
                    100.0 * mean(&sub.exact_zero),
                    100.0 * mean(&sub.below_1e3),
                ))
                .interval(cost.ci95())
                .holds(mean(&p.exact_zero) > prox_min && mean(&sub.exact_zero) < sub_max)
        }
        None => claim.measured(format!("no proximal λ whose cost is below {max_cost} points")),
    });

    // 2. 90%, global: fine-tuned against the dense net trained as long; fine-tuned against not.
    if let Some(o) = find_one_shot(r, Scope::Global, 0.9) {
        let seeds = o.tuned.0.len();
        let lost = Paired::new(&r.dense_continued.0, &o.tuned.0);
        let lost_ci = lost.ci95();
        let bound = FINETUNE_LOSS.at(scale);
        out.push(
            Claim::new(format!(
                "At 90% sparsity (global), pruning + fine-tuning loses ≤ {bound} point against the dense net trained as long"
            ))
            .rule(format!(
                "(dense, same steps) − (pruned + fine-tuned) test accuracy, paired by seed: 95% CI below {bound} point"
            ))
            .measured(format!(
                "{:+.2} points, 95% CI {}; dense {:.2}% → same steps {:.2}% → pruned + fine-tuned {:.2}%",
                lost.mean(),
                lost_ci.fmt_signed(2),
                r.baseline.mean(),
                r.dense_continued.mean(),
                o.tuned.mean(),
            ))
            .interval(lost_ci)
            .seeds(lost.diffs.iter().filter(|&&d| d <= bound).count(), seeds)
            .holds(lost_ci.below(bound))
            .full_run_only("the quick run fine-tunes for 94 steps, too few to recover")
            .literature(
                "no loss at 9–13× after retraining",
                "Han et al. 2015",
            ),
        );
        let more = NO_FINETUNE_MORE.at(scale);
        let gain = Paired::new(&o.tuned.0, &o.pruned.0);
        let gain_ci = gain.ci95();
        out.push(
            Claim::new(format!(
                "At 90% sparsity (global), pruning without fine-tuning loses ≥ {more} point more than with it"
            ))
            .rule(format!(
                "(pruned + fine-tuned) − (pruned only) test accuracy, paired by seed: 95% CI above {more} point"
            ))
            .measured(format!(
                "{:+.2} points, 95% CI {}; pruned only {:.2}%",
                gain.mean(),
                gain_ci.fmt_signed(2),
                o.pruned.mean()
            ))
            .interval(gain_ci)
            .seeds(gain.count_above(more), seeds)
            .holds(gain_ci.above(more))
            .literature(
                "without retraining accuracy falls",
                "Han et al. 2015",
            ),
        );
    }

    // 3. Gradual vs one-shot + fine-tune at the two highest sparsities, like with like: the
    //    same threshold (global, then per layer) and the same steps.
    let margin = NON_INFERIOR.at(scale);
    let mut top: Vec<f64> = r.gradual.iter().map(|g| g.sparsity).collect();
    top.sort_by(f64::total_cmp);
    top.dedup();
    let top: Vec<f64> = top.into_iter().rev().take(2).rev().collect();
    let mut parts = Vec::new();
    let mut gate = Comparisons::new(-margin, r.baseline.0.len());
    for scope in [Scope::Global, Scope::PerLayer] {
        for &sp in &top {
            let (Some(g), Some(o)) = (find_gradual(r, scope, sp), find_one_shot(r, scope, sp))
            else {
                gate.missing();
                continue;
            };
            let d = Paired::new(&g.accuracy.0, &o.tuned.0);
            let ci = gate.add(&d);
            parts.push(format!(
                "{} {:.0}%: {:+.2} points, 95% CI {} (gradual {:.2}%, one-shot + FT {:.2}%)",
                scope.name(),
                100.0 * sp,
                d.mean(),
                ci.fmt_signed(2),
                g.accuracy.mean(),
                o.tuned.mean()
            ));
        }
    }
    let updates = r
        .gradual
        .first()
        .map_or(0, |g| g.schedule.end_step / g.schedule.frequency + 1);
    out.push(
        Claim::new(format!(
            "Gradual pruning ({updates} mask updates) is at least as accurate as one-shot + fine-tune at the two highest sparsities, with the same threshold and the same steps"
        ))
        .rule(format!(
            "gradual − (one-shot + fine-tune) test accuracy, global both and per layer both, paired by seed: 95% CI above −{margin} points at each sparsity"
        ))
        .measured(parts.join("; "))
        .interval(gate.worst)
        .seeds(gate.seeds_holding(), gate.seed_ok.len())
        .holds(gate.holds())
        .literature(
            "gradual pruning: InceptionV3 78.1% dense → 74.6% at 87.5%",
            "Zhu & Gupta 2017; TF-MOT pruning guide",
        ),
    );

    // 3b. Iterative pruning against one-shot + fine-tune at the highest sparsity, global both,
    //     the same steps; and the lottery ticket against its mask from a fresh initialisation.
    if let Some(it) = r.iterative.last() {
        let claim = Claim::new(format!(
            "Iterative pruning ({} rounds) is more accurate than one-shot + fine-tune at {:.0}% sparsity, with the same threshold and the same steps",
            it.schedule.rounds,
            100.0 * it.sparsity
        ))
        .rule("iterative − (one-shot + fine-tune) test accuracy, global both, paired by seed: 95% CI above 0")
        .literature(
            "iterating prune–retrain lifts AlexNet from 5× to 9× without loss",
            "Han et al. 2015",
        );
        out.push(
            match (
                find_one_shot(r, Scope::Global, it.sparsity),
                find_gradual(r, Scope::Global, it.sparsity),
            ) {
                (Some(o), Some(g)) => {
                    let d = Paired::new(&it.accuracy.0, &o.tuned.0);
                    let vs_gradual = Paired::new(&it.accuracy.0, &g.accuracy.0);
                    claim
                        .measured(format!(
                            "{:+.2} points, 95% CI {} (iterative {:.2}%, one-shot + FT {:.2}%); iterative − gradual {:+.2}, 95% CI {}",
                            d.mean(),
                            d.ci95().fmt_signed(2),
                            it.accuracy.mean(),
                            o.tuned.mean(),
                            vs_gradual.mean(),
                            vs_gradual.ci95().fmt_signed(2)
                        ))
                        .interval(d.ci95())
                        .seeds(d.count_above(0.0), d.n())
                        .holds(d.ci95().above(0.0))
                }
                _ => claim.measured("one-shot or gradual pruning did not run at that sparsity"),
            },
        );
    }
    let lot = &r.lottery;
    let d = Paired::new(&lot.ticket().0, &lot.control.0);
    let dense = Paired::new(&lot.ticket().0, r.baseline.first(lot.control.0.len()));
    out.push(
        Claim::new(format!(
            "At {:.0}% sparsity the lottery ticket ({} rounds of prune and rewind) is more accurate than its mask trained from a fresh random initialisation",
            100.0 * lot.sparsity.last().copied().unwrap_or(f64::NAN),
            lot.rounds.len()
        ))
        .rule("ticket − (same mask, new initial weights, same training) test accuracy, paired by seed: 95% CI above 0")
        .measured(format!(
            "{:+.2} points, 95% CI {} (ticket {:.2}%, reinitialised {:.2}%); ticket − dense baseline {:+.2}, 95% CI {}",
            d.mean(),
            d.ci95().fmt_signed(2),
            lot.ticket().mean(),
            lot.control.mean(),
            dense.mean(),
            dense.ci95().fmt_signed(2)
        ))
        .interval(d.ci95())
        .seeds(d.count_above(0.0), d.n())
        .holds(d.ci95().above(0.0))
        .full_run_only("the quick run's two rounds train 3,000 images for 5 epochs each")
        .literature(
            "LeNet-300-100 tickets match the dense net down to ~3.5% of the weights; reinitialised ones fall off far earlier",
            "Frankle & Carbin 2019",
        ),
    );

    // 3c. ℓ1 during training, then pruning and fine-tuning, against pruning alone.
    let mut parts = Vec::new();
    let mut gate = Comparisons::new(0.0, r.baseline.0.len());
    let l1_sparsities: Vec<f64> = {
        let mut v: Vec<f64> = r.l1_prune.iter().map(|l| l.sparsity).collect();
        v.dedup();
        v
    };
    for &sp in l1_sparsities.iter().filter(|&&sp| sp >= L1_PRUNE_FROM) {
        let (Some(l), Some(o)) = (l1_prune_choice(r, sp), find_one_shot(r, Scope::Global, sp))
        else {
            continue;
        };
        let d = Paired::new(&l.test.0, &o.tuned.0);
        let ci = gate.add(&d);
        parts.push(format!(
            "{:.0}% (λ = {:e}): {:+.2} points, 95% CI {} (ℓ1 → prune → FT {:.2}%, prune → FT {:.2}%)",
            100.0 * sp,
            l.lambda,
            d.mean(),
            ci.fmt_signed(2),
            l.test.mean(),
            o.tuned.mean()
        ));
    }
    out.push(
        Claim::new(format!(
            "Training with ℓ1 before pruning gives a more accurate sparse model than pruning alone, at {:.0}% sparsity and above",
            100.0 * L1_PRUNE_FROM
        ))
        .rule(
            "(proximal ℓ1 at the λ with the best mean validation accuracy after pruning → one-shot global → fine-tune) − (baseline → one-shot global → fine-tune), test accuracy, paired by seed: 95% CI above 0 at each sparsity",
        )
        .measured(parts.join("; "))
        .interval(gate.worst)
        .seeds(gate.seeds_holding(), gate.seed_ok.len())
        .holds(gate.holds())
        .full_run_only("the quick run prunes at one sparsity, after ℓ1 runs of 3,000 images")
        .literature(
            "ℓ1 before pruning is better without retraining; ℓ2 with retraining",
            "Han et al. 2015, Fig. 5",
        ),
    );

    // 4. What the zeros buy: CSR slower than dense at half sparsity, faster when very sparse.
    let (slow, fast) = (speed_at(r, CSR_SLOWER_AT), speed_at(r, CSR_FASTER_AT));
    let claim = Claim::new(format!(
        "Zeros buy speed only when very sparse: the CSR product is slower than the dense one at {:.0}% sparsity and faster at {:.0}%",
        100.0 * CSR_SLOWER_AT,
        100.0 * CSR_FASTER_AT
    ))
    .rule(format!(
        "dense time / CSR time, median over alternating repeats, 1 thread: 95% CI below 1 at {:.0}%, above 1 at {:.0}%",
        100.0 * CSR_SLOWER_AT,
        100.0 * CSR_FASTER_AT
    ))
    .full_run_only("the quick run times a batch of 128 while the other tests load both cores")
    .literature("—", "");
    out.push(match (slow, fast) {
        (Some(s), Some(f)) => {
            let (sx, sci) = s.timings.speedup();
            let (fx, fci) = f.timings.speedup();
            let top = r.speed.last().expect("speed points");
            claim
                .measured(format!(
                    "speed-up {sx:.2}× {} at {:.0}%, {fx:.2}× {} at {:.0}%; {:.1}× at {:.0}%",
                    sci.fmt(2),
                    100.0 * CSR_SLOWER_AT,
                    fci.fmt(2),
                    100.0 * CSR_FASTER_AT,
                    top.timings.speedup().0,
                    100.0 * top.sparsity
                ))
                .interval(fci)
                .holds(sci.below(1.0) && fci.above(1.0))
        }
        _ => claim.measured("those sparsities were not timed"),
    });
    out
}

book_pipeline::impl_chapter!(Chapter6, "chapter-6", "How do you get a sparse model?");
