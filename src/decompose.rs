//! Intelligence per watt over the years, decomposed into models and hardware
//! (`ipw-sim decompose`, the scenario's `[decompose]` section).
//!
//! Each year has a pair: the year's model on the year's accelerator, given by hand or chosen
//! by a criterion among the catalogue's pairs released by then. A pair's figures come from its
//! profile at one batch size, on the scenario's mean query (`n_in` prompt, `n_out` response
//! tokens), with the device's own energy (no PUE):
//!
//! ```text
//! E = n_in P / R + n_out (P / b) s        L = n_in / R + n_out s
//! power = E / L,   IPW = accuracy / power,   IPJ = accuracy / E
//! ```
//!
//! (at batch 1 the power is the pair's `P`, so IPW is the paper's accuracy / power). Between
//! two years the gain in IPW (or IPJ) is split two ways:
//!
//! * **the paper's method**: model factor = the accuracy ratio, hardware factor = the rest.
//!   Whatever a newer model changes in power (a bigger model draws more) is booked to hardware.
//! * **a factorial (Shapley) split** over the 2 x 2 grid of (model year, hardware year), where
//!   the cross pairs exist (the new model on the old hardware and the reverse): in logs,
//!   `model = ((ln I(m1,h0) - ln I(m0,h0)) + (ln I(m1,h1) - ln I(m0,h1))) / 2` and `hardware`
//!   likewise, so `model x hardware = total` exactly and each factor is measured with the other
//!   held fixed, averaged over both orders.
//!
//! With `coverage`, the scenario's trace is also replayed with each year's local pool (the
//! models released by then that have a profile on the year's accelerator) under the paper's
//! oracle, against the scenario's cloud: how much a hybrid system could have kept local.

use crate::bind::{pair_endpoint, workload, Inputs, RunError};
use crate::metrics::{Summary, Totals};
use crate::profile::{Catalogue, Model, Pair, Tier};
use crate::router::{Router, RouterConfig};
use crate::scenario::decompose::{AccuracyMeasure, Criterion, DecomposeSection};
use crate::scenario::Scenario;
use crate::serve::{evaluate, facts, Endpoints, Oracle, Tracking};
use crate::sim::{EndpointProfile, FixedBatch};
use crate::sweep::first_queries;
use crate::trace::Query;

/// One (model, accelerator) pair's figures on the mean query.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub model: String,
    pub accelerator: String,
    pub variant: String,
    pub accuracy: f64,
    /// Energy / latency of the mean query, watts.
    pub power_w: f64,
    pub energy_j: f64,
    pub latency_s: f64,
}

impl Cell {
    pub fn ipw(&self) -> f64 {
        self.accuracy / self.power_w
    }
    pub fn ipj(&self) -> f64 {
        self.accuracy / self.energy_j
    }
    fn value(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Ipw => self.ipw(),
            Metric::Ipj => self.ipj(),
        }
    }
}

/// One year of the decomposition.
#[derive(Clone, Debug, PartialEq)]
pub struct YearRow {
    pub year: u32,
    pub cell: Cell,
    /// Given in the scenario (else chosen by the criterion).
    pub given: bool,
    pub model_released: String,
    pub accelerator_year: u32,
}

/// What is decomposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Ipw,
    Ipj,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Ipw => "ipw",
            Metric::Ipj => "ipj",
        }
    }
}

/// The split of one gain into a model and a hardware factor (`model x hardware = total`).
#[derive(Clone, Debug, PartialEq)]
pub struct Factors {
    pub from: u32,
    pub to: u32,
    pub metric: Metric,
    pub total: f64,
    /// The paper's method: (accuracy ratio, the rest).
    pub paper: (f64, f64),
    /// The factorial split, where both cross pairs exist.
    pub shapley: Option<(f64, f64)>,
    /// The cross pairs that are missing (why there is no factorial split).
    pub missing: Vec<String>,
    /// The cross cells used: the new model on the old accelerator, the old model on the new.
    pub cross: Option<(Cell, Cell)>,
}

