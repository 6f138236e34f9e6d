//! Running a scenario's points: bound once, evaluated in parallel, compared with all-cloud.
//!
//! [`Sweep::new`] expands the scenario into points (router entries crossed with any other
//! sweep axes, see [`crate::scenario`]), loads the inputs once, and binds every point. Points
//! that read the same queries with the same workload (same trace, seed, workload section and
//! catalogue) form a group: the group's source is read once, in batches of [`BATCH`] queries
//! (memory is bounded whatever the trace's length), and each query's attributes are computed
//! once per chunk of [`CHUNK`] queries and shared by every point of the group.
//!
//! Fixed-batch points are evaluated as (point, chunk) units on any rayon thread, their chunk
//! totals merged in chunk order; event-service points run each on one thread, in query order.
//! Either way results are byte-identical whatever the number of threads (invariant 4).
//!
//! Every point is compared with an all-cloud run of its own configuration (the same axis
//! values): the listed all-cloud point, or a hidden one added for the purpose.

pub use crate::bind::RunError;
use crate::bind::{bind, workload, Bound, Inputs};
use crate::metrics::{Summary, Totals};
use crate::profile::check::{check, Issue};
use crate::profile::Catalogue;
use crate::router::OracleRule;
use crate::router::{Router, RouterConfig};
use crate::scenario::{Scenario, ScenarioPoint};
use crate::serve::{evaluate, facts, Endpoints, EventPoint, Facts, Oracle, Tracking};
use crate::sim::{FixedBatch, FleetReport};
use crate::trace::{ContextLimit, Limited, Query, QuerySource, Replay, SourceStats};
use crate::workload::Workload;
use rayon::prelude::*;

/// Queries per work unit. Fixed, so that the summation order never depends on the machine.
pub const CHUNK: usize = 1 << 16;

/// Queries read from the source at a time (a whole number of chunks).
pub const BATCH: usize = 16 * CHUNK;

/// What describes a run, for reports: no planner state, just names and settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMeta {
    pub name: String,
    pub seed: u64,
    /// Sweep axes other than the router, as dotted keys (one results column each).
    pub axes: Vec<String>,
    /// Every pool model of any point, in order of first appearance (one count column each).
    pub local_models: Vec<String>,
}

/// One point bound to plain specs.
#[derive(Clone, Debug)]
pub struct BoundPoint {
    /// Row in the results (`None`: an all-cloud baseline added for its configuration).
    pub row: Option<usize>,
    /// The configuration (axis values) it belongs to.
    pub config: usize,
    pub router: RouterConfig,
    /// Its value of each sweep axis, as TOML.
    pub axes: Vec<toml::Value>,
    pub seed: u64,
    pub bound: Bound,
    pub tracking: Tracking,
    /// Where it finds the oracle's choice in its group's shared facts.
    pub oracle: Oracle,
}

impl BoundPoint {
    fn endpoints(&self) -> Endpoints<'_, crate::sim::FixedBatch> {
        Endpoints {
            service: &self.bound.service,
            tracking: &self.tracking,
        }
    }

    fn event_point(&self, tasks: usize) -> Option<EventPoint> {
        let spec = self.bound.fleet.clone()?;
        Some(EventPoint::new(
            Router::new(self.router.clone(), self.seed),
            spec,
            tasks,
            self.bound.pool.len(),
        ))
    }
}

/// Points that share queries and workload.
#[derive(Clone, Debug)]
pub struct Group {
    pub replay: Replay,
    /// The context window its queries are checked against (see [`crate::trace::Limited`]).
    pub context: Option<ContextLimit>,
    pub workload: Workload,
    pub points: Vec<BoundPoint>,
    /// The trace file it reads, if any (for warnings).
    pub trace: Option<std::path::PathBuf>,
    /// The distinct (point whose endpoints it uses, oracle rule) pairs the group's
    /// oracle-following routers need: one shared oracle choice per query each.
    pub oracles: Vec<(usize, OracleRule)>,
}

impl Group {
    /// The group's queries: its replay with its context limit applied.
    pub fn source(&self) -> Result<Box<dyn QuerySource>, RunError> {
        let source = self.replay.open()?;
        Ok(match self.context {
            Some(limit) => Box::new(Limited::new(source, limit)),
            None => source,
        })
    }

    /// The shared facts of a chunk.
    fn facts(&self, queries: &[Query]) -> Facts {
        let oracles: Vec<(Endpoints<'_, FixedBatch>, OracleRule)> = self
            .oracles
            .iter()
            .map(|&(p, o)| (self.points[p].endpoints(), o))
            .collect();
        facts(&self.workload, queries, &oracles)
    }
}

/// A scenario bound and ready to run.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub meta: RunMeta,
    pub groups: Vec<Group>,
    /// `profile check` findings on the pair profiles the points use: implausible inputs the
    /// command warns about (or refuses with `--strict`).
    pub findings: Vec<Issue>,
}

