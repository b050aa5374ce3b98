//! Line charts and their small multiples: builders, then the renderer.

use super::*;

/// A named sequence of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend label. Empty: not in the legend.
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// A colour of the caller's choosing (never dashed on the figure's account).
    pub color: Option<RGBColor>,
    /// The book-wide colour of what the series shows ([`BookColor`]).
    pub book: Option<RGBColor>,
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
            book: None,
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

    /// Drawn in the book-wide colour of `what` (an initialisation, an activation, ...).
    pub fn of(mut self, what: &impl BookColor) -> Self {
        self.book = what.book_color();
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
}

/// Saved with its points as `series,x,y`.
impl Chart for LineChart {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        render_lines(&self.figure, &[self], 1, false)
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
}

/// Saved with its points as `panel,series,x,y`.
impl Chart for LineGrid {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        let panels: Vec<&LineChart> = self.panels.iter().collect();
        render_lines(&self.figure, &panels, self.columns, true)
    }
}

/// The pen of each series (its own colour and dashes override the figure's choice), and the
/// legend: one entry per distinct name.
pub(crate) fn pens_and_legend(series: &[&Series]) -> (Vec<Pen>, Vec<LegendEntry>) {
    let names: Vec<(&str, Option<RGBColor>, Option<RGBColor>)> = series
        .iter()
        .map(|s| (s.name.as_str(), s.color, s.book))
        .collect();
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
pub(crate) fn render_lines(
    figure: &Figure,
    charts: &[&LineChart],
    columns: usize,
    grid: bool,
) -> Result<(String, Table)> {
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
    Ok((svg, csv))
}
