//! The run's tables: one results row per point, every point's queries by arrival hour, and
//! the event service's per-hour energy.
//! Column definitions are in the README ("Metrics").

use super::{Output, ReportError};
use crate::router::RouterConfig;
use crate::sim::calendar::{secs, ticks};
use crate::sim::latency::Quantiles;
use crate::sim::meter::{HOUR, MINUTE};
use crate::sim::FleetReport;
use crate::sweep::{PointResult, RunMeta, SweepResult};
use polars::prelude::*;

/// The tables of a run, named as their files are: `results`, `series`, and `hourly` and
/// `latency` for the event service.
pub fn run_tables(meta: &RunMeta, result: &SweepResult) -> Result<Vec<Output>, ReportError> {
    let err = |name: &str| {
        let name = name.to_string();
        move |e: PolarsError| ReportError::Table {
            name,
            message: e.to_string(),
        }
    };
    let mut out = vec![Output::table(
        "results",
        results_table(meta, result).map_err(err("results"))?,
    )];
    out.push(Output::table(
        "series",
        series_table(meta, result).map_err(err("series"))?,
    ));
    if let Some(h) = hourly_table(meta, result).map_err(err("hourly"))? {
        out.push(Output::table("hourly", h));
    }
    if let Some(m) = minutes_table(meta, result).map_err(err("minutes"))? {
        out.push(Output::table("minutes", m));
    }
    if let Some(l) = latency_table(meta, result).map_err(err("latency"))? {
        out.push(Output::table("latency", l));
    }
    Ok(out)
}

/// An axis column: integers, floats, booleans or strings as such; any other value (a list, a
/// table) as its TOML text.
fn axis_column<'a>(key: &str, values: impl Iterator<Item = &'a toml::Value> + Clone) -> Column {
    let name = key.into();
    let all = |f: fn(&toml::Value) -> bool| values.clone().all(f);
    if all(|v| v.is_integer()) {
        Column::new(
            name,
            values
                .map(|v| v.as_integer().unwrap_or_default())
                .collect::<Vec<i64>>(),
        )
    } else if all(|v| v.is_integer() || v.is_float()) {
        Column::new(
            name,
            values
                .map(|v| {
                    v.as_float()
                        .or(v.as_integer().map(|i| i as f64))
                        .unwrap_or_default()
                })
                .collect::<Vec<f64>>(),
        )
    } else if all(|v| v.is_bool()) {
        Column::new(
            name,
            values
                .map(|v| v.as_bool().unwrap_or_default())
                .collect::<Vec<bool>>(),
        )
    } else {
        Column::new(
            name,
            values
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<String>>(),
        )
    }
}

/// A router setting's columns: kind, accuracy, misroute kind, objective, oracle target.
type RouterColumns = (
    &'static str,
    Option<f64>,
    &'static str,
    &'static str,
    &'static str,
);

fn router_columns(r: &RouterConfig) -> RouterColumns {
    match r {
        RouterConfig::AllCloud => ("all-cloud", None, "", "", ""),
        RouterConfig::Oracle { objective, target } => {
            ("oracle", None, "", objective.name(), target.name())
        }
        RouterConfig::Accuracy {
            p,
            misroute,
            objective,
            target,
        } => (
            "accuracy",
            Some(*p),
            misroute.name(),
            objective.name(),
            target.name(),
        ),
    }
}

