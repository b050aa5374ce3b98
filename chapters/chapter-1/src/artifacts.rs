//! Figures and tables of chapter 1, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{
    BookColor, Chart, Figure, Histogram, HistogramGrid, LineChart, LineGrid, Series,
};
use book_pipeline::report::{Table, fmt_pct, fmt_sig, write_atomic};
use lab::{Activation, Init};

use crate::diagnostics::Snapshot;
use crate::sweep::fitted_factor;
use crate::training::{Condition, ConditionRuns, SMOOTHING, TrainRun};
use crate::{GLOROT_BENGIO_TABLE_1, Report};

use book_pipeline::plot::RGBColor;
use book_pipeline::plot::palette::{self, GREY};
use lab::stats::{mean, std};
use lab::tune::late_gain;

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    sweep_svg(r, dir)?;
    sweep_table(r, dir)?;
    histograms_svg(r, dir)?;
    histograms_table(r, dir)?;
    fans_svg(r, dir)?;
    fans_table(r, dir)?;
    training_30_layers_svg(r, dir)?;
    glorot_bengio_svg(r, dir)?;
    training_100_layers_svg(r, dir)?;
    diagnostics_relu_svg(r, dir)?;
    diagnostics_tanh_svg(r, dir)?;
    training_table(r, dir)?;
    learning_rates_table(r, dir)?;
    glorot_bengio_table(r, dir)?;
    finite_width_svg(r, dir)?;
    finite_width_table(r, dir)
}

fn layer_points(std: &[f64]) -> Vec<(f64, f64)> {
    std.iter()
        .enumerate()
        .map(|(l, &s)| ((l + 1) as f64, s))
        .collect()
}

/// One figure per activation: forward and backward std against depth, every init, theory dashed.
fn sweep_svg(r: &Report, dir: &Path) -> Result<()> {
    for activation in crate::sweep::activations() {
        let act = activation.name();
        let sweeps: Vec<_> = r
            .sweeps
            .iter()
            .filter(|s| s.activation == activation)
            .collect();
        let depth = sweeps[0].forward_std.len();
        let panel = |title: &str, y: &str, backward: bool| {
            let mut chart = LineChart::new(Figure::new(title, ""), "layer", y).log_y();
            for s in &sweeps {
                let std = if backward {
                    &s.backward_std
                } else {
                    &s.forward_std
                };
                chart =
                    chart.with_series(Series::line(s.init.name(), layer_points(std)).of(&s.init));
            }
            for s in &sweeps {
                // Theory: the first measured value times the predicted factor per layer, going up
                // (forward) or down (backward) the stack.
                let std = if backward {
                    &s.backward_std
                } else {
                    &s.forward_std
                };
                if let Some(t) = s.theory_factor {
                    let (anchor, sign) = if backward {
                        (depth - 1, -1.0)
                    } else {
                        (0, 1.0)
                    };
                    let s0 = std[anchor];
                    if s0.is_finite() {
                        let pts = (0..depth).map(|l| {
                            (
                                (l + 1) as f64,
                                s0 * t.powf(sign * (l as f64 - anchor as f64)),
                            )
                        });
                        let pts: Vec<_> = pts.filter(|p| (1e-30..1e30).contains(&p.1)).collect();
                        chart = chart.with_series(Series::line("theory", pts).dashed().color(GREY));
                    }
                }
            }
            chart
        };
        let grid = LineGrid::new(
            Figure::new(
                format!("{act}: std per layer at initialisation ({depth} layers)"),
                format!(
                    "Two log-scale line charts for {act} layers: the std of the activations going up \
                     the stack, and of the back-propagated gradients going down, for seven \
                     initialisations."
                ),
            )
            .with_size(1100, 470),
            vec![
                panel("forward: std of activations a", "std (log scale)", false),
                panel("backward: std of gradients ∂L/∂z", "std (log scale)", true),
            ],
            2,
        );
        let file = format!("sweep_{}.svg", act.to_lowercase().replace(' ', "_"));
        grid.save(&dir.join(file))?;
    }
    Ok(())
}

