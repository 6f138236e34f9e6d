//! The break-even analysis as data: a table per pair, a grid of query sizes, and the terminal
//! view (see [`crate::breakeven`] for the model).

use crate::breakeven::{BreakEven, GRID_PROMPTS, GRID_RESPONSES};
use polars::prelude::*;

/// One row per local pair variant: its energy per token, the cloud's, the mean query on both,
/// the boundary and the share of the scenario's queries cheaper locally.
pub fn pairs_table(r: &BreakEven) -> PolarsResult<DataFrame> {
    let p = &r.pairs;
    let f =
        |g: &dyn Fn(&crate::breakeven::PairBreakEven) -> f64| p.iter().map(g).collect::<Vec<f64>>();
    let s = |g: &dyn Fn(&crate::breakeven::PairBreakEven) -> String| {
        p.iter().map(g).collect::<Vec<String>>()
    };
    let n = p.len();
    let c = &r.cloud;
    DataFrame::new_infer_height(vec![
        Column::new("model".into(), s(&|x| x.local.model.clone())),
        Column::new("accelerator".into(), s(&|x| x.local.accelerator.clone())),
        Column::new("variant".into(), s(&|x| x.local.variant.clone())),
        Column::new(
            "default".into(),
            p.iter().map(|x| x.local.default).collect::<Vec<bool>>(),
        ),
        Column::new(
            "in_pool".into(),
            p.iter().map(|x| x.in_pool).collect::<Vec<bool>>(),
        ),
        Column::new("batch".into(), f(&|x| x.local.batch)),
        Column::new("power_w".into(), f(&|x| x.local.power_w)),
        Column::new(
            "j_per_prompt_token".into(),
            f(&|x| x.local.j_per_prompt_token),
        ),
        Column::new(
            "j_per_response_token".into(),
            f(&|x| x.local.j_per_response_token),
        ),
        Column::new("cloud_model".into(), vec![c.model.as_str(); n]),
        Column::new("cloud_accelerator".into(), vec![c.accelerator.as_str(); n]),
        Column::new("cloud_variant".into(), vec![c.variant.as_str(); n]),
        Column::new("cloud_batch".into(), vec![c.batch; n]),
        Column::new("cloud_power_w".into(), vec![c.power_w; n]),
        Column::new("pue".into(), vec![r.pue; n]),
        Column::new(
            "cloud_j_per_prompt_token".into(),
            vec![c.j_per_prompt_token; n],
        ),
        Column::new(
            "cloud_j_per_response_token".into(),
            vec![c.j_per_response_token; n],
        ),
        Column::new("sampled_queries".into(), vec![r.queries; n]),
        Column::new("mean_prompt_tokens".into(), vec![r.mean_prompt; n]),
        Column::new("mean_response_tokens".into(), vec![r.mean_response; n]),
        Column::new("mean_query_j".into(), f(&|x| x.mean_query_j)),
        Column::new("cloud_mean_query_j".into(), vec![r.cloud_mean_query_j; n]),
        Column::new(
            "energy_ratio".into(),
            f(&|x| x.mean_query_j / r.cloud_mean_query_j),
        ),
        Column::new("local_cheaper".into(), s(&|x| x.boundary.describe())),
        Column::new(
            "boundary_response_per_prompt".into(),
            f(&|x| x.boundary.ratio()),
        ),
        Column::new("cheaper_share".into(), f(&|x| x.cheaper_share)),
    ])
}

