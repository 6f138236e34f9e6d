//! Results tables: one row per sweep point, written as CSV and Parquet through one
//! [`Exporter`] trait, always atomically (a crash never leaves a half-written result), plus a
//! plain-text summary for the terminal.

use crate::router::RouterConfig;
use crate::sweep::{Plan, SweepResult};
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
    DataFrame::new_infer_height(columns)
}

/// Write `results.csv` and `results.parquet` into `dir`; returns the paths written.
pub fn write_results(
    dir: &Path,
    plan: &Plan,
    result: &SweepResult,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut table = results_table(plan, result).map_err(|e| ReportError::Table {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let exporters: [&dyn Exporter; 2] = [&CsvExporter, &ParquetExporter];
    let mut written = Vec::new();
    for e in exporters {
        let path = dir.join(format!("results.{}", e.extension()));
        write_atomic(&path, |f| e.write(&mut table, f).map_err(|e| e.to_string()))?;
        written.push(path);
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
    out + "savings (%) are 1 - X / X(all-cloud) on the same queries\n"
}
