//! Running a scenario: load its inputs once, expand the sweep, evaluate every point in
//! parallel, and derive savings against the all-cloud baseline.
//!
//! The query source is read in batches of [`BATCH`] queries, so memory is bounded whatever the
//! trace's length. Each batch is split into chunks of [`CHUNK`] queries; each (point, chunk)
//! pair is evaluated on any rayon thread and the chunk totals of a point are merged in chunk
//! order, so results are byte-identical whatever the number of threads (DESIGN.md invariant 4).

use crate::metrics::{Summary, Totals};
use crate::profile::{Catalogue, ProfileError};
use crate::router::{Router, RouterConfig};
use crate::scenario::{Scenario, ScenarioError, ServiceKind};
use crate::sim::cloud::{CloudSpec, ReplicaKind};
use crate::sim::local::{LocalGroup, LocalService, LocalSpec};
use crate::sim::{
    evaluate, Context, EndpointProfile, EventPoint, FixedBatch, Fleet, FleetReport, FleetSpec,
};
use crate::trace::{Query, QuerySource, Replay, SourceStats, TraceError};
use crate::workload::{Workload, WorkloadError, WorkloadSpec};
use rayon::prelude::*;

/// Queries per work unit. Fixed, so that the summation order never depends on the machine.
pub const CHUNK: usize = 1 << 16;

/// Queries read from the source at a time (a whole number of chunks).
pub const BATCH: usize = 16 * CHUNK;

/// Anything that can stop a run.
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
    Fleet {
        path: std::path::PathBuf,
        message: String,
    },
}

/// A scenario with its inputs loaded and its models built.
pub struct Plan {
    pub scenario: Scenario,
    pub catalogue: Catalogue,
    /// The prepared trace replay (opens a fresh source per run).
    pub replay: Replay,
    pub workload: Workload,
    pub service: FixedBatch,
    /// The fleet of the event service (`None`: fixed-batch accounting).
    pub fleet: Option<FleetSpec>,
    pub points: Vec<RouterConfig>,
    pool_in_workload: Vec<usize>,
    cloud_in_workload: usize,
    strongest_local: Vec<usize>,
}

/// One evaluated point.
#[derive(Clone, Debug)]
pub struct PointResult {
    pub router: RouterConfig,
    pub totals: Totals,
    pub summary: Summary,
    /// Queueing, latency, utilisation and per-hour energy (event service only).
    pub fleet: Option<FleetReport>,
}

/// The result of a sweep: every point, and the all-cloud baseline they are compared with.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub points: Vec<PointResult>,
    pub baseline: Totals,
    /// The baseline's fleet report (event service only).
    pub baseline_fleet: Option<FleetReport>,
    /// What the query source read and left out.
    pub source: SourceStats,
}

