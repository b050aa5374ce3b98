//! Figures and tables of chapter 2, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{Chart, Colormap, Figure, HeatmapGrid, LineChart, LineGrid, Series};
use book_pipeline::report::{Table, fmt_mean_std, fmt_sig, write_atomic};

use crate::training::{Constant, Run, SMOOTHING, Start};
use crate::{Report, accuracies, decorrelation_step};
use lab::stats::{mean, std};

use book_pipeline::plot::palette::GREY;

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    results_table(r, dir)?;
    tracking_table(r, dir)?;
    breaking_table(r, dir)?;
    zeros_table(r, dir)?;
    cosine_heatmaps_svg(r, dir)?;
    learning_curves_svg(r, dir)?;
    symmetry_during_training_svg(r, dir)?;
    eps_sweep_svg(r, dir)
}

/// A short legend name for a run.
fn short_name(run: &Run) -> String {
    match run.start {
        Start::Random => "random (He normal)".into(),
        Start::Constant(Constant::InverseFanIn) => "constant".into(),
        Start::Constant(Constant::Fixed(c)) => format!("constant {c}"),
        Start::ConstantDropout { .. } => "constant + dropout".into(),
        Start::RandomBias { bias, .. } => format!("biases {}", bias.name()),
        Start::Perturbed { eps, .. } => format!("ε = {eps:e}"),
        Start::Zeros => "all zeros".into(),
    }
}

fn rank(r: Option<usize>) -> String {
    r.map_or("—".into(), |r| r.to_string())
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "diverged".into()
    }
}

fn acc_cell(runs: &[Run]) -> String {
    let (m, s) = (mean(&accuracies(runs)), std(&accuracies(runs)));
    if runs.len() > 1 {
        format!(
            "{}% ({} seeds)",
            fmt_mean_std(100.0 * m, 100.0 * s, 1),
            runs.len()
        )
    } else {
        pct(m)
    }
}

/// `a, b, c` for a list of numbers.
fn list<T: ToString>(xs: impl IntoIterator<Item = T>) -> String {
    xs.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Experiment 1: the three nets (and the naive 0.05), after training.
fn results_table(r: &Report, dir: &Path) -> Result<()> {
    let hidden = r.hidden.len();
    let mut t = Table::new([
        "start",
        "hidden units",
        "test accuracy",
        "largest difference between two units' weights, per hidden layer",
        "distinct units, per hidden layer",
        "rank of each weight matrix",
    ]);
    let groups: [(&str, &[Run]); 4] = [
        ("random (He normal)", &r.random),
        ("constant", &r.constant_runs),
        ("one unit per layer", &r.one_unit),
        (
            "constant 0.05 (every layer)",
            std::slice::from_ref(&r.naive_constant),
        ),
    ];
    for (name, runs) in groups {
        let p = runs[0].last_probe();
        t.row([
            if name == "constant" {
                runs[0].label()
            } else {
                name.to_string()
            },
            list(&runs[0].hidden),
            acc_cell(runs),
            list(
                p.layers[..hidden]
                    .iter()
                    .map(|l| fmt_sig(l.max_unit_difference, 3)),
            ),
            list(p.layers[..hidden].iter().map(|l| l.distinct_units)),
            list(p.layers.iter().map(|l| rank(l.rank))),
        ]);
    }
    write_atomic(&dir.join("results.md"), t.to_markdown().as_bytes())
}

/// Experiment 1: the constant net's layers while it trains.
fn tracking_table(r: &Report, dir: &Path) -> Result<()> {
    let run = &r.constant_runs[0];
    let mut t = Table::new([
        "step",
        "largest difference, layer 1",
        "layer 2",
        "distinct units, layer 1",
        "layer 2",
        "ranks",
    ])
    .numeric_columns(&[0, 1, 2, 3, 4]);
    let n = run.probes.len();
    for (i, p) in run.probes.iter().enumerate() {
        // Every third probe, and the last.
        if i % 3 != 0 && i + 1 != n {
            continue;
        }
        t.row([
            p.step.to_string(),
            fmt_sig(p.layers[0].max_unit_difference, 3),
            fmt_sig(p.layers[1].max_unit_difference, 3),
            p.layers[0].distinct_units.to_string(),
            p.layers[1].distinct_units.to_string(),
            list(p.layers.iter().map(|l| rank(l.rank))),
        ]);
    }
    write_atomic(&dir.join("tracking.md"), t.to_markdown().as_bytes())
}

/// Experiment 3: what breaks the symmetry.
fn breaking_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "start",
        "test accuracy",
        "asymmetry of layer 1, start → end",
        "largest difference, layer 1",
        "distinct units, layer 1",
        "rank of W₁",
        "mean cosine, layer 1",
        format!("step when mean cosine < {}", r.correlated).as_str(),
    ])
    .numeric_columns(&[1, 3, 4, 5, 6, 7]);
    // Each row: the runs of one start (several seeds for the ε sweep); the first seed's run
    // gives the symmetry measures.
    let groups: Vec<&[Run]> = [&r.constant_runs[..], &r.dropout[..]]
        .into_iter()
        .chain(r.random_bias.chunks(1))
        .chain(r.perturbed.chunks(r.eps_seeds))
        .chain(std::iter::once(&r.random[..]))
        .collect();
    for runs in groups {
        let run = &runs[0];
        let (first, last) = (&run.probes[0].layers[0], &run.last_probe().layers[0]);
        t.row([
            run.label(),
            acc_cell(runs),
            format!(
                "{} → {}",
                fmt_sig(first.asymmetry, 2),
                fmt_sig(last.asymmetry, 2)
            ),
            fmt_sig(last.max_unit_difference, 3),
            last.distinct_units.to_string(),
            rank(last.rank),
            format!("{:.4}", last.mean_cosine),
            decorrelation_step(run, r.correlated).map_or("never".to_string(), |s| s.to_string()),
        ]);
    }
    write_atomic(&dir.join("breaking.md"), t.to_markdown().as_bytes())
}