fn sweep_table(r: &Report, dir: &Path) -> Result<()> {
    let depth = r.sweeps[0].forward_std.len();
    let mut t = Table::new([
        "activation".to_string(),
        "init".into(),
        "std, layer 1".into(),
        "layer 10".into(),
        format!("layer {depth}"),
        "factor per layer, forward".into(),
        "backward".into(),
        "theory".into(),
    ])
    .numeric_columns(&[2, 3, 4, 5, 6, 7]);
    let f = |x: f64| {
        if x.is_finite() {
            fmt_sig(x, 3)
        } else {
            "out of range".into()
        }
    };
    let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| fmt_sig(v, 3));
    for s in &r.sweeps {
        t.row([
            s.activation.name(),
            s.init.name(),
            f(s.forward_std[0]),
            f(s.forward_std[9.min(depth - 1)]),
            f(s.forward_std[depth - 1]),
            opt(fitted_factor(&s.forward_std)),
            opt(fitted_factor(&s.backward_std).map(|b| 1.0 / b)),
            opt(s.theory_factor),
        ]);
    }
    write_atomic(&dir.join("sweep.md"), t.to_markdown().as_bytes())
}

fn histograms_svg(r: &Report, dir: &Path) -> Result<()> {
    let h = &r.histograms;
    for (kind, file, x_label) in [
        (
            "activations",
            "histograms_activations.svg",
            "activation value a = tanh(z)",
        ),
        (
            "gradients",
            "histograms_gradients.svg",
            "back-propagated gradient ∂L/∂z",
        ),
    ] {
        let layers = h.runs[0].activations.len();
        let panels = (0..layers)
            .map(|l| {
                let series = h
                    .runs
                    .iter()
                    .map(|run| {
                        let b = if kind == "activations" {
                            &run.activations[l]
                        } else {
                            &run.gradients[l]
                        };
                        Histogram::binned(run.init.name(), b.lo, b.hi, &b.counts).of(&run.init)
                    })
                    .collect();
                (format!("layer {}", l + 1), series)
            })
            .collect();
        let grid = HistogramGrid::new(
            Figure::new(
                format!("{kind} per layer of a 5-layer tanh net at initialisation"),
                format!(
                    "Five histograms, one per layer, of the {kind} of a tanh net initialised with \
                     the old U(±1/√n_in) heuristic and with Glorot's normalised initialisation."
                ),
            ),
            panels,
            x_label,
            3,
        );
        grid.save(&dir.join(file))?;
    }
    Ok(())
}

fn histograms_table(r: &Report, dir: &Path) -> Result<()> {
    let h = &r.histograms;
    let mut t = Table::new([
        "init", "quantity", "layer 1", "layer 2", "layer 3", "layer 4", "layer 5",
    ])
    .numeric_columns(&[2, 3, 4, 5, 6]);
    for run in &h.runs {
        for (q, v) in [
            ("std of activations", &run.activation_std),
            ("std of ∂L/∂z", &run.gradient_std),
        ] {
            let mut row = vec![run.init.name(), q.to_string()];
            row.extend(v.iter().map(|&x| fmt_sig(x, 3)));
            t.row(row);
        }
    }
    write_atomic(&dir.join("histograms.md"), t.to_markdown().as_bytes())
}

