//! Queueing closed forms the event core must meet, as runnable experiments: each builds a small
//! fleet, serves Poisson arrivals and returns the simulated figure beside its closed form.
//!
//! Service times are built from tokens: `n_out` drawn exponential with mean 10,000 tokens at
//! 0.1 ms per decode step (mean 1 s; the prefill pass produces the first token, so a query
//! decodes `n_out - 1`), prompts of 0 tokens unless said otherwise. Closed forms use the
//! sample's own service moments, so the token rounding does not enter the comparison.
//! `tests/event_core.rs` (invariant 6) runs these at 400,000 to 1,000,000 arrivals;
//! `ipw-sim validate` at fewer in its fast mode.

use crate::rng::{Purpose, Stream};
use crate::sim::calendar::secs;
use crate::sim::cloud::{CloudSpec, Dispatch, ReplicaKind};
use crate::sim::latency::Slo;
use crate::sim::local::{LocalGroup, LocalService, LocalSpec, Mapping};
use crate::sim::power::ConstantPower;
use crate::sim::{Completion, Fleet, FleetReport, FleetSpec, Route};
use crate::trace::Query;

/// Seconds per decode step of the test devices and replicas.
pub const S_PER_TOKEN: f64 = 1e-4;
/// Mean response length, tokens.
pub const MEAN_TOKENS: f64 = 10_000.0;
/// Prefill rate of the test devices and replicas, tokens per second.
pub const PREFILL_TPS: f64 = 1e5;

/// `n` Poisson arrivals at `rate` per second with exponential response lengths.
pub fn poisson(n: usize, rate: f64, seed: u64) -> Vec<Query> {
    let s = Stream::new(seed, Purpose::Synthesis);
    let mut t = 0.0;
    (0..n as u64)
        .map(|i| {
            t += -s.unit(2 * i).ln() / rate;
            let tokens = (-s.unit(2 * i + 1).ln() * MEAN_TOKENS).round().max(1.0);
            Query {
                index: i,
                arrival_s: t,
                input_tokens: 0,
                output_tokens: tokens as u32,
            }
        })
        .collect()
}

/// A group of `devices` test devices (unlimited if `None`) holding one model.
pub fn local_group(devices: Option<u32>, power_w: f64, idle_w: f64) -> LocalGroup {
    LocalGroup {
        accelerator: "test-device".into(),
        devices,
        services: vec![Some(LocalService {
            prefill_s_per_token: 1.0 / PREFILL_TPS,
            decode_s_per_token: S_PER_TOKEN,
            power: ConstantPower {
                active_w: power_w,
                idle_w,
            },
        })],
        idle_power_w: idle_w,
    }
}

/// A replica kind whose step time and power follow `step(n)` and `power(n)` for `n` running.
pub fn kind(
    count: u32,
    cap: u32,
    step: impl Fn(f64) -> f64,
    power: impl Fn(f64) -> f64,
    idle_w: f64,
) -> ReplicaKind {
    let ns = || (1..=cap).map(f64::from);
    ReplicaKind {
        accelerator: "test-gpu".into(),
        count,
        cap,
        step_s: std::iter::once(0.0).chain(ns().map(&step)).collect(),
        power_w: std::iter::once(idle_w).chain(ns().map(&power)).collect(),
        prefill_tps: std::iter::once(0.0)
            .chain(ns().map(|_| PREFILL_TPS))
            .collect(),
    }
}

/// A fleet of `local` groups and `cloud` replica kinds, no idle power, PUE 1.
pub fn spec(local: Vec<LocalGroup>, mapping: Mapping, cloud: Vec<ReplicaKind>) -> FleetSpec {
    FleetSpec {
        local: LocalSpec {
            groups: local,
            mapping,
            users: None,
            count_idle: false,
            seed: 1,
        },
        cloud: CloudSpec {
            kinds: cloud,
            dispatch: Dispatch::LeastWork,
            count_idle: false,
            pue: 1.0,
        },
        slo: Slo::default(),
    }
}

/// A fleet whose queries all go to the cloud tier `cloud` (one unlimited local group unused).
pub fn cloud_only(cloud: Vec<ReplicaKind>) -> FleetSpec {
    spec(
        vec![local_group(None, 1.0, 0.0)],
        Mapping::LeastLoaded,
        cloud,
    )
}

/// Serve `queries` (each as `job(q)`), returning the completions in index order and the report.
/// `seen` gets the cloud tier's in-flight count each arrival finds (before it joins).
pub fn serve(
    spec: FleetSpec,
    queries: &[Query],
    job: impl Fn(&Query) -> Route,
    mut seen: impl FnMut(usize),
) -> (Vec<Completion>, FleetReport) {
    let mut fleet = Fleet::new(spec, 1);
    let mut done = Vec::with_capacity(queries.len());
    for q in queries {
        fleet.submit(q, job(q));
        seen(fleet.cloud_in_flight() - usize::from(job(q) == Route::Cloud));
        fleet.drain(|c| done.push(*c));
    }
    let report = fleet.finish(|c| done.push(*c));
    done.sort_by_key(|c| c.index);
    (done, report)
}

/// Mean and second moment of the service times of `queries` (prompt tokens at the prefill
/// rate, then `n_out - 1` decode steps), seconds.
pub fn service_moments(queries: &[Query]) -> (f64, f64) {
    let n = queries.len() as f64;
    let s = |q: &Query| {
        f64::from(q.input_tokens) / PREFILL_TPS + f64::from(q.output_tokens - 1) * S_PER_TOKEN
    };
    (
        queries.iter().map(s).sum::<f64>() / n,
        queries.iter().map(|q| s(q) * s(q)).sum::<f64>() / n,
    )
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n as f64
}

