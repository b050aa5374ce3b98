//! The house style of `book_pipeline::plot`: tick labels, colours, and that every chart type writes a
//! well-formed, accessible SVG plus the CSV of its data, whatever numbers it is given.

use std::path::PathBuf;

use book_pipeline::plot::{
    Bar, BarChart, BookColor, Chart, Colormap, ContourPlot, Figure, Heatmap, HeatmapGrid,
    Histogram, HistogramGrid, LineChart, LineGrid, Pen, Scale, Series, assign_pens, palette, ticks,
};

fn labels(lo: f64, hi: f64, scale: Scale, max: usize) -> Vec<String> {
    ticks(lo, hi, scale, max).into_iter().map(|t| t.1).collect()
}

/// A fresh folder for one test's files.
fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-plot-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The contents of the SVG's `<text>` elements (plotters puts them on their own lines).
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            t.split_once('>')
                .unwrap()
                .1
                .split("</text>")
                .next()
                .unwrap()
                .trim()
                .to_string()
        })
        .collect()
}

fn has_text(svg: &str, text: &str) -> bool {
    texts(svg).iter().any(|t| t == text)
}

/// The SVG and CSV written for `svg`, after checking what every figure must have.
fn written(svg: &PathBuf, figure: &Figure) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..40.min(text.len())]);
    let title_at = text.find("<title>").expect("a <title>");
    assert_eq!(
        text[..title_at].matches('<').count(),
        1,
        "<title> is the first child of <svg>"
    );
    assert!(text.contains(&format!(
        "<title>{}</title>",
        figure.alt.replace('&', "&amp;")
    )));
    if let Some(caption) = &figure.caption {
        assert!(text.contains(&format!("<desc>{caption}</desc>")));
    }
    assert!(text.trim_end().ends_with("</svg>"));
    for bad in ["NaN", "inf", "\"-2147483648\""] {
        assert!(!text.contains(bad), "{bad} in the SVG");
    }
    let csv = std::fs::read_to_string(svg.with_extension("csv")).unwrap();
    (text, csv.lines().map(str::to_string).collect())
}

#[test]
fn log_ticks_are_powers_of_ten() {
    assert_eq!(
        labels(1e-4, 1e3, Scale::Log10, 10),
        ["1e-4", "1e-3", "1e-2", "1e-1", "1e0", "1e1", "1e2", "1e3"]
    );
    assert_eq!(
        labels(0.8e-4, 1.3e3, Scale::Log10, 10),
        labels(1e-4, 1e3, Scale::Log10, 10),
        "padding adds no tick"
    );
    assert_eq!(
        labels(0.01, 100.0, Scale::Log10, 10),
        ["0.01", "0.1", "1", "10", "100"]
    );
    // Many decades: every other (or every n-th) power, always including 1e0.
    assert_eq!(
        labels(1e-8, 1e8, Scale::Log10, 6),
        ["1e-6", "1e-3", "1e0", "1e3", "1e6"]
    );
    // Under three decades: 1, 2 and 5 times the powers.
    assert_eq!(
        labels(0.15, 12.0, Scale::Log10, 10),
        ["0.2", "0.5", "1", "2", "5", "10"]
    );
    assert_eq!(
        labels(2e-5, 1.5e-3, Scale::Log10, 10),
        ["2e-5", "5e-5", "1e-4", "2e-4", "5e-4", "1e-3"]
    );
    for (v, label) in ticks(1e-4, 1e3, Scale::Log10, 10) {
        assert_eq!(label.parse::<f64>().unwrap(), v, "{label}");
    }
}

