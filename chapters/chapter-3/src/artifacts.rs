//! Figures and tables of chapter 3, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{
    Bar, BarChart, BookColor, Chart, Figure, LineChart, LineGrid, RGBColor, Series, palette,
};
use book_pipeline::report::{Table, fmt_mean_std, write_atomic};

use crate::imbalance::{Head, SMOOTHING};
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
    imbalance_table(r, dir)
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

fn imbalance_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut ratios: Vec<usize> = r.imbalance.iter().map(|c| c.ratio).collect();
    ratios.dedup();
    let ln2 = 2f64.ln();
    let panels = ratios
        .iter()
        .map(|&ratio| {
            let mut chart = LineChart::new(
                Figure::new(format!("1 positive : {ratio} negatives"), ""),
                "epoch",
                "training loss (nats, log scale)",
            )
            .log_y();
            let mut end = 0.0;
            let mut entropy = 0.0;
            for head in Head::ALL {
                let c = cell(r, ratio, head);
                let per_epoch = c.steps_per_epoch as f64;
                // The untrained loss at 0, then each window at its middle step.
                let windows = c.curve.iter().enumerate().map(|(i, &l)| {
                    let middle = (i * SMOOTHING) as f64 + 0.5 * SMOOTHING as f64;
                    (middle / per_epoch, l)
                });
                let pts: Vec<(f64, f64)> = std::iter::once((0.0, c.initial_loss))
                    .chain(windows)
                    .collect();
                end = pts.last().map_or(1.0, |p| p.0);
                entropy = c.prior_entropy;
                // The log-odds start in the colour of the chapter's other biased start.
                let color = if head.log_odds {
                    palette::VERMILLION
                } else {
                    color_of(BiasInit::Zero)
                };
                let line = Series::line(c.head.label(), pts).color(color);
                chart = chart.with_series(if head.zero_weights {
                    line
                } else {
                    line.dashed()
                });
            }
            chart
                .with_series(Series::line("ln 2", [(0.0, ln2), (end, ln2)]).color(GREY))
                .with_series(
                    Series::line("H(p), prior entropy", [(0.0, entropy), (end, entropy)])
                        .dashed()
                        .color(GREY),
                )
        })
        .collect();
    LineGrid::new(
        Figure::new(
            format!(
                "{} against the rest: training loss, mean over {} seeds (windows of {SMOOTHING} steps)",
                r.positive_class, r.seeds
            ),
            "Two log-scale line charts of the smoothed training loss against the epoch, for a \
             1:10 and a 1:100 imbalanced binary task, for four starts of the output layer: \
             weights zero or He-normal, bias 0 or the log prior odds; grey lines mark ln 2 and \
             the prior's entropy.",
        )
        .with_size(1100, 520),
        panels,
        2,
    )
    .save(&dir.join("imbalance.svg"))
}

fn imbalance_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "task",
        "output layer",
        "prior p",
        "H(p)",
        "loss at init",
        "epoch-1 training loss",
        "final test loss",
    ])
    .numeric_columns(&[2, 3, 4, 5, 6]);
    for c in &r.imbalance {
        t.row([
            format!("1:{} ({} images)", c.ratio, c.train_samples),
            c.head.label(),
            format!("{:.4}", c.prior),
            format!("{:.4}", c.prior_entropy),
            format!("{:.4}", c.initial_loss),
            fmt_mean_std(c.epoch1_loss_mean, c.epoch1_loss_std, 4),
            fmt_mean_std(c.final_test_loss_mean, c.final_test_loss_std, 4),
        ]);
    }
    write_atomic(&dir.join("imbalance.md"), t.to_markdown().as_bytes())
}
