//! Figures and tables of chapter 7, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::palette::{BLUE, BLUISH_GREEN, GREY, ORANGE, VERMILLION};
use book_pipeline::plot::{
    Bar, BarChart, BookColor, Chart, Figure, Histogram, HistogramGrid, LineChart, LineGrid,
    RGBColor, Series, palette,
};
use book_pipeline::report::{Table, fmt_mean_std, fmt_sig, write_atomic};
use lab::metrics::CalibrationBin;

use crate::mc::{Quality, STD_BINS, STD_MAX};
use crate::shift::ShiftEval;
use crate::training::Target;
use crate::{Report, accuracy_ratios, epoch_ratio, loss_ratios, one_pass_seconds};
use lab::stats::{mean, median, std};

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    epoch_cost_svg(r, dir)?;
    epoch_cost_table(r, dir)?;
    learning_curves_svg(r, dir)?;
    convergence_table(r, dir)?;
    targets_table(r, dir)?;
    mc_quality_svg(r, dir)?;
    mc_quality_table(r, dir)?;
    reliability_svg(r, dir)?;
    uncertainty_svg(r, dir)?;
    mc_cost_svg(r, dir)?;
    mc_cost_table(r, dir)?;
    shift_svg(r, dir)?;
    shift_table(r, dir)
}

fn name(p: f32) -> String {
    format!("p = {p}")
}

/// A dropout rate, drawn in its colour in every figure of the book.
struct Rate(f32);

impl BookColor for Rate {
    fn book_color(&self) -> Option<RGBColor> {
        match self.0 {
            0.0 => Some(palette::BLACK),
            0.2 => Some(palette::SKY_BLUE),
            0.5 => Some(palette::VERMILLION),
            _ => None,
        }
    }
}

fn ms(s: f64) -> String {
    fmt_sig(1e3 * s, 3)
}

/// Experiments 1 and 3: the bar chart of epoch times and the timing table.
fn epoch_cost_svg(r: &Report, dir: &Path) -> Result<()> {
    let e = &r.timings.epoch;
    let mut bars: Vec<Bar> = e
        .dropout
        .iter()
        .zip(&e.epoch_seconds)
        .map(|(&p, &s)| Bar::new(name(p), s).of(&Rate(p)))
        .collect();
    bars.push(Bar::new("drawing the masks alone", e.mask_seconds));
    BarChart::new(
        Figure::new(
            "Wall time of one training epoch (median)",
            "A bar chart of the median wall time of one training epoch of the same MLP with \
             dropout rates 0, 0.2 and 0.5, and of drawing one epoch's dropout masks alone.",
        ),
        "seconds per epoch",
        bars,
    )
    .save(&dir.join("epoch_cost.svg"))
}

fn epoch_cost_table(r: &Report, dir: &Path) -> Result<()> {
    let e = &r.timings.epoch;

    let mut t =
        Table::new(["what is timed", "median time", "relative to p = 0"]).numeric_columns(&[1, 2]);
    for (&p, &s) in e.dropout.iter().zip(&e.epoch_seconds) {
        t.row([
            format!("training epoch, p = {p}"),
            format!("{} ms", ms(s)),
            format!("{:.3}×", epoch_ratio(r, p)),
        ]);
    }
    t.row([
        format!(
            "drawing every mask of one epoch (p = {})",
            r.dropout.last().unwrap()
        ),
        format!("{} ms", ms(e.mask_seconds)),
        format!("{:.3}×", e.mask_seconds / e.epoch_seconds[0]),
    ]);
    let inf = &r.timings.inference;
    t.row([
        format!("evaluation-mode prediction, plain net ({} rows)", inf.rows),
        format!("{} ms", ms(inf.plain_seconds)),
        "1×".to_string(),
    ]);
    t.row([
        format!(
            "evaluation-mode prediction, p = {} net ({} rows)",
            r.mc_dropout, inf.rows
        ),
        format!("{} ms", ms(inf.dropout_seconds)),
        format!("{:.3}×", inf.dropout_seconds / inf.plain_seconds),
    ]);
    write_atomic(&dir.join("timing.md"), t.to_markdown().as_bytes())
}

