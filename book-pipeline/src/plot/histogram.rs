//! Histograms in a grid: builders, binning, then the renderer.

use super::*;

/// One histogram series: raw values (binned by the [`HistogramGrid`]), or counts binned already.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub name: String,
    /// The book-wide colour of what the series shows ([`BookColor`]).
    pub book: Option<RGBColor>,
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
            book: None,
            values: values.into_iter().collect(),
            bins: None,
        }
    }

    /// Drawn in the book-wide colour of `what` ([`BookColor`]).
    pub fn of(mut self, what: &impl BookColor) -> Self {
        self.book = what.book_color();
        self
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
            book: None,
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
}

/// Saving writes the figure to `svg_path` and the bin counts to the `.csv` beside it
/// (`panel,series,bin_lo,bin_hi,count`).
impl Chart for HistogramGrid {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        render_histograms(self)
    }
}

/// Counts of the finite `values` in `bins` equal bins from `lo` to `hi` (values outside ignored).
pub(crate) fn bin_counts(values: &[f64], (lo, hi): (f64, f64), bins: usize) -> Vec<u64> {
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
pub(crate) fn bin_range<'a>(series: impl Iterator<Item = &'a Histogram>) -> (f64, f64) {
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
pub(crate) fn series_bins(h: &Histogram, range: (f64, f64), bins: usize) -> Bins {
    h.bins.clone().unwrap_or_else(|| Bins {
        lo: range.0,
        hi: range.1,
        counts: bin_counts(&h.values, range, bins),
    })
}

impl Bins {
    pub(crate) fn width(&self) -> f64 {
        (self.hi - self.lo) / self.counts.len().max(1) as f64
    }

    pub(crate) fn edge(&self, i: usize) -> f64 {
        self.lo + i as f64 * self.width()
    }

    /// Bar height of bin `i`: its count, or its density count / (total · bin width), which
    /// gives the bars an area of 1.
    pub(crate) fn height(&self, i: usize, density: bool) -> f64 {
        let total: u64 = self.counts.iter().sum();
        match (density, total) {
            (false, _) => self.counts[i] as f64,
            (true, 0) => 0.0,
            (true, total) => self.counts[i] as f64 / (total as f64 * self.width()),
        }
    }
}

pub(crate) fn render_histograms(hg: &HistogramGrid) -> Result<(String, Table)> {
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
    let items: Vec<(&str, Option<RGBColor>, Option<RGBColor>)> = all
        .iter()
        .map(|h| (h.name.as_str(), None, h.book))
        .collect();
    let pens = pens_with_overrides(&items);
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
    Ok((svg, csv))
}
