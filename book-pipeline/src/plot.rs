//! Figures in the book's house style: SVG drawn with plotters, and the plotted data as CSV.
//!
//! Every chapter's figures look alike: the colour-blind-safe Okabe–Ito [`palette`] with one fixed
//! colour per named series across the book ([`series_color`]), light major grid lines only, tick
//! labels such as `0.2` or `1e-4` ([`ticks`]), legends beside the data rather than over it, axis
//! titles with units, and accessible text: each SVG starts with a `<title>` (the alt text) and a
//! `<desc>` (the caption). Each figure also writes its data beside the SVG as CSV (same stem), so
//! every plotted number can be checked.
//!
//! Chart types: [`LineChart`] and its small multiples [`LineGrid`]; [`HistogramGrid`];
//! [`ContourPlot`] (a loss landscape with optimiser trajectories); [`BarChart`]; [`Heatmap`] and
//! [`HeatmapGrid`].
//!
//! Bad numbers never crash a figure: a NaN or ±∞ point is skipped and its line broken there, and so
//! is a zero or negative value on a log axis. A chart with nothing to show says so in its frame.
//!
//! We use plotters only as an SVG pen (lines, rectangles, circles, text in pixel coordinates) and
//! lay the figure out ourselves: that is what lets us choose the ticks, place the legend and fit
//! the labels.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use anyhow::{Result, anyhow, bail, ensure};
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::{
    Circle, Color, DrawingArea, FontDesc, FontFamily, FontStyle, FontTransform, IntoDrawingArea,
    PathElement, RGBAColor, Rectangle, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{Table, write_atomic};

/// Colours are plotters' RGB triples; re-exported so that chapters need not depend on plotters.
pub use plotters::style::RGBColor;

// ──── colours ────────────────────────────────────────────────────────────────────────────────

/// The Okabe–Ito palette (Okabe & Ito, 2008): eight colours that stay distinguishable under the
/// common colour-vision deficiencies, plus a darkened yellow and greys for lines on white.
pub mod palette {
    use plotters::style::RGBColor;

    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Faint as a line on white: for fills; lines use [`DARK_YELLOW`].
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Yellow darkened enough to read as a line on white.
    pub const DARK_YELLOW: RGBColor = RGBColor(0xB8, 0xA0, 0x00);
    pub const DARK_GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
    /// For references drawn behind the data: identity lines, theory curves.
    pub const GREY: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);
    /// Outside Okabe–Ito: only for a tenth activation function (softplus).
    pub const BROWN: RGBColor = RGBColor(0x8C, 0x56, 0x4B);

    /// The order in which series without a book-wide colour take colours within a figure: the
    /// seven Okabe–Ito line colours and the darkened yellow; past those, they repeat with dashes.
    /// Greys are left out: grey is for reference lines (theory, chance, a baseline).
    pub const CYCLE: [RGBColor; 8] = [
        BLACK,
        ORANGE,
        SKY_BLUE,
        BLUISH_GREEN,
        BLUE,
        VERMILLION,
        REDDISH_PURPLE,
        DARK_YELLOW,
    ];
}

use palette::*;

/// Series that have one colour in the whole book, whichever chapter draws them.
const BOOK_COLORS: &[(&str, RGBColor)] = &[
    // initialisations
    ("He", VERMILLION),
    ("He normal", VERMILLION),
    ("He uniform", VERMILLION),
    ("Kaiming", VERMILLION),
    ("Kaiming normal", VERMILLION),
    ("Kaiming uniform", VERMILLION),
    ("Glorot", BLUE),
    ("Glorot normal", BLUE),
    ("Glorot uniform", BLUE),
    ("Xavier", BLUE),
    ("Xavier normal", BLUE),
    ("Xavier uniform", BLUE),
    ("LeCun", BLUISH_GREEN),
    ("LeCun normal", BLUISH_GREEN),
    ("LeCun uniform", BLUISH_GREEN),
    ("U(±1/√n_in)", ORANGE),
    ("N(0, 1)", BLACK),
    ("N(0, 0.01²)", REDDISH_PURPLE),
    ("1/n_in", SKY_BLUE),
    // activations
    ("ReLU", VERMILLION),
    ("leaky ReLU", ORANGE),
    ("leaky ReLU 0.01", ORANGE),
    ("leaky ReLU 0.2", ORANGE),
    ("ELU", REDDISH_PURPLE),
    ("SELU", BLUISH_GREEN),
    ("GELU", BLUE),
    ("Swish", SKY_BLUE),
    ("SiLU", SKY_BLUE),
    ("Mish", DARK_GREY),
    ("tanh", BLACK),
    ("sigmoid", DARK_YELLOW),
    ("softplus", BROWN),
    ("identity", GREY),
    ("linear", GREY),
    ("theory", GREY),
    // chapter 2's starting points
    ("random (He normal)", VERMILLION),
    ("constant", BLACK),
    ("constant + dropout", SKY_BLUE),
    ("constant + dropout 0.5", SKY_BLUE),
    ("all zeros", REDDISH_PURPLE),
    // chapter 5's optimal heavy ball
    ("optimal α*, β*", BLACK),
    // dropout rates
    ("p = 0", BLACK),
    ("p = 0.2", SKY_BLUE),
    ("p = 0.5", VERMILLION),
    // momentum
    ("β = 0", BLACK),
    ("β = 0.9", BLUE),
    ("β = 0.99", BLUISH_GREEN),
    ("β = 0.999", ORANGE),
    ("β = 0.99999", VERMILLION),
];

/// The key a series name is looked up by: case, spaces, brackets and a trailing "init" are
/// ignored, so "He (normal)", "he normal" and "He normal init" are the same series.
fn name_key(name: &str) -> String {
    let key: String = name
        .to_lowercase()
        .replace("beta", "β")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')'))
        .collect();
    ["initialization", "initialisation", "init"]
        .iter()
        .find_map(|suffix| key.strip_suffix(suffix).filter(|k| !k.is_empty()))
        .map_or(key.clone(), str::to_string)
}

/// The book-wide colour of a known series name ("He normal", "ReLU", "β = 0.9", ...), if any.
/// An unknown name "A + B" takes the colour of A if A has one: "SELU + LeCun normal" is SELU's.
pub fn book_color(name: &str) -> Option<RGBColor> {
    let lookup = |name: &str| {
        let key = name_key(name);
        BOOK_COLORS
            .iter()
            .find(|(n, _)| name_key(n) == key)
            .map(|&(_, c)| c)
    };
    lookup(name).or_else(|| {
        let (head, _) = name.split_once(" + ")?;
        lookup(head)
    })
}

/// The colour of a series called `name`: its book-wide colour if it has one, else a palette
/// colour picked by the name (stable, but two unknown names may share it; within a figure,
/// [`assign_pens`] gives unknown names distinct colours instead).
pub fn series_color(name: &str) -> RGBColor {
    book_color(name).unwrap_or_else(|| {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        CYCLE[(hash % 8) as usize]
    })
}

/// How a series is drawn: its colour, and whether its line is dashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pen {
    pub color: RGBColor,
    pub dashed: bool,
}

/// Pens for the series of one figure, in order (a repeated name gets the same pen).
///
/// Known names keep their book-wide colour; the others take [`palette::CYCLE`] in order of
/// appearance, skipping colours that known names already use in this figure. A colour given to a
/// second name in the same figure (say "He normal" and "He uniform") is dashed the second time,
/// and so are colours reused once the cycle runs out. Explicit colours are never dashed here.
pub fn assign_pens(names: &[&str]) -> Vec<Pen> {
    let items: Vec<(&str, Option<RGBColor>)> = names.iter().map(|&n| (n, None)).collect();
    pens_with_overrides(&items)
}

/// [`assign_pens`] where some series carry an explicit colour (which other series then avoid).
fn pens_with_overrides(items: &[(&str, Option<RGBColor>)]) -> Vec<Pen> {
    let fixed = |name: &str, explicit: Option<RGBColor>| explicit.or_else(|| book_color(name));
    let mut reserved: Vec<RGBColor> = items.iter().filter_map(|&(n, c)| fixed(n, c)).collect();
    let mut given: Vec<RGBColor> = Vec::new();
    let mut by_name: HashMap<&str, Pen> = HashMap::new();
    let mut overflow = 0;
    let mut pens = Vec::with_capacity(items.len());
    for &(name, explicit) in items {
        // Unnamed series are all different series.
        if let Some(&pen) = by_name.get(name).filter(|_| !name.is_empty()) {
            pens.push(pen);
            continue;
        }
        let pen = match fixed(name, explicit) {
            // An explicit colour is the caller's choice: never dashed on our own account.
            Some(color) if explicit.is_some() => Pen {
                color,
                dashed: false,
            },
            Some(color) => Pen {
                color,
                dashed: given.contains(&color),
            },
            None => match CYCLE.iter().find(|c| !reserved.contains(c)) {
                Some(&color) => {
                    reserved.push(color);
                    Pen {
                        color,
                        dashed: false,
                    }
                }
                None => {
                    overflow += 1;
                    Pen {
                        color: CYCLE[(overflow - 1) % 8],
                        dashed: true,
                    }
                }
            },
        };
        given.push(pen.color);
        by_name.insert(name, pen);
        pens.push(pen);
    }
    pens
}

/// A colour scale for heatmaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Sequential, dark purple → yellow, perceptually uniform and colour-blind safe.
    #[default]
    Viridis,
    /// Blue → white → red, for signed values around zero such as a cosine similarity in [−1, 1].
    Diverging,
}

impl Colormap {
    /// The colour at `t` ∈ [0, 1] (clamped), interpolated between the map's anchor colours.
    pub fn color_at(self, t: f64) -> RGBColor {
        const VIRIDIS: [u32; 9] = [
            0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30,
            0xFDE725,
        ];
        // ColorBrewer RdBu, reversed so that negative is blue.
        const DIVERGING: [u32; 9] = [
            0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D,
            0xB2182B,
        ];
        let anchors = match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::Diverging => &DIVERGING,
        };
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) } * (anchors.len() - 1) as f64;
        let i = (t.floor() as usize).min(anchors.len() - 2);
        let f = t - i as f64;
        let channel = |c: u32, shift: u32| f64::from((c >> shift) & 0xFF);
        let mix = |shift| {
            (channel(anchors[i], shift) * (1.0 - f) + channel(anchors[i + 1], shift) * f).round()
                as u8
        };
        RGBColor(mix(16), mix(8), mix(0))
    }
}

// ──── ticks ──────────────────────────────────────────────────────────────────────────────────

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    /// Powers of ten equally spaced; only positive values can be drawn.
    Log10,
}

/// At most about `max_ticks` tick positions with their labels for an axis from `lo` to `hi`.
///
/// Linear axes step by 1, 2 or 5 times a power of ten, labelled with just enough decimals
/// (`0.0`, `0.2`, …) or in `2e-5` form for very small or large numbers. Log axes tick at powers
/// of ten, labelled `1e-4`, `1e-3`, … (or `0.01`, `1`, `100` when every tick lies in
/// [0.01, 1000]); a log axis spanning fewer than three powers of ten adds 2 and 5 times them.
pub fn ticks(lo: f64, hi: f64, scale: Scale, max_ticks: usize) -> Vec<(f64, String)> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if !(lo.is_finite() && hi.is_finite()) || lo == hi {
        return Vec::new();
    }
    match scale {
        Scale::Log10 if lo > 0.0 => log_ticks(lo, hi, max_ticks.max(2)),
        _ => linear_ticks(lo, hi, max_ticks.max(2)),
    }
}

fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    let base = 10f64.powf(((hi - lo) / max_ticks as f64).log10().floor());
    let first = |step: f64| (lo / step - 1e-9).ceil();
    let last = |step: f64| (hi / step + 1e-9).floor();
    let count = |step: f64| (last(step) - first(step) + 1.0) as usize;
    let steps = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0].map(|m| m * base);
    // The finest step that fits; but never fewer than three ticks (two on a tiny axis) when a
    // slightly finer step gives them.
    let least = max_ticks.min(3);
    let step = match steps.iter().copied().find(|&s| count(s) <= max_ticks) {
        Some(s) if count(s) >= least => s,
        _ => steps
            .iter()
            .rev()
            .copied()
            .find(|&s| count(s) >= least)
            .unwrap_or(base),
    };
    let values: Vec<f64> = (first(step) as i64..=last(step) as i64)
        .map(|i| i as f64 * step)
        .collect();
    let labels = linear_labels(&values, step);
    values.into_iter().zip(labels).collect()
}

/// Labels for ticks `step` apart: fixed decimals, or `1.5e-4` form for tiny or huge values.
fn linear_labels(values: &[f64], step: f64) -> Vec<String> {
    let step_exp = (step.log10() + 1e-9).floor();
    let decimals = (-step_exp).max(0.0) as usize;
    let biggest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if biggest < 1e5 && decimals <= 3 {
        return values
            .iter()
            .map(|&v| format!("{:.decimals$}", v + 0.0))
            .collect();
    }
    let sci = |v: f64| {
        let digits = ((v.abs().log10() + 1e-9).floor() - step_exp).max(0.0) as usize;
        let s = format!("{v:.digits$e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    };
    values
        .iter()
        .map(|&v| if v == 0.0 { "0".to_string() } else { sci(v) })
        .collect()
}

fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    let (a, b) = (lo.log10(), hi.log10());
    let (e0, e1) = ((a - 1e-9).ceil() as i32, (b + 1e-9).floor() as i32);
    // Each tick is m · 10^e, kept as (m, e) so that labels never go through a rounded float.
    let decade_ticks = |mantissas: &[i64]| -> Vec<(i64, i32)> {
        (a.floor() as i32..=b.ceil() as i32)
            .flat_map(|e| mantissas.iter().map(move |&m| (m, e)))
            .filter(|&(m, e)| {
                (lo * (1.0 - 1e-9)..=hi * (1.0 + 1e-9)).contains(&(m as f64 * 10f64.powi(e)))
            })
            .collect()
    };
    let powers = (e1 - e0 + 1).max(0) as usize;
    let marks = if powers >= 3 {
        // Every power of ten, or every second, third, ... when there are too many (but at least
        // the first and last).
        let stride = powers.div_ceil(max_ticks) as i32;
        let every: Vec<(i64, i32)> = (e0..=e1)
            .filter(|e| e.rem_euclid(stride) == 0)
            .map(|e| (1, e))
            .collect();
        if every.len() >= 2 {
            every
        } else {
            vec![(1, e0), (1, e1)]
        }
    } else {
        // Less than three decades: 1, 2 and 5 times each power if they fit, else every digit.
        [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9], &[1]]
            .iter()
            .map(|m| decade_ticks(m))
            .find(|t| (3..=max_ticks).contains(&t.len()))
            .unwrap_or_else(|| decade_ticks(&[1]))
    };
    if marks.len() < 2 {
        return linear_ticks(lo, hi, max_ticks);
    }
    let plain = marks.iter().all(|&(_, e)| (-2..=3).contains(&e));
    marks
        .into_iter()
        .map(|(m, e)| {
            let label = match (plain, e) {
                (true, e) if e >= 0 => format!("{}", m * 10i64.pow(e as u32)),
                (true, e) => format!("{:.*}", (-e) as usize, m as f64 * 10f64.powi(e)),
                (false, e) if m == 1 => format!("1e{e}"),
                (false, e) => format!("{m}e{e}"),
            };
            (m as f64 * 10f64.powi(e), label)
        })
        .collect()
}

/// Unlabelled minor ticks at 2…9 × 10^e on a log axis of at most eight decades.
fn log_minor_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    if b - a > 8.0 {
        return Vec::new();
    }
    (a.floor() as i32..=b.ceil() as i32)
        .flat_map(|e| (2..=9).map(move |m| f64::from(m) * 10f64.powi(e)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// The range of the finite values (positive ones on a log axis), padded a little on each side:
/// 4% of the span on a linear axis, 4% of the decades (at least 0.05 decade) on a log axis.
fn padded_range(values: impl Iterator<Item = f64>, scale: Scale) -> Option<(f64, f64)> {
    let usable = |v: &f64| v.is_finite() && (scale == Scale::Linear || *v > 0.0);
    let (lo, hi) = values
        .filter(usable)
        .fold(None, |r: Option<(f64, f64)>, v| {
            Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })?;
    Some(match scale {
        Scale::Linear if lo == hi => {
            let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
            (lo - d, hi + d)
        }
        Scale::Linear => (lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)),
        Scale::Log10 => {
            let (a, b) = (lo.log10(), hi.log10());
            let pad = if a == b {
                0.5
            } else {
                (0.04 * (b - a)).max(0.05)
            };
            (10f64.powf(a - pad), 10f64.powf(b + pad))
        }
    })
}

/// The axis range to draw: `explicit` if given (checked), else the padded data range, else a
/// default when there is no drawable data.
fn axis_range(
    values: impl Iterator<Item = f64>,
    scale: Scale,
    explicit: Option<(f64, f64)>,
) -> Result<(f64, f64)> {
    if let Some((lo, hi)) = explicit {
        ensure!(
            lo.is_finite() && hi.is_finite() && lo < hi,
            "axis range ({lo}, {hi}) must be finite with lo < hi"
        );
        ensure!(
            scale == Scale::Linear || lo > 0.0,
            "a log axis needs a positive range, not ({lo}, {hi})"
        );
        return Ok((lo, hi));
    }
    Ok(padded_range(values, scale).unwrap_or(match scale {
        Scale::Linear => (0.0, 1.0),
        Scale::Log10 => (1.0, 10.0),
    }))
}

// ──── public chart types ─────────────────────────────────────────────────────────────────────

/// What every figure has: a title drawn at the top, alt text and an optional caption (written into
/// the SVG as `<title>` and `<desc>` for screen readers), and a canvas size in pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub title: String,
    /// One sentence saying what the figure shows, for readers who cannot see it.
    pub alt: String,
    pub caption: Option<String>,
    pub size: (u32, u32),
}

impl Figure {
    /// The default canvas, shown about 700 px wide in the book.
    pub const DEFAULT_SIZE: (u32, u32) = (800, 500);

    pub fn new(title: impl Into<String>, alt: impl Into<String>) -> Self {
        Figure {
            title: title.into(),
            alt: alt.into(),
            caption: None,
            size: Self::DEFAULT_SIZE,
        }
    }

    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// A grid figure keeps an explicit size, but a default-sized one grows to fit its panels:
    /// `cell` px each plus `extra_width` (legend), at most 1100 px wide (cells shrink beyond).
    fn sized_for_grid(
        mut self,
        panels: usize,
        columns: usize,
        cell: (u32, u32),
        extra_width: u32,
    ) -> Self {
        if self.size == Self::DEFAULT_SIZE && panels > 1 {
            let columns = columns.clamp(1, panels) as u32;
            let rows = panels.div_ceil(columns as usize) as u32;
            let cell_w = cell.0.min(1100u32.saturating_sub(extra_width) / columns);
            self.size = (cell_w * columns + extra_width, cell.1 * rows + 50);
        }
        self
    }
}

/// A named sequence of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend label; also picks the colour (see [`series_color`]). Empty: not in the legend.
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// Overrides the colour the name would get.
    pub color: Option<RGBColor>,
    /// Draw a dot at each point.
    pub markers: bool,
    /// Join the points with a line (false: a scatter of dots).
    pub joined: bool,
}

impl Series {
    /// Points joined by a solid line.
    pub fn line(name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points: points.into_iter().collect(),
            dashed: false,
            color: None,
            markers: false,
            joined: true,
        }
    }

    /// Points drawn as dots without a line, e.g. to mark a minimum.
    pub fn points(name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Series {
            markers: true,
            joined: false,
            ..Series::line(name, points)
        }
    }

    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }

    pub fn with_markers(mut self) -> Self {
        self.markers = true;
        self
    }

    pub fn color(mut self, color: RGBColor) -> Self {
        self.color = Some(color);
        self
    }
}

/// Lines on linear or log axes: training curves, activation statistics against depth, ...
pub struct LineChart {
    pub figure: Figure,
    /// Axis titles, with units: "step", "loss (nats)".
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    /// Fixed axis ranges; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

impl LineChart {
    pub fn new(figure: Figure, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LineChart {
            figure,
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: Vec::new(),
            x_range: None,
            y_range: None,
        }
    }

    pub fn log_x(mut self) -> Self {
        self.x_scale = Scale::Log10;
        self
    }

    pub fn log_y(mut self) -> Self {
        self.y_scale = Scale::Log10;
        self
    }

    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    pub fn with_x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Write the chart to `svg_path` and its points to the `.csv` beside it (`series,x,y`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        save_lines(&self.figure, &[self], 1, false, svg_path)
    }
}

/// Small multiples: line charts in a grid sharing one legend (a series name has one colour in all
/// panels). Each panel keeps its own labels, scales and ranges; its `figure.title` titles the
/// panel and the rest of its `figure` is unused.
pub struct LineGrid {
    pub figure: Figure,
    pub panels: Vec<LineChart>,
    pub columns: usize,
}

impl LineGrid {
    /// A grid `columns` wide; a default-sized figure grows to about 320 × 290 px a panel.
    pub fn new(figure: Figure, panels: Vec<LineChart>, columns: usize) -> Self {
        let figure = figure.sized_for_grid(panels.len(), columns, (320, 290), 180);
        LineGrid {
            figure,
            panels,
            columns,
        }
    }

    /// Write the grid to `svg_path` and its points to the `.csv` beside it (`panel,series,x,y`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        let panels: Vec<&LineChart> = self.panels.iter().collect();
        save_lines(&self.figure, &panels, self.columns, true, svg_path)
    }
}

/// One histogram series: raw values (binned by the [`HistogramGrid`]), or counts binned already.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub name: String,
    pub values: Vec<f64>,
    /// Counts binned elsewhere, drawn as given (`values` is then ignored for binning).
    pub bins: Option<Bins>,
}

/// Counts over equal bins from `lo` to `hi`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<u64>,
}

