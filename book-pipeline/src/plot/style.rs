//! Colours: the house palette, colour maps, and the pen each series is drawn with.

use super::*;

/// The Okabe–Ito palette (Okabe & Ito, 2008): eight colours that stay distinguishable under the
/// common colour-vision deficiencies, plus a darkened yellow and greys for lines on white.
pub mod palette {
    use plotters::style::RGBColor;

    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Faint as a line on white: for fills; lines use [`DARK_YELLOW`].
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Yellow darkened enough to read as a line on white.
    pub const DARK_YELLOW: RGBColor = RGBColor(0xB8, 0xA0, 0x00);
    pub const DARK_GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
    /// For references drawn behind the data: identity lines, theory curves.
    pub const GREY: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);
    /// Outside Okabe–Ito: only for a tenth activation function (softplus).
    pub const BROWN: RGBColor = RGBColor(0x8C, 0x56, 0x4B);

    /// The order in which series without a book-wide colour take colours within a figure: the
    /// seven Okabe–Ito line colours and the darkened yellow; past those, they repeat with dashes.
    /// Greys are left out: grey is for reference lines (theory, chance, a baseline).
    pub const CYCLE: [RGBColor; 8] = [
        BLACK,
        ORANGE,
        SKY_BLUE,
        BLUISH_GREEN,
        BLUE,
        VERMILLION,
        REDDISH_PURPLE,
        DARK_YELLOW,
    ];
}

use palette::*;

/// Something drawn in one colour throughout the book, whichever chapter draws it: He
/// initialisation is vermilion in every figure, and so is ReLU. `lab`'s choices (an
/// [`Init`](lab::Init), an [`Activation`](lab::Activation)) have theirs here; a chapter gives its
/// own choices (a bias initialisation, a dropout rate, a momentum) theirs by implementing it.
pub trait BookColor {
    /// The colour, or `None` for a series that takes the next free colour of its figure.
    fn book_color(&self) -> Option<RGBColor>;
}

impl BookColor for lab::Init {
    fn book_color(&self) -> Option<RGBColor> {
        use lab::Init::*;
        match self {
            HeNormal | HeUniform => Some(VERMILLION),
            GlorotNormal | GlorotUniform => Some(BLUE),
            LeCunNormal => Some(BLUISH_GREEN),
            OldUniform => Some(ORANGE),
            Normal { std } if *std == 1.0 => Some(BLACK),
            Normal { std } if *std == 0.01 => Some(REDDISH_PURPLE),
            _ => None,
        }
    }
}

impl BookColor for lab::Activation {
    fn book_color(&self) -> Option<RGBColor> {
        use lab::Activation::*;
        Some(match self {
            Relu => VERMILLION,
            LeakyRelu { .. } => ORANGE,
            Elu { .. } => REDDISH_PURPLE,
            Selu => BLUISH_GREEN,
            Gelu => BLUE,
            Swish => SKY_BLUE,
            Mish => DARK_GREY,
            Tanh => BLACK,
            Sigmoid => DARK_YELLOW,
            Softplus => BROWN,
            Identity => GREY,
            GeluTanh => return None,
        })
    }
}

/// How a series is drawn: its colour, and whether its line is dashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pen {
    pub color: RGBColor,
    pub dashed: bool,
}

/// Pens for the series of one figure, `(name, book colour)` in order (a repeated name gets the
/// same pen).
///
/// A series with a book-wide colour ([`BookColor`]) keeps it; the others take
/// [`palette::CYCLE`] in order of appearance, skipping colours already taken in this figure. A
/// book colour given to a second name in the same figure (say "He normal" and "He uniform") is
/// dashed the second time, and so are colours reused once the cycle runs out.
pub fn assign_pens(series: &[(&str, Option<RGBColor>)]) -> Vec<Pen> {
    let items: Vec<(&str, Option<RGBColor>, Option<RGBColor>)> =
        series.iter().map(|&(n, book)| (n, None, book)).collect();
    pens_with_overrides(&items)
}

/// [`assign_pens`] where some series carry an explicit colour, which is never dashed here, or a
/// book colour (see [`BookColor`]), dashed when a second series of the figure has it; the other
/// series avoid both.
pub(crate) fn pens_with_overrides(
    items: &[(&str, Option<RGBColor>, Option<RGBColor>)],
) -> Vec<Pen> {
    let fixed = |_name: &str, explicit: Option<RGBColor>, book: Option<RGBColor>| explicit.or(book);
    let mut reserved: Vec<RGBColor> = items
        .iter()
        .filter_map(|&(n, c, b)| fixed(n, c, b))
        .collect();
    let mut given: Vec<RGBColor> = Vec::new();
    let mut by_name: HashMap<&str, Pen> = HashMap::new();
    let mut overflow = 0;
    let mut pens = Vec::with_capacity(items.len());
    for &(name, explicit, book) in items {
        // Unnamed series are all different series.
        if let Some(&pen) = by_name.get(name).filter(|_| !name.is_empty()) {
            pens.push(pen);
            continue;
        }
        let pen = match fixed(name, explicit, book) {
            // An explicit colour is the caller's choice: never dashed on our own account.
            Some(color) if explicit.is_some() => Pen {
                color,
                dashed: false,
            },
            Some(color) => Pen {
                color,
                dashed: given.contains(&color),
            },
            None => match CYCLE.iter().find(|c| !reserved.contains(c)) {
                Some(&color) => {
                    reserved.push(color);
                    Pen {
                        color,
                        dashed: false,
                    }
                }
                None => {
                    overflow += 1;
                    Pen {
                        color: CYCLE[(overflow - 1) % 8],
                        dashed: true,
                    }
                }
            },
        };
        given.push(pen.color);
        by_name.insert(name, pen);
        pens.push(pen);
    }
    pens
}

/// A colour scale for heatmaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Sequential, dark purple → yellow, perceptually uniform and colour-blind safe.
    #[default]
    Viridis,
    /// Blue → white → red, for signed values around zero such as a cosine similarity in [−1, 1].
    Diverging,
}

impl Colormap {
    /// The colour at `t` ∈ [0, 1] (clamped), interpolated between the map's anchor colours.
    pub fn color_at(self, t: f64) -> RGBColor {
        pub(crate) const VIRIDIS: [u32; 9] = [
            0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30,
            0xFDE725,
        ];
        // ColorBrewer RdBu, reversed so that negative is blue.
        pub(crate) const DIVERGING: [u32; 9] = [
            0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D,
            0xB2182B,
        ];
        let anchors = match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::Diverging => &DIVERGING,
        };
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) } * (anchors.len() - 1) as f64;
        let i = (t.floor() as usize).min(anchors.len() - 2);
        let f = t - i as f64;
        let channel = |c: u32, shift: u32| f64::from((c >> shift) & 0xFF);
        let mix = |shift| {
            (channel(anchors[i], shift) * (1.0 - f) + channel(anchors[i + 1], shift) * f).round()
                as u8
        };
        RGBColor(mix(16), mix(8), mix(0))
    }
}
