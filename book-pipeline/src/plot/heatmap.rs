//! Heatmaps and grids of them: builders, then the renderer.

use super::*;

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
}

/// Saving writes the heatmap to `svg_path` and the matrix to the `.csv` beside it (`row,col,value`).
impl Chart for Heatmap {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
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
        render_heatmaps(&grid, false)
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
}

/// Saving writes the figure to `svg_path` and the matrices to the `.csv` beside it
/// (`panel,row,col,value`).
impl Chart for HeatmapGrid {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        render_heatmaps(self, true)
    }
}

/// Tick labels for `n` cells: the given names (or 0, 1, 2, ...) at the cell centres, thinned so
/// that at most `fit` are shown.
pub(crate) fn cell_ticks(n: usize, names: &[String], fit: usize) -> Vec<(f64, String)> {
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

pub(crate) fn render_heatmaps(hg: &HeatmapGrid, grid: bool) -> Result<(String, Table)> {
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
        pub(crate) const STEPS: usize = 64;
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
    Ok((svg, csv))
}