fn fans_svg(r: &Report, dir: &Path) -> Result<()> {
    let panel = |title: &str, backward: bool| {
        let mut chart = LineChart::new(Figure::new(title, ""), "layer", "std (log scale)").log_y();
        for f in &r.fans {
            let std = if backward {
                &f.backward_std
            } else {
                &f.forward_std
            };
            chart =
                chart.with_series(Series::line(f.mode.name(), layer_points(std)).with_markers());
        }
        for f in &r.fans {
            let th = if backward {
                &f.backward_theory
            } else {
                &f.forward_theory
            };
            chart = chart.with_series(
                Series::line("theory", layer_points(th))
                    .dashed()
                    .color(GREY),
            );
        }
        chart
    };
    let grid = LineGrid::new(
        Figure::new(
            "784 → 1024 → 256 → 64 → 10, linear layers: which fan keeps which variance",
            "Two log-scale line charts over the four layers of a net whose widths change: the std \
             of the signal going forward and of the gradient going backward, for weights scaled \
             by fan-in, by fan-out and by their average (Glorot).",
        )
        .with_size(1100, 470),
        vec![
            panel("forward: std of z", false),
            panel("backward: std of ∂L/∂z", true),
        ],
        2,
    );
    grid.save(&dir.join("fans.svg"))
}

fn fans_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "Var(W) = 1 / …",
        "layer",
        "forward std",
        "theory",
        "backward std",
        "theory",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5]);
    for f in &r.fans {
        for l in 0..f.forward_std.len() {
            t.row([
                f.mode.name().to_string(),
                (l + 1).to_string(),
                fmt_sig(f.forward_std[l], 3),
                fmt_sig(f.forward_theory[l], 3),
                fmt_sig(f.backward_std[l], 3),
                fmt_sig(f.backward_theory[l], 3),
            ]);
        }
    }
    write_atomic(&dir.join("fans.md"), t.to_markdown().as_bytes())
}

/// Mean over `runs` of their smoothed loss curves, point by point (over the shortest: a
/// diverged run stops early).
fn mean_curve(runs: &[&TrainRun]) -> Vec<(f64, f64)> {
    let points = runs
        .iter()
        .map(|r| r.smoothed_steps.len())
        .min()
        .unwrap_or(0);
    (0..points)
        .map(|i| {
            let m = runs.iter().map(|r| r.smoothed_steps[i]).sum::<f64>() / runs.len() as f64;
            (((i + 1) * SMOOTHING) as f64, m)
        })
        .collect()
}

/// Training-loss curves, one series per entry, with ln 10 (chance) as a grey reference.
fn loss_chart(title: &str, alt: &str, series: Vec<Series>, steps: f64) -> LineChart {
    let ln10 = 10f64.ln();
    let figure = Figure::new(title, alt).with_size(900, 480);
    let chart = LineChart::new(figure, "training step", "training loss (nats)");
    series
        .into_iter()
        .fold(chart, LineChart::with_series)
        .with_series(
            Series::line("ln 10 (chance)", [(0.0, ln10), (steps, ln10)])
                .dashed()
                .color(GREY),
        )
}

/// "tanh + Glorot": short enough for a legend (Table 1.6 names the exact distributions).
fn legend_label(c: Condition) -> String {
    let init = match c.init {
        Init::HeNormal | Init::HeUniform => "He".to_string(),
        Init::GlorotNormal | Init::GlorotUniform => "Glorot".to_string(),
        Init::OldUniform => "U(±1/√n)".to_string(),
        other => other.name(),
    };
    format!("{} + {init}", c.activation.name())
}

/// One series per condition: the mean over its seeds; the sigmoid nets dashed.
fn comparison_chart(title: &str, alt: &str, comparison: &[ConditionRuns]) -> LineChart {
    let mut steps: f64 = 0.0;
    let series = comparison
        .iter()
        .map(|c| {
            let runs: Vec<&TrainRun> = c.runs.iter().collect();
            let pts = mean_curve(&runs);
            steps = steps.max(pts.last().map_or(0.0, |p| p.0));
            let line = Series::line(legend_label(c.condition), pts).of(&c.condition.init);
            // Colour for the initialisation; the sigmoid nets dashed.
            if c.condition.activation == Activation::Sigmoid {
                line.dashed()
            } else {
                line
            }
        })
        .collect();
    loss_chart(title, alt, series, steps)
}