/// One evaluated point.
#[derive(Clone, Debug)]
pub struct PointResult {
    pub router: RouterConfig,
    /// Its value of each sweep axis ([`RunMeta::axes`]).
    pub axes: Vec<toml::Value>,
    /// Its local pool (the order of [`Totals::local`]).
    pub pool: Vec<String>,
    /// Its seed (a sweep axis may vary it).
    pub seed: u64,
    pub totals: Totals,
    pub summary: Summary,
    /// Queueing, latency, utilisation and per-hour energy (event service only).
    pub fleet: Option<FleetReport>,
}

/// The result of a sweep: every point in order, and the all-cloud baselines they are compared
/// with.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub points: Vec<PointResult>,
    /// Per configuration, the all-cloud totals and fleet report (event service only).
    pub baselines: Vec<(Totals, Option<FleetReport>)>,
    /// Per configuration, whether its all-cloud run is one of the listed points.
    pub baseline_listed: Vec<bool>,
    /// What each distinct query source read and left out: the trace file, if any, and its
    /// counts (groups that read the same file with the same counts are listed once).
    pub sources: Vec<(Option<std::path::PathBuf>, SourceStats)>,
}

impl Sweep {
    /// Load a scenario's inputs from disk and bind every point.
    pub fn new(scenario: &Scenario) -> Result<Sweep, RunError> {
        let inputs = Inputs::load(scenario)?;
        Sweep::with_inputs(scenario, &inputs)
    }