/// One year's coverage replay.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    pub year: u32,
    pub accelerator: String,
    pub pool: Vec<String>,
    /// Pool models given their success rate on every task family (an assumption).
    pub assumed: Vec<String>,
    /// The oracle against all-cloud on the same queries.
    pub summary: Summary,
    /// Every pool model has token prices (else cost savings are not reported).
    pub priced: bool,
}

/// The decomposition of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    pub measure: AccuracyMeasure,
    pub batch: f64,
    pub queries: u64,
    pub mean_prompt: f64,
    pub mean_response: f64,
    pub years: Vec<YearRow>,
    /// Consecutive years, then first to last, for IPW and IPJ.
    pub factors: Vec<Factors>,
    pub coverage: Vec<Coverage>,
    /// Every candidate pair of the last year (the default variant of each pair on the
    /// section's tier with a cell), by the year it became possible: IPW over time per model
    /// family and accelerator.
    pub pairs: Vec<PairPoint>,
    /// Given pairs whose model or accelerator was released after the pair's year.
    pub warnings: Vec<String>,
}

/// A pair by the year both its model and its accelerator were out.
#[derive(Clone, Debug, PartialEq)]
pub struct PairPoint {
    /// The later of the model's release year and the accelerator's.
    pub year: u32,
    pub family: String,
    pub cell: Cell,
}

/// The year of a `YYYY-MM` release month.
fn year_of(released: &str) -> u32 {
    released
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(u32::MAX)
}

struct Context<'a> {
    s: &'a Scenario,
    cat: &'a Catalogue,
    d: &'a DecomposeSection,
    batch: f64,
    n_in: f64,
    n_out: f64,
}

