//! Contour plots of a loss surface with paths over it: builder, contour lines, renderer.

use super::*;

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
}

/// Saving writes the figure to `svg_path` and the paths to the `.csv` beside it (`series,step,x,y`).
impl Chart for ContourPlot {
    fn figure(&self) -> &Figure {
        &self.figure
    }
    fn render(&self) -> Result<(String, Table)> {
        render_contours(self)
    }
}

/// A point where a contour crosses a grid edge: (i, j, 0) is the edge from node (i, j) to
/// (i+1, j), (i, j, 1) the edge from (i, j) to (i, j+1).
pub(crate) type EdgeKey = (usize, usize, u8);

/// Contour lines of the level `level` through grid values `z[i][j]` = f(xs[i], ys[j]), by marching
/// squares, joined into polylines in data coordinates.
pub(crate) fn contour_lines(
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
    level: f64,
) -> Vec<Vec<(f64, f64)>> {
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

pub(crate) fn render_contours(cp: &ContourPlot) -> Result<(String, Table)> {
    let x_range = axis_range(std::iter::empty(), Scale::Linear, Some(cp.x_range))?;
    let y_range = axis_range(std::iter::empty(), Scale::Linear, Some(cp.y_range))?;
    pub(crate) const N: usize = 121;
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
    Ok((svg, csv))
}
