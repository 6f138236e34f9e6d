//! The simulation core: serving routed queries and charging them. No I/O.
//!
//! [`Service`] is the seam between routing and serving. This version ships the fixed-batch
//! service ([`FixedBatch`]), which charges every query its endpoint's per-request figures at a
//! fixed batch size, as the paper did; the event-driven core (queueing, continuous batching,
//! idle power) implements the same trait.
//!
//! [`evaluate`] runs one sweep point over a slice of queries and returns the totals; it is a
//! pure function of its inputs, so slices can be evaluated on any thread and summed in a fixed
//! order (DESIGN.md invariant 4).

pub mod calendar;
pub mod cloud;
mod fixed;
pub mod fleet;
pub mod latency;
pub mod local;
pub mod meter;

pub use fixed::{EndpointProfile, FixedBatch, FlopsParams};
pub use fleet::{Completion, Fleet, FleetReport, FleetSpec, Job};

use crate::metrics::Totals;
use crate::router::{Objective, Route, Router};
use crate::trace::Query;
use crate::workload::Workload;

/// What serving one query on one endpoint costs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Charge {
    /// Energy attributed to the query, joules (datacenter energy includes PUE).
    pub energy_j: f64,
    /// Time from start of service to the last token, seconds.
    pub latency_s: f64,
    /// Floating-point operations, 2 x parameters x tokens.
    pub flops: f64,
    /// Token-price cost, USD.
    pub cost_usd: f64,
}

impl Charge {
    /// The value the given objective minimises.
    pub fn objective(&self, o: Objective) -> f64 {
        match o {
            Objective::Energy => self.energy_j,
            Objective::Compute => self.flops,
            Objective::Cost => self.cost_usd,
        }
    }
}

/// An endpoint: local model `i` of the pool, or the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Local(usize),
    Cloud,
}

/// Serves queries on endpoints.
pub trait Service: Sync {
    /// Number of local models in the pool.
    fn local_models(&self) -> usize;
    /// The charge for serving `q` on `endpoint`.
    fn charge(&self, endpoint: Endpoint, q: &Query) -> Charge;
}

/// Everything a sweep point needs besides its router. Shared by all points of a sweep.
pub struct Context<'a, S: Service> {
    pub workload: &'a Workload,
    pub service: &'a S,
    /// Workload model index of each pool model, and of the cloud model.
    pub pool_in_workload: Vec<usize>,
    pub cloud_in_workload: usize,
    /// Per task family, the pool model with the highest accuracy on it (where an erring router
    /// sends a query it wrongly believes local).
    pub strongest_local: Vec<usize>,
}

impl<'a, S: Service> Context<'a, S> {
    /// The cheapest pool model (by `objective`) that answers the query, if any.
    #[inline]
    fn oracle_target(&self, q: &Query, solved: u32, objective: Objective) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, &w) in self.pool_in_workload.iter().enumerate() {
            if solved >> w & 1 == 1 {
                let v = self
                    .service
                    .charge(Endpoint::Local(i), q)
                    .objective(objective);
                if best.is_none_or(|(_, b)| v < b) {
                    best = Some((i, v));
                }
            }
        }
        best.map(|(i, _)| i)
    }
}

/// What the router decided for one query, and what the fixed-batch service charges for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub task: usize,
    pub route: Route,
    /// Some local model answers the query correctly.
    pub solvable: bool,
    /// The query is answered correctly where it is finally served.
    pub correct: bool,
    /// The fixed-batch charge (the event core keeps its FLOPs and cost; it measures energy and
    /// latency itself).
    pub charge: Charge,
}

impl Decision {
    /// Where the event-driven core serves the query.
    pub fn job(&self) -> Job {
        match self.route {
            Route::Cloud => Job::Cloud,
            Route::Local(m) => Job::Local(m),
            Route::LocalThenCloud(m) => Job::LocalThenCloud(m),
        }
    }
}

/// Route one query and charge it on the fixed-batch figures.
#[inline]
pub fn decide<S: Service>(ctx: &Context<'_, S>, router: &Router, q: &Query) -> Decision {
    let index = q.index;
    let attrs = ctx.workload.attributes(index);
    let task = attrs.task as usize;
    let objective = router.config().objective();
    let target = ctx.oracle_target(q, attrs.solved, objective);
    let route = router.route(index, target, ctx.strongest_local[task]);
    let cloud_ok = attrs.solved >> ctx.cloud_in_workload & 1 == 1;
    let (charge, correct) = match route {
        Route::Cloud => (ctx.service.charge(Endpoint::Cloud, q), cloud_ok),
        Route::Local(m) => {
            let ok = attrs.solved >> ctx.pool_in_workload[m] & 1 == 1;
            (ctx.service.charge(Endpoint::Local(m), q), ok)
        }
        Route::LocalThenCloud(m) => {
            let a = ctx.service.charge(Endpoint::Local(m), q);
            let b = ctx.service.charge(Endpoint::Cloud, q);
            let both = Charge {
                energy_j: a.energy_j + b.energy_j,
                latency_s: a.latency_s + b.latency_s,
                flops: a.flops + b.flops,
                cost_usd: a.cost_usd + b.cost_usd,
            };
            (both, cloud_ok)
        }
    };
    Decision {
        task,
        route,
        solvable: target.is_some(),
        correct,
        charge,
    }
}

/// Evaluate `router` on `queries` (consecutive queries of the run, in order) with the
/// fixed-batch service.
pub fn evaluate<S: Service>(ctx: &Context<'_, S>, router: &Router, queries: &[Query]) -> Totals {
    let mut t = Totals::new(ctx.workload.tasks.len(), ctx.service.local_models());
    for q in queries {
        let d = decide(ctx, router, q);
        t.add(d.task, d.route, d.solvable, d.correct, &d.charge, q);
    }
    t
}

/// One sweep point on the event-driven core: its router, its fleet and its running totals.
/// Feed it the run's queries batch by batch, in order, then [`EventPoint::finish`] it.
pub struct EventPoint {
    pub router: Router,
    pub fleet: Fleet,
    pub totals: Totals,
}

impl EventPoint {
    pub fn new(router: Router, fleet: Fleet, tasks: usize, local_models: usize) -> EventPoint {
        EventPoint {
            router,
            fleet,
            totals: Totals::new(tasks, local_models),
        }
    }

    /// Route and submit `queries`, and account for every query finished so far.
    pub fn feed<S: Service>(&mut self, ctx: &Context<'_, S>, queries: &[Query]) {
        for q in queries {
            let d = decide(ctx, &self.router, q);
            self.totals.add_query(
                d.task,
                d.route,
                d.solvable,
                d.correct,
                d.charge.flops,
                d.charge.cost_usd,
                q,
            );
            self.fleet.submit(q, d.job());
        }
        let totals = &mut self.totals;
        self.fleet
            .drain(|c| totals.add_service(c.energy_j, c.service_s));
    }

    /// Serve what is left and close the run; the totals then include idle energy.
    pub fn finish(mut self) -> (Totals, FleetReport) {
        let totals = &mut self.totals;
        let report = self
            .fleet
            .finish(|c| totals.add_service(c.energy_j, c.service_s));
        self.totals.idle_energy_j = report.idle_j();
        (self.totals, report)
    }
}

#[cfg(test)]
mod tests;