impl Histogram {
    pub fn new(name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Self {
        Histogram {
            name: name.into(),
            values: values.into_iter().collect(),
            bins: None,
        }
    }

    /// A series already binned: `counts` over equal bins from `lo` to `hi`.
    pub fn binned(name: impl Into<String>, lo: f64, hi: f64, counts: &[u64]) -> Self {
        let bins = Bins {
            lo,
            hi,
            counts: counts.to_vec(),
        };
        Histogram {
            name: name.into(),
            values: Vec::new(),
            bins: Some(bins),
        }
    }
}

/// Histograms in a grid of panels (one per layer, say), each overlaying one or more series as
/// translucent bars with a solid outline.
pub struct HistogramGrid {
    pub figure: Figure,
    /// (panel title, the series in that panel).
    pub panels: Vec<(String, Vec<Histogram>)>,
    /// How many bins raw values are binned into.
    pub bins: usize,
    pub x_label: String,
    pub columns: usize,
    /// One x range (and the same bin edges) for every panel, so panels compare directly.
    pub shared_x: bool,
    /// Plot densities (area 1 per series) instead of counts.
    pub density: bool,
}

impl HistogramGrid {
    /// 40 bins, shared x, counts; a default-sized figure grows to about 300 × 270 px a panel.
    pub fn new(
        figure: Figure,
        panels: Vec<(String, Vec<Histogram>)>,
        x_label: impl Into<String>,
        columns: usize,
    ) -> Self {
        let figure = figure.sized_for_grid(panels.len(), columns, (300, 270), 160);
        HistogramGrid {
            figure,
            panels,
            bins: 40,
            x_label: x_label.into(),
            columns,
            shared_x: true,
            density: false,
        }
    }

    /// Write the figure to `svg_path` and the bin counts to the `.csv` beside it
    /// (`panel,series,bin_lo,bin_hi,count`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        save_histograms(self, svg_path)
    }
}

/// Contour lines of a function of two variables (a loss surface), with paths drawn over it
/// (optimiser trajectories; a [`Series::points`] marks the minimum).
pub struct ContourPlot {
    pub figure: Figure,
    pub x_label: String,
    pub y_label: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub f: Box<dyn Fn(f64, f64) -> f64>,
    /// The values to draw contour lines at; empty picks 12 levels, each half as high above the
    /// minimum of f as the one before.
    pub levels: Vec<f64>,
    pub paths: Vec<Series>,
}

impl ContourPlot {
    pub fn new(
        figure: Figure,
        (x_label, y_label): (&str, &str),
        x_range: (f64, f64),
        y_range: (f64, f64),
        f: impl Fn(f64, f64) -> f64 + 'static,
    ) -> Self {
        ContourPlot {
            figure,
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_range,
            y_range,
            f: Box::new(f),
            levels: Vec::new(),
            paths: Vec::new(),
        }
    }

    pub fn with_path(mut self, path: Series) -> Self {
        self.paths.push(path);
        self
    }

    /// Write the figure to `svg_path` and the paths to the `.csv` beside it (`series,step,x,y`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        save_contours(self, svg_path)
    }
}

/// One bar of a [`BarChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Half-length of the error bar (± one standard deviation, say).
    pub error: Option<f64>,
    pub color: Option<RGBColor>,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: f64) -> Self {
        Bar {
            label: label.into(),
            value,
            error: None,
            color: None,
        }
    }

    pub fn with_error(mut self, error: f64) -> Self {
        self.error = Some(error);
        self
    }
}

/// Vertical bars with optional error bars, one per category; long labels wrap under their bar.
/// Bars named like a known series take its book-wide colour; other bars are blue.
pub struct BarChart {
    pub figure: Figure,
    pub y_label: String,
    pub bars: Vec<Bar>,
    pub y_range: Option<(f64, f64)>,
}

impl BarChart {
    pub fn new(figure: Figure, y_label: impl Into<String>, bars: Vec<Bar>) -> Self {
        BarChart {
            figure,
            y_label: y_label.into(),
            bars,
            y_range: None,
        }
    }

    /// Write the chart to `svg_path` and the bars to the `.csv` beside it (`label,value,error`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        save_bars(self, svg_path)
    }
}

/// A matrix drawn as coloured cells (row 0 at the top) with a colour bar.
pub struct Heatmap {
    pub figure: Figure,
    /// Rows of equal length.
    pub matrix: Vec<Vec<f64>>,
    pub x_label: String,
    pub y_label: String,
    /// The values at the two ends of the colour map; values outside are clamped.
    pub range: (f64, f64),
    pub colormap: Colormap,
    /// Title of the colour bar: what the colour means ("cosine similarity").
    pub value_label: String,
    /// Column and row names; empty: numbered from 0.
    pub x_ticks: Vec<String>,
    pub y_ticks: Vec<String>,
}

impl Heatmap {
    pub fn new(
        figure: Figure,
        matrix: Vec<Vec<f64>>,
        range: (f64, f64),
        colormap: Colormap,
    ) -> Self {
        Heatmap {
            figure,
            matrix,
            x_label: String::new(),
            y_label: String::new(),
            range,
            colormap,
            value_label: String::new(),
            x_ticks: Vec::new(),
            y_ticks: Vec::new(),
        }
    }

    /// Write the heatmap to `svg_path` and the matrix to the `.csv` beside it (`row,col,value`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        let grid = HeatmapGrid {
            figure: self.figure.clone(),
            panels: vec![(String::new(), self.matrix.clone())],
            x_label: self.x_label.clone(),
            y_label: self.y_label.clone(),
            range: self.range,
            colormap: self.colormap,
            value_label: self.value_label.clone(),
            x_ticks: self.x_ticks.clone(),
            y_ticks: self.y_ticks.clone(),
            columns: 1,
        };
        save_heatmaps(&grid, false, svg_path)
    }
}

/// Several heatmaps side by side on one colour scale, with one colour bar.
pub struct HeatmapGrid {
    pub figure: Figure,
    /// (panel title, matrix).
    pub panels: Vec<(String, Vec<Vec<f64>>)>,
    pub x_label: String,
    pub y_label: String,
    pub range: (f64, f64),
    pub colormap: Colormap,
    pub value_label: String,
    pub x_ticks: Vec<String>,
    pub y_ticks: Vec<String>,
    pub columns: usize,
}

impl HeatmapGrid {
    /// A default-sized figure grows to about 290 × 320 px a panel.
    pub fn new(
        figure: Figure,
        panels: Vec<(String, Vec<Vec<f64>>)>,
        range: (f64, f64),
        colormap: Colormap,
        columns: usize,
    ) -> Self {
        let figure = figure.sized_for_grid(panels.len(), columns, (290, 320), 150);
        HeatmapGrid {
            figure,
            panels,
            x_label: String::new(),
            y_label: String::new(),
            range,
            colormap,
            value_label: String::new(),
            x_ticks: Vec::new(),
            y_ticks: Vec::new(),
            columns,
        }
    }

    /// Write the figure to `svg_path` and the matrices to the `.csv` beside it
    /// (`panel,row,col,value`).
    pub fn save(&self, svg_path: &Path) -> Result<()> {
        save_heatmaps(self, true, svg_path)
    }
}

// ──── sizes and text ─────────────────────────────────────────────────────────────────────────

/// Text sizes (px) on an 800 px wide canvas; wider canvases scale them up so that text reads the
/// same when the book shrinks the figure to its ~700 px column.
const TITLE_PX: f64 = 20.0;
const LABEL_PX: f64 = 16.0;
const TICK_PX: f64 = 13.0;
const LEGEND_PX: f64 = 14.0;

const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const AXIS: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);
const NOTE: RGBColor = RGBColor(0x77, 0x77, 0x77);
const CONTOUR: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
const MISSING: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);
const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// Estimated width of `text` at `px`: sans-serif glyphs average about 0.6 em.
fn text_width(text: &str, px: f64) -> f64 {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 0.6 * px
}

/// How a piece of text is set: size, colour, which point of the text sits at the anchor.
#[derive(Clone, Copy)]
struct Font {
    px: f64,
    color: RGBColor,
    h: HPos,
    v: VPos,
    vertical: bool,
    italic: bool,
}

impl Font {
    fn new(px: f64) -> Self {
        Font {
            px,
            color: TEXT,
            h: HPos::Left,
            v: VPos::Center,
            vertical: false,
            italic: false,
        }
    }

    fn anchor(self, h: HPos, v: VPos) -> Self {
        Font { h, v, ..self }
    }

    fn color(self, color: RGBColor) -> Self {
        Font { color, ..self }
    }

    /// Read bottom to top (a y-axis title).
    fn vertical(self) -> Self {
        Font {
            vertical: true,
            ..self
        }
    }

    fn italic(self) -> Self {
        Font {
            italic: true,
            ..self
        }
    }
}

/// An axis-aligned rectangle in canvas pixels (y grows downwards).
#[derive(Clone, Copy, Debug)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    fn cx(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    fn cy(&self) -> f64 {
        (self.y0 + self.y1) / 2.0
    }
}

// ──── the canvas ─────────────────────────────────────────────────────────────────────────────

/// The SVG being drawn, with drawing helpers in pixel coordinates.
struct Canvas<'a> {
    area: DrawingArea<SVGBackend<'a>, Shift>,
    /// Size multiplier for text and spacing: 1 up to 800 px wide, more on wider canvases.
    k: f64,
}

fn draw_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw the figure: {e}")
}

