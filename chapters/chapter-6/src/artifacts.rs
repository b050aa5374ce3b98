//! Figures and tables of chapter 6, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::{Chart, Figure, Histogram, HistogramGrid, LineChart, LineGrid, Series};
use book_pipeline::report::{Table, fmt_mean_std, write_atomic};
use lab::stats::mean;

use crate::prune::Scope;
use crate::speed::crossover;
use crate::{
    L1Method, LOG_HIST, Report, Seeds, find_gradual, find_one_shot, l1_prune_choice, l1_reference,
};
use lab::stats::Paired;

use book_pipeline::plot::palette::{self, GREY};

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    one_shot_svg(r, dir)?;
    one_shot_table(r, dir)?;
    gradual_schedule_svg(r, dir)?;
    gradual_table(r, dir)?;
    iterative_svg(r, dir)?;
    iterative_table(r, dir)?;
    lottery_table(r, dir)?;
    l1_histograms_svg(r, dir)?;
    l1_table(r, dir)?;
    l1_tradeoff_svg(r, dir)?;
    l1_prune_table(r, dir)?;
    speed_svg(r, dir)?;
    speed_table(r, dir)?;
    combined_svg(r, dir)
}

fn pct(s: f64) -> f64 {
    100.0 * s
}

fn acc(s: &Seeds) -> String {
    fmt_mean_std(s.mean(), s.std(), 2)
}

fn dense_line(r: &Report, lo: f64, hi: f64) -> Series {
    let d = r.dense_continued.mean();
    Series::line("dense (same steps)", [(lo, d), (hi, d)])
        .dashed()
        .color(GREY)
}

fn sparsity_range(r: &Report) -> (f64, f64) {
    let xs: Vec<f64> = r.one_shot.iter().map(|o| pct(o.sparsity)).collect();
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo - 2.0, hi + 1.0)
}

fn one_shot_svg(r: &Report, dir: &Path) -> Result<()> {
    let (lo, hi) = sparsity_range(r);
    let panel = |scope: Scope| {
        let rows: Vec<_> = r.one_shot.iter().filter(|o| o.scope == scope).collect();
        LineChart::new(
            Figure::new(format!("{} threshold", scope.name()), ""),
            "sparsity (% of weights zero)",
            "test accuracy (%)",
        )
        .with_series(dense_line(r, lo, hi))
        .with_series(
            Series::line(
                "no fine-tuning",
                rows.iter().map(|o| (pct(o.sparsity), o.pruned.mean())),
            )
            .with_markers(),
        )
        .with_series(
            Series::line(
                "fine-tuned",
                rows.iter().map(|o| (pct(o.sparsity), o.tuned.mean())),
            )
            .with_markers(),
        )
        .with_y_range(0.0, 100.0)
    };
    LineGrid::new(
        Figure::new(
            "One-shot magnitude pruning of LeNet-300-100",
            "Two line charts of test accuracy against sparsity, for a global and a per-layer \
             magnitude threshold, before and after fine-tuning with the mask fixed.",
        )
        .with_size(1100, 460),
        vec![panel(Scope::Global), panel(Scope::PerLayer)],
        2,
    )
    .save(&dir.join("one_shot.svg"))
}

fn one_shot_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "threshold",
        "sparsity",
        "layer sparsity (784-300 / 300-100 / 100-10)",
        "accuracy, pruned (%)",
        "pruned + fine-tuned (%)",
    ])
    .numeric_columns(&[1, 3, 4]);
    for o in &r.one_shot {
        t.row([
            o.scope.name().to_string(),
            format!("{:.0}%", pct(o.sparsity)),
            o.layer_sparsity
                .iter()
                .map(|s| format!("{:.1}%", pct(*s)))
                .collect::<Vec<_>>()
                .join(" / "),
            acc(&o.pruned),
            acc(&o.tuned),
        ]);
    }
    t.row([
        "dense baseline".to_string(),
        "0%".into(),
        "—".into(),
        acc(&r.baseline),
        format!("{} (trained on, same steps)", acc(&r.dense_continued)),
    ]);
    write_atomic(&dir.join("one_shot.md"), t.to_markdown().as_bytes())
}

