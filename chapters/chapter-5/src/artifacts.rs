//! Figures and tables of chapter 5, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{Chart, ContourPlot, Figure, LineChart, LineGrid, Series, palette};
use book_pipeline::report::{Table, fmt_sig, write_atomic};
use lab::stats::{mean, std};

use crate::mlp::Family;
use crate::quadratic::{Momentum, QuadKind, RootKind, e_folding};
use crate::rate_map::{self, Outcome};
use crate::{Beta, Report, mlp_runs, quad_run};

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    quadratic_table(r, dir)?;
    norm_svg(r, dir)?;
    rate_svg(r, dir)?;
    rate_map_svg(r, dir)?;
    noisy_table(r, dir)?;
    noisy_svg(r, dir)?;
    path_svg(r, dir)?;
    flat_svg(r, dir)?;
    mlp_table(r, dir)?;
    mlp_loss_svg(r, dir)?;
    mlp_beyond_svg(r, dir)
}

fn beta_of(m: Momentum) -> String {
    match m {
        Momentum::Constant(b) => fmt_sig(b, 5),
        Momentum::Sutskever { mu_max, block } => format!("ramp (blocks of {block}) to {mu_max}"),
    }
}

fn quadratic_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "run",
        "α",
        "β",
        "roots (slowest direction)",
        "iterations to ‖w‖ < 1e−6‖w₀‖",
        "overshoots (sign changes of w₂)",
        "sign changes of w₁",
        "ρ, theory",
        "ρ, fitted",
        "iterations per e-fold, theory",
        "measured",
    ])
    .numeric_columns(&[1, 4, 5, 6, 7, 8, 9, 10]);
    let opt = |x: Option<f64>, f: fn(f64) -> String| x.map_or("—".to_string(), f);
    for q in &r.quad {
        t.row([
            q.kind.label(),
            fmt_sig(q.method.alpha, 4),
            beta_of(q.method.momentum),
            q.roots.map_or("varies".into(), |k| {
                match k {
                    RootKind::Complex => "complex",
                    RootKind::Real => "real",
                    RootKind::Repeated => "repeated",
                }
                .to_string()
            }),
            q.iterations
                .map_or(format!("not converged in {}", r.problem.cap), |k| {
                    k.to_string()
                }),
            q.overshoots.to_string(),
            q.steep_sign_changes.to_string(),
            opt(q.theory_rate, |x| fmt_sig(x, 6)),
            opt(q.fitted_rate, |x| fmt_sig(x, 6)),
            opt(q.theory_rate, |x| fmt_sig(e_folding(x), 3)),
            opt(q.fitted_rate, |x| fmt_sig(e_folding(x), 3)),
        ]);
    }
    write_atomic(&dir.join("quadratic.md"), t.to_markdown().as_bytes())
}

/// ‖w‖/‖w₀‖ against the iteration for every heavy-ball β and the optimal pair (log–log).
fn norm_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut chart = LineChart::new(
        Figure::new(
            "Heavy ball on f(w) = ½(w₁² + 0.01 w₂²), α = 1: distance to the minimum",
            "Log-log plot of the distance to the minimum against the iteration for each momentum: \
             the larger beta, the later the curve reaches the tolerance, β = 0.99999 orders of \
             magnitude later than β = 0.9.",
        )
        .with_size(900, 520),
        "iteration (log scale)",
        "‖w‖/‖w₀‖, largest in each bin (log scale)",
    )
    .log_x()
    .log_y();
    for q in r
        .quad
        .iter()
        .filter(|q| !q.method.nesterov && q.kind != QuadKind::Ramp)
    {
        chart = chart.with_series(Series::line(q.kind.label(), q.envelope.clone()).of(&q.kind));
    }
    let end = r
        .quad
        .iter()
        .filter_map(|q| q.iterations)
        .max()
        .unwrap_or(r.problem.cap) as f64;
    chart = chart.with_series(
        Series::line(
            "tolerance 1e−6",
            [(1.0, r.problem.tol), (end, r.problem.tol)],
        )
        .dashed()
        .color(palette::GREY),
    );
    chart.save(&dir.join("norm.svg"))
}