#[test]
fn linear_ticks_are_short_and_round() {
    assert_eq!(
        labels(0.0, 1.0, Scale::Linear, 6),
        ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    );
    assert_eq!(
        labels(-0.04, 1.04, Scale::Linear, 6),
        ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    );
    assert_eq!(
        labels(0.0, 2000.0, Scale::Linear, 5),
        ["0", "500", "1000", "1500", "2000"]
    );
    assert_eq!(
        labels(-4.3, 4.3, Scale::Linear, 4),
        ["-4", "-2", "0", "2", "4"],
        "at least three ticks"
    );
    assert_eq!(
        labels(0.0, 4e-5, Scale::Linear, 5),
        ["0", "1e-5", "2e-5", "3e-5", "4e-5"]
    );
    assert_eq!(
        labels(0.0, 3e6, Scale::Linear, 4),
        ["0", "1e6", "2e6", "3e6"]
    );
    assert_eq!(
        labels(0.3, 0.31, Scale::Linear, 3),
        ["0.300", "0.305", "0.310"]
    );
    // A log axis over data that does not reach a power of ten falls back to sensible ticks.
    assert!(labels(0.5, 0.55, Scale::Log10, 5).len() >= 2);
    // Sweep many ranges: labels stay short, distinct, and parse back to their positions.
    for lo in [-1e7, -3.3, -0.02, 0.0, 1e-9, 0.7, 12.0, 2.5e6] {
        for span in [1e-7, 0.013, 1.0, 7.7, 450.0, 3e8] {
            // Spans tiny next to the values themselves would need offset labels: not supported.
            if span < 1e-3 * f64::abs(lo) {
                continue;
            }
            for max in [2, 5, 10] {
                let t = ticks(lo, lo + span, Scale::Linear, max);
                assert!(
                    t.len() >= 2 && t.len() <= 2 * max,
                    "{lo} {span} {max}: {t:?}"
                );
                for (v, label) in &t {
                    assert!(label.len() <= 10, "{label}");
                    let parsed: f64 = label.parse().unwrap();
                    assert!(
                        (parsed - v).abs() <= 1e-6 * span.max(v.abs()),
                        "{label} for {v}"
                    );
                }
                let mut distinct: Vec<&String> = t.iter().map(|x| &x.1).collect();
                distinct.dedup();
                assert_eq!(distinct.len(), t.len(), "{t:?}");
            }
        }
    }
    assert!(ticks(f64::NAN, 1.0, Scale::Linear, 5).is_empty());
    assert!(ticks(1.0, 1.0, Scale::Linear, 5).is_empty());
}

#[test]
fn book_colours_come_from_typed_values() {
    use lab::{Activation, Init};
    assert_eq!(Init::HeNormal.book_color(), Some(palette::VERMILLION));
    assert_eq!(Init::GlorotUniform.book_color(), Some(palette::BLUE));
    assert_eq!(Activation::Relu.book_color(), Some(palette::VERMILLION));
    assert_eq!(Init::Zeros.book_color(), None);
    // The same series has the same pen whatever else is in the figure.
    let gelu = Activation::Gelu.book_color();
    let a = assign_pens(&[("GELU", gelu), ("x", None), ("y", None)]);
    let b = assign_pens(&[("z", None), ("GELU", gelu)]);
    assert_eq!(a[0], b[1]);
    assert_eq!(
        a[0],
        Pen {
            color: palette::BLUE,
            dashed: false
        }
    );
}

#[test]
fn unknown_series_get_distinct_colours_in_a_figure() {
    let relu = lab::Activation::Relu.book_color();
    let names = [
        ("lr 0.1", None),
        ("ReLU", relu),
        ("lr 0.01", None),
        ("lr 0.001", None),
        ("lr 0.1", None),
    ];
    let pens = assign_pens(&names);
    assert_eq!(pens[0], pens[4], "a repeated name repeats its pen");
    assert_eq!(pens[1].color, palette::VERMILLION);
    let unknown = [pens[0], pens[2], pens[3]];
    for (i, p) in unknown.iter().enumerate() {
        assert_ne!(
            p.color,
            palette::VERMILLION,
            "unknown names avoid colours taken by known ones"
        );
        assert_ne!(
            p.color,
            palette::YELLOW,
            "pale yellow is never a line colour"
        );
        for q in &unknown[i + 1..] {
            assert_ne!(p, q);
        }
    }
    // Two known names sharing a colour: the second is dashed.
    let he = lab::Init::HeNormal.book_color();
    let pens = assign_pens(&[("He normal", he), ("He uniform", he)]);
    assert_eq!((pens[0].dashed, pens[1].dashed), (false, true));
    // The first sixteen unknown series are pairwise distinct: the eight cycle colours solid,
    // then dashed (greys are kept for reference lines, never cycled).
    let many: Vec<String> = (0..20).map(|i| format!("run {i}")).collect();
    let pens = assign_pens(&many.iter().map(|n| (n.as_str(), None)).collect::<Vec<_>>());
    assert!(
        pens.iter()
            .all(|p| p.color != palette::GREY && p.color != palette::DARK_GREY)
    );
    for i in 0..pens.len() {
        for j in i + 1..pens.len().min(16) {
            assert_ne!(pens[i], pens[j], "{i} {j}");
        }
    }
}