/// Mean over seeds of one per-epoch quantity for rate `p`.
fn mean_curve(r: &Report, p: f32, f: impl Fn(&lab::train::EpochRecord) -> f64) -> Vec<(f64, f64)> {
    let runs: Vec<_> = r.runs.iter().filter(|x| x.dropout == p).collect();
    (0..runs[0].history.epochs.len())
        .skip(1)
        .map(|e| {
            let v: Vec<f64> = runs.iter().map(|x| f(&x.history.epochs[e])).collect();
            (e as f64, mean(&v))
        })
        .collect()
}

fn learning_curves_svg(r: &Report, dir: &Path) -> Result<()> {
    let seeds = r.runs.len() / r.dropout.len();
    let loss = {
        let mut c = LineChart::new(
            Figure::new("loss: training (dashed) and validation (solid)", ""),
            "epoch",
            "cross-entropy (log scale)",
        )
        .log_y();
        for &p in &r.dropout {
            c = c.with_series(Series::line(name(p), mean_curve(r, p, |e| e.val_loss)).of(&Rate(p)));
        }
        for &p in &r.dropout {
            c = c.with_series(
                Series::line("", mean_curve(r, p, |e| e.train_loss))
                    .dashed()
                    .color(Rate(p).book_color().unwrap_or(GREY)),
            );
        }
        c
    };
    let acc = {
        let mut c = LineChart::new(Figure::new("validation accuracy", ""), "epoch", "accuracy");
        for &p in &r.dropout {
            c = c.with_series(
                Series::line(name(p), mean_curve(r, p, |e| e.val_accuracy)).of(&Rate(p)),
            );
        }
        c
    };
    LineGrid::new(
        Figure::new(
            format!("Learning curves of the 784-256-256-10 net, mean of {seeds} seeds"),
            "Two line charts against epochs: training and validation cross-entropy on a log \
             scale, and validation accuracy, for dropout rates 0, 0.2 and 0.5.",
        )
        .with_size(1100, 450),
        vec![loss, acc],
        2,
    )
    .save(&dir.join("learning_curves.svg"))
}

