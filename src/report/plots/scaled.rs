//! A drawing backend that draws a figure laid out at its screen size onto a larger bitmap:
//! every coordinate, stroke width (rounded down), circle radius and font size times `k`. The layout (where
//! each panel, tick and label goes) is the screen figure's, measured at the screen font size;
//! only the pixels are finer. This is how `[figures] size = "print"` draws its PNGs (the SVGs
//! are vector already).

use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// `inner`, addressed in coordinates `k` times smaller.
pub struct Scaled<DB> {
    pub inner: DB,
    pub k: f64,
}

/// A stroke of a colour and width, in the inner backend's pixels.
struct Stroke {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

impl<DB: DrawingBackend> Scaled<DB> {
    fn at(&self, p: BackendCoord) -> BackendCoord {
        (
            (f64::from(p.0) * self.k).round() as i32,
            (f64::from(p.1) * self.k).round() as i32,
        )
    }

    fn stroke<S: BackendStyle>(&self, s: &S) -> Stroke {
        Stroke {
            color: s.color(),
            // Rounded down: a hairline (a light grid line) at 1.5x stays one pixel.
            width: ((f64::from(s.stroke_width()) * self.k).floor() as u32).max(1),
        }
    }
}

impl<DB: DrawingBackend> DrawingBackend for Scaled<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (
            (f64::from(w) / self.k).round() as u32,
            (f64::from(h) / self.k).round() as u32,
        )
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        // A filled rectangle covers its corners' span half-open, as the bitmap fills it.
        let (a, b) = (self.at(point), self.at((point.0 + 1, point.1 + 1)));
        self.inner.draw_rect(a, b, &color, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let stroke = self.stroke(style);
        let (a, b) = (self.at(from), self.at(to));
        if stroke.width == 1 {
            self.inner.draw_line(a, b, &stroke)
        } else {
            self.inner.draw_path([a, b], &stroke)
        }
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let stroke = self.stroke(style);
        let (a, b) = (self.at(upper_left), self.at(bottom_right));
        self.inner.draw_rect(a, b, &stroke, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let stroke = self.stroke(style);
        let points: Vec<BackendCoord> = path.into_iter().map(|p| self.at(p)).collect();
        self.inner.draw_path(points, &stroke)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let stroke = self.stroke(style);
        let r = (f64::from(radius) * self.k).round() as u32;
        self.inner.draw_circle(self.at(center), r, &stroke, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let points: Vec<BackendCoord> = vert.into_iter().map(|p| self.at(p)).collect();
        self.inner.fill_polygon(points, &style.color())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        // The same font, k times the size, anchored at the scaled position.
        let font = FontDesc::new(style.family(), style.size() * self.k, style.style())
            .transform(style.transform());
        let anchor: Pos = style.anchor();
        let scaled = TextStyle {
            font,
            color: style.color(),
            pos: anchor,
        };
        self.inner.draw_text(text, &scaled, self.at(pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draw on a 40 x 20 logical canvas scaled by `k` onto a bitmap; return its pixels.
    fn draw(
        k: f64,
        f: impl FnOnce(&DrawingArea<Scaled<BitMapBackend>, plotters::coord::Shift>),
    ) -> image::RgbImage {
        let size = ((40.0 * k) as u32, (20.0 * k) as u32);
        let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
        {
            let inner = BitMapBackend::with_buffer(&mut rgb, size);
            let root = Scaled { inner, k }.into_drawing_area();
            assert_eq!(root.dim_in_pixel(), (40, 20));
            root.fill(&WHITE).unwrap();
            f(&root);
            root.present().unwrap();
        }
        image::RgbImage::from_raw(size.0, size.1, rgb).unwrap()
    }

    #[test]
    fn a_filled_rectangle_covers_k_times_its_pixels_on_each_side() {
        // The bitmap fills corners (10, 5) to (19, 9) as 10..19 x 5..9, half-open: 9 x 4
        // pixels; at k = 2, 20..38 x 10..18: 18 x 8, four times as many.
        let blue = |k: f64| {
            let img = draw(k, |root| {
                root.draw(&Rectangle::new([(10, 5), (19, 9)], BLUE.filled()))
                    .unwrap();
            });
            let cells: Vec<(u32, u32)> = img
                .enumerate_pixels()
                .filter(|p| p.2 .0 == [0, 0, 255])
                .map(|p| (p.0, p.1))
                .collect();
            cells
        };
        assert_eq!(blue(1.0).len(), 9 * 4);
        let big = blue(2.0);
        assert_eq!(big.len(), 18 * 8);
        assert_eq!(big.first(), Some(&(20, 10)));
        assert_eq!(big.last(), Some(&(37, 17)));
    }

    #[test]
    fn a_line_is_k_times_as_wide_and_long() {
        // A horizontal 1-pixel line from x = 5 to 25 at y = 10, k = 3: 3 pixels wide.
        let img = draw(3.0, |root| {
            root.draw(&PathElement::new(vec![(5, 10), (25, 10)], RED))
                .unwrap();
        });
        let column: Vec<u32> = (0..60)
            .filter(|&y| img.get_pixel(45, y).0 == [255, 0, 0])
            .collect();
        // (plotters polygonizes a wide stroke to within a pixel)
        assert!((3..=4).contains(&column.len()), "{column:?}");
        let row = (0..120)
            .filter(|&x| img.get_pixel(x, column[1]).0 == [255, 0, 0])
            .count();
        assert!((60..=63).contains(&row), "{row}");
    }

    #[test]
    fn text_is_drawn_at_k_times_its_size() {
        crate::report::figures::register_font();
        let ink = |k: f64| {
            let img = draw(k, |root| {
                root.draw(&Text::new("H", (5, 2), ("sans-serif", 12).into_font()))
                    .unwrap();
            });
            let rows: Vec<u32> = (0..img.height())
                .filter(|&y| (0..img.width()).any(|x| img.get_pixel(x, y).0[0] < 128))
                .collect();
            rows.last().unwrap() - rows.first().unwrap() + 1
        };
        // An "H" of a 12-pixel font is about 9 pixels tall; at k = 2, twice that (+-1).
        let (one, two) = (ink(1.0), ink(2.0));
        assert!((2 * one - 1..=2 * one + 1).contains(&two), "{one} {two}");
    }
}