/// Goh's picture: iterations per e-fold against 1 − β, theory and measurement.
fn rate_svg(r: &Report, dir: &Path) -> Result<()> {
    let x = |b: f64| 1.0 - b;
    let theory = |nesterov: bool| {
        r.rate_curve
            .iter()
            .map(|p| {
                (
                    x(p.beta),
                    e_folding(if nesterov { p.nesterov } else { p.heavy_ball }),
                )
            })
            .filter(|p| p.1.is_finite() && p.1 > 0.0)
            .collect::<Vec<_>>()
    };
    let measured = |nesterov: bool| {
        r.quad
            .iter()
            .filter(|q| q.method.nesterov == nesterov && q.kind != QuadKind::Optimal)
            .filter_map(|q| match q.method.momentum {
                Momentum::Constant(b) => q.fitted_rate.map(|f| (x(b), e_folding(f))),
                Momentum::Sutskever { .. } => None,
            })
            .collect::<Vec<_>>()
    };
    let asymptote: Vec<(f64, f64)> = r
        .rate_curve
        .iter()
        .filter(|p| p.beta >= 0.5)
        .map(|p| (x(p.beta), 2.0 / (1.0 - p.beta)))
        .collect();
    LineChart::new(
        Figure::new(
            "How fast the error shrinks, against β (α = 1, κ = 100)",
            "Log-log plot of iterations per e-fold of the error against one minus beta: theory \
             lines for heavy ball and Nesterov, with the measured runs as dots; past β ≈ 0.81 the \
             heavy-ball curve follows 2/(1 − β).",
        )
        .with_size(900, 520),
        "1 − β (log scale; β = 0 at the right, β → 1 to the left)",
        "iterations per e-fold of ‖w‖ (log scale)",
    )
    .log_x()
    .log_y()
    .with_series(Series::line("heavy ball", theory(false)).color(palette::BLUE))
    .with_series(Series::points("heavy ball runs", measured(false)).color(palette::BLUE))
    .with_series(Series::line("Nesterov", theory(true)).color(palette::ORANGE))
    .with_series(Series::points("Nesterov runs", measured(true)).color(palette::ORANGE))
    .with_series(
        Series::line("2/(1 − β)", asymptote)
            .dashed()
            .color(palette::GREY),
    )
    .save(&dir.join("rate.svg"))
}

/// Goh's map: the theory's contours of equal e-fold time in the (α, β) plane (lines), the
/// places where the measured runs cross the same levels (dots), and the stability edge.
fn rate_map_svg(r: &Report, dir: &Path) -> Result<()> {
    let lambda = r.problem.lambda;
    let lambda_max = lambda[0].max(lambda[1]);
    let (alphas, betas) = (&r.map_alphas, &r.map_betas);
    // The theory on a grid 8× finer in α and in β than the runs', a spectral radius at or
    // beyond the edge standing at 10⁶ iterations so that a contour meets the edge.
    let fine_alphas =
        crate::rate_map::spaced(alphas[0], alphas[alphas.len() - 1], 8 * alphas.len());
    let fine_betas = crate::rate_map::spaced(betas[0], betas[betas.len() - 1], 8 * betas.len());
    let levels = [5.5, 12.0, 30.0, 70.0];
    let colors = [
        palette::BLUE,
        palette::BLUISH_GREEN,
        palette::ORANGE,
        palette::REDDISH_PURPLE,
    ];
    let mut chart = LineChart::new(
        Figure::new(
            "Goh's map, measured: iterations per e-fold over (α, β), κ = 100",
            "Contour lines of equal iterations per e-fold in the plane of step size and momentum, \
             from theory, with the measured runs' crossings of the same levels as dots lying on \
             them, and the stability edge as a dashed line.",
        )
        .with_size(900, 560),
        "step size α",
        "momentum β",
    )
    .with_x_range(0.0, alphas[alphas.len() - 1])
    .with_y_range(0.0, 1.0);
    for (&level, &color) in levels.iter().zip(&colors) {
        // Each row's left crossing rising in β, then its right crossing falling: one curve.
        let mut left: Vec<(f64, f64)> = Vec::new();
        let mut right: Vec<(f64, f64)> = Vec::new();
        for &b in &fine_betas {
            let theory: Vec<f64> = fine_alphas
                .iter()
                .map(|&a| rate_map::theory(a, b, lambda).min(1e6))
                .collect();
            let x = rate_map::crossings(&fine_alphas, &theory, level, 1.0);
            if let (Some(&first), Some(&last)) = (x.first(), x.last()) {
                left.push((first, b));
                if x.len() > 1 {
                    right.push((last, b));
                }
            }
        }
        right.reverse();
        left.extend(right);
        let mut dots = Vec::new();
        for (row, &b) in betas.iter().enumerate() {
            let measured: Vec<f64> = r.map[row * alphas.len()..(row + 1) * alphas.len()]
                .iter()
                .map(|c| c.measured)
                .collect();
            dots.extend(
                rate_map::crossings(alphas, &measured, level, 1.005)
                    .into_iter()
                    .map(|a| (a, b)),
            );
        }
        chart = chart
            .with_series(Series::line(format!("{level} iterations"), left).color(color))
            .with_series(Series::points("", dots).color(color));
    }
    let edge: Vec<(f64, f64)> = [0.0, 1.0]
        .iter()
        .map(|&b| ((2.0 + 2.0 * b) / lambda_max, b))
        .collect();
    let diverged: Vec<(f64, f64)> = r
        .map
        .iter()
        .filter(|c| c.outcome == Outcome::Diverged)
        .map(|c| (c.alpha, c.beta))
        .collect();
    chart
        .with_series(Series::points("diverged runs", diverged).color(palette::GREY))
        .with_series(
            Series::line("edge αλ₁ = 2 + 2β", edge)
                .dashed()
                .color(palette::BLACK),
        )
        .with_series(Series::points("optimal (α*, β*)", [r.optimal]).color(palette::BLACK))
        .save(&dir.join("rate_map.svg"))
}