fn fmt_epochs(xs: &[Option<usize>]) -> String {
    xs.iter()
        .map(|x| x.map_or("—".to_string(), |e| e.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_ratio_stats(xs: &[Option<f64>]) -> String {
    let reached: Vec<f64> = xs.iter().flatten().copied().collect();
    if reached.is_empty() {
        return "not reached".into();
    }
    let (m, s) = (mean(&reached), std(&reached));
    let missing = xs.len() - reached.len();
    if missing == 0 {
        format!("{m:.2} ± {s:.2}")
    } else {
        format!("{m:.2} ± {s:.2} ({missing} not reached)")
    }
}

/// Experiment 2's grid: for each target, the plain net's epochs and each rate's ratio to them.
fn targets_table(r: &Report, dir: &Path) -> Result<()> {
    let rates: Vec<f32> = r.dropout[1..].to_vec();
    let mut header = vec![
        "target".to_string(),
        "p = 0: epochs (median, range)".to_string(),
    ];
    for &p in &rates {
        header.push(format!("p = {p}: ÷ p = 0 (median, range)"));
        header.push(format!("p = {p}: reached"));
    }
    let mut t = Table::new(header).numeric_columns(&(1..=2 * rates.len() + 1).collect::<Vec<_>>());
    let mut targets: Vec<Target> = Vec::new();
    for g in &r.grid {
        if !targets.contains(&g.target) {
            targets.push(g.target);
        }
    }
    let spread = |xs: &[f64], digits: usize| {
        if xs.is_empty() {
            return "—".to_string();
        }
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{:.digits$} ({lo:.digits$}–{hi:.digits$})", median(xs))
    };
    for target in targets {
        let of = |p: f32| -> Vec<&crate::training::TargetReach> {
            r.grid
                .iter()
                .filter(|g| g.target == target && g.dropout == p)
                .collect()
        };
        let plain: Vec<f64> = of(rates[0])
            .iter()
            .filter_map(|g| g.plain_epoch.map(|e| e as f64))
            .collect();
        let mut row = vec![target.label(), spread(&plain, 0)];
        for &p in &rates {
            let runs = of(p);
            let ratios: Vec<f64> = runs.iter().filter_map(|g| g.ratio(r.epochs)).collect();
            let reached = runs.iter().filter(|g| g.epoch.is_some()).count();
            row.push(spread(&ratios, 2));
            row.push(format!("{reached}/{}", runs.len()));
        }
        t.row(row);
    }
    write_atomic(&dir.join("targets.md"), t.to_markdown().as_bytes())
}

/// Experiment 2's table: epochs (and wall time) to the plain net's targets, and test quality.
fn convergence_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "p",
        "epochs to p = 0's best val. loss, per seed",
        "÷ p = 0",
        "wall time ÷ p = 0",
        "epochs to p = 0's best val. acc., per seed",
        "÷ p = 0",
        "best val. loss",
        "test acc. (%)",
        "test NLL",
    ])
    .numeric_columns(&[2, 3, 5, 6, 7, 8]);
    for &p in &r.dropout {
        let runs: Vec<_> = r.runs.iter().filter(|x| x.dropout == p).collect();
        let best: Vec<f64> = runs
            .iter()
            .map(|x| {
                x.history.epochs[1..]
                    .iter()
                    .map(|e| e.val_loss)
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let acc: Vec<f64> = runs.iter().map(|x| 100.0 * x.test_accuracy).collect();
        let nll: Vec<f64> = runs.iter().map(|x| x.test_nll).collect();
        let (bm, bs) = (mean(&best), std(&best));
        let (am, asd) = (mean(&acc), std(&acc));
        let (nm, ns) = (mean(&nll), std(&nll));
        let (loss_e, acc_e, lr, ar): (Vec<Option<usize>>, Vec<Option<usize>>, String, String) =
            if p == 0.0 {
                let reach: Vec<_> = r
                    .reach
                    .iter()
                    .filter(|x| x.dropout == r.dropout[1])
                    .collect();
                (
                    reach.iter().map(|x| Some(x.targets.loss_epoch)).collect(),
                    reach
                        .iter()
                        .map(|x| Some(x.targets.accuracy_epoch))
                        .collect(),
                    "1".into(),
                    "1".into(),
                )
            } else {
                let reach: Vec<_> = r.reach.iter().filter(|x| x.dropout == p).collect();
                (
                    reach.iter().map(|x| x.loss_epoch).collect(),
                    reach.iter().map(|x| x.accuracy_epoch).collect(),
                    fmt_ratio_stats(&loss_ratios(r, p)),
                    fmt_ratio_stats(&accuracy_ratios(r, p)),
                )
            };
        let wall = if p == 0.0 {
            "1".to_string()
        } else {
            let ratios: Vec<Option<f64>> = loss_ratios(r, p)
                .iter()
                .map(|x| x.map(|v| v * epoch_ratio(r, p)))
                .collect();
            fmt_ratio_stats(&ratios)
        };
        t.row([
            p.to_string(),
            fmt_epochs(&loss_e),
            lr,
            wall,
            fmt_epochs(&acc_e),
            ar,
            fmt_mean_std(bm, bs, 4),
            fmt_mean_std(am, asd, 2),
            fmt_mean_std(nm, ns, 4),
        ]);
    }
    write_atomic(&dir.join("convergence.md"), t.to_markdown().as_bytes())
}

/// (T, mean, std) over seeds at each T.
type PerT = Vec<(usize, f64, f64)>;

/// Mean ± std over seeds of a quality field at each T, and of weight scaling.
fn mc_stats(r: &Report, f: impl Fn(&crate::mc::Quality) -> f64) -> (PerT, (f64, f64)) {
    let ts: Vec<usize> = r.mc[0].mc.iter().map(|q| q.passes).collect();
    let per_t = ts
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let v: Vec<f64> = r.mc.iter().map(|e| f(&e.mc[i])).collect();
            let (m, s) = (mean(&v), std(&v));
            (t, m, s)
        })
        .collect();
    let ws: Vec<f64> = r.mc.iter().map(|e| f(&e.weight_scaled)).collect();
    (per_t, (mean(&ws), std(&ws)))
}

