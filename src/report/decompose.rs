//! The decomposition as data: the year table, the factor table, the coverage table, and the
//! terminal view (see [`crate::decompose`] for the model).

use crate::decompose::{Decomposition, Factors};
use polars::prelude::*;

/// One row per year: its pair and figures, and the gain over the previous year.
pub fn years_table(d: &Decomposition) -> PolarsResult<DataFrame> {
    let y = &d.years;
    let f = |g: &dyn Fn(&crate::decompose::YearRow) -> f64| y.iter().map(g).collect::<Vec<f64>>();
    let s =
        |g: &dyn Fn(&crate::decompose::YearRow) -> String| y.iter().map(g).collect::<Vec<String>>();
    let gain = |metric: fn(&crate::decompose::Cell) -> f64| {
        let mut out = vec![f64::NAN];
        out.extend(
            y.windows(2)
                .map(|w| metric(&w[1].cell) / metric(&w[0].cell)),
        );
        out
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "year".into(),
            y.iter().map(|r| r.year).collect::<Vec<u32>>(),
        ),
        Column::new("model".into(), s(&|r| r.cell.model.clone())),
        Column::new("accelerator".into(), s(&|r| r.cell.accelerator.clone())),
        Column::new("variant".into(), s(&|r| r.cell.variant.clone())),
        Column::new(
            "given".into(),
            y.iter().map(|r| r.given).collect::<Vec<bool>>(),
        ),
        Column::new("model_released".into(), s(&|r| r.model_released.clone())),
        Column::new(
            "accelerator_year".into(),
            y.iter().map(|r| r.accelerator_year).collect::<Vec<u32>>(),
        ),
        Column::new("accuracy".into(), f(&|r| r.cell.accuracy)),
        Column::new("w_per_query".into(), f(&|r| r.cell.power_w)),
        Column::new("energy_j_per_query".into(), f(&|r| r.cell.energy_j)),
        Column::new("latency_s_per_query".into(), f(&|r| r.cell.latency_s)),
        Column::new("ipw".into(), f(&|r| r.cell.ipw())),
        Column::new("ipj".into(), f(&|r| r.cell.ipj())),
        Column::new("ipw_gain".into(), gain(crate::decompose::Cell::ipw)),
        Column::new("ipj_gain".into(), gain(crate::decompose::Cell::ipj)),
        Column::new("batch".into(), vec![d.batch; y.len()]),
        Column::new("mean_prompt_tokens".into(), vec![d.mean_prompt; y.len()]),
        Column::new(
            "mean_response_tokens".into(),
            vec![d.mean_response; y.len()],
        ),
    ])
}

/// A factor-table row: the span, the method's name, its (model, hardware) factors if any.
type FactorRow<'a> = (&'a Factors, &'static str, Option<(f64, f64)>);

/// The metric's value in a factorial row's cross cell (NaN for the paper's rows and where the
/// cell is missing).
fn cross(r: &FactorRow, new_on_old: bool) -> f64 {
    match (&r.0.cross, r.1) {
        (Some((n, o)), "shapley") => {
            let c = if new_on_old { n } else { o };
            match r.0.metric {
                crate::decompose::Metric::Ipw => c.ipw(),
                crate::decompose::Metric::Ipj => c.ipj(),
            }
        }
        _ => f64::NAN,
    }
}

/// One row per (span, metric, method): the total gain and its model and hardware factors.
pub fn factors_table(d: &Decomposition) -> PolarsResult<DataFrame> {
    let mut rows: Vec<FactorRow> = Vec::new();
    for f in &d.factors {
        rows.push((f, "paper", Some(f.paper)));
        rows.push((f, "shapley", f.shapley));
    }
    let col = |g: &dyn Fn(&FactorRow) -> f64| rows.iter().map(g).collect::<Vec<f64>>();
    DataFrame::new_infer_height(vec![
        Column::new(
            "from_year".into(),
            rows.iter().map(|r| r.0.from).collect::<Vec<u32>>(),
        ),
        Column::new(
            "to_year".into(),
            rows.iter().map(|r| r.0.to).collect::<Vec<u32>>(),
        ),
        Column::new(
            "metric".into(),
            rows.iter().map(|r| r.0.metric.name()).collect::<Vec<_>>(),
        ),
        Column::new(
            "method".into(),
            rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        ),
        Column::new("total".into(), col(&|r| r.0.total)),
        Column::new(
            "model_factor".into(),
            col(&|r| r.2.map_or(f64::NAN, |x| x.0)),
        ),
        Column::new(
            "hardware_factor".into(),
            col(&|r| r.2.map_or(f64::NAN, |x| x.1)),
        ),
        Column::new("new_model_on_old_hardware".into(), col(&|r| cross(r, true))),
        Column::new(
            "old_model_on_new_hardware".into(),
            col(&|r| cross(r, false)),
        ),
        Column::new(
            "missing".into(),
            rows.iter()
                .map(|r| {
                    if r.1 == "shapley" {
                        r.0.missing.join("; ")
                    } else {
                        String::new()
                    }
                })
                .collect::<Vec<_>>(),
        ),
    ])
}

