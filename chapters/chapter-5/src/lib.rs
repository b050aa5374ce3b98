//! Chapter 5: what happens when SGD momentum is too close to 1 (e.g. 0.99999)?
//!
//! Four modules:
//! 1. [`quadratic`]: heavy ball (and Nesterov, and a momentum ramp) on an ill-conditioned
//!    quadratic: iterations, overshoots, measured rate against the 2×2 eigenvalue theory, paths;
//! 2. [`rate_map`]: the rate over a grid of (α, β), and the stability edge;
//! 3. [`noisy`]: the same quadratic with noisy gradients, and the floor the momentum sets;
//! 4. [`mlp`]: a Fashion-MNIST MLP at the same momenta, at a fixed step and at a fixed effective
//!    step α/(1 − β), for at least ten memories 1/(1 − β) up to β = 0.999.

pub mod artifacts;
pub mod mlp;
pub mod noisy;
pub mod quadratic;
pub mod rate_map;

use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::plot::{BookColor, RGBColor, palette};
use book_pipeline::progress::Progress;
use book_pipeline::report::fmt_sig;
use lab::data::{FashionSubset, Splits};
use lab::stats::{Paired, median, quantile};
use lab::{Recipe, SgdConfig};

use mlp::{Family, MlpRun, MomentumSchedule, Variant};
use noisy::{NoisyConfig, NoisyRun};
use quadratic::{Method, Momentum, Problem, QuadKind, QuadRun, RootKind};
use rate_map::{Cell, Outcome};

/// The chapter, as the book pipeline sees it.
pub struct Chapter5;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Experiments 1–3: f(w) = ½(w₁² + 0.01 w₂²), w₀ = (1, 1), α = 1 (Goh's κ = 100
    /// valley, started off both axes).
    pub problem: Problem,
    pub quad_alpha: f64,
    pub quad_betas: Vec<f64>,
    /// Experiment 5 on the quadratic: Nesterov at these β (α = 1), and Sutskever's ramp
    /// (blocks of 250 steps, as in the paper) capped at 0.99999.
    pub nesterov_betas: Vec<f64>,
    pub ramp_block: usize,
    pub ramp_mu_max: f64,
    /// Goh's map: heavy ball at every (α, β) of a grid, runs capped at `map_cap` iterations;
    /// runs 2% inside and beyond the stability edge at `edge_betas`.
    pub map_alphas: (f64, f64, usize),
    pub map_betas: (f64, f64, usize),
    pub map_cap: usize,
    pub edge_betas: Vec<f64>,
    pub edge_margin: f64,
    /// The quadratic with noisy gradients, at these β (α = 1).
    pub noisy_betas: Vec<f64>,
    pub noisy: NoisyConfig,
    /// Experiment 4: a stratified subset of Fashion-MNIST's training set; the network, its
    /// step α (0.01, Keras's SGD default; the optimiser's momentum is set per run) and its
    /// run: 20 epochs of 1,000 mini-batches, 20,000 steps, ten memories 1/(1 − β) at
    /// β = 0.999; the momenta; the effective step α/(1 − β) kept constant in the second family
    /// (0.1 = 0.01/(1 − 0.9)); Nesterov at some of the momenta; several seeds.
    pub train_samples: usize,
    pub net: Recipe,
    pub mlp_betas: Vec<f64>,
    pub effective_lr: f32,
    pub mlp_nesterov_betas: Vec<f64>,
    pub seeds: usize,
    /// The ramp's last phase: β = 0.9 for the last 20% of the steps.
    pub ramp_final_fraction: f64,
    /// Steps per point of the smoothed loss curve.
    pub smoothing: usize,
    /// Repeats of the slowest quadratic run for its (median) timing.
    pub timing_repeats: usize,
    /// Points of the theory curve in the rate figure.
    pub rate_points: usize,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            problem: Problem {
                lambda: [1.0, 0.01],
                w0: [1.0, 1.0],
                tol: 1e-6,
                fit_from: 1e-2,
                fit_to: 1e-12,
                cap: 20_000_000,
                path_steps: 400,
                envelope_bins: 400,
            },
            quad_alpha: 1.0,
            quad_betas: vec![0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999],
            nesterov_betas: vec![0.9, 0.99, 0.999, 0.9999, 0.99999],
            ramp_block: 250,
            ramp_mu_max: 0.99999,
            map_alphas: (0.035, 4.2, 120),
            map_betas: (0.0, 0.98, 50),
            map_cap: 100_000,
            edge_betas: vec![0.0, 0.5, 0.9, 0.99],
            edge_margin: 0.02,
            noisy_betas: vec![0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999],
            noisy: NoisyConfig {
                sigma: 1e-3,
                chains: 8,
                burn: 20.0,
                measure: 100.0,
                min_steps: 20_000,
                bins: 200,
            },
            train_samples: 32_000,
            net: Recipe::new(&[128], SgdConfig::plain(0.01), 20, 32),
            mlp_betas: vec![0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999],
            effective_lr: 0.1,
            mlp_nesterov_betas: vec![0.9, 0.999, 0.99999],
            seeds: 5,
            ramp_final_fraction: 0.2,
            smoothing: 100,
            timing_repeats: 5,
            rate_points: 250,
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        let full = Self::full();
        Config {
            map_alphas: (0.1, 4.2, 30),
            map_betas: (0.0, 0.95, 12),
            map_cap: 20_000,
            noisy_betas: vec![0.0, 0.9, 0.99],
            noisy: NoisyConfig {
                chains: 4,
                measure: 40.0,
                bins: 50,
                ..full.noisy.clone()
            },
            train_samples: 1_000,
            net: Recipe::new(&[32], SgdConfig::plain(0.01), 1, 32),
            seeds: 5,
            smoothing: 4,
            timing_repeats: 1,
            rate_points: 50,
            // Smaller figures' data: a shorter snapshot.
            problem: Problem {
                path_steps: 100,
                envelope_bins: 60,
                ..full.problem.clone()
            },
            ..full
        }
    }
}

