//! The cloud tier: replicas with continuous batching, in closed form between events.
//!
//! A replica runs up to `cap` requests at once. A request dispatched to it waits in the
//! replica's FIFO queue until a batch slot is free and is then admitted. Admitted requests are
//! prefilled one at a time, in admission order, each in `n_in / R(n)` seconds (the prefill
//! rate `R` is the whole replica's); the prefill pass produces the first token (time to first
//! token = end of prefill) and the request then decodes its other `n_out - 1` tokens alongside
//! the others. With `n` requests admitted, a decode step takes `s(n)` seconds and the replica
//! draws `P(n)` watts, both interpolated from the pair's measured batch sizes; with none it
//! draws its idle power.
//!
//! There are no per-token or per-step events. Between two events `n` is constant, so every
//! decoding request gains tokens at the same rate `1 / s(n)`: the replica keeps a virtual token
//! clock `V` (tokens each decoding request has gained since the replica was last empty) and a
//! request joining decode at `V0` finishes when `V = V0 + n_out - 1`. The next completion is
//! the smallest finish mark, reached after `(V_min - V) * s(n)` seconds; it is the only decode
//! event a replica has planned, re-planned whenever `n` changes (older plans are ignored by
//! generation number).
//!
//! Energy is shared by tokens processed. Between two events the replica processes
//! `d / s(n)` decode tokens per second (`d` decoding requests) plus `R` prompt tokens per
//! second while a prefill runs, and its power `P(n)` is split over those tokens: a decoding
//! request pays `P / (s (d / s + p R))` watts, the prefilling one `P R / (d / s + p R)`
//! (`p` = 1 while a prefill runs). A second clock `E` accumulates the decoding share, so a
//! request's decode energy is `E` at completion minus `E` when it joined decode; its prefill
//! energy is accumulated while it prefills. Admitted requests waiting for the prefill pass
//! process nothing and pay nothing. The shares add up to the replica's energy exactly.
//!
//! Dispatch happens on arrival: to the replica with the least outstanding work (estimated
//! replica-nanoseconds at full batch of the requests dispatched to it and not yet finished), or
//! round robin.

use super::calendar::{secs, ticks_ceil, Calendar, Ticks};
use super::completion::{CloudLeg, Completion, Prior};
use super::meter::Meter;
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
    /// Replica power with `n` admitted, watts, index `0..=cap` (0: idle), tabulated from the
    /// replica's [`super::power::BatchCurve`].
    pub power_w: Vec<f64>,
    /// Prefill rate with `n` admitted, prompt tokens per second; index `n` in `1..=cap`.
    pub prefill_tps: Vec<f64>,
}

impl ReplicaKind {
    /// Estimated replica-nanoseconds a request adds at full batch (the dispatcher's work unit;
    /// an integer, so sums never drift).
    fn work(&self, n_in: u32, n_out: u32) -> u64 {
        let c = self.cap as usize;
        ticks_ceil(
            f64::from(n_in) / self.prefill_tps[c] + f64::from(n_out) * self.step_s[c] / c as f64,
        )
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
    /// The prefill pass of replica `replica`'s current prefill ends.
    PrefillDone(u32),
    /// The planned next completion of a replica, valid if the generation still matches.
    Decode { replica: u32, generation: u32 },
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
    first_token: Ticks,
    /// Energy of its prefill pass, and the decode energy clock when it joined decode (raw J,
    /// before PUE).
    prefill_j: f64,
    e_join: f64,
    work: u64,
    prior: Prior,
}

struct Replica {
    kind: usize,
    /// Admitted requests (prefilling, waiting for the prefill pass, or decoding).
    n: u32,
    waiting: VecDeque<u32>,
    /// Admitted requests in prefill order; the front one is being prefilled.
    prefill: VecDeque<u32>,
    /// Prefill rate of the current prefill, tokens/s.
    prefill_rate: f64,
    /// Energy the current prefill has used so far, J.
    prefill_j: f64,
    /// (finish mark as f64 bits, request), earliest first; marks are >= 0 so bits order them.
    decoding: BinaryHeap<Reverse<(u64, u32)>>,
    v: f64,
    e: f64,
    last: Ticks,
    generation: u32,
    work: u64,
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
    /// Idle power is counted up to this time (the last arrival, once known).
    idle_until: Ticks,
    /// Current power of the tier (before PUE), since when, and the highest level held for a
    /// positive time.
    power_now: f64,
    power_since: Ticks,
    peak_power_w: f64,
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
                    prefill: VecDeque::new(),
                    prefill_rate: 0.0,
                    prefill_j: 0.0,
                    decoding: BinaryHeap::new(),
                    v: 0.0,
                    e: 0.0,
                    last: 0,
                    generation: 0,
                    work: 0,
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
            idle_until: Ticks::MAX,
            power_now,
            power_since: 0,
            peak_power_w: 0.0,
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

