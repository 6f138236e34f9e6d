//! Figures of a run, drawn from its results table (so `ipw-sim plot` redraws exactly what
//! `sweep` wrote, from `results.parquet`): each as PNG bytes and SVG text, in the style of
//! [`super::style`].
//!
//! * [`savings`]: savings vs router accuracy for energy, compute and cost, at both scopes,
//!   with the oracle and all-cloud marked and, when asked, the paper's published points
//!   (Fig. 4 / Sec. 4.3);
//! * [`breakeven`]: the energy break-even of every local pair against the cloud endpoint;
//! * [`trace`]: arrival rate and length distributions of trace files (`trace inspect`).
//!
//! Each figure kind is a type that reads itself from a table (`from_results`,
//! `from_table`), says its size, and implements [`Plot`]; [`png`] and [`svg`] render any of
//! them.

pub mod breakeven;
pub mod cumulative;
pub mod decompose;
pub mod heatmap;
pub mod latency;
pub mod power;
pub mod savings;
pub mod scaled;
pub mod slo;
pub mod trace;

pub use breakeven::{BreakEvenFigure, BreakEvenPair};
pub use cumulative::Cumulative;
pub use savings::{Curve, SavingsCurves};

use super::style;
use super::{Output, ReportError};
use crate::scenario::{FigureKind, FigureSize, FiguresSection};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

pub(crate) type PlotResult = Result<(), Box<dyn std::error::Error>>;

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

/// `plot` laid out at `size` and drawn `k` times as large (see [`scaled`]), as PNG bytes of
/// `size * k`; `k = 1` is [`png`].
pub fn png_scaled(
    name: &str,
    size: (u32, u32),
    plot: &impl Plot,
    k: f64,
) -> Result<Vec<u8>, ReportError> {
    if k == 1.0 {
        return png(name, size, plot);
    }
    super::figures::register_font();
    let err = |message: String| ReportError::Figure {
        name: name.into(),
        message,
    };
    let big = (
        (f64::from(size.0) * k).round() as u32,
        (f64::from(size.1) * k).round() as u32,
    );
    let mut rgb = vec![0u8; big.0 as usize * big.1 as usize * 3];
    {
        let inner = BitMapBackend::with_buffer(&mut rgb, big);
        let root = scaled::Scaled { inner, k }.into_drawing_area();
        plot.draw(&root).map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    super::figures::encode_png(rgb, big).map_err(err)
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

/// The height of the caption line under a figure (pixels).
pub(crate) const CAPTION_HEIGHT: u32 = 30;

/// The caption line (scenario, seed, queries, what the figure shows) in its strip.
pub(crate) fn draw_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    area.draw(&Text::new(
        caption.to_string(),
        (12, 8),
        (style::FONT, style::CAPTION).into_font(),
    ))?;
    Ok(())
}

/// A figure's frame: white, the panels' area on top (`panels_height` pixels, returned), the
/// legend strip of `legend` below it and the caption line at the bottom.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels_height: u32,
    legend: Vec<(String, Mark)>,
    caption: &str,
) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let height = root.dim_in_pixel().1;
    let (body, rest) = root.split_vertically(panels_height);
    let (strip, foot) = rest.split_vertically(height - panels_height - CAPTION_HEIGHT);
    draw_caption(&foot, caption)?;
    draw_legend(&strip, legend)?;
    Ok(body)
}

/// The size of a [`frame`]d figure: the style's width; panels, a gap, a legend of `entries`
/// entries and the caption high.
pub(crate) fn framed_size(panels_height: u32, entries: usize) -> (u32, u32) {
    (
        style::WIDE.0,
        panels_height + 12 + legend_height(entries) + CAPTION_HEIGHT,
    )
}

/// Legend entries per row, and the height of a row (pixels).
const LEGEND_COLUMNS: usize = 2;
const LEGEND_ROW: u32 = 22;

/// The height of a legend of `entries` entries (pixels).
pub(crate) fn legend_height(entries: usize) -> u32 {
    entries.div_ceil(LEGEND_COLUMNS) as u32 * LEGEND_ROW
}

/// How a legend entry is marked.
pub(crate) enum Mark {
    Line(RGBColor),
    /// A dashed line: dash and gap lengths, pixels.
    Dashed(RGBColor, i32, i32),
    /// A filled square: an area or a bar.
    Area(RGBColor),
    Triangle,
    Dot,
    Cross,
}

