//! SLO attainment and p99 latency against the number of cloud replicas, one colour per
//! strategy, from the `results` table of an event-service sweep with a
//! `fleet.cloud.replicas` axis (the other axes held at the first point's values).

use super::{
    axis_names, chosen_strategies, configurations, floats, frame, framed_size, strings, Mark, Plot,
    PlotResult,
};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// The sweep axis the figure runs along.
pub const REPLICAS: &str = "fleet.cloud.replicas";

/// One strategy's points, by replica count: `(replicas, share of queries meeting both SLOs,
/// p99 TTFT s, p99 end-to-end s)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SloLine {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SloFigure {
    pub lines: Vec<SloLine>,
    pub caption: String,
}

const PANELS_HEIGHT: u32 = 480;

impl SloFigure {
    /// From a results table: `None` without a `fleet.cloud.replicas` axis taking two values
    /// or more on event-service points.
    pub fn from_results(
        results: &DataFrame,
        wanted: &[String],
        head: &str,
    ) -> PolarsResult<Option<SloFigure>> {
        let axes = axis_names(results, "oracle_target", "seed");
        if !axes.iter().any(|a| a == REPLICAS) || results.column("slo_both_share").is_err() {
            return Ok(None);
        }
        let others: Vec<String> = axes.into_iter().filter(|a| a != REPLICAS).collect();
        let config = configurations(results, &others)?;
        let (label, replicas) = (strings(results, "label")?, floats(results, REPLICAS)?);
        let (share, ttft, e2e) = (
            floats(results, "slo_both_share")?,
            floats(results, "ttft_p99_s")?,
            floats(results, "e2e_p99_s")?,
        );
        let rows: Vec<usize> = (0..results.height())
            .filter(|&i| config[i] == config[0] && share[i].is_finite())
            .collect();
        let mut labels: Vec<String> = Vec::new();
        for &i in &rows {
            if !labels.contains(&label[i]) {
                labels.push(label[i].clone());
            }
        }
        let chosen =
            chosen_strategies(&labels, wanted).map_err(|m| PolarsError::ComputeError(m.into()))?;
        let lines: Vec<SloLine> = chosen
            .into_iter()
            .map(|l| {
                let mut points: Vec<(f64, f64, f64, f64)> = rows
                    .iter()
                    .filter(|&&i| label[i] == l)
                    .map(|&i| (replicas[i], share[i], ttft[i], e2e[i]))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                SloLine { label: l, points }
            })
            .collect();
        if lines.iter().all(|l| l.points.len() < 2) {
            return Ok(None);
        }
        let held = match config.first() {
            Some(c) if !c.is_empty() => format!("; {c}"),
            _ => String::new(),
        };
        Ok(Some(SloFigure {
            lines,
            caption: format!(
                "{head}{held}; SLO: the scenario's [fleet.slo] targets, both met; p99 over all queries"
            ),
        }))
    }

    fn legend(&self) -> Vec<(String, Mark)> {
        let mut out: Vec<(String, Mark)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.label.clone(), Mark::Line(colour(i))))
            .collect();
        out.push((
            "p99 TTFT (solid, right panel)".into(),
            Mark::Line(style::REFERENCE),
        ));
        out.push((
            "p99 end-to-end (dashed, right panel)".into(),
            Mark::Dashed(style::REFERENCE, 8, 5),
        ));
        out
    }

    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, self.legend().len())
    }
}