/// Local and cloud energy of each query size of [`GRID_PROMPTS`] x [`GRID_RESPONSES`], per
/// local pair variant (what a break-even figure draws).
pub fn grid_table(r: &BreakEven) -> PolarsResult<DataFrame> {
    let mut cols: (Vec<String>, Vec<String>, Vec<String>) = Default::default();
    let (mut prompt, mut response, mut local, mut cloud) = (vec![], vec![], vec![], vec![]);
    for p in &r.pairs {
        for &i in &GRID_PROMPTS {
            for &o in &GRID_RESPONSES {
                cols.0.push(p.local.model.clone());
                cols.1.push(p.local.accelerator.clone());
                cols.2.push(p.local.variant.clone());
                prompt.push(i);
                response.push(o);
                local.push(p.local.query_j(f64::from(i), f64::from(o)));
                cloud.push(r.cloud.query_j(f64::from(i), f64::from(o)));
            }
        }
    }
    let ratio: Vec<f64> = local.iter().zip(&cloud).map(|(l, c)| l / c).collect();
    DataFrame::new_infer_height(vec![
        Column::new("model".into(), cols.0),
        Column::new("accelerator".into(), cols.1),
        Column::new("variant".into(), cols.2),
        Column::new("prompt_tokens".into(), prompt),
        Column::new("response_tokens".into(), response),
        Column::new("local_j".into(), local),
        Column::new("cloud_j".into(), cloud),
        Column::new("energy_ratio".into(), ratio),
    ])
}

/// The terminal view: the cloud endpoint, then one line per local pair variant.
pub fn text(name: &str, r: &BreakEven) -> String {
    let c = &r.cloud;
    let mut out = format!(
        "break-even {name}: local pairs at batch {} vs {} on {} ({}) at batch {}, PUE {}\n\
         cloud: {:.3} J per prompt token, {:.3} J per response token; mean of {} sampled queries: \
         {:.0} prompt + {:.0} response tokens = {:.0} J in the cloud\n",
        r.pairs.first().map_or(1.0, |p| p.local.batch),
        c.model,
        c.accelerator,
        c.variant,
        c.batch,
        r.pue,
        c.j_per_prompt_token,
        c.j_per_response_token,
        r.queries,
        r.mean_prompt,
        r.mean_response,
        r.cloud_mean_query_j,
    );
    let labels: Vec<String> = r
        .pairs
        .iter()
        .map(|p| {
            format!(
                "{}{}@{} {}",
                if p.in_pool { "* " } else { "  " },
                p.local.model,
                p.local.accelerator,
                p.local.variant
            ) + if p.local.default { "" } else { " (variant)" }
        })
        .collect();
    let w = labels.iter().map(String::len).max().unwrap_or(0).max(20);
    out += &format!(
        "{:<w$} {:>7} {:>8} {:>8} {:>9} {:>7}  {:<24} {:>8}\n",
        "local pair (* in the pool)",
        "W",
        "J/in",
        "J/out",
        "J/query",
        "x cloud",
        "local cheaper when",
        "queries%"
    );
    for (p, label) in r.pairs.iter().zip(&labels) {
        out += &format!(
            "{:<w$} {:>7.1} {:>8.4} {:>8.3} {:>9.0} {:>7.2}  {:<24} {:>8.1}\n",
            label,
            p.local.power_w,
            p.local.j_per_prompt_token,
            p.local.j_per_response_token,
            p.mean_query_j,
            p.mean_query_j / r.cloud_mean_query_j,
            p.boundary.describe(),
            100.0 * p.cheaper_share
        );
    }
    out += "J/query and x cloud: the sampled mean query; queries%: share of sampled queries that cost less energy locally (fixed-batch accounting)\n";
    for s in &r.skipped {
        out += &format!("skipped: {s}\n");
    }
    out
}

/// The outputs of `ipw-sim breakeven`: `breakeven` (per pair) and `breakeven-grid`.
pub fn outputs(r: &BreakEven) -> Result<Vec<super::Output>, super::ReportError> {
    let err = |name: &'static str| {
        move |e: PolarsError| super::ReportError::Table {
            name: name.into(),
            message: e.to_string(),
        }
    };
    Ok(vec![
        super::Output::table("breakeven", pairs_table(r).map_err(err("breakeven"))?),
        super::Output::table(
            "breakeven-grid",
            grid_table(r).map_err(err("breakeven-grid"))?,
        ),
    ])
}
