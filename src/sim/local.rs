//! The local tier: devices (laptops, workstations) serving one query at a time, first come
//! first served, with no events of its own.
//!
//! A device serves a query in `n_in / R + (n_out - 1) * s` seconds at power `P` (the pair's
//! batch-1 point): the prefill pass produces the first token, each decode step one more. Because a device is FIFO with batch 1 and every service time is known at arrival,
//! its start time follows from Lindley's recursion, `start = max(arrival, device free)`, when
//! the query arrives: arrivals come in time order, so the tier needs no calendar.
//!
//! Devices come in groups (an accelerator kind, a device count or "unlimited", the pool models
//! it holds). A query for pool model `m` goes to a device of a group holding `m`:
//! * `affinity`: each query belongs to one of `users` users (drawn uniformly, keyed by query
//!   index, since traces carry no user id) and each user always uses the same device among
//!   those that hold `m` (a hash of the user);
//! * `least-loaded`: the device that frees up first (with FIFO service this is exactly a
//!   central FIFO queue in front of the devices: the M/M/c discipline).
//!
//! A group with unlimited devices starts every query on arrival ("every user has a laptop").

use super::calendar::{secs, ticks, Ticks};
use super::meter::{Meter, HOUR, MINUTE, MINUTE_BINS};
use super::power::{ConstantPower, PowerModel};
use crate::rng::{Purpose, Stream};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How one device kind serves one pool model at batch 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalService {
    pub prefill_s_per_token: f64,
    pub decode_s_per_token: f64,
    /// Device power while serving this model (and idle), watts.
    pub power: ConstantPower,
}

/// A group of identical devices.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalGroup {
    pub accelerator: String,
    /// Number of devices; `None` is unlimited (every query starts on arrival).
    pub devices: Option<u32>,
    /// Per pool model, how this group serves it (`None`: the group does not hold it).
    pub services: Vec<Option<LocalService>>,
    /// Power of an idle device, watts (used only when idle power is counted).
    pub idle_power_w: f64,
}

/// How queries are mapped to devices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// The device that frees up first.
    #[default]
    LeastLoaded,
    /// The device of the query's user.
    Affinity,
}

/// The local tier's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalSpec {
    pub groups: Vec<LocalGroup>,
    pub mapping: Mapping,
    /// Users, for `affinity` (default: one per device).
    pub users: Option<u64>,
    /// Count idle power of provisioned devices (off by default: the device exists anyway).
    pub count_idle: bool,
    pub seed: u64,
}

/// When and at what energy a query was served.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Served {
    pub start: Ticks,
    pub first_token: Ticks,
    pub end: Ticks,
    pub energy_j: f64,
    pub group: u32,
    /// The device within its group (`None` in an unlimited group).
    pub device: Option<u32>,
    pub power_w: f64,
}

struct GroupState {
    /// Affinity: when each device frees up.
    free_at: Vec<Ticks>,
    /// Least-loaded: (free time, device), earliest first.
    heap: BinaryHeap<Reverse<(Ticks, u32)>>,
    /// Energy each device has spent serving, joules.
    device_j: Vec<f64>,
    meter: Meter,
}

/// The local tier's state.
pub struct LocalTier {
    spec: LocalSpec,
    groups: Vec<GroupState>,
    /// Per pool model, the groups holding it.
    eligible: Vec<Vec<usize>>,
    /// Start times of queries that arrived and have not started yet.
    waiting: BinaryHeap<Reverse<Ticks>>,
    affinity: Stream,
}