/// The theory curve of the convergence-rate figure: the spectral radius at α = 1 for one β.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RatePoint {
    pub beta: f64,
    pub heavy_ball: f64,
    pub nesterov: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timings {
    /// Median wall time of the β = 0.99999 heavy-ball run, and per step (nanoseconds).
    pub slowest_run_ms: f64,
    pub ns_per_step: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub problem: Problem,
    /// (α*, β*) for this problem.
    pub optimal: (f64, f64),
    pub quad: Vec<QuadRun>,
    pub rate_curve: Vec<RatePoint>,
    /// Goh's map, row by row (β outer), and the runs on either side of the stability edge.
    pub map_alphas: Vec<f64>,
    pub map_betas: Vec<f64>,
    pub map: Vec<Cell>,
    pub edge_runs: Vec<Cell>,
    pub sigma: f64,
    pub noisy: Vec<NoisyRun>,
    pub mlp: Vec<MlpRun>,
    pub lr: f64,
    pub effective_lr: f64,
    pub smoothing: usize,
    /// Steps of every MLP run.
    pub mlp_steps: usize,
    pub timings: Timings,
}

/// A momentum β, drawn in its colour in every figure of the book.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beta(pub f64);

impl BookColor for Beta {
    fn book_color(&self) -> Option<RGBColor> {
        match self.0 {
            0.0 => Some(palette::BLACK),
            0.9 => Some(palette::BLUE),
            0.99 => Some(palette::BLUISH_GREEN),
            0.999 => Some(palette::ORANGE),
            0.9999 => Some(palette::REDDISH_PURPLE),
            0.99999 => Some(palette::VERMILLION),
            _ => None,
        }
    }
}