/// The results table: one row per point.
pub fn results_table(meta: &RunMeta, result: &SweepResult) -> PolarsResult<DataFrame> {
    let pts = &result.points;
    let s = |f: &dyn Fn(&PointResult) -> f64| pts.iter().map(f).collect::<Vec<f64>>();
    let mut columns = vec![
        Column::new("scenario".into(), vec![meta.name.as_str(); pts.len()]),
        Column::new("point".into(), (0..pts.len() as u32).collect::<Vec<u32>>()),
        Column::new(
            "label".into(),
            pts.iter().map(|p| p.router.label()).collect::<Vec<_>>(),
        ),
        Column::new(
            "router".into(),
            pts.iter()
                .map(|p| router_columns(&p.router).0)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "router_accuracy".into(),
            pts.iter()
                .map(|p| router_columns(&p.router).1)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "misroute".into(),
            pts.iter()
                .map(|p| router_columns(&p.router).2)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "objective".into(),
            pts.iter()
                .map(|p| router_columns(&p.router).3)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "oracle_target".into(),
            pts.iter()
                .map(|p| router_columns(&p.router).4)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "seed".into(),
            pts.iter().map(|p| p.seed).collect::<Vec<u64>>(),
        ),
        Column::new(
            "queries".into(),
            pts.iter().map(|p| p.summary.queries).collect::<Vec<u64>>(),
        ),
        Column::new("local_share".into(), s(&|p| p.summary.local_share)),
        Column::new("escalated_share".into(), s(&|p| p.summary.escalated_share)),
        Column::new(
            "locally_solvable_share".into(),
            s(&|p| p.summary.locally_solvable_share),
        ),
        Column::new("accuracy".into(), s(&|p| p.summary.accuracy)),
        Column::new("accuracy_change".into(), s(&|p| p.summary.accuracy_change)),
        Column::new("energy_kwh".into(), s(&|p| p.summary.energy_kwh)),
        Column::new(
            "energy_j_per_query".into(),
            s(&|p| p.summary.energy_j_per_query),
        ),
        Column::new("flops".into(), s(&|p| p.summary.flops)),
        Column::new("cost_usd".into(), s(&|p| p.summary.cost_usd)),
        Column::new("mean_latency_s".into(), s(&|p| p.summary.mean_latency_s)),
        Column::new("mean_power_w".into(), s(&|p| p.summary.mean_power_w)),
        Column::new("ipw".into(), s(&|p| p.summary.ipw)),
        Column::new("ipj".into(), s(&|p| p.summary.ipj)),
        Column::new("energy_savings".into(), s(&|p| p.summary.energy_savings)),
        Column::new("compute_savings".into(), s(&|p| p.summary.compute_savings)),
        Column::new("cost_savings".into(), s(&|p| p.summary.cost_savings)),
        Column::new(
            "cloud_energy_kwh".into(),
            s(&|p| p.summary.cloud_energy_kwh),
        ),
        Column::new(
            "dc_energy_savings".into(),
            s(&|p| p.summary.dc_energy_savings),
        ),
        Column::new(
            "dc_compute_savings".into(),
            s(&|p| p.summary.dc_compute_savings),
        ),
        Column::new("dc_cost_savings".into(), s(&|p| p.summary.dc_cost_savings)),
    ];
    // One column per axis, after the router's (a `seed` axis is the `seed` column).
    let mut at = 1 + columns
        .iter()
        .position(|c| c.name() == "oracle_target")
        .expect("the router's last column");
    for (a, key) in meta.axes.iter().enumerate() {
        if key != "seed" {
            columns.insert(at, axis_column(key, pts.iter().map(|p| &p.axes[a])));
            at += 1;
        }
    }
    for m in &meta.local_models {
        columns.push(Column::new(
            format!("queries_{m}").into(),
            pts.iter()
                .map(|p| {
                    p.pool
                        .iter()
                        .position(|x| x == m)
                        .map_or(0, |i| p.totals.local[i])
                })
                .collect::<Vec<u64>>(),
        ));
    }
    columns.push(Column::new(
        "queries_cloud".into(),
        pts.iter().map(|p| p.totals.cloud).collect::<Vec<u64>>(),
    ));
    if pts.iter().any(|p| p.fleet.is_some()) {
        columns.extend(fleet_columns(pts));
    }
    DataFrame::new_infer_height(columns)
}

/// A column of `g` over the reports; with nulls for points without one (fixed-batch points in
/// a sweep that also has event-service points).
fn optional<T>(
    name: &str,
    reports: &[Option<&FleetReport>],
    g: impl Fn(&FleetReport) -> T,
) -> Column
where
    Vec<T>: IntoColumn,
    Vec<Option<T>>: IntoColumn,
{
    let values: Vec<Option<T>> = reports.iter().map(|r| r.map(&g)).collect();
    if values.iter().all(Option::is_some) {
        values
            .into_iter()
            .flatten()
            .collect::<Vec<T>>()
            .into_column(name)
    } else {
        values.into_column(name)
    }
}