impl LocalTier {
    /// A tier with every device idle. Each pool model must be held by at least one group
    /// (checked when the scenario is built).
    pub fn new(spec: LocalSpec, pool_models: usize) -> LocalTier {
        let groups = spec
            .groups
            .iter()
            .map(|g| {
                let n = g.devices.unwrap_or(0) as usize;
                GroupState {
                    free_at: if spec.mapping == Mapping::Affinity {
                        vec![0; n]
                    } else {
                        Vec::new()
                    },
                    heap: if spec.mapping == Mapping::LeastLoaded {
                        (0..n as u32).map(|d| Reverse((0, d))).collect()
                    } else {
                        BinaryHeap::new()
                    },
                    device_j: vec![0.0; n],
                    meter: Meter::default(),
                }
            })
            .collect();
        let eligible = (0..pool_models)
            .map(|m| {
                (0..spec.groups.len())
                    .filter(|&g| spec.groups[g].services.get(m).is_some_and(|s| s.is_some()))
                    .collect()
            })
            .collect();
        LocalTier {
            affinity: Stream::new(spec.seed, Purpose::Affinity),
            spec,
            groups,
            eligible,
            waiting: BinaryHeap::new(),
        }
    }

    /// The group and device that serve query `index` for model `m` arriving at `arrival`, and
    /// when that device frees up (`None` device: an unlimited group).
    fn pick(&mut self, m: usize, index: u64, arrival: Ticks) -> (usize, Option<u32>, Ticks) {
        let eligible = &self.eligible[m];
        if let Some(&g) = eligible
            .iter()
            .find(|&&g| self.spec.groups[g].devices.is_none())
        {
            return (g, None, arrival);
        }
        match self.spec.mapping {
            Mapping::Affinity => {
                let total: u64 = eligible
                    .iter()
                    .map(|&g| u64::from(self.spec.groups[g].devices.unwrap_or(0)))
                    .sum();
                let users = self.spec.users.unwrap_or(total).max(1);
                let user = scale(self.affinity.bits(index), users);
                let mut d = scale(self.affinity.substream(1).bits(user), total);
                for &g in eligible {
                    let n = u64::from(self.spec.groups[g].devices.unwrap_or(0));
                    if d < n {
                        return (g, Some(d as u32), self.groups[g].free_at[d as usize]);
                    }
                    d -= n;
                }
                unreachable!("the hash is below the device total")
            }
            Mapping::LeastLoaded => {
                let (mut best, mut best_key) = (eligible[0], (Ticks::MAX, u32::MAX));
                for &g in eligible {
                    if let Some(&Reverse(key)) = self.groups[g].heap.peek() {
                        if key < best_key {
                            (best, best_key) = (g, key);
                        }
                    }
                }
                self.groups[best].heap.pop();
                (best, Some(best_key.1), best_key.0)
            }
        }
    }

    /// Serve query `index` (`n_in` prompt, `n_out` response tokens) on pool model `m`.
    #[inline]
    pub fn serve(&mut self, m: usize, index: u64, arrival: Ticks, n_in: u32, n_out: u32) -> Served {
        while self.waiting.peek().is_some_and(|&Reverse(s)| s <= arrival) {
            self.waiting.pop();
        }
        let (g, device, free) = self.pick(m, index, arrival);
        let svc = self.spec.groups[g].services[m].expect("eligible groups hold the model");
        let start = arrival.max(free);
        let prefill = f64::from(n_in) * svc.prefill_s_per_token;
        let first_token = start + ticks(prefill);
        let end = first_token + ticks(f64::from(n_out.saturating_sub(1)) * svc.decode_s_per_token);
        let power_w = svc.power.power_w(1.0);
        let energy_j = power_w * secs(end - start);
        let state = &mut self.groups[g];
        state.meter.add(start, end, power_w, true);
        if let Some(d) = device {
            state.device_j[d as usize] += energy_j;
            match self.spec.mapping {
                Mapping::Affinity => state.free_at[d as usize] = end,
                Mapping::LeastLoaded => state.heap.push(Reverse((end, d))),
            }
        }
        if start > arrival {
            self.waiting.push(Reverse(start));
        }
        Served {
            start,
            first_token,
            end,
            energy_j,
            group: g as u32,
            device,
            power_w,
        }
    }

