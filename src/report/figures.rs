//! What every figure needs: the font and PNG encoding (the figures are in [`super::plots`]).
//! Text is drawn with DejaVu Sans, embedded in the binary
//! (`DejaVuSans.ttf`, Bitstream Vera / DejaVu licence in `DejaVuSans-LICENSE.txt`), so figures
//! render the same on any machine without system fonts.

use plotters::prelude::*;

static FONT: &[u8] = include_bytes!("DejaVuSans.ttf");

pub(super) fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans is not a valid TrueType font");
        }
    });
}

/// Encode an RGB buffer of `size` as PNG.
pub(super) fn encode_png(rgb: Vec<u8>, size: (u32, u32)) -> Result<Vec<u8>, String> {
    let image = image::RgbImage::from_raw(size.0, size.1, rgb).ok_or("buffer size")?;
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
