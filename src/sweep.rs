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
use crate::sim::{evaluate, Context, EndpointProfile, FixedBatch};
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
}

/// The result of a sweep: every point, and the all-cloud baseline they are compared with.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub points: Vec<PointResult>,
    pub baseline: Totals,
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
        // The only service so far; the event-driven core adds a match arm here.
        let ServiceKind::FixedBatch = f.service;
        let endpoint =
            |model: &str, acc: &str, batch: f64, pue: f64| -> Result<EndpointProfile, RunError> {
                let pair = catalogue.pair(model, acc)?;
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
        Ok(Plan {
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

    /// Evaluate every point (and the all-cloud baseline if it is not one of them), streaming
    /// the source in batches. `progress` is called with the number of queries finished, from
    /// any thread.
    pub fn run(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<SweepResult, RunError> {
        let ctx = self.context();
        let mut configs = self.points.clone();
        let baseline_index = configs
            .iter()
            .position(|r| *r == RouterConfig::AllCloud)
            .unwrap_or_else(|| {
                configs.push(RouterConfig::AllCloud);
                configs.len() - 1
            });
        let routers: Vec<Router> = configs
            .iter()
            .map(|c| Router::new(c.clone(), self.scenario.seed))
            .collect();
        let mut totals: Vec<Totals> = (0..routers.len())
            .map(|_| Totals::new(self.workload.tasks.len(), self.service.local.len()))
            .collect();
        let mut source = self.source()?;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            batch.clear();
            source.next_batch(&mut batch, BATCH)?;
            if batch.is_empty() {
                break;
            }
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
        }
        let baseline = totals[baseline_index].clone();
        let points = configs
            .into_iter()
            .zip(totals)
            .take(self.points.len())
            .map(|(router, totals)| PointResult {
                summary: Summary::new(&totals, &baseline),
                router,
                totals,
            })
            .collect();
        Ok(SweepResult {
            points,
            baseline,
            source: source.stats(),
        })
    }

    /// Total queries the sweep evaluates (for a progress bar), when the source knows its length.
    pub fn work(&self) -> Option<u64> {
        let extra = u64::from(!self.points.contains(&RouterConfig::AllCloud));
        let n = self.source().ok()?.len_hint()?;
        Some(n * (self.points.len() as u64 + extra))
    }
}