    /// Requests in the cloud tier: waiting or admitted, plus escalations scheduled to arrive.
    pub fn in_flight(&self) -> usize {
        self.requests.len() - self.free.len()
    }

    /// Count idle power only up to `t` from now on (the fleet sets it to the last arrival, so
    /// that every strategy is charged idle power over the same span).
    pub fn stop_idle_at(&mut self, t: Ticks) {
        self.idle_until = t;
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
        if rep.n > 0 {
            let dt = secs(now - rep.last);
            let n = rep.n as usize;
            let (p, s) = (kind.power_w[n], kind.step_s[n]);
            let d = rep.decoding.len() as f64;
            let prefill_tps = if rep.prefill.is_empty() {
                0.0
            } else {
                rep.prefill_rate
            };
            // Tokens per second; positive, since an admitted request is decoding or waits for
            // (or is in) the prefill pass, which then runs.
            let tokens = d / s + prefill_tps;
            rep.meter.add(rep.last, now, p, true);
            rep.e += dt * p / (s * tokens);
            rep.prefill_j += dt * p * prefill_tps / tokens;
            rep.v += dt / s;
            rep.slot_s += n as f64 * dt;
        } else if self.spec.count_idle && rep.last < self.idle_until {
            rep.meter
                .add(rep.last, now.min(self.idle_until), kind.power_w[0], false);
        }
        rep.last = now;
    }

    /// Set replica `r`'s admitted count at `now`, keeping the tier's power and peak current.
    #[inline]
    fn set_n(&mut self, r: usize, n: u32, now: Ticks) {
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
        if now > self.power_since {
            // The level before this instant was held for a positive time.
            self.peak_power_w = self.peak_power_w.max(self.power_now);
            self.power_since = now;
        }
        self.power_now += p - rep.power_now;
        rep.power_now = p;
    }

    /// The highest tier power (before PUE) held for a positive time up to `end`.
    pub fn peak_power_w(&self, end: Ticks) -> f64 {
        if end > self.power_since {
            self.peak_power_w.max(self.power_now)
        } else {
            self.peak_power_w
        }
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

    /// Start the prefill pass of the front request of replica `r`'s prefill queue.
    fn start_prefill(&mut self, r: usize, now: Ticks, cal: &mut Calendar<Event>) {
        let rep = &mut self.replicas[r];
        let Some(&id) = rep.prefill.front() else {
            return;
        };
        rep.prefill_rate = self.spec.kinds[rep.kind].prefill_tps[rep.n as usize];
        rep.prefill_j = 0.0;
        let n_in = self.requests[id as usize].n_in;
        cal.schedule(
            now + ticks_ceil(f64::from(n_in) / rep.prefill_rate),
            Event::PrefillDone(r as u32),
        );
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
            self.set_n(r, n, now);
            self.requests[id as usize].admit = now;
            self.replicas[r].prefill.push_back(id);
            if self.replicas[r].prefill.len() == 1 {
                self.start_prefill(r, now, cal);
            }
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
        let before = self.replicas[r].n;
        self.admit(r, now, cal);
        if self.replicas[r].n != before {
            self.reschedule(r, now, cal);
        }
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
            Event::PrefillDone(r) => {
                let r = r as usize;
                self.advance(r, now);
                let rep = &mut self.replicas[r];
                let id = rep
                    .prefill
                    .pop_front()
                    .expect("a prefill event has a request in prefill");
                let (v, e, prefill_j) = (rep.v, rep.e, rep.prefill_j);
                // The next admitted request in line starts its prefill pass.
                self.start_prefill(r, now, cal);
                let req = &mut self.requests[id as usize];
                req.first_token = now;
                req.prefill_j = prefill_j;
                if req.n_out <= 1 {
                    self.complete(r, id, now, out);
                    self.admit(r, now, cal);
                } else {
                    req.e_join = e;
                    let mark = v + f64::from(req.n_out - 1);
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
        let decode_j = if req.n_out > 1 {
            rep.e - req.e_join
        } else {
            0.0
        };
        let energy = (req.prefill_j + decode_j) * pue;
        rep.work -= req.work;
        let n = rep.n - 1;
        self.set_n(r, n, now);
        self.free.push(id);
        let local = req.prior.local;
        out.push(Completion {
            index: req.index,
            arrival: req.origin,
            start: local.map_or(req.admit, |l| l.start),
            first_token: req.first_token,
            end: now,
            queue_s: req.prior.queue_s + secs(req.admit - req.arrival),
            service_s: req.prior.service_s + secs(now - req.admit),
            energy_j: req.prior.energy_j + energy,
            cloud_energy_j: energy,
            local,
            cloud: Some(CloudLeg {
                replica: r as u32,
                arrival: req.arrival,
                admit: req.admit,
            }),
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
