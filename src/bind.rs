//! Binding: a scenario's inputs loaded once, and each scenario point turned into the plain
//! specs the simulation core takes.
//!
//! [`Inputs`] holds what a scenario reads from disk (the profile catalogue) or is handed in
//! memory (the catalogue, and optionally the queries themselves). [`bind`] checks a scenario
//! against the catalogue and builds its [`Bound`] specs: the fixed-batch endpoints of its pool
//! and cloud model ([`FixedBatch`]) and, for the event service, the fleet ([`FleetSpec`]).
//! [`workload`] builds the workload model that decides which tracked models answer each query.
//! Nothing here runs a simulation; the sweep runs bound points.

use crate::metrics::FlopsParams;
use crate::profile::{Catalogue, Pair, ProfileError, Tier};
use crate::scenario::{Scenario, ScenarioError, ServiceKind};
use crate::sim::cloud::{CloudSpec, ReplicaKind};
use crate::sim::local::{LocalGroup, LocalService, LocalSpec};
use crate::sim::power::{BatchCurve, BelowSmallest, ConstantPower, PowerModel};
use crate::sim::{EndpointProfile, FixedBatch, FleetSpec};
use crate::trace::{Query, Replay, TraceError};
use crate::workload::{Workload, WorkloadError, WorkloadSpec};
use std::path::PathBuf;
use std::sync::Arc;

/// Anything that can stop binding or running a scenario.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("{path}: {message}")]
    Fleet { path: PathBuf, message: String },
}

/// What a scenario's points read: the catalogue, and (in memory) possibly the queries.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub catalogue: Catalogue,
    /// Queries given in memory: they replace every point's `[trace]` (which must then not be a
    /// sweep axis).
    pub queries: Option<Arc<Vec<Query>>>,
}

impl Inputs {
    /// Load the scenario's catalogue from disk; queries come from its `[trace]`.
    pub fn load(scenario: &Scenario) -> Result<Inputs, RunError> {
        Ok(Inputs {
            catalogue: Catalogue::load(&scenario.profiles)?,
            queries: None,
        })
    }

    /// A catalogue and queries built in memory. The queries must be numbered `0, 1, 2, ...`
    /// and in arrival order.
    pub fn with_queries(catalogue: Catalogue, queries: Vec<Query>) -> Result<Inputs, RunError> {
        crate::trace::MemorySource::check(&queries)
            .map_err(|m| TraceError::Spec(format!("in-memory queries: {m}")))?;
        Ok(Inputs {
            catalogue,
            queries: Some(Arc::new(queries)),
        })
    }

    /// A prepared replay of the queries `scenario` runs on.
    pub fn replay(&self, scenario: &Scenario) -> Result<Replay, RunError> {
        Ok(match &self.queries {
            Some(q) => Replay::Memory(q.clone()),
            None => scenario.trace.prepare(scenario.seed)?,
        })
    }
}

/// A scenario point's plain specs.
#[derive(Clone, Debug)]
pub struct Bound {
    /// The local pool (model names) and the cloud model.
    pub pool: Vec<String>,
    pub cloud_model: String,
    /// Per-request figures of every pool model and of the cloud model.
    pub service: FixedBatch,
    /// The event service's fleet (`None`: fixed-batch accounting).
    pub fleet: Option<FleetSpec>,
    /// The pair profile files the point uses (for plausibility checks and provenance).
    pub pairs: Vec<PathBuf>,
}

fn fleet_error(s: &Scenario, field: &str, message: String) -> RunError {
    RunError::Fleet {
        path: s.path.clone(),
        message: format!("field `{field}`: {message}"),
    }
}

/// Check that accelerator `id` (named by `field`) is of tier `want`.
fn expect_tier(
    s: &Scenario,
    catalogue: &Catalogue,
    field: &str,
    id: &str,
    want: Tier,
) -> Result<(), RunError> {
    let a = catalogue.accelerator(id)?;
    if a.tier != want {
        return Err(fleet_error(
            s,
            field,
            format!(
                "`{id}` is a {:?} accelerator, expected a {want:?} one",
                a.tier
            ),
        ));
    }
    Ok(())
}