/// Vectors that make a named column.
trait IntoColumn {
    fn into_column(self, name: &str) -> Column;
}

macro_rules! into_column {
    ($($t:ty),*) => {$(
        impl IntoColumn for Vec<$t> {
            fn into_column(self, name: &str) -> Column {
                Column::new(name.into(), self)
            }
        }
        impl IntoColumn for Vec<Option<$t>> {
            fn into_column(self, name: &str) -> Column {
                Column::new(name.into(), self)
            }
        }
    )*};
}
into_column!(f64, bool, u64);

/// The event service's columns: idle energy, power, latency, SLO, utilisation, overload.
fn fleet_columns(pts: &[PointResult]) -> Vec<Column> {
    let reports: Vec<Option<&FleetReport>> = pts.iter().map(|p| p.fleet.as_ref()).collect();
    let f = |name: &str, g: &dyn Fn(&FleetReport) -> f64| optional(name, &reports, g);
    let b = |name: &str, g: &dyn Fn(&FleetReport) -> bool| optional(name, &reports, g);
    let mut out = vec![
        f("span_s", &|r| r.span_s),
        f("attributed_energy_kwh", &|r| r.attributed_j / 3.6e6),
        f("idle_energy_kwh", &|r| r.idle_j() / 3.6e6),
        f("avg_power_w", &|r| {
            (r.local.meter.total_j() + r.cloud.meter.total_j()) / r.span_s.max(f64::MIN_POSITIVE)
        }),
        f("local_avg_power_w", &|r| {
            r.local.meter.total_j() / r.span_s.max(f64::MIN_POSITIVE)
        }),
        f("cloud_avg_power_w", &|r| {
            r.cloud.meter.total_j() / r.span_s.max(f64::MIN_POSITIVE)
        }),
        f("local_peak_hour_power_w", &|r| {
            r.local.meter.peak_hour_w(ticks(r.span_s))
        }),
        f("cloud_peak_hour_power_w", &|r| {
            r.cloud.meter.peak_hour_w(ticks(r.span_s))
        }),
        f("cloud_peak_power_w", &|r| r.cloud.peak_power_w),
    ];
    for (name, q) in [
        (
            "queue",
            (|r: &FleetReport| r.latency.queue) as fn(&FleetReport) -> Quantiles,
        ),
        ("ttft", |r: &FleetReport| r.latency.ttft),
        ("e2e", |r: &FleetReport| r.latency.e2e),
    ] {
        out.push(f(&format!("{name}_mean_s"), &|r| q(r).mean));
        out.push(f(&format!("{name}_p50_s"), &|r| q(r).p50));
        out.push(f(&format!("{name}_p90_s"), &|r| q(r).p90));
        out.push(f(&format!("{name}_p99_s"), &|r| q(r).p99));
        out.push(f(&format!("{name}_max_s"), &|r| q(r).max));
    }
    out.extend([
        f("slo_ttft_share", &|r| r.latency.slo_ttft),
        f("slo_e2e_share", &|r| r.latency.slo_e2e),
        f("slo_both_share", &|r| r.latency.slo_both),
        f("local_utilisation", &|r| r.local.utilisation),
        f("cloud_utilisation", &|r| r.cloud.utilisation),
        b("local_overloaded", &|r| r.local.overload.overloaded),
        b("cloud_overloaded", &|r| r.cloud.overload.overloaded),
        f("local_queue_growth_per_s", &|r| {
            r.local.overload.growth_per_s
        }),
        f("cloud_queue_growth_per_s", &|r| {
            r.cloud.overload.growth_per_s
        }),
        optional("local_max_waiting", &reports, |r| {
            r.local.overload.max_waiting
        }),
        optional("cloud_max_waiting", &reports, |r| {
            r.cloud.overload.max_waiting
        }),
    ]);
    out
}

