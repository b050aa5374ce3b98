//! Axes, frames and the layout of panels in a figure.

use super::*;

/// One axis of a panel: where it starts and ends, how it maps values, its ticks and title.
pub(crate) struct Axis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) scale: Scale,
    pub(crate) title: String,
    pub(crate) ticks: Vec<(f64, String)>,
    pub(crate) minor: Vec<f64>,
    /// Ticks were set by the chart (categories, matrix indices): layout leaves them alone.
    pub(crate) fixed_ticks: bool,
    /// Draw grid lines at the ticks.
    pub(crate) grid: bool,
    /// Only whole-number ticks (counts).
    pub(crate) integer: bool,
}

impl Axis {
    pub(crate) fn new((lo, hi): (f64, f64), scale: Scale, title: &str) -> Self {
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
    pub(crate) fn categorical(range: (f64, f64), title: &str, ticks: Vec<(f64, String)>) -> Self {
        Axis {
            ticks,
            fixed_ticks: true,
            grid: false,
            ..Axis::new(range, Scale::Linear, title)
        }
    }

    /// Where `v` falls along the axis: 0 at `lo`, 1 at `hi`; `None` if it cannot be drawn.
    pub(crate) fn frac(&self, v: f64) -> Option<f64> {
        let t = match self.scale {
            Scale::Linear => (v - self.lo) / (self.hi - self.lo),
            Scale::Log10 if v > 0.0 => (v / self.lo).log10() / (self.hi / self.lo).log10(),
            Scale::Log10 => return None,
        };
        // Far-off points are pulled in to ±1e12 frames: no overflow, no visible change.
        t.is_finite().then(|| t.clamp(-1e12, 1e12))
    }

    /// Choose ticks for an axis `length` px long: as many as fit without crowding.
    pub(crate) fn choose_ticks(&mut self, length: f64, k: f64, horizontal: bool) {
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
    pub(crate) fn visible_ticks(&self) -> impl Iterator<Item = (f64, &str)> {
        self.ticks
            .iter()
            .filter_map(|(v, l)| Some((self.frac(*v)?, l.as_str())))
            .filter(|(t, _)| (-1e-6..=1.0 + 1e-6).contains(t))
    }
}

/// A panel before layout: its title and axes.
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
}

/// A panel after layout: the plot rectangle inside its grid cell, and the axes that map data
/// into it.
pub(crate) struct Frame {
    pub(crate) cell: Rect,
    pub(crate) rect: Rect,
    pub(crate) title: String,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
    /// In a grid, repeated axis titles are drawn only on the outer panels.
    pub(crate) show_x_title: bool,
    /// Every panel of the grid has this x title: it is drawn once (see `Canvas::shared_x_title`).
    pub(crate) shared_x_title: bool,
    pub(crate) show_y_title: bool,
}

impl Frame {
    /// Axis fractions of a data point; `None` for a point that cannot be drawn.
    pub(crate) fn unit(&self, (x, y): (f64, f64)) -> Option<(f64, f64)> {
        Some((self.x.frac(x)?, self.y.frac(y)?))
    }

    pub(crate) fn to_pixel(&self, (u, v): (f64, f64)) -> (f64, f64) {
        (
            self.rect.x0 + u * self.rect.w(),
            self.rect.y1 - v * self.rect.h(),
        )
    }

    /// Pixel position of a data point inside the frame.
    pub(crate) fn pixel(&self, p: (f64, f64)) -> Option<(f64, f64)> {
        let (u, v) = self.unit(p)?;
        ((0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v)).then(|| self.to_pixel((u, v)))
    }

    /// The drawable pieces of a line through `points`, in pixels: broken at points that cannot be
    /// drawn (NaN, ±∞, ≤ 0 on a log axis) and clipped to the frame.
    pub(crate) fn polylines(&self, points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
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
pub(crate) fn clip_to_unit_square(
    a: (f64, f64),
    b: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
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
pub(crate) fn label_lines(label: &str) -> usize {
    label.lines().count().max(1)
}

impl Canvas<'_> {
    /// Lay out a figure: a title band on top, `right` px reserved on the right (legend, colour
    /// bar), and the rest split into a grid of cells `columns` wide, one panel each. Margins are
    /// the same in every cell so that the frames line up; ticks are chosen to fit the frames.
    pub(crate) fn layout(
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
    pub(crate) fn shared_x_title(&self, frames: &[Frame]) -> Result<()> {
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
    pub(crate) fn grid(&self, f: &Frame) -> Result<()> {
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
    pub(crate) fn axes(&self, f: &Frame) -> Result<()> {
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