/// The fixed-batch figures of `pair` at `batch` under `s`'s metrics (FLOPs parameters) with
/// energy multiplied by `pue`; `field` names the scenario field that set the batch.
pub fn pair_endpoint(
    s: &Scenario,
    catalogue: &Catalogue,
    pair: &Pair,
    batch: f64,
    pue: f64,
    field: &str,
) -> Result<EndpointProfile, RunError> {
    let point = pair
        .at_batch(batch)
        .map_err(|e| fleet_error(s, field, e.to_string()))?;
    let m = catalogue.model(&pair.model)?;
    let params_b = match s.metrics.flops_params {
        FlopsParams::Active => m.active_params_b,
        FlopsParams::Total => m.total_params_b,
    };
    let price = m.price.unwrap_or_default();
    Ok(EndpointProfile::new(
        point.prefill_tokens_per_s,
        point.decode_step_s,
        &ConstantPower {
            active_w: point.power_w,
            idle_w: 0.0,
        },
        batch,
        pue,
        params_b,
        (price.input_usd_per_mtok, price.output_usd_per_mtok),
    ))
}

/// Check `s` against the catalogue and build its specs.
pub fn bind(s: &Scenario, catalogue: &Catalogue) -> Result<Bound, RunError> {
    let f = &s.fleet;
    for (field, id, want) in [
        ("fleet.local_accelerator", &f.local_accelerator, Tier::Local),
        ("fleet.cloud_accelerator", &f.cloud_accelerator, Tier::Cloud),
    ] {
        expect_tier(s, catalogue, field, id, want)?;
    }
    for (key, variant) in &f.variants {
        let (model, acc) = key.split_once('@').expect("validated by the scenario");
        catalogue.pair_variant(model, acc, Some(variant))?;
    }
    for m in f.local_models.iter().chain([&f.cloud_model]) {
        if catalogue.model(m)?.price.is_none() {
            return Err(RunError::Fleet {
                path: s.path.clone(),
                message: format!(
                    "model `{m}` has no token prices in {} (the cost metric needs them; add price and price_source)",
                    catalogue.dir.join("models.toml").display()
                ),
            });
        }
    }
    let endpoint = |model: &str, acc: &str, batch: f64, pue: f64, field: &str| {
        let pair = catalogue.pair_variant(model, acc, f.variant(model, acc))?;
        pair_endpoint(s, catalogue, pair, batch, pue, field)
    };
    if let Some(dup) = f
        .local_models
        .iter()
        .enumerate()
        .find(|(i, m)| f.local_models[..*i].contains(m))
    {
        return Err(fleet_error(
            s,
            "fleet.local_models",
            format!("`{}` is listed twice", dup.1),
        ));
    }
    // Local energy is the device's own; PUE applies to the datacenter only.
    let local = f
        .local_models
        .iter()
        .map(|m| {
            endpoint(
                m,
                &f.local_accelerator,
                f.local_batch,
                1.0,
                "fleet.local_batch",
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cloud = endpoint(
        &f.cloud_model,
        &f.cloud_accelerator,
        f.cloud_batch,
        f.pue,
        "fleet.cloud_batch",
    )?;
    let fleet = match f.service {
        ServiceKind::FixedBatch => None,
        ServiceKind::Event => Some(fleet_spec(s, catalogue)?),
    };
    let mut pairs = Vec::new();
    for (model, acc) in pairs_used(s) {
        let path = &catalogue
            .pair_variant(&model, &acc, f.variant(&model, &acc))?
            .path;
        if !pairs.contains(path) {
            pairs.push(path.clone());
        }
    }
    Ok(Bound {
        pool: f.local_models.clone(),
        cloud_model: f.cloud_model.clone(),
        service: FixedBatch { local, cloud },
        fleet,
        pairs,
    })
}

/// The (model, accelerator) pairs a point uses: its pool on the local accelerator and the
/// cloud model on the cloud accelerator (the fixed-batch figures every point has), and for the
/// event service every local group's models and every cloud pool.
fn pairs_used(s: &Scenario) -> Vec<(String, String)> {
    let f = &s.fleet;
    let mut used: Vec<(String, String)> = f
        .local_models
        .iter()
        .map(|m| (m.clone(), f.local_accelerator.clone()))
        .chain([(f.cloud_model.clone(), f.cloud_accelerator.clone())])
        .collect();
    if f.service == ServiceKind::Event {
        for g in &f.local.groups {
            used.extend(g.models.iter().map(|m| (m.clone(), g.accelerator.clone())));
        }
        for p in &f.cloud.pools {
            used.push((f.cloud_model.clone(), p.accelerator.clone()));
        }
    }
    used
}

/// The workload model of `s`, tracking the models in `tracked` (pool and cloud models of every
/// point that shares it).
pub fn workload(
    s: &Scenario,
    catalogue: &Catalogue,
    tracked: &[&str],
) -> Result<Workload, RunError> {
    Ok(Workload::new(
        &WorkloadSpec {
            mix: s
                .workload
                .mix
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            correlation: s.workload.correlation,
            model_noise: s.workload.model_noise,
            seed: s.seed,
        },
        catalogue,
        tracked,
    )?)
}

/// The event service's fleet, from the scenario's `[fleet]` and the catalogue.
fn fleet_spec(s: &Scenario, catalogue: &Catalogue) -> Result<FleetSpec, RunError> {
    let f = &s.fleet;
    let idle_of = |field: &str, acc: &str, why: &str| -> Result<f64, RunError> {
        catalogue.accelerator(acc)?.idle_power_w.ok_or_else(|| {
            fleet_error(
                s,
                field,
                format!("{why} but accelerator `{acc}` has no idle_power_w in accelerators.toml (add it with its source{})",
                    if field.ends_with("idle_power") { format!(", or set {field} = false") } else { String::new() }),
            )
        })
    };
    // Local groups: the shorthand is one group of fleet.local_accelerator holding the pool.
    let groups: Vec<(String, Option<u32>, Vec<String>)> = if f.local.groups.is_empty() {
        vec![(
            f.local_accelerator.clone(),
            f.local.devices.count(),
            f.local_models.clone(),
        )]
    } else {
        f.local
            .groups
            .iter()
            .map(|g| (g.accelerator.clone(), g.devices.count(), g.models.clone()))
            .collect()
    };
    let mut local_groups = Vec::new();
    for (acc, devices, models) in groups {
        expect_tier(s, catalogue, "fleet.local.groups", &acc, Tier::Local)?;
        let idle_power_w = if f.local.idle_power && devices.is_some() {
            idle_of("fleet.local.idle_power", &acc, "idle power is counted")?
        } else {
            0.0
        };
        let mut services = vec![None; f.local_models.len()];
        for m in &models {
            let i = f
                .local_models
                .iter()
                .position(|x| x == m)
                .expect("validated: group models are pool models");
            let p = catalogue
                .pair_variant(m, &acc, f.variant(m, &acc))?
                .at_running_batch(1)?;
            services[i] = Some(LocalService {
                prefill_s_per_token: 1.0 / p.prefill_tokens_per_s,
                decode_s_per_token: p.decode_step_s,
                power: ConstantPower {
                    active_w: p.power_w,
                    idle_w: idle_power_w,
                },
            });
        }
        local_groups.push(LocalGroup {
            accelerator: acc,
            devices,
            services,
            idle_power_w,
        });
    }
    // Cloud pools: the shorthand is one pool of fleet.cloud_accelerator.
    let c = &f.cloud;
    let pools: Vec<(String, u32, u32, &str)> = if c.pools.is_empty() {
        let cap = c.max_batch.unwrap_or(f.cloud_batch.round() as u32);
        vec![(
            f.cloud_accelerator.clone(),
            c.replicas,
            cap,
            "fleet.cloud.max_batch",
        )]
    } else {
        c.pools
            .iter()
            .map(|p| {
                (
                    p.accelerator.clone(),
                    p.replicas,
                    p.max_batch,
                    "fleet.cloud.pools.max_batch",
                )
            })
            .collect()
    };
    let mut kinds = Vec::new();
    for (acc, count, cap, cap_field) in pools {
        expect_tier(s, catalogue, "fleet.cloud", &acc, Tier::Cloud)?;
        let pair = catalogue.pair_variant(&f.cloud_model, &acc, f.variant(&f.cloud_model, &acc))?;
        let devices = f64::from(pair.devices);
        let idle = if c.idle_power {
            idle_of("fleet.cloud.idle_power", &acc, "idle power is counted")? * devices
        } else {
            0.0
        };
        // The curve's idle end: the replica's idle power, needed by idle-to-smallest even when
        // idle time itself is not charged.
        let curve_idle = match c.low_batch_power {
            BelowSmallest::Hold => idle,
            BelowSmallest::IdleToSmallest => {
                idle_of(
                    "fleet.cloud.low_batch_power",
                    &acc,
                    "low_batch_power = \"idle-to-smallest\" ramps from idle power",
                )? * devices
            }
        };
        let curve = power_curve(pair, curve_idle, c.low_batch_power);
        let kind = replica_kind(pair, count, cap, idle, &curve)
            .map_err(|e| fleet_error(s, cap_field, format!("batch cap {cap}: {e}")))?;
        kinds.push(kind);
    }
    Ok(FleetSpec {
        local: LocalSpec {
            groups: local_groups,
            mapping: f.local.mapping,
            users: f.local.users,
            count_idle: f.local.idle_power,
            seed: s.seed,
        },
        cloud: CloudSpec {
            kinds,
            dispatch: c.dispatch,
            count_idle: c.idle_power,
            pue: f.pue,
        },
        slo: s.slo,
    })
}

/// The power curve of `pair` (a replica of its devices), drawing `idle_w` at batch 0, with
/// `below` below its smallest measured batch.
pub fn power_curve(pair: &Pair, idle_w: f64, below: BelowSmallest) -> BatchCurve {
    BatchCurve::new(
        pair.points.iter().map(|p| (p.batch, p.power_w)).collect(),
        idle_w,
        below,
    )
    .expect("catalogue pairs have points in increasing batch order (checked on load)")
}

/// `count` replicas of `pair` with batch cap `cap`, drawing `idle_w` watts each when idle and
/// `curve` when running: step time and prefill rate for every running batch `1..=cap` from
/// [`Pair::at_running_batch`] (below the smallest measured batch, that batch's: decode at small
/// batches is memory-bound, so its step time is flat), power from the curve.
pub fn replica_kind(
    pair: &Pair,
    count: u32,
    cap: u32,
    idle_w: f64,
    curve: &BatchCurve,
) -> Result<ReplicaKind, ProfileError> {
    let mut kind = ReplicaKind {
        accelerator: pair.accelerator.clone(),
        count,
        cap,
        step_s: vec![0.0],
        power_w: vec![idle_w],
        prefill_tps: vec![0.0],
    };
    for n in 1..=cap {
        let p = pair.at_running_batch(n)?;
        kind.step_s.push(p.decode_step_s);
        kind.prefill_tps.push(p.prefill_tokens_per_s);
        kind.power_w.push(curve.power_w(f64::from(n)));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Overrides;
    use std::path::Path;

    fn cloud_power(set: &[&str]) -> Vec<f64> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::load_with(
            &root.join("scenarios/fleet-azure-conv.toml"),
            &Overrides::from_set(set).unwrap(),
        )
        .unwrap();
        let cat = Catalogue::load(&root.join("hardware-profiles")).unwrap();
        let fleet = bind(&s, &cat).unwrap().fleet.unwrap();
        fleet.cloud.kinds[0].power_w.clone()
    }

    #[test]
    fn below_the_smallest_measured_batch_replica_power_holds_or_ramps_from_idle_as_chosen() {
        // Qwen3-235B-A22B on 8 x H100 (ML.ENERGY lm-arena-chat): smallest measured batch 8 at
        // 2,828.54 W, then 3,188.6 W at 16; H100 idle 80 W a GPU, 640 W a replica.
        let hold = cloud_power(&[]);
        assert_eq!(hold[0], 640.0);
        assert!(hold[1..=8].iter().all(|&p| p == 2828.54));
        // Halfway from 8 to 16: 2,828.54 + 0.5 x 360.06.
        assert!((hold[12] - 3008.57).abs() < 1e-9);
        let ramp = cloud_power(&["fleet.cloud.low_batch_power=\"idle-to-smallest\""]);
        // 640 + (2,828.54 - 640) n / 8: n = 1 -> 913.5675 W, n = 4 -> 1,734.27 W.
        assert!((ramp[1] - 913.5675).abs() < 1e-9);
        assert!((ramp[4] - 1734.27).abs() < 1e-9);
        assert_eq!(ramp[8], 2828.54);
        assert_eq!(ramp[12], hold[12]);
        // Not counting idle time does not change the ramp's idle end.
        let ramp_no_idle = cloud_power(&[
            "fleet.cloud.low_batch_power=\"idle-to-smallest\"",
            "fleet.cloud.idle_power=false",
        ]);
        assert_eq!(ramp_no_idle[0], 0.0);
        assert_eq!(ramp_no_idle[1], ramp[1]);
    }
}