fn ipt((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

/// Draw a figure into an SVG string.
fn render(size: (u32, u32), draw: impl FnOnce(&Canvas) -> Result<()>) -> Result<String> {
    ensure!(
        size.0 >= 100 && size.1 >= 100,
        "a figure needs at least 100×100 px, not {}×{}",
        size.0,
        size.1
    );
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        let canvas = Canvas {
            area,
            k: (f64::from(size.0) / 800.0).max(1.0),
        };
        draw(&canvas)?;
        canvas.area.present().map_err(draw_err)?;
    }
    Ok(svg)
}

impl Canvas<'_> {
    fn size(&self) -> (f64, f64) {
        let (w, h) = self.area.dim_in_pixel();
        (f64::from(w), f64::from(h))
    }

    /// A line width of `px` on an 800 px canvas.
    fn stroke(&self, px: f64) -> u32 {
        (px * self.k).round().max(1.0) as u32
    }

    fn font(&self, px: f64) -> Font {
        Font::new(px * self.k)
    }

    fn text(&self, text: &str, at: (f64, f64), font: Font) -> Result<()> {
        let style = if font.italic {
            FontStyle::Italic
        } else {
            FontStyle::Normal
        };
        // plotters writes font-size = size / 1.24 into the SVG.
        let mut desc = FontDesc::new(FontFamily::SansSerif, font.px * 1.24, style);
        if font.vertical {
            desc = desc.transform(FontTransform::Rotate270);
        }
        let style = desc.color(&font.color).pos(Pos::new(font.h, font.v));
        self.area
            .draw(&Text::new(text, ipt(at), style))
            .map_err(draw_err)
    }

    /// A polyline, solid or dashed; consecutive points on the same pixel are merged.
    fn path(&self, points: &[(f64, f64)], color: RGBColor, width: u32, dashed: bool) -> Result<()> {
        let pieces = if dashed {
            dashes(points, 7.0 * self.k, 4.0 * self.k)
        } else {
            vec![points.to_vec()]
        };
        for piece in pieces {
            let mut pixels: Vec<(i32, i32)> = piece.iter().map(|&p| ipt(p)).collect();
            pixels.dedup();
            if pixels.len() >= 2 {
                self.area
                    .draw(&PathElement::new(pixels, color.stroke_width(width)))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }

    fn line(&self, a: (f64, f64), b: (f64, f64), color: RGBColor, width: u32) -> Result<()> {
        self.path(&[a, b], color, width, false)
    }

    fn fill(&self, r: Rect, color: RGBAColor) -> Result<()> {
        let rect = Rectangle::new([ipt((r.x0, r.y0)), ipt((r.x1, r.y1))], color.filled());
        self.area.draw(&rect).map_err(draw_err)
    }

    fn outline(&self, r: Rect, color: RGBColor) -> Result<()> {
        let rect = Rectangle::new(
            [ipt((r.x0, r.y0)), ipt((r.x1, r.y1))],
            color.stroke_width(1),
        );
        self.area.draw(&rect).map_err(draw_err)
    }

    fn dot(&self, at: (f64, f64), radius: f64, color: RGBColor) -> Result<()> {
        let r = radius.round().max(1.0) as i32;
        self.area
            .draw(&Circle::new(ipt(at), r, color.filled()))
            .map_err(draw_err)
    }

    /// The figure title, centred over `span` (x0, x1), shrunk if it would not fit.
    fn title(&self, title: &str, span: (f64, f64)) -> Result<()> {
        if title.is_empty() {
            return Ok(());
        }
        let room = self.size().0 - 16.0 * self.k;
        let px = (TITLE_PX * self.k)
            .min(room / (0.6 * title.chars().count() as f64))
            .max(11.0);
        // Centred over the panels, but kept inside the canvas.
        let (w, half, margin) = (self.size().0, text_width(title, px) / 2.0, 8.0 * self.k);
        let cx = if 2.0 * (half + margin) >= w {
            w / 2.0
        } else {
            ((span.0 + span.1) / 2.0).clamp(half + margin, w - half - margin)
        };
        self.text(
            title,
            (cx, 8.0 * self.k),
            Font::new(px).anchor(HPos::Center, VPos::Top),
        )
    }

    /// A short grey note in the middle of a frame ("no data").
    fn note(&self, frame: Rect, text: &str) -> Result<()> {
        let font = self
            .font(LEGEND_PX)
            .anchor(HPos::Center, VPos::Center)
            .color(NOTE)
            .italic();
        self.text(text, (frame.cx(), frame.cy()), font)
    }
}

/// Split a polyline into dashes `on` px long with `off` px gaps.
fn dashes(points: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let Some(&first) = points.first() else {
        return out;
    };
    let (mut drawing, mut left, mut current) = (true, on, vec![first]);
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let mut t = 0.0;
        while len - t > left {
            t += left;
            let p = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
            if drawing {
                current.push(p);
                out.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            drawing = !drawing;
            left = if drawing { on } else { off };
        }
        left -= len - t;
        if drawing {
            current.push(b);
        }
    }
    if drawing && current.len() >= 2 {
        out.push(current);
    }
    out
}

// ──── axes, frames, layout ───────────────────────────────────────────────────────────────────

/// One axis of a panel: where it starts and ends, how it maps values, its ticks and title.
struct Axis {
    lo: f64,
    hi: f64,
    scale: Scale,
    title: String,
    ticks: Vec<(f64, String)>,
    minor: Vec<f64>,
    /// Ticks were set by the chart (categories, matrix indices): layout leaves them alone.
    fixed_ticks: bool,
    /// Draw grid lines at the ticks.
    grid: bool,
    /// Only whole-number ticks (counts).
    integer: bool,
}

impl Axis {
    fn new((lo, hi): (f64, f64), scale: Scale, title: &str) -> Self {
        Axis {
            lo,
            hi,
            scale,
            title: title.to_string(),
            ticks: Vec::new(),
            minor: Vec::new(),
            fixed_ticks: false,
            grid: true,
            integer: false,
        }
    }

    /// An axis whose ticks are given: category names under bars, row numbers beside a matrix.
    fn categorical(range: (f64, f64), title: &str, ticks: Vec<(f64, String)>) -> Self {
        Axis {
            ticks,
            fixed_ticks: true,
            grid: false,
            ..Axis::new(range, Scale::Linear, title)
        }
    }

    /// Where `v` falls along the axis: 0 at `lo`, 1 at `hi`; `None` if it cannot be drawn.
    fn frac(&self, v: f64) -> Option<f64> {
        let t = match self.scale {
            Scale::Linear => (v - self.lo) / (self.hi - self.lo),
            Scale::Log10 if v > 0.0 => (v / self.lo).log10() / (self.hi / self.lo).log10(),
            Scale::Log10 => return None,
        };
        // Far-off points are pulled in to ±1e12 frames: no overflow, no visible change.
        t.is_finite().then(|| t.clamp(-1e12, 1e12))
    }

    /// Choose ticks for an axis `length` px long: as many as fit without crowding.
    fn choose_ticks(&mut self, length: f64, k: f64, horizontal: bool) {
        if self.fixed_ticks {
            return;
        }
        let spacing = if horizontal { 35.0 } else { 32.0 } * k;
        let mut max = ((length / spacing) as usize).clamp(2, 10);
        loop {
            self.ticks = ticks(self.lo, self.hi, self.scale, max);
            let needed: f64 = self
                .ticks
                .iter()
                .map(|(_, l)| text_width(l, TICK_PX * k) + 14.0 * k)
                .sum();
            if !horizontal || needed <= length || max <= 2 {
                break;
            }
            max -= 1;
        }
        if self.integer {
            self.ticks.retain(|(v, _)| v.fract() == 0.0);
            for (v, label) in &mut self.ticks {
                if label.contains('.') {
                    *label = format!("{v:.0}");
                }
            }
        }
        if self.scale == Scale::Log10 {
            let majors: Vec<f64> = self.ticks.iter().map(|t| t.0).collect();
            self.minor = log_minor_ticks(self.lo, self.hi)
                .into_iter()
                .filter(|m| !majors.iter().any(|t| (t / m - 1.0).abs() < 1e-6))
                .collect();
        }
    }

    /// Ticks (and minor ticks) inside the axis, as fractions along it, with their labels.
    fn visible_ticks(&self) -> impl Iterator<Item = (f64, &str)> {
        self.ticks
            .iter()
            .filter_map(|(v, l)| Some((self.frac(*v)?, l.as_str())))
            .filter(|(t, _)| (-1e-6..=1.0 + 1e-6).contains(t))
    }
}

/// A panel before layout: its title and axes.
struct Panel {
    title: String,
    x: Axis,
    y: Axis,
}

/// A panel after layout: the plot rectangle inside its grid cell, and the axes that map data
/// into it.
struct Frame {
    cell: Rect,
    rect: Rect,
    title: String,
    x: Axis,
    y: Axis,
    /// In a grid, repeated axis titles are drawn only on the outer panels.
    show_x_title: bool,
    /// Every panel of the grid has this x title: it is drawn once (see `Canvas::shared_x_title`).
    shared_x_title: bool,
    show_y_title: bool,
}

impl Frame {
    /// Axis fractions of a data point; `None` for a point that cannot be drawn.
    fn unit(&self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
        Some((self.x.frac(x)?, self.y.frac(y)?))
    }

    fn to_pixel(&self, (u, v): (f64, f64)) -> (f64, f64) {
        (
            self.rect.x0 + u * self.rect.w(),
            self.rect.y1 - v * self.rect.h(),
        )
    }

    /// Pixel position of a data point inside the frame.
    fn pixel(&self, p: (f64, f64)) -> Option<(f64, f64)> {
        let (u, v) = self.unit(p)?;
        ((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v)).then(|| self.to_pixel((u, v)))
    }

    /// The drawable pieces of a line through `points`, in pixels: broken at points that cannot be
    /// drawn (NaN, ±∞, ≤ 0 on a log axis) and clipped to the frame.
    fn polylines(&self, points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        let mut previous: Option<(f64, f64)> = None;
        for &p in points {
            let here = self.unit(p);
            if let (Some(a), Some(b)) = (previous, here) {
                match clip_to_unit_square(a, b) {
                    Some((c, d)) => {
                        if current.last() != Some(&c) {
                            lines.push(std::mem::take(&mut current));
                            current.push(c);
                        }
                        current.push(d);
                    }
                    None => lines.push(std::mem::take(&mut current)),
                }
            } else {
                lines.push(std::mem::take(&mut current));
            }
            previous = here;
        }
        lines.push(current);
        lines
            .into_iter()
            .filter(|l| l.len() >= 2)
            .map(|l| l.into_iter().map(|u| self.to_pixel(u)).collect())
            .collect()
    }
}

/// The part of segment a→b inside the unit square (Liang–Barsky clipping), if any.
fn clip_to_unit_square(a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [(-dx, a.0), (dx, 1.0 - a.0), (-dy, a.1), (dy, 1.0 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
            t1 = t1.min(q / p);
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// The lines of a tick label (category labels may be wrapped).
fn label_lines(label: &str) -> usize {
    label.lines().count().max(1)
}

impl Canvas<'_> {
    /// Lay out a figure: a title band on top, `right` px reserved on the right (legend, colour
    /// bar), and the rest split into a grid of cells `columns` wide, one panel each. Margins are
    /// the same in every cell so that the frames line up; ticks are chosen to fit the frames.
    fn layout(
        &self,
        title: &str,
        mut panels: Vec<Panel>,
        columns: usize,
        right: f64,
    ) -> Vec<Frame> {
        let k = self.k;
        let (w, h) = self.size();
        let top = if title.is_empty() {
            6.0 * k
        } else {
            14.0 * k + 1.25 * TITLE_PX * k
        };
        let area = Rect {
            x0: 4.0 * k,
            y0: top,
            x1: w - right,
            y1: h - 4.0 * k,
        };
        let n = panels.len().max(1);
        let columns = columns.clamp(1, n);
        let rows = n.div_ceil(columns);
        let (cell_w, cell_h) = (area.w() / columns as f64, area.h() / rows as f64);

        let (tick_len, gap, tick_line, title_h) =
            (5.0 * k, 4.0 * k, 1.2 * TICK_PX * k, 1.25 * LABEL_PX * k);
        let x_lines = panels
            .iter()
            .flat_map(|p| p.x.ticks.iter().map(|t| label_lines(&t.1)))
            .max()
            .unwrap_or(1);
        let m_top = if panels.iter().any(|p| !p.title.is_empty()) {
            title_h + 10.0 * k
        } else {
            10.0 * k
        };
        let x_title = if panels.iter().any(|p| !p.x.title.is_empty()) {
            6.0 * k + title_h
        } else {
            0.0
        };
        let m_bottom = tick_len + gap + x_lines as f64 * tick_line + x_title + 6.0 * k;
        for p in &mut panels {
            p.y.choose_ticks(cell_h - m_top - m_bottom, k, false);
        }
        let y_labels = panels
            .iter()
            .flat_map(|p| &p.y.ticks)
            .map(|t| text_width(&t.1, TICK_PX * k))
            .fold(0.0, f64::max);
        let y_title = if panels.iter().any(|p| !p.y.title.is_empty()) {
            title_h + 8.0 * k
        } else {
            0.0
        };
        let m_left = 6.0 * k + y_title + y_labels + gap + tick_len;
        for p in &mut panels {
            p.x.choose_ticks(cell_w - m_left - 20.0 * k, k, true);
        }
        // Room for half the widest last x label, which hangs over the right end of the frame.
        let hang = panels
            .iter()
            .filter_map(|p| p.x.ticks.last())
            .map(|t| text_width(&t.1, TICK_PX * k) / 2.0)
            .fold(0.0, f64::max);
        let m_right = (hang + 4.0 * k).max(14.0 * k);

        let x_titles: Vec<String> = panels.iter().map(|p| p.x.title.clone()).collect();
        let y_titles: Vec<String> = panels.iter().map(|p| p.y.title.clone()).collect();
        // Side by side panels with the same x title get it once, under the whole grid.
        let shared_x =
            columns > 1 && !x_titles[0].is_empty() && x_titles.iter().all(|t| *t == x_titles[0]);
        panels
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let (row, col) = (i / columns, i % columns);
                let cell = Rect {
                    x0: area.x0 + col as f64 * cell_w,
                    y0: area.y0 + row as f64 * cell_h,
                    x1: area.x0 + (col + 1) as f64 * cell_w,
                    y1: area.y0 + (row + 1) as f64 * cell_h,
                };
                let rect = Rect {
                    x0: cell.x0 + m_left,
                    y0: cell.y0 + m_top,
                    x1: cell.x1 - m_right,
                    y1: cell.y1 - m_bottom,
                };
                Frame {
                    cell,
                    rect,
                    title: p.title,
                    show_x_title: !shared_x && x_titles.get(i + columns) != Some(&p.x.title),
                    shared_x_title: shared_x,
                    show_y_title: col == 0 || y_titles[i - 1] != p.y.title,
                    x: p.x,
                    y: p.y,
                }
            })
            .collect()
    }

    /// The x title shared by all panels of a grid, drawn once, centred under the bottom row.
    fn shared_x_title(&self, frames: &[Frame]) -> Result<()> {
        let Some(first) = frames.first().filter(|f| f.shared_x_title) else {
            return Ok(());
        };
        let k = self.k;
        let x0 = frames
            .iter()
            .map(|f| f.rect.x0)
            .fold(f64::INFINITY, f64::min);
        let x1 = frames
            .iter()
            .map(|f| f.rect.x1)
            .fold(f64::NEG_INFINITY, f64::max);
        let bottom = frames
            .iter()
            .map(|f| f.rect.y1)
            .fold(f64::NEG_INFINITY, f64::max);
        let lines = frames
            .iter()
            .flat_map(|f| f.x.ticks.iter().map(|t| label_lines(&t.1)))
            .max()
            .unwrap_or(1);
        let y = bottom + 9.0 * k + lines as f64 * 1.2 * TICK_PX * k + 6.0 * k;
        let font = self.font(LABEL_PX).anchor(HPos::Center, VPos::Top);
        self.text(&first.x.title, ((x0 + x1) / 2.0, y), font)
    }

    /// Light grid lines at the major ticks (drawn under the data).
    fn grid(&self, f: &Frame) -> Result<()> {
        let r = f.rect;
        if f.x.grid {
            for (t, _) in f.x.visible_ticks() {
                let x = r.x0 + t * r.w();
                self.line((x, r.y0), (x, r.y1), GRID, 1)?;
            }
        }
        if f.y.grid {
            for (t, _) in f.y.visible_ticks() {
                let y = r.y1 - t * r.h();
                self.line((r.x0, y), (r.x1, y), GRID, 1)?;
            }
        }
        Ok(())
    }

    /// Axis lines, ticks, tick labels, axis titles and the panel title (drawn over the data).
    fn axes(&self, f: &Frame) -> Result<()> {
        let (k, r) = (self.k, f.rect);
        let (tick_len, gap, tick_line) = (5.0 * k, 4.0 * k, 1.2 * TICK_PX * k);
        self.line((r.x0, r.y1), (r.x1, r.y1), AXIS, 1)?;
        self.line((r.x0, r.y0), (r.x0, r.y1), AXIS, 1)?;
        let tick_font = self.font(TICK_PX);
        let mut lines_below = 1;
        for (t, label) in f.x.visible_ticks() {
            let x = r.x0 + t * r.w();
            self.line((x, r.y1), (x, r.y1 + tick_len), AXIS, 1)?;
            for (i, line) in label.lines().enumerate() {
                let y = r.y1 + tick_len + gap + i as f64 * tick_line;
                self.text(line, (x, y), tick_font.anchor(HPos::Center, VPos::Top))?;
            }
            lines_below = lines_below.max(label_lines(label));
        }
        let mut widest = 0.0_f64;
        for (t, label) in f.y.visible_ticks() {
            let y = r.y1 - t * r.h();
            self.line((r.x0 - tick_len, y), (r.x0, y), AXIS, 1)?;
            self.text(
                label,
                (r.x0 - tick_len - gap, y),
                tick_font.anchor(HPos::Right, VPos::Center),
            )?;
            widest = widest.max(text_width(label, TICK_PX * k));
        }
        for &m in &f.x.minor {
            if let Some(t) = f.x.frac(m).filter(|t| (0.0..=1.0).contains(t)) {
                let x = r.x0 + t * r.w();
                self.line((x, r.y1), (x, r.y1 + 0.6 * tick_len), AXIS, 1)?;
            }
        }
        for &m in &f.y.minor {
            if let Some(t) = f.y.frac(m).filter(|t| (0.0..=1.0).contains(t)) {
                let y = r.y1 - t * r.h();
                self.line((r.x0 - 0.6 * tick_len, y), (r.x0, y), AXIS, 1)?;
            }
        }
        let label_font = self.font(LABEL_PX);
        if f.show_x_title && !f.x.title.is_empty() {
            let y = r.y1 + tick_len + gap + lines_below as f64 * tick_line + 6.0 * k;
            self.text(
                &f.x.title,
                (r.cx(), y),
                label_font.anchor(HPos::Center, VPos::Top),
            )?;
        }
        if f.show_y_title && !f.y.title.is_empty() {
            self.text(
                &f.y.title,
                (f.cell.x0 + 6.0 * k, r.cy()),
                label_font.anchor(HPos::Center, VPos::Top).vertical(),
            )?;
        }
        if !f.title.is_empty() {
            let font = label_font.anchor(HPos::Center, VPos::Bottom);
            self.text(&f.title, (r.cx(), r.y0 - 8.0 * k), font)?;
        }
        Ok(())
    }
}

// ──── legends ────────────────────────────────────────────────────────────────────────────────

/// What a legend entry shows beside its label.
#[derive(Clone, Copy, PartialEq)]
enum Swatch {
    Line { markers: bool },
    Dot,
    Patch,
}

struct LegendEntry {
    name: String,
    pen: Pen,
    swatch: Swatch,
}

/// One entry per distinct non-empty name, in order of appearance.
fn legend_entries(items: impl Iterator<Item = (String, Pen, Swatch)>) -> Vec<LegendEntry> {
    let mut entries: Vec<LegendEntry> = Vec::new();
    for (name, pen, swatch) in items {
        if !name.is_empty() && !entries.iter().any(|e| e.name == name) {
            entries.push(LegendEntry { name, pen, swatch });
        }
    }
    entries
}

impl Canvas<'_> {
    /// Width the legend needs to the right of the panels (0 without entries).
    fn legend_width(&self, entries: &[LegendEntry]) -> f64 {
        let widest = entries
            .iter()
            .map(|e| text_width(&e.name, LEGEND_PX * self.k))
            .fold(0.0, f64::max);
        if entries.is_empty() {
            8.0 * self.k
        } else {
            // At most 28% of the canvas: longer labels are shortened with "…".
            (widest + 62.0 * self.k).min(0.28 * self.size().0)
        }
    }

    /// The legend, top-aligned with the first frame, in the column reserved right of the panels.
    fn legend(&self, entries: &[LegendEntry], x: f64, top: f64, bottom: f64) -> Result<()> {
        let k = self.k;
        let row = (22.0 * k)
            .min((bottom - top) / entries.len().max(1) as f64)
            .max(LEGEND_PX * k);
        let x = x + 12.0 * k;
        let room = self.legend_width(entries) - 62.0 * k;
        let fit = |name: &str| {
            if text_width(name, LEGEND_PX * k) <= room + 1.0 {
                return name.to_string();
            }
            let keep = (room / (0.6 * LEGEND_PX * k)) as usize;
            name.chars()
                .take(keep.saturating_sub(1))
                .chain(['…'])
                .collect()
        };
        for (i, e) in entries.iter().enumerate() {
            let y = top + (i as f64 + 0.5) * row;
            match e.swatch {
                Swatch::Line { markers } => {
                    self.path(
                        &[(x, y), (x + 30.0 * k, y)],
                        e.pen.color,
                        self.stroke(2.0),
                        e.pen.dashed,
                    )?;
                    if markers {
                        self.dot((x + 15.0 * k, y), 3.0 * k, e.pen.color)?;
                    }
                }
                Swatch::Dot => {
                    self.dot((x + 15.0 * k, y), 5.5 * k, WHITE)?;
                    self.dot((x + 15.0 * k, y), 4.5 * k, e.pen.color)?;
                }
                Swatch::Patch => {
                    let r = Rect {
                        x0: x + 6.0 * k,
                        y0: y - 7.0 * k,
                        x1: x + 24.0 * k,
                        y1: y + 7.0 * k,
                    };
                    self.fill(r, e.pen.color.mix(0.3))?;
                    self.outline(r, e.pen.color)?;
                }
            }
            self.text(&fit(&e.name), (x + 38.0 * k, y), self.font(LEGEND_PX))?;
        }
        Ok(())
    }

    /// A series: its line (broken at undrawable points, clipped to the frame) and dots.
    /// Returns how many of its points lie in the frame.
    fn series(&self, f: &Frame, s: &Series, pen: Pen, width: f64) -> Result<usize> {
        if s.joined {
            for line in f.polylines(&s.points) {
                self.path(&line, pen.color, self.stroke(width), pen.dashed)?;
            }
        }
        let mut inside = 0;
        for p in s.points.iter().filter_map(|&p| f.pixel(p)) {
            inside += 1;
            if !s.joined {
                self.dot(p, 5.5 * self.k, WHITE)?;
                self.dot(p, 4.5 * self.k, pen.color)?;
            } else if s.markers {
                self.dot(p, 1.5 * width * self.k, pen.color)?;
            }
        }
        Ok(inside)
    }
}

// ──── saving ─────────────────────────────────────────────────────────────────────────────────

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Put the alt text (`<title>`) and caption (`<desc>`) first inside `<svg>`, which is also marked
/// as an image for screen readers.
fn with_accessible_text(svg: &str, figure: &Figure) -> String {
    let end = svg.find('>').unwrap_or(0);
    let mut out = String::with_capacity(svg.len() + 512);
    out.push_str(&svg[..end]);
    out.push_str(" role=\"img\">\n<title>");
    out.push_str(&xml_escape(&figure.alt));
    out.push_str("</title>\n");
    if let Some(caption) = &figure.caption {
        out.push_str("<desc>");
        out.push_str(&xml_escape(caption));
        out.push_str("</desc>\n");
    }
    out.push_str(svg[end + 1..].trim_start_matches('\n'));
    out
}

/// Round the font sizes plotters writes (`font-size="13.000000000000002"`) to 0.1 px.
fn tidy_font_sizes(svg: &str) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(0);
        match tail[..end].parse::<f64>() {
            Ok(size) => out.push_str(&format!("{}", (size * 10.0).round() / 10.0)),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Write the SVG and, beside it with the same stem, the CSV.
fn write_figure(svg_path: &Path, figure: &Figure, svg: &str, csv: &Table) -> Result<()> {
    let svg = tidy_font_sizes(&with_accessible_text(svg, figure));
    write_atomic(svg_path, svg.as_bytes())?;
    write_atomic(&svg_path.with_extension("csv"), csv.to_csv().as_bytes())
}

fn num(v: f64) -> String {
    format!("{v}")
}

// ──── line charts ────────────────────────────────────────────────────────────────────────────

/// The pen of each series (its own colour and dashes override the figure's choice), and the
/// legend: one entry per distinct name.
fn pens_and_legend(series: &[&Series]) -> (Vec<Pen>, Vec<LegendEntry>) {
    let names: Vec<(&str, Option<RGBColor>)> =
        series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    let pens: Vec<Pen> = pens_with_overrides(&names)
        .into_iter()
        .zip(series)
        .map(|(pen, s)| Pen {
            color: s.color.unwrap_or(pen.color),
            dashed: pen.dashed || s.dashed,
        })
        .collect();
    let swatch = |s: &Series| {
        if s.joined {
            Swatch::Line { markers: s.markers }
        } else {
            Swatch::Dot
        }
    };
    let entries = legend_entries(
        series
            .iter()
            .zip(&pens)
            .map(|(s, &pen)| (s.name.clone(), pen, swatch(s))),
    );
    (pens, entries)
}

/// Draw one line chart (`grid` false) or a grid of them with panel titles and one legend.
fn save_lines(
    figure: &Figure,
    charts: &[&LineChart],
    columns: usize,
    grid: bool,
    svg_path: &Path,
) -> Result<()> {
    // A grid without panels still shows one empty frame.
    let empty = LineChart::new(Figure::new("", ""), "", "");
    let charts = if charts.is_empty() {
        &[&empty][..]
    } else {
        charts
    };
    let all: Vec<&Series> = charts.iter().flat_map(|c| &c.series).collect();
    let (pens, entries) = pens_and_legend(&all);

    let mut panels = Vec::new();
    for chart in charts {
        let points = || chart.series.iter().flat_map(|s| s.points.iter().copied());
        let x = axis_range(points().map(|p| p.0), chart.x_scale, chart.x_range)?;
        let x_axis = Axis::new(x, chart.x_scale, &chart.x_label);
        // With a fixed x range, fit y to the points inside it.
        let in_x = |p: &(f64, f64)| {
            chart.x_range.is_none() || x_axis.frac(p.0).is_some_and(|t| (0.0..=1.0).contains(&t))
        };
        let y = axis_range(
            points().filter(in_x).map(|p| p.1),
            chart.y_scale,
            chart.y_range,
        )?;
        let title = if grid {
            chart.figure.title.clone()
        } else {
            String::new()
        };
        panels.push(Panel {
            title,
            x: x_axis,
            y: Axis::new(y, chart.y_scale, &chart.y_label),
        });
    }

    let svg = render(figure.size, |cv| {
        let legend_w = cv.legend_width(&entries);
        let frames = cv.layout(&figure.title, panels, columns, legend_w);
        let mut pens = pens.iter();
        for (chart, frame) in charts.iter().zip(&frames) {
            cv.grid(frame)?;
            let mut drawn = 0;
            for (s, &pen) in chart.series.iter().zip(pens.by_ref()) {
                drawn += cv.series(frame, s, pen, 2.0)?;
            }
            cv.axes(frame)?;
            if drawn == 0 {
                cv.note(
                    frame.rect,
                    if chart.series.is_empty() {
                        "no data"
                    } else {
                        "no finite data in range"
                    },
                )?;
            }
        }
        cv.shared_x_title(&frames)?;
        let (w, h) = cv.size();
        if let Some(first) = frames.first() {
            cv.title(
                &figure.title,
                (
                    first.rect.x0,
                    frames.iter().map(|f| f.rect.x1).fold(0.0, f64::max),
                ),
            )?;
            cv.legend(&entries, w - legend_w, first.rect.y0, h)?;
        }
        Ok(())
    })?;

    let mut csv = if grid {
        Table::new(["panel", "series", "x", "y"])
    } else {
        Table::new(["series", "x", "y"])
    };
    for chart in charts {
        for s in &chart.series {
            for &(x, y) in &s.points {
                let mut row = vec![s.name.clone(), num(x), num(y)];
                if grid {
                    row.insert(0, chart.figure.title.clone());
                }
                csv.row(row);
            }
        }
    }
    write_figure(svg_path, figure, &svg, &csv)
}

// ──── histograms ─────────────────────────────────────────────────────────────────────────────

/// Counts of the finite `values` in `bins` equal bins from `lo` to `hi` (values outside ignored).
fn bin_counts(values: &[f64], (lo, hi): (f64, f64), bins: usize) -> Vec<u64> {
    let mut counts = vec![0; bins];
    for &v in values
        .iter()
        .filter(|v| v.is_finite() && (lo..=hi).contains(*v))
    {
        let i = ((v - lo) / (hi - lo) * bins as f64).floor() as usize;
        counts[i.min(bins - 1)] += 1;
    }
    counts
}

/// The range histograms' bins must span: every finite raw value and every pre-binned range
/// (widened if it is a single point).
fn bin_range<'a>(series: impl Iterator<Item = &'a Histogram>) -> (f64, f64) {
    let mut ends = Vec::new();
    for h in series {
        ends.extend(h.values.iter().copied().filter(|v| v.is_finite()));
        ends.extend(
            h.bins
                .iter()
                .flat_map(|b| [b.lo, b.hi])
                .filter(|v| v.is_finite()),
        );
    }
    let lo = ends.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match (lo, hi) {
        _ if ends.is_empty() => (0.0, 1.0),
        (lo, hi) if lo == hi => (lo - 0.5, hi + 0.5),
        range => range,
    }
}

/// A series' bins: as given if pre-binned, else its raw values binned over `range`.
fn series_bins(h: &Histogram, range: (f64, f64), bins: usize) -> Bins {
    h.bins.clone().unwrap_or_else(|| Bins {
        lo: range.0,
        hi: range.1,
        counts: bin_counts(&h.values, range, bins),
    })
}

impl Bins {
    fn width(&self) -> f64 {
        (self.hi - self.lo) / self.counts.len().max(1) as f64
    }

    fn edge(&self, i: usize) -> f64 {
        self.lo + i as f64 * self.width()
    }

    /// Bar height of bin `i`: its count, or its density count / (total · bin width), which
    /// gives the bars an area of 1.
    fn height(&self, i: usize, density: bool) -> f64 {
        let total: u64 = self.counts.iter().sum();
        match (density, total) {
            (false, _) => self.counts[i] as f64,
            (true, 0) => 0.0,
            (true, total) => self.counts[i] as f64 / (total as f64 * self.width()),
        }
    }
}

fn save_histograms(hg: &HistogramGrid, svg_path: &Path) -> Result<()> {
    ensure!(hg.bins >= 1, "a histogram needs at least one bin");
    for h in hg.panels.iter().flat_map(|p| &p.1) {
        if let Some(b) = &h.bins {
            ensure!(
                b.lo.is_finite() && b.hi.is_finite() && b.lo < b.hi && !b.counts.is_empty(),
                "histogram {:?}: bins need a finite range lo < hi and at least one count",
                h.name
            );
        }
    }
    let no_panels = [(String::new(), Vec::new())];
    let panel_list = if hg.panels.is_empty() {
        &no_panels[..]
    } else {
        &hg.panels
    };
    let all: Vec<&Histogram> = panel_list.iter().flat_map(|p| &p.1).collect();
    let pens = assign_pens(&all.iter().map(|h| h.name.as_str()).collect::<Vec<_>>());
    let entries = legend_entries(all.iter().zip(&pens).map(|(h, &pen)| {
        (
            h.name.clone(),
            Pen {
                dashed: false,
                ..pen
            },
            Swatch::Patch,
        )
    }));
    let shared = bin_range(all.iter().copied());

    // Each panel's axes, and the bins of each of its series.
    let mut binned: Vec<Vec<Bins>> = Vec::new();
    let mut panels = Vec::new();
    for (title, series) in panel_list {
        let range = if hg.shared_x {
            shared
        } else {
            bin_range(series.iter())
        };
        let bins: Vec<Bins> = series
            .iter()
            .map(|h| series_bins(h, range, hg.bins))
            .collect();
        let top = bins
            .iter()
            .flat_map(|b| (0..b.counts.len()).map(|i| b.height(i, hg.density)))
            .fold(0.0, f64::max);
        let skipped: usize = series
            .iter()
            .map(|h| h.values.iter().filter(|v| !v.is_finite()).count())
            .sum();
        let title = if skipped > 0 {
            format!("{title} ({skipped} non-finite not shown)")
        } else {
            title.clone()
        };
        let pad = 0.03 * (range.1 - range.0);
        let y_title = if hg.density { "density" } else { "count" };
        let y_range = (0.0, if top > 0.0 { 1.06 * top } else { 1.0 });
        panels.push(Panel {
            title,
            x: Axis::new((range.0 - pad, range.1 + pad), Scale::Linear, &hg.x_label),
            y: Axis {
                integer: !hg.density,
                ..Axis::new(y_range, Scale::Linear, y_title)
            },
        });
        binned.push(bins);
    }

    let svg = render(hg.figure.size, |cv| {
        let legend_w = cv.legend_width(&entries);
        let frames = cv.layout(&hg.figure.title, panels, hg.columns, legend_w);
        let mut pens = pens.iter();
        for (bins, frame) in binned.iter().zip(&frames) {
            cv.grid(frame)?;
            let panel_pens: Vec<Pen> = pens.by_ref().take(bins.len()).copied().collect();
            // Translucent bars first, then every outline on top of them.
            for (b, pen) in bins.iter().zip(&panel_pens) {
                for i in (0..b.counts.len()).filter(|&i| b.counts[i] > 0) {
                    let corners = (
                        frame.pixel((b.edge(i), b.height(i, hg.density))),
                        frame.pixel((b.edge(i + 1), 0.0)),
                    );
                    if let (Some(p), Some(q)) = corners {
                        cv.fill(
                            Rect {
                                x0: p.0,
                                y0: p.1,
                                x1: q.0,
                                y1: q.1,
                            },
                            pen.color.mix(0.25),
                        )?;
                    }
                }
            }
            for (b, pen) in bins.iter().zip(&panel_pens) {
                // The step outline, from the first to the last non-empty bin.
                let nonzero = |&n: &u64| n > 0;
                let (Some(first), Some(last)) = (
                    b.counts.iter().position(nonzero),
                    b.counts.iter().rposition(nonzero),
                ) else {
                    continue;
                };
                let mut outline = vec![(b.edge(first), 0.0)];
                for i in first..=last {
                    let y = b.height(i, hg.density);
                    outline.extend([(b.edge(i), y), (b.edge(i + 1), y)]);
                }
                outline.push((b.edge(last + 1), 0.0));
                cv.series(frame, &Series::line("", outline), *pen, 1.5)?;
            }
            cv.axes(frame)?;
            if bins.iter().all(|b| b.counts.iter().all(|&n| n == 0)) {
                cv.note(frame.rect, "no data")?;
            }
        }
        cv.shared_x_title(&frames)?;
        let (w, h) = cv.size();
        if let Some(first) = frames.first() {
            let right = frames.iter().map(|f| f.rect.x1).fold(0.0, f64::max);
            cv.title(&hg.figure.title, (first.rect.x0, right))?;
            cv.legend(&entries, w - legend_w, first.rect.y0, h)?;
        }
        Ok(())
    })?;

    let mut csv = Table::new(["panel", "series", "bin_lo", "bin_hi", "count"]);
    for ((title, series), bins) in panel_list.iter().zip(&binned) {
        for (h, b) in series.iter().zip(bins) {
            for (i, n) in b.counts.iter().enumerate() {
                csv.row([
                    title.clone(),
                    h.name.clone(),
                    num(b.edge(i)),
                    num(b.edge(i + 1)),
                    n.to_string(),
                ]);
            }
        }
    }
    write_figure(svg_path, &hg.figure, &svg, &csv)
}

// ──── contours ───────────────────────────────────────────────────────────────────────────────

/// A point where a contour crosses a grid edge: (i, j, 0) is the edge from node (i, j) to
/// (i+1, j), (i, j, 1) the edge from (i, j) to (i, j+1).
type EdgeKey = (usize, usize, u8);

/// Contour lines of the level `level` through grid values `z[i][j]` = f(xs[i], ys[j]), by marching
/// squares, joined into polylines in data coordinates.
fn contour_lines(xs: &[f64], ys: &[f64], z: &[Vec<f64>], level: f64) -> Vec<Vec<(f64, f64)>> {
    let mut position: HashMap<EdgeKey, (f64, f64)> = HashMap::new();
    let mut segments: Vec<(EdgeKey, EdgeKey)> = Vec::new();
    // Where the level crosses the edge between nodes a and b.
    let mut crossing = |(i, j): (usize, usize), (p, q): (usize, usize)| -> EdgeKey {
        let key = (i, j, u8::from(q > j));
        position.entry(key).or_insert_with(|| {
            let t = (level - z[i][j]) / (z[p][q] - z[i][j]);
            (xs[i] + t * (xs[p] - xs[i]), ys[j] + t * (ys[q] - ys[j]))
        });
        key
    };
    for i in 0..xs.len().saturating_sub(1) {
        for j in 0..ys.len().saturating_sub(1) {
            let corners = [z[i][j], z[i + 1][j], z[i + 1][j + 1], z[i][j + 1]];
            if corners.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let above = corners.map(|v| v >= level);
            // Cell edges in order bottom, right, top, left, as (node, node) pairs.
            let edges = [
                ((i, j), (i + 1, j)),
                ((i + 1, j), (i + 1, j + 1)),
                ((i, j + 1), (i + 1, j + 1)),
                ((i, j), (i, j + 1)),
            ];
            let sides = [(0, 1), (1, 2), (3, 2), (0, 3)];
            let crossed: Vec<usize> = (0..4)
                .filter(|&e| above[sides[e].0] != above[sides[e].1])
                .collect();
            let pairs: Vec<(usize, usize)> = match crossed.len() {
                2 => vec![(crossed[0], crossed[1])],
                // A saddle: the centre decides which corners connect.
                4 if (corners.iter().sum::<f64>() / 4.0 >= level) == above[0] => {
                    vec![(0, 1), (2, 3)]
                }
                4 => vec![(0, 3), (1, 2)],
                _ => vec![],
            };
            for (e1, e2) in pairs {
                let a = crossing(edges[e1].0, edges[e1].1);
                let b = crossing(edges[e2].0, edges[e2].1);
                segments.push((a, b));
            }
        }
    }
    // Join segments that share an edge crossing into polylines.
    let mut touching: HashMap<EdgeKey, Vec<usize>> = HashMap::new();
    for (s, &(a, b)) in segments.iter().enumerate() {
        touching.entry(a).or_default().push(s);
        touching.entry(b).or_default().push(s);
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut chain = VecDeque::from([segments[start].0, segments[start].1]);
        for forward in [true, false] {
            loop {
                let end = if forward {
                    chain[chain.len() - 1]
                } else {
                    chain[0]
                };
                let Some(&s) = touching[&end].iter().find(|&&s| !used[s]) else {
                    break;
                };
                used[s] = true;
                let next = if segments[s].0 == end {
                    segments[s].1
                } else {
                    segments[s].0
                };
                if forward {
                    chain.push_back(next)
                } else {
                    chain.push_front(next)
                }
            }
        }
        lines.push(chain.iter().map(|k| position[k]).collect());
    }
    lines
}

fn save_contours(cp: &ContourPlot, svg_path: &Path) -> Result<()> {
    let x_range = axis_range(std::iter::empty(), Scale::Linear, Some(cp.x_range))?;
    let y_range = axis_range(std::iter::empty(), Scale::Linear, Some(cp.y_range))?;
    const N: usize = 121;
    let grid = |(lo, hi): (f64, f64)| -> Vec<f64> {
        (0..N)
            .map(|i| lo + (hi - lo) * i as f64 / (N - 1) as f64)
            .collect()
    };
    let (xs, ys) = (grid(x_range), grid(y_range));
    let z: Vec<Vec<f64>> = xs
        .iter()
        .map(|&x| ys.iter().map(|&y| (cp.f)(x, y)).collect())
        .collect();
    let levels = if cp.levels.is_empty() {
        // Levels that halve their height above the minimum: evenly spaced rings around a
        // minimum, dense where the landscape is flat. The top level is the 95th percentile.
        let mut finite: Vec<f64> = z
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        finite.sort_by(f64::total_cmp);
        match (finite.first(), finite.get(finite.len() * 95 / 100)) {
            (Some(&min), Some(&top)) if top > min => (0..12)
                .map(|i| min + (top - min) * 0.5f64.powi(i))
                .collect(),
            _ => Vec::new(),
        }
    } else {
        cp.levels.clone()
    };

    let (pens, entries) = pens_and_legend(&cp.paths.iter().collect::<Vec<_>>());

    let svg = render(cp.figure.size, |cv| {
        let legend_w = cv.legend_width(&entries);
        let mut x = Axis::new(x_range, Scale::Linear, &cp.x_label);
        let mut y = Axis::new(y_range, Scale::Linear, &cp.y_label);
        (x.grid, y.grid) = (false, false);
        let frames = cv.layout(
            &cp.figure.title,
            vec![Panel {
                title: String::new(),
                x,
                y,
            }],
            1,
            legend_w,
        );
        let frame = &frames[0];
        for &level in &levels {
            for line in contour_lines(&xs, &ys, &z, level) {
                for piece in frame.polylines(&line) {
                    cv.path(&piece, CONTOUR, 1, false)?;
                }
            }
        }
        for (s, &pen) in cp.paths.iter().zip(&pens) {
            cv.series(frame, s, pen, 2.0)?;
        }
        cv.axes(frame)?;
        let (w, h) = cv.size();
        cv.title(&cp.figure.title, (frame.rect.x0, frame.rect.x1))?;
        cv.legend(&entries, w - legend_w, frame.rect.y0, h)
    })?;

    let mut csv = Table::new(["series", "step", "x", "y"]);
    for s in &cp.paths {
        for (step, &(x, y)) in s.points.iter().enumerate() {
            csv.row([s.name.clone(), step.to_string(), num(x), num(y)]);
        }
    }
    write_figure(svg_path, &cp.figure, &svg, &csv)
}

// ──── bar charts ─────────────────────────────────────────────────────────────────────────────

/// Break `text` at spaces into lines of at most about `width` px at `px`.
fn wrap(text: &str, width: f64, px: f64) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line} {word}"), px) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

