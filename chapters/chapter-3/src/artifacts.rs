//! Figures and tables of chapter 3, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{
    Bar, BarChart, BookColor, Chart, Figure, LineChart, LineGrid, RGBColor, Series, palette,
};
use book_pipeline::report::{Table, fmt_mean_std, write_atomic};

use lab::stats::{mean, std};

use crate::imbalance::{EARLY_STEPS, Head, OverSeeds, SMOOTHING};
use crate::sweep::{BiasInit, against_zero};
use crate::{Report, cell, dead_inits, summary, sweep_summaries};

use book_pipeline::plot::palette::GREY;

/// The chapter's colour of a bias init (see its [`BookColor`]); every init drawn has one.
fn color_of(b: BiasInit) -> RGBColor {
    b.book_color().unwrap_or(palette::GREY)
}

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    accuracy_svg(r, dir)?;
    epoch1_loss_svg(r, dir)?;
    learning_curves_svg(r, dir)?;
    sweep_tables(r, dir)?;
    dead_units_svg(r, dir)?;
    dead_units_table(r, dir)?;
    imbalance_svg(r, dir)?;
    imbalance_table(r, dir)?;
    long_tail_svg(r, dir)?;
    long_tail_table(r, dir)
}

/// A y range that shows every bar's error bar with some room, instead of starting at 0; `None`
/// (the chart's own range) when no bar has a finite value, as after a divergence.
fn zoomed(bars: &[Bar]) -> Option<(f64, f64)> {
    let lo = bars
        .iter()
        .map(|b| b.value - b.error.unwrap_or(0.0))
        .fold(f64::INFINITY, f64::min);
    let hi = bars
        .iter()
        .map(|b| b.value + b.error.unwrap_or(0.0))
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = 0.5 * (hi - lo).max(1e-6);
    (lo.is_finite() && hi.is_finite()).then_some((lo - pad, hi + pad))
}

fn accuracy_svg(r: &Report, dir: &Path) -> Result<()> {
    let s = sweep_summaries(r);
    let seeds = r.seeds;
    let acc: Vec<Bar> = s
        .iter()
        .map(|s| {
            let mut b = Bar::new(s.bias.label(), 100.0 * s.accuracy_mean)
                .with_error(100.0 * s.accuracy_std);
            b.color = Some(color_of(s.bias));
            b
        })
        .collect();
    let mut chart = BarChart::new(
        Figure::new(
            format!(
                "Test accuracy after {} epochs, mean ± std over {seeds} seeds",
                r.epochs
            ),
            "Bar chart of the final test accuracy of a 3×100 ReLU net on Fashion-MNIST for five \
             bias initialisations, with error bars of one standard deviation over seeds; the \
             error bars overlap.",
        ),
        "test accuracy (%), zoomed",
        acc,
    );
    chart.y_range = zoomed(&chart.bars);
    chart.save(&dir.join("accuracy.svg"))
}

fn epoch1_loss_svg(r: &Report, dir: &Path) -> Result<()> {
    let s = sweep_summaries(r);
    let seeds = r.seeds;
    let loss: Vec<Bar> = s
        .iter()
        .map(|s| {
            let mut b = Bar::new(s.bias.label(), s.epoch1_loss_mean).with_error(s.epoch1_loss_std);
            b.color = Some(color_of(s.bias));
            b
        })
        .collect();
    let mut chart = BarChart::new(
        Figure::new(
            format!("Mean training loss of epoch 1, mean ± std over {seeds} seeds"),
            "Bar chart of the mean training loss over the first epoch for five bias \
             initialisations, with error bars of one standard deviation over seeds.",
        ),
        "cross-entropy (nats), zoomed",
        loss,
    );
    chart.y_range = zoomed(&chart.bars);
    chart.save(&dir.join("epoch1_loss.svg"))
}

fn curve(values: &[f64], scale: f64) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .skip(1)
        .map(|(e, &v)| (e as f64, scale * v))
        .collect()
}

