//! Figures in the book's house style: SVG drawn with plotters, and the plotted data as CSV.
//!
//! Every chapter's figures look alike: the colour-blind-safe Okabe–Ito [`palette`] with one fixed
//! colour per series across the book, keyed by what it shows ([`BookColor`]), light major grid lines only, tick
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

mod bar;
mod canvas;
mod contour;
mod figure;
mod heatmap;
mod histogram;
mod layout;
mod legend;
mod line;
mod style;
mod ticks;

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

pub use bar::{Bar, BarChart};
pub(crate) use canvas::*;
pub use contour::ContourPlot;
pub(crate) use figure::*;
pub use figure::{Chart, Figure};
pub use heatmap::{Heatmap, HeatmapGrid};
pub use histogram::{Bins, Histogram, HistogramGrid};
pub(crate) use layout::*;
pub(crate) use legend::*;
pub(crate) use line::*;
pub use line::{LineChart, LineGrid, Series};
pub(crate) use style::palette::*;
pub use style::*;
pub use ticks::*;

#[cfg(test)]
mod tests {
    use super::contour::contour_lines;
    use super::*;

    #[test]
    fn book_colours_follow_the_typed_values() {
        use lab::{Activation, Init};
        assert_eq!(Init::HeNormal.book_color(), Some(VERMILLION));
        assert_eq!(Init::HeUniform.book_color(), Init::HeNormal.book_color());
        assert_eq!(
            Activation::LeakyRelu { alpha: 0.2 }.book_color(),
            Some(ORANGE)
        );
        assert_eq!(Activation::GeluTanh.book_color(), None);
        // Two series of one book colour: the second is dashed; explicit colours never are.
        let pens = pens_with_overrides(&[
            ("He normal", None, Some(VERMILLION)),
            ("He uniform", None, Some(VERMILLION)),
            ("x", Some(BLUE), None),
            ("y", Some(BLUE), None),
            ("z", None, None),
        ]);
        assert!(!pens[0].dashed && pens[1].dashed);
        assert!(!pens[2].dashed && !pens[3].dashed);
        assert!(
            ![VERMILLION, BLUE].contains(&pens[4].color),
            "free colours avoid the taken"
        );
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