/// The per-hour energy table of the event service: one row per (event-service point, hour),
/// with the point's axis values.
pub fn hourly_table(meta: &RunMeta, result: &SweepResult) -> PolarsResult<Option<DataFrame>> {
    if !result.points.iter().any(|p| p.fleet.is_some()) {
        return Ok(None);
    }
    let mut hour = Vec::new();
    let (mut local_j, mut cloud_j, mut local_w, mut cloud_w) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rows_of: Vec<usize> = Vec::new();
    for (i, p) in result.points.iter().enumerate() {
        let Some(r) = p.fleet.as_ref() else {
            continue;
        };
        let end = ticks(r.span_s);
        let hours = r
            .local
            .meter
            .hourly_j
            .len()
            .max(r.cloud.meter.hourly_j.len());
        for h in 0..hours {
            // Seconds of the run inside this hour (the last hour may be partial).
            let start = h as u64 * HOUR;
            let len = secs(end.min(start + HOUR).saturating_sub(start)).max(f64::MIN_POSITIVE);
            let l = r.local.meter.hourly_j.get(h).copied().unwrap_or(0.0);
            let c = r.cloud.meter.hourly_j.get(h).copied().unwrap_or(0.0);
            rows_of.push(i);
            hour.push(h as u32);
            local_j.push(l);
            cloud_j.push(c);
            local_w.push(l / len);
            cloud_w.push(c / len);
        }
    }
    let mut columns = point_columns(meta, result, &rows_of);
    columns.extend([
        Column::new("hour".into(), hour),
        Column::new("local_energy_j".into(), local_j),
        Column::new("cloud_energy_j".into(), cloud_j),
        Column::new("local_avg_power_w".into(), local_w),
        Column::new("cloud_avg_power_w".into(), cloud_w),
    ]);
    DataFrame::new_infer_height(columns).map(Some)
}

