//! The calibration report: how the workload model's fitted numbers compare with the paper's.
//!
//! Three comparisons, all computed on the scenario's own queries:
//! 1. each tracked model's accuracy per task family (simulated vs `models.toml`, i.e. Table 11);
//! 2. the share of each task family that some local model answers: what the fitted model
//!    reaches on the catalogue's local pool (<= 20B active) vs Table 4, and what the scenario's
//!    own pool reaches;
//! 3. the oracle's compute savings when the local pool is capped at a size threshold, per task
//!    family, vs the paper's Tables 8 and 9 (routing to the smallest correct model by total
//!    parameters, compute counted with the scenario's `flops_params`).

use crate::bind::{bind, workload, Inputs, RunError};
use crate::metrics::FlopsParams;
use crate::profile::Catalogue;
use crate::scenario::Scenario;
use crate::sweep::first_queries;
use crate::trace::Query;
use crate::workload::{Workload, WorkloadSpec, LOCAL_ACTIVE_PARAMS_LIMIT_B};
use std::fmt::Write;

/// One published value of Tables 8/9: task family, threshold (B params, total), whether
/// GPT-OSS models are in the pool, compute savings (%).
#[derive(Debug, PartialEq)]
pub struct ThresholdRow {
    pub task: &'static str,
    pub threshold_b: f64,
    pub with_gpt_oss: bool,
    pub compute_savings_pct: f64,
}

/// [IPW] Tables 8 (WildChat) and 9 (NaturalReasoning), compute-savings columns, as transcribed
/// in the paper folder's `routing_size_threshold_tables8_9.csv` (blank cells omitted).
pub const TABLES_8_9: &[ThresholdRow] = &[
    ThresholdRow {
        task: "wildchat",
        threshold_b: 4.0,
        with_gpt_oss: true,
        compute_savings_pct: 65.1,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 4.0,
        with_gpt_oss: false,
        compute_savings_pct: 65.1,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 8.0,
        with_gpt_oss: true,
        compute_savings_pct: 83.1,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 8.0,
        with_gpt_oss: false,
        compute_savings_pct: 83.1,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 14.0,
        with_gpt_oss: true,
        compute_savings_pct: 93.0,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 14.0,
        with_gpt_oss: false,
        compute_savings_pct: 93.0,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 20.0,
        with_gpt_oss: true,
        compute_savings_pct: 97.4,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 32.0,
        with_gpt_oss: true,
        compute_savings_pct: 97.4,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 32.0,
        with_gpt_oss: false,
        compute_savings_pct: 92.8,
    },
    ThresholdRow {
        task: "wildchat",
        threshold_b: 120.0,
        with_gpt_oss: true,
        compute_savings_pct: 97.7,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 4.0,
        with_gpt_oss: true,
        compute_savings_pct: 54.5,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 4.0,
        with_gpt_oss: false,
        compute_savings_pct: 54.5,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 8.0,
        with_gpt_oss: true,
        compute_savings_pct: 62.5,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 8.0,
        with_gpt_oss: false,
        compute_savings_pct: 62.5,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 14.0,
        with_gpt_oss: true,
        compute_savings_pct: 70.1,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 14.0,
        with_gpt_oss: false,
        compute_savings_pct: 70.1,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 20.0,
        with_gpt_oss: true,
        compute_savings_pct: 72.2,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 32.0,
        with_gpt_oss: true,
        compute_savings_pct: 75.1,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 32.0,
        with_gpt_oss: false,
        compute_savings_pct: 75.1,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 120.0,
        with_gpt_oss: true,
        compute_savings_pct: 86.0,
    },
    ThresholdRow {
        task: "naturalreasoning",
        threshold_b: 120.0,
        with_gpt_oss: false,
        compute_savings_pct: 86.0,
    },
];

/// A model counts as within a size threshold when its total parameters are at most this factor
/// above it: the paper's thresholds are nominal sizes (GPT-OSS-20B has 21B parameters and sits
/// in the 20B row).
pub const NOMINAL_SIZE_SLACK: f64 = 1.1;