fn gradual_schedule_svg(r: &Report, dir: &Path) -> Result<()> {
    let mut chart = LineChart::new(
        Figure::new(
            "Gradual pruning: the schedule's target and the measured sparsity",
            "Line chart of sparsity against training step for each final sparsity: the smooth \
             cubic target as grey dashes and the measured fraction of zero weights as a coloured \
             staircase that follows it, one step at each mask update.",
        ),
        "step after the start of pruning",
        "sparsity (% of weights zero)",
    )
    .with_y_range(0.0, 100.0);
    for g in r.gradual.iter().filter(|g| g.scope == Scope::Global) {
        let name = format!("s_f = {:.0}%", pct(g.sparsity));
        // The smooth curve s_t, for reference.
        let end = g.trace.last().map_or(1, |p| p.step);
        let smooth: Vec<(f64, f64)> = (0..=200)
            .map(|i| {
                let t = i * end / 200;
                (t as f64, pct(g.schedule.sparsity(t)))
            })
            .collect();
        chart = chart.with_series(Series::line("", smooth).dashed().color(GREY));
        chart = chart.with_series(Series::line(
            name,
            g.trace.iter().map(|p| (p.step as f64, pct(p.measured))),
        ));
    }
    chart.save(&dir.join("gradual_schedule.svg"))
}

fn gradual_table(r: &Report, dir: &Path) -> Result<()> {
    let n: usize = r.weights_per_layer.iter().sum();
    let mut t = Table::new([
        "threshold",
        "final sparsity s_f",
        "schedule",
        "zeros at the end (first seed)",
        "round(s_f·n)",
        "accuracy, gradual (%)",
        "one-shot + fine-tune, same threshold (%)",
    ])
    .numeric_columns(&[3, 4, 5, 6]);
    for g in &r.gradual {
        let s = g.schedule;
        let one = find_one_shot(r, g.scope, g.sparsity);
        t.row([
            g.scope.name().to_string(),
            format!("{:.0}%", pct(g.sparsity)),
            format!(
                "steps {}–{}, every {}, power {}",
                s.begin_step, s.end_step, s.frequency, s.power
            ),
            format!(
                "{} of {n} ({:.4}%)",
                g.zeros[0].iter().sum::<usize>(),
                100.0 * g.zeros[0].iter().sum::<usize>() as f64 / n as f64
            ),
            g.expected_zeros.iter().sum::<usize>().to_string(),
            acc(&g.accuracy),
            one.map_or("—".into(), |o| acc(&o.tuned)),
        ]);
    }
    write_atomic(&dir.join("gradual.md"), t.to_markdown().as_bytes())
}

/// A paired difference and its 95% interval, in points.
fn diff(a: &Seeds, b: &Seeds) -> String {
    let d = Paired::new(&a.0, &b.0);
    format!("{:+.2} {}", d.mean(), d.ci95().fmt_signed(2))
}