impl Context<'_> {
    fn accuracy(&self, m: &Model) -> Option<f64> {
        match self.d.accuracy {
            AccuracyMeasure::SuccessRate => m.success_rate,
            AccuracyMeasure::Mix => {
                let total: f64 = self.s.workload.mix.values().sum();
                self.s
                    .workload
                    .mix
                    .iter()
                    .map(|(t, w)| m.accuracy.get(t).map(|a| a * w / total))
                    .sum()
            }
        }
    }

    /// The cell of `pair`, or why there is none.
    fn cell(&self, pair: &Pair) -> Result<Cell, String> {
        let m = self.cat.model(&pair.model).map_err(|e| e.to_string())?;
        let accuracy = self.accuracy(m).ok_or_else(|| {
            format!(
                "model `{}` has no {} in models.toml",
                m.name,
                match self.d.accuracy {
                    AccuracyMeasure::SuccessRate => "success_rate",
                    AccuracyMeasure::Mix => "accuracy on every task family of the mix",
                }
            )
        })?;
        let ep: EndpointProfile =
            pair_endpoint(self.s, self.cat, pair, self.batch, 1.0, "decompose.batch")
                .map_err(|e| e.to_string())?;
        let energy_j = ep.prefill_j_per_token * self.n_in + ep.decode_j_per_token * self.n_out;
        let latency_s = ep.prefill_s_per_token * self.n_in + ep.decode_s_per_token * self.n_out;
        Ok(Cell {
            model: pair.model.clone(),
            accelerator: pair.accelerator.clone(),
            variant: pair.variant.clone(),
            accuracy,
            power_w: energy_j / latency_s,
            energy_j,
            latency_s,
        })
    }

    /// The cell of `model` on `accelerator` (the pair's default variant unless `variant`).
    fn cell_of(
        &self,
        model: &str,
        accelerator: &str,
        variant: Option<&str>,
    ) -> Result<Cell, String> {
        if self.cat.variants(model, accelerator).is_empty() {
            return Err("no profile in the catalogue".into());
        }
        let pair = self
            .cat
            .pair_variant(model, accelerator, variant)
            .map_err(|e| e.to_string())?;
        self.cell(pair)
    }

    /// The candidates for year `y`: default variants of pairs whose model and accelerator
    /// were released by then (on local accelerators unless `tier = "any"`), with a cell.
    fn candidates(&self, y: u32) -> Vec<Cell> {
        let mut out = Vec::new();
        for p in &self.cat.pairs {
            let (Ok(m), Ok(a)) = (
                self.cat.model(&p.model),
                self.cat.accelerator(&p.accelerator),
            ) else {
                continue;
            };
            let default = self
                .cat
                .pair(&p.model, &p.accelerator)
                .is_ok_and(|d| d.path == p.path);
            if !default
                || year_of(&m.released) > y
                || a.release_year > y
                || (self.d.tier == "local" && a.tier != Tier::Local)
            {
                continue;
            }
            if let Ok(c) = self.cell(p) {
                out.push(c);
            }
        }
        out.sort_by(|a, b| (&a.model, &a.accelerator).cmp(&(&b.model, &b.accelerator)));
        out
    }

    /// Year `y`'s pair by the criterion.
    fn choose(&self, y: u32) -> Result<Cell, String> {
        let all = self.candidates(y);
        let best = |key: &dyn Fn(&Cell) -> f64, cells: Vec<Cell>| {
            // The first of the highest (candidates are in name order: deterministic).
            cells.into_iter().fold(None::<Cell>, |b, c| match b {
                Some(b) if key(&b) >= key(&c) => Some(b),
                _ => Some(c),
            })
        };
        let chosen = match self.d.criterion {
            Criterion::Accuracy => {
                let top = all
                    .iter()
                    .map(|c| c.accuracy)
                    .fold(f64::NEG_INFINITY, f64::max);
                let models: Vec<Cell> = all.into_iter().filter(|c| c.accuracy == top).collect();
                best(&Cell::ipw, models)
            }
            Criterion::Ipw => best(&Cell::ipw, all),
            Criterion::Ipj => best(&Cell::ipj, all),
        };
        chosen.ok_or_else(|| {
            format!(
                "no pair for {y}: no model released by {y} with a {} has a profile on a{} accelerator released by {y} measured at batch {}",
                match self.d.accuracy {
                    AccuracyMeasure::SuccessRate => "success_rate",
                    AccuracyMeasure::Mix => "per-family accuracy",
                },
                if self.d.tier == "local" { " local" } else { "n" },
                self.batch
            )
        })
    }

    /// The cell of `model` on `accelerator` for a cross pair: the variant a year row uses for
    /// that pair, else the default.
    fn cross(&self, rows: &[YearRow], model: &str, accelerator: &str) -> Result<Cell, String> {
        match rows
            .iter()
            .find(|r| r.cell.model == model && r.cell.accelerator == accelerator)
        {
            Some(r) => Ok(r.cell.clone()),
            None => self.cell_of(model, accelerator, None),
        }
    }
}

/// The split of the gain from `a` to `b`.
fn factors(ctx: &Context, rows: &[YearRow], a: &YearRow, b: &YearRow, metric: Metric) -> Factors {
    let (c0, c1) = (&a.cell, &b.cell);
    let total = c1.value(metric) / c0.value(metric);
    let model = c1.accuracy / c0.accuracy;
    let mut missing = Vec::new();
    let mut cell = |m: &str, h: &str| match ctx.cross(rows, m, h) {
        Ok(c) => Some(c),
        Err(e) => {
            missing.push(format!("{m} on {h}: {e}"));
            None
        }
    };
    let new_on_old = cell(&c1.model, &c0.accelerator);
    let old_on_new = cell(&c0.model, &c1.accelerator);
    let (shapley, cross) = match (new_on_old, old_on_new) {
        (Some(n), Some(o)) => {
            let v = |c: &Cell| c.value(metric).ln();
            let (i00, i11, i10, i01) = (v(c0), v(c1), v(&n), v(&o));
            let m = ((i10 - i00) + (i11 - i01)) / 2.0;
            let h = ((i01 - i00) + (i11 - i10)) / 2.0;
            (Some((m.exp(), h.exp())), Some((n, o)))
        }
        _ => (None, None),
    };
    Factors {
        from: a.year,
        to: b.year,
        metric,
        total,
        paper: (model, total / model),
        shapley,
        missing,
        cross,
    }
}