fn noisy_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "β",
        "iterations per chain",
        "chains",
        "floor f/f(w₀), theory",
        "measured (mean over chains)",
        "95% CI",
        "measured / theory",
    ])
    .numeric_columns(&[0, 1, 2, 3, 4, 6]);
    for n in &r.noisy {
        t.row([
            n.beta.to_string(),
            n.steps.to_string(),
            n.chains.to_string(),
            fmt_sig(n.predicted, 3),
            fmt_sig(n.measured, 3),
            format!(
                "{}–{}",
                fmt_sig(n.interval.lo, 3),
                fmt_sig(n.interval.hi, 3)
            ),
            fmt_sig(n.measured / n.predicted, 3),
        ]);
    }
    write_atomic(&dir.join("noisy.md"), t.to_markdown().as_bytes())
}

/// f/f(w₀) against the iteration, with noise (solid, mean over chains) and without (dashed),
/// and the theory's floors.
fn noisy_svg(r: &Report, dir: &Path) -> Result<()> {
    let lo = r
        .noisy
        .iter()
        .map(|n| n.predicted)
        .fold(f64::INFINITY, f64::min)
        / 100.0;
    let mut chart = LineChart::new(
        Figure::new(
            format!(
                "The same quadratic with noisy gradients (σ = {}), α = 1: mean over chains",
                r.sigma
            ),
            "Log-log plot of the loss relative to its start against the iteration for each \
             momentum, with and without gradient noise: without noise each curve falls for ever; \
             with noise it levels off at a floor that rises tenfold with each added 9 in beta.",
        )
        .with_size(900, 540),
        "iteration (log scale)",
        "f(w)/f(w₀) (log scale)",
    )
    .log_x()
    .log_y()
    .with_y_range(lo, 2.0);
    for n in &r.noisy {
        let beta = Beta(n.beta);
        let label = QuadKind::HeavyBall(n.beta).label();
        chart = chart
            .with_series(Series::line(label, n.noisy.clone()).of(&beta))
            .with_series(
                Series::line(
                    "",
                    n.noiseless
                        .iter()
                        .copied()
                        .filter(|p| p.1 >= lo)
                        .collect::<Vec<_>>(),
                )
                .of(&beta)
                .dashed(),
            );
    }
    chart.save(&dir.join("noisy.svg"))
}

/// 2-D paths over the contours of f for three momenta.
fn path_svg(r: &Report, dir: &Path) -> Result<()> {
    let lambda = r.problem.lambda;
    for beta in [0.9, 0.99, 0.99999] {
        let q = quad_run(r, QuadKind::HeavyBall(beta));
        let steps = q.path.len() - 1;
        let (mut x_hi, mut y_hi) = (0.0f64, 0.0f64);
        for &(a, b) in &q.path {
            x_hi = x_hi.max(a.abs());
            y_hi = y_hi.max(b.abs());
        }
        let (x_hi, y_hi) = (1.1 * x_hi, 1.1 * y_hi);
        ContourPlot::new(
            Figure::new(
                format!("β = {beta}: the first {steps} steps (α = 1)"),
                format!(
                    "The path of heavy ball with β = {beta} over the contour lines of the quadratic, \
                     from (1, 1) for {steps} steps."
                ),
            )
            .with_size(800, 460),
            ("w₁ (steep, λ = 1)", "w₂ (flat, λ = 0.01)"),
            (-x_hi, x_hi),
            (-y_hi, y_hi),
            move |a, b| 0.5 * (lambda[0] * a * a + lambda[1] * b * b),
        )
        .with_path(Series::line(q.kind.label(), q.path.clone()).of(&q.kind))
        .with_path(Series::points("minimum", [(0.0, 0.0)]).color(palette::BLACK))
        .with_path(Series::points("start", [q.path[0]]).color(palette::GREY))
        .save(&dir.join(format!("path_{beta}.svg")))?;
    }
    Ok(())
}

