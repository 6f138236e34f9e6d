//! The event-driven fleet: a local tier and a cloud tier served from one event calendar.
//!
//! Queries are submitted in arrival order. Before a query is admitted, every event due at or
//! before its arrival is handled, so the fleet is always in the state the arrival sees. The
//! local tier computes each query's service on arrival (see [`super::local`]); the cloud tier
//! is event-driven (see [`super::cloud`]); an escalated query (tried locally, then sent to the
//! cloud) becomes a cloud arrival event at the end of its local attempt.
//!
//! Finished queries come out as [`Completion`]s (drained by the caller with
//! [`Fleet::drain`]). [`Fleet::finish`] handles the remaining events and closes the energy
//! meters; the report says whether a tier was overloaded (see [`Overload`]).

use super::calendar::{secs, ticks, Calendar, Ticks};
use super::cloud::{CloudSpec, CloudTier, Event};
use super::completion::{Completion, LocalLeg, Prior};
use super::latency::{LatencyCdfs, LatencyRecorder, LatencySummary, Slo};
use super::local::{LocalSpec, LocalTier};
use super::meter::{Meter, MINUTE, MINUTE_BINS};
use super::Route;
use crate::trace::Query;

/// The fleet's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetSpec {
    pub local: LocalSpec,
    pub cloud: CloudSpec,
    pub slo: Slo,
}

/// Seconds between samples of the waiting queues (for overload detection).
pub const SAMPLE_S: f64 = 60.0;

/// Whether a tier could not keep up with its arrivals.
///
/// The waiting queue (queries arrived and not yet started) is sampled every [`SAMPLE_S`]
/// seconds and at the last arrival. The queue starts empty, so a long queue means arrivals
/// outran the tier for a sustained stretch: a tier is overloaded when its queue ever held more
/// than `10 x slots + 100` queries (slots: devices, or replicas x batch cap; a stable queue
/// that long is vanishingly rare, e.g. probability 0.9^110 for one device at 90% load).
/// `growth_per_s` is the steepest growth of the queue over any clock hour of arrivals (the
/// least-squares slope of that hour's samples; the whole run if shorter than an hour).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overload {
    pub overloaded: bool,
    /// Steepest growth of the waiting queue over an hour, queries per second.
    pub growth_per_s: f64,
    /// Waiting queries at the last arrival, and the most at any sample (and when).
    pub final_waiting: u64,
    pub max_waiting: u64,
    pub max_waiting_at_s: f64,
}

/// What one tier did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TierReport {
    /// Devices or batch slots provisioned (`None`: unlimited).
    pub slots: Option<u64>,
    /// Energy in total and per hour (cloud: PUE applied).
    pub meter: Meter,
    /// The sum of every device's (replica's) own integrated energy, joules.
    pub device_energy_j: f64,
    /// Local: busy device-time / provisioned device-time. Cloud: time-average share of batch
    /// slots in use. NaN for unlimited devices.
    pub utilisation: f64,
    /// Highest power of the tier held for a positive time, watts (cloud only; NaN for the
    /// local tier, whose devices are not simulated in time order).
    pub peak_power_w: f64,
    pub overload: Overload,
}

/// The fleet's report for one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetReport {
    /// From time 0 to the last completion, seconds.
    pub span_s: f64,
    /// From time 0 to the last arrival, seconds: the span over which idle power is counted
    /// (the same for every strategy on the same trace).
    pub arrivals_span_s: f64,
    pub completed: u64,
    /// Sum of per-query energies, joules.
    pub attributed_j: f64,
    pub local: TierReport,
    pub cloud: TierReport,
    pub latency: LatencySummary,
    /// TTFT and end-to-end distributions, all queries and per tier.
    pub latency_cdfs: LatencyCdfs,
    /// Arrivals in each minute of the meters' minute series (the first
    /// [`super::meter::MINUTE_BINS`] minutes; up to the last arrival's minute).
    pub arrivals_per_minute: Vec<u64>,
}

impl FleetReport {
    /// Idle energy of both tiers, joules.
    pub fn idle_j(&self) -> f64 {
        self.local.meter.idle_j + self.cloud.meter.idle_j
    }
}

