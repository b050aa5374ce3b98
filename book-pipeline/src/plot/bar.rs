//! Bar charts: builders, then the renderer.

use super::*;

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
    /// Drawn in the book-wide colour of `what` ([`BookColor`]).
    pub fn of(mut self, what: &impl BookColor) -> Self {
        if let Some(c) = what.book_color() {
            self.color = Some(c);
        }
        self
    }

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
}

/// Saving writes the chart to `svg_path` and the bars to the `.csv` beside it (`label,value,error`).
impl Chart for BarChart {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        render_bars(self)
    }
}

/// Break `text` at spaces into lines of at most about `width` px at `px`.
pub(crate) fn wrap(text: &str, width: f64, px: f64) -> String {
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

pub(crate) fn render_bars(bc: &BarChart) -> Result<(String, Table)> {
    let n = bc.bars.len();
    // Bars with a colour (a book-wide one, see `Bar::of`) keep it; the rest are blue, or grey
    // beside coloured ones.
    let named = bc.bars.iter().any(|b| b.color.is_some());
    let color = |b: &Bar| b.color.unwrap_or(if named { GREY } else { BLUE });

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
    Ok((svg, csv))
}
