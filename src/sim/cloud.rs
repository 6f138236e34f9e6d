//! The cloud tier: replicas with continuous batching, in closed form between events.
//!
//! A replica runs up to `cap` requests at once. A request dispatched to it waits in the
//! replica's FIFO queue until a slot is free, is admitted, spends `n_in / R(n)` seconds in
//! prefill, then decodes its `n_out` tokens. With `n` requests admitted (prefilling or
//! decoding), each decode step takes `s(n)` seconds and the replica draws `P(n)` watts, both
//! interpolated from the pair's measured batch sizes; with none it draws its idle power.
//!
//! There are no per-token or per-step events. Between two events `n` is constant, so every
//! decoding request gains tokens at the same rate `1 / s(n)`: the replica keeps a virtual token
//! clock `V` (tokens each decoding request has gained since the replica was last empty) and a
//! request joining decode at `V0` finishes when `V = V0 + n_out`. The next completion is the
//! smallest finish mark, reached after `(V_min - V) * s(n)` seconds; it is the only decode
//! event a replica has scheduled, re-planned whenever `n` changes (older plans are ignored by
//! generation number). Energy works the same way: an energy clock `E` grows by `P(n) / n` joules
//! per second per admitted request, so a request's share of the batch energy is `E` at
//! completion minus `E` at admission: every admitted request, prefilling or decoding, occupies
//! one slot and pays one `n`-th of the replica's power while it does (for decoding requests,
//! which each gain one token per step, this is the share by tokens processed).
//!
//! Dispatch happens on arrival: to the replica with the least outstanding work (estimated
//! replica-seconds of the requests dispatched to it and not yet completed, at full batch), or
//! round robin.

use super::calendar::{secs, ticks_ceil, Calendar, Ticks};
use super::fleet::Completion;
use super::meter::Meter;
use crate::profile::{Pair, ProfileError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Virtual-token slack when deciding that a request has finished (event times are rounded up
/// to whole nanoseconds, so a finished request is never more than this short).
const FINISH_EPS: f64 = 1e-6;

/// One kind of replica: an accelerator kind running the cloud model, `count` times.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaKind {
    pub accelerator: String,
    pub count: u32,
    /// Continuous-batching cap (vLLM `max_num_seqs`).
    pub cap: u32,
    /// Decode step time with `n` requests admitted, seconds; index `n` in `1..=cap`.
    pub step_s: Vec<f64>,
    /// Replica power with `n` admitted, watts; index 0 is the idle power.
    pub power_w: Vec<f64>,
    /// Prefill rate with `n` admitted, prompt tokens per second; index `n` in `1..=cap`.
    pub prefill_tps: Vec<f64>,
}

impl ReplicaKind {
    /// `count` replicas of `pair` with batch cap `cap`, drawing `idle_w` watts per replica when
    /// idle: step time, power and prefill rate for every running batch `1..=cap` from
    /// [`Pair::at_running_batch`].
    pub fn from_pair(
        pair: &Pair,
        count: u32,
        cap: u32,
        idle_w: f64,
    ) -> Result<ReplicaKind, ProfileError> {
        let (mut step_s, mut power_w, mut prefill_tps) = (vec![0.0], vec![idle_w], vec![0.0]);
        for n in 1..=cap {
            let p = pair.at_running_batch(n)?;
            step_s.push(p.decode_step_s);
            power_w.push(p.power_w);
            prefill_tps.push(p.prefill_tokens_per_s);
        }
        Ok(ReplicaKind {
            accelerator: pair.accelerator.clone(),
            count,
            cap,
            step_s,
            power_w,
            prefill_tps,
        })
    }

    /// Estimated replica-seconds a request adds at full batch (the dispatcher's work unit).
    fn work(&self, n_in: u32, n_out: u32) -> f64 {
        let c = self.cap as usize;
        f64::from(n_in) / self.prefill_tps[c] + f64::from(n_out) * self.step_s[c] / c as f64
    }
}

/// How arriving requests are spread over replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dispatch {
    /// The replica with the least outstanding work (ties: the lowest index).
    #[default]
    LeastWork,
    /// Each replica in turn.
    RoundRobin,
}

