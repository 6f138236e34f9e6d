//! Savings vs router accuracy (energy, compute, cost; system and datacenter scope).

use super::{
    axis_names, configurations, floats, frame, framed_size, strings, Mark, Plot, PlotResult,
};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// The three savings metrics, in panel order.
const METRICS: [(&str, &str); 3] = [
    ("energy", "Energy savings"),
    ("compute", "Compute savings"),
    ("cost", "Cost savings"),
];

/// [IPW] Sec. 4.3 / Fig. 4: savings (%) of energy, compute and cost for the oracle (at p = 1)
/// and the 80%-accurate router.
const PAPER_POINTS: [(f64, [f64; 3]); 2] = [(1.0, [80.4, 77.3, 73.8]), (0.8, [64.3, 61.8, 59.0])];

/// One curve: an accuracy router's savings (%) over p, system and datacenter scope, per metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub label: String,
    /// (p, system savings per metric, datacenter savings per metric), in increasing p.
    pub points: Vec<(f64, [f64; 3], [f64; 3])>,
    /// The oracle the router follows (system, datacenter), drawn at p = 1, if the run has it.
    pub oracle: Option<([f64; 3], [f64; 3])>,
}

/// Savings vs router accuracy, one curve per configuration and router rule.
#[derive(Clone, Debug, PartialEq)]
pub struct SavingsCurves {
    pub curves: Vec<Curve>,
    pub paper_points: bool,
    /// Scenario, seed and queries per point.
    pub caption: String,
}

/// At most this many curves are drawn (the first, in results order); the caption says so.
const MAX_CURVES: usize = 7;

impl SavingsCurves {
    /// The curves of a results table (see the README's "Results files"); `None` when it has
    /// fewer than two accuracy-router points of one rule, so there is no curve to draw.
    pub fn from_results(t: &DataFrame, paper_points: bool) -> PolarsResult<Option<SavingsCurves>> {
        let axes = axis_names(t, "oracle_target", "seed");
        let router = strings(t, "router")?;
        let p = floats(t, "router_accuracy")?;
        let rule: Vec<String> = {
            let (m, o, g) = (
                strings(t, "misroute")?,
                strings(t, "objective")?,
                strings(t, "oracle_target")?,
            );
            (0..t.height())
                .map(|i| {
                    let mut parts = vec![g[i].clone()];
                    if m[i] != "paper" && !m[i].is_empty() {
                        parts.push(m[i].clone());
                    }
                    if o[i] != "energy" {
                        parts.push(o[i].clone());
                    }
                    parts.join(", ")
                })
                .collect()
        };
        let config = configurations(t, &axes)?;
        let metric = |scope: &str| -> PolarsResult<Vec<[f64; 3]>> {
            let cols = METRICS
                .iter()
                .map(|(m, _)| floats(t, &format!("{scope}{m}_savings")))
                .collect::<PolarsResult<Vec<_>>>()?;
            Ok((0..t.height())
                .map(|i| [100.0 * cols[0][i], 100.0 * cols[1][i], 100.0 * cols[2][i]])
                .collect())
        };
        let (sys, dc) = (metric("")?, metric("dc_")?);
        let mut curves: Vec<Curve> = Vec::new();
        for i in (0..t.height()).filter(|&i| router[i] == "accuracy") {
            let label = [rule[i].as_str(), config[i].as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let at = match curves.iter().position(|c| c.label == label) {
                Some(k) => k,
                None => {
                    let oracle = (0..t.height())
                        .find(|&j| {
                            router[j] == "oracle" && config[j] == config[i] && {
                                // The oracle of the same target and objective (misroute is not its).
                                let strip = |r: &str| {
                                    r.split(", ")
                                        .filter(|x| !["wrong-local", "escalate"].contains(x))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                };
                                strip(&rule[j]) == strip(&rule[i])
                            }
                        })
                        .map(|j| (sys[j], dc[j]));
                    curves.push(Curve {
                        label,
                        points: Vec::new(),
                        oracle,
                    });
                    curves.len() - 1
                }
            };
            curves[at].points.push((p[i], sys[i], dc[i]));
        }
        curves.retain(|c| c.points.len() >= 2);
        for c in &mut curves {
            c.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        if curves.is_empty() {
            return Ok(None);
        }
        let first = |c: &str| -> PolarsResult<String> {
            Ok(strings(t, c)?.first().cloned().unwrap_or_default())
        };
        let queries = strings(t, "queries")?;
        let per_point = if queries.iter().all(|q| *q == queries[0]) {
            format!("{} queries per point", queries[0])
        } else {
            "queries per point vary".into()
        };
        let shown = if curves.len() > MAX_CURVES {
            format!("; first {MAX_CURVES} of {} curves shown", curves.len())
        } else {
            String::new()
        };
        curves.truncate(MAX_CURVES);
        Ok(Some(SavingsCurves {
            caption: format!(
                "scenario {}, seed {}, {per_point}; solid: system scope, dashed: datacenter scope{shown}",
                first("scenario")?,
                first("seed")?
            ),
            curves,
            paper_points,
        }))
    }
}

/// The height of the panels (pixels).
const PANELS_HEIGHT: u32 = 520;

impl SavingsCurves {
    /// The legend: (label, what marks it) per entry.
    fn legend(&self) -> Vec<(String, Mark)> {
        let mut out: Vec<(String, Mark)> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, c)| (c.label.clone(), Mark::Line(colour(i))))
            .collect();
        out.push(("all-cloud (p = 0)".into(), Mark::Triangle));
        if self.curves.iter().any(|c| c.oracle.is_some()) {
            out.push(("oracle of the curve's rule (at p = 1)".into(), Mark::Dot));
        }
        if self.paper_points {
            out.push(("IPW paper: oracle, 80% router".into(), Mark::Cross));
        }
        out
    }

