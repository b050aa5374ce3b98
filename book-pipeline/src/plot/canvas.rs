//! The SVG canvas: text sizes, fonts, rectangles and the drawing helpers in pixels.

use super::*;

/// Text sizes (px) on an 800 px wide canvas; wider canvases scale them up so that text reads the
/// same when the book shrinks the figure to its ~700 px column.
pub(crate) const TITLE_PX: f64 = 20.0;
pub(crate) const LABEL_PX: f64 = 16.0;
pub(crate) const TICK_PX: f64 = 13.0;
pub(crate) const LEGEND_PX: f64 = 14.0;

pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const AXIS: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const GRID: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);
pub(crate) const NOTE: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub(crate) const CONTOUR: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
pub(crate) const MISSING: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);
pub(crate) const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// Estimated width of `text` at `px`: sans-serif glyphs average about 0.6 em.
pub(crate) fn text_width(text: &str, px: f64) -> f64 {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 0.6 * px
}

/// How a piece of text is set: size, colour, which point of the text sits at the anchor.
#[derive(Clone, Copy)]
pub(crate) struct Font {
    pub(crate) px: f64,
    pub(crate) color: RGBColor,
    pub(crate) h: HPos,
    pub(crate) v: VPos,
    pub(crate) vertical: bool,
    pub(crate) italic: bool,
}

impl Font {
    pub(crate) fn new(px: f64) -> Self {
        Font {
            px,
            color: TEXT,
            h: HPos::Left,
            v: VPos::Center,
            vertical: false,
            italic: false,
        }
    }

    pub(crate) fn anchor(self, h: HPos, v: VPos) -> Self {
        Font { h, v, ..self }
    }

    pub(crate) fn color(self, color: RGBColor) -> Self {
        Font { color, ..self }
    }

    /// Read bottom to top (a y-axis title).
    pub(crate) fn vertical(self) -> Self {
        Font {
            vertical: true,
            ..self
        }
    }

    pub(crate) fn italic(self) -> Self {
        Font {
            italic: true,
            ..self
        }
    }
}

/// An axis-aligned rectangle in canvas pixels (y grows downwards).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rect {
    pub(crate) x0: f64,
    pub(crate) y0: f64,
    pub(crate) x1: f64,
    pub(crate) y1: f64,
}

impl Rect {
    pub(crate) fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    pub(crate) fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    pub(crate) fn cx(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    pub(crate) fn cy(&self) -> f64 {
        (self.y0 + self.y1) / 2.0
    }
}

// ──── the canvas ─────────────────────────────────────────────────────────────────────────────

/// The SVG being drawn, with drawing helpers in pixel coordinates.
pub(crate) struct Canvas<'a> {
    pub(crate) area: DrawingArea<SVGBackend<'a>, Shift>,
    /// Size multiplier for text and spacing: 1 up to 800 px wide, more on wider canvases.
    pub(crate) k: f64,
}

pub(crate) fn draw_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw the figure: {e}")
}

pub(crate) fn ipt((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

/// Draw a figure into an SVG string.
pub(crate) fn render(size: (u32, u32), draw: impl FnOnce(&Canvas) -> Result<()>) -> Result<String> {
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
    pub(crate) fn size(&self) -> (f64, f64) {
        let (w, h) = self.area.dim_in_pixel();
        (f64::from(w), f64::from(h))
    }

    /// A line width of `px` on an 800 px canvas.
    pub(crate) fn stroke(&self, px: f64) -> u32 {
        (px * self.k).round().max(1.0) as u32
    }

    pub(crate) fn font(&self, px: f64) -> Font {
        Font::new(px * self.k)
    }

    pub(crate) fn text(&self, text: &str, at: (f64, f64), font: Font) -> Result<()> {
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
    pub(crate) fn path(
        &self,
        points: &[(f64, f64)],
        color: RGBColor,
        width: u32,
        dashed: bool,
    ) -> Result<()> {
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

    pub(crate) fn line(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        color: RGBColor,
        width: u32,
    ) -> Result<()> {
        self.path(&[a, b], color, width, false)
    }

    pub(crate) fn fill(&self, r: Rect, color: RGBAColor) -> Result<()> {
        let rect = Rectangle::new([ipt((r.x0, r.y0)), ipt((r.x1, r.y1))], color.filled());
        self.area.draw(&rect).map_err(draw_err)
    }

    pub(crate) fn outline(&self, r: Rect, color: RGBColor) -> Result<()> {
        let rect = Rectangle::new(
            [ipt((r.x0, r.y0)), ipt((r.x1, r.y1))],
            color.stroke_width(1),
        );
        self.area.draw(&rect).map_err(draw_err)
    }

    pub(crate) fn dot(&self, at: (f64, f64), radius: f64, color: RGBColor) -> Result<()> {
        let r = radius.round().max(1.0) as i32;
        self.area
            .draw(&Circle::new(ipt(at), r, color.filled()))
            .map_err(draw_err)
    }

    /// The figure title, centred over `span` (x0, x1), shrunk if it would not fit.
    pub(crate) fn title(&self, title: &str, span: (f64, f64)) -> Result<()> {
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
    pub(crate) fn note(&self, frame: Rect, text: &str) -> Result<()> {
        let font = self
            .font(LEGEND_PX)
            .anchor(HPos::Center, VPos::Center)
            .color(NOTE)
            .italic();
        self.text(text, (frame.cx(), frame.cy()), font)
    }
}

/// Split a polyline into dashes `on` px long with `off` px gaps.
pub(crate) fn dashes(points: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
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
