//! Chapter 6: how to obtain a sparse model.
//!
//! LeNet-300-100 on Fashion-MNIST, made sparse three ways:
//! 1. one-shot magnitude pruning of the trained network, global or per layer, with and without
//!    fine-tuning under a fixed mask ([`training::one_shot`]);
//! 2. gradual magnitude pruning with the toolkit's cubic schedule ([`training::gradual`],
//!    [`prune::PolynomialDecay`]);
//! 3. ℓ1 regularisation during training, by subgradient and by proximal step
//!    ([`training::l1_run`]);
//!
//! and what the zeros buy: bytes and inference time of a CSR product against a dense one
//! ([`speed`]).

pub mod artifacts;
pub mod prune;
pub mod speed;
pub mod training;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use lab::chapter::Claim;
use lab::data::{Standardizer, fashion_mnist};
use lab::progress::Progress;
use lab::{Mlp, Penalty};

use prune::{PolynomialDecay, Scope, fraction_below, weight_sparsity, zeros_per_layer};
use speed::{SpeedPoint, crossover, speed_point};
use training::{Hyper, SparsityPoint, accuracy, baseline, gradual, l1_run, one_shot};

/// The chapter, as the book pipeline sees it.
pub struct Chapter6;

// ANCHOR: config
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub seed: u64,
    /// Independent repetitions (initialisation and batch order) of the baseline and of every
    /// pruning run; ℓ1 runs use the first `l1_seeds` of them.
    pub seeds: usize,
    pub l1_seeds: usize,
    /// Training images (stratified subset of the 60,000) and test images (first n of 10,000).
    pub train_samples: usize,
    pub test_samples: usize,
    pub hyper: Hyper,
    /// Epochs of the dense baseline and of each ℓ1 run (from scratch).
    pub epochs: usize,
    /// Epochs after pruning: fine-tuning under a fixed mask, or the whole gradual run.
    pub finetune_epochs: usize,
    /// Final sparsities of one-shot and gradual pruning.
    pub sparsities: Vec<f64>,
    /// The schedule recomputes masks every `frequency` steps (toolkit default 100), and its
    /// ramp ends at this fraction of the post-pruning steps (rounded down to a multiple of
    /// `frequency`); the rest is recovery with the final mask.
    pub frequency: usize,
    pub ramp_fraction: f64,
    /// ℓ1 strengths λ (penalty λ‖w‖₁ added to the mean cross-entropy).
    pub lambdas: Vec<f32>,
    /// Accuracy cost (points) the proximal λ may have (2 in the claim); and the loss (points)
    /// fine-tuning may leave at 90% (1 in the claim). The smoke run trains 3,000 images for
    /// 235 steps and fine-tunes for 94: far from converged, it checks the mechanisms (exact
    /// zeros from the proximal step only; fine-tuning recovers most of the loss) with its own
    /// loose bounds, 15 and 6 points.
    pub max_l1_cost: f64,
    pub max_finetune_loss: f64,
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
            seeds: 3,
            l1_seeds: 3,
            train_samples: 20_000,
            test_samples: 10_000,
            hyper: Hyper {
                lr: 0.05,
                batch: 64,
            },
            epochs: 6,
            finetune_epochs: 2,
            sparsities: vec![0.5, 0.75, 0.9, 0.95, 0.98],
            frequency: 100,
            ramp_fraction: 0.5,
            lambdas: vec![3e-5, 1e-4, 3e-4, 1e-3, 3e-3],
            max_l1_cost: 2.0,
            max_finetune_loss: 1.0,
            speed_sparsities: vec![0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99],
            speed_batch: 256,
            speed_repeats: 41,
            trace_every: 10,
        }
    }
    // ANCHOR_END: full
    pub fn smoke() -> Self {
        Config {
            seeds: 1,
            l1_seeds: 1,
            train_samples: 3_000,
            test_samples: 1_000,
            epochs: 5,
            finetune_epochs: 2,
            sparsities: vec![0.9, 0.95, 0.98],
            frequency: 10,
            lambdas: vec![3e-3, 1e-2],
            max_l1_cost: 15.0,
            max_finetune_loss: 6.0,
            speed_sparsities: vec![0.0, 0.5, 0.9, 0.99],
            speed_batch: 128,
            speed_repeats: 5,
            trace_every: 2,
            ..Self::full()
        }
    }
}