    /// The figure's size: the panels, a legend strip below them, the caption line.
    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, self.legend().len())
    }
}

impl Plot for SavingsCurves {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(root, PANELS_HEIGHT, self.legend(), &self.caption)?;
        let panels = body.split_evenly((1, 3));
        for (k, (panel, (_, title))) in panels.iter().zip(METRICS).enumerate() {
            let mut lo: f64 = 0.0;
            let mut hi: f64 = 10.0;
            for c in &self.curves {
                for (_, s, d) in &c.points {
                    lo = lo.min(s[k]).min(d[k]);
                    hi = hi.max(s[k]).max(d[k]);
                }
                if let Some((s, d)) = c.oracle {
                    lo = lo.min(s[k]).min(d[k]);
                    hi = hi.max(s[k]).max(d[k]);
                }
            }
            if self.paper_points {
                hi = hi.max(PAPER_POINTS[0].1[k]);
            }
            let pad = 0.08 * (hi - lo);
            let mut chart = ChartBuilder::on(panel)
                .caption(title, (style::FONT, style::TITLE))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(-0.02..1.02, (lo - pad)..(hi + pad))?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .x_desc("router accuracy p")
                .y_desc("savings vs all-cloud (%)")
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            for (i, c) in self.curves.iter().enumerate() {
                let col = colour(i);
                let sys: Vec<(f64, f64)> = c.points.iter().map(|(p, s, _)| (*p, s[k])).collect();
                let dc: Vec<(f64, f64)> = c.points.iter().map(|(p, _, d)| (*p, d[k])).collect();
                chart.draw_series(LineSeries::new(sys, col.stroke_width(2)))?;
                chart.draw_series(DashedLineSeries::new(dc, 6, 4, col.stroke_width(2)))?;
                if let Some((s, d)) = c.oracle {
                    chart.draw_series([s[k], d[k]].map(|v| {
                        EmptyElement::at((1.0, v)) + Circle::new((0, 0), 5, col.filled())
                    }))?;
                }
            }
            // All-cloud: no saving, at p = 0.
            chart.draw_series([(0.0, 0.0)].map(|pt| {
                EmptyElement::at(pt) + TriangleMarker::new((0, 0), 7, style::REFERENCE.filled())
            }))?;
            if self.paper_points {
                chart.draw_series(
                    PAPER_POINTS
                        .iter()
                        .map(|(p, v)| Cross::new((*p, v[k]), 7, style::REFERENCE.stroke_width(2))),
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg};

    /// A results table by hand: all-cloud, the oracle, and the router at p = 0, 0.5, 1, where
    /// savings are p times the oracle's (energy 20%, compute 60%, cost 50%; datacenter 80%).
    fn results() -> DataFrame {
        let n = 5;
        let router = ["all-cloud", "oracle", "accuracy", "accuracy", "accuracy"];
        let p = [None, None, Some(0.0), Some(0.5), Some(1.0)];
        let scale = [0.0, 1.0, 0.0, 0.5, 1.0];
        let col = |v: f64| scale.iter().map(|s| s * v).collect::<Vec<f64>>();
        let text = |v: &'static str| vec![v; n];
        DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), text("hand")),
            Column::new("router".into(), router.to_vec()),
            Column::new("router_accuracy".into(), p.to_vec()),
            Column::new(
                "misroute".into(),
                ["", "", "paper", "paper", "paper"].to_vec(),
            ),
            Column::new(
                "objective".into(),
                ["", "energy", "energy", "energy", "energy"].to_vec(),
            ),
            Column::new(
                "oracle_target".into(),
                [
                    "",
                    "local-first",
                    "local-first",
                    "local-first",
                    "local-first",
                ]
                .to_vec(),
            ),
            Column::new("seed".into(), vec![7u64; n]),
            Column::new("queries".into(), vec![1000u64; n]),
            Column::new("energy_savings".into(), col(0.2)),
            Column::new("compute_savings".into(), col(0.6)),
            Column::new("cost_savings".into(), col(0.5)),
            Column::new("dc_energy_savings".into(), col(0.8)),
            Column::new("dc_compute_savings".into(), col(0.8)),
            Column::new("dc_cost_savings".into(), col(0.8)),
        ])
        .unwrap()
    }

    #[test]
    fn savings_curves_are_read_from_the_results_table() {
        let c = SavingsCurves::from_results(&results(), true)
            .unwrap()
            .unwrap();
        assert_eq!(c.curves.len(), 1);
        let curve = &c.curves[0];
        assert_eq!(curve.label, "local-first");
        assert_eq!(
            curve.points.iter().map(|p| p.0).collect::<Vec<_>>(),
            [0.0, 0.5, 1.0]
        );
        // Percent, system then datacenter scope.
        assert_eq!(curve.points[1].1, [10.0, 30.0, 25.0]);
        assert_eq!(curve.points[1].2, [40.0, 40.0, 40.0]);
        assert_eq!(curve.oracle, Some(([20.0, 60.0, 50.0], [80.0, 80.0, 80.0])));
        assert!(c
            .caption
            .starts_with("scenario hand, seed 7, 1000 queries per point"));
        // One router point is no curve.
        let one = results().slice(0, 3);
        assert_eq!(SavingsCurves::from_results(&one, false).unwrap(), None);
    }

    #[test]
    fn the_savings_figure_is_a_png_of_its_stated_size_with_content() {
        let c = SavingsCurves::from_results(&results(), true)
            .unwrap()
            .unwrap();
        let size = c.size();
        let bytes = png("savings", size, &c).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), size);
        // Not blank: the palette's blue curve, black markers and grey grid are drawn.
        let mut colours = std::collections::BTreeSet::new();
        let mut not_white = 0usize;
        for p in img.pixels() {
            colours.insert(p.0);
            not_white += usize::from(p.0 != [255, 255, 255]);
        }
        assert!(colours.len() > 50, "{} colours", colours.len());
        assert!(not_white > 20_000, "{not_white} pixels drawn");
        assert!(
            img.pixels().any(|p| p.0 == [0, 114, 178]),
            "the first palette colour"
        );
    }

    #[test]
    fn the_savings_figure_svg_layout_is_unchanged() {
        let c = SavingsCurves::from_results(&results(), true)
            .unwrap()
            .unwrap();
        insta::assert_snapshot!(svg("savings", c.size(), &c).unwrap());
    }
}