fn training_30_layers_svg(r: &Report, dir: &Path) -> Result<()> {
    let seeds = r.deep[0].runs.len();
    comparison_chart(
        &format!("Training a 30-layer ReLU net on Fashion-MNIST (mean of {seeds} seeds)"),
        "Line chart of the training loss against the step for a 30-layer ReLU MLP with He and \
         with Xavier initialisation: He's falls from the start; Xavier's stays at ln 10 for \
         hundreds of steps, then falls less far and less steadily.",
        &r.deep,
    )
    .save(&dir.join("training_30_layers.svg"))
}

fn glorot_bengio_svg(r: &Report, dir: &Path) -> Result<()> {
    let seeds = r.glorot_bengio[0].runs.len();
    comparison_chart(
        &format!("Glorot & Bengio's 5-layer nets (mean of {seeds} seeds)"),
        "Line chart of the training loss against the step for 5-layer tanh (solid) and sigmoid \
         (dashed) MLPs, each with the old U(±1/√n) heuristic and with normalised initialisation.",
        &r.glorot_bengio,
    )
    .save(&dir.join("glorot_bengio.svg"))
}

fn training_100_layers_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut steps: f64 = 0.0;
    let series = r
        .very_deep
        .iter()
        .map(|s| {
            let pts = mean_curve(&[&s.run]);
            steps = steps.max(pts.last().map_or(0.0, |p| p.0));
            Series::line(s.condition.label(), pts).of(&s.condition.activation)
        })
        .collect();
    loss_chart(
        "HOML's 100-layer test: ReLU + He against SELU + LeCun (one seed)",
        "Line chart of the training loss against the step for a 100-layer MLP with ReLU and He \
         initialisation and with SELU and LeCun initialisation.",
        series,
        steps,
    )
    .save(&dir.join("training_100_layers.svg"))
}

/// What a diagnostics panel shows, per layer.
#[derive(Clone, Copy)]
enum Quantity {
    ActStd,
    FlatShare,
    GradStd,
    UpdateRatio,
}

impl Quantity {
    fn label(self) -> &'static str {
        match self {
            Quantity::ActStd => "activation std",
            Quantity::FlatShare => "share of flat units",
            Quantity::GradStd => "weight-gradient std",
            Quantity::UpdateRatio => "update std / weight std",
        }
    }
    fn of(self, s: &Snapshot) -> &[f64] {
        match self {
            Quantity::ActStd => &s.act_std,
            Quantity::FlatShare => &s.flat_share,
            Quantity::GradStd => &s.grad_std,
            Quantity::UpdateRatio => &s.update_ratio,
        }
    }
}

/// Snapshot steps in time order: black, then blue, green, orange.
const STEP_COLORS: [RGBColor; 4] = [
    palette::BLACK,
    palette::BLUE,
    palette::BLUISH_GREEN,
    palette::ORANGE,
];

/// One panel per (quantity, condition): the quantity against the layer, one line per snapshot
/// of the condition's first seed.
fn diagnostics_chart(
    figure: Figure,
    comparison: &[ConditionRuns],
    quantities: &[Quantity],
) -> LineGrid {
    let mut panels = Vec::new();
    for &q in quantities {
        for c in comparison {
            let title = format!("{}: {}", c.condition.init.name(), q.label());
            let mut chart = LineChart::new(Figure::new(title, ""), "layer", q.label());
            if !matches!(q, Quantity::FlatShare) {
                chart = chart.log_y();
            }
            for (s, &color) in c.runs[0].diagnostics.iter().zip(STEP_COLORS.iter().cycle()) {
                let pts = q
                    .of(s)
                    .iter()
                    .enumerate()
                    .map(|(l, &y)| ((l + 1) as f64, y))
                    .filter(|p| p.1 > 0.0 || matches!(q, Quantity::FlatShare));
                chart = chart.with_series(
                    Series::line(format!("step {}", s.step), pts)
                        .with_markers()
                        .color(color),
                );
            }
            panels.push(chart);
        }
    }
    LineGrid::new(figure, panels, comparison.len())
}