fn learning_curves_svg(r: &Report, dir: &Path) -> Result<()> {
    let s = sweep_summaries(r);
    let mut loss = LineChart::new(
        Figure::new("training loss (mean of each epoch)", ""),
        "epoch",
        "cross-entropy (nats)",
    );
    let mut acc = LineChart::new(Figure::new("test accuracy", ""), "epoch", "accuracy (%)");
    for s in &s {
        let c = color_of(s.bias);
        loss =
            loss.with_series(Series::line(s.bias.label(), curve(&s.loss_curve_mean, 1.0)).color(c));
        acc = acc.with_series(Series::line(s.bias.label(), curve(&s.curve_mean, 100.0)).color(c));
    }
    LineGrid::new(
        Figure::new(
            format!(
                "Learning curves of the 3×100 ReLU net, mean over {} seeds",
                r.seeds
            ),
            "Two line charts against the epoch, the training loss and the test accuracy, one \
             line per bias initialisation; the five lines lie on top of each other.",
        )
        .with_size(1100, 520),
        vec![loss, acc],
        2,
    )
    .save(&dir.join("learning_curves.svg"))
}

fn sweep_tables(r: &Report, dir: &Path) -> Result<()> {
    let s = sweep_summaries(r);
    let pp = |x: f64| format!("{:.2}", 100.0 * x);
    let mut t = Table::new([
        "bias init",
        "test accuracy (%)",
        "accuracy gain over b = 0, paired (pp)",
        "epoch-1 training loss",
        "epoch-1 loss change over b = 0, paired",
        "final test loss",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5]);
    for x in &s {
        let baseline = x.bias == s[0].bias;
        let paired = |text: String| if baseline { "—".to_string() } else { text };
        let gain = paired(
            format!(
                "{:+.2} ± {}",
                100.0 * x.paired_gain_mean,
                pp(x.paired_gain_std)
            )
            .replace('-', "−"),
        );
        let loss1 = paired(
            format!("{:+.4} ± {:.4}", x.paired_loss1_mean, x.paired_loss1_std).replace('-', "−"),
        );
        t.row([
            x.bias.label(),
            fmt_mean_std(100.0 * x.accuracy_mean, 100.0 * x.accuracy_std, 2),
            gain,
            fmt_mean_std(x.epoch1_loss_mean, x.epoch1_loss_std, 4),
            loss1,
            format!("{:.4}", x.final_test_loss_mean),
        ]);
    }
    write_atomic(&dir.join("sweep.md"), t.to_markdown().as_bytes())?;

    let margin = crate::SAME_AS_ZERO.full;
    let tests = against_zero(s[0], &s[1..], margin);
    let mut t = Table::new([
        "bias init",
        "− (b = 0), mean over seeds (pp)",
        "90% CI (pp)",
        "margin (pp)",
        "equivalent?",
    ])
    .numeric_columns(&[1, 2, 3]);
    for (x, e) in s[1..].iter().zip(&tests) {
        t.row([
            x.bias.label(),
            format!("{:+.2}", e.mean).replace('-', "−"),
            e.ci90.fmt_signed(2).replace('-', "−"),
            format!("±{margin}"),
            if e.equivalent { "yes" } else { "no" }.to_string(),
        ]);
    }
    write_atomic(&dir.join("equivalence.md"), t.to_markdown().as_bytes())
}

fn dead_units_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut chart = LineChart::new(
        Figure::new(
            format!(
                "Dead ReLU units (of {}) on {} training images, mean over {} seeds",
                r.hidden_units, r.probe_samples, r.seeds
            ),
            "Line chart of the number of dead hidden units against the epoch, from \
             initialisation, for biases 0, +0.01 and −1: the −1 line starts and stays far above \
             the other two.",
        ),
        "epoch (0 = at initialisation)",
        "dead units",
    );
    for b in dead_inits() {
        let s = summary(r, b);
        let pts = s.dead_mean.iter().enumerate().map(|(e, &d)| (e as f64, d));
        chart = chart.with_series(
            Series::line(s.bias.label(), pts)
                .with_markers()
                .color(color_of(s.bias)),
        );
    }
    chart.save(&dir.join("dead_units.svg"))
}

