//! The validation table as data and as text (see [`crate::validate`]).

use crate::validate::{Check, Status};
use polars::prelude::*;

/// One row per check.
pub fn table(checks: &[Check]) -> PolarsResult<DataFrame> {
    let s = |g: &dyn Fn(&Check) -> String| checks.iter().map(g).collect::<Vec<String>>();
    let f = |g: &dyn Fn(&Check) -> f64| checks.iter().map(g).collect::<Vec<f64>>();
    DataFrame::new_infer_height(vec![
        Column::new("group".into(), s(&|c| c.group.to_string())),
        Column::new("check".into(), s(&|c| c.check.clone())),
        Column::new("source".into(), s(&|c| c.source.clone())),
        Column::new("target".into(), f(&|c| c.target)),
        Column::new("ours".into(), f(&|c| c.ours)),
        Column::new("gap".into(), f(&Check::gap)),
        Column::new("tolerance".into(), s(&|c| c.tolerance.describe())),
        Column::new("status".into(), s(&|c| c.status().name().to_string())),
    ])
}

/// The outputs of `ipw-sim validate`.
pub fn outputs(checks: &[Check]) -> Result<Vec<super::Output>, super::ReportError> {
    Ok(vec![super::Output::table(
        "validate",
        table(checks).map_err(|e| super::ReportError::Table {
            name: "validate".into(),
            message: e.to_string(),
        })?,
    )])
}

/// The terminal view: the table, then a count per status.
pub fn text(checks: &[Check]) -> String {
    let w = checks
        .iter()
        .map(|c| c.check.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let ws = checks
        .iter()
        .map(|c| c.source.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:<10} {:<w$} {:<ws$} {:>11} {:>11} {:>10} {:<28} {}\n",
        "group", "check", "source", "target", "ours", "gap", "tolerance", "status"
    );
    for c in checks {
        out += &format!(
            "{:<10} {:<w$} {:<ws$} {:>11.5} {:>11.5} {:>+10.5} {:<28} {}\n",
            c.group,
            c.check,
            c.source,
            c.target,
            c.ours,
            c.gap(),
            c.tolerance.describe(),
            c.status().name()
        );
    }
    let count = |s: Status| checks.iter().filter(|c| c.status() == s).count();
    out += &format!(
        "{} checks: {} pass, {} fail, {} known gaps (reported, not judged)\n",
        checks.len(),
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Gap)
    );
    out
}