fn diagnostics_relu_svg(r: &Report, dir: &Path) -> Result<()> {
    diagnostics_chart(
        Figure::new(
            "Inside the 30-layer ReLU net while it trains (first seed)",
            "Six log-scale line charts against the layer, for He (left) and Xavier (right) \
             initialisation of a 30-layer ReLU MLP: activation std, weight-gradient std and \
             update-to-weight ratio, one line per moment of training (steps 0, 10, 100, 1000).",
        )
        .with_size(1000, 1000),
        &r.deep,
        &[Quantity::ActStd, Quantity::GradStd, Quantity::UpdateRatio],
    )
    .save(&dir.join("diagnostics_relu.svg"))
}

fn diagnostics_tanh_svg(r: &Report, dir: &Path) -> Result<()> {
    let tanh: Vec<ConditionRuns> = r
        .glorot_bengio
        .iter()
        .filter(|c| c.condition.activation == Activation::Tanh)
        .cloned()
        .collect();
    diagnostics_chart(
        Figure::new(
            "Inside the 5-layer tanh net while it trains (first seed)",
            "Eight line charts against the layer, for the old U(±1/√n) heuristic (left) and \
             normalised initialisation (right) of a 5-layer tanh MLP: activation std, share of \
             saturated units, weight-gradient std and update-to-weight ratio, one line per moment \
             of training (steps 0, 10, 100, 1000).",
        )
        .with_size(1000, 1200),
        &tanh,
        &[
            Quantity::ActStd,
            Quantity::FlatShare,
            Quantity::GradStd,
            Quantity::UpdateRatio,
        ],
    )
    .save(&dir.join("diagnostics_tanh.svg"))
}

/// `mean ± sd` of `xs` in percent.
fn pct_over_seeds(xs: &[f64]) -> String {
    format!("{:.2} ± {:.2}", 100.0 * mean(xs), 100.0 * std(xs))
}

fn training_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "net",
        "activation + init",
        "rate",
        "loss at start",
        "final training loss",
        "validation gain, last epoch",
        "test accuracy (%)",
    ])
    .numeric_columns(&[2, 3, 4, 5, 6]);
    let nets = [("30 × 128", &r.deep), ("5 × 256", &r.glorot_bengio)];
    for (net, comparison) in nets {
        for c in comparison {
            let starts: Vec<f64> = c.runs.iter().map(TrainRun::initial_loss).collect();
            let gains: Vec<f64> = c
                .runs
                .iter()
                .filter(|r| r.history.diverged.is_none())
                .map(|r| late_gain(&r.val_curve(), 1))
                .collect();
            let losses = c.final_losses();
            let diverged = losses.iter().filter(|l| l.is_nan()).count();
            let finished: Vec<f64> = losses.into_iter().filter(|l| !l.is_nan()).collect();
            let final_loss = match diverged {
                0 => format!("{:.3}", mean(&finished)),
                d => format!("{:.3} ({d} diverged)", mean(&finished)),
            };
            t.row([
                format!("{net}, {} seeds", c.runs.len()),
                c.condition.label(),
                c.lr.chosen.to_string(),
                format!("{:.3}", mean(&starts)),
                final_loss,
                format!("{:+.2} pts", 100.0 * mean(&gains)),
                pct_over_seeds(&c.test_accuracies()),
            ]);
        }
    }
    for s in &r.very_deep {
        t.row([
            "100 × 100, one seed".to_string(),
            s.condition.label(),
            format!("{} (fixed)", s.lr as f32),
            format!("{:.3}", s.run.initial_loss()),
            format!("{:.3}", s.run.final_loss()),
            "—".into(),
            fmt_pct(s.run.test_accuracy, 2),
        ]);
    }
    write_atomic(&dir.join("training.md"), t.to_markdown().as_bytes())
}