/// The cloud tier's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct CloudSpec {
    pub kinds: Vec<ReplicaKind>,
    pub dispatch: Dispatch,
    /// Count idle power of provisioned replicas.
    pub count_idle: bool,
    /// Datacenter power usage effectiveness, applied to every cloud joule.
    pub pue: f64,
}

/// The fleet's events. Only the cloud tier schedules any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request reaches the cloud (an escalation after a local attempt).
    Arrive(u32),
    /// A request's prefill ends.
    PrefillDone(u32),
    /// The planned next completion of a replica, valid if the generation still matches.
    Decode { replica: u32, generation: u32 },
}

/// Latency and energy a request brings from an earlier local attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prior {
    pub energy_j: f64,
    pub service_s: f64,
    pub queue_s: f64,
    /// When the local attempt started.
    pub start: Option<Ticks>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Request {
    index: u64,
    /// When the query entered the system (trace arrival).
    origin: Ticks,
    /// When it reached the cloud.
    arrival: Ticks,
    n_in: u32,
    n_out: u32,
    replica: u32,
    admit: Ticks,
    e_admit: f64,
    first_token: Ticks,
    work: f64,
    prior: Prior,
}

struct Replica {
    kind: usize,
    n: u32,
    waiting: VecDeque<u32>,
    /// (finish mark as f64 bits, request), earliest first; marks are >= 0 so bits order them.
    decoding: BinaryHeap<Reverse<(u64, u32)>>,
    v: f64,
    e: f64,
    last: Ticks,
    generation: u32,
    work: f64,
    power_now: f64,
    meter: Meter,
    slot_s: f64,
}

/// The cloud tier's state.
pub struct CloudTier {
    spec: CloudSpec,
    replicas: Vec<Replica>,
    requests: Vec<Request>,
    free: Vec<u32>,
    next_rr: usize,
    /// Requests dispatched and not yet admitted, over all replicas.
    pub waiting: u64,
    /// Current and peak power of the tier (before PUE), watts.
    power_now: f64,
    pub peak_power_w: f64,
}

impl CloudTier {
    pub fn new(spec: CloudSpec) -> CloudTier {
        let mut replicas = Vec::new();
        for (k, kind) in spec.kinds.iter().enumerate() {
            for _ in 0..kind.count {
                replicas.push(Replica {
                    kind: k,
                    n: 0,
                    waiting: VecDeque::new(),
                    decoding: BinaryHeap::new(),
                    v: 0.0,
                    e: 0.0,
                    last: 0,
                    generation: 0,
                    work: 0.0,
                    power_now: if spec.count_idle {
                        kind.power_w[0]
                    } else {
                        0.0
                    },
                    meter: Meter::default(),
                    slot_s: 0.0,
                });
            }
        }
        let power_now = replicas.iter().map(|r| r.power_now).sum();
        CloudTier {
            spec,
            replicas,
            requests: Vec::new(),
            free: Vec::new(),
            next_rr: 0,
            waiting: 0,
            power_now,
            peak_power_w: power_now,
        }
    }

    /// The datacenter PUE applied to this tier's energy.
    pub fn pue(&self) -> f64 {
        self.spec.pue
    }

    /// Batch slots over all replicas.
    pub fn slots(&self) -> u64 {
        self.spec
            .kinds
            .iter()
            .map(|k| u64::from(k.count) * u64::from(k.cap))
            .sum()
    }

    /// Requests admitted or waiting (in flight).
    pub fn in_flight(&self) -> usize {
        self.requests.len() - self.free.len()
    }