fn dead_units_table(r: &Report, dir: &Path) -> Result<()> {
    let layers = r.dead[0].at_init.len();
    let mut head = vec!["bias init".to_string()];
    head.extend((1..=layers).map(|l| format!("layer {l}, at init")));
    head.extend((1..=layers).map(|l| format!("layer {l}, trained")));
    let mut t = Table::new(head).numeric_columns(&(1..=2 * layers).collect::<Vec<_>>());
    for d in &r.dead {
        let mut row = vec![d.bias.label()];
        row.extend(
            d.at_init
                .iter()
                .chain(&d.trained)
                .map(|x| format!("{x:.1}")),
        );
        t.row(row);
    }
    write_atomic(&dir.join("dead.md"), t.to_markdown().as_bytes())
}

/// The untrained loss at epoch 0, then each smoothing window's mean at its middle step, in
/// epochs.
fn loss_curve(runs: &OverSeeds, steps_per_epoch: usize) -> Vec<(f64, f64)> {
    let windows = runs.curve.iter().enumerate().map(|(i, &l)| {
        let middle = (i * SMOOTHING) as f64 + 0.5 * SMOOTHING as f64;
        (middle / steps_per_epoch as f64, l)
    });
    std::iter::once((0.0, runs.initial_loss))
        .chain(windows)
        .collect()
}

/// "mean ± std" over the seeds of a per-seed column, to 4 decimals.
fn over_seeds(xs: &[f64]) -> String {
    fmt_mean_std(mean(xs), std(xs), 4)
}

/// The loss of each of the first steps, mean over seeds (the untrained loss at step 0).
fn early_curve(runs: &OverSeeds) -> Vec<(f64, f64)> {
    std::iter::once((0.0, runs.initial_loss))
        .chain(
            runs.early_curve
                .iter()
                .enumerate()
                .map(|(i, &l)| ((i + 1) as f64, l)),
        )
        .collect()
}

/// A log-scale loss chart with one line per head and grey reference lines at `refs` (the
/// first solid, the others dashed), over `x` in `[0, end]`.
fn loss_chart(
    title: String,
    x: &str,
    lines: Vec<Series>,
    refs: &[(&str, f64)],
    end: f64,
) -> LineChart {
    let mut chart =
        LineChart::new(Figure::new(title, ""), x, "training loss (nats, log scale)").log_y();
    for line in lines {
        chart = chart.with_series(line);
    }
    for (i, &(name, y)) in refs.iter().enumerate() {
        let line = Series::line(name, [(0.0, y), (end, y)]).color(GREY);
        chart = chart.with_series(if i == 0 { line } else { line.dashed() });
    }
    chart
}

fn imbalance_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut ratios: Vec<usize> = r.imbalance.iter().map(|c| c.ratio).collect();
    ratios.dedup();
    let head_line = |head: Head, pts: Vec<(f64, f64)>| {
        // The log-odds start in the colour of the chapter's other biased start.
        let color = if head.log_odds {
            palette::VERMILLION
        } else {
            color_of(BiasInit::Zero)
        };
        let line = Series::line(head.label(), pts).color(color);
        if head.zero_weights {
            line
        } else {
            line.dashed()
        }
    };
    let mut panels = Vec::new();
    for early in [true, false] {
        for &ratio in &ratios {
            let entropy = cell(r, ratio, Head::ALL[0]).prior_entropy;
            let refs = [("ln 2", 2f64.ln()), ("H(p), prior entropy", entropy)];
            let mut lines = Vec::new();
            let mut end = 0.0;
            for head in Head::ALL {
                let c = cell(r, ratio, head);
                let pts = if early {
                    early_curve(&c.runs)
                } else {
                    loss_curve(&c.runs, c.steps_per_epoch)
                };
                end = pts.last().map_or(1.0, |p| p.0);
                lines.push(head_line(head, pts));
            }
            panels.push(if early {
                let title = format!("1:{ratio}, steps 1–{EARLY_STEPS}");
                loss_chart(title, "step", lines, &refs, end)
            } else {
                let title = format!("1:{ratio}, whole run ({SMOOTHING}-step means)");
                loss_chart(title, "epoch", lines, &refs, end)
            });
        }
    }
    LineGrid::new(
        Figure::new(
            format!(
                "{} against the rest: training loss, mean over {} seeds",
                r.positive_class, r.seeds
            ),
            "Four log-scale line charts of the training loss, for a 1:10 and a 1:100 imbalanced \
             binary task: above, each of the first steps; below, the whole run smoothed; four \
             starts of the output layer each: weights zero or He-normal, bias 0 or the log prior \
             odds; grey lines mark ln 2 and the prior's entropy.",
        )
        .with_size(1100, 900),
        panels,
        2,
    )
    .save(&dir.join("imbalance.svg"))
}

