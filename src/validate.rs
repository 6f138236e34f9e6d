//! `ipw-sim validate`: every published number whose inputs are public, and every closed form
//! the core must meet, checked in one table (check, source, target, ours, gap, tolerance,
//! status).
//!
//! Groups of checks:
//! 1. [IPW] Table 2 from the catalogue (`scenarios/paper-table2.toml`): year-over-year IPW
//!    gains, the 2023-2025 total and its model and hardware factors, each equal to two
//!    decimals, and each year's IPW to the paper's three significant figures;
//! 2. the fixed-batch identity savings(p) = p x savings(oracle) on the paper scenario, for
//!    p = 0.2, 0.5, 0.8 and energy, compute and cost (binomial tolerance, below);
//! 3. [IPW] Tables 8/9, oracle compute savings per size threshold, as one set of local pools:
//!    NaturalReasoning up to 32B within 12 points (what the README argues the nested workload
//!    model reaches), the other rows reported as known gaps (the README explains them);
//! 4. the ML.ENERGY points a replica held at the measured batch reproduces (every shipped
//!    point; the worst deviation of throughput and energy per token);
//! 5. queueing closed forms on the event core: M/M/1 (device and replica), M/M/4 (Erlang C),
//!    M/G/1 with prefill, processor sharing and Little's law.
//!
//! The fast mode (CI) uses 400,000 queries for group 2 and 200,000 arrivals per queueing run;
//! the full mode 80.2M and 1,000,000.

pub mod queueing;

/// The larger of two deviations, NaN if either is (a plain `max` would drop a NaN).
pub fn worst_of(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

use crate::bind::{power_curve, replica_kind, Inputs, RunError};
use crate::calibrate::threshold_results;
use crate::decompose::{decompose, Metric};
use crate::profile::Catalogue;
use crate::scenario::{Overrides, Scenario};
use crate::sim::power::BelowSmallest;
use crate::sim::Route;
use crate::sweep::Sweep;
use crate::trace::Query;
use std::path::Path;

/// How much work the checks do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Under a minute in a debug build: for CI.
    Fast,
    /// The paper's full volume and long queueing runs.
    Full,
}

/// What a check accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Tolerance {
    /// Equal when both are rounded to this many decimals.
    Decimals(u32),
    /// `|ours - target| <= x`.
    Abs(f64),
    /// `|ours / target - 1| <= x`.
    Rel(f64),
    /// Not a pass/fail check: a published number the model is known not to reach, with where
    /// the README explains why.
    KnownGap(&'static str),
}

impl Tolerance {
    pub fn describe(&self) -> String {
        match self {
            Tolerance::Decimals(d) => format!("{d} decimals"),
            Tolerance::Abs(x) => format!("+/- {x}"),
            Tolerance::Rel(x) => format!("{:.3}%", 100.0 * x),
            Tolerance::KnownGap(w) => format!("known gap ({w})"),
        }
    }
}

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// A known gap, reported and not judged.
    Gap,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Gap => "gap",
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub group: &'static str,
    pub check: String,
    pub source: String,
    pub target: f64,
    pub ours: f64,
    pub tolerance: Tolerance,
}

impl Check {
    /// `ours - target`.
    pub fn gap(&self) -> f64 {
        self.ours - self.target
    }

    /// A figure that is not finite fails, whatever the tolerance (a known gap too).
    pub fn status(&self) -> Status {
        if !self.ours.is_finite() {
            return Status::Fail;
        }
        let ok = match self.tolerance {
            // (Used only for targets well above one unit of the last decimal.)
            Tolerance::Decimals(d) => {
                let f = 10f64.powi(d as i32);
                (self.ours * f).round() == (self.target * f).round()
            }
            Tolerance::Abs(x) => (self.ours - self.target).abs() <= x,
            Tolerance::Rel(_) if self.target == 0.0 => false,
            Tolerance::Rel(x) => (self.ours / self.target - 1.0).abs() <= x,
            Tolerance::KnownGap(_) => return Status::Gap,
        };
        if ok {
            Status::Pass
        } else {
            Status::Fail
        }
    }
}

/// Run every check on the scenarios in `scenarios` (the repository's `scenarios/` folder).
pub fn validate(scenarios: &Path, mode: Mode) -> Result<Vec<Check>, RunError> {
    let mut out = table_2(scenarios)?;
    out.extend(linearity(scenarios, mode)?);
    out.extend(tables_8_9(scenarios)?);
    let paper = Scenario::load(&scenarios.join("paper-fig4.toml"))?;
    out.extend(replica_checks(&replica_points(&Catalogue::load(
        &paper.profiles,
    )?)));
    out.extend(queueing_checks(mode));
    Ok(out)
}