/// Accuracy of every seed, in %.
#[derive(Clone, Debug, Serialize)]
pub struct Seeds(pub Vec<f64>);

impl Seeds {
    pub fn mean(&self) -> f64 {
        self.0.iter().sum::<f64>() / self.0.len() as f64
    }
    /// Sample standard deviation (0 with one seed).
    pub fn std(&self) -> f64 {
        let n = self.0.len();
        if n < 2 {
            return 0.0;
        }
        let m = self.mean();
        (self.0.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    }
}

/// One-shot pruning at one sparsity and scope.
#[derive(Clone, Debug, Serialize)]
pub struct OneShotRow {
    pub scope: Scope,
    pub sparsity: f64,
    pub pruned: Seeds,
    pub tuned: Seeds,
    /// Sparsity of each layer after pruning (first seed).
    pub layer_sparsity: Vec<f64>,
}

/// Gradual pruning to one final sparsity.
#[derive(Clone, Debug, Serialize)]
pub struct GradualRow {
    pub sparsity: f64,
    pub accuracy: Seeds,
    pub schedule: PolynomialDecay,
    /// Zeros in each layer at the end, every seed, and what `round(s_f·n)` asks for.
    pub zeros: Vec<Vec<usize>>,
    pub expected_zeros: Vec<usize>,
    /// Target and measured sparsity during training (first seed).
    pub trace: Vec<SparsityPoint>,
}

/// ℓ1 training at one λ and method.
#[derive(Clone, Debug, Serialize)]
pub struct L1Row {
    pub method: String,
    pub lambda: f32,
    pub accuracy: Seeds,
    /// Fraction of weights exactly 0, and with |w| < 1e-3, every seed.
    pub exact_zero: Vec<f64>,
    pub below_1e3: Vec<f64>,
    /// Histogram of log10|w| over the non-zero weights (first seed), and its zero count.
    pub log_hist: Vec<u64>,
    pub zero_count: usize,
}

/// The bins of [`L1Row::log_hist`]: log10|w| from −8 to 0 (values outside go to the end bins).
pub const LOG_HIST: (f64, f64, usize) = (-8.0, 0.0, 40);

#[derive(Clone, Debug, Serialize)]
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
    pub l1: Vec<L1Row>,
    pub speed: Vec<SpeedPoint>,
    pub max_l1_cost: f64,
    pub max_finetune_loss: f64,
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

/// What a job of the parallel phases returns.
enum Job {
    Baseline(usize),
    L1(usize, Penalty),
    OneShot(usize, f64, Scope),
    Gradual(usize, f64),
}

enum Outcome {
    Baseline(Mlp, f64),
    L1 {
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
}

fn penalty_name(p: Penalty) -> &'static str {
    match p {
        Penalty::L1Subgradient(_) => "subgradient",
        _ => "proximal",
    }
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let data = fashion_mnist()?;
    let mut train = data.train.stratified_subset(cfg.train_samples, cfg.seed);
    let idx: Vec<usize> = (0..cfg.test_samples.min(data.test.len())).collect();
    let mut test = data.test.select(&idx);
    let scaler = Standardizer::fit(&train);
    scaler.apply(&mut train);
    scaler.apply(&mut test);
    let h = cfg.hyper;
    let seed_of = |s: usize| cfg.seed + 1000 * s as u64;
    let pct = |a: f64| 100.0 * a;