fn mc_quality_svg(r: &Report, dir: &Path) -> Result<()> {
    let panel = |title: &str, y: &str, f: &dyn Fn(&crate::mc::Quality) -> f64| {
        let (per_t, (ws, _)) = mc_stats(r, f);
        let t_max = per_t.last().unwrap().0 as f64;
        LineChart::new(Figure::new(title, ""), "passes T (log scale)", y)
            .log_x()
            .with_series(
                Series::line("MC Dropout", per_t.iter().map(|&(t, m, _)| (t as f64, m)))
                    .with_markers()
                    .color(VERMILLION),
            )
            .with_series(
                Series::line("weight scaling", [(1.0, ws), (t_max, ws)])
                    .dashed()
                    .color(BLUE),
            )
            .with_series({
                let xs: Vec<f64> = r.mc.iter().map(|e| f(&e.temperature_scaled)).collect();
                let m = mean(&xs);
                Series::line("temperature-scaled", [(1.0, m), (t_max, m)])
                    .dashed()
                    .color(GREY)
            })
    };
    let seeds = r.mc.len();
    LineGrid::new(
        Figure::new(
            format!(
                "MC Dropout against weight scaling on the test set (p = {} nets, mean of {seeds} seeds)",
                r.mc_dropout
            ),
            "Three line charts against the number of MC passes T on a log scale: test NLL, \
             expected calibration error and accuracy of the MC average, with the deterministic \
             weight-scaled prediction, plain and temperature-scaled, as dashed horizontal lines.",
        )
        .with_size(1100, 420),
        vec![
            panel("NLL", "mean negative log-likelihood", &|q| q.nll),
            panel("ECE (15 bins)", "expected calibration error", &|q| q.ece),
            panel("accuracy", "accuracy", &|q| q.accuracy),
        ],
        3,
    )
    .save(&dir.join("mc_quality.svg"))
}

fn mc_quality_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "prediction",
        "accuracy (%)",
        "NLL",
        "ECE",
        "AUROC of std (flags errors)",
        "AUROC of entropy",
        "AUROC of mutual information",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5, 6]);
    let (acc, _) = mc_stats(r, |q| 100.0 * q.accuracy);
    let (nll, _) = mc_stats(r, |q| q.nll);
    let (ece, _) = mc_stats(r, |q| q.ece);
    let (au, _) = mc_stats(r, |q| q.auroc_std);
    let (ae, _) = mc_stats(r, |q| q.auroc_entropy);
    let (ami, _) = mc_stats(r, |q| q.auroc_mi);
    // The two single-pass rows: mean ± std over seeds of one prediction per net.
    let single = |label: String, pick: fn(&crate::mc::McEval) -> &crate::mc::Quality| {
        let stat = |f: fn(&crate::mc::Quality) -> f64, decimals| {
            let xs: Vec<f64> = r.mc.iter().map(|e| f(pick(e))).collect();
            fmt_mean_std(mean(&xs), std(&xs), decimals)
        };
        [
            label,
            stat(|q| 100.0 * q.accuracy, 2),
            stat(|q| q.nll, 4),
            stat(|q| q.ece, 4),
            "—".into(),
            stat(|q| q.auroc_entropy, 3),
            "—".into(),
        ]
    };
    t.row(single("weight scaling (dropout off)".into(), |e| {
        &e.weight_scaled
    }));
    let taus: Vec<f64> = r.mc.iter().map(|e| e.temperature).collect();
    t.row(single(
        format!(
            "weight scaling, temperature-scaled (τ = {})",
            fmt_mean_std(mean(&taus), std(&taus), 2)
        ),
        |e| &e.temperature_scaled,
    ));
    let or_dash = |x: (usize, f64, f64)| {
        if x.1.is_nan() {
            "—".to_string()
        } else {
            fmt_mean_std(x.1, x.2, 3)
        }
    };
    for i in 0..acc.len() {
        let auroc = or_dash(au[i]);
        t.row([
            format!("MC Dropout, T = {}", acc[i].0),
            fmt_mean_std(acc[i].1, acc[i].2, 2),
            fmt_mean_std(nll[i].1, nll[i].2, 4),
            fmt_mean_std(ece[i].1, ece[i].2, 4),
            auroc,
            fmt_mean_std(ae[i].1, ae[i].2, 3),
            or_dash(ami[i]),
        ]);
    }
    write_atomic(&dir.join("mc.md"), t.to_markdown().as_bytes())
}

