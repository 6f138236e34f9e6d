//! A results column over two dimensions of a sweep (sweep axes or router accuracy), its
//! value printed in each cell, one panel per value of the other dimensions that vary (e.g.
//! local pool x router accuracy, a panel per cloud replica count).

use super::{axis_names, draw_caption, floats, short, strings, Plot, PlotResult, CAPTION_HEIGHT};
use crate::report::style;
use crate::scenario::HeatmapSection;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use polars::prelude::*;

/// The router-accuracy dimension, named as its results column.
const ACCURACY: &str = "router_accuracy";
/// At most this many panels (the first; the caption says so).
const MAX_PANELS: usize = 4;

/// One dimension: its name (a sweep axis's dotted key or `router_accuracy`) and its values in
/// order (numbers ascending, others as first seen).
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    pub name: String,
    pub values: Vec<String>,
}

/// One panel: the values of the other varying dimensions, and the cells by (y, x), `None`
/// where the run has no such point.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub title: String,
    pub cells: Vec<Vec<Option<f64>>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapFigure {
    pub metric: String,
    pub x: Dimension,
    pub y: Dimension,
    pub panels: Vec<Panel>,
    pub caption: String,
}

/// The distinct values of `v` over `rows`: numbers ascending, others in order of appearance.
fn distinct(v: &[String], rows: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &i in rows {
        if !out.contains(&v[i]) {
            out.push(v[i].clone());
        }
    }
    if out.iter().all(|s| s.parse::<f64>().is_ok()) {
        out.sort_by(|a, b| {
            let (a, b) = (a.parse::<f64>(), b.parse::<f64>());
            a.unwrap_or(0.0).total_cmp(&b.unwrap_or(0.0))
        });
    }
    out
}