fn table_2(scenarios: &Path) -> Result<Vec<Check>, RunError> {
    let mut s = Scenario::load(&scenarios.join("paper-table2.toml"))?;
    if let Some(d) = s.decompose.as_mut() {
        d.coverage = false;
    }
    let d = decompose(&s, &Inputs::load(&s)?, 1000)?;
    // The three pairs' power is the paper's implied accuracy / IPW: these rows check the
    // catalogue and the decomposition's arithmetic against the table, not an independent
    // measurement of the machines.
    let src = "[IPW] Table 2 (pair power derived from it)".to_string();
    let mut out = Vec::new();
    // Each IPW to half a unit of the last digit the paper prints (792e-6, 18e-4, 418e-5).
    for (year, ipw, digits) in [
        (2023, 0.000792, 792.0),
        (2024, 0.0018, 18.0),
        (2025, 0.00418, 418.0),
    ] {
        let r = d.years.iter().find(|r| r.year == year);
        out.push(Check {
            group: "Table 2",
            check: match r {
                Some(r) => format!("IPW {year} ({} on {})", r.cell.model, r.cell.accelerator),
                None => format!("IPW {year} (no such year in the scenario)"),
            },
            source: src.clone(),
            target: ipw,
            ours: r.map_or(f64::NAN, |r| r.cell.ipw()),
            tolerance: Tolerance::Rel(0.5 / digits),
        });
    }
    let ipw = |from: u32, to: u32| {
        d.factors
            .iter()
            .find(|f| f.metric == Metric::Ipw && f.from == from && f.to == to)
    };
    // 2.27 and 2.32 are printed in the table; 5.28, 3.07 and 1.72 follow from its IPW and
    // success rates (the paper's text rounds them to 5.3x = 3.1x x 1.7x).
    for (from, to, gain, source) in [
        (2023, 2024, 2.27, "[IPW] Table 2"),
        (2024, 2025, 2.32, "[IPW] Table 2"),
        (
            2023,
            2025,
            5.28,
            "[IPW] Table 2 (0.00418 / 0.000792; text: 5.3x)",
        ),
    ] {
        out.push(Check {
            group: "Table 2",
            check: format!("IPW gain {from}-{to}"),
            source: source.into(),
            target: gain,
            ours: ipw(from, to).map_or(f64::NAN, |f| f.total),
            tolerance: Tolerance::Decimals(2),
        });
    }
    let f = ipw(2023, 2025);
    for (name, target, ours, source) in [
        (
            "model factor (accuracy ratio)",
            3.07,
            f.map_or(f64::NAN, |f| f.paper.0),
            "[IPW] Table 2 (0.713 / 0.232; text: 3.1x)",
        ),
        (
            "hardware factor (the rest)",
            1.72,
            f.map_or(f64::NAN, |f| f.paper.1),
            "[IPW] Table 2 (5.28 / 3.07; text: 1.7x)",
        ),
    ] {
        out.push(Check {
            group: "Table 2",
            check: format!("IPW 2023-2025 {name}"),
            source: source.into(),
            target,
            ours,
            tolerance: Tolerance::Decimals(2),
        });
    }
    Ok(out)
}

/// Savings at p against p x the oracle's on the paper scenario (fixed batch). The coin of each
/// locally solvable query is an independent Bernoulli(p), so a saving is a sum over those
/// queries of a coin times the query's own saving; with the spread of per-query savings, the
/// deviation from p x oracle has a standard deviation of about 0.05 points at 400,000 queries
/// (a reviewer measured at most 0.13 points over 8 seeds). 0.3 points is about six standard
/// deviations and still catches any rule that is not linear.
fn linearity(scenarios: &Path, mode: Mode) -> Result<Vec<Check>, RunError> {
    let queries = match mode {
        Mode::Fast => 400_000,
        Mode::Full => 80_200_000,
    };
    let over = Overrides {
        queries: Some(queries),
        ..Overrides::from_set(&[
            r#"sweep.router=[{kind="all-cloud"},{kind="oracle"},{kind="accuracy",p=[0.2,0.5,0.8]}]"#,
        ])
        .expect("a valid override")
    };
    let s = Scenario::load_with(&scenarios.join("paper-fig4.toml"), &over)?;
    let r = Sweep::new(&s)?.run(&|_| {})?;
    let oracle = &r.points[1].summary;
    let mut out = Vec::new();
    for (pt, p) in r.points[2..].iter().zip([0.2, 0.5, 0.8]) {
        for (metric, got, full) in [
            ("energy", pt.summary.energy_savings, oracle.energy_savings),
            (
                "compute",
                pt.summary.compute_savings,
                oracle.compute_savings,
            ),
            ("cost", pt.summary.cost_savings, oracle.cost_savings),
        ] {
            out.push(Check {
                group: "linearity",
                check: format!("{metric} savings at p = {p} vs p x oracle ({queries} queries)"),
                source: "closed form (fixed batch, invariant 5)".into(),
                target: p * full,
                ours: got,
                tolerance: Tolerance::Abs(0.003),
            });
        }
    }
    Ok(out)
}

