//! Power over time per tier (local and cloud, stacked) with the arrival rate on a second
//! axis, one panel per strategy, from the event service's `hourly` table and the `series`
//! table's arrivals; by the minute, from the `minutes` table, when the run is too short for
//! two hours.

use super::{
    floats, frame, framed_size, strategies, strings, tick, Mark, Plot, PlotResult, Strategies,
};
use crate::report::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// One bin (an hour, or a minute) of one strategy: its start (bins into the replay), the local
/// and cloud tiers' average power (W) and the arrival rate (queries per second over the whole
/// bin).
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
    /// The bins are minutes (else hours).
    pub by_minute: bool,
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
    /// row's axis values), the strategies `wanted` or the default ones. When the run spans
    /// less than two hours, from the `minutes` table instead, by the minute. `None` when
    /// neither has two bins.
    pub fn from_tables(
        hourly: &DataFrame,
        series: &DataFrame,
        minutes: Option<&DataFrame>,
        wanted: &[String],
        head: &str,
    ) -> PolarsResult<Option<PowerFigure>> {
        if hourly.height() == 0 {
            return Ok(None);
        }
        let (s_point, s_hour, s_arr) = (
            strings(series, "point")?,
            floats(series, "hour")?,
            floats(series, "arrivals")?,
        );
        // Arrivals by (point, hour).
        let mut arrivals = std::collections::HashMap::new();
        for j in 0..series.height() {
            *arrivals
                .entry((s_point[j].clone(), s_hour[j] as u64))
                .or_insert(0.0) += s_arr[j];
        }
        let by_hour = Self::panels(hourly, "hour", wanted, |point, bin| {
            arrivals
                .get(&(point.to_string(), bin))
                .copied()
                .unwrap_or(0.0)
                / 3600.0
        })?;
        // One hour is one bar: nothing over time to show; the minutes, if the run has them.
        let (bins, by_minute, what) = if by_hour.0.iter().any(|p| p.hours.len() >= 2) {
            (by_hour, false, "hourly")
        } else {
            match minutes {
                Some(m) if m.height() > 0 => {
                    let arr = floats(m, "arrivals")?;
                    let (point, minute) = (strings(m, "point")?, floats(m, "minute")?);
                    let mut per = std::collections::HashMap::new();
                    for j in 0..m.height() {
                        per.insert((point[j].clone(), minute[j] as u64), arr[j]);
                    }
                    let panels = Self::panels(m, "minute", wanted, |point, bin| {
                        per.get(&(point.to_string(), bin)).copied().unwrap_or(0.0) / 60.0
                    })?;
                    (panels, true, "minute")
                }
                _ => return Ok(None),
            }
        };
        let (panels, config, all) = bins;
        let more = all > MAX_PANELS;
        if panels.iter().all(|p| p.hours.len() < 2) {
            return Ok(None);
        }
        let cut = if more {
            format!("; first {MAX_PANELS} of {all} strategies shown")
        } else {
            String::new()
        };
        Ok(Some(PowerFigure {
            caption: format!("{head}{config}; {what} average power of each tier's meter (attributed and idle){cut}"),
            panels,
            by_minute,
        }))
    }

    /// The panels of the chosen strategies from a per-bin table (`bin` its bin column), with
    /// `arrivals(point, bin)` in queries per second; the configuration's caption text and how
    /// many strategies were chosen.
    fn panels(
        table: &DataFrame,
        bin: &str,
        wanted: &[String],
        arrivals: impl Fn(&str, u64) -> f64,
    ) -> PolarsResult<(Vec<Panel>, String, usize)> {
        let start = floats(table, bin)?;
        let (lw, cw) = (
            floats(table, "local_avg_power_w")?,
            floats(table, "cloud_avg_power_w")?,
        );
        let point = strings(table, "point")?;
        let Strategies { config, mut chosen } = strategies(table, wanted)?;
        let all = chosen.len();
        chosen.truncate(MAX_PANELS);
        let panels = chosen
            .into_iter()
            .map(|(label, rows)| {
                let p = &point[rows[0]];
                let hours = rows
                    .iter()
                    .map(|&i| Hour {
                        start: start[i],
                        local_w: lw[i],
                        cloud_w: cw[i],
                        arrivals_per_s: arrivals(p, start[i] as u64),
                    })
                    .collect();
                Panel { label, hours }
            })
            .collect();
        Ok((panels, config, all))
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
                .x_desc(if self.by_minute {
                    "minutes into the replay"
                } else {
                    "hours into the replay"
                })
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
        let f = PowerFigure::from_tables(&h, &s, None, &[], "scenario hand")
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
    fn a_run_shorter_than_two_hours_is_drawn_by_the_minute() {
        // One point, one hour (a 3-minute run): one hourly bar, so the hours draw nothing.
        let hourly = DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"]),
            Column::new("point".into(), [0u32].to_vec()),
            Column::new("label".into(), ["all-cloud"].to_vec()),
            Column::new("hour".into(), [0u32].to_vec()),
            Column::new("local_avg_power_w".into(), [0.0].to_vec()),
            Column::new("cloud_avg_power_w".into(), [400.0].to_vec()),
        ])
        .unwrap();
        let series = DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"]),
            Column::new("point".into(), [0u32].to_vec()),
            Column::new("label".into(), ["all-cloud"].to_vec()),
            Column::new("hour".into(), [0u32].to_vec()),
            Column::new("arrivals".into(), [180u64].to_vec()),
        ])
        .unwrap();
        assert_eq!(
            PowerFigure::from_tables(&hourly, &series, None, &[], "h").unwrap(),
            None
        );
        // Its minutes: 120, 30 and 30 arrivals; 600, 300 and 300 W in the cloud.
        let minutes = DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; 3]),
            Column::new("point".into(), [0u32, 0, 0].to_vec()),
            Column::new("label".into(), ["all-cloud"; 3].to_vec()),
            Column::new("minute".into(), [0u32, 1, 2].to_vec()),
            Column::new("local_avg_power_w".into(), [0.0, 0.0, 0.0].to_vec()),
            Column::new("cloud_avg_power_w".into(), [600.0, 300.0, 300.0].to_vec()),
            Column::new("arrivals".into(), [120u64, 30, 30].to_vec()),
        ])
        .unwrap();
        let f = PowerFigure::from_tables(&hourly, &series, Some(&minutes), &[], "h")
            .unwrap()
            .unwrap();
        assert!(f.by_minute && f.caption.contains("minute average power"));
        let rates: Vec<(f64, f64, f64)> = f.panels[0]
            .hours
            .iter()
            .map(|b| (b.start, b.cloud_w, b.arrivals_per_s))
            .collect();
        assert_eq!(
            rates,
            [(0.0, 600.0, 2.0), (1.0, 300.0, 0.5), (2.0, 300.0, 0.5)]
        );
        let svg = svg("power", f.size(), &f).unwrap();
        assert!(svg.contains("minutes into the replay"));
    }

    #[test]
    fn the_power_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let (h, s) = tables();
        let f = PowerFigure::from_tables(&h, &s, None, &[], "scenario hand")
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