#[test]
fn line_chart_writes_svg_and_csv() {
    let dir = out_dir("line");
    let figure = Figure::new("Loss", "Loss & accuracy against step.").with_caption("Three seeds.");
    let chart = LineChart::new(figure.clone(), "step", "loss (nats)")
        .log_y()
        .with_series(
            Series::line(
                "He normal",
                (0..50).map(|i| (f64::from(i), 2.0 / f64::from(i + 1))),
            )
            .of(&lab::Init::HeNormal),
        )
        .with_series(
            Series::line("run b", [(0.0, 1.0), (1.0, 0.5)])
                .dashed()
                .with_markers(),
        );
    chart.save(&dir.join("loss.svg")).unwrap();
    let (svg, csv) = written(&dir.join("loss.svg"), &figure);
    assert_eq!(csv[0], "series,x,y");
    assert_eq!(csv.len(), 1 + 52);
    assert_eq!(csv[1], "He normal,0,2");
    assert!(
        has_text(&svg, "He normal") && has_text(&svg, "run b"),
        "legend labels"
    );
    assert!(
        has_text(&svg, "loss (nats)") && has_text(&svg, "step"),
        "axis titles"
    );
    assert!(
        svg.contains("#D55E00"),
        "He normal in its book colour, vermillion"
    );
    assert!(svg.contains("font-family=\"sans-serif\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_finite_points_break_the_line_and_never_reach_the_svg() {
    let dir = out_dir("nan");
    let figure = Figure::new("Diverging run", "A run whose loss stops being a number.");
    let points = vec![
        (0.0, 1.0),
        (1.0, 0.5),
        (2.0, f64::NAN),
        (3.0, 0.4),
        (4.0, 0.3),
        (5.0, f64::INFINITY),
        (f64::NEG_INFINITY, 1.0),
    ];
    LineChart::new(figure.clone(), "step", "loss")
        .with_series(Series::line("a", points.clone()).with_markers())
        .save(&dir.join("nan.svg"))
        .unwrap();
    let (svg, csv) = written(&dir.join("nan.svg"), &figure);
    assert_eq!(
        csv.len(),
        1 + points.len(),
        "the CSV keeps every point, NaN included"
    );
    assert!(csv.contains(&"a,2,NaN".to_string()));
    // Two pieces of line: 0→1 and 3→4 (grid lines are <polyline>s too, so count coloured ones).
    assert_eq!(
        svg.matches("stroke=\"#000000\" stroke-width=\"2\"").count(),
        2 + 1,
        "two pieces and the legend swatch"
    );

    // A series made only of non-finite points: an empty frame with a note, no panic.
    LineChart::new(figure.clone(), "x", "y")
        .with_series(Series::line(
            "b",
            [(f64::NAN, f64::NAN), (1.0, f64::INFINITY)],
        ))
        .save(&dir.join("all_nan.svg"))
        .unwrap();
    let (svg, _) = written(&dir.join("all_nan.svg"), &figure);
    assert!(svg.contains("no finite data"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_axes_skip_zero_and_negative_values() {
    let dir = out_dir("log");
    let figure = Figure::new("Gradient norms", "Gradient norm per step on log axes.");
    let points = vec![
        (0.0, 1.0),
        (1.0, 0.0),
        (2.0, -1.0),
        (3.0, 1e-3),
        (4.0, 1e-5),
        (10.0, 1e-6),
    ];
    LineChart::new(figure.clone(), "step", "gradient norm")
        .log_x()
        .log_y()
        .with_series(Series::line("g", points))
        .save(&dir.join("log.svg"))
        .unwrap();
    let (svg, csv) = written(&dir.join("log.svg"), &figure);
    assert_eq!(csv.len(), 7);
    assert!(
        has_text(&svg, "1e-6") || has_text(&svg, "1e-5"),
        "log tick labels"
    );
    // An explicit non-positive range on a log axis is an error, not a panic.
    let bad = LineChart::new(figure, "x", "y")
        .log_y()
        .with_y_range(0.0, 1.0);
    assert!(bad.save(&dir.join("bad.svg")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_charts_render_with_a_note() {
    let dir = out_dir("empty");
    let figure = Figure::new("Nothing yet", "An empty chart.");
    LineChart::new(figure.clone(), "x", "y")
        .save(&dir.join("line.svg"))
        .unwrap();
    let (svg, csv) = written(&dir.join("line.svg"), &figure);
    assert!(svg.contains("no data"));
    assert_eq!(csv, ["series,x,y"]);
    let saved = |name: &str| written(&dir.join(name), &figure).0.contains("no data");
    BarChart::new(figure.clone(), "y", vec![])
        .save(&dir.join("bars.svg"))
        .unwrap();
    assert!(saved("bars.svg"));
    HistogramGrid::new(figure.clone(), vec![], "x", 2)
        .save(&dir.join("hist.svg"))
        .unwrap();
    assert!(saved("hist.svg"));
    let no_values = vec![("layer 1".to_string(), vec![Histogram::new("a", [])])];
    HistogramGrid::new(figure.clone(), no_values, "x", 2)
        .save(&dir.join("hist1.svg"))
        .unwrap();
    assert!(saved("hist1.svg"));
    Heatmap::new(figure.clone(), vec![], (0.0, 1.0), Colormap::Viridis)
        .save(&dir.join("heat.svg"))
        .unwrap();
    assert!(saved("heat.svg"));
    HeatmapGrid::new(figure.clone(), vec![], (0.0, 1.0), Colormap::Viridis, 2)
        .save(&dir.join("heats.svg"))
        .unwrap();
    assert!(saved("heats.svg"));
    LineGrid::new(figure.clone(), vec![], 2)
        .save(&dir.join("grid.svg"))
        .unwrap();
    assert!(saved("grid.svg"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn line_grid_shares_one_legend() {
    let dir = out_dir("grid");
    let figure = Figure::new("Two panels", "Two line charts side by side.");
    let panel = |title: &str| {
        LineChart::new(Figure::new(title, ""), "x", "y")
            .with_series(Series::line("ReLU", [(0.0, 0.0), (1.0, 1.0)]))
            .with_series(Series::line("tanh", [(0.0, 0.0), (1.0, 0.76)]))
    };
    let grid = LineGrid::new(figure.clone(), vec![panel("left"), panel("right")], 2);
    assert!(grid.figure.size.0 > Figure::DEFAULT_SIZE.0, "grids grow");
    grid.save(&dir.join("grid.svg")).unwrap();
    let (svg, csv) = written(&dir.join("grid.svg"), &figure);
    assert_eq!(
        texts(&svg).iter().filter(|t| *t == "ReLU").count(),
        1,
        "one legend entry per series"
    );
    assert!(has_text(&svg, "left") && has_text(&svg, "right"));
    assert_eq!(csv[0], "panel,series,x,y");
    assert_eq!(csv.len(), 1 + 8);
    assert_eq!(csv[1], "left,ReLU,0,0");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn histograms_write_bin_counts() {
    let dir = out_dir("hist");
    let figure = Figure::new("Pre-activations", "Histograms by layer.");
    let values: Vec<f64> = (0..1000).map(|i| (f64::from(i) * 0.37).sin()).collect();
    let mut grid = HistogramGrid::new(
        figure.clone(),
        vec![
            (
                "layer 1".into(),
                vec![
                    Histogram::new("He normal", values.clone()),
                    Histogram::new("Glorot normal", values.iter().map(|v| v / 2.0)),
                ],
            ),
            (
                "layer 2".into(),
                vec![Histogram::new(
                    "He normal",
                    values.iter().copied().chain([f64::NAN, f64::INFINITY]),
                )],
            ),
        ],
        "value",
        2,
    );
    grid.bins = 20;
    grid.save(&dir.join("hist.svg")).unwrap();
    let (svg, csv) = written(&dir.join("hist.svg"), &figure);
    assert_eq!(csv[0], "panel,series,bin_lo,bin_hi,count");
    assert_eq!(csv.len(), 1 + 3 * 20);
    let total: u64 = csv[1..21]
        .iter()
        .map(|r| r.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 1000, "every finite value in a bin");
    assert!(svg.contains("2 non-finite not shown"));
    grid.density = true;
    grid.shared_x = false;
    grid.save(&dir.join("density.svg")).unwrap();
    assert!(has_text(
        &written(&dir.join("density.svg"), &figure).0,
        "density"
    ));
    grid.bins = 0;
    assert!(grid.save(&dir.join("zero.svg")).is_err());

    // Counts binned elsewhere are drawn (and written) as given, beside raw values.
    let binned = HistogramGrid::new(
        figure.clone(),
        vec![
            (
                "given".into(),
                vec![Histogram::binned("He normal", -1.0, 1.0, &[1, 5, 3, 0])],
            ),
            ("raw".into(), vec![Histogram::new("He normal", [0.5, 2.0])]),
        ],
        "value",
        2,
    );
    binned.save(&dir.join("binned.svg")).unwrap();
    let (_, csv) = written(&dir.join("binned.svg"), &figure);
    assert_eq!(
        &csv[1..5],
        [
            "given,He normal,-1,-0.5,1",
            "given,He normal,-0.5,0,5",
            "given,He normal,0,0.5,3",
            "given,He normal,0.5,1,0"
        ]
    );
    assert_eq!(csv.len(), 1 + 4 + 40);
    assert!(
        csv[5].starts_with("raw,He normal,-1,"),
        "shared x range covers the given bins: {}",
        csv[5]
    );
    let bad = HistogramGrid::new(
        figure.clone(),
        vec![("x".into(), vec![Histogram::binned("a", 1.0, 1.0, &[1])])],
        "v",
        1,
    );
    assert!(bad.save(&dir.join("bad.svg")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn contour_plots_write_their_paths() {
    let dir = out_dir("contour");
    let figure = Figure::new("Ravine", "Contours of a quadratic with a descent path.");
    let path: Vec<(f64, f64)> = (0..30)
        .map(|i| (-4.0 * 0.9f64.powi(i), 1.0 * (-0.7f64).powi(i)))
        .collect();
    ContourPlot::new(
        figure.clone(),
        ("θ₁", "θ₂"),
        (-5.0, 5.0),
        (-2.0, 2.0),
        |x, y| {
            if x > 4.0 {
                f64::NAN
            } else {
                x * x + 10.0 * y * y
            }
        },
    )
    .with_path(Series::line("β = 0", path).with_markers())
    .with_path(Series::points("minimum", [(0.0, 0.0)]))
    .save(&dir.join("c.svg"))
    .unwrap();
    let (svg, csv) = written(&dir.join("c.svg"), &figure);
    assert_eq!(csv[0], "series,step,x,y");
    assert_eq!(csv.len(), 1 + 30 + 1);
    assert!(svg.matches("#BBBBBB").count() >= 10, "contour lines");
    assert!(has_text(&svg, "minimum"));
    let bad = ContourPlot::new(figure, ("x", "y"), (1.0, 1.0), (0.0, 1.0), |x, _| x);
    assert!(bad.save(&dir.join("bad.svg")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bar_charts_write_values_and_errors() {
    let dir = out_dir("bars");
    let figure = Figure::new("Accuracy", "Test accuracy by initialisation.");
    let bars = vec![
        Bar::new("He normal", 88.4).with_error(0.3),
        Bar::new("a rather long label that must wrap", 86.0),
        Bar::new("diverged", f64::NAN),
        Bar::new("negative", -3.0).with_error(f64::INFINITY),
    ];
    BarChart::new(figure.clone(), "accuracy (%)", bars)
        .save(&dir.join("b.svg"))
        .unwrap();
    let (svg, csv) = written(&dir.join("b.svg"), &figure);
    assert_eq!(
        csv,
        [
            "label,value,error",
            "He normal,88.4,0.3",
            "a rather long label that must wrap,86,",
            "diverged,NaN,",
            "negative,-3,inf"
        ]
    );
    assert!(has_text(&svg, "n/a"));
    assert!(
        !has_text(&svg, "a rather long label that must wrap"),
        "long labels wrap"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn heatmaps_write_their_matrices() {
    let dir = out_dir("heat");
    let figure = Figure::new("Similarity", "Cosine similarity between layers.")
        .with_caption("Diagonal is 1.");
    let m: Vec<Vec<f64>> = (0..4)
        .map(|i| (0..4).map(|j| if i == j { 1.0 } else { -0.2 }).collect())
        .collect();
    let mut heat = Heatmap::new(figure.clone(), m.clone(), (-1.0, 1.0), Colormap::Diverging);
    heat.matrix[0][1] = f64::NAN;
    heat.value_label = "cosine".into();
    heat.save(&dir.join("h.svg")).unwrap();
    let (svg, csv) = written(&dir.join("h.svg"), &figure);
    assert_eq!(csv[0], "row,col,value");
    assert_eq!(csv.len(), 1 + 16);
    assert_eq!(csv[2], "0,1,NaN");
    assert!(
        has_text(&svg, "cosine") && has_text(&svg, "-1.0") && has_text(&svg, "1.0"),
        "colour bar labelled with the range"
    );

    let grid = HeatmapGrid::new(
        figure.clone(),
        vec![("a".into(), m.clone()), ("b".into(), m)],
        (0.0, 1.0),
        Colormap::Viridis,
        2,
    );
    grid.save(&dir.join("g.svg")).unwrap();
    let (_, csv) = written(&dir.join("g.svg"), &figure);
    assert_eq!(csv[0], "panel,row,col,value");
    assert_eq!(csv.len(), 1 + 32);

    let ragged = Heatmap::new(
        figure,
        vec![vec![1.0, 2.0], vec![3.0]],
        (0.0, 1.0),
        Colormap::Viridis,
    );
    assert!(ragged.save(&dir.join("r.svg")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn colormaps_span_their_anchors() {
    use book_pipeline::plot::RGBColor;
    assert_eq!(Colormap::Viridis.color_at(0.0), RGBColor(0x44, 0x01, 0x54));
    assert_eq!(Colormap::Viridis.color_at(1.0), RGBColor(0xFD, 0xE7, 0x25));
    assert_eq!(
        Colormap::Diverging.color_at(0.5),
        RGBColor(0xF7, 0xF7, 0xF7),
        "white at zero"
    );
    assert_eq!(
        Colormap::Diverging.color_at(-3.0),
        Colormap::Diverging.color_at(0.0),
        "clamped"
    );
    let _ = Colormap::Viridis.color_at(f64::NAN);
}

#[test]
fn unwritable_paths_are_errors() {
    let figure = Figure::new("t", "a");
    let chart =
        LineChart::new(figure, "x", "y").with_series(Series::line("a", [(0.0, 1.0), (1.0, 2.0)]));
    let err = chart
        .save(std::path::Path::new("/proc/forbidden/f.svg"))
        .unwrap_err();
    assert!(format!("{err:#}").contains("/proc/forbidden"));
}