/// A legend strip under the panels: entries in [`LEGEND_COLUMNS`] columns across `area`.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: Vec<(String, Mark)>,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let column = (area.dim_in_pixel().0 - 24) / LEGEND_COLUMNS as u32;
    for (i, (label, mark)) in entries.into_iter().enumerate() {
        let x = 12 + (i % LEGEND_COLUMNS) as i32 * column as i32;
        let y = 2 + (i / LEGEND_COLUMNS) as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        match mark {
            Mark::Line(c) => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    c.stroke_width(3),
                ))?;
            }
            Mark::Dashed(c, on, off) => {
                let mut at = 0;
                while at < 24 {
                    area.draw(&PathElement::new(
                        vec![(x + at, y), (x + (at + on).min(24), y)],
                        c.stroke_width(2),
                    ))?;
                    at += on + off;
                }
            }
            Mark::Area(c) => area.draw(&Rectangle::new(
                [(x + 4, y - 7), (x + 20, y + 7)],
                c.filled(),
            ))?,
            Mark::Triangle => area.draw(&TriangleMarker::new(
                (x + 12, y),
                6,
                style::REFERENCE.filled(),
            ))?,
            Mark::Dot => area.draw(&Circle::new((x + 12, y), 5, style::REFERENCE.filled()))?,
            Mark::Cross => area.draw(&Cross::new(
                (x + 12, y),
                6,
                style::REFERENCE.stroke_width(2),
            ))?,
        }
        area.draw(&Text::new(
            label,
            (x + 32, y - 7),
            (style::FONT, style::LEGEND).into_font(),
        ))?;
    }
    Ok(())
}

/// An axis value as a legend shows it: a list of names as `a+b+c`.
pub(crate) fn short(v: &str) -> String {
    v.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|x| x.trim().trim_matches('"'))
        .collect::<Vec<_>>()
        .join("+")
}

/// The sweep-axis columns of a per-point table: those between column `after` and column
/// `before` (`oracle_target` and `seed` in `results`, `label` and `hour` in `series` and
/// `hourly`).
pub(crate) fn axis_names(t: &DataFrame, after: &str, before: &str) -> Vec<String> {
    let names: Vec<String> = t.get_column_names().iter().map(|n| n.to_string()).collect();
    let first = names.iter().position(|n| n == after).map_or(0, |i| i + 1);
    let last = names.iter().position(|n| n == before).unwrap_or(first);
    names[first.min(last)..last].to_vec()
}