impl Plot for SloFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(root, PANELS_HEIGHT, self.legend(), &self.caption)?;
        let panels = body.split_evenly((1, 2));
        let all = self.lines.iter().flat_map(|l| l.points.iter());
        let x0 = all.clone().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let x1 = all.clone().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let (x0, x1) = if x0 < x1 { (x0, x1) } else { (0.0, 1.0) };
        // Replica counts on a log axis (1, 2, 4, ... are evenly spaced), labelled as such.
        let xs: Vec<f64> = {
            let mut v: Vec<f64> = all.clone().map(|p| p.0).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let xr = || {
            (x0 / 1.25..x1 * 1.25)
                .log_scale()
                .with_key_points(xs.clone())
        };
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("SLO attainment", (style::FONT, style::TITLE))
            .margin(12)
            .margin_right(20)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(xr(), 0.0..105.0)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("cloud replicas (log)")
            .y_desc("queries meeting both SLOs (%)")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        for (i, l) in self.lines.iter().enumerate() {
            let c = colour(i);
            let pts: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, 100.0 * p.1)).collect();
            chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.filled())))?;
        }
        let lat = all
            .flat_map(|p| [p.2, p.3])
            .filter(|v| v.is_finite() && *v > 0.0);
        let lo = lat.clone().fold(f64::INFINITY, f64::min);
        let hi = lat.fold(0.0f64, f64::max);
        let (lo, hi) = if lo <= hi {
            (lo / 2.0, hi * 2.0)
        } else {
            (0.1, 10.0)
        };
        let mut chart = ChartBuilder::on(&panels[1])
            .caption("p99 latency", (style::FONT, style::TITLE))
            .margin(12)
            .margin_right(20)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(xr(), (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| {
                if *v >= 1.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                }
            })
            .x_desc("cloud replicas (log)")
            .y_desc("p99 latency (s, log)")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        for (i, l) in self.lines.iter().enumerate() {
            let c = colour(i);
            let ttft: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.2)).collect();
            let e2e: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.3)).collect();
            chart.draw_series(LineSeries::new(ttft.clone(), c.stroke_width(2)))?;
            chart.draw_series(DashedLineSeries::new(e2e.clone(), 8, 5, c.stroke_width(2)))?;
            chart.draw_series(
                ttft.iter()
                    .chain(&e2e)
                    .map(|p| Circle::new(*p, 4, c.filled())),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};

    /// all-cloud and a router at 1, 2 and 4 replicas, on two local pools (`a` first); the
    /// router's point at 2 replicas comes first in the table.
    fn results() -> DataFrame {
        let n = 12;
        let pools = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"];
        let labels = [
            "accuracy(p=0.8)",
            "all-cloud",
            "all-cloud",
            "all-cloud",
            "accuracy(p=0.8)",
            "accuracy(p=0.8)",
            "all-cloud",
            "all-cloud",
            "all-cloud",
            "accuracy(p=0.8)",
            "accuracy(p=0.8)",
            "accuracy(p=0.8)",
        ];
        let replicas = [2i64, 1, 2, 4, 1, 4, 1, 2, 4, 1, 2, 4];
        DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; n]),
            Column::new("point".into(), (0..n as u32).collect::<Vec<_>>()),
            Column::new("label".into(), labels.to_vec()),
            Column::new("oracle_target".into(), vec!["any"; n]),
            Column::new("fleet.local_models".into(), pools.to_vec()),
            Column::new(REPLICAS.into(), replicas.to_vec()),
            Column::new("seed".into(), vec![1i64; n]),
            Column::new("queries".into(), vec![100i64; n]),
            Column::new(
                "slo_both_share".into(),
                [0.9, 0.2, 0.7, 0.99, 0.5, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1].to_vec(),
            ),
            Column::new(
                "ttft_p99_s".into(),
                [2.0, 40.0, 4.0, 0.5, 9.0, 0.4, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0].to_vec(),
            ),
            Column::new(
                "e2e_p99_s".into(),
                [
                    20.0, 400.0, 40.0, 10.0, 90.0, 8.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
                ]
                .to_vec(),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn each_strategy_runs_along_the_replicas_with_the_other_axes_held() {
        let f = SloFigure::from_results(&results(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        // Pool a only (the first row's), strategies in the table's order, each by replica
        // count whatever the table's order.
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.lines[0].label, "accuracy(p=0.8)");
        assert_eq!(f.lines[1].label, "all-cloud");
        assert_eq!(
            f.lines[1].points,
            [
                (1.0, 0.2, 40.0, 400.0),
                (2.0, 0.7, 4.0, 40.0),
                (4.0, 0.99, 0.5, 10.0)
            ]
        );
        assert_eq!(
            f.lines[0].points,
            [
                (1.0, 0.5, 9.0, 90.0),
                (2.0, 0.9, 2.0, 20.0),
                (4.0, 1.0, 0.4, 8.0)
            ]
        );
        assert!(f.caption.contains("local_models=a"));
        // Without the replicas axis there is nothing to draw.
        let mut r = results();
        r.rename(REPLICAS, "fleet.cloud.max_batch".into()).unwrap();
        assert_eq!(SloFigure::from_results(&r, &[], "h").unwrap(), None);
    }

    #[test]
    fn the_slo_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let f = SloFigure::from_results(&results(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        let size = f.size();
        assert_drawn(
            &png("slo", size, &f).unwrap(),
            size,
            &[colour(0), colour(1)],
        );
        let svg = svg("slo", size, &f).unwrap();
        assert!(
            svg.contains("queries meeting both SLOs (%)") && svg.contains("p99 latency (s, log)")
        );
        insta::assert_snapshot!(svg);
    }
}
