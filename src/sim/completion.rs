//! What the fleet reports for each finished query: its times, energy and where it was served.

use super::calendar::{secs, Ticks};

/// A query's attempt on a local device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalLeg {
    pub group: u32,
    /// The device within its group (`None` in an unlimited group).
    pub device: Option<u32>,
    pub start: Ticks,
    pub end: Ticks,
    /// Device power while serving it, watts.
    pub power_w: f64,
}

/// A query's stay in the cloud tier (it ends at the completion).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CloudLeg {
    pub replica: u32,
    pub arrival: Ticks,
    pub admit: Ticks,
}

/// One finished query. Times are ticks from the start of the replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Completion {
    pub index: u64,
    pub arrival: Ticks,
    /// When service started (the local attempt, for an escalated query).
    pub start: Ticks,
    pub first_token: Ticks,
    pub end: Ticks,
    /// Time spent waiting for a device or a batch slot (both tiers, if escalated), seconds.
    pub queue_s: f64,
    /// Time spent being served (both tiers, if escalated), seconds.
    pub service_s: f64,
    /// Energy attributed to the query (cloud energy includes PUE), joules.
    pub energy_j: f64,
    /// The part of `energy_j` spent in the cloud tier (0 for a query served locally).
    pub cloud_energy_j: f64,
    /// Where it was served.
    pub local: Option<LocalLeg>,
    pub cloud: Option<CloudLeg>,
}

impl Completion {
    pub fn ttft_s(&self) -> f64 {
        secs(self.first_token - self.arrival)
    }
    pub fn e2e_s(&self) -> f64 {
        secs(self.end - self.arrival)
    }
}

/// What a request brings to the cloud from an earlier local attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prior {
    pub energy_j: f64,
    pub service_s: f64,
    pub queue_s: f64,
    /// The local attempt.
    pub local: Option<LocalLeg>,
}