/// Each row's configuration (its values of `axes`) as a legend shows it: `key=value ...`, the
/// key's last dotted part.
pub(crate) fn configurations(t: &DataFrame, axes: &[String]) -> PolarsResult<Vec<String>> {
    let cols = axes
        .iter()
        .map(|a| {
            Ok((
                a.rsplit('.').next().unwrap_or(a).to_string(),
                strings(t, a)?,
            ))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..t.height())
        .map(|i| {
            cols.iter()
                .map(|(k, v)| format!("{k}={}", short(&v[i])))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect())
}

/// The strategies (point labels, in the order given) a figure over time shows: `wanted` if
/// given (an error names one the run does not have), else all-cloud, every oracle and the
/// routers at p = 0.8 (the paper's), or every label when that leaves fewer than two; at most
/// [`style::PALETTE`]'s length.
pub(crate) fn chosen_strategies(
    labels: &[String],
    wanted: &[String],
) -> Result<Vec<String>, String> {
    if let Some(w) = wanted.iter().find(|w| !labels.contains(w)) {
        return Err(format!(
            "no point labelled `{w}` (the run has: {})",
            labels.join(", ")
        ));
    }
    let mut out: Vec<String> = if wanted.is_empty() {
        labels
            .iter()
            .filter(|l| {
                *l == "all-cloud"
                    || l.starts_with("oracle")
                    || l.starts_with("accuracy(p=0.8)")
                    || l.starts_with("accuracy(p=0.8,")
            })
            .cloned()
            .collect()
    } else {
        wanted.to_vec()
    };
    if out.len() < 2 && wanted.is_empty() {
        out = labels.to_vec();
    }
    out.truncate(style::PALETTE.len());
    Ok(out)
}

/// The strategies a figure over time (or a latency figure) shows, from a per-point table
/// with rows per hour or per tier (`series`, `hourly`, `latency`): its first configuration (the first row's axis values), as a caption shows it
/// (`"; key=value ..."`, empty without axes), and per strategy chosen (see
/// [`chosen_strategies`]) its label and the rows of the first point so labelled.
pub(crate) struct Strategies {
    pub config: String,
    pub chosen: Vec<(String, Vec<usize>)>,
}

pub(crate) fn strategies(t: &DataFrame, wanted: &[String]) -> PolarsResult<Strategies> {
    // The axes end at the first column after them: `hour`, or `tier` in `latency`.
    let before = if t.column("hour").is_ok() {
        "hour"
    } else {
        "tier"
    };
    let config = configurations(t, &axis_names(t, "label", before))?;
    let (point, label) = (strings(t, "point")?, strings(t, "label")?);
    let rows: Vec<usize> = (0..t.height())
        .filter(|&i| config[i] == config[0])
        .collect();
    let mut labels: Vec<String> = Vec::new();
    for &i in &rows {
        if !labels.contains(&label[i]) {
            labels.push(label[i].clone());
        }
    }
    let chosen = chosen_strategies(&labels, wanted)
        .map_err(|m| PolarsError::ComputeError(m.into()))?
        .into_iter()
        .filter_map(|l| {
            let first = *rows.iter().find(|&&i| label[i] == l)?;
            let of_point = rows
                .iter()
                .copied()
                .filter(|&i| point[i] == point[first])
                .collect();
            Some((l, of_point))
        })
        .collect();
    Ok(Strategies {
        config: match config.first() {
            Some(c) if !c.is_empty() => format!("; {c}"),
            _ => String::new(),
        },
        chosen,
    })
}

/// The SI prefix that shows values up to `max` with at most three integer digits: (the
/// divisor, the prefix), from none to yotta.
pub(crate) fn si_prefix(max: f64) -> (f64, &'static str) {
    const PREFIXES: [(f64, &str); 9] = [
        (1e24, "Y"),
        (1e21, "Z"),
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
    ];
    PREFIXES
        .into_iter()
        .find(|(d, _)| max >= *d)
        .unwrap_or((1.0, ""))
}

/// A tick label on an axis reaching `top`: no decimals from 10 up, one from 1, two below.
pub(crate) fn tick(v: f64, top: f64) -> String {
    if top >= 10.0 {
        format!("{v:.0}")
    } else if top >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// "scenario S, seed N, Q queries per point" from a results table.
pub(crate) fn run_caption(t: &DataFrame) -> PolarsResult<String> {
    let first = |c: &str| -> PolarsResult<String> {
        Ok(strings(t, c)?.first().cloned().unwrap_or_default())
    };
    let queries = strings(t, "queries")?;
    let per_point = if queries.iter().all(|q| *q == queries[0]) {
        format!(
            "{} queries per point",
            queries.first().cloned().unwrap_or_default()
        )
    } else {
        "queries per point vary".into()
    };
    Ok(format!(
        "scenario {}, seed {}, {per_point}",
        first("scenario")?,
        first("seed")?
    ))
}

pub(crate) fn strings(t: &DataFrame, c: &str) -> PolarsResult<Vec<String>> {
    let col = t.column(c)?.cast(&DataType::String)?;
    let ca = col.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect())
}

pub(crate) fn floats(t: &DataFrame, c: &str) -> PolarsResult<Vec<f64>> {
    let col = t.column(c)?.cast(&DataType::Float64)?;
    let ca = col.f64()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or(f64::NAN))
        .collect())
}

/// The tables a run's figures are drawn from, as `run` and `sweep` write them.
pub struct RunTables<'a> {
    pub results: &'a DataFrame,
    /// Every point's queries by arrival hour.
    pub series: Option<&'a DataFrame>,
    /// The event service's per-hour energy.
    pub hourly: Option<&'a DataFrame>,
    /// The event service's first minutes: energy and arrivals per minute.
    pub minutes: Option<&'a DataFrame>,
    /// The event service's latency distributions.
    pub latency: Option<&'a DataFrame>,
}

/// How many times the screen layout's pixels a PNG of `size` is drawn at (print: the style's
/// print width over its screen width).
pub fn factor(size: FigureSize) -> f64 {
    match size {
        FigureSize::Screen => 1.0,
        FigureSize::Print => f64::from(style::WIDE_PRINT.0) / f64::from(style::WIDE.0),
    }
}