    /// Store a new request; returns its id.
    pub fn new_request(
        &mut self,
        index: u64,
        origin: Ticks,
        n_in: u32,
        n_out: u32,
        prior: Prior,
    ) -> u32 {
        let r = Request {
            index,
            origin,
            n_in,
            n_out,
            prior,
            ..Request::default()
        };
        match self.free.pop() {
            Some(id) => {
                self.requests[id as usize] = r;
                id
            }
            None => {
                self.requests.push(r);
                (self.requests.len() - 1) as u32
            }
        }
    }

    /// Integrate replica `r`'s power and clocks up to `now`.
    #[inline]
    fn advance(&mut self, r: usize, now: Ticks) {
        let rep = &mut self.replicas[r];
        if now <= rep.last {
            return;
        }
        let kind = &self.spec.kinds[rep.kind];
        let dt = secs(now - rep.last);
        if rep.n > 0 {
            let n = rep.n as usize;
            let p = kind.power_w[n];
            rep.meter.add(rep.last, now, p, true);
            rep.e += p / n as f64 * dt;
            rep.v += dt / kind.step_s[n];
            rep.slot_s += n as f64 * dt;
        } else if self.spec.count_idle {
            rep.meter.add(rep.last, now, kind.power_w[0], false);
        }
        rep.last = now;
    }

    /// Set replica `r`'s admitted count, keeping the tier's power and peak current.
    #[inline]
    fn set_n(&mut self, r: usize, n: u32) {
        let rep = &mut self.replicas[r];
        let kind = &self.spec.kinds[rep.kind];
        rep.n = n;
        if n == 0 {
            // Empty: restart the clocks (keeps them small; nothing refers to them).
            rep.v = 0.0;
            rep.e = 0.0;
        }
        let p = if n > 0 {
            kind.power_w[n as usize]
        } else if self.spec.count_idle {
            kind.power_w[0]
        } else {
            0.0
        };
        self.power_now += p - rep.power_now;
        rep.power_now = p;
        self.peak_power_w = self.peak_power_w.max(self.power_now);
    }

    /// Plan replica `r`'s next completion.
    #[inline]
    fn reschedule(&mut self, r: usize, now: Ticks, cal: &mut Calendar<Event>) {
        let rep = &mut self.replicas[r];
        rep.generation = rep.generation.wrapping_add(1);
        if let Some(&Reverse((mark, _))) = rep.decoding.peek() {
            let step = self.spec.kinds[rep.kind].step_s[rep.n as usize];
            let dv = (f64::from_bits(mark) - rep.v).max(0.0);
            cal.schedule(
                now + ticks_ceil(dv * step),
                Event::Decode {
                    replica: r as u32,
                    generation: rep.generation,
                },
            );
        }
    }

    /// Admit waiting requests of replica `r` into free slots.
    fn admit(&mut self, r: usize, now: Ticks, cal: &mut Calendar<Event>) {
        let cap = self.spec.kinds[self.replicas[r].kind].cap;
        while self.replicas[r].n < cap {
            let Some(id) = self.replicas[r].waiting.pop_front() else {
                break;
            };
            self.waiting -= 1;
            let n = self.replicas[r].n + 1;
            self.set_n(r, n);
            let rep = &self.replicas[r];
            let rate = self.spec.kinds[rep.kind].prefill_tps[n as usize];
            let req = &mut self.requests[id as usize];
            req.admit = now;
            req.e_admit = rep.e;
            cal.schedule(
                now + ticks_ceil(f64::from(req.n_in) / rate),
                Event::PrefillDone(id),
            );
        }
    }