fn tables_8_9(scenarios: &Path) -> Result<Vec<Check>, RunError> {
    let s = Scenario::load(&scenarios.join("paper-fig4.toml"))?;
    let inputs = Inputs::load(&s)?;
    let rows = threshold_results(&s, &inputs, 200_000)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let reachable = r.row.task == "naturalreasoning" && r.row.threshold_b <= 32.0;
            Check {
                group: "Tables 8/9",
                check: format!(
                    "{} oracle compute savings, pool <= {}B{} (total params)",
                    r.row.task,
                    r.row.threshold_b,
                    if r.row.with_gpt_oss {
                        ""
                    } else {
                        ", Qwen only"
                    }
                ),
                source: format!(
                    "[IPW] Table {}",
                    if r.row.task == "wildchat" { 8 } else { 9 }
                ),
                target: r.row.compute_savings_pct,
                ours: r.total_pct,
                tolerance: if reachable {
                    Tolerance::Abs(12.0)
                } else {
                    Tolerance::KnownGap("README, Workload model")
                },
            }
        })
        .collect())
}

/// One measured ML.ENERGY point, served by a replica held at its batch.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaPoint {
    pub pair: std::path::PathBuf,
    pub batch: u32,
    pub simulated_tokens_per_s: f64,
    pub measured_tokens_per_s: f64,
    pub simulated_j_per_token: f64,
    pub measured_j_per_token: f64,
}

/// Every pair point with the source's measured throughput and energy per output token, served
/// by one replica with cap `b` and `8 b` requests of 500 tokens (1-token prompts) queued at
/// t = 0, so it runs at batch `b` until the queue empties. A point whose replica cannot be
/// built is returned with NaN figures.
pub fn replica_points(cat: &Catalogue) -> Vec<ReplicaPoint> {
    let mut out = Vec::new();
    for pair in &cat.pairs {
        for point in &pair.points {
            let (Some(tput), Some(jpt)) = (
                point.measured_output_tokens_per_s,
                point.measured_j_per_output_token,
            ) else {
                continue;
            };
            let b = point.batch;
            let curve = power_curve(pair, 0.0, BelowSmallest::Hold);
            let Ok(replica) = replica_kind(pair, 1, b, 0.0, &curve) else {
                out.push(ReplicaPoint {
                    pair: pair.path.clone(),
                    batch: b,
                    simulated_tokens_per_s: f64::NAN,
                    measured_tokens_per_s: tput,
                    simulated_j_per_token: f64::NAN,
                    measured_j_per_token: jpt,
                });
                continue;
            };
            let qs: Vec<Query> = (0..8 * u64::from(b))
                .map(|i| Query {
                    index: i,
                    arrival_s: 0.0,
                    input_tokens: 1,
                    output_tokens: 500,
                })
                .collect();
            let (done, r) = queueing::serve(
                queueing::cloud_only(vec![replica]),
                &qs,
                |_| Route::Cloud,
                |_| {},
            );
            let tokens = 500.0 * qs.len() as f64;
            out.push(ReplicaPoint {
                pair: pair.path.clone(),
                batch: b,
                simulated_tokens_per_s: tokens / queueing::makespan(&done),
                measured_tokens_per_s: tput,
                simulated_j_per_token: r.cloud.meter.total_j() / tokens,
                measured_j_per_token: jpt,
            });
        }
    }
    out
}

/// The worst deviations over every measured ML.ENERGY point. The import rounds the mean
/// running batch to an integer (up to 0.82% on the shipped points) and the first token comes
/// from the prefill pass (500 tokens take 499 steps, 0.2%): 1.1% covers both.
/// The catalogue holds 230 measured points; fewer than 200 means points went missing.
const MIN_REPLICA_POINTS: usize = 200;

fn replica_checks(points: &[ReplicaPoint]) -> Vec<Check> {
    let n = points.len();
    let worst = |f: &dyn Fn(&ReplicaPoint) -> f64| {
        if n < MIN_REPLICA_POINTS {
            return f64::NAN;
        }
        points.iter().map(f).fold(0.0, worst_of)
    };
    vec![
        Check {
            group: "ML.ENERGY",
            check: format!(
                "worst throughput deviation, replica held at the measured batch ({n} points)"
            ),
            source: "ML.ENERGY v3.0 output_throughput".into(),
            target: 0.0,
            ours: worst(&|p| (p.simulated_tokens_per_s / p.measured_tokens_per_s - 1.0).abs()),
            tolerance: Tolerance::Abs(0.011),
        },
        Check {
            group: "ML.ENERGY",
            check: format!("worst energy-per-token deviation ({n} points)"),
            source: "ML.ENERGY v3.0 avg_power / throughput".into(),
            target: 0.0,
            ours: worst(&|p| (p.simulated_j_per_token / p.measured_j_per_token - 1.0).abs()),
            tolerance: Tolerance::Abs(0.011),
        },
    ]
}

