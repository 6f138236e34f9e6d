//! The year-by-year decomposition: each span's IPW and IPJ gain split into a model and a
//! hardware factor (stacked log bars, the paper's method beside the factorial split), and
//! each year's pair's IPW, from the `decompose` and `decompose-factors` tables; below, from
//! `decompose-pairs`, the best IPW available each year per model family and per accelerator.

use super::{floats, frame, framed_size, strings, Mark, Plot, PlotResult};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;

/// One bar: `from→to, method`, the total gain and its model and hardware factors (NaN when
/// the method has no split, e.g. a factorial split without cross pairs).
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub label: String,
    pub total: f64,
    pub model: f64,
    pub hardware: f64,
}

/// One year's pair.
#[derive(Clone, Debug, PartialEq)]
pub struct YearPair {
    pub year: f64,
    pub pair: String,
    pub ipw: f64,
}

/// A pair of the catalogue by the year it became possible.
#[derive(Clone, Debug, PartialEq)]
pub struct PairIpw {
    pub year: f64,
    pub family: String,
    pub accelerator: String,
    pub ipw: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DecomposeFigure {
    /// The IPW splits, then the IPJ splits.
    pub splits: [Vec<Split>; 2],
    pub years: Vec<YearPair>,
    /// Every candidate pair (empty: no lower row).
    pub pairs: Vec<PairIpw>,
    pub caption: String,
}

const PANELS_HEIGHT: u32 = 520;
/// The lower row (IPW over time per family and per accelerator), when there are pairs.
const LOWER_HEIGHT: u32 = 420;
const MODEL: RGBColor = style::PALETTE[0];
const HARDWARE: RGBColor = style::PALETTE[1];

impl DecomposeFigure {
    pub fn from_tables(
        years: &DataFrame,
        factors: &DataFrame,
        pairs: Option<&DataFrame>,
        caption: &str,
    ) -> PolarsResult<DecomposeFigure> {
        let (from, to) = (strings(factors, "from_year")?, strings(factors, "to_year")?);
        let (metric, method) = (strings(factors, "metric")?, strings(factors, "method")?);
        let (total, model, hardware) = (
            floats(factors, "total")?,
            floats(factors, "model_factor")?,
            floats(factors, "hardware_factor")?,
        );
        let split = |m: &str| -> Vec<Split> {
            (0..factors.height())
                .filter(|&i| metric[i] == m)
                .map(|i| Split {
                    label: format!(
                        "{}→{}, {}",
                        from[i],
                        to[i],
                        if method[i] == "shapley" {
                            "factorial"
                        } else {
                            "paper"
                        }
                    ),
                    total: total[i],
                    model: model[i],
                    hardware: hardware[i],
                })
                .collect()
        };
        let (year, model_name, accelerator, ipw) = (
            floats(years, "year")?,
            strings(years, "model")?,
            strings(years, "accelerator")?,
            floats(years, "ipw")?,
        );
        let pairs = match pairs {
            Some(p) => {
                let (year, family, acc, ipw) = (
                    floats(p, "year")?,
                    strings(p, "family")?,
                    strings(p, "accelerator")?,
                    floats(p, "ipw")?,
                );
                (0..p.height())
                    .map(|i| PairIpw {
                        year: year[i],
                        family: family[i].clone(),
                        accelerator: acc[i].clone(),
                        ipw: ipw[i],
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(DecomposeFigure {
            pairs,
            splits: [split("ipw"), split("ipj")],
            years: (0..years.height())
                .map(|i| YearPair {
                    year: year[i],
                    pair: format!("{} @ {}", model_name[i], accelerator[i]),
                    ipw: ipw[i],
                })
                .collect(),
            caption: caption.to_string(),
        })
    }

    fn legend(&self) -> Vec<(String, Mark)> {
        let mut out = vec![
            ("model factor (from 1)".into(), Mark::Area(MODEL)),
            (
                "hardware factor (from the model factor)".into(),
                Mark::Area(HARDWARE),
            ),
            ("total gain".into(), Mark::Line(style::REFERENCE)),
            ("the year's pair (IPW)".into(), Mark::Dot),
        ];
        let (families, accelerators) = self.groups();
        for (i, f) in families.iter().enumerate() {
            out.push((format!("family {f} (solid)"), Mark::Line(colour(i))));
        }
        for (i, a) in accelerators.iter().enumerate() {
            out.push((
                format!("accelerator {a} (dashed)"),
                Mark::Dashed(colour(i), 8, 5),
            ));
        }
        out
    }

    /// The model families and accelerators of the pairs, in name order.
    fn groups(&self) -> (Vec<String>, Vec<String>) {
        let mut f: Vec<String> = self.pairs.iter().map(|p| p.family.clone()).collect();
        let mut a: Vec<String> = self.pairs.iter().map(|p| p.accelerator.clone()).collect();
        for v in [&mut f, &mut a] {
            v.sort();
            v.dedup();
        }
        (f, a)
    }

    fn panels_height(&self) -> u32 {
        if self.pairs.is_empty() {
            PANELS_HEIGHT
        } else {
            PANELS_HEIGHT + LOWER_HEIGHT
        }
    }

    pub fn size(&self) -> (u32, u32) {
        framed_size(self.panels_height(), self.legend().len())
    }

    /// A panel of IPW (log) over the years `x`, with its mesh drawn.
    #[allow(clippy::type_complexity)]
    fn ipw_chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        title: &str,
        x_desc: &str,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Result<
        ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, LogCoord<f64>>>,
        Box<dyn std::error::Error>,
    >
    where
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .caption(title, (style::FONT, style::TITLE))
            .margin(12)
            .margin_right(20)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x.0..x.1, (y.0..y.1).log_scale())?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_labels(self.years.len().max(2))
            .x_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .y_labels(5)
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .x_desc(x_desc)
            .y_desc("accuracy per watt (1/W, log)")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        Ok(chart)
    }

    /// The decomposed years, as the time panels' x range.
    fn year_range(&self) -> (f64, f64) {
        let y0 = self
            .years
            .iter()
            .map(|y| y.year)
            .fold(f64::INFINITY, f64::min);
        let y1 = self
            .years
            .iter()
            .map(|y| y.year)
            .fold(f64::NEG_INFINITY, f64::max);
        if y0 <= y1 {
            (y0, y1)
        } else {
            (0.0, 1.0)
        }
    }

    /// The best IPW available each decomposed year among the pairs `group` selects: a pair
    /// counts from the year it became possible (from the first year if earlier).
    pub fn best_by_year(&self, group: impl Fn(&PairIpw) -> bool) -> Vec<(f64, f64)> {
        let (y0, y1) = self.year_range();
        let mut out = Vec::new();
        let mut y = y0;
        while y <= y1 {
            let best = self
                .pairs
                .iter()
                .filter(|p| group(p) && p.year <= y && usable(p.ipw))
                .map(|p| p.ipw)
                .fold(f64::NAN, f64::max);
            if best.is_finite() {
                out.push((y, best));
            }
            y += 1.0;
        }
        out
    }
}

/// Positive and finite.
fn usable(v: f64) -> bool {
    v > 0.0 && v.is_finite()
}

impl Plot for DecomposeFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(root, self.panels_height(), self.legend(), &self.caption)?;
        let (upper, lower) = body.split_vertically(PANELS_HEIGHT);
        let panels = upper.split_evenly((1, 3));
        for (k, title) in ["IPW gain, split", "IPJ gain, split"].iter().enumerate() {
            let splits = &self.splits[k];
            let n = splits.len() as i32;
            let values = splits
                .iter()
                .flat_map(|s| [s.total, s.model, s.model * s.hardware])
                .filter(|v| usable(*v));
            let lo = values.clone().fold(1.0f64, f64::min) / 1.6;
            let hi = values.fold(1.0f64, f64::max) * 1.6;
            let labels: Vec<String> = splits.iter().map(|s| s.label.clone()).collect();
            // Two rows per split: the model factor on the upper, the hardware factor (which
            // may step back, below 1) on the lower, each from where the one before ends.
            let rows = 2 * n;
            let mut chart = ChartBuilder::on(&panels[k])
                .caption(*title, (style::FONT, style::TITLE))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(150)
                .build_cartesian_2d(
                    (lo..hi).log_scale().base(2.0),
                    super::heatmap::segments(rows),
                )?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .disable_y_mesh()
                .y_labels(rows as usize)
                .y_label_formatter(&|v| match v {
                    // The label on its split's upper row; the first split on top.
                    SegmentValue::CenterOf(r) if (0..rows).contains(r) && r % 2 == 1 => {
                        labels[(n - 1 - r / 2) as usize].clone()
                    }
                    _ => String::new(),
                })
                .x_labels(8)
                // Powers of 2: 0.5, 1, 2, 4, ...
                .x_label_formatter(&|v| {
                    let t = format!("{v:.2}");
                    t.trim_end_matches('0').trim_end_matches('.').to_string()
                })
                .x_desc("factor (log; 1: no change)")
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            let grey = RGBColor(200, 200, 200);
            for (i, s) in splits.iter().enumerate() {
                let low = 2 * (n - 1 - i as i32);
                let row = |r: i32| (SegmentValue::Exact(r), SegmentValue::Exact(r + 1));
                let ((a0, a1), (b0, b1)) = (row(low + 1), row(low));
                let split = usable(s.model) && usable(s.hardware);
                if split {
                    let (m, mh) = (s.model, s.model * s.hardware);
                    chart.draw_series([
                        Rectangle::new([(1.0, a0.clone()), (m, a1.clone())], MODEL.filled()),
                        Rectangle::new([(m, b0.clone()), (mh, b1.clone())], HARDWARE.filled()),
                    ])?;
                } else {
                    if usable(s.total) {
                        chart.draw_series([Rectangle::new(
                            [(1.0, a0.clone()), (s.total, a1.clone())],
                            grey.filled(),
                        )])?;
                    }
                    chart.draw_series([EmptyElement::at((1.0, SegmentValue::CenterOf(low)))
                        + Text::new(
                            " no split: cross pairs missing",
                            (0, 0),
                            (style::FONT, style::LEGEND)
                                .into_font()
                                .color(&RGBColor(90, 90, 90))
                                .pos(Pos::new(HPos::Left, VPos::Center)),
                        )])?;
                }
                if usable(s.total) {
                    let bottom = if split { b0.clone() } else { a0.clone() };
                    chart.draw_series([PathElement::new(
                        vec![(s.total, bottom), (s.total, a1.clone())],
                        style::REFERENCE.stroke_width(3),
                    )])?;
                    // The value right of everything drawn on the row.
                    let right = [s.model, s.model * s.hardware]
                        .into_iter()
                        .filter(|v| usable(*v))
                        .fold(s.total, f64::max);
                    chart.draw_series([EmptyElement::at((
                        right,
                        SegmentValue::CenterOf(low + 1),
                    )) + Text::new(
                        format!("×{:.2}", s.total),
                        (6, 0),
                        (style::FONT, style::LEGEND)
                            .into_font()
                            .color(&style::REFERENCE)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    )])?;
                }
            }
            // White rules keep the splits apart.
            chart.draw_series((0..=n).map(|y| {
                PathElement::new(
                    vec![
                        (lo, SegmentValue::Exact(2 * y)),
                        (hi, SegmentValue::Exact(2 * y)),
                    ],
                    WHITE.stroke_width(10),
                )
            }))?;
        }
        // IPW of each year's pair (and of every pair, for the lower row's shared scale).
        let ipws = self
            .years
            .iter()
            .map(|y| y.ipw)
            .chain(self.pairs.iter().map(|p| p.ipw))
            .filter(|v| usable(*v));
        let (lo, hi) = (
            ipws.clone().fold(f64::INFINITY, f64::min),
            ipws.fold(0.0f64, f64::max),
        );
        let (lo, hi) = if lo <= hi {
            (lo / 3.0, hi * 3.0)
        } else {
            (1e-4, 1e-2)
        };
        let (y0, y1) = self.year_range();
        let (y0, y1) = (y0 - 0.5, y1 + 0.5);
        let mut chart = self.ipw_chart(
            &panels[2],
            "IPW of each year's pair",
            "year",
            (y0, y1),
            (lo, hi),
        )?;
        let points: Vec<(f64, f64)> = self
            .years
            .iter()
            .filter(|y| usable(y.ipw))
            .map(|y| (y.year, y.ipw))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), colour(6).stroke_width(2)))?;
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new(*p, 5, style::REFERENCE.filled())),
        )?;
        let shown: Vec<&YearPair> = self.years.iter().filter(|y| usable(y.ipw)).collect();
        for (i, y) in shown.iter().enumerate() {
            // Below the point, the first label running right, the last left, the others
            // centred, so none leaves the panel.
            let h = if i == 0 {
                HPos::Left
            } else if i + 1 == shown.len() {
                HPos::Right
            } else {
                HPos::Center
            };
            chart.draw_series([EmptyElement::at((y.year, y.ipw))
                + Text::new(
                    y.pair.clone(),
                    (0, 12),
                    (style::FONT, style::LEGEND)
                        .into_font()
                        .color(&style::REFERENCE)
                        .pos(Pos::new(h, VPos::Top)),
                )])?;
        }
        if self.pairs.is_empty() {
            return Ok(());
        }
        // The best IPW available each year, per model family and per accelerator.
        let (families, accelerators) = self.groups();
        let lower = lower.split_evenly((1, 2));
        let by_family: Vec<Vec<(f64, f64)>> = families
            .iter()
            .map(|f| self.best_by_year(|p| &p.family == f))
            .collect();
        let by_accelerator: Vec<Vec<(f64, f64)>> = accelerators
            .iter()
            .map(|a| self.best_by_year(|p| &p.accelerator == a))
            .collect();
        for (area, title, lines, dashed) in [
            (
                &lower[0],
                "Best IPW available, per model family",
                by_family,
                false,
            ),
            (
                &lower[1],
                "Best IPW available, per accelerator",
                by_accelerator,
                true,
            ),
        ] {
            let mut chart = self.ipw_chart(
                area,
                title,
                "year (a pair counts from when its model and accelerator were both out)",
                (y0, y1),
                (lo, hi),
            )?;
            for (i, points) in lines.into_iter().enumerate() {
                let c = colour(i);
                if dashed {
                    chart.draw_series(DashedLineSeries::new(
                        points.clone(),
                        8,
                        5,
                        c.stroke_width(2),
                    ))?;
                } else {
                    chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?;
                }
                chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, c.filled())))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};

    /// Table 2's pairs and the paper-method factors of two spans, a factorial split without
    /// cross pairs.
    fn tables() -> (DataFrame, DataFrame) {
        let years = DataFrame::new_infer_height(vec![
            Column::new("year".into(), [2023i64, 2024, 2025].to_vec()),
            Column::new("model".into(), ["A", "B", "C"].to_vec()),
            Column::new("accelerator".into(), ["x", "y", "z"].to_vec()),
            Column::new("ipw".into(), [1e-3, 2e-3, 6e-3].to_vec()),
        ])
        .unwrap();
        let factors = DataFrame::new_infer_height(vec![
            Column::new("from_year".into(), [2023i64, 2023, 2023].to_vec()),
            Column::new("to_year".into(), [2025i64, 2025, 2025].to_vec()),
            Column::new("metric".into(), ["ipw", "ipw", "ipj"].to_vec()),
            Column::new("method".into(), ["paper", "shapley", "paper"].to_vec()),
            Column::new("total".into(), [6.0, 6.0, 3.0].to_vec()),
            Column::new("model_factor".into(), [3.0, f64::NAN, 1.5].to_vec()),
            Column::new("hardware_factor".into(), [2.0, f64::NAN, 2.0].to_vec()),
        ])
        .unwrap();
        (years, factors)
    }

    #[test]
    fn the_decomposition_reads_splits_per_metric_and_the_years_pairs() {
        let (y, f) = tables();
        let d = DecomposeFigure::from_tables(&y, &f, None, "hand").unwrap();
        assert_eq!(d.splits[0].len(), 2);
        assert_eq!(d.splits[0][0].label, "2023→2025, paper");
        assert_eq!(d.splits[0][1].label, "2023→2025, factorial");
        assert_eq!((d.splits[1][0].model, d.splits[1][0].hardware), (1.5, 2.0));
        assert_eq!(d.years[2].pair, "C @ z");
    }

    /// Four pairs: family q on x (2023) and on z (2025), family l on y (2024), and a pair
    /// out before the first year (2021, family l on x).
    fn pairs() -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("year".into(), [2023i64, 2025, 2024, 2021].to_vec()),
            Column::new("family".into(), ["q", "q", "l", "l"].to_vec()),
            Column::new("accelerator".into(), ["x", "z", "y", "x"].to_vec()),
            Column::new("ipw".into(), [1e-3, 4e-3, 2e-3, 5e-4].to_vec()),
        ])
        .unwrap()
    }

    #[test]
    fn the_best_ipw_per_family_and_accelerator_counts_each_pair_from_its_year() {
        let (y, f) = tables();
        let p = pairs();
        let d = DecomposeFigure::from_tables(&y, &f, Some(&p), "hand").unwrap();
        // Family q: x's 1e-3 from 2023, z's 4e-3 from 2025.
        assert_eq!(
            d.best_by_year(|p| p.family == "q"),
            [(2023.0, 1e-3), (2024.0, 1e-3), (2025.0, 4e-3)]
        );
        // Family l: the 2021 pair counts from the first year; y's 2e-3 from 2024.
        assert_eq!(
            d.best_by_year(|p| p.family == "l"),
            [(2023.0, 5e-4), (2024.0, 2e-3), (2025.0, 2e-3)]
        );
        // Accelerator x: the better of its two pairs every year; y from 2024 only.
        assert_eq!(
            d.best_by_year(|p| p.accelerator == "x"),
            [(2023.0, 1e-3), (2024.0, 1e-3), (2025.0, 1e-3)]
        );
        assert_eq!(
            d.best_by_year(|p| p.accelerator == "y"),
            [(2024.0, 2e-3), (2025.0, 2e-3)]
        );
        // The lower row and its legend entries (2 families, 3 accelerators) make the figure
        // taller; each line is drawn in its colour.
        let (w, h) = d.size();
        let (_, h0) = DecomposeFigure::from_tables(&y, &f, None, "hand")
            .unwrap()
            .size();
        assert_eq!(w, style::WIDE.0);
        assert_eq!(h - h0, LOWER_HEIGHT + 3 * 22);
        assert_drawn(
            &png("decompose", (w, h), &d).unwrap(),
            (w, h),
            &[colour(0), colour(1), colour(2)],
        );
        let svg = svg("decompose", (w, h), &d).unwrap();
        assert!(svg.contains("family q (solid)") && svg.contains("accelerator z (dashed)"));
    }

    #[test]
    fn the_decomposition_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let (y, f) = tables();
        let d = DecomposeFigure::from_tables(&y, &f, None, "hand").unwrap();
        let size = d.size();
        assert_drawn(
            &png("decompose", size, &d).unwrap(),
            size,
            &[MODEL, HARDWARE],
        );
        let svg = svg("decompose", size, &d).unwrap();
        assert!(svg.contains("×6.00") && svg.contains("no split"));
        insta::assert_snapshot!(svg);
    }
}
