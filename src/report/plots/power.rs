//! Power over time per tier (local and cloud, stacked) with the arrival rate on a second
//! axis, one panel per strategy, from the event service's `hourly` table and the `series`
//! table's arrivals.

use super::{
    floats, frame, framed_size, strategies, strings, tick, Mark, Plot, PlotResult, Strategies,
};
use crate::report::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// One hour of one strategy: its start (hours into the replay), the local and cloud tiers'
/// average power (W) and the arrival rate (queries per second over the whole hour).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hour {
    pub start: f64,
    pub local_w: f64,
    pub cloud_w: f64,
    pub arrivals_per_s: f64,
}

/// One strategy's panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub label: String,
    pub hours: Vec<Hour>,
}

/// Power per tier over the replay for the chosen strategies of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerFigure {
    pub panels: Vec<Panel>,
    pub caption: String,
}

/// At most this many panels, side by side (the first strategies chosen; the caption says so).
const MAX_PANELS: usize = 4;
const PANELS_HEIGHT: u32 = 500;
/// Tier colours: local in bluish green, cloud in blue, arrivals in vermillion.
const LOCAL: RGBColor = style::PALETTE[2];
const CLOUD: RGBColor = style::PALETTE[0];
const ARRIVALS: RGBColor = style::PALETTE[3];

impl PowerFigure {
    /// From the `hourly` and `series` tables: the first configuration of `hourly` (its first
    /// row's axis values), the strategies `wanted` or the default ones; `None` when `hourly`
    /// has no rows or the run spans less than two hours.
    pub fn from_tables(
        hourly: &DataFrame,
        series: &DataFrame,
        wanted: &[String],
        head: &str,
    ) -> PolarsResult<Option<PowerFigure>> {
        if hourly.height() == 0 {
            return Ok(None);
        }
        let hour = floats(hourly, "hour")?;
        let (lw, cw) = (
            floats(hourly, "local_avg_power_w")?,
            floats(hourly, "cloud_avg_power_w")?,
        );
        let (s_point, s_hour, s_arr) = (
            strings(series, "point")?,
            floats(series, "hour")?,
            floats(series, "arrivals")?,
        );
        // Arrivals by (point, hour).
        let mut arrivals = std::collections::HashMap::new();
        for j in 0..series.height() {
            *arrivals
                .entry((s_point[j].as_str(), s_hour[j] as u64))
                .or_insert(0.0) += s_arr[j];
        }
        let point = strings(hourly, "point")?;
        let Strategies { config, mut chosen } = strategies(hourly, wanted)?;
        let more = chosen.len() > MAX_PANELS;
        let all = chosen.len();
        chosen.truncate(MAX_PANELS);
        let mut panels = Vec::new();
        for (l, rows) in chosen {
            let p = &point[rows[0]];
            let hours = rows
                .iter()
                .map(|&i| Hour {
                    start: hour[i],
                    local_w: lw[i],
                    cloud_w: cw[i],
                    arrivals_per_s: arrivals
                        .get(&(p.as_str(), hour[i] as u64))
                        .copied()
                        .unwrap_or(0.0)
                        / 3600.0,
                })
                .collect();
            panels.push(Panel { label: l, hours });
        }
        // One hour is one bar: nothing over time to show (the meters bin by the hour).
        if panels.iter().all(|p| p.hours.len() < 2) {
            return Ok(None);
        }
        let cut = if more {
            format!("; first {MAX_PANELS} of {all} strategies shown")
        } else {
            String::new()
        };
        Ok(Some(PowerFigure {
            caption: format!("{head}{config}; hourly average power of each tier's meter (attributed and idle){cut}"),
            panels,
        }))
    }

    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, 3)
    }
}

/// `(x, y)` pairs tracing a step function: `value(h)` over `[h.start, h.start + 1)`.
fn steps(hours: &[Hour], value: impl Fn(&Hour) -> f64) -> Vec<(f64, f64)> {
    hours
        .iter()
        .flat_map(|h| [(h.start, value(h)), (h.start + 1.0, value(h))])
        .collect()
}