impl Plan {
    /// Load the scenario's catalogue and trace and build its workload and service.
    pub fn new(scenario: Scenario) -> Result<Plan, RunError> {
        let catalogue = Catalogue::load(&scenario.profiles)?;
        let replay = scenario.trace.prepare(scenario.seed)?;
        let f = &scenario.fleet;
        let fleet_error = |message: String| RunError::Fleet {
            path: scenario.path.clone(),
            message,
        };
        for (field, id, want) in [
            (
                "fleet.local_accelerator",
                &f.local_accelerator,
                crate::profile::Tier::Local,
            ),
            (
                "fleet.cloud_accelerator",
                &f.cloud_accelerator,
                crate::profile::Tier::Cloud,
            ),
        ] {
            let a = catalogue.accelerator(id)?;
            if a.tier != want {
                return Err(fleet_error(format!(
                    "field `{field}`: `{id}` is a {:?} accelerator, expected a {want:?} one",
                    a.tier
                )));
            }
        }
        let endpoint =
            |model: &str, acc: &str, batch: f64, pue: f64| -> Result<EndpointProfile, RunError> {
                let pair = catalogue.pair_variant(model, acc, f.variant(model, acc))?;
                let field = if acc == f.cloud_accelerator && model == f.cloud_model {
                    "fleet.cloud_batch"
                } else {
                    "fleet.local_batch"
                };
                let point = pair.at_batch(batch).map_err(|e| RunError::Fleet {
                    path: scenario.path.clone(),
                    message: format!("field `{field}`: {e}"),
                })?;
                Ok(EndpointProfile::new(
                    catalogue.model(model)?,
                    &point,
                    batch,
                    pue,
                    scenario.metrics.flops_params,
                ))
            };
        for (key, variant) in &f.variants {
            let (model, acc) = key.split_once('@').expect("validated by the scenario");
            catalogue.pair_variant(model, acc, Some(variant))?;
        }
        for m in f.local_models.iter().chain([&f.cloud_model]) {
            if catalogue.model(m)?.price.is_none() {
                return Err(fleet_error(format!(
                    "model `{m}` has no token prices in {} (the cost metric needs them; add price and price_source)",
                    catalogue.dir.join("models.toml").display()
                )));
            }
        }
        // Local energy is the device's own; PUE applies to the datacenter only.
        let local = f
            .local_models
            .iter()
            .map(|m| endpoint(m, &f.local_accelerator, f.local_batch, 1.0))
            .collect::<Result<Vec<_>, _>>()?;
        let cloud = endpoint(&f.cloud_model, &f.cloud_accelerator, f.cloud_batch, f.pue)?;
        let mut tracked: Vec<&str> = f.local_models.iter().map(String::as_str).collect();
        if let Some(dup) = tracked
            .iter()
            .enumerate()
            .find(|(i, m)| tracked[..*i].contains(m))
        {
            return Err(fleet_error(format!(
                "field `fleet.local_models`: `{}` is listed twice",
                dup.1
            )));
        }
        tracked.push(&f.cloud_model);
        let workload = Workload::new(
            &WorkloadSpec {
                mix: scenario
                    .workload
                    .mix
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                correlation: scenario.workload.correlation,
                model_noise: scenario.workload.model_noise,
                seed: scenario.seed,
            },
            &catalogue,
            &tracked,
        )?;
        let pool_in_workload: Vec<usize> = (0..f.local_models.len()).collect();
        let cloud_in_workload = f.local_models.len();
        let strongest_local = (0..workload.tasks.len())
            .map(|t| {
                (0..pool_in_workload.len())
                    .max_by(|&a, &b| {
                        workload.models[a].accuracy[t].total_cmp(&workload.models[b].accuracy[t])
                    })
                    .unwrap_or(0)
            })
            .collect();
        let points = scenario.points()?;
        let fleet = match f.service {
            ServiceKind::FixedBatch => None,
            ServiceKind::Event => Some(fleet_spec(&scenario, &catalogue)?),
        };
        Ok(Plan {
            fleet,
            scenario,
            catalogue,
            replay,
            workload,
            service: FixedBatch { local, cloud },
            points,
            pool_in_workload,
            cloud_in_workload,
            strongest_local,
        })
    }

    /// A fresh source of the queries every point replays.
    pub fn source(&self) -> Result<Box<dyn QuerySource>, RunError> {
        Ok(self.replay.open()?)
    }

