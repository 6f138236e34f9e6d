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

mod fixed;

pub use fixed::{EndpointProfile, FixedBatch, FlopsParams};

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

/// Evaluate `router` on `queries` (consecutive queries of the run, in order).
pub fn evaluate<S: Service>(ctx: &Context<'_, S>, router: &Router, queries: &[Query]) -> Totals {
    let mut t = Totals::new(ctx.workload.tasks.len(), ctx.service.local_models());
    let objective = router.config().objective();
    for &q in queries {
        let index = q.index;
        let attrs = ctx.workload.attributes(index);
        let task = attrs.task as usize;
        let target = ctx.oracle_target(&q, attrs.solved, objective);
        let route = router.route(index, target, ctx.strongest_local[task]);
        let cloud_ok = attrs.solved >> ctx.cloud_in_workload & 1 == 1;
        let (charge, correct) = match route {
            Route::Cloud => (ctx.service.charge(Endpoint::Cloud, &q), cloud_ok),
            Route::Local(m) => {
                let ok = attrs.solved >> ctx.pool_in_workload[m] & 1 == 1;
                (ctx.service.charge(Endpoint::Local(m), &q), ok)
            }
            Route::LocalThenCloud(m) => {
                let a = ctx.service.charge(Endpoint::Local(m), &q);
                let b = ctx.service.charge(Endpoint::Cloud, &q);
                let both = Charge {
                    energy_j: a.energy_j + b.energy_j,
                    latency_s: a.latency_s + b.latency_s,
                    flops: a.flops + b.flops,
                    cost_usd: a.cost_usd + b.cost_usd,
                };
                (both, cloud_ok)
            }
        };
        t.add(task, route, target.is_some(), correct, &charge, &q);
    }
    t
}

#[cfg(test)]
mod tests;
