//! Figures and tables of chapter 4, drawn from the [`Report`](crate::Report) alone.

use std::path::Path;

use anyhow::Result;

use book_pipeline::plot::palette::{BLACK, BLUE, GREY};
use book_pipeline::plot::{Bar, BarChart, Chart, Figure, LineChart, LineGrid, Series};
use book_pipeline::report::{Table, fmt_mean_std, fmt_sig, write_atomic};
use lab::stats::{mean, median, std};

use crate::Report;
use crate::cost::{CHUNK_COLS, CHUNK_ROWS, relative_cost, relative_cost_in_cache};
use crate::dying::Trained;
use crate::outputs::{ClassFit, RegressionFit};
use book_pipeline::plot::BookColor;
use lab::Activation;
use lab::tune::late_gain;

/// A regression output's name: the identity is called a linear output there.
fn output_name(output: Activation) -> String {
    if output == Activation::Identity {
        "linear".into()
    } else {
        output.name()
    }
}

pub fn write(r: &Report, dir: &Path) -> Result<()> {
    gallery_svg(r, dir)?;
    cost_table(r, dir)?;
    cost_svg(r, dir)?;
    quality_curves_svg(r, dir)?;
    quality_bars_svg(r, dir)?;
    quality_table(r, dir)?;
    dying_svg(r, dir)?;
    dying_table(r, dir)?;
    selu_svg(r, dir)?;
    selu_table(r, dir)?;
    outputs_svg(r, dir)?;
    outputs_table(r, dir)
}

fn gallery_svg(r: &Report, dir: &Path) -> Result<()> {
    let panels = r
        .gallery
        .iter()
        .map(|c| {
            let pts = |v: &[f64]| {
                c.z.iter()
                    .copied()
                    .zip(v.iter().copied())
                    .collect::<Vec<_>>()
            };
            LineChart::new(Figure::new(c.activation.name(), ""), "z", "")
                .with_series(Series::line("f(z)", pts(&c.f)).color(BLACK))
                .with_series(Series::line("f′(z)", pts(&c.df)).color(GREY).dashed())
                .with_y_range(-2.0, 4.0)
        })
        .collect();
    LineGrid::new(
        Figure::new(
            "Activation functions (solid) and their derivatives (dashed)",
            "Small multiples, one panel per activation, each showing f(z) and f′(z) for z from −4 to 4.",
        ),
        panels,
        4,
    )
    .save(&dir.join("gallery.svg"))
}

