//! Energy break-even between local pairs and a cloud endpoint, under the fixed-batch
//! accounting (`sim::FixedBatch`).
//!
//! On an endpoint at batch `b` with prefill rate `R`, decode step `s`, power `P` and energy
//! multiplier `PUE` (1 for local devices), a query of `n_in` prompt and `n_out` response
//! tokens costs
//!
//! ```text
//! E = a n_in + c n_out,   a = PUE P / R   (J per prompt token),   c = PUE (P / b) s   (J per response token)
//! ```
//!
//! so a local pair `(a_l, c_l)` beats the cloud `(a_c, c_c)` on a query iff
//! `(a_l - a_c) n_in + (c_l - c_c) n_out < 0`: the boundary is a ray through the origin of
//! the (prompt, response) plane. Either one side wins every query, or local wins exactly the
//! queries whose response / prompt ratio lies above (or below) `k = (a_l - a_c) / (c_c - c_l)`
//! ([`Boundary`]). Each local pair is also measured on the scenario's own queries: its energy
//! on the mean query, and the share of queries it serves for less energy than the cloud.

use crate::bind::{pair_endpoint, Inputs, RunError};
use crate::profile::{Catalogue, Pair, Tier};
use crate::scenario::Scenario;
use crate::sim::EndpointProfile;
use crate::sweep::first_queries;
use crate::trace::Query;

/// Where local beats the cloud in the (prompt, response) plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Boundary {
    /// On every query (no more per prompt token and per response token, less on one).
    Always,
    /// On no query.
    Never,
    /// On queries with more than `k` response tokens per prompt token.
    ResponsesAbove(f64),
    /// On queries with fewer than `k` response tokens per prompt token.
    ResponsesBelow(f64),
}

impl Boundary {
    /// The boundary between a local pair and the cloud, from their joules per prompt token
    /// (`a`) and per response token (`c`).
    pub fn between(local: (f64, f64), cloud: (f64, f64)) -> Boundary {
        let (da, dc) = (local.0 - cloud.0, local.1 - cloud.1);
        match (da, dc) {
            _ if da <= 0.0 && dc <= 0.0 && (da < 0.0 || dc < 0.0) => Boundary::Always,
            _ if da >= 0.0 && dc >= 0.0 => Boundary::Never,
            // Dearer per prompt token, cheaper per response token: wins on long responses.
            _ if da > 0.0 => Boundary::ResponsesAbove(da / -dc),
            _ => Boundary::ResponsesBelow(-da / dc),
        }
    }

    /// Whether local wins a query of `n_in` prompt and `n_out` response tokens.
    pub fn local_wins(self, n_in: f64, n_out: f64) -> bool {
        match self {
            Boundary::Always => true,
            Boundary::Never => false,
            Boundary::ResponsesAbove(k) => n_out > k * n_in,
            Boundary::ResponsesBelow(k) => n_out < k * n_in,
        }
    }

    /// The response-per-prompt ratio at the boundary (NaN when one side always wins).
    pub fn ratio(self) -> f64 {
        match self {
            Boundary::ResponsesAbove(k) | Boundary::ResponsesBelow(k) => k,
            _ => f64::NAN,
        }
    }

    /// In words, e.g. `response/prompt > 0.31`.
    pub fn describe(self) -> String {
        match self {
            Boundary::Always => "always".into(),
            Boundary::Never => "never".into(),
            Boundary::ResponsesAbove(k) => format!("response/prompt > {k:.3}"),
            Boundary::ResponsesBelow(k) => format!("response/prompt < {k:.3}"),
        }
    }
}

/// One endpoint's energy per token.
#[derive(Clone, Debug, PartialEq)]
pub struct PairEnergy {
    pub model: String,
    pub accelerator: String,
    pub variant: String,
    /// The pair's default variant.
    pub default: bool,
    /// Replica (device) power at the batch size, watts.
    pub power_w: f64,
    pub batch: f64,
    /// Joules per prompt token and per response token (PUE applied for the cloud).
    pub j_per_prompt_token: f64,
    pub j_per_response_token: f64,
}

impl PairEnergy {
    fn new(cat: &Catalogue, pair: &Pair, batch: f64, e: &EndpointProfile) -> PairEnergy {
        let power_w = pair.at_batch(batch).map_or(f64::NAN, |p| p.power_w);
        PairEnergy {
            model: pair.model.clone(),
            accelerator: pair.accelerator.clone(),
            variant: pair.variant.clone(),
            default: cat
                .pair(&pair.model, &pair.accelerator)
                .is_ok_and(|d| d.path == pair.path),
            power_w,
            batch,
            j_per_prompt_token: e.prefill_j_per_token,
            j_per_response_token: e.decode_j_per_token,
        }
    }