/// One row per year of the coverage replay.
pub fn coverage_table(d: &Decomposition) -> PolarsResult<DataFrame> {
    let c = &d.coverage;
    let f = |g: &dyn Fn(&crate::decompose::Coverage) -> f64| c.iter().map(g).collect::<Vec<f64>>();
    DataFrame::new_infer_height(vec![
        Column::new(
            "year".into(),
            c.iter().map(|r| r.year).collect::<Vec<u32>>(),
        ),
        Column::new(
            "accelerator".into(),
            c.iter().map(|r| r.accelerator.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "pool".into(),
            c.iter().map(|r| r.pool.join("+")).collect::<Vec<_>>(),
        ),
        Column::new(
            "assumed_flat_accuracy".into(),
            c.iter().map(|r| r.assumed.join("+")).collect::<Vec<_>>(),
        ),
        Column::new(
            "queries".into(),
            c.iter().map(|r| r.summary.queries).collect::<Vec<u64>>(),
        ),
        Column::new("local_share".into(), f(&|r| r.summary.local_share)),
        Column::new("accuracy".into(), f(&|r| r.summary.accuracy)),
        Column::new("accuracy_change".into(), f(&|r| r.summary.accuracy_change)),
        Column::new("energy_savings".into(), f(&|r| r.summary.energy_savings)),
        Column::new("compute_savings".into(), f(&|r| r.summary.compute_savings)),
        Column::new(
            "cost_savings".into(),
            f(&|r| {
                if r.priced {
                    r.summary.cost_savings
                } else {
                    f64::NAN
                }
            }),
        ),
        Column::new(
            "dc_energy_savings".into(),
            f(&|r| r.summary.dc_energy_savings),
        ),
    ])
}

/// The outputs of `ipw-sim decompose`: `decompose`, `decompose-factors` and, with coverage,
/// `decompose-coverage`.
/// Every candidate pair by the year it became possible (see
/// [`crate::decompose::PairPoint`]), with its accuracy, IPW and IPJ on the mean query.
pub fn pairs_table(d: &Decomposition) -> PolarsResult<DataFrame> {
    let p = &d.pairs;
    let f = |g: &dyn Fn(&crate::decompose::PairPoint) -> f64| p.iter().map(g).collect::<Vec<f64>>();
    let s = |g: &dyn Fn(&crate::decompose::PairPoint) -> String| {
        p.iter().map(g).collect::<Vec<String>>()
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            "year".into(),
            p.iter().map(|r| r.year).collect::<Vec<u32>>(),
        ),
        Column::new("family".into(), s(&|r| r.family.clone())),
        Column::new("model".into(), s(&|r| r.cell.model.clone())),
        Column::new("accelerator".into(), s(&|r| r.cell.accelerator.clone())),
        Column::new("variant".into(), s(&|r| r.cell.variant.clone())),
        Column::new("accuracy".into(), f(&|r| r.cell.accuracy)),
        Column::new("w_per_query".into(), f(&|r| r.cell.power_w)),
        Column::new("ipw".into(), f(&|r| r.cell.ipw())),
        Column::new("ipj".into(), f(&|r| r.cell.ipj())),
    ])
}

pub fn outputs(d: &Decomposition) -> Result<Vec<super::Output>, super::ReportError> {
    let err = |name: &'static str| {
        move |e: PolarsError| super::ReportError::Table {
            name: name.into(),
            message: e.to_string(),
        }
    };
    let mut out = vec![
        super::Output::table("decompose", years_table(d).map_err(err("decompose"))?),
        super::Output::table(
            "decompose-factors",
            factors_table(d).map_err(err("decompose-factors"))?,
        ),
    ];
    out.push(super::Output::table(
        "decompose-pairs",
        pairs_table(d).map_err(err("decompose-pairs"))?,
    ));
    if !d.coverage.is_empty() {
        out.push(super::Output::table(
            "decompose-coverage",
            coverage_table(d).map_err(err("decompose-coverage"))?,
        ));
    }
    Ok(out)
}