/// Oracle compute savings per task family for a pool (indices into `w.models`), with the
/// cloud model at index `cloud`.
fn threshold_savings(
    w: &Workload,
    size: &[f64],
    params: &[f64],
    pool: &[usize],
    cloud: usize,
    queries: &[Query],
) -> Vec<f64> {
    let mut base = vec![0.0; w.tasks.len()];
    let mut hybrid = vec![0.0; w.tasks.len()];
    for q in queries {
        let a = w.attributes(q.index);
        let tokens = f64::from(q.input_tokens) + f64::from(q.output_tokens);
        // The smallest answering model by total size, charged with `params`.
        let charged = pool
            .iter()
            .filter(|&&m| a.solved >> m & 1 == 1)
            .min_by(|&&x, &&y| size[x].total_cmp(&size[y]))
            .map_or(params[cloud], |&m| params[m]);
        let t = a.task as usize;
        base[t] += params[cloud] * tokens;
        hybrid[t] += charged * tokens;
    }
    base.iter()
        .zip(&hybrid)
        .map(|(b, h)| if *b > 0.0 { 100.0 * (1.0 - h / b) } else { 0.0 })
        .collect()
}

/// The calibration report of a scenario, as text; evaluates `n` queries.
pub fn report(scenario: &Scenario, inputs: &Inputs, n: u64) -> Result<String, RunError> {
    let cat: &Catalogue = &inputs.catalogue;
    let (w, queries) = sample(scenario, inputs, n)?;
    let w = &w;
    let n = queries.len() as u64;
    let mut out = String::new();
    let mut task_n = vec![0u64; w.tasks.len()];
    let mut hits = vec![vec![0u64; w.models.len()]; w.tasks.len()];
    let mut pool_any = vec![0u64; w.tasks.len()];
    let pool_mask: u32 = (0..scenario.fleet.local_models.len()).fold(0, |m, i| m | 1 << i);
    for q in &queries {
        let a = w.attributes(q.index);
        let t = a.task as usize;
        task_n[t] += 1;
        for (m, h) in hits[t].iter_mut().enumerate() {
            *h += u64::from(a.solved >> m & 1);
        }
        pool_any[t] += u64::from(a.solved & pool_mask != 0);
    }
    let _ = writeln!(
        out,
        "calibration of scenario {} on {n} queries (seed {})",
        scenario.name, scenario.seed
    );
    let _ = writeln!(out, "\n1. accuracy per model and task family: simulated vs catalogue ([IPW] Table 11 unless the catalogue says otherwise)");
    let _ = writeln!(
        out,
        "{:<18} {:<17} {:>9} {:>9} {:>7}",
        "model", "task", "simulated", "catalogue", "diff"
    );
    for (t, task) in w.tasks.iter().enumerate() {
        for (m, model) in w.models.iter().enumerate() {
            let sim = hits[t][m] as f64 / task_n[t].max(1) as f64;
            let _ = writeln!(
                out,
                "{:<18} {:<17} {:>9.3} {:>9.3} {:>+7.3}",
                model.name,
                task.name,
                sim,
                model.accuracy[t],
                sim - model.accuracy[t]
            );
        }
    }
    let _ = writeln!(out, "\n2. share answered by at least one local model");
    let _ = writeln!(
        out,
        "{:<17} {:>6} {:>14} {:>13} {:>14}",
        "task", "rho", "Table 4 target", "catalogue pool", "scenario pool"
    );
    for (t, task) in w.tasks.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:<17} {:>6.3} {:>14.3} {:>13.3} {:>14.3}",
            task.name,
            task.rho,
            task.solvable_target,
            task.solvable_reached,
            pool_any[t] as f64 / task_n[t].max(1) as f64
        );
    }
    let _ = writeln!(
        out,
        "(catalogue pool = every catalogue model with <= {LOCAL_ACTIVE_PARAMS_LIMIT_B}B active parameters, reached analytically; scenario pool = {} on these queries)",
        scenario.fleet.local_models.join(", ")
    );

    let _ = writeln!(
        out,
        "\n3. oracle compute savings (%) with the local pool capped at a size threshold (nominal total params), vs [IPW] Tables 8/9;\n   the oracle sends a query to the smallest pool model that answers it; FLOPs counted with active or with total parameters"
    );
    let _ = writeln!(
        out,
        "{:<17} {:>9} {:<13} {:>7} {:>7} {:>7} {:>7}  pool",
        "task", "threshold", "families", "active", "total", "paper", "diff"
    );
    for r in thresholds(scenario, cat, w, &queries)? {
        let _ = writeln!(
            out,
            "{:<17} {:>8}B {:<13} {:>7.1} {:>7.1} {:>7.1} {:>+7.1}  {}",
            r.row.task,
            r.row.threshold_b,
            if r.row.with_gpt_oss {
                "Qwen+GPT-OSS"
            } else {
                "Qwen only"
            },
            r.active_pct,
            r.total_pct,
            r.row.compute_savings_pct,
            r.total_pct - r.row.compute_savings_pct,
            r.pool.join(" ")
        );
    }
    Ok(out)
}