/// The event-driven core.
pub struct Fleet {
    cal: Calendar<Event>,
    local: LocalTier,
    cloud: CloudTier,
    out: Vec<Completion>,
    latency: LatencyRecorder,
    attributed_j: f64,
    completed: u64,
    last_arrival: Ticks,
    /// The latest completion so far.
    last_end: Ticks,
    next_sample: Ticks,
    samples: Vec<(Ticks, u64, u64)>,
    arrivals_per_minute: Vec<u64>,
}

impl Fleet {
    /// A fleet with every device and replica idle at time 0.
    pub fn new(spec: FleetSpec, pool_models: usize) -> Fleet {
        Fleet {
            cal: Calendar::default(),
            local: LocalTier::new(spec.local, pool_models),
            cloud: CloudTier::new(spec.cloud),
            out: Vec::new(),
            latency: LatencyRecorder::new(spec.slo),
            attributed_j: 0.0,
            completed: 0,
            last_arrival: 0,
            last_end: 0,
            next_sample: 0,
            samples: Vec::new(),
            arrivals_per_minute: Vec::new(),
        }
    }

    /// Queries in the cloud tier (waiting or admitted).
    pub fn cloud_in_flight(&self) -> usize {
        self.cloud.in_flight()
    }

    fn sample_until(&mut self, t: Ticks) {
        while self.next_sample <= t {
            let at = self.next_sample;
            let local = self.local.waiting_at(at);
            self.samples.push((at, local, self.cloud.waiting));
            self.next_sample += ticks(SAMPLE_S);
        }
    }

    /// Handle every event due at or before `t`.
    fn run_until(&mut self, t: Ticks) {
        while let Some(next) = self.cal.next_time() {
            if next > t {
                break;
            }
            self.sample_until(next.saturating_sub(1));
            let (now, event) = self.cal.pop().expect("peeked");
            self.cloud.handle(event, now, &mut self.cal, &mut self.out);
        }
    }

    /// Serve `q` where `route` says. Queries must come in arrival order.
    pub fn submit(&mut self, q: &Query, route: Route) {
        let t = ticks(q.arrival_s);
        assert!(
            t >= self.last_arrival,
            "queries must be submitted in arrival order"
        );
        self.run_until(t);
        self.sample_until(t.saturating_sub(1));
        self.cal.advance(t);
        self.last_arrival = t;
        let minute = (t / MINUTE) as usize;
        if minute < MINUTE_BINS {
            if self.arrivals_per_minute.len() <= minute {
                self.arrivals_per_minute.resize(minute + 1, 0);
            }
            self.arrivals_per_minute[minute] += 1;
        }
        match route {
            Route::Local(m) => {
                let s = self
                    .local
                    .serve(m, q.index, t, q.input_tokens, q.output_tokens);
                self.out.push(Completion {
                    index: q.index,
                    arrival: t,
                    start: s.start,
                    first_token: s.first_token,
                    end: s.end,
                    queue_s: secs(s.start - t),
                    service_s: secs(s.end - s.start),
                    energy_j: s.energy_j,
                    cloud_energy_j: 0.0,
                    local: Some(leg(&s)),
                    cloud: None,
                });
            }
            Route::Cloud => {
                let id = self.cloud.new_request(
                    q.index,
                    t,
                    q.input_tokens,
                    q.output_tokens,
                    Prior::default(),
                );
                self.cloud.arrive(id, t, &mut self.cal);
            }
            Route::LocalThenCloud(m) => {
                let s = self
                    .local
                    .serve(m, q.index, t, q.input_tokens, q.output_tokens);
                let prior = Prior {
                    energy_j: s.energy_j,
                    service_s: secs(s.end - s.start),
                    queue_s: secs(s.start - t),
                    local: Some(leg(&s)),
                };
                let id = self
                    .cloud
                    .new_request(q.index, t, q.input_tokens, q.output_tokens, prior);
                self.cal.schedule(s.end, Event::Arrive(id));
            }
        }
    }