/// A figure as its two outputs, `<name>.png` (at `scale`) and `<name>.svg`.
fn outputs(
    name: &str,
    size: (u32, u32),
    plot: &impl Plot,
    scale: FigureSize,
) -> Result<Vec<Output>, ReportError> {
    Ok(vec![
        Output::figure(name, png_scaled(name, size, plot, factor(scale))?),
        Output::svg(name, svg(name, size, plot)?),
    ])
}

/// The figures of a run (PNG and SVG each): the kinds `spec.draw` lists, else every kind the
/// tables can draw. A kind asked for by name that the tables cannot draw is an error saying
/// why.
pub fn run_figures(tables: &RunTables, spec: &FiguresSection) -> Result<Vec<Output>, ReportError> {
    use FigureKind::*;
    let kinds = spec
        .draw
        .clone()
        .unwrap_or_else(|| vec![Savings, Cumulative, Power, Heatmap, Latency, Slo]);
    let mut out = Vec::new();
    for kind in kinds {
        let name = match kind {
            Savings => "savings-vs-accuracy",
            Cumulative => "cumulative",
            Power => "power",
            Heatmap => "heatmap",
            Latency => "latency",
            Slo => "slo",
        };
        let err = |message: String| ReportError::Figure {
            name: name.into(),
            message,
        };
        let polars = |e: PolarsError| err(e.to_string());
        let head = run_caption(tables.results).map_err(polars)?;
        let drawn = match kind {
            Savings => match SavingsCurves::from_results(tables.results, spec.paper_points)
                .map_err(polars)?
            {
                Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                None => None,
            },
            Cumulative => match tables.series {
                Some(t) => match cumulative::Cumulative::from_series(t, &spec.strategies, &head)
                    .map_err(polars)?
                {
                    Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                    None => None,
                },
                None => None,
            },
            Power => match (tables.hourly, tables.series) {
                (Some(h), Some(s)) => {
                    match power::PowerFigure::from_tables(
                        h,
                        s,
                        tables.minutes,
                        &spec.strategies,
                        &head,
                    )
                    .map_err(polars)?
                    {
                        Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                        None => None,
                    }
                }
                _ => None,
            },
            Heatmap => match heatmap::HeatmapFigure::from_results(
                tables.results,
                &spec.heatmap,
                &spec.strategies,
                &head,
            )
            .map_err(polars)?
            {
                Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                None => None,
            },
            Latency => match tables.latency {
                Some(t) => match latency::LatencyFigure::from_table(t, &spec.strategies, &head)
                    .map_err(polars)?
                {
                    Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                    None => None,
                },
                None => None,
            },
            Slo => match slo::SloFigure::from_results(tables.results, &spec.strategies, &head)
                .map_err(polars)?
            {
                Some(f) => Some(outputs(name, f.size(), &f, spec.size)?),
                None => None,
            },
        };
        match drawn {
            Some(o) => out.extend(o),
            None if spec.draw.is_some() => return Err(err(match kind {
                Savings => "the results have no two accuracy-router points of one rule".into(),
                Cumulative => {
                    "the run spans less than two hours (or the folder has no series table)".into()
                }
                Power => "the run has no event-service points spanning two minutes or more".into(),
                Heatmap => {
                    "the results have no two dimensions that vary (sweep axes or router accuracy)"
                        .into()
                }
                Latency => "the run has no event-service points (no latency table)".into(),
                Slo => format!(
                    "the results have no `{}` sweep axis with two values or more on event-service points",
                    slo::REPLICAS
                ),
            })),
            None => {}
        }
    }
    Ok(out)
}

/// The `decompose` command's figure (PNG and SVG) from its `decompose`, `decompose-factors`
/// and (for the lower row) `decompose-pairs` tables.
pub fn decompose_figures(
    years: &DataFrame,
    factors: &DataFrame,
    pairs: Option<&DataFrame>,
    scenario: &str,
    scale: FigureSize,
) -> Result<Vec<Output>, ReportError> {
    let name = "decompose";
    let err = |e: PolarsError| ReportError::Figure {
        name: name.into(),
        message: e.to_string(),
    };
    let first = |c: &str| -> Result<String, ReportError> {
        Ok(strings(years, c)
            .map_err(err)?
            .first()
            .cloned()
            .unwrap_or_default())
    };
    let caption = format!(
        "scenario {scenario}: each year's pair at batch {}, on the mean query ({:.0} prompt, {:.0} response tokens); IPW: accuracy per watt, IPJ: accuracy per joule",
        first("batch")?,
        first("mean_prompt_tokens")?.parse::<f64>().unwrap_or(f64::NAN),
        first("mean_response_tokens")?.parse::<f64>().unwrap_or(f64::NAN)
    );
    let fig =
        decompose::DecomposeFigure::from_tables(years, factors, pairs, &caption).map_err(err)?;
    outputs(name, fig.size(), &fig, scale)
}

