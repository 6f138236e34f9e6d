//! One style for every figure: a colour-blind-safe palette, the font, text sizes, and the
//! figure sizes for the screen and for print.

use plotters::style::RGBColor;

/// The Okabe-Ito palette (distinguishable under the common colour-vision deficiencies),
/// without its yellow, which is too light on white: blue, orange, bluish green, vermillion,
/// reddish purple, sky blue, black.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The series colour of index `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Reference points (published figures) are drawn in this colour.
pub const REFERENCE: RGBColor = RGBColor(0, 0, 0);

/// The family every text uses (the embedded DejaVu Sans in PNG figures).
pub const FONT: &str = "sans-serif";
/// Panel titles, axis descriptions, tick labels, legends and captions, in pixels.
pub const TITLE: u32 = 20;
pub const AXIS: u32 = 15;
pub const TICK: u32 = 13;
pub const LEGEND: u32 = 13;
pub const CAPTION: u32 = 13;

/// A three-panel figure on screen, and at print size (the same layout, larger).
pub const WIDE: (u32, u32) = (1500, 560);
pub const WIDE_PRINT: (u32, u32) = (2250, 840);