fn imbalance_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "task".to_string(),
        "output layer".into(),
        "prior p".into(),
        "H(p)".into(),
        "loss at init".into(),
        format!("first {EARLY_STEPS} steps"),
        "epoch 1".into(),
        "final test loss".into(),
    ])
    .numeric_columns(&[2, 3, 4, 5, 6, 7]);
    for c in &r.imbalance {
        t.row([
            format!("1:{} ({} images)", c.ratio, c.train_samples),
            c.head.label(),
            format!("{:.4}", c.prior),
            format!("{:.4}", c.prior_entropy),
            format!("{:.4}", c.runs.initial_loss),
            over_seeds(&c.runs.early_loss),
            over_seeds(&c.runs.epoch1_loss),
            over_seeds(&c.runs.final_test_loss),
        ]);
    }
    write_atomic(&dir.join("imbalance.md"), t.to_markdown().as_bytes())
}

fn long_tail_svg(r: &Report, dir: &Path) -> Result<()> {
    let refs = [
        ("ln 10", 10f64.ln()),
        ("H(p), prior entropy", r.long_tail[0].prior_entropy),
    ];
    let panel = |early: bool| {
        let mut end = 0.0;
        let lines = r
            .long_tail
            .iter()
            .map(|c| {
                let pts = if early {
                    early_curve(&c.runs)
                } else {
                    loss_curve(&c.runs, c.steps_per_epoch)
                };
                end = pts.last().map_or(1.0, |p| p.0);
                if c.log_prior {
                    Series::line("b = log priors", pts).color(palette::VERMILLION)
                } else {
                    Series::line("b = 0", pts).color(color_of(BiasInit::Zero))
                }
            })
            .collect();
        if early {
            let title = format!("steps 1–{EARLY_STEPS}");
            loss_chart(title, "step", lines, &refs, end)
        } else {
            let title = format!("whole run ({SMOOTHING}-step means)");
            loss_chart(title, "epoch", lines, &refs, end)
        }
    };
    LineGrid::new(
        Figure::new(
            format!(
                "Ten classes, long-tailed: training loss, mean over {} seeds",
                r.seeds
            ),
            "Two log-scale line charts of the training loss on a long-tailed ten-class subset, \
             each of the first steps and the whole run smoothed, for softmax output biases 0 and \
             the log class priors; grey lines mark ln 10 and the entropy of the class \
             distribution.",
        )
        .with_size(1100, 470),
        vec![panel(true), panel(false)],
        2,
    )
    .save(&dir.join("long_tail.svg"))
}

fn long_tail_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "output biases".to_string(),
        "images per class".into(),
        "H(p)".into(),
        "loss at init".into(),
        format!("first {EARLY_STEPS} steps"),
        "epoch 1".into(),
        "final test loss".into(),
    ])
    .numeric_columns(&[2, 3, 4, 5, 6]);
    for c in &r.long_tail {
        t.row([
            if c.log_prior { "log priors" } else { "0" }.to_string(),
            c.class_counts
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            format!("{:.4}", c.prior_entropy),
            format!("{:.4}", c.runs.initial_loss),
            over_seeds(&c.runs.early_loss),
            over_seeds(&c.runs.epoch1_loss),
            over_seeds(&c.runs.final_test_loss),
        ]);
    }
    write_atomic(&dir.join("long_tail.md"), t.to_markdown().as_bytes())
}