fn cost_table(r: &Report, dir: &Path) -> Result<()> {
    let mut t = Table::new([
        "activation",
        "forward, ns/element",
        "backward, ns/element",
        "throughput, 1 thread (M elements/s)",
        "2 threads",
        "cost vs ReLU, 1 thread [95% CI]",
        "2 threads ",
        "in cache, ns/element",
        "in cache vs ReLU [95% CI]",
        "training epoch, s",
        "epoch vs ReLU",
    ])
    .numeric_columns(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let relu_epoch = r
        .quality
        .iter()
        .find(|q| q.hidden.activation() == Some(Activation::Relu))
        .map(|q| q.timings.epoch_seconds);
    for c in &r.costs {
        let one = &c.timings[0];
        let two = &c.timings[1];
        let per = |s: f64| s * 1e9 / c.elements as f64;
        let epoch = r
            .quality
            .iter()
            .find(|q| q.hidden.activation() == Some(c.activation))
            .map(|q| q.timings.epoch_seconds);
        let (rel1, ci1) = relative_cost(&r.costs, c.activation, 1);
        let cached = &c.in_cache.timings;
        let per_cached =
            median(&cached.totals()) * 1e9 / (c.in_cache.passes * CHUNK_ROWS * CHUNK_COLS) as f64;
        let (rel_cached, ci_cached) = relative_cost_in_cache(&r.costs, c.activation);
        t.row([
            c.activation.name(),
            fmt_sig(per(one.forward_median()), 3),
            fmt_sig(per(one.backward_median()), 3),
            fmt_sig(one.throughput(c.elements) / 1e6, 3),
            fmt_sig(two.throughput(c.elements) / 1e6, 3),
            format!("{rel1:.2}× {}", ci1.fmt(2)),
            format!("{:.2}×", relative_cost(&r.costs, c.activation, 2).0),
            fmt_sig(per_cached, 3),
            format!("{rel_cached:.2}× {}", ci_cached.fmt(2)),
            epoch.map_or("—".into(), |e| fmt_sig(e, 3)),
            match (epoch, relu_epoch) {
                (Some(e), Some(b)) => format!("{:.2}×", e / b),
                _ => "—".into(),
            },
        ]);
    }
    if let Some(glu) = r.quality.iter().find(|q| q.hidden.activation().is_none()) {
        let e = glu.timings.epoch_seconds;
        t.row([
            "GLU (layer)".to_string(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            fmt_sig(e, 3),
            relu_epoch.map_or("—".into(), |b| format!("{:.2}×", e / b)),
        ]);
    }
    write_atomic(&dir.join("cost.md"), t.to_markdown().as_bytes())
}

fn cost_svg(r: &Report, dir: &Path) -> Result<()> {
    let bars = r
        .costs
        .iter()
        .map(|c| {
            let per_element = median(&c.timings[0].totals()) * 1e9 / c.elements as f64;
            Bar::new(c.activation.name(), per_element).of(&c.activation)
        })
        .collect();
    BarChart::new(
        Figure::new(
            format!(
                "Forward + backward time per element (1 thread, {} elements, median of {})",
                r.costs[0].elements, r.config.cost_repeats
            ),
            "Bar chart of each activation's forward plus backward kernel time in nanoseconds per element.",
        )
        .with_size(1000, 480),
        "ns per element",
        bars,
    )
    .save(&dir.join("cost.svg"))
}

fn quality_curves_svg(r: &Report, dir: &Path) -> Result<()> {
    let q = &r.config.quality;
    let mut chart = LineChart::new(
        Figure::new(
            format!(
                "Validation accuracy of a {}×{} MLP on Fashion-MNIST (mean of {} seeds)",
                q.net.depth, q.width, q.protocol.seeds
            ),
            "Learning curves of validation accuracy against epoch, one line per hidden activation.",
        )
        .with_size(900, 520),
        "epoch",
        "validation accuracy",
    );
    for run in &r.quality {
        let epochs = run.curves[0].epochs.len();
        let pts: Vec<(f64, f64)> = (0..epochs)
            .map(|e| {
                let accs: Vec<f64> = run
                    .curves
                    .iter()
                    .map(|c| c.epochs.get(e).map_or(f64::NAN, |x| x.val_accuracy))
                    .collect();
                (e as f64, mean(&accs))
            })
            .collect();
        chart = chart.with_series(
            Series::line(run.hidden.name(), pts)
                .with_markers()
                .of(&run.hidden),
        );
    }
    chart.save(&dir.join("quality_curves.svg"))
}

fn quality_bars_svg(r: &Report, dir: &Path) -> Result<()> {
    let q = &r.config.quality;
    let bars = r
        .quality
        .iter()
        .map(|run| {
            Bar::new(run.hidden.name(), 100.0 * run.final_mean)
                .with_error(100.0 * run.final_std)
                .of(&run.hidden)
        })
        .collect();
    let mut bar_chart = BarChart::new(
        Figure::new(
            format!("Final test accuracy after {} epochs (mean ± std over {} seeds)", q.net.epochs, q.protocol.seeds),
            "Bar chart of final test accuracy per hidden activation with error bars of one standard deviation.",
        )
        .with_size(1000, 480),
        "test accuracy (%)",
        bars,
    );
    bar_chart.y_range = Some((0.0, 100.0));
    bar_chart.save(&dir.join("quality_bars.svg"))
}

fn quality_table(r: &Report, dir: &Path) -> Result<()> {
    let q = &r.config.quality;
    let mut t = Table::new([
        "hidden layers".to_string(),
        "activation".into(),
        "init".into(),
        "parameters".into(),
        "rate".into(),
        "final test accuracy (mean ± std)".into(),
        "validation gain, last epoch".into(),
        "validation accuracy averaged over epochs".into(),
        format!("epochs to {:.0}% (per seed)", 100.0 * q.target_accuracy),
    ])
    .numeric_columns(&[3, 4, 5, 6, 7]);
    for run in r.quality.iter().chain(&r.quality_deeper) {
        let gains: Vec<f64> = run
            .curves
            .iter()
            .filter(|c| c.diverged.is_none())
            .map(|c| {
                late_gain(
                    &c.epochs.iter().map(|e| e.val_accuracy).collect::<Vec<_>>(),
                    1,
                )
            })
            .collect();
        t.row([
            format!("{} × {}", run.depth, q.width),
            run.hidden.name(),
            run.hidden.init_name(),
            run.n_params.to_string(),
            run.lr.chosen.to_string(),
            format!(
                "{}%",
                fmt_mean_std(100.0 * run.final_mean, 100.0 * run.final_std, 1)
            ),
            format!("{:+.2} pts", 100.0 * mean(&gains)),
            format!("{:.1}%", 100.0 * run.mean_over_epochs),
            run.epochs_to_target
                .iter()
                .map(|e| e.map_or("never".to_string(), |e| e.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    write_atomic(&dir.join("quality.md"), t.to_markdown().as_bytes())
}

fn dying_svg(r: &Report, dir: &Path) -> Result<()> {
    let d = &r.config.dying;
    let layer_mean = |counts: &[&Vec<usize>]| -> Vec<(f64, f64)> {
        (0..counts[0].len())
            .map(|l| {
                let v: Vec<f64> = counts
                    .iter()
                    .map(|c| c[l] as f64 / d.net.hidden[l] as f64 * 100.0)
                    .collect();
                ((l + 1) as f64, mean(&v))
            })
            .collect()
    };
    // Counts on a diverged (NaN) network mean nothing: those seeds are left out.
    fn counts(ts: &[Trained], inactive: bool) -> Vec<&Vec<usize>> {
        ts.iter()
            .filter(|t| !t.diverged)
            .map(|t| {
                if inactive {
                    &t.units.inactive
                } else {
                    &t.units.dead
                }
            })
            .collect()
    }
    let panel = |title: &str, inactive: bool| {
        let mut chart = LineChart::new(
            Figure::new(title, ""),
            "hidden layer",
            "% of the layer's units",
        );
        for run in &r.dying {
            let trained = counts(&run.trained, inactive);
            if trained.is_empty() {
                continue;
            }
            chart = chart.with_series(
                Series::line(run.activation.name(), layer_mean(&trained))
                    .with_markers()
                    .of(&run.activation),
            );
        }
        let relu = r
            .dying
            .iter()
            .find(|run| run.activation == Activation::Relu)
            .expect("a ReLU run");
        let control = counts(&relu.control, inactive);
        if !control.is_empty() {
            chart = chart.with_series(
                Series::line(format!("ReLU at lr {}", d.control_lr), layer_mean(&control))
                    .of(&Activation::Relu)
                    .dashed(),
            );
        }
        let at_init: Vec<&Vec<usize>> = relu
            .at_init
            .iter()
            .map(|c| if inactive { &c.inactive } else { &c.dead })
            .collect();
        chart.with_series(
            Series::line("ReLU, at init", layer_mean(&at_init))
                .color(GREY)
                .dashed(),
        )
    };
    LineGrid::new(
        Figure::new(
            format!(
                "Silent units after {} epoch(s) at lr {} (momentum {}), mean over seeds that did not diverge",
                d.net.epochs, d.net.sgd.lr, d.net.sgd.momentum
            ),
            "Two line charts against hidden layer: the share of dead units (zero derivative on every probe input) and of inactive units (negative pre-activation on every probe input), after training at a high learning rate, with ReLU at a low rate and at initialisation for reference.",
        )
        .with_size(1100, 470),
        vec![
            panel("dead: f′(z) = 0 on all probe inputs", false),
            panel("inactive: z ≤ 0 on all probe inputs", true),
        ],
        2,
    )
    .save(&dir.join("dying.svg"))
}

fn dying_table(r: &Report, dir: &Path) -> Result<()> {
    let d = &r.config.dying;
    let mut t = Table::new([
        "activation".to_string(),
        "dead at init (per seed)".into(),
        format!("died in training, lr {}", d.net.sgd.lr),
        format!("lr {}", d.control_lr),
        format!("test accuracy, lr {}", d.net.sgd.lr),
        format!("lr {}", d.control_lr),
        format!("diverged at lr {}", d.net.sgd.lr),
        format!("exact zeros in the hidden activations, lr {}", d.control_lr),
    ]);
    let list = |v: Vec<String>| v.join(", ");
    // A diverged net's counts mean nothing (its pre-activations are NaN or infinite).
    let died = |ts: &[Trained]| {
        list(
            ts.iter()
                .map(|t| {
                    if t.diverged {
                        "—".to_string()
                    } else {
                        t.died.to_string()
                    }
                })
                .collect(),
        )
    };
    let accuracy = |ts: &[Trained]| {
        list(
            ts.iter()
                .map(|t| {
                    if t.accuracy.is_nan() {
                        "—".to_string()
                    } else {
                        format!("{:.1}%", 100.0 * t.accuracy)
                    }
                })
                .collect(),
        )
    };
    for run in &r.dying {
        t.row([
            run.activation.name(),
            list(
                run.at_init
                    .iter()
                    .map(|c| c.dead_total().to_string())
                    .collect(),
            ),
            died(&run.trained),
            died(&run.control),
            accuracy(&run.trained),
            accuracy(&run.control),
            format!("{} of {}", run.diverged(), run.trained.len()),
            {
                let shares: Vec<f64> = run.control.iter().map(|t| t.zero_share).collect();
                format!("{:.1}%", 100.0 * mean(&shares))
            },
        ]);
    }
    write_atomic(&dir.join("dying.md"), t.to_markdown().as_bytes())
}

fn selu_svg(r: &Report, dir: &Path) -> Result<()> {
    let s = &r.config.selu;
    let pts = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(l, &x)| ((l + 1) as f64, x))
            .collect()
    };
    let mut mean_panel =
        LineChart::new(Figure::new("mean of the activations", ""), "layer", "mean");
    let mut std_panel = LineChart::new(
        Figure::new("std of the activations", ""),
        "layer",
        "std (log scale)",
    )
    .log_y();
    for run in &r.selu {
        let name = format!(
            "{} + {}",
            run.activation.name(),
            run.init.name().trim_end_matches(" normal")
        );
        let color = run.activation.book_color().unwrap_or(GREY);
        mean_panel =
            mean_panel.with_series(Series::line(name.clone(), pts(&run.mean)).color(color));
        std_panel = std_panel.with_series(Series::line(name, pts(&run.std)).color(color));
    }
    LineGrid::new(
        Figure::new(
            format!(
                "N(0, 1) inputs through {} layers of width {} (mean of {} seeds)",
                s.depth, s.width, s.seeds
            ),
            "Two line charts against layer: the mean and the std of the activations for SELU with LeCun init, ReLU with He init and tanh with Glorot init.",
        )
        .with_size(1100, 470),
        vec![mean_panel, std_panel],
        2,
    )
    .save(&dir.join("selu.svg"))
}

fn selu_table(r: &Report, dir: &Path) -> Result<()> {
    let s = &r.config.selu;
    let mut t = Table::new([
        "activation + init".to_string(),
        format!("mean at layer {}", s.check_layer),
        format!("std at layer {}", s.check_layer),
        format!("mean at layer {}", s.depth),
        format!("std at layer {}", s.depth),
        format!("mean, layers {}–{}", s.check_layer, s.depth),
        format!("std, layers {}–{}", s.check_layer, s.depth),
    ])
    .numeric_columns(&[1, 2, 3, 4, 5, 6]);
    for run in &r.selu {
        let f = |v: &[(f64, f64)], i: usize| {
            let xs: Vec<f64> = v.iter().map(|p| if i == 0 { p.0 } else { p.1 }).collect();
            let (m, sd) = (mean(&xs), std(&xs));
            format!("{} ± {}", fmt_sig(m, 3), fmt_sig(sd, 2))
        };
        t.row([
            format!("{} + {}", run.activation.name(), run.init.name()),
            f(&run.at_check, 0),
            f(&run.at_check, 1),
            f(&run.at_last, 0),
            f(&run.at_last, 1),
            f(&run.settled, 0),
            f(&run.settled, 1),
        ]);
    }
    write_atomic(&dir.join("selu.md"), t.to_markdown().as_bytes())
}

fn outputs_svg(r: &Report, dir: &Path) -> Result<()> {
    let o = &r.outputs;
    let seed0 = &o.seeds[0];
    let panel =
        |title: &str, data: &[(f64, f64)], fits: &[RegressionFit], truth: fn(f32) -> f32| {
            let mut chart = LineChart::new(Figure::new(title, ""), "x", "y")
                .with_series(Series::points("training data", data.iter().copied()).color(GREY))
                .with_series(
                    Series::line(
                        "target",
                        o.grid.iter().map(|&x| (x, f64::from(truth(x as f32)))),
                    )
                    .color(BLUE)
                    .dashed(),
                );
            for f in fits {
                chart = chart.with_series(
                    Series::line(
                        output_name(f.output),
                        o.grid.iter().copied().zip(f.curve.iter().copied()),
                    )
                    .of(&f.output),
                );
            }
            chart
        };
    LineGrid::new(
        Figure::new(
            "Regression outputs (seed 0): a positive target and a target in [−1, 1]",
            "Two line charts: predictions of a linear and a softplus output on a positive target, and of a linear and a tanh output on a clipped sine.",
        )
        .with_size(1100, 470),
        vec![
            panel("positive: y = e^(2(x−2))·noise", &o.positive_train, &seed0.positive, crate::outputs::positive_target)
                .with_y_range(-0.1, 0.5),
            panel("bounded: y = clip(1.5 sin 2x, ±1)", &o.bounded_train, &seed0.bounded, crate::outputs::bounded_target),
        ],
        2,
    )
    .save(&dir.join("outputs.svg"))
}

fn outputs_table(r: &Report, dir: &Path) -> Result<()> {
    let o = &r.outputs;
    let seed0 = &o.seeds[0];
    let mut t = Table::new([
        "task",
        "output",
        "outside the target's range",
        "extreme prediction",
        "RMSE against the noiseless target",
    ])
    .numeric_columns(&[2, 3, 4]);
    let reg_rows =
        |t: &mut Table,
         task: &str,
         pick: fn(&crate::outputs::OutputsSeed) -> &Vec<RegressionFit>| {
            for i in 0..pick(seed0).len() {
                let fits: Vec<&RegressionFit> = o.seeds.iter().map(|s| &pick(s)[i]).collect();
                let col =
                    |f: fn(&RegressionFit) -> f64| fits.iter().map(|x| f(x)).collect::<Vec<_>>();
                let (om, os) = (mean(&col(|f| f.outside)), std(&col(|f| f.outside)));
                let (em, es) = (mean(&col(|f| f.extreme)), std(&col(|f| f.extreme)));
                let (rm, rs) = (mean(&col(|f| f.rmse)), std(&col(|f| f.rmse)));
                let name = output_name(fits[0].output);
                t.row([
                    task.to_string(),
                    name,
                    format!("{}%", fmt_mean_std(100.0 * om, 100.0 * os, 1)),
                    fmt_mean_std(em, es, 3),
                    fmt_mean_std(rm, rs, 3),
                ]);
            }
        };
    reg_rows(&mut t, "positive (share < 0; min ŷ)", |s| &s.positive);
    reg_rows(
        &mut t,
        "in [−1, 1] (share with |ŷ| > 1; max |ŷ|)",
        |s| &s.bounded,
    );
    write_atomic(
        &dir.join("outputs_regression.md"),
        t.to_markdown().as_bytes(),
    )?;

    let mut t = Table::new([
        "task",
        "output",
        "test accuracy",
        format!("ECE ({} bins)", r.config.outputs.ece_bins).as_str(),
        "binary: share outside [0, 1]; classes: mean |Σp − 1|",
    ])
    .numeric_columns(&[2, 3, 4]);
    let cls_rows =
        |t: &mut Table, task: &str, pick: fn(&crate::outputs::OutputsSeed) -> &Vec<ClassFit>| {
            for i in 0..pick(seed0).len() {
                let fits: Vec<&ClassFit> = o.seeds.iter().map(|s| &pick(s)[i]).collect();
                let col = |f: fn(&ClassFit) -> f64| fits.iter().map(|x| f(x)).collect::<Vec<_>>();
                let (am, as_) = (mean(&col(|f| f.accuracy)), std(&col(|f| f.accuracy)));
                let (em, es) = (mean(&col(|f| f.ece)), std(&col(|f| f.ece)));
                let (om, os) = (mean(&col(|f| f.off)), std(&col(|f| f.off)));
                t.row([
                    task.to_string(),
                    fits[0].output.name().to_string(),
                    format!("{}%", fmt_mean_std(100.0 * am, 100.0 * as_, 1)),
                    fmt_mean_std(em, es, 3),
                    fmt_mean_std(om, os, 3),
                ]);
            }
        };
    cls_rows(&mut t, "T-shirt vs shirt", |s| &s.binary);
    cls_rows(&mut t, "10 exclusive classes", |s| &s.exclusive);
    write_atomic(
        &dir.join("outputs_classification.md"),
        t.to_markdown().as_bytes(),
    )
}