/// One row of Tables 8/9 as simulated: the oracle's compute savings (%) with the pool capped at
/// the row's threshold, FLOPs counted with active and with total parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdResult {
    pub row: &'static ThresholdRow,
    pub active_pct: f64,
    pub total_pct: f64,
    pub pool: Vec<String>,
}

/// Every row of [`TABLES_8_9`] on the scenario's first `n` queries.
pub fn threshold_results(
    scenario: &Scenario,
    inputs: &Inputs,
    n: u64,
) -> Result<Vec<ThresholdResult>, RunError> {
    let (w, queries) = sample(scenario, inputs, n)?;
    thresholds(scenario, &inputs.catalogue, &w, &queries)
}

/// The scenario's workload model (tracking its pool and cloud model) and its first `n` queries.
fn sample(
    scenario: &Scenario,
    inputs: &Inputs,
    n: u64,
) -> Result<(Workload, Vec<Query>), RunError> {
    let bound = bind(scenario, &inputs.catalogue)?;
    let tracked: Vec<&str> = bound
        .pool
        .iter()
        .map(String::as_str)
        .chain([bound.cloud_model.as_str()])
        .collect();
    Ok((
        workload(scenario, &inputs.catalogue, &tracked)?,
        first_queries(&inputs.replay(scenario)?, n as usize)?,
    ))
}

/// Tables 8/9 on `queries`: track every catalogue model with accuracies on the scenario's tasks
/// (`w` gives the tasks and their weights).
fn thresholds(
    scenario: &Scenario,
    cat: &Catalogue,
    w: &Workload,
    queries: &[Query],
) -> Result<Vec<ThresholdResult>, RunError> {
    let cloud_name = scenario.fleet.cloud_model.as_str();
    let names: Vec<&str> = cat
        .models
        .iter()
        .filter(|m| {
            m.name != cloud_name && w.tasks.iter().all(|t| m.accuracy.contains_key(&t.name))
        })
        .map(|m| m.name.as_str())
        .chain(std::iter::once(cloud_name))
        .collect();
    let spec = WorkloadSpec {
        mix: w.tasks.iter().map(|t| (t.name.clone(), t.weight)).collect(),
        correlation: scenario.workload.correlation,
        model_noise: scenario.workload.model_noise,
        seed: scenario.seed,
    };
    let all = Workload::new(&spec, cat, &names)?;
    let models: Vec<_> = names
        .iter()
        .map(|n| cat.model(n).expect("tracked models are in the catalogue"))
        .collect();
    let params = |p: FlopsParams| -> Vec<f64> {
        models
            .iter()
            .map(|m| match p {
                FlopsParams::Active => m.active_params_b,
                FlopsParams::Total => m.total_params_b,
            })
            .collect()
    };
    let (active, total) = (params(FlopsParams::Active), params(FlopsParams::Total));
    let cloud = names.len() - 1;
    let mut out = Vec::new();
    for row in TABLES_8_9 {
        let Some(t) = all.tasks.iter().position(|t| t.name == row.task) else {
            continue;
        };
        let pool: Vec<usize> = (0..cloud)
            .filter(|&m| {
                models[m].total_params_b <= row.threshold_b * NOMINAL_SIZE_SLACK
                    && (row.with_gpt_oss || models[m].family != "gpt-oss")
            })
            .collect();
        out.push(ThresholdResult {
            row,
            active_pct: threshold_savings(&all, &total, &active, &pool, cloud, queries)[t],
            total_pct: threshold_savings(&all, &total, &total, &pool, cloud, queries)[t],
            pool: pool.iter().map(|&m| names[m].to_string()).collect(),
        });
    }
    Ok(out)
}