    /// Request `id` reaches the cloud at `now`.
    pub fn arrive(&mut self, id: u32, now: Ticks, cal: &mut Calendar<Event>) {
        let r = match self.spec.dispatch {
            Dispatch::RoundRobin => {
                let r = self.next_rr;
                self.next_rr = (r + 1) % self.replicas.len();
                r
            }
            Dispatch::LeastWork => {
                let mut best = 0;
                for (i, rep) in self.replicas.iter().enumerate().skip(1) {
                    if rep.work < self.replicas[best].work {
                        best = i;
                    }
                }
                best
            }
        };
        let req = &mut self.requests[id as usize];
        req.arrival = now;
        req.replica = r as u32;
        req.work = self.spec.kinds[self.replicas[r].kind].work(req.n_in, req.n_out);
        self.replicas[r].work += req.work;
        self.replicas[r].waiting.push_back(id);
        self.waiting += 1;
        self.advance(r, now);
        self.admit(r, now, cal);
        self.reschedule(r, now, cal);
    }

    /// Handle an event at `now`, appending finished requests to `out`.
    pub fn handle(
        &mut self,
        event: Event,
        now: Ticks,
        cal: &mut Calendar<Event>,
        out: &mut Vec<Completion>,
    ) {
        match event {
            Event::Arrive(id) => self.arrive(id, now, cal),
            Event::PrefillDone(id) => {
                let r = self.requests[id as usize].replica as usize;
                self.advance(r, now);
                let (kind, n, v) = {
                    let rep = &self.replicas[r];
                    (rep.kind, rep.n, rep.v)
                };
                let step = self.spec.kinds[kind].step_s[n as usize];
                let n_out = self.requests[id as usize].n_out;
                if n_out == 0 {
                    self.requests[id as usize].first_token = now;
                    self.complete(r, id, now, out);
                    self.admit(r, now, cal);
                } else {
                    self.requests[id as usize].first_token = now + ticks_ceil(step);
                    let mark = v + f64::from(n_out);
                    self.replicas[r]
                        .decoding
                        .push(Reverse((mark.to_bits(), id)));
                }
                self.reschedule(r, now, cal);
            }
            Event::Decode {
                replica,
                generation,
            } => {
                let r = replica as usize;
                if self.replicas[r].generation != generation {
                    return;
                }
                self.advance(r, now);
                while let Some(&Reverse((mark, id))) = self.replicas[r].decoding.peek() {
                    if f64::from_bits(mark) > self.replicas[r].v + FINISH_EPS {
                        break;
                    }
                    self.replicas[r].decoding.pop();
                    self.complete(r, id, now, out);
                }
                self.admit(r, now, cal);
                self.reschedule(r, now, cal);
            }
        }
    }

    fn complete(&mut self, r: usize, id: u32, now: Ticks, out: &mut Vec<Completion>) {
        let pue = self.spec.pue;
        let rep = &mut self.replicas[r];
        let req = self.requests[id as usize];
        let energy = (rep.e - req.e_admit) * pue;
        rep.work -= req.work;
        let n = rep.n - 1;
        self.set_n(r, n);
        self.free.push(id);
        out.push(Completion {
            index: req.index,
            arrival: req.origin,
            start: req.prior.start.unwrap_or(req.admit),
            first_token: req.first_token.min(now),
            end: now,
            queue_s: req.prior.queue_s + secs(req.admit - req.arrival),
            service_s: req.prior.service_s + secs(now - req.admit),
            energy_j: req.prior.energy_j + energy,
        });
    }

    /// Close the run at `end`: integrate every replica to `end` and return the tier's meter
    /// (PUE applied), the sum of each replica's own integrated energy (PUE applied) and the
    /// time-average share of batch slots in use.
    pub fn finish(&mut self, end: Ticks) -> (Meter, f64, f64) {
        for r in 0..self.replicas.len() {
            self.advance(r, end);
        }
        let mut total = Meter::default();
        let mut device_sum = 0.0;
        let mut slot_s = 0.0;
        for rep in &self.replicas {
            device_sum += rep.meter.total_j() * self.spec.pue;
            slot_s += rep.slot_s;
            total.merge(&rep.meter);
        }
        total.scale_energy(self.spec.pue);
        let capacity = self.slots() as f64 * secs(end);
        let utilisation = if capacity > 0.0 {
            slot_s / capacity
        } else {
            0.0
        };
        (total, device_sum, utilisation)
    }
}