    /// Bind every point of `scenario` on `inputs` (which may be built in memory).
    pub fn with_inputs(scenario: &Scenario, inputs: &Inputs) -> Result<Sweep, RunError> {
        let points = scenario.points()?;
        if inputs.queries.is_some()
            && points.iter().any(|p| {
                p.axes
                    .iter()
                    .any(|(k, _)| k == "trace" || k.starts_with("trace."))
            })
        {
            return Err(crate::scenario::ScenarioError::Invalid {
                path: scenario.path.clone(),
                field: "sweep".into(),
                message: "trace fields cannot be sweep axes when the queries are given in memory"
                    .into(),
            }
            .into());
        }
        let configs = points.iter().map(|p| p.config).max().map_or(0, |c| c + 1);
        // Each configuration's all-cloud run: listed, or added.
        let mut all: Vec<(Option<usize>, ScenarioPoint)> = points
            .into_iter()
            .enumerate()
            .map(|(i, p)| (Some(i), p))
            .collect();
        for c in 0..configs {
            let listed = all
                .iter()
                .any(|(_, p)| p.config == c && p.router == RouterConfig::AllCloud);
            if !listed {
                let first = all
                    .iter()
                    .find(|(_, p)| p.config == c)
                    .expect("every configuration has a point")
                    .1
                    .clone();
                all.push((
                    None,
                    ScenarioPoint {
                        router: RouterConfig::AllCloud,
                        ..first
                    },
                ));
            }
        }
        let mut meta = RunMeta {
            name: scenario.name.clone(),
            seed: scenario.seed,
            axes: scenario.axis_keys(),
            local_models: Vec::new(),
        };
        // Group points that share queries (and context limit) and workload, in order of first
        // appearance.
        let limits: Vec<Option<ContextLimit>> = all
            .iter()
            .map(|(_, p)| context_limit(&p.scenario, &inputs.catalogue))
            .collect();
        let mut keys: Vec<(&Scenario, Option<ContextLimit>)> = Vec::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, (_, p)) in all.iter().enumerate() {
            let key = |(k, l): &(&Scenario, Option<ContextLimit>)| {
                same_queries(k, &p.scenario) && *l == limits[i]
            };
            match keys.iter().position(key) {
                Some(g) => members[g].push(i),
                None => {
                    keys.push((&p.scenario, limits[i]));
                    members.push(vec![i]);
                }
            }
        }
        let mut groups = Vec::new();
        for ids in &members {
            let first = &all[ids[0]].1.scenario;
            let mut bound = Vec::new();
            let mut tracked: Vec<String> = Vec::new();
            for &i in ids {
                let (row, p) = &all[i];
                let b = bind(&p.scenario, &inputs.catalogue)?;
                for m in b.pool.iter().chain([&b.cloud_model]) {
                    if !tracked.contains(m) {
                        tracked.push(m.clone());
                    }
                }
                if row.is_some() {
                    for m in &b.pool {
                        if !meta.local_models.contains(m) {
                            meta.local_models.push(m.clone());
                        }
                    }
                }
                bound.push((*row, p, b));
            }
            let names: Vec<&str> = tracked.iter().map(String::as_str).collect();
            let w = workload(first, &inputs.catalogue, &names)?;
            let replay = inputs.replay(first)?;
            let mut points: Vec<BoundPoint> = bound
                .into_iter()
                .map(|(row, p, b)| BoundPoint {
                    row,
                    config: p.config,
                    router: p.router.clone(),
                    axes: p.axes.iter().map(|(_, v)| v.clone()).collect(),
                    seed: p.scenario.seed,
                    tracking: Tracking::new(&w, &b.pool, &b.cloud_model)
                        .expect("every pool and cloud model is tracked"),
                    bound: b,
                    oracle: Oracle::Unused,
                })
                .collect();
            // One shared oracle choice per distinct (endpoints, oracle rule).
            let mut oracles: Vec<(usize, OracleRule)> = Vec::new();
            for i in 0..points.len() {
                if !points[i].router.needs_oracle() {
                    continue;
                }
                let rule = points[i].router.oracle_rule();
                let same = |&(j, o): &(usize, OracleRule)| {
                    o == rule
                        && points[j].bound.service == points[i].bound.service
                        && points[j].tracking == points[i].tracking
                };
                let k = match oracles.iter().position(same) {
                    Some(k) => k,
                    None => {
                        oracles.push((i, rule));
                        oracles.len() - 1
                    }
                };
                points[i].oracle = Oracle::Shared(k);
            }
            groups.push(Group {
                replay,
                context: limits[ids[0]],
                workload: w,
                points,
                trace: if inputs.queries.is_some() {
                    None
                } else {
                    first.trace.path.clone()
                },
                oracles,
            });
        }
        let used: Vec<&std::path::PathBuf> = groups
            .iter()
            .flat_map(|g| &g.points)
            .flat_map(|p| &p.bound.pairs)
            .collect();
        let findings = check(&inputs.catalogue)
            .into_iter()
            .filter(|i| used.contains(&&i.path))
            .collect();
        Ok(Sweep {
            meta,
            groups,
            findings,
        })
    }

    /// Points in the results (hidden baselines not counted).
    fn rows(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.points)
            .filter(|p| p.row.is_some())
            .count()
    }

    /// Total queries the sweep evaluates (for a progress bar), when the sources know their
    /// lengths.
    pub fn work(&self) -> Option<u64> {
        let mut n = 0;
        for g in &self.groups {
            n += g.source().ok()?.len_hint()? * g.points.len() as u64;
        }
        Some(n)
    }

    /// Evaluate every point, streaming each group's source in batches. `progress` is called
    /// with the number of queries finished, from any thread.
    pub fn run(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<SweepResult, RunError> {
        let rows = self.rows();
        let configs = self
            .groups
            .iter()
            .flat_map(|g| &g.points)
            .map(|p| p.config + 1)
            .max()
            .unwrap_or(0);
        let mut done: Vec<Option<(Totals, Option<FleetReport>, &BoundPoint)>> = vec![None; rows];
        let mut baselines: Vec<Option<(Totals, Option<FleetReport>)>> = vec![None; configs];
        let mut baseline_listed = vec![false; configs];
        let mut sources: Vec<(Option<std::path::PathBuf>, SourceStats)> = Vec::new();
        for g in &self.groups {
            let (results, stats) = run_group(g, progress)?;
            let source = (g.trace.clone(), stats);
            if !sources.contains(&source) {
                sources.push(source);
            }
            for (p, (totals, fleet)) in g.points.iter().zip(results) {
                if p.router == RouterConfig::AllCloud && baselines[p.config].is_none() {
                    baselines[p.config] = Some((totals.clone(), fleet.clone()));
                    baseline_listed[p.config] = p.row.is_some();
                }
                if let Some(r) = p.row {
                    done[r] = Some((totals, fleet, p));
                }
            }
        }
        let baselines: Vec<(Totals, Option<FleetReport>)> = baselines
            .into_iter()
            .map(|b| b.expect("every configuration has an all-cloud run"))
            .collect();
        let points = done
            .into_iter()
            .map(|d| {
                let (totals, fleet, p) = d.expect("every row is evaluated");
                PointResult {
                    summary: Summary::new(&totals, &baselines[p.config].0),
                    router: p.router.clone(),
                    axes: p.axes.clone(),
                    pool: p.bound.pool.clone(),
                    seed: p.seed,
                    totals,
                    fleet,
                }
            })
            .collect();
        Ok(SweepResult {
            points,
            baselines,
            baseline_listed,
            sources,
        })
    }

    /// The first `n` queries of the first group's source (fewer if it is shorter).
    pub fn first_queries(&self, n: usize) -> Result<Vec<Query>, RunError> {
        first_queries(&self.groups[0].replay, n)
    }

    /// Evaluate the first point on `queries` with the fixed-batch service, on the calling
    /// thread (for benchmarks).
    pub fn evaluate_first(&self, queries: &[Query]) -> Totals {
        let g = &self.groups[0];
        let p = &g.points[0];
        let router = Router::new(p.router.clone(), p.seed);
        let ep = p.endpoints();
        let mut t = Totals::new(g.workload.tasks.len(), p.bound.pool.len());
        for chunk in queries.chunks(CHUNK) {
            let f = g.facts(chunk);
            t.merge(&evaluate(
                &ep,
                &router,
                chunk,
                &f,
                p.oracle,
                g.workload.tasks.len(),
            ));
        }
        t
    }

    /// Serve `queries` with the first point on the event-driven core, on the calling thread
    /// (for benchmarks); `None` for fixed-batch accounting.
    pub fn simulate_first(&self, queries: &[Query]) -> Option<(Totals, FleetReport)> {
        let g = &self.groups[0];
        let p = &g.points[0];
        let mut point = p.event_point(g.workload.tasks.len())?;
        let ep = p.endpoints();
        for chunk in queries.chunks(CHUNK) {
            let f = g.facts(chunk);
            point.feed(&ep, chunk, &f, p.oracle);
        }
        Some(point.finish())
    }
}