/// A simulated figure and the closed form it must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Versus {
    pub simulated: f64,
    pub closed_form: f64,
}

impl Versus {
    /// `|simulated / closed form - 1|`.
    pub fn relative_gap(&self) -> f64 {
        (self.simulated / self.closed_form - 1.0).abs()
    }
}

/// Pollaczek-Khinchine: mean wait `lambda E[S^2] / (2 (1 - rho))`.
fn pollaczek_khinchine(rate: f64, qs: &[Query]) -> f64 {
    let (es, es2) = service_moments(qs);
    rate * es2 / (2.0 * (1.0 - rate * es))
}

/// Serve `qs` on `c` least-loaded test devices.
fn on_local_devices(c: u32, qs: &[Query]) -> (Vec<Completion>, FleetReport) {
    serve(
        spec(
            vec![local_group(Some(c), 100.0, 0.0)],
            Mapping::LeastLoaded,
            vec![kind(1, 1, |_| S_PER_TOKEN, |_| 1.0, 0.0)],
        ),
        qs,
        |_| Route::Local(0),
        |_| {},
    )
}

/// M/M/1 on one local device at load 0.7: mean wait.
pub fn mm1_local(n: usize) -> Versus {
    let rate = 0.7;
    let qs = poisson(n, rate, 11);
    let (done, _) = on_local_devices(1, &qs);
    Versus {
        simulated: mean(done.iter().map(|c| c.queue_s)),
        closed_form: pollaczek_khinchine(rate, &qs),
    }
}

/// M/M/4 on four least-loaded local devices at load 0.7: mean wait (Erlang C) and
/// utilisation.
pub fn mmc_local(n: usize) -> (Versus, Versus) {
    let (c, rate) = (4u32, 2.8);
    let qs = poisson(n, rate, 12);
    let (es, _) = service_moments(&qs);
    let a = rate * es;
    let rho = a / f64::from(c);
    let (done, report) = on_local_devices(c, &qs);
    (
        Versus {
            simulated: mean(done.iter().map(|x| x.queue_s)),
            closed_form: crate::plan::erlang::mean_wait(c, a, es),
        },
        Versus {
            simulated: report.local.utilisation,
            closed_form: rho,
        },
    )
}

/// M/M/1 on a cloud replica with batch cap 1 at load 0.7: mean wait and utilisation.
pub fn mm1_cloud(n: usize) -> (Versus, Versus) {
    let rate = 0.7;
    let qs = poisson(n, rate, 13);
    let (es, _) = service_moments(&qs);
    let (done, report) = serve(
        cloud_only(vec![kind(1, 1, |_| S_PER_TOKEN, |_| 500.0, 0.0)]),
        &qs,
        |_| Route::Cloud,
        |_| {},
    );
    (
        Versus {
            simulated: mean(done.iter().map(|c| c.queue_s)),
            closed_form: pollaczek_khinchine(rate, &qs),
        },
        Versus {
            simulated: report.cloud.utilisation,
            closed_form: rate * es,
        },
    )
}

/// M/G/1 on a cloud replica with cap 1 whose service includes prompts of 0-4,000 tokens in
/// prefill: mean wait; and the largest gap between a query's TTFT and its wait plus prefill
/// (seconds), over the first 1,000.
pub fn mg1_cloud_with_prefill(n: usize) -> (Versus, f64) {
    let rate = 0.7;
    let qs: Vec<Query> = poisson(n, rate, 16)
        .into_iter()
        .map(|mut q| {
            q.input_tokens = (q.index * 7919 % 4001) as u32;
            q
        })
        .collect();
    let (done, _) = serve(
        cloud_only(vec![kind(1, 1, |_| S_PER_TOKEN, |_| 500.0, 0.0)]),
        &qs,
        |_| Route::Cloud,
        |_| {},
    );
    let ttft_gap = qs
        .iter()
        .zip(&done)
        .take(1000)
        .map(|(q, c)| (c.ttft_s() - (c.queue_s + f64::from(q.input_tokens) / PREFILL_TPS)).abs())
        .fold(0.0, super::worst_of);
    (
        Versus {
            simulated: mean(done.iter().map(|c| c.queue_s)),
            closed_form: pollaczek_khinchine(rate, &qs),
        },
        ttft_gap,
    )
}

/// M/M/1 processor sharing on the virtual token clock (step time `n` x 0.1 ms for `n`
/// running) at load 0.7: mean sojourn `E[S] / (1 - rho)`, and Little's law (the mean number
/// in system found by arrivals against `lambda W`).
pub fn processor_sharing(n: usize) -> (Versus, Versus) {
    let rate = 0.7;
    let qs = poisson(n, rate, 14);
    let (es, _) = service_moments(&qs);
    let mut seen = 0.0;
    let (done, _) = serve(
        cloud_only(vec![kind(1, 1000, |n| n * S_PER_TOKEN, |_| 500.0, 0.0)]),
        &qs,
        |_| Route::Cloud,
        |n| seen += n as f64,
    );
    let w = mean(done.iter().map(|c| c.e2e_s()));
    let lambda = qs.len() as f64 / qs.last().map_or(1.0, |q| q.arrival_s);
    (
        Versus {
            simulated: w,
            closed_form: es / (1.0 - rate * es),
        },
        Versus {
            simulated: seen / qs.len() as f64,
            closed_form: lambda * w,
        },
    )
}

/// The end of the last completion, seconds.
pub fn makespan(done: &[Completion]) -> f64 {
    secs(done.iter().map(|c| c.end).max().unwrap_or(0))
}