/// The terminal view.
pub fn text(name: &str, d: &Decomposition) -> String {
    let measure = match d.measure {
        crate::scenario::decompose::AccuracyMeasure::SuccessRate => "the paper's success rate",
        crate::scenario::decompose::AccuracyMeasure::Mix => "the workload mix's accuracy",
    };
    let mut out = format!(
        "decompose {name}: accuracy = {measure}; each pair at batch {}, device energy, on the mean of {} queries ({:.0} prompt + {:.0} response tokens)\n\
         W/query = the mean query's energy / latency{}\n",
        d.batch,
        d.queries,
        d.mean_prompt,
        d.mean_response,
        if d.batch > 1.0 {
            " (its attributed share of the replica's power, about P / batch while decoding)"
        } else {
            " (the device's power at batch 1)"
        }
    );
    out += &format!(
        "{:<5} {:<14} {:<24} {:>8} {:>8} {:>10} {:>10} {:>10} {:>6} {:>6}\n",
        "year",
        "model",
        "accelerator",
        "accuracy",
        "W/query",
        "J/query",
        "IPW",
        "IPJ",
        "IPW x",
        "IPJ x"
    );
    for (i, r) in d.years.iter().enumerate() {
        let c = &r.cell;
        let gain = |m: fn(&crate::decompose::Cell) -> f64| {
            if i == 0 {
                String::new()
            } else {
                format!("{:.2}", m(c) / m(&d.years[i - 1].cell))
            }
        };
        out += &format!(
            "{:<5} {:<14} {:<24} {:>8.3} {:>8.1} {:>10.1} {:>10.3e} {:>10.3e} {:>6} {:>6}{}\n",
            r.year,
            c.model,
            c.accelerator,
            c.accuracy,
            c.power_w,
            c.energy_j,
            c.ipw(),
            c.ipj(),
            gain(crate::decompose::Cell::ipw),
            gain(crate::decompose::Cell::ipj),
            if r.given { "" } else { "  (chosen)" }
        );
    }
    out += "factors (total = model x hardware):\n";
    for f in &d.factors {
        let shapley = match f.shapley {
            Some((m, h)) => format!("factorial: {m:.2} x {h:.2}"),
            None => format!("factorial: unavailable (no {})", f.missing.join("; no ")),
        };
        out += &format!(
            "  {} {}-{}: {:.2} = paper: {:.2} x {:.2}; {}\n",
            f.metric.name().to_uppercase(),
            f.from,
            f.to,
            f.total,
            f.paper.0,
            f.paper.1,
            shapley
        );
        if let Some((m, h)) = f.shapley {
            // Worth a sentence when the model factors differ by more than 5%.
            if (m.ln() - f.paper.0.ln()).abs() > 0.05_f64.ln_1p() {
                out += &format!(
                    "    they disagree: with the hardware held fixed the newer model changes {} by {m:.2}x, not the accuracy ratio {:.2}x (it changes power too); hardware then accounts for {h:.2}x, not {:.2}x\n",
                    f.metric.name().to_uppercase(),
                    f.paper.0,
                    f.paper.1
                );
            }
        }
    }
    if !d.coverage.is_empty() {
        out += "coverage: each year's local pool, the paper's oracle, against all-cloud on the same queries\n";
        out += &format!(
            "{:<5} {:<24} {:>7} {:>8} {:>8} {:>8} {:>8}  {}\n",
            "year", "accelerator", "local%", "accuracy", "energy%", "compute%", "dc-en%", "pool"
        );
        for c in &d.coverage {
            let s = &c.summary;
            out += &format!(
                "{:<5} {:<24} {:>7.1} {:>8.3} {:>8.1} {:>8.1} {:>8.1}  {}{}\n",
                c.year,
                c.accelerator,
                100.0 * s.local_share,
                s.accuracy,
                100.0 * s.energy_savings,
                100.0 * s.compute_savings,
                100.0 * s.dc_energy_savings,
                c.pool.join(", "),
                if c.assumed.is_empty() {
                    String::new()
                } else {
                    format!(" (assumed flat accuracy: {})", c.assumed.join(", "))
                }
            );
        }
    }
    out
}
