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

/// Series that have one colour in the whole book, whichever chapter draws them.
pub(crate) const BOOK_COLORS: &[(&str, RGBColor)] = &[
    // initialisations
    ("He", VERMILLION),
    ("He normal", VERMILLION),
    ("He uniform", VERMILLION),
    ("Kaiming", VERMILLION),
    ("Kaiming normal", VERMILLION),
    ("Kaiming uniform", VERMILLION),
    ("Glorot", BLUE),
    ("Glorot normal", BLUE),
    ("Glorot uniform", BLUE),
    ("Xavier", BLUE),
    ("Xavier normal", BLUE),
    ("Xavier uniform", BLUE),
    ("LeCun", BLUISH_GREEN),
    ("LeCun normal", BLUISH_GREEN),
    ("LeCun uniform", BLUISH_GREEN),
    ("U(±1/√n_in)", ORANGE),
    ("N(0, 1)", BLACK),
    ("N(0, 0.01²)", REDDISH_PURPLE),
    ("1/n_in", SKY_BLUE),
    // activations
    ("ReLU", VERMILLION),
    ("leaky ReLU", ORANGE),
    ("leaky ReLU 0.01", ORANGE),
    ("leaky ReLU 0.2", ORANGE),
    ("ELU", REDDISH_PURPLE),
    ("SELU", BLUISH_GREEN),
    ("GELU", BLUE),
    ("Swish", SKY_BLUE),
    ("SiLU", SKY_BLUE),
    ("Mish", DARK_GREY),
    ("tanh", BLACK),
    ("sigmoid", DARK_YELLOW),
    ("softplus", BROWN),
    ("identity", GREY),
    ("linear", GREY),
    ("theory", GREY),
    // chapter 2's starting points
    ("random (He normal)", VERMILLION),
    ("constant", BLACK),
    ("constant + dropout", SKY_BLUE),
    ("constant + dropout 0.5", SKY_BLUE),
    ("all zeros", REDDISH_PURPLE),
    // chapter 5's optimal heavy ball
    ("optimal α*, β*", BLACK),
    // dropout rates
    ("p = 0", BLACK),
    ("p = 0.2", SKY_BLUE),
    ("p = 0.5", VERMILLION),
    // momentum
    ("β = 0", BLACK),
    ("β = 0.9", BLUE),
    ("β = 0.99", BLUISH_GREEN),
    ("β = 0.999", ORANGE),
    ("β = 0.99999", VERMILLION),
];

/// The key a series name is looked up by: case, spaces, brackets and a trailing "init" are
/// ignored, so "He (normal)", "he normal" and "He normal init" are the same series.
pub(crate) fn name_key(name: &str) -> String {
    let key: String = name
        .to_lowercase()
        .replace("beta", "β")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')'))
        .collect();
    ["initialization", "initialisation", "init"]
        .iter()
        .find_map(|suffix| key.strip_suffix(suffix).filter(|k| !k.is_empty()))
        .map_or(key.clone(), str::to_string)
}

/// The book-wide colour of a known series name ("He normal", "ReLU", "β = 0.9", ...), if any.
/// An unknown name "A + B" takes the colour of A if A has one: "SELU + LeCun normal" is SELU's.
pub fn book_color(name: &str) -> Option<RGBColor> {
    let lookup = |name: &str| {
        let key = name_key(name);
        BOOK_COLORS
            .iter()
            .find(|(n, _)| name_key(n) == key)
            .map(|&(_, c)| c)
    };
    lookup(name).or_else(|| {
        let (head, _) = name.split_once(" + ")?;
        lookup(head)
    })
}

/// The colour of a series called `name`: its book-wide colour if it has one, else a palette
/// colour picked by the name (stable, but two unknown names may share it; within a figure,
/// [`assign_pens`] gives unknown names distinct colours instead).
pub fn series_color(name: &str) -> RGBColor {
    book_color(name).unwrap_or_else(|| {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        CYCLE[(hash % 8) as usize]
    })
}

/// How a series is drawn: its colour, and whether its line is dashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pen {
    pub color: RGBColor,
    pub dashed: bool,
}

/// Pens for the series of one figure, in order (a repeated name gets the same pen).
///
/// Known names keep their book-wide colour; the others take [`palette::CYCLE`] in order of
/// appearance, skipping colours that known names already use in this figure. A colour given to a
/// second name in the same figure (say "He normal" and "He uniform") is dashed the second time,
/// and so are colours reused once the cycle runs out. Explicit colours are never dashed here.
pub fn assign_pens(names: &[&str]) -> Vec<Pen> {
    let items: Vec<(&str, Option<RGBColor>)> = names.iter().map(|&n| (n, None)).collect();
    pens_with_overrides(&items)
}

/// [`assign_pens`] where some series carry an explicit colour (which other series then avoid).
pub(crate) fn pens_with_overrides(items: &[(&str, Option<RGBColor>)]) -> Vec<Pen> {
    let fixed = |name: &str, explicit: Option<RGBColor>| explicit.or_else(|| book_color(name));
    let mut reserved: Vec<RGBColor> = items.iter().filter_map(|&(n, c)| fixed(n, c)).collect();
    let mut given: Vec<RGBColor> = Vec::new();
    let mut by_name: HashMap<&str, Pen> = HashMap::new();
    let mut overflow = 0;
    let mut pens = Vec::with_capacity(items.len());
    for &(name, explicit) in items {
        // Unnamed series are all different series.
        if let Some(&pen) = by_name.get(name).filter(|_| !name.is_empty()) {
            pens.push(pen);
            continue;
        }
        let pen = match fixed(name, explicit) {
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
