//! The simulation core: serving routed queries and measuring what they cost. No I/O, no
//! configuration: it takes plain specs (built by the `bind` module) and queries, and imports
//! nothing from the scenario, catalogue, metrics, report or sweep layers.
//!
//! * [`Service`] charges a query on an endpoint; [`FixedBatch`] is the paper's accounting
//!   (per-request figures at a fixed batch size, no queueing).
//! * [`Fleet`] is the event-driven core: a local tier ([`local`]) and a cloud tier with
//!   continuous batching ([`cloud`]) on one event calendar ([`calendar`]), energy meters
//!   ([`meter`]), latency and SLOs ([`latency`]); finished queries come out as
//!   [`Completion`]s.
//! * [`power`]: the power models both use.
//!
//! Routing a query and counting it happen above this layer (the `serve` module).

pub mod calendar;
pub mod cloud;
mod completion;
mod fixed;
pub mod fleet;
pub mod latency;
pub mod local;
pub mod meter;
pub mod power;

pub use completion::{CloudLeg, Completion, LocalLeg, Prior};
pub use fixed::{EndpointProfile, FixedBatch};
pub use fleet::{Fleet, FleetReport, FleetSpec};

use crate::trace::Query;

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
    /// Both charges, as for a query served on one endpoint and then on another.
    pub fn plus(&self, other: &Charge) -> Charge {
        Charge {
            energy_j: self.energy_j + other.energy_j,
            latency_s: self.latency_s + other.latency_s,
            flops: self.flops + other.flops,
            cost_usd: self.cost_usd + other.cost_usd,
        }
    }
}

/// An endpoint: local model `i` of the pool, or the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Local(usize),
    Cloud,
}

/// Where a query is served: the one routing type, decided by a router and served by a
/// service or the fleet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Cloud,
    /// Local model `i` of the pool.
    Local(usize),
    /// Tried on local model `i`, failed, then served by the cloud.
    LocalThenCloud(usize),
}

/// Serves queries on endpoints.
pub trait Service: Sync {
    /// Number of local models in the pool.
    fn local_models(&self) -> usize;
    /// The charge for serving `q` on `endpoint`.
    fn charge(&self, endpoint: Endpoint, q: &Query) -> Charge;
}

#[cfg(test)]
mod tests;