    /// Energy of a query, joules.
    pub fn query_j(&self, n_in: f64, n_out: f64) -> f64 {
        self.j_per_prompt_token * n_in + self.j_per_response_token * n_out
    }

    fn per_token(&self) -> (f64, f64) {
        (self.j_per_prompt_token, self.j_per_response_token)
    }
}

/// One local pair variant against the cloud endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct PairBreakEven {
    pub local: PairEnergy,
    /// The pair is in the scenario's pool (its model on the scenario's local accelerator).
    pub in_pool: bool,
    pub boundary: Boundary,
    /// Energy of the scenario's mean query locally, joules.
    pub mean_query_j: f64,
    /// Share of the sampled queries the pair serves for less energy than the cloud.
    pub cheaper_share: f64,
}

/// The break-even analysis of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakEven {
    /// The scenario's cloud endpoint (its model, accelerator and variant, at `fleet.cloud_batch`
    /// with `fleet.pue`).
    pub cloud: PairEnergy,
    pub pue: f64,
    /// Queries sampled from the scenario's trace, and their mean prompt and response tokens.
    pub queries: u64,
    pub mean_prompt: f64,
    pub mean_response: f64,
    /// Energy of the mean query in the cloud, joules.
    pub cloud_mean_query_j: f64,
    /// Every local-tier pair variant of the catalogue measured at `fleet.local_batch`.
    pub pairs: Vec<PairBreakEven>,
    /// Local pair variants left out, with the reason (e.g. no point at the local batch size).
    pub skipped: Vec<String>,
}

/// Prompt and response lengths of the break-even grid (tokens).
pub const GRID_PROMPTS: [u32; 6] = [64, 256, 1024, 4096, 16384, 65536];
pub const GRID_RESPONSES: [u32; 6] = [16, 64, 256, 1024, 4096, 16384];

/// The break-even analysis of `s`: every local-tier pair variant of the catalogue at
/// `fleet.local_batch` against the scenario's cloud endpoint, on the first `sample` queries of
/// its trace.
pub fn breakeven(s: &Scenario, inputs: &Inputs, sample: usize) -> Result<BreakEven, RunError> {
    let cat = &inputs.catalogue;
    let f = &s.fleet;
    let cloud_pair = cat.pair_variant(
        &f.cloud_model,
        &f.cloud_accelerator,
        f.variant(&f.cloud_model, &f.cloud_accelerator),
    )?;
    let cloud_ep = pair_endpoint(
        s,
        cat,
        cloud_pair,
        f.cloud_batch,
        f.pue,
        "fleet.cloud_batch",
    )?;
    let cloud = PairEnergy::new(cat, cloud_pair, f.cloud_batch, &cloud_ep);
    let queries = first_queries(&inputs.replay(s)?, sample)?;
    let (mean_prompt, mean_response) = crate::trace::mean_lengths(&queries);
    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    for pair in local_pairs(cat) {
        let ep = match pair_endpoint(s, cat, pair, f.local_batch, 1.0, "fleet.local_batch") {
            Ok(ep) => ep,
            Err(e) => {
                skipped.push(format!(
                    "{}@{} ({}): {e}",
                    pair.model, pair.accelerator, pair.variant
                ));
                continue;
            }
        };
        let local = PairEnergy::new(cat, pair, f.local_batch, &ep);
        let boundary = Boundary::between(local.per_token(), cloud.per_token());
        pairs.push(PairBreakEven {
            in_pool: pair.accelerator == f.local_accelerator
                && f.local_models.contains(&pair.model)
                && cat
                    .pair_variant(
                        &pair.model,
                        &pair.accelerator,
                        f.variant(&pair.model, &pair.accelerator),
                    )
                    .is_ok_and(|v| v.path == pair.path),
            boundary,
            mean_query_j: local.query_j(mean_prompt, mean_response),
            cheaper_share: cheaper_share(&local, &cloud, &queries),
            local,
        });
    }
    Ok(BreakEven {
        cloud_mean_query_j: cloud.query_j(mean_prompt, mean_response),
        cloud,
        pue: f.pue,
        queries: queries.len() as u64,
        mean_prompt,
        mean_response,
        pairs,
        skipped,
    })
}

/// Every local-tier pair variant, ordered by model, accelerator and variant.
fn local_pairs(cat: &Catalogue) -> Vec<&Pair> {
    let mut out: Vec<&Pair> = cat
        .pairs
        .iter()
        .filter(|p| {
            cat.accelerator(&p.accelerator)
                .is_ok_and(|a| a.tier == Tier::Local)
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.model, &a.accelerator, &a.variant).cmp(&(&b.model, &b.accelerator, &b.variant))
    });
    out
}