fn save_bars(bc: &BarChart, svg_path: &Path) -> Result<()> {
    let n = bc.bars.len();
    // Bars named like a book-wide series take its colour; the rest are blue, or grey beside
    // coloured ones.
    let named = bc
        .bars
        .iter()
        .any(|b| b.color.is_some() || book_color(&b.label).is_some());
    let color = |b: &Bar| {
        b.color
            .or_else(|| book_color(&b.label))
            .unwrap_or(if named { GREY } else { BLUE })
    };

    let ends = bc.bars.iter().flat_map(|b| {
        let e = b.error.filter(|e| e.is_finite()).unwrap_or(0.0).abs();
        [b.value - e, b.value + e]
    });
    let y_range = match bc.y_range {
        Some(r) => axis_range(std::iter::empty(), Scale::Linear, Some(r))?,
        None => {
            // Bars grow from zero: keep zero in range, and pad only the side away from it.
            let (lo, hi) = ends
                .chain([0.0])
                .filter(|v| v.is_finite())
                .fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
            let span = if hi > lo { hi - lo } else { 1.0 };
            (
                if lo < 0.0 { lo - 0.05 * span } else { 0.0 },
                if hi > 0.0 || lo == hi {
                    hi + 0.05 * span
                } else {
                    0.0
                },
            )
        }
    };

    let svg = render(bc.figure.size, |cv| {
        let k = cv.k;
        let slot = (cv.size().0 - 140.0 * k) / n.max(1) as f64;
        let labels: Vec<(f64, String)> = bc
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, wrap(&b.label, slot - 8.0 * k, TICK_PX * k)))
            .collect();
        let x = Axis::categorical((-0.5, n.max(1) as f64 - 0.5), "", labels);
        let frames = cv.layout(
            &bc.figure.title,
            vec![Panel {
                title: String::new(),
                x,
                y: Axis::new(y_range, Scale::Linear, &bc.y_label),
            }],
            1,
            8.0 * k,
        );
        let f = &frames[0];
        cv.grid(f)?;
        let slot_px = f.rect.w() / n.max(1) as f64;
        let half = (0.35 * slot_px).min(45.0 * k);
        let clamp_y = |y: f64| y.clamp(f.rect.y0, f.rect.y1);
        let y_px = |v: f64| f.y.frac(v).map(|t| clamp_y(f.rect.y1 - t * f.rect.h()));
        for (i, b) in bc.bars.iter().enumerate() {
            let cx = f.rect.x0 + (i as f64 + 0.5) * slot_px;
            let (Some(zero), Some(top)) = (y_px(0.0), y_px(b.value)) else {
                let font = cv
                    .font(TICK_PX)
                    .anchor(HPos::Center, VPos::Bottom)
                    .color(NOTE)
                    .italic();
                cv.text("n/a", (cx, y_px(0.0).unwrap_or(f.rect.y1) - 4.0 * k), font)?;
                continue;
            };
            cv.fill(
                Rect {
                    x0: cx - half,
                    y0: top.min(zero),
                    x1: cx + half,
                    y1: top.max(zero),
                },
                color(b).to_rgba(),
            )?;
            if let Some(e) = b.error.filter(|e| e.is_finite() && *e > 0.0) {
                let (Some(lo), Some(hi)) = (y_px(b.value - e), y_px(b.value + e)) else {
                    continue;
                };
                let cap = (0.3 * half).min(8.0 * k);
                cv.line((cx, lo), (cx, hi), TEXT, cv.stroke(1.5))?;
                cv.line((cx - cap, lo), (cx + cap, lo), TEXT, cv.stroke(1.5))?;
                cv.line((cx - cap, hi), (cx + cap, hi), TEXT, cv.stroke(1.5))?;
            }
        }
        cv.axes(f)?;
        if n == 0 {
            cv.note(f.rect, "no data")?;
        }
        cv.title(&bc.figure.title, (f.rect.x0, f.rect.x1))
    })?;

    let mut csv = Table::new(["label", "value", "error"]);
    for b in &bc.bars {
        csv.row([
            b.label.clone(),
            num(b.value),
            b.error.map(num).unwrap_or_default(),
        ]);
    }
    write_figure(svg_path, &bc.figure, &svg, &csv)
}

