//! Latency CDFs: the share of queries answered within a time, for TTFT and end-to-end
//! latency, per strategy (colour) and tier (line style), from the event service's `latency`
//! table.

use super::{floats, frame, framed_size, strategies, strings, Mark, Plot, PlotResult, Strategies};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// One distribution: strategy index, tier (`all`, `local`, `cloud`), queries, and (latency
/// s, cumulative share) per level, for TTFT and end-to-end.
#[derive(Clone, Debug, PartialEq)]
pub struct Cdf {
    pub strategy: usize,
    pub tier: String,
    pub queries: u64,
    pub ttft: Vec<(f64, f64)>,
    pub e2e: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LatencyFigure {
    pub strategies: Vec<String>,
    pub cdfs: Vec<Cdf>,
    pub caption: String,
}

const PANELS_HEIGHT: u32 = 500;

/// Line style per tier: all queries solid and thick, local long dashes, cloud short dashes.
fn dashes(tier: &str) -> Option<(u32, u32)> {
    match tier {
        "local" => Some((10, 5)),
        "cloud" => Some((3, 3)),
        _ => None,
    }
}

impl LatencyFigure {
    /// From a `latency` table: the first configuration, the strategies `wanted` or the default
    /// ones (see `plots::chosen_strategies`); `None` when the table has no rows.
    pub fn from_table(
        t: &DataFrame,
        wanted: &[String],
        head: &str,
    ) -> PolarsResult<Option<LatencyFigure>> {
        if t.height() == 0 {
            return Ok(None);
        }
        let (tier, queries) = (strings(t, "tier")?, floats(t, "queries")?);
        let (level, ttft, e2e) = (
            floats(t, "quantile")?,
            floats(t, "ttft_s")?,
            floats(t, "e2e_s")?,
        );
        let Strategies { config, chosen } = strategies(t, wanted)?;
        let mut cdfs: Vec<Cdf> = Vec::new();
        for (k, (_, rows)) in chosen.iter().enumerate() {
            for &i in rows {
                if cdfs
                    .last()
                    .is_none_or(|c| c.strategy != k || c.tier != tier[i])
                {
                    cdfs.push(Cdf {
                        strategy: k,
                        tier: tier[i].clone(),
                        queries: queries[i] as u64,
                        ttft: Vec::new(),
                        e2e: Vec::new(),
                    });
                }
                if let Some(c) = cdfs.last_mut() {
                    c.ttft.push((ttft[i], level[i]));
                    c.e2e.push((e2e[i], level[i]));
                }
            }
        }
        Ok(Some(LatencyFigure {
            strategies: chosen.into_iter().map(|(l, _)| l).collect(),
            cdfs,
            caption: format!(
                "{head}{config}; solid: all queries, long dashes: served locally, short dashes: served by the cloud (escalations included)"
            ),
        }))
    }

    fn legend(&self) -> Vec<(String, Mark)> {
        let mut out: Vec<(String, Mark)> = self
            .strategies
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), Mark::Line(colour(i))))
            .collect();
        out.push(("all queries".into(), Mark::Line(style::REFERENCE)));
        out.push((
            "served locally".into(),
            Mark::Dashed(style::REFERENCE, 10, 5),
        ));
        out.push((
            "served by the cloud".into(),
            Mark::Dashed(style::REFERENCE, 3, 3),
        ));
        out
    }

    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, self.legend().len())
    }
}

impl Plot for LatencyFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(root, PANELS_HEIGHT, self.legend(), &self.caption)?;
        let panels = body.split_evenly((1, 2));
        for (k, (area, title)) in panels
            .iter()
            .zip(["Time to first token", "End-to-end latency"])
            .enumerate()
        {
            let values = |c: &Cdf| {
                if k == 0 {
                    c.ttft.clone()
                } else {
                    c.e2e.clone()
                }
            };
            let all: Vec<f64> = self
                .cdfs
                .iter()
                .flat_map(|c| values(c).into_iter().map(|p| p.0))
                .filter(|v| *v > 0.0 && v.is_finite())
                .collect();
            let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = all.iter().copied().fold(0.0f64, f64::max);
            let (lo, hi) = if lo < hi {
                (lo / 1.5, hi * 1.5)
            } else {
                (1e-3, 1.0)
            };
            let mut chart = ChartBuilder::on(area)
                .caption(title, (style::FONT, style::TITLE))
                .margin(12)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .x_label_formatter(&|v| {
                    if *v >= 1.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v}")
                    }
                })
                .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
                .x_desc("latency (s, log)")
                .y_desc("queries answered within it")
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            for c in &self.cdfs {
                // A step at each level: the share reached at that latency.
                let pts: Vec<(f64, f64)> =
                    values(c).into_iter().map(|(v, p)| (v.max(lo), p)).collect();
                let col = colour(c.strategy);
                match dashes(&c.tier) {
                    None => {
                        chart.draw_series(LineSeries::new(pts, col.stroke_width(2)))?;
                    }
                    Some((on, off)) => {
                        chart.draw_series(DashedLineSeries::new(
                            pts,
                            on,
                            off,
                            col.stroke_width(2),
                        ))?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};

    /// A latency table by hand: one point, all queries and the local tier, at levels 0, 0.5
    /// and 1.
    fn table() -> DataFrame {
        let n = 6;
        DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; n]),
            Column::new("point".into(), vec![0u32; n]),
            Column::new("label".into(), vec!["accuracy(p=0.8)"; n]),
            Column::new(
                "tier".into(),
                ["all", "all", "all", "local", "local", "local"].to_vec(),
            ),
            Column::new("queries".into(), [10u64, 10, 10, 4, 4, 4].to_vec()),
            Column::new("quantile".into(), [0.0, 0.5, 1.0, 0.0, 0.5, 1.0].to_vec()),
            Column::new("ttft_s".into(), [0.1, 0.5, 4.0, 0.1, 0.2, 0.3].to_vec()),
            Column::new("e2e_s".into(), [1.0, 5.0, 40.0, 1.0, 2.0, 3.0].to_vec()),
        ])
        .unwrap()
    }

    #[test]
    fn latency_cdfs_are_read_per_strategy_and_tier() {
        let f = LatencyFigure::from_table(&table(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        assert_eq!(f.strategies, ["accuracy(p=0.8)"]);
        assert_eq!(f.cdfs.len(), 2);
        assert_eq!((f.cdfs[1].tier.as_str(), f.cdfs[1].queries), ("local", 4));
        assert_eq!(f.cdfs[0].e2e, [(1.0, 0.0), (5.0, 0.5), (40.0, 1.0)]);
        assert_eq!(f.cdfs[1].ttft[2], (0.3, 1.0));
    }

    #[test]
    fn the_latency_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let f = LatencyFigure::from_table(&table(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        let size = f.size();
        assert_drawn(&png("latency", size, &f).unwrap(), size, &[colour(0)]);
        let svg = svg("latency", size, &f).unwrap();
        assert!(svg.contains("latency (s, log)"));
        insta::assert_snapshot!(svg);
    }
}