impl Plot for PowerFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(
            root,
            PANELS_HEIGHT,
            vec![
                (
                    "local tier power (stacked below the cloud's)".into(),
                    Mark::Area(LOCAL),
                ),
                ("cloud tier power (PUE included)".into(), Mark::Area(CLOUD)),
                ("arrival rate (right axis)".into(), Mark::Line(ARRIVALS)),
            ],
            &self.caption,
        )?;
        let hours = self.panels.iter().flat_map(|p| p.hours.iter());
        let x0 = hours.clone().map(|h| h.start).fold(f64::INFINITY, f64::min);
        let x1 = hours
            .clone()
            .map(|h| h.start + 1.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let (x0, x1) = if x0 < x1 { (x0, x1) } else { (0.0, 1.0) };
        let peak_w = hours
            .clone()
            .map(|h| h.local_w + h.cloud_w)
            .fold(0.0f64, f64::max);
        let peak_rate = hours.map(|h| h.arrivals_per_s).fold(0.0f64, f64::max);
        // Watts or kilowatts, one scale for every panel so they compare.
        let (scale, unit) = if peak_w >= 1e4 {
            (1e3, "kW")
        } else {
            (1.0, "W")
        };
        let top = (peak_w / scale * 1.1).max(1e-9);
        let rate_top = (peak_rate * 1.1).max(1e-9);
        let panels = body.split_evenly((1, self.panels.len().max(1)));
        for (area, p) in panels.iter().zip(&self.panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(&p.label, (style::FONT, style::TITLE))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .right_y_label_area_size(55)
                .build_cartesian_2d(x0..x1, 0.0..top)?
                .set_secondary_coord(x0..x1, 0.0..rate_top);
            chart
                .configure_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| tick(*v, top))
                .x_desc("hours into the replay")
                .y_desc(format!("average power ({unit})"))
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            chart
                .configure_secondary_axes()
                .y_label_formatter(&|v| tick(*v, rate_top))
                .y_desc("arrivals (queries/s)")
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            // The total first, in the cloud's colour; the local tier over its lower part.
            chart.draw_series(AreaSeries::new(
                steps(&p.hours, |h| (h.local_w + h.cloud_w) / scale),
                0.0,
                CLOUD.mix(0.85),
            ))?;
            chart.draw_series(AreaSeries::new(
                steps(&p.hours, |h| h.local_w / scale),
                0.0,
                LOCAL.mix(0.85),
            ))?;
            chart.draw_secondary_series(LineSeries::new(
                steps(&p.hours, |h| h.arrivals_per_s),
                ARRIVALS.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};

    /// Two event points over hours 0 and 1: all-cloud (cloud only) and a router that moves
    /// part of the load local; 7200 and 3600 arrivals in the two hours.
    fn tables() -> (DataFrame, DataFrame) {
        let labels = [
            "all-cloud",
            "all-cloud",
            "accuracy(p=0.8)",
            "accuracy(p=0.8)",
        ];
        let hourly = DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; 4]),
            Column::new("point".into(), [0u32, 0, 1, 1].to_vec()),
            Column::new("label".into(), labels.to_vec()),
            Column::new("hour".into(), [0u32, 1, 0, 1].to_vec()),
            Column::new("local_energy_j".into(), [0.0, 0.0, 3.6e6, 1.8e6].to_vec()),
            Column::new("cloud_energy_j".into(), [3.6e7, 1.8e7, 1.8e7, 9e6].to_vec()),
            Column::new(
                "local_avg_power_w".into(),
                [0.0, 0.0, 1000.0, 500.0].to_vec(),
            ),
            Column::new("cloud_avg_power_w".into(), [1e4, 5e3, 5e3, 2.5e3].to_vec()),
        ])
        .unwrap();
        let series = DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; 4]),
            Column::new("point".into(), [0u32, 0, 1, 1].to_vec()),
            Column::new("label".into(), labels.to_vec()),
            Column::new("hour".into(), [0u32, 1, 0, 1].to_vec()),
            Column::new("arrivals".into(), [7200u64, 3600, 7200, 3600].to_vec()),
        ])
        .unwrap();
        (hourly, series)
    }

    #[test]
    fn power_panels_join_each_hour_with_its_arrival_rate() {
        let (h, s) = tables();
        let f = PowerFigure::from_tables(&h, &s, &[], "scenario hand")
            .unwrap()
            .unwrap();
        assert_eq!(f.panels.len(), 2);
        assert_eq!(f.panels[1].label, "accuracy(p=0.8)");
        assert_eq!(
            f.panels[1].hours,
            [
                Hour {
                    start: 0.0,
                    local_w: 1000.0,
                    cloud_w: 5e3,
                    arrivals_per_s: 2.0
                },
                Hour {
                    start: 1.0,
                    local_w: 500.0,
                    cloud_w: 2.5e3,
                    arrivals_per_s: 1.0
                }
            ]
        );
    }

    #[test]
    fn the_power_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let (h, s) = tables();
        let f = PowerFigure::from_tables(&h, &s, &[], "scenario hand")
            .unwrap()
            .unwrap();
        let size = f.size();
        assert_drawn(&png("power", size, &f).unwrap(), size, &[ARRIVALS]);
        let svg = svg("power", size, &f).unwrap();
        assert!(svg.contains("average power (kW)"));
        assert!(svg.contains("arrivals (queries/s)"));
        insta::assert_snapshot!(svg);
    }
}
