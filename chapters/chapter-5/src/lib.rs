//! Chapter 5: what happens when SGD momentum is too close to 1 (e.g. 0.99999)?
//!
//! Two modules:
//! 1. [`quadratic`]: heavy ball (and Nesterov, and a momentum ramp) on an ill-conditioned
//!    quadratic: iterations, overshoots, measured rate against the 2×2 eigenvalue theory, paths;
//! 2. [`mlp`]: a Fashion-MNIST MLP at the same momenta, at a fixed step and at a fixed effective
//!    step α/(1 − β).

pub mod artifacts;
pub mod mlp;
pub mod quadratic;

use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::plot::{BookColor, RGBColor, palette};
use book_pipeline::progress::Progress;
use book_pipeline::report::fmt_sig;
use lab::data::{FashionSubset, Splits};
use lab::stats::{Paired, median};
use lab::{Recipe, SgdConfig};

use mlp::{Family, MlpRun, MomentumSchedule, Variant};
use quadratic::{Method, Momentum, Problem, QuadKind, QuadRun, RootKind};

/// The chapter, as the book pipeline sees it.
pub struct Chapter5;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Experiments 1–3: f(w) = ½(w₁² + 0.01 w₂²), w₀ = (1, 1), α = 1 (Goh's κ = 100 valley, started off both axes).
    pub problem: Problem,
    pub quad_alpha: f64,
    pub quad_betas: Vec<f64>,
    /// Experiment 5 on the quadratic: Nesterov at these β (α = 1), and Sutskever's ramp
    /// (blocks of 250 steps, as in the paper) capped at 0.99999.
    pub nesterov_betas: Vec<f64>,
    pub ramp_block: usize,
    pub ramp_mu_max: f64,
    /// Experiment 4: a stratified subset of Fashion-MNIST's training set; the network and its
    /// step α (0.01, Keras's SGD default; the optimiser's momentum is set per run); the momenta;
    /// the effective step α/(1 − β) kept constant in the second family (0.1 = 0.01/(1 − 0.9));
    /// several seeds.
    pub train_samples: usize,
    pub net: Recipe,
    pub mlp_betas: Vec<f64>,
    pub effective_lr: f32,
    pub seeds: usize,
    /// The ramp's last phase: β = 0.9 for the last 20% of the steps.
    pub ramp_final_fraction: f64,
    /// Steps per point of the smoothed loss curve.
    pub smoothing: usize,
    /// A "rise" is a climb of the smoothed loss by ≥ 20% above its latest trough.
    pub rise_factor: f64,
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
            train_samples: 10_000,
            net: Recipe::new(&[128], SgdConfig::plain(0.01), 3, 64),
            mlp_betas: vec![0.0, 0.9, 0.99, 0.999, 0.99999],
            effective_lr: 0.1,
            seeds: 5,
            ramp_final_fraction: 0.2,
            smoothing: 10,
            rise_factor: 1.2,
            timing_repeats: 5,
            rate_points: 250,
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        let full = Self::full();
        Config {
            train_samples: 1_000,
            net: Recipe::new(&[32], SgdConfig::plain(0.01), 1, 32),
            seeds: 5,
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
    pub mlp: Vec<MlpRun>,
    pub lr: f64,
    pub effective_lr: f64,
    pub smoothing: usize,
    pub rise_factor: f64,
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
        variants.push(v(Family::Nesterov, cfg.net.sgd.lr, true));
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
            let r = mlp::train(
                &cfg.net,
                v,
                (&train, &test),
                cfg.seed,
                s,
                cfg.smoothing,
                cfg.rise_factor,
            );
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
        mlp,
        lr: f64::from(cfg.net.sgd.lr),
        effective_lr: f64::from(cfg.effective_lr),
        smoothing: cfg.smoothing,
        rise_factor: cfg.rise_factor,
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
    // The interval over the seeds where both runs finished; a diverged β = 0.99999 run is
    // higher by definition and counted in the tally only.
    let finite: Vec<(f64, f64)> = hl
        .iter()
        .zip(&bl)
        .filter(|(h, b)| h.is_finite() && b.is_finite())
        .map(|(&h, &b)| (h, b))
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
    let rises = |runs: &[&MlpRun]| -> Vec<f64> { runs.iter().map(|m| m.rises as f64).collect() };
    let rise_gap = Paired::new(&rises(&high), &rises(&base));
    let rise_ci = rise_gap.ci95();
    let list = |xs: &[f64]| {
        xs.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
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
        Claim::new(format!(
            "On the MLP (α = {step}), β = 0.99999 ends with a higher training loss than β = 0.9 (or diverges)"
        ))
        .rule("final training loss, (β = 0.99999) − (β = 0.9), paired by seed: higher (or diverged) in every seed, 95% CI above 0")
        .measured(format!(
            "{:+.3} nats, 95% CI {}; β = 0.99999: {}; β = 0.9: {}",
            loss_gap.mean(),
            loss_ci.fmt_signed(3),
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
            "On the MLP (α = {step}), β = 0.99999's loss rises and falls more often than β = 0.9's"
        ))
        .rule(format!(
            "rises (climbs of the {}-step mean loss ≥ {}% above its latest trough), (β = 0.99999) − (β = 0.9), paired by seed: 95% CI above 0",
            r.smoothing,
            fmt_sig(100.0 * (r.rise_factor - 1.0), 2)
        ))
        .measured(format!(
            "{:+.1} rises, 95% CI {}; β = 0.99999: {}; β = 0.9: {}",
            rise_gap.mean(),
            rise_ci.fmt_signed(1),
            list(&rises(&high)),
            list(&rises(&base))
        ))
        .interval(rise_ci)
        .seeds(rise_gap.count_above(0.0), seeds)
        .holds(rise_ci.above(0.0))
        .full_run_only("the quick run's 32 steps make only 3 windows of the smoothed loss")
        .literature(
            "speed builds up, overshoots, comes back, oscillates",
            "Géron, HOML 3rd ed., ch. 11, exercise 5",
        ),
    ]
}

book_pipeline::impl_chapter!(
    Chapter5,
    "chapter-5",
    "What if SGD momentum is too close to 1?"
);
