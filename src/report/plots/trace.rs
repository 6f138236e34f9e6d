//! The trace figure of `ipw-sim trace inspect --png/--svg`: arrival rate over time (top) and
//! the prompt and response length distributions (bottom) of one or more traces, overlaid in
//! the palette's colours (e.g. a synthetic trace and the data it imitates), with the shared
//! legend and a caption naming each trace's requests and span.

use super::{frame, framed_size, Mark, Plot, PlotResult};
use crate::report::style;
use crate::trace::inspect::{Lengths, TraceStats};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Height of the panels (rate on top, lengths below), pixels.
const PANELS_HEIGHT: u32 = 760;

/// Length bins of the distributions, up to the largest p99 of the traces shown.
const LENGTH_BINS: usize = 50;

/// The traces of a figure, by name (the file name), with their statistics.
pub struct TraceFigure<'a> {
    pub named: &'a [(String, TraceStats)],
}

impl TraceFigure<'_> {
    pub fn size(&self) -> (u32, u32) {
        framed_size(PANELS_HEIGHT, self.named.len())
    }

    fn caption(&self) -> String {
        let each: Vec<String> = self
            .named
            .iter()
            .map(|(n, s)| format!("{n}: {} requests over {:.2} h", s.rows, s.span_s / 3600.0))
            .collect();
        format!("traces: {}", each.join("; "))
    }

    /// Requests per second in 1-minute bins (10-minute bins when a trace is longer than
    /// 10 hours), at the bin's start in hours.
    pub fn rates(s: &TraceStats) -> Vec<(f64, f64)> {
        let b = if s.per_minute.len() > 600 { 10 } else { 1 };
        s.per_minute
            .chunks(b)
            .enumerate()
            .map(|(i, c)| {
                (
                    (i * b) as f64 / 60.0,
                    c.iter().sum::<u64>() as f64 / (60.0 * c.len() as f64),
                )
            })
            .collect()
    }

    /// The bin width (tokens) and each trace's share of requests per bin, from 0 to
    /// [`LENGTH_BINS`] bins covering the largest p99 (at least 10 tokens).
    pub fn shares(&self, input: bool) -> (usize, Vec<Vec<f64>>) {
        let x_max = self
            .named
            .iter()
            .map(|(_, s)| pick(s, input).quantile(0.99))
            .max()
            .unwrap_or(1)
            .max(10) as usize;
        let width = x_max.div_ceil(LENGTH_BINS).max(1);
        let shares = self
            .named
            .iter()
            .map(|(_, s)| {
                let h = pick(s, input);
                let total = h.count().max(1) as f64;
                (0..LENGTH_BINS)
                    .map(|b| {
                        h.count_in((b * width) as u64, ((b + 1) * width) as u64) as f64 / total
                    })
                    .collect()
            })
            .collect();
        (width, shares)
    }

    fn rate_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let series: Vec<Vec<(f64, f64)>> = self.named.iter().map(|(_, s)| Self::rates(s)).collect();
        let x_max = series
            .iter()
            .flat_map(|s| s.last().map(|p| p.0))
            .fold(1e-3, f64::max);
        let y_max = series.iter().flatten().map(|p| p.1).fold(1e-3, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption("Arrival rate", (style::FONT, style::TITLE))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_desc("hours from the first arrival")
            .y_desc("requests / s")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        for (i, pts) in series.into_iter().enumerate() {
            chart.draw_series(LineSeries::new(pts, style::colour(i).stroke_width(2)))?;
        }
        Ok(())
    }

    fn length_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        input: bool,
    ) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let (width, shares) = self.shares(input);
        let y_max = shares.iter().flatten().fold(1e-3, |m: f64, v| m.max(*v)) * 1.1;
        let title = if input {
            "Prompt tokens"
        } else {
            "Response tokens"
        };
        let mut chart = ChartBuilder::on(area)
            .caption(title, (style::FONT, style::TITLE))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..(LENGTH_BINS * width) as f64, 0.0..y_max)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_desc(format!("tokens ({width}-token bins, to the largest p99)"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("share of requests")
            .axis_desc_style((style::FONT, style::AXIS))
            .label_style((style::FONT, style::TICK))
            .draw()?;
        for (i, bins) in shares.into_iter().enumerate() {
            // Step outline, so that several traces stay readable on one panel.
            let step: Vec<(f64, f64)> = bins
                .iter()
                .enumerate()
                .flat_map(|(b, &y)| [((b * width) as f64, y), (((b + 1) * width) as f64, y)])
                .collect();
            chart.draw_series(LineSeries::new(step, style::colour(i).stroke_width(2)))?;
        }
        Ok(())
    }
}