/// Each condition's validation loss (and accuracy) at every rate of the grid (first seed,
/// the tuning epochs), the chosen rate in bold.
fn learning_rates_table(r: &Report, dir: &Path) -> Result<()> {
    let grid = &r.deep[0].lr.grid;
    let mut headers = vec!["net".to_string(), "activation + init".into()];
    headers.extend(grid.iter().map(|lr| format!("rate {lr}")));
    let mut t = Table::new(headers).numeric_columns(&(2..2 + grid.len()).collect::<Vec<_>>());
    for (net, comparison) in [("30 × 128", &r.deep), ("5 × 256", &r.glorot_bengio)] {
        for c in comparison {
            let mut row = vec![net.to_string(), c.condition.label()];
            row.extend(c.lr.grid.iter().zip(&c.lr.scores).map(|(&lr, s)| {
                let cell = if s.loss.is_nan() {
                    "diverged".to_string()
                } else {
                    format!("{:.3} ({:.0}%)", s.loss, 100.0 * s.accuracy)
                };
                if lr == c.lr.chosen {
                    format!("**{cell}**")
                } else {
                    cell
                }
            }));
            t.row(row);
        }
    }
    write_atomic(&dir.join("learning_rates.md"), t.to_markdown().as_bytes())
}

/// Our test errors beside Glorot & Bengio's Table 1.
fn glorot_bengio_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "activation + init",
        "Fashion-MNIST test error (%), here",
        "MNIST (G&B)",
        "Shapeset (G&B)",
    ])
    .numeric_columns(&[1, 2, 3]);
    for c in &r.glorot_bengio {
        let errors: Vec<f64> = c.test_accuracies().iter().map(|a| 1.0 - a).collect();
        let theirs = GLOROT_BENGIO_TABLE_1
            .iter()
            .find(|t| t.0 == c.condition)
            .map(|t| (t.1, t.2));
        let cell = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{x:.2}"));
        t.row([
            c.condition.label(),
            pct_over_seeds(&errors),
            cell(theirs.map(|t| t.0)),
            cell(theirs.and_then(|t| t.1)),
        ]);
    }
    write_atomic(&dir.join("glorot_bengio.md"), t.to_markdown().as_bytes())
}

fn finite_width_svg(r: &Report, dir: &Path) -> Result<()> {
    let panels = r
        .finite_width
        .iter()
        .map(|w| {
            let mut chart = LineChart::new(
                Figure::new(format!("width {}", w.width), ""),
                "layer",
                "std / std at layer 1 (log)",
            )
            .log_y()
            .with_y_range(0.05, 20.0);
            for (s, rel) in w.relative_std.iter().enumerate() {
                let name = if s == 0 { "one seed each" } else { "" };
                chart = chart.with_series(
                    Series::line(name, layer_points(rel))
                        .color(Init::HeNormal.book_color().expect("He has its colour")),
                );
            }
            chart
        })
        .collect();
    let seeds = r.finite_width[0].relative_std.len();
    LineGrid::new(
        Figure::new(
            format!("ReLU + He, {seeds} seeds per width: the variance is kept on average, not in each net"),
            "Three log-scale line charts, one per width (16, 64, 256), each with one line per seed of \
             the activation std relative to layer 1 through a deep ReLU net with He initialisation: \
             the narrower the net, the wider the fan of lines.",
        ),
        panels,
        3,
    )
    .save(&dir.join("finite_width.svg"))
}

fn finite_width_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "width",
        "seeds",
        "mean log10(last/first)",
        "std over seeds",
        "median largest drift",
        "seeds within 2×",
        "nets gone silent",
    ])
    .numeric_columns(&[0, 1, 2, 3, 4, 5, 6]);
    for w in &r.finite_width {
        t.row([
            w.width.to_string(),
            w.relative_std.len().to_string(),
            format!("{:+.3}", w.log10_last_mean()),
            format!("{:.3}", w.log10_last_std()),
            format!("{:.2}×", w.median_max_drift()),
            format!("{} / {}", w.seeds_within(2.0), w.relative_std.len()),
            w.dead_nets().to_string(),
        ]);
    }
    write_atomic(&dir.join("finite_width.md"), t.to_markdown().as_bytes())
}
