//! What every figure has, and how every chart kind is saved (the [`Chart`] trait).

use super::*;

/// A chart of any kind: what it draws, and the one way every kind is saved.
pub trait Chart {
    /// Its title, alt text, caption and size.
    fn figure(&self) -> &Figure;
    /// The SVG, and the plotted data as a table (which [`save`](Chart::save) writes as CSV).
    fn render(&self) -> Result<(String, Table)>;
    /// Write the SVG to `svg_path` and the data beside it (same stem, `.csv`), atomically.
    fn save(&self, svg_path: &Path) -> Result<()> {
        let (svg, csv) = self.render()?;
        write_figure(svg_path, self.figure(), &svg, &csv)
    }
}

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
    pub(crate) fn sized_for_grid(
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

pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Put the alt text (`<title>`) and caption (`<desc>`) first inside `<svg>`, which is also marked
/// as an image for screen readers.
pub(crate) fn with_accessible_text(svg: &str, figure: &Figure) -> String {
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
pub(crate) fn tidy_font_sizes(svg: &str) -> String {
    pub(crate) const KEY: &str = "font-size=\"";
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
pub(crate) fn write_figure(svg_path: &Path, figure: &Figure, svg: &str, csv: &Table) -> Result<()> {
    let svg = tidy_font_sizes(&with_accessible_text(svg, figure));
    write_atomic(svg_path, svg.as_bytes())?;
    write_atomic(&svg_path.with_extension("csv"), csv.to_csv().as_bytes())
}

pub(crate) fn num(v: f64) -> String {
    format!("{v}")
}