// ──── heatmaps ───────────────────────────────────────────────────────────────────────────────

/// Tick labels for `n` cells: the given names (or 0, 1, 2, ...) at the cell centres, thinned so
/// that at most `fit` are shown.
fn cell_ticks(n: usize, names: &[String], fit: usize) -> Vec<(f64, String)> {
    let every = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        .into_iter()
        .find(|s| n.div_ceil(*s) <= fit.max(2))
        .unwrap_or(n.max(1));
    (0..n)
        .step_by(every)
        .map(|i| {
            (
                i as f64 + 0.5,
                names.get(i).cloned().unwrap_or_else(|| i.to_string()),
            )
        })
        .collect()
}

fn save_heatmaps(hg: &HeatmapGrid, grid: bool, svg_path: &Path) -> Result<()> {
    let (lo, hi) = hg.range;
    ensure!(
        lo.is_finite() && hi.is_finite() && lo < hi,
        "heatmap range ({lo}, {hi}) must be finite with lo < hi"
    );
    let no_panels = [(String::new(), Vec::new())];
    let panel_list = if hg.panels.is_empty() {
        &no_panels[..]
    } else {
        &hg.panels
    };
    for (title, m) in panel_list {
        if let Some(bad) = m.iter().position(|row| row.len() != m[0].len()) {
            bail!(
                "heatmap {title:?}: row {bad} has {} values but row 0 has {}",
                m[bad].len(),
                m[0].len()
            );
        }
    }

    let svg = render(hg.figure.size, |cv| {
        let k = cv.k;
        let bar_ticks = ticks(lo, hi, Scale::Linear, 6);
        let bar_labels = bar_ticks
            .iter()
            .map(|t| text_width(&t.1, TICK_PX * k))
            .fold(0.0, f64::max);
        let value_title = if hg.value_label.is_empty() {
            0.0
        } else {
            1.25 * LABEL_PX * k + 8.0 * k
        };
        let reserve = 30.0 * k + 18.0 * k + 10.0 * k + bar_labels + value_title + 8.0 * k;
        let (w, h) = cv.size();
        let columns = hg.columns.clamp(1, panel_list.len());
        let rows = panel_list.len().div_ceil(columns);
        let cell_w = (w - reserve) / columns as f64;
        let cell_h = (h - 60.0 * k) / rows as f64;
        let panels: Vec<Panel> = panel_list
            .iter()
            .map(|(title, m)| {
                let (nr, nc) = (m.len(), m.first().map_or(0, Vec::len));
                let x = Axis::categorical(
                    (0.0, nc.max(1) as f64),
                    &hg.x_label,
                    cell_ticks(nc, &hg.x_ticks, (cell_w / (40.0 * k)) as usize),
                );
                let y = Axis::categorical(
                    (nr.max(1) as f64, 0.0),
                    &hg.y_label,
                    cell_ticks(nr, &hg.y_ticks, (cell_h / (24.0 * k)) as usize),
                );
                Panel {
                    title: title.clone(),
                    x,
                    y,
                }
            })
            .collect();
        let mut frames = cv.layout(&hg.figure.title, panels, hg.columns, reserve);
        // Square cells, unless that would squash a matrix into a sliver; then close the gaps
        // this leaves between columns and rows, and centre the grid horizontally.
        let (mut x_slack, mut y_slack) = (f64::INFINITY, f64::INFINITY);
        for ((_, m), f) in panel_list.iter().zip(&mut frames) {
            let (nr, nc) = (
                m.len().max(1) as f64,
                m.first().map_or(1, |r| r.len().max(1)) as f64,
            );
            let (cw, ch) = (f.rect.w() / nc, f.rect.h() / nr);
            if (0.4..=2.5).contains(&(cw / ch)) {
                let side = cw.min(ch);
                x_slack = x_slack.min(f.rect.w() - side * nc);
                y_slack = y_slack.min(f.rect.h() - side * nr);
                f.rect.x1 = f.rect.x0 + side * nc;
                f.rect.y1 = f.rect.y0 + side * nr;
            } else {
                (x_slack, y_slack) = (0.0, 0.0);
            }
        }
        for (i, f) in frames.iter_mut().enumerate() {
            let (row, col) = ((i / columns) as f64, (i % columns) as f64);
            let dx = if x_slack.is_finite() {
                x_slack * (columns as f64 / 2.0 - col)
            } else {
                0.0
            };
            let dy = if y_slack.is_finite() {
                -y_slack * row
            } else {
                0.0
            };
            for r in [&mut f.rect, &mut f.cell] {
                (r.x0, r.x1, r.y0, r.y1) = (r.x0 + dx, r.x1 + dx, r.y0 + dy, r.y1 + dy);
            }
        }
        for ((_, m), f) in panel_list.iter().zip(&frames) {
            let (nr, nc) = (
                m.len().max(1) as f64,
                m.first().map_or(1, |r| r.len().max(1)) as f64,
            );
            let r = f.rect;
            for (i, row) in m.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    let cell = Rect {
                        x0: (r.x0 + j as f64 * r.w() / nc).round(),
                        y0: (r.y0 + i as f64 * r.h() / nr).round(),
                        x1: (r.x0 + (j + 1) as f64 * r.w() / nc).round(),
                        y1: (r.y0 + (i + 1) as f64 * r.h() / nr).round(),
                    };
                    let color = if v.is_finite() {
                        hg.colormap.color_at((v - lo) / (hi - lo))
                    } else {
                        MISSING
                    };
                    cv.fill(cell, color.to_rgba())?;
                }
            }
            cv.axes(f)?;
            if m.is_empty() || m[0].is_empty() {
                cv.note(f.rect, "no data")?;
            }
        }
        let (Some(first), Some(right)) = (
            frames.first(),
            frames.iter().map(|f| f.rect.x1).reduce(f64::max),
        ) else {
            return Ok(());
        };
        cv.shared_x_title(&frames)?;
        cv.title(&hg.figure.title, (first.rect.x0, right))?;

        // The colour bar: beside the panels, as tall as they are, labelled with the range.
        let top = first.rect.y0;
        let bottom = frames
            .iter()
            .map(|f| f.rect.y1)
            .fold(top + 40.0 * k, f64::max);
        let bar = Rect {
            x0: right + 30.0 * k,
            y0: top,
            x1: right + 48.0 * k,
            y1: bottom,
        };
        const STEPS: usize = 64;
        for s in 0..STEPS {
            let (a, b) = (s as f64 / STEPS as f64, (s + 1) as f64 / STEPS as f64);
            let piece = Rect {
                x0: bar.x0,
                x1: bar.x1,
                y0: (bar.y1 - b * bar.h()).floor(),
                y1: (bar.y1 - a * bar.h()).ceil(),
            };
            cv.fill(piece, hg.colormap.color_at((a + b) / 2.0).to_rgba())?;
        }
        cv.outline(bar, AXIS)?;
        for (v, label) in &bar_ticks {
            let y = bar.y1 - (v - lo) / (hi - lo) * bar.h();
            cv.line((bar.x1, y), (bar.x1 + 5.0 * k, y), AXIS, 1)?;
            cv.text(label, (bar.x1 + 9.0 * k, y), cv.font(TICK_PX))?;
        }
        if !hg.value_label.is_empty() {
            let x = bar.x1 + 9.0 * k + bar_labels + 8.0 * k;
            cv.text(
                &hg.value_label,
                (x, bar.cy()),
                cv.font(LABEL_PX).anchor(HPos::Center, VPos::Top).vertical(),
            )?;
        }
        Ok(())
    })?;

    let mut csv = if grid {
        Table::new(["panel", "row", "col", "value"])
    } else {
        Table::new(["row", "col", "value"])
    };
    for (title, m) in &hg.panels {
        for (i, row) in m.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let mut cells = vec![i.to_string(), j.to_string(), num(v)];
                if grid {
                    cells.insert(0, title.clone());
                }
                csv.row(cells);
            }
        }
    }
    write_figure(svg_path, &hg.figure, &svg, &csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_names_are_normalised() {
        assert_eq!(name_key("He (normal) init"), "henormal");
        assert_eq!(book_color("he normal"), Some(VERMILLION));
        assert_eq!(book_color("beta = 0.9"), Some(BLUE));
        assert_eq!(book_color("p=0.5"), Some(VERMILLION));
        assert_eq!(book_color("leaky ReLU 0.2"), Some(ORANGE));
        assert_eq!(book_color("ReLU6"), None);
        assert_eq!(
            book_color("SELU + LeCun normal"),
            Some(BLUISH_GREEN),
            "A + B takes A's colour"
        );
        assert_eq!(book_color("ReLU + He"), book_color("ReLU + He normal"));
        assert_eq!(book_color("random (He normal)"), Some(VERMILLION));
    }

    #[test]
    fn plot_clipping_keeps_the_inside_part() {
        let (a, b) = clip_to_unit_square((-1.0, 0.5), (2.0, 0.5)).unwrap();
        assert_eq!((a, b), ((0.0, 0.5), (1.0, 0.5)));
        assert!(clip_to_unit_square((2.0, 2.0), (3.0, 3.0)).is_none());
        assert_eq!(
            clip_to_unit_square((0.2, 0.2), (0.4, 0.6)),
            Some(((0.2, 0.2), (0.4, 0.6)))
        );
    }

    #[test]
    fn plot_dashes_cover_the_line_in_order() {
        let d = dashes(&[(0.0, 0.0), (20.0, 0.0)], 5.0, 3.0);
        let xs: Vec<(f64, f64)> = d.iter().map(|p| (p[0].0, p[p.len() - 1].0)).collect();
        assert_eq!(xs, vec![(0.0, 5.0), (8.0, 13.0), (16.0, 20.0)]);
    }

    #[test]
    fn plot_contours_of_a_bowl_are_closed_loops() {
        let xs: Vec<f64> = (0..21).map(|i| -1.0 + 0.1 * f64::from(i)).collect();
        let z: Vec<Vec<f64>> = xs
            .iter()
            .map(|x| xs.iter().map(|y| x * x + y * y).collect())
            .collect();
        let lines = contour_lines(&xs, &xs, &z, 0.25);
        assert_eq!(lines.len(), 1, "one circle");
        let l = &lines[0];
        assert_eq!(l.first(), l.last(), "closed");
        assert!(
            l.iter()
                .all(|(x, y)| ((x * x + y * y).sqrt() - 0.5).abs() < 0.01)
        );
    }
}