fn iterative_svg(r: &Report, dir: &Path) -> Result<()> {
    let (lo, hi) = sparsity_range(r);
    let global = |f: &dyn Fn(f64) -> Option<f64>| -> Vec<(f64, f64)> {
        r.iterative
            .iter()
            .filter_map(|it| f(it.sparsity).map(|a| (pct(it.sparsity), a)))
            .collect()
    };
    let rounds = r.iterative.first().map_or(0, |it| it.schedule.rounds);
    let updates = r
        .gradual
        .first()
        .map_or(0, |g| g.schedule.end_step / g.schedule.frequency + 1);
    let schedules = LineChart::new(
        Figure::new("pruning the trained net (global)", ""),
        "sparsity (% of weights zero)",
        "test accuracy (%)",
    )
    .with_series(dense_line(r, lo, hi))
    .with_series(
        Series::line(
            "one-shot + FT",
            global(&|sp| find_one_shot(r, Scope::Global, sp).map(|o| o.tuned.mean())),
        )
        .with_markers(),
    )
    .with_series(
        Series::line(
            format!("iterative ({rounds})"),
            r.iterative
                .iter()
                .map(|it| (pct(it.sparsity), it.accuracy.mean())),
        )
        .with_markers(),
    )
    .with_series(
        Series::line(
            format!("gradual ({updates})"),
            global(&|sp| find_gradual(r, Scope::Global, sp).map(|g| g.accuracy.mean())),
        )
        .with_markers(),
    );
    let lot = &r.lottery;
    let left = |s: f64| 100.0 * (1.0 - s);
    let last = left(*lot.sparsity.last().expect("at least one round"));
    let base = r.baseline.mean();
    let ticket = LineChart::new(
        Figure::new("the lottery ticket", ""),
        "weights left (%, log scale)",
        "test accuracy (%)",
    )
    .log_x()
    .with_series(
        Series::line("dense baseline", [(100.0, base), (last, base)])
            .dashed()
            .color(GREY),
    )
    .with_series(
        Series::line(
            "ticket, each round",
            lot.sparsity
                .iter()
                .zip(&lot.rounds)
                .map(|(&s, a)| (left(s), a.mean())),
        )
        .with_markers(),
    )
    .with_series(Series::line("mask, fresh init", [(last, lot.control.mean())]).with_markers());
    LineGrid::new(
        Figure::new(
            "Iterative pruning and the lottery ticket (LeNet-300-100, mean over seeds)",
            "Two line charts. Left: test accuracy against sparsity for one-shot pruning with \
             fine-tuning, iterative pruning and gradual pruning, global threshold, same steps. \
             Right: test accuracy of the lottery ticket after each round of pruning and rewinding, \
             against the share of weights left, with its final mask retrained from fresh initial \
             weights and the dense baseline.",
        )
        .with_size(1100, 460),
        vec![schedules, ticket],
        2,
    )
    .save(&dir.join("iterative.svg"))
}

fn iterative_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "sparsity (global)",
        "one-shot + fine-tune (%)",
        "gradual (%)",
        "iterative (%)",
        "iterative − one-shot (95% CI)",
        "iterative − gradual (95% CI)",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5]);
    for it in &r.iterative {
        let (o, g) = (
            find_one_shot(r, Scope::Global, it.sparsity),
            find_gradual(r, Scope::Global, it.sparsity),
        );
        t.row([
            format!("{:.0}%", pct(it.sparsity)),
            o.map_or("—".into(), |o| acc(&o.tuned)),
            g.map_or("—".into(), |g| acc(&g.accuracy)),
            acc(&it.accuracy),
            o.map_or("—".into(), |o| diff(&it.accuracy, &o.tuned)),
            g.map_or("—".into(), |g| diff(&it.accuracy, &g.accuracy)),
        ]);
    }
    write_atomic(&dir.join("iterative.md"), t.to_markdown().as_bytes())
}

fn lottery_table(r: &Report, dir: &Path) -> Result<()> {
    let lot = &r.lottery;
    let mut t = Table::new([
        "network",
        "weights left",
        "test accuracy (%)",
        "− dense baseline (95% CI)",
    ])
    .numeric_columns(&[1, 2, 3]);
    let base = Seeds(r.baseline.first(lot.control.0.len()).to_vec());
    t.row([
        "dense baseline".to_string(),
        "100%".into(),
        acc(&base),
        "—".into(),
    ]);
    for (k, (s, a)) in lot.sparsity.iter().zip(&lot.rounds).enumerate() {
        t.row([
            format!("ticket, round {}", k + 1),
            format!("{:.1}%", 100.0 * (1.0 - s)),
            acc(a),
            diff(a, &base),
        ]);
    }
    let last = lot.sparsity.last().copied().unwrap_or(f64::NAN);
    t.row([
        "final mask, fresh initial weights".to_string(),
        format!("{:.1}%", 100.0 * (1.0 - last)),
        acc(&lot.control),
        diff(&lot.control, &base),
    ]);
    write_atomic(&dir.join("lottery.md"), t.to_markdown().as_bytes())
}