/// The decomposition of `s` (which must have a `[decompose]` section), its mean query taken
/// over the first `sample` queries of its trace.
pub fn decompose(s: &Scenario, inputs: &Inputs, sample: usize) -> Result<Decomposition, RunError> {
    let d = s.decompose.as_ref().ok_or_else(|| RunError::Fleet {
        path: s.path.clone(),
        message: "no [decompose] section (years, and optionally pairs, criterion, accuracy, batch, coverage)".into(),
    })?;
    let fail = |field: &str, message: String| RunError::Fleet {
        path: s.path.clone(),
        message: format!("field `{field}`: {message}"),
    };
    let cat = &inputs.catalogue;
    let queries = first_queries(&inputs.replay(s)?, sample)?;
    let (n_in, n_out) = crate::trace::mean_lengths(&queries);
    let ctx = Context {
        s,
        cat,
        d,
        batch: d.batch.unwrap_or(s.fleet.local_batch),
        n_in,
        n_out,
    };
    let mut years = Vec::new();
    let mut warnings = Vec::new();
    for &y in &d.years {
        let given = d.pairs.iter().find(|p| p.year == y);
        let cell = match given {
            Some(p) => ctx
                .cell_of(&p.model, &p.accelerator, p.variant.as_deref())
                .map_err(|e| fail("decompose.pairs", format!("year {y}: {e}")))?,
            None => ctx.choose(y).map_err(|e| fail("decompose.years", e))?,
        };
        if given.is_some() {
            let (m, a) = (cat.model(&cell.model)?, cat.accelerator(&cell.accelerator)?);
            if year_of(&m.released) > y || a.release_year > y {
                warnings.push(format!(
                    "decompose.pairs: year {y} is given {} (released {}) on {} ({}), which came out later",
                    m.name, m.released, a.id, a.release_year
                ));
            }
        }
        years.push(YearRow {
            year: y,
            model_released: cat.model(&cell.model)?.released.clone(),
            accelerator_year: cat.accelerator(&cell.accelerator)?.release_year,
            given: given.is_some(),
            cell,
        });
    }
    let mut spans: Vec<(usize, usize)> = (1..years.len()).map(|i| (i - 1, i)).collect();
    if years.len() > 2 {
        spans.push((0, years.len() - 1));
    }
    let mut fs = Vec::new();
    for metric in [Metric::Ipw, Metric::Ipj] {
        for &(a, b) in &spans {
            fs.push(factors(&ctx, &years, &years[a], &years[b], metric));
        }
    }
    let coverage = if d.coverage {
        years
            .iter()
            .map(|r| coverage(&ctx, r, &queries))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let last = d.years.iter().copied().max().unwrap_or(0);
    let mut pairs = Vec::new();
    for cell in ctx.candidates(last) {
        let (m, a) = (cat.model(&cell.model)?, cat.accelerator(&cell.accelerator)?);
        pairs.push(PairPoint {
            year: year_of(&m.released).max(a.release_year),
            family: m.family.clone(),
            cell,
        });
    }
    Ok(Decomposition {
        measure: d.accuracy,
        batch: ctx.batch,
        queries: queries.len() as u64,
        mean_prompt: n_in,
        mean_response: n_out,
        years,
        factors: fs,
        coverage,
        pairs,
        warnings,
    })
}

/// Replay `queries` with year `row`'s local pool under the paper's oracle, against all-cloud.
fn coverage(ctx: &Context, row: &YearRow, queries: &[Query]) -> Result<Coverage, RunError> {
    let (s, cat, y) = (ctx.s, ctx.cat, row.year);
    let acc = &row.cell.accelerator;
    let mix: Vec<&String> = s.workload.mix.keys().collect();
    let mut pool = Vec::new();
    let mut assumed = Vec::new();
    for m in &cat.models {
        if year_of(&m.released) > y
            || cat.pair(&m.name, acc).is_err()
            || m.name == s.fleet.cloud_model
        {
            continue;
        }
        if mix.iter().all(|t| m.accuracy.contains_key(*t)) {
            pool.push(m.name.clone());
        } else if ctx.d.assume_flat_accuracy && m.success_rate.is_some() {
            pool.push(m.name.clone());
            assumed.push(m.name.clone());
        }
    }
    if pool.is_empty() {
        return Err(RunError::Fleet {
            path: s.path.clone(),
            message: format!(
                "decompose.coverage: no model released by {y} with an accuracy on every task family of the mix has a profile on `{acc}`{}",
                if ctx.d.assume_flat_accuracy { "" } else { " (decompose.assume_flat_accuracy = true would use success rates)" }
            ),
        });
    }
    // Assumed accuracies enter a copy of the catalogue; the capability correlation stays the
    // one fitted on the catalogue as it is, so the assumption moves nothing else.
    let mut assumed_cat = cat.clone();
    for m in assumed_cat
        .models
        .iter_mut()
        .filter(|m| assumed.contains(&m.name))
    {
        let rate = m.success_rate.expect("assumed only with a success rate");
        for t in &mix {
            m.accuracy.insert((*t).clone(), rate);
        }
    }
    let cloud = s.fleet.cloud_model.as_str();
    let tracked: Vec<&str> = pool.iter().map(String::as_str).chain([cloud]).collect();
    let mut w = workload(s, &assumed_cat, &tracked)?;
    let base = workload(s, cat, &[cloud])?;
    for (t, b) in w.tasks.iter_mut().zip(&base.tasks) {
        t.rho = b.rho;
    }
    let tracking = Tracking::new(&w, &pool, cloud).expect("every pool model is tracked");
    let f = &s.fleet;
    let local = pool
        .iter()
        .map(|m| {
            let pair = cat.pair_variant(m, acc, f.variant(m, acc))?;
            pair_endpoint(s, cat, pair, f.local_batch, 1.0, "fleet.local_batch")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cloud_pair = cat.pair_variant(
        cloud,
        &f.cloud_accelerator,
        f.variant(cloud, &f.cloud_accelerator),
    )?;
    let service = FixedBatch {
        local,
        cloud: pair_endpoint(
            s,
            cat,
            cloud_pair,
            f.cloud_batch,
            f.pue,
            "fleet.cloud_batch",
        )?,
    };
    let ep = Endpoints {
        service: &service,
        tracking: &tracking,
    };
    let oracle = RouterConfig::Oracle {
        objective: Default::default(),
        target: Default::default(),
    };
    let tasks = w.tasks.len();
    let (mut all, mut ora) = (
        Totals::new(tasks, pool.len()),
        Totals::new(tasks, pool.len()),
    );
    for chunk in queries.chunks(crate::sweep::CHUNK) {
        let shared = facts(&w, chunk, &[(ep, oracle.oracle_rule())]);
        let r = Router::new(RouterConfig::AllCloud, s.seed);
        all.merge(&evaluate(&ep, &r, chunk, &shared, Oracle::Unused, tasks));
        let r = Router::new(oracle.clone(), s.seed);
        ora.merge(&evaluate(&ep, &r, chunk, &shared, Oracle::Shared(0), tasks));
    }
    Ok(Coverage {
        year: y,
        accelerator: acc.clone(),
        priced: pool
            .iter()
            .all(|m| cat.model(m).is_ok_and(|m| m.price.is_some())),
        pool,
        assumed,
        summary: Summary::new(&ora, &all),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A 2 x 2 catalogue: model A (2024, success rate 0.5) and model B (2025, 0.6), each on
    /// accelerator X (2023) and Y (2025), at batch 1 with the given powers (W) for A@X, B@X,
    /// A@Y, B@Y (`None`: no profile). Same speeds everywhere, so IPW = accuracy / power.
    fn grid(powers: [Option<f64>; 4]) -> Decomposition {
        let models = r#"
[[model]]
name = "A"
family = "a"
active_params_b = 1.0
total_params_b = 1.0
params_source = "test"
released = "2024-01"
released_source = "test"
accuracy = {}
accuracy_source = "test"
success_rate = 0.5
success_rate_source = "test"

[[model]]
name = "B"
family = "b"
active_params_b = 1.0
total_params_b = 1.0
params_source = "test"
released = "2025-01"
released_source = "test"
accuracy = {}
accuracy_source = "test"
success_rate = 0.6
success_rate_source = "test"
"#;
        let accelerators = r#"
[[accelerator]]
id = "X"
name = "X"
tier = "local"
memory_gb = 16
bandwidth_gb_s = 100
power_w = 1000
release_year = 2023
source = "test"
price_note = "test"

[[accelerator]]
id = "Y"
name = "Y"
tier = "local"
memory_gb = 16
bandwidth_gb_s = 100
power_w = 1000
release_year = 2025
source = "test"
price_note = "test"
"#;
        let tasks = r#"
[[task]]
name = "wildchat"
description = "test"
local_solvable = 0.9
local_solvable_source = "test"
"#;
        let pair = |m: &str, a: &str, w: f64| {
            format!(
                "model = \"{m}\"\naccelerator = \"{a}\"\ndevices = 1\nprecision = \"bf16\"\ndecode_source = \"test\"\nprefill_source = \"test\"\npower_source = \"test\"\n[[point]]\nbatch = 1\ndecode_step_s = 0.02\nprefill_tokens_per_s = 1000.0\npower_w = {w}\n"
            )
        };
        let texts: Vec<(&str, String)> = [("A", "X"), ("B", "X"), ("A", "Y"), ("B", "Y")]
            .iter()
            .zip(powers)
            .filter_map(|(&(m, a), w)| w.map(|w| (m, pair(m, a, w))))
            .collect();
        let names: Vec<String> = (0..texts.len()).map(|i| format!("p{i}.toml")).collect();
        let pairs: Vec<(&str, &str)> = names
            .iter()
            .zip(&texts)
            .map(|(n, (_, t))| (n.as_str(), t.as_str()))
            .collect();
        let cat =
            Catalogue::from_texts(Path::new("grid"), models, accelerators, tasks, &pairs).unwrap();
        let s = Scenario::parse(
            Path::new("grid.toml"),
            r#"
            name = "grid"
            [trace]
            path = "unused"
            [workload]
            mix = { wildchat = 1.0 }
            [fleet]
            local_accelerator = "X"
            local_models = ["A"]
            cloud_model = "B"
            cloud_accelerator = "Y"
            cloud_batch = 1
            [router]
            kind = "oracle"
            [decompose]
            years = [2024, 2025]
            pairs = [
              { year = 2024, model = "A", accelerator = "X" },
              { year = 2025, model = "B", accelerator = "Y" },
            ]
            "#,
        )
        .unwrap();
        let queries = vec![Query {
            index: 0,
            arrival_s: 0.0,
            input_tokens: 100,
            output_tokens: 50,
        }];
        decompose(&s, &Inputs::with_queries(cat, queries).unwrap(), 10).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn where_power_does_not_depend_on_the_model_both_splits_agree_with_the_hand_computation() {
        // A@X = B@X = 100 W, A@Y = B@Y = 50 W: IPW 0.005 -> 0.012, 2.4x; the accuracy ratio
        // 1.2 is the whole model effect and halving the power the whole hardware effect.
        let d = grid([Some(100.0), Some(100.0), Some(50.0), Some(50.0)]);
        let f = &d.factors[0];
        assert_eq!((f.from, f.to, f.metric), (2024, 2025, Metric::Ipw));
        assert!(close(f.total, 2.4));
        assert!(close(f.paper.0, 1.2) && close(f.paper.1, 2.0));
        let (m, h) = f.shapley.unwrap();
        assert!(close(m, 1.2) && close(h, 2.0), "{m} x {h}");
    }

    #[test]
    fn where_the_newer_model_draws_more_power_the_paper_and_the_factorial_split_disagree() {
        // B draws twice A's power on either accelerator: A@X 100 W, B@X 200 W, A@Y 50 W,
        // B@Y 100 W. IPW: A@X 0.005, B@X 0.003, A@Y 0.010, B@Y 0.006; total 1.2x.
        // The paper books it all to the model (accuracy 1.2x) and none to hardware (1.0x).
        // Factorially, in logs: model = (ln 0.003/0.005 + ln 0.006/0.010) / 2 = ln 0.6;
        // hardware = (ln 0.010/0.005 + ln 0.006/0.003) / 2 = ln 2: 0.6 x 2.0 = 1.2.
        let d = grid([Some(100.0), Some(200.0), Some(50.0), Some(100.0)]);
        let f = &d.factors[0];
        assert!(close(f.total, 1.2));
        assert!(close(f.paper.0, 1.2) && close(f.paper.1, 1.0));
        let (m, h) = f.shapley.unwrap();
        assert!(close(m, 0.6) && close(h, 2.0), "{m} x {h}");
        assert!(close(m * h, f.total));
    }

    #[test]
    fn the_factorial_split_averages_the_model_effect_over_both_accelerators() {
        // A@X 100 W, B@X 200 W, A@Y 50 W, B@Y 50 W: IPW 0.005, 0.003, 0.010, 0.012. The model
        // effect is 0.6x on X and 1.2x on Y, the hardware effect 2x for A and 4x for B; the
        // split averages them in logs: model = sqrt(0.6 x 1.2) = sqrt(0.72), hardware =
        // sqrt(2 x 4) = sqrt(8), total 2.4. (Either one-order split would give 0.6 or 1.2.)
        let d = grid([Some(100.0), Some(200.0), Some(50.0), Some(50.0)]);
        let f = &d.factors[0];
        assert!(close(f.total, 2.4));
        let (m, h) = f.shapley.unwrap();
        assert!(
            close(m, 0.72f64.sqrt()) && close(h, 8f64.sqrt()),
            "{m} x {h}"
        );
        // Speeds are equal, so energy per query is power x the same latency: IPJ splits alike.
        let j = d.factors.iter().find(|f| f.metric == Metric::Ipj).unwrap();
        let (mj, hj) = j.shapley.unwrap();
        assert!(close(mj, m) && close(hj, h));
    }

    #[test]
    fn a_missing_cross_pair_leaves_only_the_papers_split_and_names_the_pair() {
        let d = grid([Some(100.0), None, Some(50.0), Some(50.0)]);
        let f = &d.factors[0];
        assert!(f.shapley.is_none() && close(f.paper.0, 1.2));
        assert_eq!(f.missing.len(), 1);
        assert!(f.missing[0].starts_with("B on X"), "{:?}", f.missing);
    }

    #[test]
    fn a_pair_at_a_larger_batch_is_charged_the_fixed_batch_energy() {
        // decompose-cross at batch 8 on one query of 1000 prompt and 100 response tokens.
        // Llama-3.1-8B on H100 (its pair file, batch 8): P = 486.438 W, R = 24,735 tokens/s,
        // s = 7.45927 ms. E = 1000 P / R + 100 (P / 8) s; L = 1000 / R + 100 s.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::load(&root.join("scenarios/decompose-cross.toml")).unwrap();
        let cat = Catalogue::load(&s.profiles).unwrap();
        let q = vec![Query {
            index: 0,
            arrival_s: 0.0,
            input_tokens: 1000,
            output_tokens: 100,
        }];
        let d = decompose(&s, &Inputs::with_queries(cat, q).unwrap(), 1).unwrap();
        let (p, r, step) = (486.438, 24_735.0, 0.00745927);
        let e = 1000.0 * p / r + 100.0 * (p / 8.0) * step;
        let l = 1000.0 / r + 100.0 * step;
        let c = &d.years[0].cell;
        assert_eq!(
            (c.model.as_str(), c.accelerator.as_str()),
            ("Llama-3.1-8B", "nvidia-h100")
        );
        assert!((c.energy_j - e).abs() < 1e-9 && (c.latency_s - l).abs() < 1e-12);
        assert!((c.ipw() - 0.487 / (e / l)).abs() < 1e-12);
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn the_paper_scenario_reproduces_table_2() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::load(&root.join("scenarios/paper-table2.toml")).unwrap();
        let inputs = Inputs::load(&s).unwrap();
        let mut s = s;
        s.decompose.as_mut().unwrap().coverage = false;
        let d = decompose(&s, &inputs, 1000).unwrap();
        let two = |x: f64| format!("{x:.2}");
        // [IPW] Table 2: 2.27x and 2.32x year over year; 5.28x = 3.07x x 1.72x from 2023.
        let ipw: Vec<&Factors> = d
            .factors
            .iter()
            .filter(|f| f.metric == Metric::Ipw)
            .collect();
        assert_eq!(
            ipw.iter()
                .map(|f| (f.from, f.to, two(f.total)))
                .collect::<Vec<_>>(),
            [
                (2023, 2024, "2.27".to_string()),
                (2024, 2025, "2.32".to_string()),
                (2023, 2025, "5.28".to_string())
            ]
        );
        let all = ipw[2];
        assert_eq!(
            (two(all.paper.0), two(all.paper.1)),
            ("3.07".into(), "1.72".into())
        );
        // The IPW values themselves, to the paper's three significant figures.
        let v: Vec<String> = d
            .years
            .iter()
            .map(|r| format!("{:.3e}", r.cell.ipw()))
            .collect();
        assert_eq!(v, ["7.921e-4", "1.800e-3", "4.179e-3"]);
        // No cross pairs: the factorial split is unavailable, and says why.
        assert!(all.shapley.is_none() && all.missing.len() == 2);
    }

    #[test]
    fn coverage_replays_each_years_pool_like_a_sweep_and_names_its_assumptions() {
        use crate::scenario::Overrides;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = root.join("scenarios/paper-table2.toml");
        let over = Overrides {
            queries: Some(20_000),
            ..Overrides::default()
        };
        let s = Scenario::load_with(&path, &over).unwrap();
        let d = decompose(&s, &Inputs::load(&s).unwrap(), 20_000).unwrap();
        assert_eq!(d.coverage.len(), 3);
        // 2023: Mixtral alone, given its Table 2 success rate (0.232) on both families.
        let c = &d.coverage[0];
        assert_eq!(
            (c.pool.clone(), c.assumed.clone()),
            (
                vec!["Mixtral-8x7B".to_string()],
                vec!["Mixtral-8x7B".to_string()]
            )
        );
        assert!(
            (c.summary.local_share - 0.232).abs() < 0.01,
            "{}",
            c.summary.local_share
        );
        assert!(!c.priced, "Mixtral has no Table 10 price");
        // 2025: every M4 Max model released by 2025, none assumed; the same figures as a sweep
        // of the scenario with that pool and the oracle, on the same queries.
        let c = &d.coverage[2];
        assert!(c.assumed.is_empty() && c.pool.len() == 6, "{:?}", c.pool);
        let pool = format!(
            "fleet.local_models=[{}]",
            c.pool
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let over = Overrides {
            queries: Some(20_000),
            ..Overrides::from_set(&[
                &pool,
                r#"sweep.router=[{kind="all-cloud"},{kind="oracle"}]"#,
            ])
            .unwrap()
        };
        let sweep = crate::sweep::Sweep::new(&Scenario::load_with(&path, &over).unwrap()).unwrap();
        let r = sweep.run(&|_| {}).unwrap();
        assert_eq!(r.points[1].summary, c.summary);
    }

    #[test]
    fn a_pair_given_for_a_year_before_its_release_is_warned_about() {
        use crate::scenario::Overrides;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let over = Overrides::from_set(&[
            r#"decompose.pairs=[{year=2024,model="Qwen3-8B",accelerator="nvidia-h100"},{year=2025,model="Llama-3.1-8B",accelerator="nvidia-b200"}]"#,
        ])
        .unwrap();
        let s = Scenario::load_with(&root.join("scenarios/decompose-cross.toml"), &over).unwrap();
        let d = decompose(&s, &Inputs::load(&s).unwrap(), 100).unwrap();
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("year 2024 is given Qwen3-8B (released 2025-04)"));
    }
}
