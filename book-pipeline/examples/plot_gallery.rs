//! One figure of each kind in `lab::plot`, with made-up but realistic data, to check the house
//! style by eye: `cargo run -p lab --example plot_gallery -- /tmp/plot-gallery`
//! (then e.g. `rsvg-convert -w 900 line.svg -o line.png`). Writes only into the given folder.

use std::path::PathBuf;

use anyhow::Result;
use book_pipeline::plot::{
    Bar, BarChart, Chart, Colormap, ContourPlot, Figure, Heatmap, HeatmapGrid, Histogram,
    HistogramGrid, LineChart, LineGrid, Series,
};

/// A function of one variable: an activation or its derivative.
type Curve = fn(f64) -> f64;

/// A small deterministic source of normal samples (xorshift + Box–Muller), enough for a gallery.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/plot-gallery".into()),
    );
    let mut noise = Normal(0x9E37_79B9_7F4A_7C15);

    // Training curves on a log axis; one run diverges (NaN from step 300 on).
    let curve = |start: f64, rate: f64, floor: f64, noise: &mut Normal| -> Vec<(f64, f64)> {
        (0..=2000)
            .step_by(10)
            .map(|s| {
                let s = f64::from(s);
                (
                    s,
                    floor + (start - floor) * (-rate * s).exp() * (1.0 + 0.05 * noise.sample()),
                )
            })
            .collect()
    };
    let mut diverged = curve(2.3, 0.001, 1.0, &mut noise);
    for (i, p) in diverged.iter_mut().enumerate() {
        if i > 20 {
            p.1 = if i == 21 { f64::INFINITY } else { f64::NAN };
        } else {
            p.1 *= 1.0 + 0.3 * i as f64;
        }
    }
    LineChart::new(
        Figure::new(
            "Training loss by initialisation",
            "Training loss against step for five initialisations on a log scale; He and LeCun fall fastest, N(0, 1) diverges.",
        )
        .with_caption("Fashion-MNIST, 10-layer ReLU MLP, SGD with learning rate 0.05, batch 128."),
        "step",
        "training loss (nats)",
    )
    .log_y()
    .with_series(Series::line("He normal", curve(2.3, 0.004, 0.25, &mut noise)))
    .with_series(Series::line("He uniform", curve(2.3, 0.0038, 0.26, &mut noise)))
    .with_series(Series::line("Glorot uniform", curve(2.3, 0.002, 0.32, &mut noise)))
    .with_series(Series::line("LeCun normal", curve(2.3, 0.003, 0.28, &mut noise)))
    .with_series(Series::line("N(0, 0.01²)", curve(2.3, 0.0002, 0.9, &mut noise)))
    .with_series(Series::line("N(0, 1)", diverged))
    .save(&dir.join("line.svg"))?;

    // Log–log: activation scale through depth.
    let depth: Vec<f64> = (1..=50).map(f64::from).collect();
    LineChart::new(
        Figure::new(
            "Activation scale through depth",
            "Standard deviation of activations against layer on log-log axes: He stays flat, Glorot shrinks, N(0, 1) explodes.",
        ),
        "layer",
        "std of activations",
    )
    .log_x()
    .log_y()
    .with_series(Series::line("He normal", depth.iter().map(|&l| (l, 1.0 + 0.02 * noise.sample()))).with_markers())
    .with_series(Series::line("Glorot normal", depth.iter().map(|&l| (l, 0.5f64.powf(l / 2.0)))).with_markers())
    .with_series(Series::line("N(0, 1)", depth.iter().map(|&l| (l, 8f64.powf(l).min(1e30)))).with_markers())
    .with_series(Series::line("theory", depth.iter().map(|&l| (l, 1.0))).dashed())
    .save(&dir.join("loglog.svg"))?;

    // Small multiples: activation functions and their derivatives; momentum curves.
    let xs: Vec<f64> = (-400..=400).map(|i| f64::from(i) / 100.0).collect();
    let acts: Vec<(&str, Curve, Curve)> = vec![
        ("ReLU", |x| x.max(0.0), |x| if x > 0.0 { 1.0 } else { 0.0 }),
        (
            "leaky ReLU 0.2",
            |x| if x > 0.0 { x } else { 0.2 * x },
            |x| if x > 0.0 { 1.0 } else { 0.2 },
        ),
        (
            "ELU",
            |x| if x > 0.0 { x } else { x.exp() - 1.0 },
            |x| if x > 0.0 { 1.0 } else { x.exp() },
        ),
        (
            "GELU",
            |x| x / (1.0 + (-1.702 * x).exp()),
            |x| {
                let s = 1.0 / (1.0 + (-1.702 * x).exp());
                s + 1.702 * x * s * (1.0 - s)
            },
        ),
        ("tanh", f64::tanh, |x| 1.0 - x.tanh().powi(2)),
        (
            "sigmoid",
            |x| 1.0 / (1.0 + (-x).exp()),
            |x| {
                let s = 1.0 / (1.0 + (-x).exp());
                s * (1.0 - s)
            },
        ),
    ];
    let mut value = LineChart::new(Figure::new("value", ""), "x", "φ(x)");
    let mut slope = LineChart::new(Figure::new("derivative", ""), "x", "φ′(x)");
    for (name, f, df) in &acts {
        value
            .series
            .push(Series::line(*name, xs.iter().map(|&x| (x, f(x)))));
        slope
            .series
            .push(Series::line(*name, xs.iter().map(|&x| (x, df(x)))));
    }
    value
        .series
        .push(Series::line("identity", xs.iter().map(|&x| (x, x))).dashed());
    // Made-up signal propagation through 30 layers: forward scale and gradient norm.
    let layers: Vec<f64> = (1..=30).map(f64::from).collect();
    let mut forward = LineChart::new(
        Figure::new("forward pass", ""),
        "layer",
        "std of activations",
    )
    .log_y();
    let mut backward =
        LineChart::new(Figure::new("backward pass", ""), "layer", "gradient norm").log_y();
    for (i, (name, _, _)) in acts.iter().enumerate() {
        let gain = 0.8 + 0.08 * i as f64;
        forward.series.push(Series::line(
            *name,
            layers.iter().map(|&l| (l, gain.powf(l))),
        ));
        backward.series.push(Series::line(
            *name,
            layers.iter().map(|&l| (l, gain.powf(31.0 - l) * 1e-2)),
        ));
    }
    LineGrid::new(
        Figure::new(
            "Activation functions and signal propagation",
            "Four panels: six activation functions, their derivatives, and how the forward and backward signal scales with depth.",
        ),
        vec![value, slope, forward, backward],
        2,
    )
    .save(&dir.join("grid.svg"))?;

    // Six panels in three columns: one learning rate each, with long legend labels.
    let lrs = [1.0_f64, 0.3, 0.1, 0.03, 0.01, 0.003];
    let panels: Vec<LineChart> = lrs
        .iter()
        .map(|&lr| {
            let mut chart = LineChart::new(
                Figure::new(format!("learning rate {lr}"), ""),
                "epoch",
                "test error (%)",
            );
            for (name, speed) in [
                ("He normal", 1.0_f64),
                ("Glorot uniform", 0.7),
                ("LeCun normal, scaled by a rather long factor", 0.85),
            ] {
                let points = (0..=30).map(|e| {
                    let e = f64::from(e);
                    let err = if lr >= 1.0 && speed > 0.9 {
                        f64::NAN
                    } else {
                        10.0 + 80.0 * (-e * lr.sqrt() * speed).exp()
                    };
                    (e, err)
                });
                chart.series.push(Series::line(name, points));
            }
            chart
        })
        .collect();
    LineGrid::new(
        Figure::new("Test error by learning rate", "Six panels of test error against epoch, one per learning rate, for three initialisations."),
        panels,
        3,
    )
    .save(&dir.join("grid3.svg"))?;

    // Momentum: distance to the minimum on a log axis.
    let steps: Vec<f64> = (0..=300).map(f64::from).collect();
    let mut momentum = LineChart::new(
        Figure::new(
            "Momentum on an ill-conditioned quadratic",
            "Distance to the minimum against step for four momentum values on a log scale.",
        ),
        "step",
        "‖θ − θ*‖",
    )
    .log_y();
    for (name, beta) in [
        ("β = 0", 0.0),
        ("β = 0.9", 0.9),
        ("β = 0.99", 0.99),
        ("β = 0.999", 0.999),
    ] {
        let rate = 0.02 / (1.0 - beta * 0.8);
        let wobble = |s: f64| 1.0 + 0.8 * (s * (1.0 - beta) * 2.0 + s * beta * 0.2).cos().abs();
        momentum.series.push(Series::line(
            name,
            steps.iter().map(|&s| (s, (-rate * s).exp() * wobble(s))),
        ));
    }
    momentum.save(&dir.join("momentum.svg"))?;

    // Histograms of pre-activations by layer for two initialisations.
    let mut panels = Vec::new();
    for layer in [1, 3, 5, 10, 20] {
        let he: Vec<f64> = (0..5000).map(|_| noise.sample()).collect();
        let glorot: Vec<f64> = (0..5000)
            .map(|_| noise.sample() * 0.75f64.powi(layer))
            .collect();
        panels.push((
            format!("layer {layer}"),
            vec![
                Histogram::new("He normal", he),
                Histogram::new("Glorot normal", glorot),
            ],
        ));
    }
    HistogramGrid::new(
        Figure::new("Pre-activations by layer", "Histograms of pre-activations at five depths: He keeps unit spread, Glorot narrows with depth."),
        panels,
        "pre-activation value",
        3,
    )
    .save(&dir.join("histograms.svg"))?;

    // A ravine with two optimiser trajectories and its minimum.
    let f = |x: f64, y: f64| 0.5 * (x * x / 10.0 + 10.0 * y * y);
    let gd = |beta: f64, lr: f64| -> Vec<(f64, f64)> {
        let (mut p, mut v) = ((-9.0, 1.5), (0.0, 0.0));
        let mut path = vec![p];
        for _ in 0..60 {
            let g = (p.0 / 10.0, 10.0 * p.1);
            v = (beta * v.0 + g.0, beta * v.1 + g.1);
            p = (p.0 - lr * v.0, p.1 - lr * v.1);
            path.push(p);
        }
        path
    };
    ContourPlot::new(
        Figure::new("Momentum in a ravine", "Contours of an elongated quadratic with two descent paths: plain gradient descent zig-zags, momentum reaches the minimum."),
        ("θ₁", "θ₂"),
        (-10.0, 10.0),
        (-2.0, 2.0),
        f,
    )
    .with_path(Series::line("β = 0", gd(0.0, 0.18)).with_markers())
    .with_path(Series::line("β = 0.9", gd(0.9, 0.03)).with_markers())
    .with_path(Series::points("minimum", [(0.0, 0.0)]).color(book_pipeline::plot::palette::BLACK))
    .save(&dir.join("contour.svg"))?;

    // Bars with error bars and long labels.
    BarChart::new(
        Figure::new("Test accuracy after 20 epochs", "Bar chart of test accuracy by initialisation, with one standard deviation over five seeds."),
        "test accuracy (%)",
        vec![
            Bar::new("He normal", 88.4).with_error(0.3),
            Bar::new("He uniform", 88.1).with_error(0.4),
            Bar::new("Glorot uniform", 86.9).with_error(0.5),
            Bar::new("LeCun normal", 87.6).with_error(0.3),
            Bar::new("orthogonal with gain √2", 88.0).with_error(0.6),
            Bar::new("N(0, 1)", f64::NAN),
            Bar::new("N(0, 0.01²)", 10.0).with_error(0.0),
        ],
    )
    .save(&dir.join("bars.svg"))?;

    // Cosine similarity between layer gradients.
    let n: i32 = 10;
    let cos: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        1.0
                    } else {
                        (0.8f64).powi((i - j).abs()) - 0.3
                    }
                })
                .collect()
        })
        .collect();
    let mut heat = Heatmap::new(
        Figure::new(
            "Gradient alignment between layers",
            "Heatmap of cosine similarity between the gradients of ten layers: neighbouring layers align.",
        ),
        cos.clone(),
        (-1.0, 1.0),
        Colormap::Diverging,
    );
    heat.x_label = "layer".into();
    heat.y_label = "layer".into();
    heat.value_label = "cosine similarity".into();
    heat.x_ticks = (1..=n).map(|i| i.to_string()).collect();
    heat.y_ticks = heat.x_ticks.clone();
    heat.save(&dir.join("heatmap.svg"))?;

    let weights = |scale: f64, noise: &mut Normal| -> Vec<Vec<f64>> {
        (0..16)
            .map(|_| (0..16).map(|_| (scale * noise.sample()).abs()).collect())
            .collect()
    };
    let mut grid = HeatmapGrid::new(
        Figure::new(
            "Weight magnitudes",
            "Three heatmaps of absolute weights after 0, 5 and 20 epochs: large weights appear as training goes on.",
        ),
        vec![
            ("epoch 0".into(), weights(0.2, &mut noise)),
            ("epoch 5".into(), weights(0.4, &mut noise)),
            ("epoch 20".into(), weights(0.7, &mut noise)),
        ],
        (0.0, 1.5),
        Colormap::Viridis,
        3,
    );
    grid.x_label = "input unit".into();
    grid.y_label = "output unit".into();
    grid.value_label = "|w|".into();
    grid.save(&dir.join("heatmap_grid.svg"))?;

    // Edge cases: nothing to draw.
    LineChart::new(
        Figure::new("An empty chart", "A chart with no data."),
        "x",
        "y",
    )
    .save(&dir.join("empty.svg"))?;

    // Counts binned elsewhere (as a chapter's Report stores them), five panels in one row.
    let bin = |values: &[f64]| -> Vec<u64> {
        let mut counts = vec![0; 50];
        for v in values {
            counts[(((v + 1.0) / 2.0 * 50.0).floor() as usize).min(49)] += 1;
        }
        counts
    };
    let panels = (1..=5)
        .map(|layer| {
            let old: Vec<f64> = (0..4000)
                .map(|_| (noise.sample() * 0.6f64.powi(layer)).tanh())
                .collect();
            let glorot: Vec<f64> = (0..4000).map(|_| (noise.sample() * 0.8).tanh()).collect();
            let series = vec![
                Histogram::binned("U(±1/√n_in)", -1.0, 1.0, &bin(&old)),
                Histogram::binned("Glorot uniform", -1.0, 1.0, &bin(&glorot)),
            ];
            (format!("layer {layer}"), series)
        })
        .collect();
    HistogramGrid::new(
        Figure::new(
            "Activations per layer of a 5-layer tanh net",
            "Five histograms of tanh activations, one per layer, for two initialisations.",
        ),
        panels,
        "activation value",
        5,
    )
    .save(&dir.join("histograms_row.svg"))?;

    HistogramGrid::new(
        Figure::new(
            "Histograms of a diverged run",
            "Two histogram panels: one with no values, one with some non-finite values.",
        ),
        vec![
            ("layer 1".into(), vec![Histogram::new("ReLU", [])]),
            (
                "layer 2".into(),
                vec![Histogram::new(
                    "ReLU",
                    [1.0, 2.0, 2.5, f64::NAN, f64::INFINITY],
                )],
            ),
        ],
        "pre-activation value",
        2,
    )
    .save(&dir.join("edge_histograms.svg"))?;

    println!("wrote the gallery to {}", dir.display());
    Ok(())
}