fn l1_histograms_svg(r: &Report, dir: &Path) -> Result<()> {
    let (lo, hi, _) = LOG_HIST;
    let mut lambdas: Vec<f32> = r.l1.iter().map(|l| l.lambda).collect();
    lambdas.sort_by(f32::total_cmp);
    lambdas.dedup();
    let panels: Vec<(String, Vec<Histogram>)> = lambdas
        .iter()
        .map(|&lambda| {
            let mut hists = vec![Histogram::binned(
                "no penalty",
                lo,
                hi,
                &r.baseline_log_hist,
            )];
            for l in r.l1.iter().filter(|l| l.lambda == lambda) {
                hists.push(Histogram::binned(
                    format!("ℓ1 {}", l.method.name()),
                    lo,
                    hi,
                    &l.log_hist,
                ));
            }
            (format!("λ = {lambda:e}"), hists)
        })
        .collect();
    let columns = 3.min(panels.len());
    let mut grid = HistogramGrid::new(
        Figure::new(
            "ℓ1 training: where the non-zero weights end up",
            "Histograms of log10 of the absolute non-zero weights after training without \
             penalty, with the ℓ1 subgradient step and with the proximal step, one panel per λ; \
             exact zeros, which have no logarithm, are counted in the table below.",
        ),
        panels,
        "log10 |w| (non-zero weights)",
        columns,
    );
    grid.bins = LOG_HIST.2;
    grid.save(&dir.join("l1_histograms.svg"))
}

fn l1_table(r: &Report, dir: &Path) -> Result<()> {
    let base = l1_reference(r);
    let mut t = Table::new([
        "method",
        "λ",
        "accuracy (%)",
        "cost vs no penalty (points)",
        "exactly 0",
        "|w| < 1e-3",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5]);
    for l in &r.l1 {
        t.row([
            l.method.name().to_string(),
            format!("{:e}", l.lambda),
            acc(&l.accuracy),
            format!("{:+.2}", base - l.accuracy.mean()),
            format!("{:.2}%", pct(mean(&l.exact_zero))),
            format!("{:.2}%", pct(mean(&l.below_1e3))),
        ]);
    }
    write_atomic(&dir.join("l1.md"), t.to_markdown().as_bytes())
}

