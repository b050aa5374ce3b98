//! Legends: entries, swatches, and their placement beside the data.

use super::*;

/// What a legend entry shows beside its label.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    Line { markers: bool },
    Dot,
    Patch,
}

pub(crate) struct LegendEntry {
    pub(crate) name: String,
    pub(crate) pen: Pen,
    pub(crate) swatch: Swatch,
}

/// One entry per distinct non-empty name, in order of appearance.
pub(crate) fn legend_entries(
    items: impl Iterator<Item = (String, Pen, Swatch)>,
) -> Vec<LegendEntry> {
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
    pub(crate) fn legend_width(&self, entries: &[LegendEntry]) -> f64 {
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
    pub(crate) fn legend(
        &self,
        entries: &[LegendEntry],
        x: f64,
        top: f64,
        bottom: f64,
    ) -> Result<()> {
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
    pub(crate) fn series(&self, f: &Frame, s: &Series, pen: Pen, width: f64) -> Result<usize> {
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