/// The `breakeven` command's figure (PNG and SVG) from its pairs table.
pub fn breakeven_figures(
    table: &DataFrame,
    scenario: &str,
    scale: FigureSize,
) -> Result<Vec<super::Output>, ReportError> {
    let name = "breakeven";
    let fig = BreakEvenFigure::from_table(table, scenario).map_err(|e| ReportError::Figure {
        name: name.into(),
        message: e.to_string(),
    })?;
    outputs(name, fig.size(), &fig, scale)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `bytes` is a PNG of `size` with content: many colours, many pixels off the white
    /// background, and every colour of `colours` somewhere.
    pub(crate) fn assert_drawn(bytes: &[u8], size: (u32, u32), colours: &[RGBColor]) {
        let img = image::load_from_memory(bytes).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), size);
        let mut seen = std::collections::BTreeSet::new();
        let mut not_white = 0usize;
        for p in img.pixels() {
            seen.insert(p.0);
            not_white += usize::from(p.0 != [255, 255, 255]);
        }
        assert!(seen.len() > 50, "{} colours", seen.len());
        assert!(not_white > 20_000, "{not_white} pixels drawn");
        for c in colours {
            assert!(seen.contains(&[c.0, c.1, c.2]), "colour {c:?} not drawn");
        }
    }

    #[test]
    fn print_size_draws_the_screen_layout_one_and_a_half_times_as_large() {
        let spec: FiguresSection = toml::from_str("size = \"print\"").unwrap();
        assert_eq!(spec.size, FigureSize::Print);
        assert_eq!(factor(spec.size), 1.5);
        assert_eq!(FiguresSection::default().size, FigureSize::Screen);
        assert!(toml::from_str::<FiguresSection>("size = \"poster\"").is_err());
        // A figure of two bars: at print size its PNG is 1.5 times as wide and high, and its
        // bars cover 2.25 times the pixels.
        struct Bars;
        impl Plot for Bars {
            fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
            where
                DB::ErrorType: 'static,
            {
                root.fill(&WHITE)?;
                root.draw(&Rectangle::new(
                    [(10, 10), (50, 30)],
                    style::colour(0).filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(60, 10), (100, 50)],
                    style::colour(1).filled(),
                ))?;
                Ok(())
            }
        }
        let count = |k: f64| {
            let bytes = png_scaled("bars", (120, 60), &Bars, k).unwrap();
            let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
            let c = style::colour(0);
            let blue = img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
            (img.dimensions(), blue)
        };
        assert_eq!(count(1.0), ((120, 60), 40 * 20));
        assert_eq!(count(1.5), ((180, 90), 60 * 30));
    }

    #[test]
    fn default_strategies_are_all_cloud_the_oracles_and_the_paper_router() {
        let labels: Vec<String> = [
            "all-cloud",
            "oracle",
            "accuracy(p=0.5)",
            "accuracy(p=0.8)",
            "accuracy(p=0.85)",
            "accuracy(p=0.8,optimal)",
            "oracle(optimal)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            chosen_strategies(&labels, &[]).unwrap(),
            [
                "all-cloud",
                "oracle",
                "accuracy(p=0.8)",
                "accuracy(p=0.8,optimal)",
                "oracle(optimal)"
            ]
        );
        // Without them, every label.
        let two = ["accuracy(p=0.1)".to_string(), "accuracy(p=0.2)".to_string()];
        assert_eq!(chosen_strategies(&two, &[]).unwrap(), two);
        assert!(chosen_strategies(&two, &["x".into()])
            .unwrap_err()
            .contains("`x`"));
    }

    #[test]
    fn si_prefixes_keep_three_integer_digits() {
        assert_eq!(si_prefix(4.8e21), (1e21, "Z"));
        assert_eq!(si_prefix(2.5e18), (1e18, "E"));
        assert_eq!(si_prefix(999e15), (1e15, "P"));
        assert_eq!(si_prefix(1e15), (1e15, "P"));
        assert_eq!(si_prefix(12.0), (1.0, ""));
        assert_eq!(si_prefix(0.0), (1.0, ""));
    }
}