/// ℓ1's trade-off against λ: the share of exact zeros (and of |w| < 1e-3), and the accuracy,
/// for both ways of applying the penalty.
fn l1_tradeoff_svg(r: &Report, dir: &Path) -> Result<()> {
    let series = |method: L1Method, f: &dyn Fn(&crate::L1Row) -> f64| -> Vec<(f64, f64)> {
        r.l1.iter()
            .filter(|l| l.method == method)
            .map(|l| (f64::from(l.lambda), f(l)))
            .collect()
    };
    let methods = [L1Method::Proximal, L1Method::Subgradient];
    let mut zeros = LineChart::new(
        Figure::new("weights at zero", ""),
        "λ (log scale)",
        "% of weights",
    )
    .log_x()
    .with_y_range(0.0, 100.0);
    let mut accuracy = LineChart::new(
        Figure::new("test accuracy", ""),
        "λ (log scale)",
        "test accuracy (%)",
    )
    .log_x();
    for m in methods {
        let color = match m {
            L1Method::Proximal => palette::BLUE,
            L1Method::Subgradient => palette::VERMILLION,
        };
        zeros = zeros
            .with_series(
                Series::line(
                    m.name().to_string(),
                    series(m, &|l| pct(mean(&l.exact_zero))),
                )
                .with_markers()
                .color(color),
            )
            .with_series(
                Series::line(
                    format!("{}, < 1e-3", m.name()),
                    series(m, &|l| pct(mean(&l.below_1e3))),
                )
                .dashed()
                .color(color),
            );
        accuracy = accuracy.with_series(
            Series::line(m.name().to_string(), series(m, &|l| l.accuracy.mean()))
                .with_markers()
                .color(color),
        );
    }
    let lambdas: Vec<f64> = r.l1.iter().map(|l| f64::from(l.lambda)).collect();
    let (lo, hi) = (
        lambdas.iter().copied().fold(f64::INFINITY, f64::min),
        lambdas.iter().copied().fold(0.0, f64::max),
    );
    let base = l1_reference(r);
    accuracy = accuracy.with_series(
        Series::line("no penalty", [(lo, base), (hi, base)])
            .dashed()
            .color(GREY),
    );
    LineGrid::new(
        Figure::new(
            "ℓ1's trade-off: zeros and accuracy against λ (mean over seeds)",
            "Two line charts against the penalty strength λ on a log scale: the share of weights \
             exactly zero and below 1e-3 for the proximal and the subgradient step, and the test \
             accuracy of both with the unpenalised network's as a dashed line.",
        )
        .with_size(1100, 460),
        vec![zeros, accuracy],
        2,
    )
    .save(&dir.join("l1_tradeoff.svg"))
}

/// ℓ1 → one-shot global pruning → fine-tune at every λ and sparsity, against pruning alone.
fn l1_prune_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "sparsity",
        "λ",
        "validation accuracy (%)",
        "test accuracy (%)",
        "pruning alone, test (%)",
    ])
    .numeric_columns(&[1, 2, 3, 4]);
    for l in &r.l1_prune {
        let chosen = l1_prune_choice(r, l.sparsity).is_some_and(|c| c.lambda == l.lambda);
        t.row([
            format!("{:.0}%", pct(l.sparsity)),
            format!("{:e}{}", l.lambda, if chosen { " (chosen)" } else { "" }),
            acc(&l.validation),
            acc(&l.test),
            find_one_shot(r, Scope::Global, l.sparsity).map_or("—".into(), |o| acc(&o.tuned)),
        ]);
    }
    write_atomic(&dir.join("l1_prune.md"), t.to_markdown().as_bytes())
}

fn speed_svg(r: &Report, dir: &Path) -> Result<()> {
    let xs = |f: &dyn Fn(&crate::speed::SpeedPoint) -> f64| {
        r.speed
            .iter()
            .map(|p| (pct(p.sparsity), f(p)))
            .collect::<Vec<_>>()
    };
    let time = LineChart::new(
        Figure::new("one forward pass of a batch", ""),
        "sparsity (% of weights zero)",
        "median time (ms, log scale)",
    )
    .log_y()
    .with_series(Series::line("dense", xs(&|p| p.timings.dense_median() / 1e3)).with_markers())
    .with_series(Series::line("CSR", xs(&|p| p.timings.csr_median() / 1e3)).with_markers());
    let bytes = LineChart::new(
        Figure::new("size of the three weight matrices", ""),
        "sparsity (% of weights zero)",
        "kB (log scale)",
    )
    .log_y()
    .with_series(Series::line("dense", xs(&|p| p.dense_bytes as f64 / 1e3)))
    .with_series(Series::line("CSR", xs(&|p| p.csr_bytes as f64 / 1e3)))
    .with_series(Series::line("dense, gzip", xs(&|p| p.gzip_bytes as f64 / 1e3)).dashed());
    LineGrid::new(
        Figure::new(
            "What sparsity buys: inference time and size, CSR against dense",
            "Two line charts against sparsity: the median time of a forward pass through the \
             pruned network with dense products and with CSR products, and the bytes of the \
             weights stored densely, in CSR, and densely after gzip.",
        )
        .with_size(1100, 460),
        vec![time, bytes],
        2,
    )
    .save(&dir.join("speed.svg"))
}