/// Queueing closed forms. Waits of successive arrivals are correlated: for M/M/1 at load
/// `rho = 0.7` (mean service 1 s) the sample mean of `n` waits has asymptotic variance
/// `rho (2 + 5 rho - 4 rho^2 + rho^3) / (1 - rho)^4 / n` = 336 / n, a standard error of 1.8% of
/// the 2.33 s mean at 200,000 arrivals and 0.8% at 1,000,000. The fast mode allows 5% (about
/// 3 standard errors), the full mode 3% (about 4, as the invariant 6 tests do); utilisations,
/// averages over the whole run, 1%.
fn queueing_checks(mode: Mode) -> Vec<Check> {
    let (n, tol) = match mode {
        Mode::Fast => (200_000, 0.05),
        Mode::Full => (1_000_000, 0.03),
    };
    let check = |check: &str, source: &str, v: queueing::Versus, tol: f64| Check {
        group: "queueing",
        check: format!("{check} ({n} arrivals)"),
        source: source.into(),
        target: v.closed_form,
        ours: v.simulated,
        tolerance: Tolerance::Rel(tol),
    };
    let mut out = vec![check(
        "M/M/1 mean wait, local device",
        "Pollaczek-Khinchine",
        queueing::mm1_local(n),
        tol,
    )];
    let (w, u) = queueing::mmc_local(n);
    out.push(check(
        "M/M/4 mean wait, least-loaded devices",
        "Erlang C",
        w,
        tol,
    ));
    out.push(check("M/M/4 utilisation", "rho = lambda E[S] / c", u, 0.01));
    let (w, u) = queueing::mm1_cloud(n);
    out.push(check(
        "M/M/1 mean wait, replica with cap 1",
        "Pollaczek-Khinchine",
        w,
        tol,
    ));
    out.push(check(
        "M/M/1 replica utilisation",
        "rho = lambda E[S]",
        u,
        0.01,
    ));
    let (w, ttft) = queueing::mg1_cloud_with_prefill(n);
    out.push(check(
        "M/G/1 mean wait, prompts in prefill",
        "Pollaczek-Khinchine",
        w,
        tol,
    ));
    out.push(Check {
        group: "queueing",
        check: "TTFT = wait + prefill, worst of 1,000 queries (s)".into(),
        source: "definition".into(),
        target: 0.0,
        ours: ttft,
        tolerance: Tolerance::Abs(2e-9),
    });
    let (t, l) = queueing::processor_sharing(n);
    out.push(check(
        "M/M/1-PS mean sojourn, virtual token clock",
        "E[S] / (1 - rho)",
        t,
        tol,
    ));
    out.push(check("Little's law, PS replica", "L = lambda W", l, tol));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(target: f64, ours: f64, tolerance: Tolerance) -> Status {
        Check {
            group: "test",
            check: "x".into(),
            source: "y".into(),
            target,
            ours,
            tolerance,
        }
        .status()
    }

    #[test]
    fn a_check_passes_only_inside_its_tolerance() {
        // Two decimals: 5.27645 prints as 5.28, 5.274 as 5.27.
        assert_eq!(check(5.28, 5.27645, Tolerance::Decimals(2)), Status::Pass);
        assert_eq!(check(5.28, 5.274, Tolerance::Decimals(2)), Status::Fail);
        assert_eq!(check(1.0, 1.003, Tolerance::Abs(0.003)), Status::Pass);
        assert_eq!(check(1.0, 1.004, Tolerance::Abs(0.003)), Status::Fail);
        assert_eq!(check(2.0, 2.09, Tolerance::Rel(0.05)), Status::Pass);
        assert_eq!(check(2.0, 2.11, Tolerance::Rel(0.05)), Status::Fail);
        assert_eq!(check(2.0, f64::NAN, Tolerance::Rel(0.05)), Status::Fail);
        assert_eq!(check(0.0, 0.0, Tolerance::Rel(0.05)), Status::Fail);
        assert_eq!(
            check(65.1, 42.3, Tolerance::KnownGap("README")),
            Status::Gap
        );
        assert_eq!(
            check(65.1, f64::NAN, Tolerance::KnownGap("README")),
            Status::Fail
        );
        assert!(worst_of(0.01, f64::NAN).is_nan() && worst_of(0.01, 0.02) == 0.02);
    }
}