/// Pool the bins of every seed: counts add, confidences and accuracies average by count.
fn pool(bins: &[&Vec<CalibrationBin>]) -> Vec<(f64, f64, usize)> {
    (0..bins[0].len())
        .map(|b| {
            let n: usize = bins.iter().map(|s| s[b].count).sum();
            let w = |f: fn(&CalibrationBin) -> f64| {
                bins.iter()
                    .map(|s| f(&s[b]) * s[b].count as f64)
                    .sum::<f64>()
                    / n.max(1) as f64
            };
            (w(|c| c.confidence), w(|c| c.accuracy), n)
        })
        .collect()
}

fn reliability_svg(r: &Report, dir: &Path) -> Result<()> {
    let ws = pool(
        &r.mc
            .iter()
            .map(|e| &e.reliability_weight_scaled)
            .collect::<Vec<_>>(),
    );
    let mc = pool(&r.mc.iter().map(|e| &e.reliability_mc).collect::<Vec<_>>());
    let pts = |v: &[(f64, f64, usize)]| -> Vec<(f64, f64)> {
        v.iter().filter(|b| b.2 > 0).map(|b| (b.0, b.1)).collect()
    };
    LineChart::new(
        Figure::new(
            format!(
                "Reliability diagram (15 bins, {} seeds pooled): MC T = {} vs weight scaling",
                r.mc.len(),
                r.mc[0].reliability_passes
            ),
            "A reliability diagram: for each of 15 confidence bins, the accuracy of the \
             predictions against their mean confidence, for weight scaling and for MC Dropout; \
             the diagonal marks perfect calibration.",
        )
        .with_size(860, 560),
        "mean confidence in the bin",
        "accuracy in the bin",
    )
    .with_x_range(0.0, 1.0)
    .with_y_range(0.0, 1.0)
    .with_series(
        Series::line("calibrated", [(0.0, 0.0), (1.0, 1.0)])
            .dashed()
            .color(GREY),
    )
    .with_series(
        Series::line("weight scaling", pts(&ws))
            .with_markers()
            .color(BLUE),
    )
    .with_series(
        Series::line(
            format!("MC Dropout, T = {}", r.mc[0].reliability_passes),
            pts(&mc),
        )
        .with_markers()
        .color(VERMILLION),
    )
    .save(&dir.join("reliability.svg"))
}

fn uncertainty_svg(r: &Report, dir: &Path) -> Result<()> {
    let sum = |f: fn(&crate::mc::McEval) -> &Vec<u64>| -> Vec<u64> {
        (0..STD_BINS)
            .map(|b| r.mc.iter().map(|e| f(e)[b]).sum())
            .collect()
    };
    let correct = sum(|e| &e.std_counts_correct);
    let wrong = sum(|e| &e.std_counts_wrong);
    let mut grid = HistogramGrid::new(
        Figure::new(
            format!(
                "Predictive std of the predicted class's probability, T = {} ({} seeds pooled)",
                r.mc[0].reliability_passes,
                r.mc.len()
            ),
            "Two overlaid histograms, normalised to area one, of the MC Dropout predictive \
             standard deviation on correctly and on wrongly classified test images.",
        )
        .with_size(760, 460),
        vec![(
            "correct vs wrong predictions".to_string(),
            vec![
                Histogram::binned("correct", 0.0, STD_MAX, &correct),
                Histogram::binned("wrong", 0.0, STD_MAX, &wrong),
            ],
        )],
        "std over passes of p(predicted class)",
        1,
    );
    grid.density = true;
    grid.save(&dir.join("uncertainty.svg"))
}