/// Share of `queries` that cost less energy on `local` than on `cloud` (compared charge by
/// charge, not through the boundary, so the two can be checked against each other).
fn cheaper_share(local: &PairEnergy, cloud: &PairEnergy, queries: &[Query]) -> f64 {
    let wins = queries
        .iter()
        .filter(|q| {
            let (i, o) = (f64::from(q.input_tokens), f64::from(q.output_tokens));
            local.query_j(i, o) < cloud.query_j(i, o)
        })
        .count();
    wins as f64 / queries.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_is_the_ray_where_both_sides_cost_the_same() {
        // Local: 3 J per prompt token, 1 J per response token; cloud: 1 and 5. Local is dearer
        // by 2 J per prompt token and cheaper by 4 J per response token: equal where
        // 2 n_in = 4 n_out, i.e. response/prompt = 0.5.
        let b = Boundary::between((3.0, 1.0), (1.0, 5.0));
        assert_eq!(b, Boundary::ResponsesAbove(0.5));
        assert!(b.local_wins(100.0, 51.0) && !b.local_wins(100.0, 49.0));
        // The mirror case: cheaper per prompt token, dearer per response token.
        assert_eq!(
            Boundary::between((1.0, 5.0), (3.0, 1.0)),
            Boundary::ResponsesBelow(0.5)
        );
        assert_eq!(Boundary::between((1.0, 1.0), (1.0, 2.0)), Boundary::Always);
        assert_eq!(Boundary::between((1.0, 2.0), (1.0, 2.0)), Boundary::Never);
        assert_eq!(Boundary::between((2.0, 2.0), (1.0, 2.0)), Boundary::Never);
        assert_eq!(
            Boundary::ResponsesAbove(0.5).describe(),
            "response/prompt > 0.500"
        );
    }

    #[test]
    fn breakeven_on_the_paper_scenario_follows_the_profiles() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::load(&root.join("scenarios/paper-fig4.toml")).unwrap();
        let cat = Catalogue::load(&root.join("hardware-profiles")).unwrap();
        // Three queries: 1000 + 100, 100 + 1000 and 10 + 10 tokens.
        let queries: Vec<Query> = [(1000, 100), (100, 1000), (10, 10)]
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| Query {
                index: i as u64,
                arrival_s: i as f64,
                input_tokens: a,
                output_tokens: b,
            })
            .collect();
        let inputs = Inputs::with_queries(cat, queries).unwrap();
        let r = breakeven(&s, &inputs, 10).unwrap();
        assert_eq!(r.queries, 3);
        assert_eq!((r.mean_prompt, r.mean_response), (370.0, 370.0));
        // The cloud: Qwen3-235B-A22B on 8 x H200 at batch 16 (from-h100-itl): decode step and
        // power interpolated at 16 (a measured point), prefill by the compute roofline.
        assert_eq!(
            (r.cloud.model.as_str(), r.cloud.accelerator.as_str()),
            ("Qwen3-235B-A22B", "nvidia-h200")
        );
        // Qwen3-4B on the M4 Max (Table 13 default): 4e9 x 2 B / 546 GB/s = 14.652 ms per
        // response token at the pair's power; 920 prompt tokens per second.
        let q4 = r
            .pairs
            .iter()
            .find(|p| {
                p.local.model == "Qwen3-4B"
                    && p.local.default
                    && p.local.accelerator == "apple-m4-max"
            })
            .unwrap();
        assert!(q4.in_pool);
        // Only the variant the scenario uses is in the pool.
        assert!(r
            .pairs
            .iter()
            .filter(|p| p.local.model == "Qwen3-4B" && p.local.accelerator == "apple-m4-max")
            .all(|p| p.in_pool == p.local.default));
        let w = q4.local.power_w;
        assert!((q4.local.j_per_response_token - w * 0.014652).abs() < 1e-9);
        assert!((q4.local.j_per_prompt_token - w / 920.0).abs() < 1e-9);
        // Every pair's share of cheaper queries agrees with its boundary, query by query.
        for p in &r.pairs {
            let wins = [(1000.0, 100.0), (100.0, 1000.0), (10.0, 10.0)]
                .iter()
                .filter(|&&(i, o)| p.boundary.local_wins(i, o))
                .count();
            assert_eq!(p.cheaper_share, wins as f64 / 3.0, "{:?}", p.local);
        }
        // Pairs off the pool are reported too (e.g. the A18 Pro), never the cloud tier.
        assert!(r
            .pairs
            .iter()
            .any(|p| p.local.accelerator == "apple-a18-pro" && !p.in_pool));
        assert!(r.pairs.iter().all(|p| p.local.accelerator != "nvidia-h100"));
    }
}
