//! The energy break-even of every local pair against the cloud endpoint.

use super::{floats, strings, Plot, PlotResult, CAPTION_HEIGHT};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// One local pair in the break-even figure.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakEvenPair {
    /// `model @ accelerator (variant)`.
    pub label: String,
    pub in_pool: bool,
    /// Local / cloud energy of the mean query.
    pub ratio: f64,
    /// Joules per prompt and per response token, local and cloud.
    pub local: (f64, f64),
    pub cloud: (f64, f64),
}

/// The energy break-even of every local pair against a cloud endpoint: the mean query's
/// local / cloud energy per pair (bars), and the region of prompt x response tokens where the
/// pairs of the scenario's pool are cheaper locally (lines where the two cost the same).
#[derive(Clone, Debug, PartialEq)]
pub struct BreakEvenFigure {
    pub pairs: Vec<BreakEvenPair>,
    pub mean_query: (f64, f64),
    pub caption: String,
}

/// Prompt and response token ranges of the region panel.
const REGION_TOKENS: (f64, f64) = (10.0, 100_000.0);

impl BreakEvenFigure {
    /// From the `breakeven` table (see the README's "Results files").
    pub fn from_table(t: &DataFrame, scenario: &str) -> PolarsResult<BreakEvenFigure> {
        let (m, a, v) = (
            strings(t, "model")?,
            strings(t, "accelerator")?,
            strings(t, "variant")?,
        );
        let pool = strings(t, "in_pool")?;
        let f = |c: &str| floats(t, c);
        let (ratio, lp, lr, cp, cr) = (
            f("energy_ratio")?,
            f("j_per_prompt_token")?,
            f("j_per_response_token")?,
            f("cloud_j_per_prompt_token")?,
            f("cloud_j_per_response_token")?,
        );
        let pairs = (0..t.height())
            .map(|i| BreakEvenPair {
                label: format!("{} @ {} ({})", m[i], a[i], v[i]),
                in_pool: pool[i] == "true",
                ratio: ratio[i],
                local: (lp[i], lr[i]),
                cloud: (cp[i], cr[i]),
            })
            .collect();
        let first = |c: &str| -> PolarsResult<String> {
            Ok(strings(t, c)?.first().cloned().unwrap_or_default())
        };
        let mean_query = (
            f("mean_prompt_tokens")?
                .first()
                .copied()
                .unwrap_or(f64::NAN),
            f("mean_response_tokens")?
                .first()
                .copied()
                .unwrap_or(f64::NAN),
        );
        Ok(BreakEvenFigure {
            caption: format!(
                "scenario {scenario}: local pairs at batch {} vs {} on {} ({}) at batch {}, PUE {}; mean of {} sampled queries; fixed-batch accounting",
                first("batch")?,
                first("cloud_model")?,
                first("cloud_accelerator")?,
                first("cloud_variant")?,
                first("cloud_batch")?,
                first("pue")?,
                first("sampled_queries")?
            ),
            pairs,
            mean_query,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (style::WIDE.0, (160 + 22 * self.pairs.len() as u32).max(560))
    }
}

impl Plot for BreakEvenFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let height = root.dim_in_pixel().1;
        let (body, foot) = root.split_vertically(height - CAPTION_HEIGHT);
        foot.draw(&Text::new(
            self.caption.clone(),
            (12, 8),
            (style::FONT, style::CAPTION).into_font(),
        ))?;
        let (left, right) = body.split_horizontally(860);
        // Bars: local / cloud energy of the mean query, log scale, break-even at 1.
        let n = self.pairs.len();
        let (lo, hi) = self
            .pairs
            .iter()
            .map(|p| p.ratio)
            .filter(|r| r.is_finite() && *r > 0.0)
            .fold((0.5f64, 2.0f64), |(l, h), r| (l.min(r), h.max(r)));
        let labels: Vec<String> = self.pairs.iter().map(|p| p.label.clone()).collect();
        let rows = n as i32;
        let x0 = lo / 1.5;
        let mut chart = ChartBuilder::on(&left)
            .caption(
                "Mean query: local / cloud energy",
                (style::FONT, style::TITLE),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(390)
            .build_cartesian_2d((x0..hi * 1.5).log_scale(), super::heatmap::segments(rows))?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                // Row 0 at the bottom: the table's first pair goes on top.
                SegmentValue::CenterOf(i) if (0..rows).contains(i) => {
                    labels[(rows - 1 - i) as usize].clone()
                }
                _ => String::new(),
            })
            .x_label_formatter(&|v| format!("{v}"))
            .x_desc("local / cloud energy of the mean query (log; < 1: local is cheaper)")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        chart.draw_series(self.pairs.iter().enumerate().map(|(i, p)| {
            let y = rows - 1 - i as i32;
            let c = if p.in_pool {
                colour(0)
            } else {
                RGBColor(170, 170, 170)
            };
            Rectangle::new(
                [
                    (x0, SegmentValue::Exact(y)),
                    (p.ratio.max(x0), SegmentValue::Exact(y + 1)),
                ],
                c.filled(),
            )
        }))?;
        // A white rule between bars keeps them apart.
        chart.draw_series((0..=rows).map(|y| {
            PathElement::new(
                vec![
                    (x0, SegmentValue::Exact(y)),
                    (hi * 1.5, SegmentValue::Exact(y)),
                ],
                WHITE.stroke_width(4),
            )
        }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (1.0, SegmentValue::Exact(0)),
                (1.0, SegmentValue::Exact(rows)),
            ],
            style::REFERENCE.stroke_width(2),
        )))?;
        // Region: where each pool pair's energy equals the cloud's, on log-log axes.
        let (t0, t1) = REGION_TOKENS;
        let mut region = ChartBuilder::on(&right)
            .caption(
                "Where the pool's pairs are cheaper locally",
                (style::FONT, style::TITLE),
            )
            .margin(12)
            .margin_right(30)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d((t0..t1).log_scale(), (t0..t1).log_scale())?;
        region
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("prompt tokens (log)")
            .y_desc("response tokens (log)")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        let mut notes = Vec::new();
        for (i, p) in self.pairs.iter().filter(|p| p.in_pool).enumerate() {
            let col = colour(i + 1);
            // Cheaper locally iff (a_l - a_c) n_in + (c_l - c_c) n_out < 0.
            let (da, dc) = (p.local.0 - p.cloud.0, p.local.1 - p.cloud.1);
            let name = p.label.split(" (").next().unwrap_or(&p.label).to_string();
            if da * dc < 0.0 {
                let k = -da / dc;
                let side = if da > 0.0 { "above" } else { "below" };
                // The visible part of n_out = k n_in inside the square [t0, t1]^2.
                let (xa, xb) = ((t0 / k).max(t0), (t1 / k).min(t1));
                if xa < xb {
                    region.draw_series(LineSeries::new(
                        [(xa, k * xa), (xb, k * xb)],
                        col.stroke_width(3),
                    ))?;
                }
                notes.push((format!("{name}: local cheaper {side} its line"), col));
            } else {
                let always = da <= 0.0 && dc <= 0.0;
                notes.push((
                    format!(
                        "{name}: local {}",
                        if always {
                            "always cheaper"
                        } else {
                            "never cheaper"
                        }
                    ),
                    col,
                ));
            }
        }
        let (x, y) = self.mean_query;
        region.draw_series([(x, y)].map(|pt| {
            EmptyElement::at(pt) + TriangleMarker::new((0, 0), 8, style::REFERENCE.filled())
        }))?;
        notes.push(("the scenario's mean query".into(), style::REFERENCE));
        for (i, (text, col)) in notes.into_iter().enumerate() {
            let y = 60 + 22 * i as i32;
            right.draw(&PathElement::new(
                vec![(90, y), (112, y)],
                col.stroke_width(3),
            ))?;
            right.draw(&Text::new(
                text,
                (118, y - 7),
                (style::FONT, style::LEGEND).into_font(),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg};

    /// A break-even table by hand: two pool pairs (one cheaper above response/prompt = 0.5,
    /// one never cheaper) and one pair off the pool, against a cloud at 1 J per prompt token
    /// and 5 J per response token.
    fn breakeven_table() -> DataFrame {
        let text = |v: [&'static str; 3]| v.to_vec();
        DataFrame::new_infer_height(vec![
            Column::new("model".into(), text(["A", "B", "C"])),
            Column::new("accelerator".into(), text(["x", "x", "y"])),
            Column::new("variant".into(), text(["default", "default", "default"])),
            Column::new("in_pool".into(), [true, true, false].to_vec()),
            Column::new("batch".into(), vec![1.0; 3]),
            Column::new("j_per_prompt_token".into(), [3.0, 2.0, 0.5].to_vec()),
            Column::new("j_per_response_token".into(), [1.0, 6.0, 1.0].to_vec()),
            Column::new("cloud_model".into(), text(["C", "C", "C"])),
            Column::new("cloud_accelerator".into(), text(["g", "g", "g"])),
            Column::new("cloud_variant".into(), text(["v", "v", "v"])),
            Column::new("cloud_batch".into(), vec![16.0; 3]),
            Column::new("pue".into(), vec![1.0; 3]),
            Column::new("cloud_j_per_prompt_token".into(), vec![1.0; 3]),
            Column::new("cloud_j_per_response_token".into(), vec![5.0; 3]),
            Column::new("sampled_queries".into(), vec![10u64; 3]),
            Column::new("mean_prompt_tokens".into(), vec![1000.0; 3]),
            Column::new("mean_response_tokens".into(), vec![200.0; 3]),
            Column::new("energy_ratio".into(), [1.6, 2.8, 0.3].to_vec()),
        ])
        .unwrap()
    }

    #[test]
    fn the_breakeven_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let f = BreakEvenFigure::from_table(&breakeven_table(), "hand").unwrap();
        assert_eq!(f.pairs.len(), 3);
        assert_eq!(f.mean_query, (1000.0, 200.0));
        assert_eq!(
            (f.pairs[0].local, f.pairs[0].cloud),
            ((3.0, 1.0), (1.0, 5.0))
        );
        let size = f.size();
        let img = image::load_from_memory(&png("breakeven", size, &f).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), size);
        // The pool's bars in the first palette colour, the other pair's in grey.
        assert!(img.pixels().any(|p| p.0 == [0, 114, 178]));
        assert!(img.pixels().any(|p| p.0 == [170, 170, 170]));
        let svg = svg("breakeven", size, &f).unwrap();
        assert!(svg.contains("A @ x: local cheaper above its line"));
        assert!(svg.contains("B @ x: local never cheaper"));
        insta::assert_snapshot!(svg);
    }
}