    // Phase 1: the dense baselines and the ℓ1 runs, all from scratch, in parallel.
    let mut jobs: Vec<Job> = (0..cfg.seeds).map(Job::Baseline).collect();
    for s in 0..cfg.l1_seeds.min(cfg.seeds) {
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
                    let m = baseline(&train, h, cfg.epochs, seed_of(s));
                    let a = pct(accuracy(&m, &test));
                    Outcome::Baseline(m, a)
                }
                Job::L1(s, p) => {
                    let m = l1_run(&train, h, cfg.epochs, p, seed_of(s));
                    Outcome::L1 {
                        acc: pct(accuracy(&m, &test)),
                        zero: weight_sparsity(&m),
                        small: fraction_below(&m, 1e-3),
                        hist: log_hist(&m),
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
    for (job, out) in jobs.iter().zip(phase1) {
        match (job, out) {
            (_, Outcome::Baseline(m, a)) => {
                models.push(m);
                base_acc.push(a);
            }
            (Job::L1(s, p), o) => l1_out.push((*s, *p, o)),
            _ => unreachable!(),
        }
    }

    // Phase 2: prune every baseline, one-shot (two scopes) and gradual, in parallel.
    let post_steps = cfg.finetune_epochs * training::steps_per_epoch(&train, h.batch);
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
    let mut jobs = Vec::new();
    for s in 0..cfg.seeds {
        jobs.push(Job::OneShot(s, 0.0, Scope::Global));
        for &sp in &cfg.sparsities {
            jobs.push(Job::OneShot(s, sp, Scope::Global));
            jobs.push(Job::OneShot(s, sp, Scope::PerLayer));
            jobs.push(Job::Gradual(s, sp));
        }
    }
    let bar = progress.bar(jobs.len() as u64, "2 pruning");
    let phase2: Vec<Outcome> = jobs
        .par_iter()
        .map(|job| {
            let out = match *job {
                Job::OneShot(s, sp, scope) => {
                    let (pruned, tuned) = one_shot(
                        &models[s],
                        sp,
                        scope,
                        &train,
                        h,
                        cfg.finetune_epochs,
                        seed_of(s),
                    );
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
                Job::Gradual(s, sp) => {
                    let (m, trace) = gradual(
                        &models[s],
                        schedule(sp),
                        &train,
                        h,
                        cfg.finetune_epochs,
                        seed_of(s),
                        cfg.trace_every,
                    );
                    Outcome::Gradual {
                        acc: pct(accuracy(&m, &test)),
                        zeros: zeros_per_layer(&m),
                        trace,
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
    for (job, out) in jobs.iter().zip(phase2) {
        match (job, out) {
            (
                &Job::OneShot(_, sp, scope),
                Outcome::OneShot {
                    pruned,
                    tuned,
                    layers,
                },
            ) => match one_shot_rows
                .iter_mut()
                .find(|r| r.sparsity == sp && r.scope == scope)
            {
                Some(r) => {
                    r.pruned.0.push(pruned);
                    r.tuned.0.push(tuned);
                }
                None => one_shot_rows.push(OneShotRow {
                    scope,
                    sparsity: sp,
                    pruned: Seeds(vec![pruned]),
                    tuned: Seeds(vec![tuned]),
                    layer_sparsity: layers,
                }),
            },
            (&Job::Gradual(_, sp), Outcome::Gradual { acc, zeros, trace }) => {
                match gradual_rows.iter_mut().find(|r| r.sparsity == sp) {
                    Some(r) => {
                        r.accuracy.0.push(acc);
                        r.zeros.push(zeros);
                    }
                    None => gradual_rows.push(GradualRow {
                        sparsity: sp,
                        accuracy: Seeds(vec![acc]),
                        schedule: schedule(sp),
                        zeros: vec![zeros],
                        expected_zeros: weights_per_layer
                            .iter()
                            .map(|&n| (sp * n as f64).round() as usize)
                            .collect(),
                        trace,
                    }),
                }
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
    let mut l1_rows: Vec<L1Row> = Vec::new();
    for (_, p, o) in l1_out {
        let Outcome::L1 {
            acc,
            zero,
            small,
            hist,
        } = o
        else {
            unreachable!()
        };
        let lambda = match p {
            Penalty::L1Subgradient(l) | Penalty::L1Proximal(l) => l,
            _ => unreachable!(),
        };
        let method = penalty_name(p).to_string();
        match l1_rows
            .iter_mut()
            .find(|r| r.method == method && r.lambda == lambda)
        {
            Some(r) => {
                r.accuracy.0.push(acc);
                r.exact_zero.push(zero);
                r.below_1e3.push(small);
            }
            None => l1_rows.push(L1Row {
                method,
                lambda,
                accuracy: Seeds(vec![acc]),
                exact_zero: vec![zero],
                below_1e3: vec![small],
                log_hist: hist.0,
                zero_count: hist.1,
            }),
        }
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
        l1: l1_rows,
        speed,
        max_l1_cost: cfg.max_l1_cost,
        max_finetune_loss: cfg.max_finetune_loss,
    })
}

pub fn find_one_shot(r: &Report, scope: Scope, sparsity: f64) -> Option<&OneShotRow> {
    r.one_shot
        .iter()
        .find(|o| o.scope == scope && (o.sparsity - sparsity).abs() < 1e-9)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Mean and standard error of the paired differences `a_s − b_s` over seeds.
pub fn paired_diff(a: &Seeds, b: &Seeds) -> (f64, f64) {
    let d = Seeds(a.0.iter().zip(&b.0).map(|(x, y)| x - y).collect());
    (d.mean(), d.std() / (d.0.len() as f64).sqrt())
}

/// Mean accuracy of the baselines of the seeds the ℓ1 runs used (same epochs, same seeds).
pub fn l1_reference(r: &Report) -> f64 {
    let n = r.l1.first().map_or(0, |l| l.accuracy.0.len());
    mean(&r.baseline.0[..n.max(1)])
}

/// The proximal λ with the most exact zeros among those within `max_l1_cost` points of the
/// baseline, if any.
pub fn best_proximal(r: &Report) -> Option<&L1Row> {
    let base = l1_reference(r);
    r.l1.iter()
        .filter(|l| l.method == "proximal" && base - l.accuracy.mean() <= r.max_l1_cost)
        .max_by(|a, b| mean(&a.exact_zero).total_cmp(&mean(&b.exact_zero)))
}

pub fn claims(r: &Report) -> Vec<Claim> {
    let base = l1_reference(r);
    let mut out = Vec::new();

    // 1. ℓ1: proximal vs subgradient at the same λ.
    let best = best_proximal(r);
    let (m1, h1) = match best {
        Some(p) => {
            let sub =
                r.l1.iter()
                    .find(|l| l.method == "subgradient" && l.lambda == p.lambda)
                    .expect("both methods run at every λ");
            (
                format!(
                    "λ = {:e}: proximal {:.1}% exact zeros at a cost of {:.2} points; subgradient {:.3}% exact zeros ({:.1}% below 1e-3)",
                    p.lambda,
                    100.0 * mean(&p.exact_zero),
                    base - p.accuracy.mean(),
                    100.0 * mean(&sub.exact_zero),
                    100.0 * mean(&sub.below_1e3),
                ),
                mean(&p.exact_zero) > 0.5 && mean(&sub.exact_zero) < 0.01,
            )
        }
        None => (
            format!("no λ within {} points of the baseline", r.max_l1_cost),
            false,
        ),
    };
    out.push(
        Claim::new(
            format!(
                "Proximal ℓ1 gives > 50% exact zeros at a λ costing ≤ {} points; the subgradient step at that λ gives < 1%",
                r.max_l1_cost
            ),
            m1,
            h1,
        )
        .literature(
            "soft-thresholding: 13 of 20 exact zeros; subgradient: none",
            "LASSO demo, fmin.xyz",
        ),
    );

    // 2. 90%: fine-tuning recovers, no fine-tuning does not.
    if let Some(o) = find_one_shot(r, Scope::Global, 0.9) {
        // Fine-tuned vs the dense model trained for as many steps; not fine-tuned vs the
        // baseline it was cut from.
        let lost_ft = r.dense_continued.mean() - o.tuned.mean();
        let lost_raw = r.baseline.mean() - o.pruned.mean();
        out.push(
            Claim::new(
                format!(
                    "At 90% sparsity (global), pruning + fine-tuning loses ≤ {} point; without fine-tuning ≥ 1 point more",
                    r.max_finetune_loss
                ),
                format!(
                    "dense {:.2} ± {:.2}% (same steps {:.2}%); fine-tuned loses {lost_ft:.2} points against the same steps ({:.2} against the dense baseline), not fine-tuned {lost_raw:.2}",
                    r.baseline.mean(),
                    r.baseline.std(),
                    r.dense_continued.mean(),
                    r.baseline.mean() - o.tuned.mean(),
                ),
                lost_ft <= r.max_finetune_loss && lost_raw >= lost_ft + 1.0,
            )
            .literature(
                "no loss at 9–13× after retraining; without retraining accuracy falls",
                "Han et al. 2015",
            ),
        );
    }

    // 3. Gradual vs one-shot + fine-tune at the two highest sparsities, per layer both.
    let top: Vec<&GradualRow> = r.gradual.iter().rev().take(2).collect();
    let mut parts = Vec::new();
    let mut ok = true;
    for g in top.iter().rev() {
        let o = find_one_shot(r, Scope::PerLayer, g.sparsity).expect("same sparsities");
        let (d, se) = paired_diff(&g.accuracy, &o.tuned);
        ok &= d + 2.0 * se >= 0.0;
        parts.push(format!(
            "{:.0}%: gradual {:.2} vs one-shot + FT {:.2} (diff {d:+.2} ± {se:.2})",
            100.0 * g.sparsity,
            g.accuracy.mean(),
            o.tuned.mean()
        ));
    }
    out.push(
        Claim::new(
            "Gradual pruning is at least as accurate as one-shot + fine-tune at the highest sparsities (same steps; within 2 s.e.)",
            parts.join("; "),
            ok,
        )
        .literature(
            "gradual pruning: InceptionV3 78.1% dense → 74.6% at 87.5%",
            "Zhu & Gupta 2017; TF-MOT pruning guide",
        ),
    );

    // 4. Exact final sparsity.
    let exact = r
        .gradual
        .iter()
        .all(|g| g.zeros.iter().all(|z| *z == g.expected_zeros));
    let n: usize = r.weights_per_layer.iter().sum();
    out.push(
        Claim::new(
            "The schedule hits its final sparsity exactly (to the granularity of the weight count)",
            r.gradual
                .iter()
                .map(|g| {
                    let z: usize = g.zeros[0].iter().sum();
                    format!(
                        "{:.0}% → {:.4}%",
                        100.0 * g.sparsity,
                        100.0 * z as f64 / n as f64
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
                + if exact {
                    " (every layer, every seed: round(s_f·n) zeros)"
                } else {
                    " (some layer missed round(s_f·n))"
                },
            exact,
        )
        .literature(
            "measured final sparsity 0.900 ± 0.001",
            "Zhu & Gupta 2017 schedule",
        ),
    );

    // 5. Crossover.
    let (first_fast, last_slow) = crossover(&r.speed);
    let top_speed = r.speed.last().expect("speed points");
    out.push(
        Claim::new(
            "Above the measured crossover sparsity, the CSR product is faster than the dense one",
            match first_fast {
                Some(f) => format!(
                    "CSR faster at every sparsity ≥ {:.0}%{}; at {:.0}%: {:.1}× faster",
                    100.0 * f,
                    last_slow
                        .map(|s| format!(" (slower at {:.0}%)", 100.0 * s))
                        .unwrap_or_default(),
                    100.0 * top_speed.sparsity,
                    top_speed.timings.dense_us / top_speed.timings.csr_us
                ),
                None => "CSR slower even at the highest sparsity".into(),
            },
            first_fast.is_some(),
        )
        .literature("—", ""),
    );
    out
}

lab::impl_chapter!(Chapter6, "chapter-6", "How do you get a sparse model?");