/// Experiment 2: the all-zero net.
fn zeros_table(r: &Report, dir: &Path) -> Result<()> {
    let z = &r.zeros;
    let mut t = Table::new(["layer", "largest |∂L/∂W| over training", "largest |∂L/∂b|"])
        .numeric_columns(&[1, 2]);
    for (l, (gw, gb)) in z
        .max_abs_weight_grad
        .iter()
        .zip(&z.max_abs_bias_grad)
        .enumerate()
    {
        let name = if l + 1 == z.max_abs_weight_grad.len() {
            format!("{} (output)", l + 1)
        } else {
            (l + 1).to_string()
        };
        t.row([name, fmt_sig(*gw, 3), fmt_sig(*gb, 3)]);
    }
    let mut md = t.to_markdown();
    md.push_str(&format!(
        "\nMean training loss per epoch: {} (ln 10 = {:.4}). Largest |weight| after {} steps: {}. \
         Output biases after training: {}.\n",
        list(z.epoch_loss.iter().map(|l| format!("{l:.4}"))),
        10f64.ln(),
        z.steps,
        fmt_sig(z.max_abs_weight_after, 3),
        list(z.output_bias_after.iter().map(|b| fmt_sig(*b, 2))),
    ));
    write_atomic(&dir.join("zeros.md"), md.as_bytes())
}

fn cosine_heatmaps_svg(r: &Report, dir: &Path) -> Result<()> {
    let runs = std::iter::once(&r.random[0])
        .chain(std::iter::once(&r.constant_runs[0]))
        .chain(std::iter::once(&r.dropout[0]))
        .chain(&r.random_bias);
    let panels: Vec<(String, Vec<Vec<f64>>)> = runs
        .filter(|run| !run.final_cosine.is_empty())
        .map(|run| (short_name(run), run.final_cosine.clone()))
        .collect();
    let units = panels[0].1.len();
    let mut grid = HeatmapGrid::new(
        Figure::new(
            format!(
                "cosine similarity between the {units} units of hidden layer 1, after training"
            ),
            "Heatmaps of the pairwise cosine similarity of the incoming weights of the units of \
             the first hidden layer after training: random init (a red diagonal on a pale \
             background), constant init (uniformly red: all units identical), constant init with \
             dropout, and constant init with random biases (one panel per bias distribution).",
        ),
        panels,
        (-1.0, 1.0),
        Colormap::Diverging,
        3,
    );
    grid.x_label = "unit".into();
    grid.y_label = "unit".into();
    grid.value_label = "cosine similarity".into();
    grid.save(&dir.join("cosine_heatmaps.svg"))
}

fn smoothed(run: &Run) -> Vec<(f64, f64)> {
    run.smoothed_steps
        .iter()
        .enumerate()
        .map(|(i, &l)| (((i + 1) * SMOOTHING) as f64, l))
        .filter(|p| p.1.is_finite())
        .collect()
}

fn learning_curves_svg(r: &Report, dir: &Path) -> Result<()> {
    // The one-unit net starts from the constant rule too, but is another net: its own colour.
    let runs = [
        ("random (He normal)", &r.random[0], true),
        ("constant", &r.constant_runs[0], true),
        ("one unit per layer", &r.one_unit[0], false),
        ("constant 0.05", &r.naive_constant, true),
        ("constant + dropout", &r.dropout[0], true),
    ];
    let mut chart = LineChart::new(
        Figure::new(
            "training loss (mean over 25 steps)",
            "Log-scale training loss against SGD steps for the random net, the constant net, the \
             one-unit net, the 0.05 constant net and the constant net with dropout.",
        ),
        "SGD step",
        "cross-entropy (log scale)",
    )
    .log_y();
    for (name, run, book_colored) in runs {
        let series = Series::line(name, smoothed(run));
        chart = chart.with_series(if book_colored {
            series.of(&run.start)
        } else {
            series
        });
    }
    let ln10 = 10f64.ln();
    let last = (r.random[0].smoothed_steps.len() * SMOOTHING) as f64;
    chart = chart.with_series(
        Series::line("ln 10", [(0.0, ln10), (last, ln10)])
            .dashed()
            .color(GREY),
    );
    chart.save(&dir.join("learning_curves.svg"))
}

