//! Figures, drawn in memory (plotters) and returned as PNG bytes for
//! [`super::write_outputs`]. Text is drawn with DejaVu Sans, embedded in the binary
//! (`DejaVuSans.ttf`, Bitstream Vera / DejaVu licence in `DejaVuSans-LICENSE.txt`), so figures
//! render the same on any machine without system fonts.

use super::ReportError;
use crate::trace::inspect::{Lengths, TraceStats};
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

const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

type PlotResult = Result<(), Box<dyn std::error::Error>>;

/// Encode an RGB buffer of `size` as PNG.
pub(super) fn encode_png(rgb: Vec<u8>, size: (u32, u32)) -> Result<Vec<u8>, String> {
    let image = image::RgbImage::from_raw(size.0, size.1, rgb).ok_or("buffer size")?;
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Draw a figure of `size` pixels with `draw`, as PNG bytes.
fn figure(
    name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> PlotResult,
) -> Result<Vec<u8>, ReportError> {
    register_font();
    let err = |message: String| ReportError::Figure {
        name: name.into(),
        message,
    };
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    encode_png(rgb, size).map_err(err)
}

/// Arrival rate over time and prompt/response length distributions of one or more traces,
/// overlaid (e.g. a synthetic trace and the data it imitates), as a 1200 x 900 PNG.
pub fn trace_figure(named: &[(String, TraceStats)]) -> Result<Vec<u8>, ReportError> {
    figure("trace", (1200, 900), |root| {
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(450);
        let (left, right) = bottom.split_horizontally(600);
        rate_panel(&top, named)?;
        length_panel(&left, named, true)?;
        length_panel(&right, named, false)?;
        Ok(())
    })
}

fn rate_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    named: &[(String, TraceStats)],
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    // Arrivals per minute, averaged over 10-minute bins when a trace is long, in requests/s.
    let bin = |s: &TraceStats| if s.per_minute.len() > 600 { 10 } else { 1 };
    let series: Vec<Vec<(f64, f64)>> = named
        .iter()
        .map(|(_, s)| {
            let b = bin(s);
            s.per_minute
                .chunks(b)
                .enumerate()
                .map(|(i, c)| {
                    (
                        (i * b) as f64 / 60.0,
                        c.iter().sum::<u64>() as f64 / (60.0 * c.len() as f64),
                    )
                })
                .collect()
        })
        .collect();
    let x_max = series
        .iter()
        .flat_map(|s| s.last().map(|p| p.0))
        .fold(1e-3, f64::max);
    let y_max = series.iter().flatten().map(|p| p.1).fold(1e-3, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption("Arrival rate", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("hours from start")
        .y_desc("requests / s")
        .label_style(("sans-serif", 14))
        .draw()?;
    for (i, ((name, _), pts)) in named.iter().zip(series).enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

fn length_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    named: &[(String, TraceStats)],
    input: bool,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    fn pick(s: &TraceStats, input: bool) -> &Lengths {
        if input {
            &s.input
        } else {
            &s.output
        }
    }
    // Share of requests per bin, up to the largest p99 of the traces shown.
    let x_max = named
        .iter()
        .map(|(_, s)| pick(s, input).quantile(0.99))
        .max()
        .unwrap_or(1)
        .max(10) as usize;
    let bins = 50usize;
    let width = x_max.div_ceil(bins).max(1);
    let shares: Vec<Vec<(f64, f64)>> = named
        .iter()
        .map(|(_, s)| {
            let h = pick(s, input);
            let total = h.count().max(1) as f64;
            (0..bins)
                .map(|b| {
                    let c = h.count_in((b * width) as u64, ((b + 1) * width) as u64);
                    ((b * width) as f64, c as f64 / total)
                })
                .collect()
        })
        .collect();
    let y_max = shares.iter().flatten().map(|p| p.1).fold(1e-3, f64::max) * 1.1;
    let title = if input {
        "Prompt tokens"
    } else {
        "Response tokens"
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..(bins * width) as f64, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(format!("tokens ({width}-token bins, to the largest p99)"))
        .y_desc("share of requests")
        .label_style(("sans-serif", 13))
        .draw()?;
    for (i, pts) in shares.into_iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        // Step outline so several traces stay readable on one panel.
        let step: Vec<(f64, f64)> = pts
            .iter()
            .flat_map(|&(x, y)| [(x, y), (x + width as f64, y)])
            .collect();
        chart.draw_series(LineSeries::new(step, c.stroke_width(2)))?;
    }
    Ok(())
}
