//! Figures of a run, drawn from its results table (so `ipw-sim plot` redraws exactly what
//! `sweep` wrote, from `results.parquet`): each as PNG bytes and SVG text, in the style of
//! [`super::style`].
//!
//! * [`SavingsCurves`]: savings vs router accuracy for energy, compute and cost, at both
//!   scopes, with the oracle and all-cloud marked and, when asked, the paper's published
//!   points (Fig. 4 / Sec. 4.3).

use super::style::{self, colour};
use super::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

type PlotResult = Result<(), Box<dyn std::error::Error>>;

/// Something drawn on any plotters backend.
pub trait Plot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static;
}

/// `plot` at `size` as PNG bytes.
pub fn png(name: &str, size: (u32, u32), plot: &impl Plot) -> Result<Vec<u8>, ReportError> {
    super::figures::register_font();
    let err = |message: String| ReportError::Figure {
        name: name.into(),
        message,
    };
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        plot.draw(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    super::figures::encode_png(rgb, size).map_err(err)
}

/// `plot` at `size` as SVG text (text as `<text>` elements in the style's font family).
pub fn svg(name: &str, size: (u32, u32), plot: &impl Plot) -> Result<String, ReportError> {
    // Text layout measures the same embedded font as the PNG.
    super::figures::register_font();
    let err = |message: String| ReportError::Figure {
        name: name.into(),
        message,
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        plot.draw(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(out)
}

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

/// An axis value as a legend shows it: a list of names as `a+b+c`.
fn short(v: &str) -> String {
    v.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|x| x.trim().trim_matches('"'))
        .collect::<Vec<_>>()
        .join("+")
}

fn strings(t: &DataFrame, c: &str) -> PolarsResult<Vec<String>> {
    let col = t.column(c)?.cast(&DataType::String)?;
    let ca = col.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect())
}

fn floats(t: &DataFrame, c: &str) -> PolarsResult<Vec<f64>> {
    let col = t.column(c)?.cast(&DataType::Float64)?;
    let ca = col.f64()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or(f64::NAN))
        .collect())
}

impl SavingsCurves {
    /// The curves of a results table (see the README's "Results files"); `None` when it has
    /// fewer than two accuracy-router points of one rule, so there is no curve to draw.
    pub fn from_results(t: &DataFrame, paper_points: bool) -> PolarsResult<Option<SavingsCurves>> {
        let names: Vec<String> = t.get_column_names().iter().map(|n| n.to_string()).collect();
        // The axis columns sit between the router's columns and `seed`.
        let first = names
            .iter()
            .position(|n| n == "oracle_target")
            .map_or(0, |i| i + 1);
        let last = names.iter().position(|n| n == "seed").unwrap_or(first);
        let axes = &names[first.min(last)..last];
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
        let config: Vec<String> = {
            let cols = axes
                .iter()
                .map(|a| {
                    Ok((
                        a.rsplit('.').next().unwrap_or(a).to_string(),
                        strings(t, a)?,
                    ))
                })
                .collect::<PolarsResult<Vec<_>>>()?;
            (0..t.height())
                .map(|i| {
                    cols.iter()
                        .map(|(k, v)| format!("{k}={}", short(&v[i])))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        };
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

/// Legend entries per row, and the height of a row (pixels).
const LEGEND_COLUMNS: usize = 2;
const LEGEND_ROW: u32 = 22;
/// The height of the panels and of the caption line (pixels).
const PANELS_HEIGHT: u32 = 520;
const CAPTION_HEIGHT: u32 = 30;

/// How a legend entry is marked.
enum Mark {
    Line(RGBColor),
    Triangle,
    Dot,
    Cross,
}

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
        let rows = self.legend().len().div_ceil(LEGEND_COLUMNS) as u32;
        (
            style::WIDE.0,
            PANELS_HEIGHT + 12 + rows * LEGEND_ROW + CAPTION_HEIGHT,
        )
    }
}

impl Plot for SavingsCurves {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let height = root.dim_in_pixel().1;
        let (body, rest) = root.split_vertically(PANELS_HEIGHT);
        let (legend, foot) = rest.split_vertically(height - PANELS_HEIGHT - CAPTION_HEIGHT);
        foot.draw(&Text::new(
            self.caption.clone(),
            (12, 8),
            (style::FONT, style::CAPTION).into_font(),
        ))?;
        let column = (style::WIDE.0 - 24) / LEGEND_COLUMNS as u32;
        for (i, (label, mark)) in self.legend().into_iter().enumerate() {
            let x = 12 + (i % LEGEND_COLUMNS) as i32 * column as i32;
            let y = 2 + (i / LEGEND_COLUMNS) as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
            match mark {
                Mark::Line(c) => legend.draw(&PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    c.stroke_width(3),
                ))?,
                Mark::Triangle => legend.draw(&TriangleMarker::new(
                    (x + 12, y),
                    6,
                    style::REFERENCE.filled(),
                ))?,
                Mark::Dot => {
                    legend.draw(&Circle::new((x + 12, y), 5, style::REFERENCE.filled()))?
                }
                Mark::Cross => legend.draw(&Cross::new(
                    (x + 12, y),
                    6,
                    style::REFERENCE.stroke_width(2),
                ))?,
            }
            legend.draw(&Text::new(
                label,
                (x + 32, y - 7),
                (style::FONT, style::LEGEND).into_font(),
            ))?;
        }
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

/// The figures of a run's results table: `savings-vs-accuracy` (PNG and SVG) when the table
/// has a curve to draw.
pub fn run_figures(
    results: &DataFrame,
    paper_points: bool,
) -> Result<Vec<super::Output>, ReportError> {
    let name = "savings-vs-accuracy";
    let curves =
        SavingsCurves::from_results(results, paper_points).map_err(|e| ReportError::Figure {
            name: name.into(),
            message: e.to_string(),
        })?;
    Ok(match curves {
        Some(c) => vec![
            super::Output::figure(name, png(name, c.size(), &c)?),
            super::Output::svg(name, svg(name, c.size(), &c)?),
        ],
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            .build_cartesian_2d((x0..hi * 1.5).log_scale(), (0..rows).into_segmented())?;
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

/// The `breakeven` command's figure (PNG and SVG) from its pairs table.
pub fn breakeven_figures(
    table: &DataFrame,
    scenario: &str,
) -> Result<Vec<super::Output>, ReportError> {
    let name = "breakeven";
    let fig = BreakEvenFigure::from_table(table, scenario).map_err(|e| ReportError::Figure {
        name: name.into(),
        message: e.to_string(),
    })?;
    Ok(vec![
        super::Output::figure(name, png(name, fig.size(), &fig)?),
        super::Output::svg(name, svg(name, fig.size(), &fig)?),
    ])
}