/// The event service's first minutes (a short run whole; see
/// [`crate::sim::meter::MINUTE_BINS`]), per point and minute: each tier's energy and average
/// power as its meter measured it (idle included; cloud with PUE), and the arrivals. `None`
/// for the fixed-batch service.
pub fn minutes_table(meta: &RunMeta, result: &SweepResult) -> PolarsResult<Option<DataFrame>> {
    if !result.points.iter().any(|p| p.fleet.is_some()) {
        return Ok(None);
    }
    let mut minute = Vec::new();
    let (mut local_j, mut cloud_j, mut local_w, mut cloud_w, mut arrivals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rows_of: Vec<usize> = Vec::new();
    for (i, p) in result.points.iter().enumerate() {
        let Some(r) = p.fleet.as_ref() else {
            continue;
        };
        let end = ticks(r.span_s);
        let (l, c) = (&r.local.meter.minute_j, &r.cloud.meter.minute_j);
        let bins = l.len().max(c.len()).max(r.arrivals_per_minute.len());
        for m in 0..bins {
            // Seconds of the run inside this minute (the last one may be partial).
            let start = m as u64 * MINUTE;
            let len = secs(end.min(start + MINUTE).saturating_sub(start)).max(f64::MIN_POSITIVE);
            let (lj, cj) = (
                l.get(m).copied().unwrap_or(0.0),
                c.get(m).copied().unwrap_or(0.0),
            );
            rows_of.push(i);
            minute.push(m as u32);
            local_j.push(lj);
            cloud_j.push(cj);
            local_w.push(lj / len);
            cloud_w.push(cj / len);
            arrivals.push(r.arrivals_per_minute.get(m).copied().unwrap_or(0));
        }
    }
    let mut columns = point_columns(meta, result, &rows_of);
    columns.extend([
        Column::new("minute".into(), minute),
        Column::new("local_energy_j".into(), local_j),
        Column::new("cloud_energy_j".into(), cloud_j),
        Column::new("local_avg_power_w".into(), local_w),
        Column::new("cloud_avg_power_w".into(), cloud_w),
        Column::new("arrivals".into(), arrivals),
    ]);
    DataFrame::new_infer_height(columns).map(Some)
}

/// The columns that say which point a row of a per-point table belongs to: scenario, point,
/// label and the point's axis values, for rows of points `rows_of`.
fn point_columns(meta: &RunMeta, result: &SweepResult, rows_of: &[usize]) -> Vec<Column> {
    let mut columns = vec![
        Column::new("scenario".into(), vec![meta.name.as_str(); rows_of.len()]),
        Column::new(
            "point".into(),
            rows_of.iter().map(|&i| i as u32).collect::<Vec<u32>>(),
        ),
        Column::new(
            "label".into(),
            rows_of
                .iter()
                .map(|&i| result.points[i].router.label())
                .collect::<Vec<_>>(),
        ),
    ];
    for (a, key) in meta.axes.iter().enumerate() {
        let values = rows_of.iter().map(|&i| &result.points[i].axes[a]);
        columns.push(axis_column(key, values));
    }
    columns
}

/// Every point's queries by arrival hour: one row per (point, hour) from the first arrival's
/// hour to the last's (hours without arrivals included), with the queries that arrived, how
/// many were served locally, and their attributed energy, FLOPs and cost, on either service
/// (the event service's idle energy is in `hourly`). Cumulative sums of these give [IPW]
/// Fig. 4's curves over the day.
pub fn series_table(meta: &RunMeta, result: &SweepResult) -> PolarsResult<DataFrame> {
    let mut rows_of = Vec::new();
    let mut hour = Vec::new();
    let mut cells: Vec<crate::metrics::HourTotals> = Vec::new();
    for (i, p) in result.points.iter().enumerate() {
        let hours = &p.totals.hours;
        let first = hours.iter().position(|h| h.queries > 0).unwrap_or(0);
        for (h, cell) in hours.iter().enumerate().skip(first) {
            rows_of.push(i);
            hour.push(h as u32);
            cells.push(*cell);
        }
    }
    let mut columns = point_columns(meta, result, &rows_of);
    let f = |g: fn(&crate::metrics::HourTotals) -> f64| cells.iter().map(g).collect::<Vec<f64>>();
    columns.extend([
        Column::new("hour".into(), hour),
        Column::new(
            "arrivals".into(),
            cells.iter().map(|c| c.queries).collect::<Vec<u64>>(),
        ),
        Column::new(
            "local_queries".into(),
            cells.iter().map(|c| c.local).collect::<Vec<u64>>(),
        ),
        Column::new("energy_j".into(), f(|c| c.energy_j)),
        Column::new("flops".into(), f(|c| c.flops)),
        Column::new("cost_usd".into(), f(|c| c.cost_usd)),
    ]);
    DataFrame::new_infer_height(columns)
}

/// The event service's latency distributions: one row per (event-service point, tier with
/// queries, level of [`crate::sim::latency::CDF_LEVELS`]), with the point's axis values, the
/// tier (`all`, `local`, `cloud`), its queries, the level (`quantile`) and the TTFT and
/// end-to-end latency at it, seconds.
pub fn latency_table(meta: &RunMeta, result: &SweepResult) -> PolarsResult<Option<DataFrame>> {
    use crate::sim::latency::CDF_LEVELS;
    if !result.points.iter().any(|p| p.fleet.is_some()) {
        return Ok(None);
    }
    let mut rows_of = Vec::new();
    let (mut tier, mut queries, mut level, mut ttft, mut e2e) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, p) in result.points.iter().enumerate() {
        let Some(r) = p.fleet.as_ref() else {
            continue;
        };
        for (t, n, tt, ee) in &r.latency_cdfs.tiers {
            for (k, l) in CDF_LEVELS.iter().enumerate().take(tt.len().min(ee.len())) {
                rows_of.push(i);
                tier.push(t.name());
                queries.push(*n);
                level.push(*l);
                ttft.push(tt[k]);
                e2e.push(ee[k]);
            }
        }
    }
    let mut columns = point_columns(meta, result, &rows_of);
    columns.extend([
        Column::new("tier".into(), tier),
        Column::new("queries".into(), queries),
        Column::new("quantile".into(), level),
        Column::new("ttft_s".into(), ttft),
        Column::new("e2e_s".into(), e2e),
    ]);
    DataFrame::new_infer_height(columns).map(Some)
}