/// The flat coordinate w₂ against the iteration: the overshoots, one by one.
fn flat_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut chart = LineChart::new(
        Figure::new(
            "The flat coordinate w₂ over the first steps (α = 1)",
            "Line chart of w₂ against the iteration: β = 0.9 overshoots a few times and settles, \
             β = 0.99 swings with slowly shrinking amplitude, β = 0.99999 swings between −1 and 1 \
             without visible damping; the optimal pair goes straight in.",
        )
        .with_size(900, 460),
        "iteration",
        "w₂ (flat direction, λ = 0.01)",
    );
    for kind in [
        QuadKind::HeavyBall(0.9),
        QuadKind::HeavyBall(0.99),
        QuadKind::HeavyBall(0.99999),
        QuadKind::Optimal,
    ] {
        let q = quad_run(r, kind);
        let pts: Vec<(f64, f64)> = q
            .path
            .iter()
            .enumerate()
            .map(|(k, p)| (k as f64, p.1))
            .collect();
        chart = chart.with_series(Series::line(kind.label(), pts).of(&kind));
    }
    chart.save(&dir.join("flat.svg"))
}

fn mlp_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "optimiser",
        "β",
        "α",
        "α/(1 − β)",
        "final training loss (mean ± std over seeds)",
        "test accuracy",
        "worst relapse of the smoothed loss, per seed",
        "diverged",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5]);
    let mut keys: Vec<(Family, f64)> = Vec::new();
    for m in &r.mlp {
        if !keys.iter().any(|k| k.0 == m.family && k.1 == m.beta) {
            keys.push((m.family, m.beta));
        }
    }
    keys.sort_by_key(|k| {
        [
            Family::FixedStep,
            Family::FixedEffectiveStep,
            Family::Nesterov,
            Family::Ramp,
        ]
        .iter()
        .position(|f| *f == k.0)
    });
    for (family, beta) in keys {
        let runs = mlp_runs(r, family, beta);
        let finite: Vec<f64> = runs
            .iter()
            .map(|m| m.final_loss)
            .filter(|x| x.is_finite())
            .collect();
        let acc: Vec<f64> = runs
            .iter()
            .map(|m| m.test_accuracy)
            .filter(|x| x.is_finite())
            .collect();
        let ms = |xs: &[f64], f: &dyn Fn(f64) -> String| {
            if xs.is_empty() {
                "—".to_string()
            } else {
                let (m, s) = (mean(xs), std(xs));
                let partial = if xs.len() < runs.len() {
                    format!(" ({} of {} seeds)", xs.len(), runs.len())
                } else {
                    String::new()
                };
                format!("{} ± {}{partial}", f(m), f(s))
            }
        };
        let diverged: Vec<String> = runs
            .iter()
            .filter_map(|m| m.diverged_at.map(|s| format!("step {s}")))
            .collect();
        let lr = runs[0].lr;
        t.row([
            if family == Family::Ramp {
                format!("{} (Sutskever et al.), then 0.9", family.name())
            } else {
                family.name().to_string()
            },
            if family == Family::Ramp {
                format!("≤ {beta}")
            } else {
                fmt_sig(beta, 5)
            },
            fmt_sig(lr, 3),
            if family == Family::Ramp {
                "—".into()
            } else {
                fmt_sig(lr / (1.0 - beta), 3)
            },
            ms(&finite, &|x| fmt_sig(x, 3)),
            ms(&acc, &|x| format!("{:.1}%", 100.0 * x)),
            runs.iter()
                .map(|m| {
                    if m.relapse.is_finite() {
                        fmt_sig(m.relapse, 3)
                    } else {
                        "∞".into()
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            if diverged.is_empty() {
                "no".into()
            } else {
                diverged.join(", ")
            },
        ]);
    }
    write_atomic(&dir.join("mlp.md"), t.to_markdown().as_bytes())
}

/// The smoothed mini-batch loss of seed 0 against the step.
fn loss_series(r: &Report, name: &str, family: Family, beta: f64) -> Series {
    let run = mlp_runs(r, family, beta)
        .into_iter()
        .find(|m| m.seed_index == 0)
        .expect("seed 0 was run");
    let w = r.smoothing as f64;
    Series::line(
        name,
        run.smoothed
            .iter()
            .enumerate()
            .map(|(i, &l)| ((i as f64 + 1.0) * w, l))
            .collect::<Vec<_>>(),
    )
}

/// The momenta of the fixed-step runs, in increasing order.
fn mlp_betas(r: &Report) -> Vec<f64> {
    mlp_runs(r, Family::FixedStep, 0.0)
        .first()
        .map(|_| {
            let mut b: Vec<f64> = r
                .mlp
                .iter()
                .filter(|m| m.family == Family::FixedStep)
                .map(|m| m.beta)
                .collect();
            b.dedup();
            b.sort_by(f64::total_cmp);
            b.dedup();
            b
        })
        .unwrap_or_default()
}

fn mlp_loss_svg(r: &Report, dir: &Path) -> Result<()> {
    let betas = mlp_betas(r);
    let panel = |title: String, family: Family, y_range: Option<(f64, f64)>| {
        let mut chart =
            LineChart::new(Figure::new(title, ""), "step", "smoothed loss (log scale)").log_y();
        if let Some((lo, hi)) = y_range {
            chart = chart.with_y_range(lo, hi);
        }
        for &b in &betas {
            chart = chart.with_series(
                loss_series(r, &QuadKind::HeavyBall(b).label(), family, b).of(&Beta(b)),
            );
        }
        chart
    };
    let step = book_pipeline::report::round_sig(r.lr, 3);
    LineGrid::new(
        Figure::new(
            format!(
                "Fashion-MNIST MLP, SGD with momentum: mean loss over windows of {} steps (seed 0)",
                r.smoothing
            ),
            "Three log-scale panels of the smoothed training loss against the step for six \
             momenta: with a fixed step (all of it, then the part below 5 nats), and with a \
             fixed effective step α/(1 − β).",
        )
        .with_size(1400, 470),
        vec![
            panel(format!("fixed α = {step}"), Family::FixedStep, None),
            panel(
                "the same, below 5 nats".to_string(),
                Family::FixedStep,
                Some((0.05, 5.0)),
            ),
            panel(
                format!(
                    "fixed α/(1 − β) = {}",
                    book_pipeline::report::round_sig(r.effective_lr, 3)
                ),
                Family::FixedEffectiveStep,
                None,
            ),
        ],
        3,
    )
    .save(&dir.join("mlp_loss.svg"))
}

fn mlp_beyond_svg(r: &Report, dir: &Path) -> Result<()> {
    let betas = crate::mlp_betas_of(r, Family::Nesterov);
    let mut beyond = LineChart::new(
        Figure::new("Nesterov", ""),
        "step",
        "training loss, smoothed (log scale)",
    )
    .log_y();
    for &b in &betas {
        beyond = beyond.with_series(
            loss_series(r, &QuadKind::HeavyBall(b).label(), Family::Nesterov, b).of(&Beta(b)),
        );
    }
    let ramp_beta = r
        .mlp
        .iter()
        .find(|m| m.family == Family::Ramp)
        .map_or(0.99999, |m| m.beta);
    let ramp = LineChart::new(
        Figure::new("heavy ball and the ramp, below 20 nats", ""),
        "step",
        "training loss, smoothed (log scale)",
    )
    .log_y()
    .with_y_range(0.05, 20.0)
    .with_series(
        loss_series(r, &QuadKind::HeavyBall(0.9).label(), Family::FixedStep, 0.9).of(&Beta(0.9)),
    )
    .with_series(
        loss_series(
            r,
            &QuadKind::HeavyBall(0.99999).label(),
            Family::FixedStep,
            0.99999,
        )
        .of(&Beta(0.99999)),
    )
    .with_series(
        loss_series(r, "ramp, then 0.9", Family::Ramp, ramp_beta)
            .color(palette::BLACK)
            .dashed(),
    );
    LineGrid::new(
        Figure::new(
            format!(
                "Beyond the answer: Nesterov and a momentum ramp (α = {}, seed 0)",
                book_pipeline::report::round_sig(r.lr, 3)
            ),
            "Two log-scale panels of the smoothed training loss: Nesterov momentum at three β, and \
             heavy ball at β = 0.9 and 0.99999 against Sutskever's ramp.",
        )
        .with_size(1100, 470),
        vec![beyond, ramp],
        2,
    )
    .save(&dir.join("mlp_beyond.svg"))
}