fn speed_table(r: &Report, dir: &Path) -> Result<()> {
    let (first_fast, _) = crossover(&r.speed);
    let mut t = Table::new([
        "sparsity",
        "non-zeros",
        "dense kB",
        "CSR kB",
        "dense, gzip kB",
        "dense ms",
        "CSR ms",
        "CSR speed-up [95% CI]",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5, 6, 7]);
    for p in &r.speed {
        let mark = if first_fast.is_some_and(|f| p.sparsity >= f) {
            " ✓"
        } else {
            ""
        };
        t.row([
            format!("{:.0}%", pct(p.sparsity)),
            p.nnz.to_string(),
            format!("{:.0}", p.dense_bytes as f64 / 1e3),
            format!("{:.0}", p.csr_bytes as f64 / 1e3),
            format!("{:.0}", p.gzip_bytes as f64 / 1e3),
            format!("{:.3}", p.timings.dense_median() / 1e3),
            format!("{:.3}", p.timings.csr_median() / 1e3),
            {
                let (x, ci) = p.timings.speedup();
                format!("{x:.2}× {}{mark}", ci.fmt(2))
            },
        ]);
    }
    let note = match first_fast {
        Some(f) => format!(
            "\nOn this machine CSR is faster at every measured sparsity from {:.0}% on (✓).\n",
            pct(f)
        ),
        None => "\nOn this machine CSR was not faster even at the highest sparsity.\n".into(),
    };
    write_atomic(&dir.join("speed.md"), (t.to_markdown() + &note).as_bytes())
}

fn combined_svg(r: &Report, dir: &Path) -> Result<()> {
    let global: Vec<_> = r
        .one_shot
        .iter()
        .filter(|o| o.scope == Scope::Global)
        .collect();
    let mut l1: Vec<(f64, f64)> =
        r.l1.iter()
            .filter(|l| l.method == crate::L1Method::Proximal)
            .map(|l| (pct(mean(&l.exact_zero)), l.accuracy.mean()))
            .collect();
    l1.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (_, hi) = sparsity_range(r);
    let lo = l1.first().map_or(0.0, |p| p.0.min(40.0)) - 2.0;
    LineChart::new(
        Figure::new(
            "Accuracy against sparsity, five ways to get there",
            "Line chart of test accuracy against the fraction of zero weights for one-shot global \
             pruning without and with fine-tuning, gradual pruning, proximal ℓ1 training at \
             several λ, and ℓ1 training followed by pruning and fine-tuning.",
        ),
        "sparsity (% of weights exactly zero)",
        "test accuracy (%)",
    )
    .with_series(dense_line(r, lo, hi))
    .with_series(
        Series::line(
            "one-shot",
            global.iter().map(|o| (pct(o.sparsity), o.pruned.mean())),
        )
        .with_markers(),
    )
    .with_series(
        Series::line(
            "one-shot + FT",
            global.iter().map(|o| (pct(o.sparsity), o.tuned.mean())),
        )
        .with_markers(),
    )
    .with_series(
        Series::line(
            "gradual",
            r.gradual
                .iter()
                .filter(|g| g.scope == Scope::Global)
                .map(|g| (pct(g.sparsity), g.accuracy.mean())),
        )
        .with_markers(),
    )
    .with_series(Series::line("ℓ1 proximal", l1).with_markers())
    .with_series(
        Series::line(
            "ℓ1 → prune + FT",
            global
                .iter()
                .filter_map(|o| l1_prune_choice(r, o.sparsity))
                .map(|l| (pct(l.sparsity), l.test.mean())),
        )
        .with_markers(),
    )
    .with_y_range(70.0, 88.0)
    .save(&dir.join("combined.svg"))
}
