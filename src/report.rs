//! Results tables: one row per sweep point, written as CSV and Parquet through one
//! [`Exporter`] trait, always atomically (a crash never leaves a half-written result), plus a
//! plain-text summary for the terminal.

use crate::router::RouterConfig;
use crate::sim::latency::Quantiles;
use crate::sim::FleetReport;
use crate::sweep::{Plan, PointResult, SweepResult};
use polars::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: cannot write")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write table: {message}")]
    Table { path: PathBuf, message: String },
}

/// A results file format.
pub trait Exporter {
    /// File extension, without the dot.
    fn extension(&self) -> &'static str;
    /// Write `table` to `file`.
    fn write(&self, table: &mut DataFrame, file: &mut File) -> PolarsResult<()>;
}

pub struct CsvExporter;
pub struct ParquetExporter;

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn write(&self, table: &mut DataFrame, file: &mut File) -> PolarsResult<()> {
        CsvWriter::new(file).finish(table)
    }
}

impl Exporter for ParquetExporter {
    fn extension(&self) -> &'static str {
        "parquet"
    }
    fn write(&self, table: &mut DataFrame, file: &mut File) -> PolarsResult<()> {
        ParquetWriter::new(file).finish(table).map(|_| ())
    }
}

/// Write `path` atomically (see [`crate::atomic`]), mapping errors to [`ReportError`].
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), String>,
) -> Result<(), ReportError> {
    let mut table_error = None;
    crate::atomic::write_atomic(path, |f| {
        write(f).map_err(|m| {
            table_error = Some(m);
            std::io::Error::other("table")
        })
    })
    .map_err(|source| match table_error.take() {
        Some(message) => ReportError::Table {
            path: path.to_path_buf(),
            message,
        },
        None => ReportError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

fn router_columns(r: &RouterConfig) -> (&'static str, Option<f64>, &'static str, &'static str) {
    match r {
        RouterConfig::AllCloud => ("all-cloud", None, "", ""),
        RouterConfig::Oracle { objective } => ("oracle", None, "", objective.name()),
        RouterConfig::Accuracy {
            p,
            misroute,
            objective,
        } => ("accuracy", Some(*p), misroute.name(), objective.name()),
    }
}

/// The results table: one row per point.
pub fn results_table(plan: &Plan, result: &SweepResult) -> PolarsResult<DataFrame> {
    let pts = &result.points;
    let s = |f: &dyn Fn(&crate::sweep::PointResult) -> f64| pts.iter().map(f).collect::<Vec<f64>>();
    let mut columns = vec![
        Column::new(
            "scenario".into(),
            vec![plan.scenario.name.as_str(); pts.len()],
        ),
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
        Column::new("seed".into(), vec![plan.scenario.seed; pts.len()]),
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
    ];
    for (i, m) in plan.scenario.fleet.local_models.iter().enumerate() {
        columns.push(Column::new(
            format!("queries_{m}").into(),
            pts.iter().map(|p| p.totals.local[i]).collect::<Vec<u64>>(),
        ));
    }
    columns.push(Column::new(
        "queries_cloud".into(),
        pts.iter().map(|p| p.totals.cloud).collect::<Vec<u64>>(),
    ));
    if pts.iter().all(|p| p.fleet.is_some()) {
        columns.extend(fleet_columns(pts));
    }
    DataFrame::new_infer_height(columns)
}

/// The event service's columns: idle energy, power, latency, SLO, utilisation, overload.
fn fleet_columns(pts: &[PointResult]) -> Vec<Column> {
    let reports: Vec<&FleetReport> = pts
        .iter()
        .map(|p| p.fleet.as_ref().expect("checked by the caller"))
        .collect();
    let f = |name: &str, g: &dyn Fn(&FleetReport) -> f64| {
        Column::new(
            name.into(),
            reports.iter().map(|r| g(r)).collect::<Vec<f64>>(),
        )
    };
    let b = |name: &str, g: &dyn Fn(&FleetReport) -> bool| {
        Column::new(
            name.into(),
            reports.iter().map(|r| g(r)).collect::<Vec<bool>>(),
        )
    };
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
            r.local
                .meter
                .peak_hour_w(crate::sim::calendar::ticks(r.span_s))
        }),
        f("cloud_peak_hour_power_w", &|r| {
            r.cloud
                .meter
                .peak_hour_w(crate::sim::calendar::ticks(r.span_s))
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
        Column::new(
            "local_max_waiting".into(),
            reports
                .iter()
                .map(|r| r.local.overload.max_waiting)
                .collect::<Vec<u64>>(),
        ),
        Column::new(
            "cloud_max_waiting".into(),
            reports
                .iter()
                .map(|r| r.cloud.overload.max_waiting)
                .collect::<Vec<u64>>(),
        ),
    ]);
    out
}

/// The per-hour energy table of the event service: one row per (point, hour).
pub fn hourly_table(plan: &Plan, result: &SweepResult) -> PolarsResult<Option<DataFrame>> {
    if !result.points.iter().all(|p| p.fleet.is_some()) {
        return Ok(None);
    }
    let (mut point, mut label, mut hour) = (Vec::new(), Vec::new(), Vec::new());
    let (mut local_j, mut cloud_j, mut local_w, mut cloud_w) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, p) in result.points.iter().enumerate() {
        let r = p.fleet.as_ref().expect("checked above");
        let end = crate::sim::calendar::ticks(r.span_s);
        let hours = r
            .local
            .meter
            .hourly_j
            .len()
            .max(r.cloud.meter.hourly_j.len());
        for h in 0..hours {
            // Seconds of the run inside this hour (the last hour may be partial).
            let start = h as u64 * crate::sim::meter::HOUR;
            let len = crate::sim::calendar::secs(
                end.min(start + crate::sim::meter::HOUR)
                    .saturating_sub(start),
            )
            .max(f64::MIN_POSITIVE);
            let l = r.local.meter.hourly_j.get(h).copied().unwrap_or(0.0);
            let c = r.cloud.meter.hourly_j.get(h).copied().unwrap_or(0.0);
            point.push(i as u32);
            label.push(p.router.label());
            hour.push(h as u32);
            local_j.push(l);
            cloud_j.push(c);
            local_w.push(l / len);
            cloud_w.push(c / len);
        }
    }
    let n = point.len();
    DataFrame::new_infer_height(vec![
        Column::new("scenario".into(), vec![plan.scenario.name.as_str(); n]),
        Column::new("point".into(), point),
        Column::new("label".into(), label),
        Column::new("hour".into(), hour),
        Column::new("local_energy_j".into(), local_j),
        Column::new("cloud_energy_j".into(), cloud_j),
        Column::new("local_avg_power_w".into(), local_w),
        Column::new("cloud_avg_power_w".into(), cloud_w),
    ])
    .map(Some)
}