fn mc_cost_svg(r: &Report, dir: &Path) -> Result<()> {
    let mc = &r.timings.mc;
    let mut sizes: Vec<usize> = mc.iter().map(|c| c.rows).collect();
    sizes.dedup();
    let panels = sizes
        .iter()
        .map(|&n| {
            let rows: Vec<_> = mc.iter().filter(|c| c.rows == n).collect();
            let one = one_pass_seconds(r, n);
            let line = |label: &str, f: fn(&crate::timing::McCost) -> f64, color| {
                Series::line(label, rows.iter().map(|c| (c.passes as f64, f(c) / one)))
                    .with_markers()
                    .color(color)
            };
            let t_max = rows.last().unwrap().passes as f64;
            LineChart::new(
                Figure::new(
                    format!("a request of {n} example{}", if n == 1 { "" } else { "s" }),
                    "",
                ),
                "passes T (log scale)",
                "time / one deterministic pass (log scale)",
            )
            .log_x()
            .log_y()
            .with_series(
                Series::line("T × one pass", [(1.0, 1.0), (t_max, t_max)])
                    .dashed()
                    .color(GREY),
            )
            .with_series(line("loop of T passes", |c| c.loop_seconds, VERMILLION))
            .with_series(line("T copies stacked", |c| c.stacked_seconds, ORANGE))
            .with_series(line("first layer shared", |c| c.shared_first_seconds, BLUE))
        })
        .collect();
    LineGrid::new(
        Figure::new(
            "The cost of MC Dropout's T passes, relative to one deterministic pass (medians)",
            "Two log-log line charts, one per request size, of the time of T MC Dropout passes \
             divided by the time of one deterministic pass: looped, stacked into one product, \
             and stacked with the first layer computed once; the dashed line is T.",
        )
        .with_size(1100, 450),
        panels,
        2,
    )
    .save(&dir.join("mc_cost.svg"))
}

fn mc_cost_table(r: &Report, dir: &Path) -> Result<()> {
    let mc = &r.timings.mc;

    let mut t = Table::new([
        "request rows",
        "T",
        "one pass (median of all)",
        "loop of T passes",
        "T copies stacked",
        "first layer shared",
    ])
    .numeric_columns(&[0, 1, 2, 3, 4, 5]);
    for c in mc {
        let one = one_pass_seconds(r, c.rows);
        let rel = |s: f64| format!("{} ms ({:.1}×)", ms(s), s / one);
        t.row([
            c.rows.to_string(),
            c.passes.to_string(),
            format!("{} ms", ms(one)),
            rel(c.loop_seconds),
            rel(c.stacked_seconds),
            rel(c.shared_first_seconds),
        ]);
    }
    write_atomic(&dir.join("mc_cost.md"), t.to_markdown().as_bytes())
}

/// Experiment 6's methods: name, colour, dashed, and where each finds its quality.
type Method = (String, RGBColor, bool, Box<dyn Fn(&ShiftEval) -> &Quality>);

fn shift_methods(r: &Report) -> Vec<Method> {
    let m = r.ensemble_members;
    let mut methods: Vec<Method> = vec![
        (
            "one pass".into(),
            BLUE,
            true,
            Box::new(|e: &ShiftEval| &e.weight_scaled),
        ),
        (
            "temperature-scaled".into(),
            GREY,
            true,
            Box::new(|e: &ShiftEval| &e.temperature_scaled),
        ),
    ];
    for (&t, color) in r.shift_passes.iter().zip([ORANGE, VERMILLION]) {
        methods.push((
            format!("MC Dropout, T = {t}"),
            color,
            false,
            Box::new(move |e: &ShiftEval| e.mc_at(t)),
        ));
    }
    methods.push((
        format!("ensemble of {m}"),
        BLUISH_GREEN,
        false,
        Box::new(|e: &ShiftEval| &e.ensemble),
    ));
    methods
}