    /// The first `n` queries of the run (fewer if the source is shorter).
    pub fn first_queries(&self, n: usize) -> Result<Vec<Query>, RunError> {
        let mut source = self.source()?;
        let mut out = Vec::with_capacity(n.min(BATCH));
        while out.len() < n {
            let before = out.len();
            source.next_batch(&mut out, (n - before).min(BATCH))?;
            if out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    fn context(&self) -> Context<'_, FixedBatch> {
        Context {
            workload: &self.workload,
            service: &self.service,
            pool_in_workload: self.pool_in_workload.clone(),
            cloud_in_workload: self.cloud_in_workload,
            strongest_local: self.strongest_local.clone(),
        }
    }

    /// Evaluate one router on `queries`, on the calling thread.
    pub fn evaluate(&self, router: &RouterConfig, queries: &[Query]) -> Totals {
        evaluate(
            &self.context(),
            &Router::new(router.clone(), self.scenario.seed),
            queries,
        )
    }

    /// Serve `queries` with one router on the event-driven core, on the calling thread.
    /// `None` when the scenario uses fixed-batch accounting.
    pub fn simulate(
        &self,
        router: &RouterConfig,
        queries: &[Query],
    ) -> Option<(Totals, FleetReport)> {
        let spec = self.fleet.as_ref()?;
        let mut point = self.event_point(spec, router);
        let ctx = self.context();
        for chunk in queries.chunks(CHUNK) {
            point.feed(&ctx, chunk);
        }
        Some(point.finish())
    }

    /// Evaluate every point (and the all-cloud baseline if it is not one of them), streaming
    /// the source in batches. `progress` is called with the number of queries finished, from
    /// any thread.
    pub fn run(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<SweepResult, RunError> {
        let mut configs = self.points.clone();
        let baseline_index = configs
            .iter()
            .position(|r| *r == RouterConfig::AllCloud)
            .unwrap_or_else(|| {
                configs.push(RouterConfig::AllCloud);
                configs.len() - 1
            });
        let (all, source) = match &self.fleet {
            None => self.run_fixed(&configs, progress)?,
            Some(spec) => self.run_event(spec, &configs, progress)?,
        };
        let baseline = all[baseline_index].0.clone();
        let baseline_fleet = all[baseline_index].1.clone();
        let points = configs
            .into_iter()
            .zip(all)
            .take(self.points.len())
            .map(|(router, (totals, fleet))| PointResult {
                summary: Summary::new(&totals, &baseline),
                router,
                totals,
                fleet,
            })
            .collect();
        Ok(SweepResult {
            points,
            baseline,
            baseline_fleet,
            source,
        })
    }

    /// Each point on the event-driven core: points in parallel, each point's queries in order
    /// on one thread (so its result does not depend on the thread count).
    #[allow(clippy::type_complexity)]
    fn run_event(
        &self,
        spec: &FleetSpec,
        configs: &[RouterConfig],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(Vec<(Totals, Option<FleetReport>)>, SourceStats), RunError> {
        let ctx = self.context();
        let mut states: Vec<EventPoint> =
            configs.iter().map(|c| self.event_point(spec, c)).collect();
        let stats = self.for_each_batch(|batch| {
            states.par_iter_mut().for_each(|s| {
                for chunk in batch.chunks(CHUNK) {
                    s.feed(&ctx, chunk);
                    progress(chunk.len() as u64);
                }
            });
        })?;
        let all = states
            .into_par_iter()
            .map(|s| {
                let (t, r) = s.finish();
                (t, Some(r))
            })
            .collect();
        Ok((all, stats))
    }

    /// A fresh event-core point for `router`.
    fn event_point(&self, spec: &FleetSpec, router: &RouterConfig) -> EventPoint {
        EventPoint::new(
            Router::new(router.clone(), self.scenario.seed),
            Fleet::new(spec.clone(), self.service.local.len()),
            self.workload.tasks.len(),
            self.service.local.len(),
        )
    }

    /// Read the run's queries batch by batch (at most [`BATCH`] at a time), handing each to
    /// `f`; returns what the source read and left out.
    fn for_each_batch(&self, mut f: impl FnMut(&[Query])) -> Result<SourceStats, RunError> {
        let mut source = self.source()?;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            batch.clear();
            source.next_batch(&mut batch, BATCH)?;
            if batch.is_empty() {
                return Ok(source.stats());
            }
            f(&batch);
        }
    }

    /// Each point with fixed-batch accounting: (point, chunk) pairs in parallel, chunk totals
    /// merged in chunk order.
    #[allow(clippy::type_complexity)]
    fn run_fixed(
        &self,
        configs: &[RouterConfig],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(Vec<(Totals, Option<FleetReport>)>, SourceStats), RunError> {
        let ctx = self.context();
        let routers: Vec<Router> = configs
            .iter()
            .map(|c| Router::new(c.clone(), self.scenario.seed))
            .collect();
        let mut totals: Vec<Totals> = (0..routers.len())
            .map(|_| Totals::new(self.workload.tasks.len(), self.service.local.len()))
            .collect();
        let stats = self.for_each_batch(|batch| {
            let chunks: Vec<&[Query]> = batch.chunks(CHUNK).collect();
            let units: Vec<(usize, usize)> = (0..routers.len())
                .flat_map(|p| (0..chunks.len()).map(move |c| (p, c)))
                .collect();
            let partial: Vec<Totals> = units
                .par_iter()
                .map(|&(p, c)| {
                    let t = evaluate(&ctx, &routers[p], chunks[c]);
                    progress(chunks[c].len() as u64);
                    t
                })
                .collect();
            for (&(p, _), t) in units.iter().zip(&partial) {
                totals[p].merge(t);
            }
        })?;
        Ok((totals.into_iter().map(|t| (t, None)).collect(), stats))
    }

    /// Total queries the sweep evaluates (for a progress bar), when the source knows its length.
    pub fn work(&self) -> Option<u64> {
        let extra = u64::from(!self.points.contains(&RouterConfig::AllCloud));
        let n = self.source().ok()?.len_hint()?;
        Some(n * (self.points.len() as u64 + extra))
    }
}

/// The event service's fleet, built from the scenario's `[fleet]` and the catalogue.
fn fleet_spec(scenario: &Scenario, catalogue: &Catalogue) -> Result<FleetSpec, RunError> {
    let f = &scenario.fleet;
    let fleet_error = |field: &str, message: String| RunError::Fleet {
        path: scenario.path.clone(),
        message: format!("field `{field}`: {message}"),
    };
    let idle_of = |field: &str, acc: &str| -> Result<f64, RunError> {
        catalogue.accelerator(acc)?.idle_power_w.ok_or_else(|| {
            fleet_error(
                field,
                format!("idle power is counted but accelerator `{acc}` has no idle_power_w in accelerators.toml (add it with its source, or set {field} = false)"),
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
        let a = catalogue.accelerator(&acc)?;
        if a.tier != crate::profile::Tier::Local {
            return Err(fleet_error(
                "fleet.local.groups",
                format!(
                    "`{acc}` is a {:?} accelerator, expected a Local one",
                    a.tier
                ),
            ));
        }
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
                power_w: p.power_w,
            });
        }
        let idle_power_w = if f.local.idle_power && devices.is_some() {
            idle_of("fleet.local.idle_power", &acc)?
        } else {
            0.0
        };
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
        let a = catalogue.accelerator(&acc)?;
        if a.tier != crate::profile::Tier::Cloud {
            return Err(fleet_error(
                "fleet.cloud",
                format!(
                    "`{acc}` is a {:?} accelerator, expected a Cloud one",
                    a.tier
                ),
            ));
        }
        let pair = catalogue.pair_variant(&f.cloud_model, &acc, f.variant(&f.cloud_model, &acc))?;
        let idle = if c.idle_power {
            idle_of("fleet.cloud.idle_power", &acc)? * f64::from(pair.devices)
        } else {
            0.0
        };
        kinds.push(
            ReplicaKind::from_pair(pair, count, cap, idle)
                .map_err(|e| fleet_error(cap_field, format!("batch cap {cap}: {e}")))?,
        );
    }
    Ok(FleetSpec {
        local: LocalSpec {
            groups: local_groups,
            mapping: f.local.mapping,
            users: f.local.users,
            count_idle: f.local.idle_power,
            seed: scenario.seed,
        },
        cloud: CloudSpec {
            kinds,
            dispatch: c.dispatch,
            count_idle: c.idle_power,
            pue: f.pue,
        },
        slo: scenario.slo,
    })
}