/// Heavy ball in its β's colour, the optimal pair in black; the others take the figure's next.
impl BookColor for QuadKind {
    fn book_color(&self) -> Option<RGBColor> {
        match *self {
            QuadKind::HeavyBall(b) => Beta(b).book_color(),
            QuadKind::Optimal => Some(palette::BLACK),
            _ => None,
        }
    }
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    // 1–3 and 5 on the quadratic: independent, deterministic runs.
    let p = &cfg.problem;
    let optimal = quadratic::optimal(p.lambda[0], p.lambda[1]);
    let constant = |alpha, beta, nesterov| Method {
        alpha,
        momentum: Momentum::Constant(beta),
        nesterov,
    };
    let mut jobs: Vec<(QuadKind, Method)> = cfg
        .quad_betas
        .iter()
        .map(|&b| (QuadKind::HeavyBall(b), constant(cfg.quad_alpha, b, false)))
        .collect();
    jobs.push((QuadKind::Optimal, constant(optimal.0, optimal.1, false)));
    jobs.extend(
        cfg.nesterov_betas
            .iter()
            .map(|&b| (QuadKind::Nesterov(b), constant(cfg.quad_alpha, b, true))),
    );
    let ramp = Momentum::Sutskever {
        mu_max: cfg.ramp_mu_max,
        block: cfg.ramp_block,
    };
    jobs.push((
        QuadKind::Ramp,
        Method {
            alpha: cfg.quad_alpha,
            momentum: ramp,
            nesterov: false,
        },
    ));
    let bar = progress.bar(jobs.len() as u64, "1-3 quadratic");
    let quad: Vec<QuadRun> = jobs
        .par_iter()
        .map(|&(kind, m)| {
            let r = quadratic::run(kind, m, p);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();

    // How long the slowest run takes (median of repeats; never compared, never snapshotted).
    let slowest = constant(cfg.quad_alpha, 0.99999, false);
    let ms: Vec<f64> = (0..cfg.timing_repeats)
        .map(|_| {
            let t = Instant::now();
            let r = quadratic::run(QuadKind::HeavyBall(0.99999), slowest, p);
            std::hint::black_box(r);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let slowest_run_ms = median(&ms);
    let slowest_steps = quad
        .iter()
        .find(|r| r.kind == QuadKind::HeavyBall(0.99999))
        .map_or(1, |r| r.steps_run) as f64;
    // Two passes: the run, then the refit of its envelope.
    let ns_per_step = slowest_run_ms * 1e6 / (slowest_steps * 2.0);

    // The theory curve: 1 − β log-spaced from 1 to 1e-5.
    let rate_curve = (0..=cfg.rate_points)
        .map(|i| {
            let beta = 1.0 - 10f64.powf(-5.0 * i as f64 / cfg.rate_points as f64);
            let rho = |nesterov| {
                let m = Method {
                    alpha: cfg.quad_alpha,
                    momentum: Momentum::Constant(beta),
                    nesterov,
                };
                quadratic::predicted_rate(&m, p.lambda).map_or(f64::NAN, |r| r.0)
            };
            RatePoint {
                beta,
                heavy_ball: rho(false),
                nesterov: rho(true),
            }
        })
        .collect();

    // Goh's map and the stability edge: short, deterministic runs.
    let axis = |(lo, hi, n): (f64, f64, usize)| rate_map::spaced(lo, hi, n);
    let (map_alphas, map_betas) = (axis(cfg.map_alphas), axis(cfg.map_betas));
    let map_problem = Problem {
        cap: cfg.map_cap,
        path_steps: 0,
        envelope_bins: 1,
        ..p.clone()
    };
    let bar = progress.bar(1, "3 rate map");
    let map = rate_map::measure(&map_alphas, &map_betas, &map_problem);
    let lambda_max = p.lambda[0].max(p.lambda[1]);
    let edge_runs = cfg
        .edge_betas
        .iter()
        .flat_map(|&b| {
            let edge = (2.0 + 2.0 * b) / lambda_max;
            [1.0 - cfg.edge_margin, 1.0 + cfg.edge_margin]
                .map(|f| rate_map::cell(f * edge, b, &map_problem))
        })
        .collect();
    bar.finish();

    // The quadratic with noisy gradients.
    let bar = progress.bar(1, "3 noisy quadratic");
    let noisy = noisy::run(cfg.quad_alpha, &cfg.noisy_betas, p, &cfg.noisy, cfg.seed);
    bar.finish();

    // 4–5 on the MLP.
    let Splits { train, test, .. } = FashionSubset::new(cfg.train_samples, cfg.seed).load()?;
    let mut variants: Vec<Variant> = Vec::new();
    for &b in &cfg.mlp_betas {
        let v = |family: Family, lr: f32, nesterov| Variant {
            family,
            beta: b,
            lr,
            schedule: MomentumSchedule::Constant(b as f32),
            nesterov,
        };
        variants.push(v(Family::FixedStep, cfg.net.sgd.lr, false));
        // α = (α/(1 − β))·(1 − β), computed in f64: 1 − β in f32 would be 0.1% off at 0.99999.
        variants.push(v(
            Family::FixedEffectiveStep,
            (f64::from(cfg.effective_lr) * (1.0 - b)) as f32,
            false,
        ));
        if cfg.mlp_nesterov_betas.contains(&b) {
            variants.push(v(Family::Nesterov, cfg.net.sgd.lr, true));
        }
    }
    variants.push(Variant {
        family: Family::Ramp,
        beta: cfg.ramp_mu_max,
        lr: cfg.net.sgd.lr,
        schedule: MomentumSchedule::Ramp {
            mu_max: cfg.ramp_mu_max,
            block: cfg.ramp_block,
            final_mu: 0.9,
            final_fraction: cfg.ramp_final_fraction,
        },
        nesterov: false,
    });
    let runs: Vec<(usize, &Variant)> = (0..cfg.seeds)
        .flat_map(|s| variants.iter().map(move |v| (s, v)))
        .collect();
    let bar = progress.bar(runs.len() as u64, "4-5 MLP");
    let mlp = runs
        .par_iter()
        .map(|&(s, v)| {
            let r = mlp::train(&cfg.net, v, (&train, &test), cfg.seed, s, cfg.smoothing);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish();

    Ok(Report {
        problem: p.clone(),
        optimal,
        quad,
        rate_curve,
        map_alphas,
        map_betas,
        map,
        edge_runs,
        sigma: cfg.noisy.sigma,
        noisy,
        mlp,
        lr: f64::from(cfg.net.sgd.lr),
        effective_lr: f64::from(cfg.effective_lr),
        smoothing: cfg.smoothing,
        mlp_steps: cfg.net.epochs * cfg.net.steps_per_epoch(&train),
        timings: Timings {
            slowest_run_ms,
            ns_per_step,
        },
    })
}

/// The quadratic run of this kind.
pub fn quad_run(r: &Report, kind: QuadKind) -> &QuadRun {
    r.quad
        .iter()
        .find(|q| q.kind == kind)
        .unwrap_or_else(|| panic!("quadratic run {} was run", kind.label()))
}

/// Iterations to converge, the cap standing in for "not converged".
pub fn iterations_or_cap(r: &Report, q: &QuadRun) -> usize {
    q.iterations.unwrap_or(r.problem.cap)
}

/// The heavy-ball runs with a constant β whose slowest direction has complex roots, with β.
fn complex_heavy_ball(r: &Report) -> impl Iterator<Item = (&QuadRun, f64)> {
    r.quad
        .iter()
        .filter(|q| !q.method.nesterov && q.roots == Some(RootKind::Complex))
        .filter_map(|q| match q.method.momentum {
            Momentum::Constant(beta) => Some((q, beta)),
            _ => None,
        })
}

/// Relative error of the fitted log-rate against ln √β, for heavy-ball runs whose slowest
/// direction has complex roots.
pub fn slope_errors(r: &Report) -> Vec<(f64, f64)> {
    complex_heavy_ball(r)
        .filter_map(|(q, beta)| {
            let fitted = q.fitted_rate?;
            Some((beta, (fitted.ln() / (0.5 * beta.ln()) - 1.0).abs()))
        })
        .collect()
}

/// A heavy-ball run's counts against the theory's.
pub struct CountError {
    pub beta: f64,
    pub measured_iterations: usize,
    pub measured_overshoots: usize,
    /// Iterations: measured / predicted − 1. Sign changes: measured − predicted.
    pub iterations: f64,
    pub overshoots: f64,
}

/// Every heavy-ball run with complex roots that converged: its iterations against
/// ln(1/tol)/ln(1/ρ) and its sign changes of the slow coordinate against Kθ/π.
pub fn count_errors(r: &Report) -> Vec<CountError> {
    let p = &r.problem;
    let slow = p.lambda[0].min(p.lambda[1]);
    complex_heavy_ball(r)
        .filter_map(|(q, beta)| {
            let k = q.iterations?;
            let rho = q.theory_rate?;
            let m = quadratic::iteration_matrix(q.method.alpha, beta, slow, false);
            let theta = quadratic::rotation_angle(m)?;
            let turns = k as f64 * theta / std::f64::consts::PI;
            Some(CountError {
                beta,
                measured_iterations: k,
                measured_overshoots: q.overshoots,
                iterations: k as f64 / quadratic::predicted_iterations(rho, p.tol) - 1.0,
                overshoots: q.overshoots as f64 - turns,
            })
        })
        .collect()
}

/// The MLP runs of one family and β, over seeds.
pub fn mlp_runs(r: &Report, family: Family, beta: f64) -> Vec<&MlpRun> {
    r.mlp
        .iter()
        .filter(|m| m.family == family && m.beta == beta)
        .collect()
}

/// The final training loss of each run, a diverged run counting as +∞.
pub fn final_losses(runs: &[&MlpRun]) -> Vec<f64> {
    runs.iter()
        .map(|m| {
            if m.diverged_at.is_some() || !m.final_loss.is_finite() {
                f64::INFINITY
            } else {
                m.final_loss
            }
        })
        .collect()
}

// ANCHOR: thresholds
/// On the quadratic, every heavy-ball run with complex roots: its iterations to the tolerance
/// within `COUNT_ERROR` (relative) of the theory's ln(1/tol)/ln(1/√β) ("a few percent": the
/// theory ignores the start's amplitude and phase), and its sign changes of the slow
/// coordinate within one of Kθ/π (a count cannot be closer than its rounding); the fitted
/// log-rate within `SLOPE_ERROR` of ln √β.
pub const COUNT_ERROR: Threshold = Threshold::same(0.03);
pub const SLOPE_ERROR: Threshold = Threshold::same(0.05);
/// On Goh's map, at least `MAP_SHARE` of the runs that converged measure an e-fold time within
/// `MAP_ERROR` of the spectral radius's; the rest sit near critical damping, where the error
/// shrinks like k ρᵏ rather than ρᵏ and a finite fit is slower than ρ.
pub const MAP_ERROR: f64 = 0.05;
pub const MAP_SHARE: f64 = 0.9;
/// With noisy gradients, each β's floor (the mean over chains of f averaged over 100 e-fold
/// times) within 10% of the stationary theory's: each chain's average holds about 200
/// independent stretches, so 8 chains pin the mean to about 3%.
pub const FLOOR_ERROR: f64 = 0.10;
/// The MLP's oscillation, on 100-step means of the loss: an optimiser that overshoots climbs
/// back to at least `RELAPSE_OVERSHOOT` times its best so far; mini-batch noise on a 100-step
/// mean is a few percent, so a run that does not overshoot stays below `RELAPSE_NOISE`.
pub const RELAPSE_OVERSHOOT: f64 = 2.0;
pub const RELAPSE_NOISE: f64 = 1.5;
/// At a fixed effective step α/(1 − β), runs at least ten memories 1/(1 − β) long end within
/// 10% of β = 0.9's final training loss (an equivalence test on the paired log ratio).
pub const SAME_LOSS: f64 = 0.10;
// ANCHOR_END: thresholds

pub fn claims(r: &Report, scale: Scale) -> Vec<Claim> {
    let (max_count_error, max_slope_error) = (COUNT_ERROR.at(scale), SLOPE_ERROR.at(scale));
    let counts = count_errors(r);
    let counts_ok = !counts.is_empty()
        && counts
            .iter()
            .all(|c| c.iterations.abs() < max_count_error && c.overshoots.abs() < 1.0);
    let pct = |x: f64| format!("{:+.2}%", 100.0 * x);
    let cap = r.problem.cap;
    let (hi, lo) = (
        quad_run(r, QuadKind::HeavyBall(0.99999)),
        quad_run(r, QuadKind::HeavyBall(0.9)),
    );
    let ratio = iterations_or_cap(r, hi) as f64 / iterations_or_cap(r, lo) as f64;
    let its = |q: &QuadRun| {
        q.iterations
            .map_or(format!("not converged in {cap}"), |k| k.to_string())
    };
    let errors = slope_errors(r);
    let worst = errors.iter().map(|e| e.1).fold(0.0, f64::max);
    let opt = quad_run(r, QuadKind::Optimal);
    let best_other = r
        .quad
        .iter()
        .filter(|q| q.kind != QuadKind::Optimal)
        .min_by_key(|q| iterations_or_cap(r, q))
        .expect("other runs");
    let opt_fastest =
        opt.iterations.is_some() && iterations_or_cap(r, opt) < iterations_or_cap(r, best_other);

    // 4. The MLP at α = 0.01, paired by seed (same initial weights, same batches).
    let high = mlp_runs(r, Family::FixedStep, 0.99999);
    let base = mlp_runs(r, Family::FixedStep, 0.9);
    let (hl, bl) = (final_losses(&high), final_losses(&base));
    let higher = hl.iter().zip(&bl).filter(|(h, b)| h > b).count();
    // The interval, on ln(loss), over the seeds where both runs finished; a diverged
    // β = 0.99999 run is higher by definition and counted in the tally only. Logarithms,
    // because a run that overshoots can end at a loss of 10²⁰: the mean of raw differences
    // would then be one seed's value, its interval meaningless.
    let finite: Vec<(f64, f64)> = hl
        .iter()
        .zip(&bl)
        .filter(|(h, b)| h.is_finite() && b.is_finite())
        .map(|(&h, &b)| (h.ln(), b.ln()))
        .collect();
    let loss_gap = Paired::new(
        &finite.iter().map(|p| p.0).collect::<Vec<_>>(),
        &finite.iter().map(|p| p.1).collect::<Vec<_>>(),
    );
    let loss_ci = loss_gap.ci95();
    let finals = |runs: &[&MlpRun]| {
        runs.iter()
            .map(|m| match m.diverged_at {
                Some(t) => format!("diverged at step {t}"),
                None => fmt_sig(m.final_loss, 3),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let relapses = |runs: &[&MlpRun]| -> Vec<f64> {
        runs.iter()
            .map(|m| {
                if m.relapse.is_finite() {
                    m.relapse
                } else {
                    f64::INFINITY
                }
            })
            .collect()
    };
    let (high_relapse, base_relapse) = (relapses(&high), relapses(&base));
    let overshooting = high_relapse
        .iter()
        .filter(|&&x| x >= RELAPSE_OVERSHOOT)
        .count();
    let calm = base_relapse.iter().filter(|&&x| x < RELAPSE_NOISE).count();
    let list = |xs: &[f64]| {
        xs.iter()
            .map(|&x| {
                if x.is_finite() {
                    fmt_sig(x, 3)
                } else {
                    "∞ (diverged)".into()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // At a fixed effective step, every β whose memory fits ten times into the run, against
    // β = 0.9: the paired difference of ln(final loss).
    let memory_fits = |b: f64| 10.0 / (1.0 - b) <= r.mlp_steps as f64;
    let base_eff = final_losses(&mlp_runs(r, Family::FixedEffectiveStep, 0.9));
    let same_loss: Vec<(f64, lab::stats::Equivalence)> =
        mlp_betas_of(r, Family::FixedEffectiveStep)
            .into_iter()
            .filter(|&b| b != 0.9 && memory_fits(b))
            .map(|b| {
                let other = final_losses(&mlp_runs(r, Family::FixedEffectiveStep, b));
                let ln = |xs: &[f64]| xs.iter().map(|x| x.ln()).collect::<Vec<_>>();
                (
                    b,
                    Paired::new(&ln(&other), &ln(&base_eff)).equivalence((1.0 + SAME_LOSS).ln()),
                )
            })
            .collect();
    let same_ok = !same_loss.is_empty()
        && same_loss
            .iter()
            .all(|(_, e)| e.equivalent && e.ci90.lo.is_finite() && e.ci90.hi.is_finite());

    // The quadratic's map, the stability edge and the noisy floor.
    let map_errors = rate_map::relative_errors(&r.map);
    let within = map_errors.iter().filter(|&&e| e < MAP_ERROR).count();
    let share = within as f64 / map_errors.len().max(1) as f64;
    let lambda_max = r.problem.lambda[0].max(r.problem.lambda[1]);
    let violations = rate_map::edge_violations(&r.map, lambda_max);
    let edge_ok = r.edge_runs.iter().all(|c| {
        let inside = rate_map::stable(c.alpha, c.beta, lambda_max);
        c.outcome
            == if inside {
                Outcome::Converged
            } else {
                Outcome::Diverged
            }
    });
    let count = |o: Outcome| r.map.iter().filter(|c| c.outcome == o).count();
    let floor_errors: Vec<(f64, f64, &NoisyRun)> = r
        .noisy
        .iter()
        .map(|n| (n.beta, n.measured / n.predicted - 1.0, n))
        .collect();
    let floors_ok =
        !floor_errors.is_empty() && floor_errors.iter().all(|e| e.1.abs() < FLOOR_ERROR);
    let seeds = high.len();
    let step = book_pipeline::report::round_sig(r.lr, 3);
    vec![
        Claim::new(format!(
            "On the quadratic, heavy ball takes the iterations (within {:.0}%) and makes the overshoots (within one) that its eigenvalues predict, for β from 0.9 to 0.99999",
            100.0 * max_count_error
        ))
        .rule(format!(
            "for every heavy-ball β with complex roots that converged: iterations K to a relative error of {:e} against ln(1/tol)/ln(1/√β), relative error < {:.0}%; sign changes of w₂ within one of Kθ/π, θ the argument of the slow direction's eigenvalues (deterministic)",
            r.problem.tol,
            100.0 * max_count_error
        ))
        .measured(format!(
            "{}; β = 0.99999 takes {}× β = 0.9's iterations",
            counts
                .iter()
                .map(|c| format!(
                    "β = {}: {} iterations ({}), {} sign changes ({:+.2})",
                    c.beta,
                    c.measured_iterations,
                    pct(c.iterations),
                    c.measured_overshoots,
                    c.overshoots
                ))
                .collect::<Vec<_>>()
                .join("; "),
            fmt_sig(ratio, 3)
        ))
        .holds(counts_ok)
        .literature(
            "e-folding time ≈ 2/(1 − β): 19 iterations at 0.9, 200,000 at 0.99999",
            "Goh 2017, Distill",
        ),
        Claim::new("The fitted slope of log‖w‖ matches ln √β wherever the roots are complex")
            .rule(format!(
                "relative error of the fitted slope against ln √β < {:.0}% for every heavy-ball β with complex roots (deterministic)",
                100.0 * max_slope_error
            ))
            .measured(format!(
                "worst relative error {}% over β ∈ {{{}}}",
                fmt_sig(100.0 * worst, 2),
                errors.iter().map(|e| e.0.to_string()).collect::<Vec<_>>().join(", ")
            ))
            .holds(!errors.is_empty() && worst < max_slope_error)
            .literature("complex eigenvalues of the 2×2 iteration matrix have modulus √β", "Goh 2017, Distill"),
        Claim::new("The optimal (α*, β*) converges fastest of all runs")
            .rule("its iterations < every other quadratic run's (deterministic)")
            .measured(format!(
                "{} iterations (α* = {}, β* = {}); next best: {} with {}",
                its(opt),
                fmt_sig(r.optimal.0, 4),
                fmt_sig(r.optimal.1, 4),
                best_other.kind.label(),
                its(best_other)
            ))
            .holds(opt_fastest)
            .literature(
                "rate (√κ − 1)/(√κ + 1) = 0.818 at κ = 100, vs (κ − 1)/(κ + 1) for gradient descent",
                "Goh 2017, Distill",
            ),
        Claim::new("On Goh's (α, β) map, the measured rate is the spectral radius of M")
            .rule(format!(
                "iterations per e-fold fitted on each converged run of the {}×{} grid against −1/ln ρ: at least {:.0}% of them within {:.0}% (deterministic)",
                r.map_alphas.len(),
                r.map_betas.len(),
                100.0 * MAP_SHARE,
                100.0 * MAP_ERROR
            ))
            .measured(format!(
                "{within} of {} converged runs ({:.1}%) within {:.0}%; median error {}%, 95th percentile {}%",
                map_errors.len(),
                100.0 * share,
                100.0 * MAP_ERROR,
                fmt_sig(100.0 * quantile(&map_errors, 0.5), 2),
                fmt_sig(100.0 * quantile(&map_errors, 0.95), 2)
            ))
            .holds(!map_errors.is_empty() && share >= MAP_SHARE)
            .literature("the rate map and its optimum", "Goh 2017, Distill"),
        Claim::new("Heavy ball converges below the stability edge αλ₁ = 2 + 2β and diverges beyond it")
            .rule(format!(
                "no run of the map diverges inside the edge or converges beyond it (runs still undecided at the cap excepted); at {}% inside and beyond the edge for β ∈ {{{}}}: converges, diverges (deterministic)",
                fmt_sig(100.0 * r.edge_runs.first().map_or(0.0, |c| 1.0 - c.alpha * lambda_max / (2.0 + 2.0 * c.beta)), 2),
                r.edge_runs.iter().map(|c| c.beta.to_string()).collect::<Vec<_>>().chunks(2).map(|c| c[0].clone()).collect::<Vec<_>>().join(", ")
            ))
            .measured(format!(
                "map: {} converged, {} diverged, {} undecided, {} on the wrong side; edge runs: {}",
                count(Outcome::Converged),
                count(Outcome::Diverged),
                count(Outcome::Undecided),
                violations.len(),
                r.edge_runs
                    .iter()
                    .map(|c| format!("β = {}, α = {}: {:?}", c.beta, fmt_sig(c.alpha, 4), c.outcome).to_lowercase())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
            .holds(violations.is_empty() && edge_ok && !r.edge_runs.is_empty())
            .literature("stable for 0 < αλ < 2 + 2β", "Goh 2017, Distill"),
        Claim::new(format!(
            "With noisy gradients (σ = {}), heavy ball settles at the loss the stationary theory predicts, within {:.0}%, a floor that grows like 1/(1 − β)",
            r.sigma,
            100.0 * FLOOR_ERROR
        ))
        .rule(format!(
            "for every β: the mean over {} chains of f/f(w₀) averaged over its last 100 e-fold times, against Σ ½λᵢ Var(wᵢ) from the Lyapunov equation; relative error < {:.0}%",
            r.noisy.first().map_or(0, |n| n.chains),
            100.0 * FLOOR_ERROR
        ))
        .measured(
            floor_errors
                .iter()
                .map(|(b, e, n)| {
                    format!(
                        "β = {b}: {} (95% CI {}–{}) vs {} ({})",
                        fmt_sig(n.measured, 3),
                        fmt_sig(n.interval.lo, 3),
                        fmt_sig(n.interval.hi, 3),
                        fmt_sig(n.predicted, 3),
                        pct(*e)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
        .holds(floors_ok)
        .literature(
            "with noisy gradients, momentum also averages the noise; no speed-up over SGD",
            "Kidambi et al. 2018",
        ),
        Claim::new(format!(
            "On the MLP (α = {step}), β = 0.99999 ends with a higher training loss than β = 0.9 (or diverges)"
        ))
        .rule("ln(final training loss), (β = 0.99999) − (β = 0.9), paired by seed: higher (or diverged) in every seed, 95% CI above 0")
        .measured(format!(
            "ln ratio {:+.2}, 95% CI {} (losses {}× β = 0.9's); β = 0.99999: {}; β = 0.9: {}",
            loss_gap.mean(),
            loss_ci.fmt_signed(2),
            fmt_sig(loss_gap.mean().exp(), 2),
            finals(&high),
            finals(&base)
        ))
        .interval(loss_ci)
        .seeds(higher, seeds)
        .holds(higher == seeds && (loss_ci.above(0.0) || finite.len() < 2))
        .full_run_only("in the quick run's 32 steps the velocity of β = 0.99999 has barely built up")
        .literature(
            "much slower convergence",
            "Géron, HOML 3rd ed., ch. 11, exercise 5",
        ),
        Claim::new(format!(
            "On the MLP (α = {step}), β = 0.99999's loss climbs back far above its best (at least {RELAPSE_OVERSHOOT}×); β = 0.9's does not (below {RELAPSE_NOISE}×)"
        ))
        .rule(format!(
            "worst relapse (largest ratio of the {}-step mean loss to its lowest value before), in every seed: ≥ {RELAPSE_OVERSHOOT} for β = 0.99999 (a diverged run counts), < {RELAPSE_NOISE} for β = 0.9",
            r.smoothing
        ))
        .measured(format!(
            "β = 0.99999: {}; β = 0.9: {}",
            list(&high_relapse),
            list(&base_relapse)
        ))
        .seeds(overshooting.min(calm), seeds)
        .holds(overshooting == seeds && calm == seeds && seeds > 0)
        .inside_noise("β = 0.99999 relapses by 10¹⁹ or more under base seeds 1–3, but β = 0.9's noise reaches 1.51 in one seed under base seed 1 and stays at 1.29–1.45 under seeds 2 and 3")
        .full_run_only("the quick run's 32 steps make only a few windows of the smoothed loss")
        .literature(
            "speed builds up, overshoots, comes back, oscillates",
            "Géron, HOML 3rd ed., ch. 11, exercise 5",
        ),
        Claim::new(format!(
            "On the MLP at a fixed effective step α/(1 − β) = {}, every β whose memory 1/(1 − β) fits ten times into the run ends within {:.0}% of β = 0.9's training loss",
            book_pipeline::report::round_sig(r.effective_lr, 3),
            100.0 * SAME_LOSS
        ))
        .rule(format!(
            "for each β ≠ 0.9 with 10/(1 − β) ≤ {} steps: ln(final training loss) − ln(β = 0.9's), paired by seed, 90% CI inside ±ln {} (two one-sided tests at 5%)",
            r.mlp_steps,
            1.0 + SAME_LOSS
        ))
        .measured(
            same_loss
                .iter()
                .map(|(b, e)| {
                    format!(
                        "β = {b}: ratio {} (90% CI {}–{})",
                        fmt_sig(e.mean.exp(), 3),
                        fmt_sig(e.ci90.lo.exp(), 3),
                        fmt_sig(e.ci90.hi.exp(), 3)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
        .holds(same_ok)
        .full_run_only("the quick run is shorter than ten memories of any β > 0.9")
        .literature(
            "with small steps, momentum acts like SGD with step α/(1 − β)",
            "Kidambi et al. 2018; Goh 2017, Distill",
        ),
    ]
}

/// The momenta run in `family`, in increasing order.
pub fn mlp_betas_of(r: &Report, family: Family) -> Vec<f64> {
    let mut betas: Vec<f64> = r
        .mlp
        .iter()
        .filter(|m| m.family == family)
        .map(|m| m.beta)
        .collect();
    betas.sort_by(f64::total_cmp);
    betas.dedup();
    betas
}

book_pipeline::impl_chapter!(
    Chapter5,
    "chapter-5",
    "What if SGD momentum is too close to 1?"
);