/// `n` segments `0..n` (a segmented `0..m` has `m + 1`).
pub(crate) fn segments(
    n: i32,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32> {
    (0..(n - 1).max(0)).into_segmented()
}

fn invalid(message: String) -> PolarsError {
    PolarsError::ComputeError(message.into())
}

impl HeatmapFigure {
    /// From a results table, by `spec` (see [`HeatmapSection`]); with router accuracy as a
    /// dimension, the accuracy points of the first router rule (misroute, objective, target);
    /// else the points of the strategy `strategies[0]`, or `accuracy(p=0.8)`, or the first
    /// label that is not all-cloud. `None` when the run has no two dimensions that vary and
    /// `spec` names none.
    pub fn from_results(
        t: &DataFrame,
        spec: &HeatmapSection,
        strategies: &[String],
        head: &str,
    ) -> PolarsResult<Option<HeatmapFigure>> {
        let axes = axis_names(t, "oracle_target", "seed");
        let values = |name: &str| strings(t, name);
        let router = strings(t, "router")?;
        let label = strings(t, "label")?;
        let rule: Vec<String> = {
            let (m, o, g) = (
                values("misroute")?,
                values("objective")?,
                values("oracle_target")?,
            );
            (0..t.height())
                .map(|i| format!("misroute {}, objective {}, target {}", m[i], o[i], g[i]))
                .collect()
        };
        let all: Vec<usize> = (0..t.height()).collect();
        let accuracy_rows: Vec<usize> = match all.iter().find(|&&i| router[i] == "accuracy") {
            Some(&first) => all
                .iter()
                .copied()
                .filter(|&i| router[i] == "accuracy" && rule[i] == rule[first])
                .collect(),
            None => Vec::new(),
        };
        let p = values(ACCURACY)?;
        let varies = |name: &str, rows: &[usize]| -> PolarsResult<bool> {
            Ok(distinct(&values(name)?, rows).len() >= 2)
        };
        let mut varying: Vec<String> = Vec::new();
        for a in &axes {
            if varies(a, &all)? {
                varying.push(a.clone());
            }
        }
        let p_varies = distinct(&p, &accuracy_rows).len() >= 2;
        let known = |d: &Option<String>| -> PolarsResult<()> {
            match d {
                Some(n) if n != ACCURACY && !axes.contains(n) => Err(invalid(format!(
                    "[figures.heatmap]: no dimension `{n}` (the run has: {})",
                    axes.iter()
                        .map(String::as_str)
                        .chain([ACCURACY])
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
                _ => Ok(()),
            }
        };
        known(&spec.x)?;
        known(&spec.y)?;
        // Router accuracy across (short labels), an axis down (room for long labels).
        let mut free = varying
            .iter()
            .filter(|a| Some(*a) != spec.x.as_ref() && Some(*a) != spec.y.as_ref());
        let (x, y) = match (spec.x.clone(), spec.y.clone()) {
            (Some(x), Some(y)) => (x, y),
            (Some(x), None) => match free.next() {
                Some(y) => (x, y.clone()),
                None if p_varies && x != ACCURACY => (x, ACCURACY.into()),
                None => return Ok(None),
            },
            (None, Some(y)) => {
                if p_varies && y != ACCURACY {
                    (ACCURACY.into(), y)
                } else {
                    match free.next() {
                        Some(x) => (x.clone(), y),
                        None => return Ok(None),
                    }
                }
            }
            (None, None) => {
                if p_varies {
                    match free.next() {
                        Some(y) => (ACCURACY.into(), y.clone()),
                        None => return Ok(None),
                    }
                } else {
                    match (free.next(), free.next()) {
                        (Some(y), Some(x)) => (x.clone(), y.clone()),
                        _ => return Ok(None),
                    }
                }
            }
        };
        if x == y {
            return Err(invalid(format!(
                "[figures.heatmap]: x and y are both `{x}`"
            )));
        }
        let (rows, which) = if x == ACCURACY || y == ACCURACY {
            let which = accuracy_rows
                .first()
                .map(|&i| rule[i].clone())
                .unwrap_or_default();
            (accuracy_rows.clone(), format!("accuracy routers ({which})"))
        } else {
            let pick = strategies
                .first()
                .cloned()
                .or_else(|| label.iter().find(|l| *l == "accuracy(p=0.8)").cloned())
                .or_else(|| label.iter().find(|l| *l != "all-cloud").cloned())
                .or_else(|| label.first().cloned())
                .unwrap_or_default();
            let rows: Vec<usize> = all.iter().copied().filter(|&i| label[i] == pick).collect();
            if rows.is_empty() {
                return Err(invalid(format!("no point labelled `{pick}`")));
            }
            (rows, pick)
        };
        let metric = floats(t, &spec.metric).map_err(|_| {
            invalid(format!(
                "[figures.heatmap] metric: no numeric results column `{}`",
                spec.metric
            ))
        })?;
        let (xv, yv) = (values(&x)?, values(&y)?);
        let dim = |name: &str, v: &[String]| Dimension {
            name: name.into(),
            values: distinct(v, &rows),
        };
        let (xd, yd) = (dim(&x, &xv), dim(&y, &yv));
        // The panels: the other varying axes' values.
        let others: Vec<String> = varying
            .iter()
            .filter(|a| **a != x && **a != y)
            .cloned()
            .collect();
        let other_values = others
            .iter()
            .map(|a| values(a))
            .collect::<PolarsResult<Vec<_>>>()?;
        let title = |i: usize| -> String {
            others
                .iter()
                .zip(&other_values)
                .map(|(a, v)| format!("{}={}", a.rsplit('.').next().unwrap_or(a), short(&v[i])))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut panels: Vec<Panel> = Vec::new();
        for &i in &rows {
            let t = title(i);
            let at = match panels.iter().position(|p| p.title == t) {
                Some(k) => k,
                None => {
                    panels.push(Panel {
                        title: t,
                        cells: vec![vec![None; xd.values.len()]; yd.values.len()],
                    });
                    panels.len() - 1
                }
            };
            let cx = xd.values.iter().position(|v| *v == xv[i]);
            let cy = yd.values.iter().position(|v| *v == yv[i]);
            if let (Some(cx), Some(cy)) = (cx, cy) {
                // The first point of a cell wins (a later one differs only in what the
                // heatmap does not show).
                panels[at].cells[cy][cx].get_or_insert(metric[i]);
            }
        }
        let cut = if panels.len() > MAX_PANELS {
            format!("; first {MAX_PANELS} of {} panels shown", panels.len())
        } else {
            String::new()
        };
        panels.truncate(MAX_PANELS);
        Ok(Some(HeatmapFigure {
            caption: format!(
                "{head}; {} by {x} and {y}, {which}; colour: viridis from the lowest to the highest value{cut}",
                spec.metric
            ),
            metric: spec.metric.clone(),
            x: xd,
            y: yd,
            panels,
        }))
    }

    /// Room for the longest y value (pixels), at most half the width.
    fn y_label_width(&self) -> u32 {
        let longest = self.y.values.iter().map(|v| short(v).chars().count()).max();
        (longest.unwrap_or(1) as u32 * 8 + 30).clamp(60, style::WIDE.0 / 2)
    }

    pub fn size(&self) -> (u32, u32) {
        let body = (130 + 44 * self.y.values.len() as u32).max(360);
        (style::WIDE.0, body + CAPTION_HEIGHT)
    }

    /// A cell's value as printed: shares, savings and accuracy in percent, others to three
    /// significant figures.
    fn format(&self, v: f64) -> String {
        let m = &self.metric;
        if m.ends_with("_savings") || m.ends_with("_share") || m.starts_with("accuracy") {
            format!("{:.1}%", 100.0 * v)
        } else if v == 0.0 || !v.is_finite() {
            format!("{v}")
        } else {
            let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
            format!("{v:.digits$}")
        }
    }
}

impl Plot for HeatmapFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let height = root.dim_in_pixel().1;
        let (body, foot) = root.split_vertically(height - CAPTION_HEIGHT);
        draw_caption(&foot, &self.caption)?;
        let cells = self
            .panels
            .iter()
            .flat_map(|p| p.cells.iter().flatten().flatten());
        let lo = cells.clone().copied().fold(f64::INFINITY, f64::min);
        let hi = cells.copied().fold(f64::NEG_INFINITY, f64::max);
        let (nx, ny) = (self.x.values.len() as i32, self.y.values.len() as i32);
        let label_width = self.y_label_width();
        let areas = body.split_evenly((1, self.panels.len().max(1)));
        for (k, (area, panel)) in areas.iter().zip(&self.panels).enumerate() {
            let title = if panel.title.is_empty() {
                self.metric.clone()
            } else {
                panel.title.clone()
            };
            let mut chart = ChartBuilder::on(area)
                .caption(title, (style::FONT, style::AXIS))
                .margin(12)
                .x_label_area_size(50)
                // The y values once, on the first panel.
                .y_label_area_size(if k == 0 { label_width } else { 10 })
                .build_cartesian_2d(segments(nx), segments(ny))?;
            let xs = &self.x.values;
            let ys = &self.y.values;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(xs.len())
                .y_labels(ys.len())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if (0..nx).contains(i) => short(&xs[*i as usize]),
                    _ => String::new(),
                })
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if k == 0 && (0..ny).contains(i) => {
                        short(&ys[*i as usize])
                    }
                    _ => String::new(),
                })
                .x_desc(self.x.name.as_str())
                .y_desc(if k == 0 { self.y.name.as_str() } else { "" })
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            for (iy, row) in panel.cells.iter().enumerate() {
                for (ix, cell) in row.iter().enumerate() {
                    let (ix, iy) = (ix as i32, iy as i32);
                    let corners = [
                        (SegmentValue::Exact(ix), SegmentValue::Exact(iy)),
                        (SegmentValue::Exact(ix + 1), SegmentValue::Exact(iy + 1)),
                    ];
                    let centre = (SegmentValue::CenterOf(ix), SegmentValue::CenterOf(iy));
                    let (fill, text, ink) = match cell {
                        Some(v) => {
                            let h = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                            let c: RGBColor = ViridisRGB.get_color(h as f32);
                            // Dark ink on the light (yellow-green) end, white on the dark end.
                            let light =
                                0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64
                                    > 140.0;
                            (c, self.format(*v), if light { BLACK } else { WHITE })
                        }
                        None => (
                            RGBColor(235, 235, 235),
                            "no point".into(),
                            RGBColor(90, 90, 90),
                        ),
                    };
                    chart.draw_series([Rectangle::new(corners.clone(), fill.filled())])?;
                    chart.draw_series([Rectangle::new(corners, WHITE.stroke_width(2))])?;
                    chart.draw_series([Text::new(
                        text,
                        centre,
                        (style::FONT, style::LEGEND)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )])?;
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

    /// Results by hand: all-cloud and routers at p = 0.5 and 1 for two pools, at one and two
    /// cloud replicas; energy savings = p / 10 + pool index / 100 + replicas / 1000.
    fn results() -> DataFrame {
        let mut cols: [Vec<String>; 4] = Default::default(); // router, label, pool, replicas
        let (mut p, mut saving) = (Vec::new(), Vec::new());
        for replicas in [1u32, 2] {
            for (k, pool) in ["[\"a\"]", "[\"a\", \"b\"]"].into_iter().enumerate() {
                for acc in [None, Some(0.5), Some(1.0)] {
                    cols[0].push(
                        if acc.is_some() {
                            "accuracy"
                        } else {
                            "all-cloud"
                        }
                        .into(),
                    );
                    cols[1].push(acc.map_or("all-cloud".into(), |a| format!("accuracy(p={a})")));
                    cols[2].push(pool.into());
                    cols[3].push(replicas.to_string());
                    p.push(acc);
                    saving.push(acc.map_or(0.0, |a| {
                        a / 10.0 + k as f64 / 100.0 + replicas as f64 / 1000.0
                    }));
                }
            }
        }
        let n = p.len();
        let [router, label, pool, replicas] = cols;
        DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; n]),
            Column::new("label".into(), label),
            Column::new("router".into(), router),
            Column::new("router_accuracy".into(), p),
            Column::new("misroute".into(), vec!["paper"; n]),
            Column::new("objective".into(), vec!["energy"; n]),
            Column::new("oracle_target".into(), vec!["local-first"; n]),
            Column::new("fleet.local_pool".into(), pool),
            Column::new(
                "fleet.cloud_replicas".into(),
                replicas
                    .iter()
                    .map(|r| r.parse::<i64>().unwrap())
                    .collect::<Vec<_>>(),
            ),
            Column::new("seed".into(), vec![7u64; n]),
            Column::new("queries".into(), vec![100u64; n]),
            Column::new("energy_savings".into(), saving),
        ])
        .unwrap()
    }

    #[test]
    fn by_default_router_accuracy_runs_across_an_axis_down_and_the_others_make_panels() {
        let f = HeatmapFigure::from_results(&results(), &HeatmapSection::default(), &[], "h")
            .unwrap()
            .unwrap();
        assert_eq!(f.x.name, "router_accuracy");
        assert_eq!(f.x.values, ["0.5", "1.0"]);
        assert_eq!(f.y.name, "fleet.local_pool");
        assert_eq!(f.panels.len(), 2);
        assert_eq!(f.panels[1].title, "cloud_replicas=2");
        // Pool a+b (row 1) at p = 1 (column 1), two replicas: 0.1 + 0.01 + 0.002.
        let v = f.panels[1].cells[1][1].unwrap();
        assert!((v - 0.112).abs() < 1e-12, "{v}");
        assert_eq!(f.format(v), "11.2%");
    }

    #[test]
    fn named_axes_without_router_accuracy_show_one_strategy() {
        let spec = HeatmapSection {
            x: Some("fleet.cloud_replicas".into()),
            y: Some("fleet.local_pool".into()),
            metric: "energy_savings".into(),
        };
        let f = HeatmapFigure::from_results(&results(), &spec, &[], "h")
            .unwrap()
            .unwrap();
        // No p = 0.8 point: the first label that is not all-cloud.
        assert!(f.caption.contains("accuracy(p=0.5)"), "{}", f.caption);
        assert_eq!(f.x.values, ["1", "2"]);
        assert_eq!(f.panels.len(), 1);
        assert_eq!(f.panels[0].cells[0][1], Some(0.05 + 0.002));
        // An unknown dimension or metric is an error that names it.
        let bad = HeatmapSection {
            x: Some("fleet.pue".into()),
            ..spec.clone()
        };
        let e = HeatmapFigure::from_results(&results(), &bad, &[], "h").unwrap_err();
        assert!(e.to_string().contains("`fleet.pue`"), "{e}");
        let bad = HeatmapSection {
            metric: "joy".into(),
            ..spec
        };
        let e = HeatmapFigure::from_results(&results(), &bad, &[], "h").unwrap_err();
        assert!(e.to_string().contains("`joy`"), "{e}");
    }

    #[test]
    fn the_heatmap_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let f = HeatmapFigure::from_results(&results(), &HeatmapSection::default(), &[], "h")
            .unwrap()
            .unwrap();
        let size = f.size();
        // Viridis ends: the lowest cell dark purple, the highest yellow.
        let (lo, hi): (RGBColor, RGBColor) = (ViridisRGB.get_color(0.0), ViridisRGB.get_color(1.0));
        assert_drawn(&png("heatmap", size, &f).unwrap(), size, &[lo, hi]);
        let svg = svg("heatmap", size, &f).unwrap();
        assert!(svg.contains("11.2%"));
        insta::assert_snapshot!(svg);
    }
}
