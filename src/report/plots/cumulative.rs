//! Cumulative energy, compute and cost over the replay, one line per strategy ([IPW] Fig. 4),
//! from the `series` table (every point's queries by arrival hour).

use super::{
    floats, frame, framed_size, si_prefix, strategies, tick, Mark, Plot, PlotResult, Strategies,
};
use crate::report::style::{self, colour};
use plotters::coord::Shift;
use plotters::prelude::*;
use polars::prelude::*;

/// One strategy's running totals at the end of each hour: (hours into the replay,
/// [energy kWh, FLOPs, cost USD]), from 0 at the start of its first hour.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, [f64; 3])>,
}

/// Running energy, compute and cost of the chosen strategies of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Cumulative {
    pub lines: Vec<Line>,
    pub caption: String,
}

/// The panels: title and axis description (compute's unit takes an SI prefix).
const PANELS: [(&str, &str); 3] = [
    ("Energy", "cumulative energy (kWh)"),
    ("Compute", "cumulative compute"),
    ("Cost", "cumulative cost (USD)"),
];

const PANELS_HEIGHT: u32 = 520;

impl Cumulative {
    /// The lines of the first configuration's points in a `series` table (its first row's
    /// axis values), for the strategies (point labels) `wanted`, or the default ones (see
    /// `plots::chosen_strategies`); `None` when the table has no rows or the run spans
    /// less than two hours. `head` starts the caption (scenario, seed, queries).
    pub fn from_series(
        t: &DataFrame,
        wanted: &[String],
        head: &str,
    ) -> PolarsResult<Option<Cumulative>> {
        if t.height() == 0 {
            return Ok(None);
        }
        let hour = floats(t, "hour")?;
        let (e, f, c) = (
            floats(t, "energy_j")?,
            floats(t, "flops")?,
            floats(t, "cost_usd")?,
        );
        let Strategies { config, chosen } = strategies(t, wanted)?;
        let mut lines = Vec::new();
        for (l, rows) in chosen {
            let mut sum = [0.0; 3];
            let mut points = vec![(hour[rows[0]], sum)];
            for &i in &rows {
                sum = [sum[0] + e[i] / 3.6e6, sum[1] + f[i], sum[2] + c[i]];
                points.push((hour[i] + 1.0, sum));
            }
            lines.push(Line { label: l, points });
        }
        // One hour is a straight line: nothing over time to show.
        if lines.iter().all(|l| l.points.len() < 3) {
            return Ok(None);
        }
        Ok(Some(Cumulative {
            caption: format!(
                "{head}{config}; running totals by arrival hour (energy attributed to queries)"
            ),
            lines,
        }))
    }

    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, self.lines.len())
    }
}

impl Plot for Cumulative {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let body = frame(
            root,
            PANELS_HEIGHT,
            self.lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.label.clone(), Mark::Line(colour(i))))
                .collect(),
            &self.caption,
        )?;
        let (x0, x1) = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        let (x0, x1) = if x0 < x1 { (x0, x1) } else { (0.0, 1.0) };
        for (k, (panel, (title, desc))) in body.split_evenly((1, 3)).iter().zip(PANELS).enumerate()
        {
            let top = self
                .lines
                .iter()
                .flat_map(|l| l.points.iter().map(|p| p.1[k]))
                .fold(0.0f64, f64::max);
            // Compute in FLOP with an SI prefix; energy and cost as they are.
            let (scale, desc) = if k == 1 {
                let (scale, prefix) = si_prefix(top);
                (scale, format!("{desc} ({prefix}FLOP)"))
            } else {
                (1.0, desc.to_string())
            };
            let top = if top > 0.0 { top / scale * 1.05 } else { 1.0 };
            let mut chart = ChartBuilder::on(panel)
                .caption(title, (style::FONT, style::TITLE))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, 0.0..top)?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(238, 238, 238))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| tick(*v, top))
                .x_desc("hours into the replay")
                .y_desc(desc)
                .axis_desc_style((style::FONT, style::AXIS))
                .label_style((style::FONT, style::TICK))
                .draw()?;
            for (i, l) in self.lines.iter().enumerate() {
                chart.draw_series(LineSeries::new(
                    l.points.iter().map(|(h, v)| (*h, v[k] / scale)),
                    colour(i).stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};

    /// A series table by hand: one configuration, two points over hours 3 and 4; all-cloud
    /// charged 1.8 MJ (0.5 kWh), 1e15 FLOPs and $1 per hour, the router half of that in hour
    /// 3 and nothing in hour 4.
    fn series() -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("scenario".into(), vec!["hand"; 4]),
            Column::new("point".into(), [0u32, 0, 1, 1].to_vec()),
            Column::new(
                "label".into(),
                [
                    "all-cloud",
                    "all-cloud",
                    "accuracy(p=0.8)",
                    "accuracy(p=0.8)",
                ]
                .to_vec(),
            ),
            Column::new("hour".into(), [3u32, 4, 3, 4].to_vec()),
            Column::new("arrivals".into(), [2u64, 2, 2, 2].to_vec()),
            Column::new("local_queries".into(), [0u64, 0, 1, 2].to_vec()),
            Column::new("energy_j".into(), [1.8e6, 1.8e6, 0.9e6, 0.0].to_vec()),
            Column::new("flops".into(), [1e15, 1e15, 0.5e15, 0.0].to_vec()),
            Column::new("cost_usd".into(), [1.0, 1.0, 0.5, 0.0].to_vec()),
        ])
        .unwrap()
    }

    #[test]
    fn cumulative_lines_are_running_sums_from_the_first_hour() {
        let c = Cumulative::from_series(&series(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        assert_eq!(c.lines.len(), 2);
        assert_eq!(c.lines[0].label, "all-cloud");
        assert_eq!(
            c.lines[0].points,
            [
                (3.0, [0.0, 0.0, 0.0]),
                (4.0, [0.5, 1e15, 1.0]),
                (5.0, [1.0, 2e15, 2.0])
            ]
        );
        assert_eq!(c.lines[1].points[2], (5.0, [0.25, 0.5e15, 0.5]));
        // Asked for one strategy, it draws that one; an unknown one is an error naming it.
        let one = Cumulative::from_series(&series(), &["accuracy(p=0.8)".into()], "")
            .unwrap()
            .unwrap();
        assert_eq!(one.lines.len(), 1);
        let err = Cumulative::from_series(&series(), &["oracle".into()], "").unwrap_err();
        assert!(err.to_string().contains("oracle"), "{err}");
    }

    #[test]
    fn the_cumulative_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let c = Cumulative::from_series(&series(), &[], "scenario hand")
            .unwrap()
            .unwrap();
        let size = c.size();
        assert_drawn(
            &png("cumulative", size, &c).unwrap(),
            size,
            &[colour(0), colour(1)],
        );
        insta::assert_snapshot!(svg("cumulative", size, &c).unwrap());
    }
}