/// Write `results.csv` and `results.parquet` into `dir`, and for the event service
/// `hourly.csv` and `hourly.parquet`; returns the paths written.
pub fn write_results(
    dir: &Path,
    plan: &Plan,
    result: &SweepResult,
) -> Result<Vec<PathBuf>, ReportError> {
    let table_error = |e: PolarsError| ReportError::Table {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut tables = vec![("results", results_table(plan, result).map_err(table_error)?)];
    if let Some(hourly) = hourly_table(plan, result).map_err(table_error)? {
        tables.push(("hourly", hourly));
    }
    let exporters: [&dyn Exporter; 2] = [&CsvExporter, &ParquetExporter];
    let mut written = Vec::new();
    for (name, table) in &mut tables {
        for e in exporters {
            let path = dir.join(format!("{name}.{}", e.extension()));
            write_atomic(&path, |f| e.write(table, f).map_err(|e| e.to_string()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// A plain-text table of the headline figures, one line per point.
pub fn summary_text(plan: &Plan, result: &SweepResult) -> String {
    let mut out = format!(
        "scenario {}: {} queries per point, seed {}\n{:<34} {:>7} {:>8} {:>13} {:>8} {:>8} {:>8}\n",
        plan.scenario.name,
        result.baseline.queries,
        plan.scenario.seed,
        "strategy",
        "local%",
        "accuracy",
        "energy kWh",
        "energy%",
        "compute%",
        "cost%"
    );
    for p in &result.points {
        let s = &p.summary;
        out += &format!(
            "{:<34} {:>7.1} {:>8.3} {:>13.4e} {:>8.1} {:>8.1} {:>8.1}\n",
            p.router.label(),
            100.0 * s.local_share,
            s.accuracy,
            s.energy_kwh,
            100.0 * s.energy_savings,
            100.0 * s.compute_savings,
            100.0 * s.cost_savings
        );
    }
    out += "savings (%) are 1 - X / X(all-cloud) on the same queries\n";
    if result.points.iter().all(|p| p.fleet.is_some()) {
        out += &format!(
            "{:<34} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>9}\n",
            "strategy",
            "e2e p50 s",
            "e2e p99 s",
            "ttft p99",
            "SLO %",
            "local%u",
            "cloud%u",
            "idle kWh"
        );
        for p in &result.points {
            let r = p.fleet.as_ref().expect("checked above");
            let l = &r.latency;
            out += &format!(
                "{:<34} {:>9.2} {:>9.2} {:>9.3} {:>7.1} {:>7.1} {:>7.1} {:>9.3}\n",
                p.router.label(),
                l.e2e.p50,
                l.e2e.p99,
                l.ttft.p99,
                100.0 * l.slo_both,
                100.0 * r.local.utilisation,
                100.0 * r.cloud.utilisation,
                r.idle_j() / 3.6e6
            );
        }
        out += "SLO % meets every [slo] target; %u: utilisation (local: busy device-time; cloud: batch slots in use; NaN: unlimited devices)\n";
    }
    out
}

/// One warning line per overloaded tier of each point (for stderr).
pub fn overload_warnings(result: &SweepResult) -> Vec<String> {
    let mut out = Vec::new();
    let listed = result
        .points
        .iter()
        .any(|p| p.router == crate::router::RouterConfig::AllCloud);
    let baseline = (!listed)
        .then_some(result.baseline_fleet.as_ref())
        .flatten()
        .map(|r| ("all-cloud (baseline)".to_string(), r));
    let points = result
        .points
        .iter()
        .filter_map(|p| p.fleet.as_ref().map(|r| (p.router.label(), r)));
    for (label, r) in points.chain(baseline) {
        for (tier, t) in [("local", &r.local), ("cloud", &r.cloud)] {
            let o = &t.overload;
            if o.overloaded {
                out.push(format!(
                    "{label}: the {tier} tier is overloaded: its waiting queue reached {} queries at {:.0} s ({} slots), growing by up to {:.2} queries/s over an hour, and held {} at the last arrival; latencies reflect the backlog. Add capacity or lower the load",
                    o.max_waiting,
                    o.max_waiting_at_s,
                    t.slots.map_or("unlimited".into(), |n| n.to_string()),
                    o.growth_per_s,
                    o.final_waiting,
                ));
            }
        }
    }
    out
}