/// Points (step, value) of a probe quantity, step 0 shown at ½ on a log axis.
fn probe_points(
    run: &Run,
    layer: usize,
    f: impl Fn(&crate::symmetry::LayerProbe) -> f64,
) -> Vec<(f64, f64)> {
    run.probes
        .iter()
        .map(|p| ((p.step as f64).max(0.5), f(&p.layers[layer])))
        .filter(|p| p.1.is_finite())
        .collect()
}

fn symmetry_during_training_svg(r: &Report, dir: &Path) -> Result<()> {
    let runs: Vec<&Run> = [&r.random[0], &r.constant_runs[0], &r.dropout[0]]
        .into_iter()
        .chain(&r.random_bias)
        .collect();
    let panel = |title: &str, y: &str, f: fn(&crate::symmetry::LayerProbe) -> f64| {
        let mut c = LineChart::new(Figure::new(title, ""), "SGD step (log scale)", y).log_x();
        for run in &runs {
            c = c
                .with_series(Series::line(short_name(run), probe_points(run, 0, f)).of(&run.start));
        }
        c
    };
    let grid = LineGrid::new(
        Figure::new(
            "hidden layer 1 during training",
            "Two line charts against SGD steps on a log axis: the numerical rank of the first \
             hidden layer's weight matrix, and the mean cosine similarity between its units, for random init, \
             constant init, constant init with dropout, and constant init with random biases.",
        )
        .with_size(1100, 470),
        vec![
            panel("numerical rank of W₁", "rank", |l| l.rank.map_or(f64::NAN, |r| r as f64)),
            panel("mean cosine similarity between units", "cosine", |l| l.mean_cosine),
        ],
        2,
    );
    grid.save(&dir.join("symmetry_during_training.svg"))
}

fn eps_sweep_svg(r: &Report, dir: &Path) -> Result<()> {
    let groups: Vec<&[Run]> = r.perturbed.chunks(r.eps_seeds).collect();
    let eps32: Vec<f32> = groups
        .iter()
        .map(|runs| match runs[0].start {
            Start::Perturbed { eps, .. } => eps,
            _ => f32::NAN,
        })
        .collect();
    let eps: Vec<f64> = eps32.iter().map(|&e| f64::from(e)).collect();
    let (lo, hi) = (eps[0], eps[eps.len() - 1]);
    let rand_acc = mean(&accuracies(&r.random));
    let const_acc = mean(&accuracies(&r.constant_runs));
    let seeds: Vec<(f64, f64)> = eps
        .iter()
        .zip(&groups)
        .flat_map(|(&e, runs)| runs.iter().map(move |run| (e, run.test_accuracy)))
        .collect();
    let means = eps
        .iter()
        .zip(&groups)
        .map(|(&e, runs)| (e, mean(&accuracies(runs))));
    let acc = LineChart::new(
        Figure::new(format!("test accuracy ({} seeds each)", r.eps_seeds), ""),
        "ε (log scale)",
        "test accuracy",
    )
    .log_x()
    .with_series(Series::line("mean over seeds", means).with_markers())
    .with_series(Series::points("one seed", seeds).color(GREY))
    .with_series(
        Series::line("random (He normal)", [(lo, rand_acc), (hi, rand_acc)])
            .dashed()
            .of(&Start::Random),
    )
    .with_series(
        Series::line("constant", [(lo, const_acc), (hi, const_acc)])
            .dashed()
            .of(&Start::Constant(Constant::InverseFanIn)),
    )
    .with_y_range(0.0, 1.0);
    let mut asym = LineChart::new(
        Figure::new("asymmetry of hidden layer 1 (first seed)", ""),
        "SGD step (log scale)",
        "‖W − W̄‖ / ‖W̄‖ (log scale)",
    )
    .log_x()
    .log_y();
    for (e, runs) in eps32.iter().zip(&groups) {
        asym = asym.with_series(Series::line(
            format!("ε = {e:e}"),
            probe_points(&runs[0], 0, |l| l.asymmetry),
        ));
    }
    let grid = LineGrid::new(
        Figure::new(
            "a tiny random perturbation of the constant init",
            "Left: test accuracy against the perturbation size ε on a log axis, the mean and each \
             seed, with the random and constant nets as dashed reference lines. Right: the \
             relative asymmetry of the first hidden layer against SGD steps, one line per ε, on \
             log-log axes.",
        )
        .with_size(1100, 470),
        vec![acc, asym],
        2,
    );
    grid.save(&dir.join("eps_sweep.svg"))
}