    /// Hand every query finished so far to `f` (recording its latency). Cloud completions come
    /// in completion order; local ones as soon as they are computed, at arrival.
    pub fn drain(&mut self, mut f: impl FnMut(&Completion)) {
        for c in self.out.drain(..) {
            self.last_end = self.last_end.max(c.end);
            self.latency
                .record(c.queue_s, c.ttft_s(), c.e2e_s(), c.cloud.is_none());
            self.attributed_j += c.energy_j;
            self.completed += 1;
            f(&c);
        }
    }

    /// Serve everything still in flight, close the meters, and report. `f` gets the last
    /// completions, as with [`Fleet::drain`].
    pub fn finish(&mut self, f: impl FnMut(&Completion)) -> FleetReport {
        // The queues at the last arrival, then idle power stops counting there.
        let at = self.last_arrival;
        let local_waiting = self.local.waiting_at(at);
        self.samples.push((at, local_waiting, self.cloud.waiting));
        self.next_sample = Ticks::MAX; // no samples during the drain
        self.cloud.stop_idle_at(at);
        self.run_until(Ticks::MAX);
        self.drain(f);
        // The run ends at the last completion (or the last arrival, if later): not at the
        // calendar's clock, which may have popped a stale (re-planned) decode event after it.
        let end = self.last_end.max(at);
        let (local_meter, local_devices) = self.local.finish(at);
        let (cloud_meter, cloud_devices, cloud_util) = self.cloud.finish(end);
        let span = secs(end);
        let local_slots = self.local.devices();
        let cloud_slots = self.cloud.slots();
        let local_util = match local_slots {
            Some(n) if n > 0 && span > 0.0 => local_meter.busy_s / (n as f64 * span),
            _ => f64::NAN,
        };
        FleetReport {
            span_s: span,
            arrivals_span_s: secs(at),
            completed: self.completed,
            attributed_j: self.attributed_j,
            local: TierReport {
                slots: local_slots,
                overload: self.overload(|s| s.1, local_slots),
                meter: local_meter,
                device_energy_j: local_devices,
                utilisation: local_util,
                peak_power_w: f64::NAN,
            },
            cloud: TierReport {
                slots: Some(cloud_slots),
                overload: self.overload(|s| s.2, Some(cloud_slots)),
                meter: cloud_meter,
                device_energy_j: cloud_devices,
                utilisation: cloud_util,
                peak_power_w: self.cloud.peak_power_w(end) * self.cloud.pue(),
            },
            latency: self.latency.summary(),
            latency_cdfs: self.latency.cdfs(),
            arrivals_per_minute: std::mem::take(&mut self.arrivals_per_minute),
        }
    }

    fn overload(&self, value: impl Fn(&(Ticks, u64, u64)) -> u64, slots: Option<u64>) -> Overload {
        let (max_at, max_waiting) = self
            .samples
            .iter()
            .map(|s| (s.0, value(s)))
            .fold((0, 0), |best, x| if x.1 > best.1 { x } else { best });
        let final_waiting = self.samples.last().map_or(0, &value);
        // Steepest hourly growth (samples grouped by clock hour of the run).
        let mut growth = 0.0_f64;
        let mut i = 0;
        while i < self.samples.len() {
            let hour = self.samples[i].0 / super::meter::HOUR;
            let j = i + self.samples[i..]
                .iter()
                .take_while(|s| s.0 / super::meter::HOUR == hour)
                .count();
            let window: Vec<(f64, f64)> = self.samples[i..j]
                .iter()
                .map(|s| (secs(s.0), value(s) as f64))
                .collect();
            growth = growth.max(slope(&window));
            i = j;
        }
        Overload {
            overloaded: slots.is_some_and(|n| max_waiting > 10 * n + 100),
            growth_per_s: growth,
            final_waiting,
            max_waiting,
            max_waiting_at_s: secs(max_at),
        }
    }
}

fn leg(s: &super::local::Served) -> LocalLeg {
    LocalLeg {
        group: s.group,
        device: s.device,
        start: s.start,
        end: s.end,
        power_w: s.power_w,
    }
}

/// Least-squares slope of `y` on `x` (0 with fewer than two points).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in points {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}