/// The rotations of experiment 6, in order.
fn angles(r: &Report) -> Vec<f64> {
    let mut a: Vec<f64> = r.shift.iter().map(|e| e.degrees).collect();
    a.sort_by(f64::total_cmp);
    a.dedup();
    a
}

/// Per rotation, the values of `f` over seeds.
fn per_angle(r: &Report, f: impl Fn(&ShiftEval) -> f64) -> Vec<(f64, Vec<f64>)> {
    angles(r)
        .into_iter()
        .map(|d| {
            let v = r.shift.iter().filter(|e| e.degrees == d).map(&f).collect();
            (d, v)
        })
        .collect()
}

fn shift_svg(r: &Report, dir: &Path) -> Result<()> {
    let methods = shift_methods(r);
    let panel = |title: &str, y: &str, f: &dyn Fn(&Quality) -> f64| {
        let mut chart = LineChart::new(Figure::new(title, ""), "rotation (degrees)", y);
        for (name, color, dashed, quality) in &methods {
            let points = per_angle(r, |e| f(quality(e)))
                .into_iter()
                .map(|(d, v)| (d, mean(&v)));
            let s = Series::line(name.clone(), points)
                .with_markers()
                .color(*color);
            chart = chart.with_series(if *dashed { s.dashed() } else { s });
        }
        chart
    };
    let seeds = r.shift.len() / angles(r).len().max(1);
    LineGrid::new(
        Figure::new(
            format!(
                "On rotated test images: one pass, temperature scaling, MC Dropout and a deep ensemble (p = {} nets, mean of {seeds} seeds)",
                r.mc_dropout
            ),
            "Four line charts against the rotation of the test images in degrees: accuracy, \
             test NLL, expected calibration error, and the AUROC with which the entropy flags \
             errors, for the weight-scaled pass, the temperature-scaled pass, MC Dropout at two \
             numbers of passes, and a deep ensemble.",
        )
        .with_size(1100, 800),
        vec![
            panel("accuracy", "accuracy", &|q| q.accuracy),
            panel("NLL", "mean negative log-likelihood", &|q| q.nll),
            panel("ECE (15 bins)", "expected calibration error", &|q| q.ece),
            panel("errors flagged by the entropy", "AUROC", &|q| q.auroc_entropy),
        ],
        2,
    )
    .save(&dir.join("shift.svg"))
}

fn shift_table(r: &Report, dir: &Path) -> Result<()> {
    let methods = shift_methods(r);
    let m = r.ensemble_members;
    let mut headers = vec!["rotation".to_string(), "accuracy (%), one pass".to_string()];
    headers.extend(methods.iter().map(|(name, ..)| format!("NLL, {name}")));
    headers.push(format!("NLL, ensemble − MC T = {m} (95% CI)"));
    let cols: Vec<usize> = (1..headers.len()).collect();
    let mut t = Table::new(headers).numeric_columns(&cols);
    for d in angles(r) {
        let at: Vec<&ShiftEval> = r.shift.iter().filter(|e| e.degrees == d).collect();
        let stat = |f: &dyn Fn(&ShiftEval) -> f64, decimals| {
            let v: Vec<f64> = at.iter().map(|e| f(e)).collect();
            fmt_mean_std(mean(&v), std(&v), decimals)
        };
        let mut row = vec![
            format!("{d}°"),
            stat(&|e| 100.0 * e.weight_scaled.accuracy, 1),
        ];
        row.extend(
            methods
                .iter()
                .map(|(_, _, _, quality)| stat(&|e| quality(e).nll, 3)),
        );
        let ens: Vec<f64> = at.iter().map(|e| e.ensemble.nll).collect();
        let mc: Vec<f64> = at.iter().map(|e| e.mc_at(m).nll).collect();
        let diff = lab::stats::Paired::new(&ens, &mc);
        row.push(format!("{:+.3} {}", diff.mean(), diff.ci95().fmt_signed(3)));
        t.row(row);
    }
    write_atomic(&dir.join("shift.md"), t.to_markdown().as_bytes())
}
