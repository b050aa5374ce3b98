//! Figures and tables of chapter 1, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{
    BookColor, Chart, Figure, Histogram, HistogramGrid, LineChart, LineGrid, Series,
};
use book_pipeline::report::{Table, fmt_pct, fmt_sig, write_atomic};
use lab::Init;

use crate::Report;
use crate::sweep::fitted_factor;
use crate::training::{SMOOTHING, TrainRun};

use book_pipeline::plot::palette::GREY;

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    sweep_svg(r, dir)?;
    sweep_table(r, dir)?;
    histograms_svg(r, dir)?;
    histograms_table(r, dir)?;
    fans_svg(r, dir)?;
    fans_table(r, dir)?;
    training_30_layers_svg(r, dir)?;
    training_100_layers_svg(r, dir)?;
    training_table(r, dir)?;
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

fn loss_chart(
    title: &str,
    alt: &str,
    runs: &[TrainRun],
    series: impl Fn(&TrainRun, Vec<(f64, f64)>) -> Series,
) -> LineChart {
    let mut chart = LineChart::new(
        Figure::new(title, alt),
        "training step",
        "training loss (nats)",
    );
    let mut steps = 0;
    for run in runs {
        let pts: Vec<(f64, f64)> = run
            .smoothed_steps
            .iter()
            .enumerate()
            .map(|(i, &l)| (((i + 1) * SMOOTHING) as f64, l))
            .collect();
        steps = steps.max(run.history.step_losses.len());
        chart = chart.with_series(series(run, pts));
    }
    let ln10 = 10f64.ln();
    chart.with_series(
        Series::line("ln 10 (chance)", [(0.0, ln10), (steps as f64, ln10)])
            .dashed()
            .color(GREY),
    )
}

fn training_30_layers_svg(r: &Report, dir: &Path) -> Result<()> {
    loss_chart(
        "Training a 30-layer ReLU net on Fashion-MNIST",
        "Line chart of the training loss against the step for four initialisations of a 30-layer \
         ReLU MLP: only He's falls; the others stay at ln 10.",
        &r.deep,
        |run, pts| Series::line(run.init.name(), pts).of(&run.init),
    )
    .save(&dir.join("training_30_layers.svg"))
}

fn training_100_layers_svg(r: &Report, dir: &Path) -> Result<()> {
    loss_chart(
        "HOML's 100-layer test: ReLU + He against SELU + LeCun",
        "Line chart of the training loss against the step for a 100-layer MLP with ReLU and He \
         initialisation and with SELU and LeCun initialisation.",
        &r.very_deep,
        |run, pts| Series::line(run.label(), pts).of(&run.activation),
    )
    .save(&dir.join("training_100_layers.svg"))
}

fn training_table(r: &Report, dir: &Path) -> Result<()> {
    let depth = |net: &str| net.to_string();
    let mut t = Table::new([
        "net",
        "activation + init",
        "loss at start",
        "after epoch 1",
        "after epoch 2",
        "final",
        "test accuracy",
    ])
    .numeric_columns(&[2, 3, 4, 5, 6]);
    for (net, runs) in [
        (depth("30 × 128"), &r.deep),
        (depth("100 × 100"), &r.very_deep),
    ] {
        for run in runs.iter() {
            let e = &run.history.epochs;
            let at = |i: usize| {
                e.get(i)
                    .map_or("—".to_string(), |x| format!("{:.3}", x.train_loss))
            };
            let final_loss = match run.history.diverged {
                Some(d) => format!("diverged at step {}", d.step),
                None => format!(
                    "{:.3} (epoch {})",
                    run.history.last().train_loss,
                    e.len() - 1
                ),
            };
            t.row([
                net.clone(),
                run.label(),
                at(0),
                at(1),
                at(2),
                final_loss,
                fmt_pct(run.test_accuracy, 1),
            ]);
        }
    }
    write_atomic(&dir.join("training.md"), t.to_markdown().as_bytes())
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