    /// Queries waiting at time `t` (not before the last arrival served).
    pub fn waiting_at(&mut self, t: Ticks) -> u64 {
        while self.waiting.peek().is_some_and(|&Reverse(s)| s <= t) {
            self.waiting.pop();
        }
        self.waiting.len() as u64
    }

    /// Provisioned devices (`None` if any group is unlimited).
    pub fn devices(&self) -> Option<u64> {
        self.spec
            .groups
            .iter()
            .map(|g| g.devices.map(u64::from))
            .sum()
    }

    /// Close the run: add idle energy over `[0, idle_end)` if counted (`idle_end` is the last
    /// arrival, the same for every strategy), and return the tier's meter and the sum of every
    /// device's own integrated energy.
    pub fn finish(&mut self, idle_end: Ticks) -> (Meter, f64) {
        let mut total = Meter::default();
        let mut device_sum = 0.0;
        for (spec, state) in self.spec.groups.iter().zip(&mut self.groups) {
            match spec.devices {
                Some(n) if self.spec.count_idle => {
                    // After the last arrival every device works through its backlog without a
                    // gap, so its busy time after `idle_end` runs from `idle_end` to when it
                    // frees up; that time is taken off the hour `idle_end` falls in.
                    let free: Vec<Ticks> = match self.spec.mapping {
                        Mapping::Affinity => state.free_at.clone(),
                        Mapping::LeastLoaded => state.heap.iter().map(|r| r.0 .0).collect(),
                    };
                    let hours = idle_end.div_ceil(HOUR) as usize;
                    let idle =
                        idle_seconds(idle_end, HOUR, hours, &state.meter.hourly_busy_s, &free, n);
                    for (h, idle_s) in idle.into_iter().enumerate() {
                        state.meter.add_idle_in_hour(h, idle_s * spec.idle_power_w);
                    }
                    // The same by the minute, for the minute series.
                    let minutes = (idle_end.div_ceil(MINUTE) as usize).min(MINUTE_BINS);
                    let idle = idle_seconds(
                        idle_end,
                        MINUTE,
                        minutes,
                        &state.meter.minute_busy_s,
                        &free,
                        n,
                    );
                    for (m, idle_s) in idle.into_iter().enumerate() {
                        state
                            .meter
                            .add_idle_in_minute(m, idle_s * spec.idle_power_w);
                    }
                    device_sum += state.device_j.iter().sum::<f64>() + state.meter.idle_j;
                }
                Some(_) => device_sum += state.device_j.iter().sum::<f64>(),
                None => device_sum += state.meter.total_j(),
            }
            total.merge(&state.meter);
        }
        (total, device_sum)
    }
}

/// Idle device-seconds of `n` devices in each of the first `bins` bins of `width` ticks,
/// up to `idle_end`: the provisioned time less the busy time (`busy[b]`, from the meter),
/// where busy time after `idle_end` (devices working through their backlog until `free`) is
/// taken off the bin `idle_end` falls in.
fn idle_seconds(
    idle_end: Ticks,
    width: Ticks,
    bins: usize,
    busy: &[f64],
    free: &[Ticks],
    n: u32,
) -> Vec<f64> {
    (0..bins)
        .map(|b| {
            let from = b as Ticks * width;
            let bin_end = from + width;
            let to = idle_end.min(bin_end);
            let busy_after: f64 = free
                .iter()
                .map(|&f| secs(f.min(bin_end).saturating_sub(to)))
                .sum();
            let busy = busy.get(b).copied().unwrap_or(0.0) - busy_after;
            (f64::from(n) * secs(to - from) - busy).max(0.0)
        })
        .collect()
}

/// `bits` scaled to `0..n` (multiply-shift; uniform for uniform bits).
#[inline]
fn scale(bits: u64, n: u64) -> u64 {
    ((u128::from(bits) * u128::from(n)) >> 64) as u64
}