/// The first `n` queries of `replay` (fewer if it is shorter).
pub fn first_queries(replay: &Replay, n: usize) -> Result<Vec<Query>, RunError> {
    let mut source = replay.open()?;
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

/// Whether two point scenarios read the same queries with the same workload.
/// The context window a point's queries are checked against: `trace.context_tokens`, else the
/// cloud model's window from the catalogue (none if the catalogue does not give one).
fn context_limit(s: &Scenario, catalogue: &Catalogue) -> Option<ContextLimit> {
    let tokens = s.trace.context_tokens.or_else(|| {
        catalogue
            .model(&s.fleet.cloud_model)
            .ok()
            .and_then(|m| m.context_tokens)
    })?;
    Some(ContextLimit {
        tokens,
        policy: s.trace.over_context,
    })
}

fn same_queries(a: &Scenario, b: &Scenario) -> bool {
    a.trace == b.trace && a.seed == b.seed && a.workload == b.workload && a.profiles == b.profiles
}

type PointOutcome = (Totals, Option<FleetReport>);

/// Run every point of a group over its source.
fn run_group(
    g: &Group,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Vec<PointOutcome>, SourceStats), RunError> {
    let tasks = g.workload.tasks.len();
    let fixed: Vec<usize> = (0..g.points.len())
        .filter(|&i| g.points[i].bound.fleet.is_none())
        .collect();
    let routers: Vec<Router> = g
        .points
        .iter()
        .map(|p| Router::new(p.router.clone(), p.seed))
        .collect();
    let mut totals: Vec<Totals> = g
        .points
        .iter()
        .map(|p| Totals::new(tasks, p.bound.pool.len()))
        .collect();
    let mut events: Vec<(usize, EventPoint)> = g
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.event_point(tasks).map(|e| (i, e)))
        .collect();
    let mut source = g.source()?;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        source.next_batch(&mut batch, BATCH)?;
        if batch.is_empty() {
            break;
        }
        let chunks: Vec<&[Query]> = batch.chunks(CHUNK).collect();
        // Shared work, once per chunk: each query's attributes and oracle choices.
        let shared: Vec<Facts> = chunks.par_iter().map(|c| g.facts(c)).collect();
        let units: Vec<(usize, usize)> = fixed
            .iter()
            .flat_map(|&p| (0..chunks.len()).map(move |c| (p, c)))
            .collect();
        let (partial, ()) = rayon::join(
            || {
                units
                    .par_iter()
                    .map(|&(p, c)| {
                        let point = &g.points[p];
                        let t = evaluate(
                            &point.endpoints(),
                            &routers[p],
                            chunks[c],
                            &shared[c],
                            point.oracle,
                            tasks,
                        );
                        progress(chunks[c].len() as u64);
                        t
                    })
                    .collect::<Vec<Totals>>()
            },
            || {
                events.par_iter_mut().for_each(|(i, e)| {
                    let point = &g.points[*i];
                    let ep = point.endpoints();
                    for (c, chunk) in chunks.iter().enumerate() {
                        e.feed(&ep, chunk, &shared[c], point.oracle);
                        progress(chunk.len() as u64);
                    }
                })
            },
        );
        for (&(p, _), t) in units.iter().zip(&partial) {
            totals[p].merge(t);
        }
    }
    let stats = source.stats();
    let mut out: Vec<PointOutcome> = totals.into_iter().map(|t| (t, None)).collect();
    let finished: Vec<(usize, Totals, FleetReport)> = events
        .into_par_iter()
        .map(|(i, e)| {
            let (t, r) = e.finish();
            (i, t, r)
        })
        .collect();
    for (i, t, r) in finished {
        out[i] = (t, Some(r));
    }
    Ok((out, stats))
}