fn pick(s: &TraceStats, input: bool) -> &Lengths {
    if input {
        &s.input
    } else {
        &s.output
    }
}

impl Plot for TraceFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult
    where
        DB::ErrorType: 'static,
    {
        let legend = self
            .named
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), Mark::Line(style::colour(i))))
            .collect();
        let body = frame(root, PANELS_HEIGHT, legend, &self.caption())?;
        let (top, bottom) = body.split_vertically(PANELS_HEIGHT / 2);
        let width = bottom.dim_in_pixel().0;
        let (left, right) = bottom.split_horizontally(width / 2);
        self.rate_panel(&top)?;
        self.length_panel(&left, true)?;
        self.length_panel(&right, false)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{png, svg, tests::assert_drawn};
    use crate::trace::{MemorySource, Query};

    /// Two traces: `a` with 3 requests in minute 0 and 1 in minute 1 (prompts 10, 10, 30, 200,
    /// responses 5 each), `b` with 2 requests in minute 0.
    fn named() -> Vec<(String, TraceStats)> {
        let q = |index, arrival_s, input_tokens| Query {
            index,
            arrival_s,
            input_tokens,
            output_tokens: 5,
        };
        let stats = |qs: Vec<Query>| {
            let mut source = MemorySource::new(std::sync::Arc::new(qs));
            TraceStats::collect(&mut source).unwrap()
        };
        vec![
            (
                "a.csv".into(),
                stats(vec![
                    q(0, 0.0, 10),
                    q(1, 10.0, 10),
                    q(2, 30.0, 30),
                    q(3, 90.0, 200),
                ]),
            ),
            ("b.csv".into(), stats(vec![q(0, 0.0, 10), q(1, 20.0, 20)])),
        ]
    }

    #[test]
    fn rates_are_requests_per_second_per_minute_and_shares_sum_to_one() {
        let named = named();
        // 3 requests in minute 0, 1 in minute 1: 0.05 and 1/60 requests/s.
        assert_eq!(
            TraceFigure::rates(&named[0].1),
            vec![(0.0, 3.0 / 60.0), (1.0 / 60.0, 1.0 / 60.0)]
        );
        let figure = TraceFigure { named: &named };
        // The largest p99 of the prompts is a's 200 tokens: 50 bins of 4 tokens.
        let (width, shares) = figure.shares(true);
        assert_eq!(width, 4);
        // a: 10, 10 in bin 2 (8..12), 30 in bin 7 (28..32), 200 beyond the last bin.
        assert_eq!((shares[0][2], shares[0][7]), (0.5, 0.25));
        assert_eq!(shares[0].iter().sum::<f64>(), 0.75);
        // b: 10 in bin 2, 20 in bin 5.
        assert_eq!((shares[1][2], shares[1][5]), (0.5, 0.5));
    }

    #[test]
    fn the_trace_figure_is_a_png_of_its_stated_size_and_its_svg_layout_is_unchanged() {
        let named = named();
        let figure = TraceFigure { named: &named };
        let size = figure.size();
        assert_drawn(
            &png("trace", size, &figure).unwrap(),
            size,
            &[style::colour(0), style::colour(1)],
        );
        let svg = svg("trace", size, &figure).unwrap();
        assert!(svg.contains("a.csv: 4 requests over 0.03 h"));
        insta::assert_snapshot!(svg);
    }
}
