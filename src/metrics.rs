//! Metrics: per-point totals (summed exactly in a fixed order) and the figures derived from
//! them. Definitions, also given in the README:
//!
//! * energy: joules attributed to queries (see [`crate::sim::FixedBatch`] and
//!   [`crate::sim::cloud`]) plus, in the event service, idle energy of provisioned devices;
//!   kWh = J / 3.6e6;
//! * compute: FLOPs = 2 x parameters x (prompt + response tokens);
//! * cost: prompt tokens x input price + response tokens x output price (USD);
//! * accuracy: share of queries answered correctly after routing;
//! * IPW = accuracy / mean power, the mean over queries (with positive latency) of each
//!   query's energy / latency (the paper's "mean accuracy / mean power");
//! * IPJ = accuracy / mean energy per query;
//! * savings of X = 1 - X(strategy) / X(all-cloud), on the same queries, at two scopes:
//!   `system` (local devices and the datacenter: every joule, FLOP and dollar above) and
//!   `datacenter` (the cloud tier's alone: what the datacenter no longer spends).

use crate::sim::{Charge, Route};
use crate::trace::Query;

/// Which parameter count FLOPs use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlopsParams {
    /// Parameters touched per token (the default; for MoE models, the active experts).
    #[default]
    Active,
    /// All parameters (what the IPW harness's FLOP estimate uses).
    Total,
}

/// Sums over a set of queries. Merging is associative in the order given, so summing chunk
/// totals in chunk order is deterministic whatever thread computed each chunk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub queries: u64,
    /// Queries served (finally) by the cloud, including escalations.
    pub cloud: u64,
    /// Queries served by each local model (escalations not counted).
    pub local: Vec<u64>,
    /// Queries tried locally, then escalated to the cloud.
    pub escalated: u64,
    /// Queries some local model answers correctly (the oracle's local share).
    pub locally_solvable: u64,
    pub correct: u64,
    /// Energy attributed to queries, joules.
    pub energy_j: f64,
    /// Energy of provisioned devices while idle (event service), joules.
    pub idle_energy_j: f64,
    pub flops: f64,
    pub cost_usd: f64,
    /// The cloud tier's parts of the four above (escalated queries: their cloud leg).
    pub cloud_energy_j: f64,
    pub cloud_idle_energy_j: f64,
    pub cloud_flops: f64,
    pub cloud_cost_usd: f64,
    pub latency_s: f64,
    /// Sum over queries of energy / latency (for IPW's mean power), and how many queries had a
    /// positive latency (the others have no power to average).
    pub power_w: f64,
    pub timed: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Queries and correct answers per task family.
    pub task_queries: Vec<u64>,
    pub task_correct: Vec<u64>,
    /// The same queries by the hour they arrived in (hour `h` holds arrivals in
    /// `[h, h + 1)` hours from the start of the replay; the last, [`MAX_HOURS`] - 1, also
    /// every later one).
    pub hours: Vec<HourTotals>,
}

/// Per-hour series stop at a year: later arrivals count in the last hour.
pub const MAX_HOURS: usize = 24 * 366;

/// The queries that arrived in one hour, and what they were charged (attributed energy,
/// FLOPs and cost; the event service's idle energy is in its meters, not here).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HourTotals {
    pub queries: u64,
    /// Served by a local model (not escalated).
    pub local: u64,
    pub energy_j: f64,
    pub flops: f64,
    pub cost_usd: f64,
}

/// Bins queries that arrive in order into [`Totals::hours`] at the cost of one comparison per
/// query: an hour's figures are the growth of the running totals while its queries arrive,
/// added to the series when an arrival leaves the hour (or at [`HourCursor::close`]). An
/// arrival out of order only closes one hour and opens another.
#[derive(Clone, Debug, Default)]
pub struct HourCursor {
    hour: usize,
    /// The open hour, `[start, end)` seconds (empty before the first query).
    start: f64,
    end: f64,
    /// The running totals when the hour opened.
    at_open: HourTotals,
}

impl HourCursor {
    /// The running totals of `t` as an hour's figures.
    #[inline]
    fn running(t: &Totals) -> HourTotals {
        HourTotals {
            queries: t.queries,
            local: t.local_total(),
            energy_j: t.energy_j,
            flops: t.flops,
            cost_usd: t.cost_usd,
        }
    }

    /// Call before counting (with [`Totals::add`]) a query that arrived `arrival_s` into the
    /// replay.
    #[inline]
    pub fn arrive(&mut self, t: &mut Totals, arrival_s: f64) {
        if arrival_s >= self.start && arrival_s < self.end {
            return;
        }
        self.shut(t);
        self.hour = arrival_hour(arrival_s);
        self.start = self.hour as f64 * 3600.0;
        self.end = if self.hour == MAX_HOURS - 1 {
            f64::INFINITY
        } else {
            self.start + 3600.0
        };
        self.at_open = Self::running(t);
    }

    /// Add the open hour's growth to `t`'s series.
    fn shut(&mut self, t: &mut Totals) {
        let (now, o) = (Self::running(t), self.at_open);
        if now.queries == o.queries {
            return;
        }
        let h = t.hour(self.hour);
        h.queries += now.queries - o.queries;
        h.local += now.local - o.local;
        h.energy_j += now.energy_j - o.energy_j;
        h.flops += now.flops - o.flops;
        h.cost_usd += now.cost_usd - o.cost_usd;
    }

    /// Add the open hour to `t`'s series, after its last query.
    pub fn close(mut self, t: &mut Totals) {
        self.shut(t);
    }
}

/// The hour of an arrival `arrival_s` seconds into the replay (see [`Totals::hours`]).
#[inline]
pub fn arrival_hour(arrival_s: f64) -> usize {
    // `as` saturates: a negative or NaN time is hour 0.
    ((arrival_s / 3600.0) as usize).min(MAX_HOURS - 1)
}

impl Totals {
    pub fn new(tasks: usize, local_models: usize) -> Totals {
        Totals {
            local: vec![0; local_models],
            task_queries: vec![0; tasks],
            task_correct: vec![0; tasks],
            ..Totals::default()
        }
    }

    /// The totals of arrival hour `h`, made if the series does not reach it yet.
    #[inline]
    fn hour(&mut self, h: usize) -> &mut HourTotals {
        if h >= self.hours.len() {
            self.hours.resize(h + 1, HourTotals::default());
        }
        &mut self.hours[h]
    }

    /// Count a query charged `c` in all, of which `cloud` in the cloud tier (fixed batch),
    /// except in [`Totals::hours`]: the fixed-batch loop bins its queries, which arrive in
    /// order, with an [`HourCursor`] (one comparison per query).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn add(
        &mut self,
        task: usize,
        route: Route,
        solvable: bool,
        correct: bool,
        c: &Charge,
        cloud: &Charge,
        q: &Query,
    ) {
        self.count(task, route, solvable, correct, c, cloud, q);
        self.serve(c.energy_j, c.latency_s, cloud.energy_j);
    }

    /// Count a routed query: where it went, whether it was answered, and the FLOPs and cost of
    /// its charge `c`, of which `cloud` in the cloud tier (their energy and time are counted
    /// by [`Totals::add_service`]), in its arrival hour too (the event service).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn add_query(
        &mut self,
        task: usize,
        route: Route,
        solvable: bool,
        correct: bool,
        c: &Charge,
        cloud: &Charge,
        q: &Query,
    ) {
        self.count(task, route, solvable, correct, c, cloud, q);
        let h = self.hour(arrival_hour(q.arrival_s));
        h.queries += 1;
        h.local += u64::from(matches!(route, Route::Local(_)));
        h.flops += c.flops;
        h.cost_usd += c.cost_usd;
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn count(
        &mut self,
        task: usize,
        route: Route,
        solvable: bool,
        correct: bool,
        c: &Charge,
        cloud: &Charge,
        q: &Query,
    ) {
        self.queries += 1;
        match route {
            Route::Cloud => self.cloud += 1,
            Route::Local(m) => self.local[m] += 1,
            Route::LocalThenCloud(_) => {
                self.cloud += 1;
                self.escalated += 1;
            }
        }
        self.locally_solvable += u64::from(solvable);
        self.correct += u64::from(correct);
        self.flops += c.flops;
        self.cost_usd += c.cost_usd;
        self.cloud_flops += cloud.flops;
        self.cloud_cost_usd += cloud.cost_usd;
        self.input_tokens += u64::from(q.input_tokens);
        self.output_tokens += u64::from(q.output_tokens);
        self.task_queries[task] += 1;
        self.task_correct[task] += u64::from(correct);
    }

    /// Count a served query's energy (of which `cloud_energy_j` in the cloud tier) and service
    /// time (start of service to last token); it arrived `arrival_s` into the replay, and its
    /// energy counts in that hour too (the event service).
    #[inline]
    pub fn add_service(
        &mut self,
        energy_j: f64,
        service_s: f64,
        cloud_energy_j: f64,
        arrival_s: f64,
    ) {
        self.serve(energy_j, service_s, cloud_energy_j);
        self.hour(arrival_hour(arrival_s)).energy_j += energy_j;
    }

    #[inline]
    fn serve(&mut self, energy_j: f64, service_s: f64, cloud_energy_j: f64) {
        self.energy_j += energy_j;
        self.cloud_energy_j += cloud_energy_j;
        self.latency_s += service_s;
        if service_s > 0.0 {
            self.power_w += energy_j / service_s;
            self.timed += 1;
        }
    }

    /// Add `other` (a later range of queries) to `self`.
    pub fn merge(&mut self, other: &Totals) {
        self.queries += other.queries;
        self.cloud += other.cloud;
        for (a, b) in self.local.iter_mut().zip(&other.local) {
            *a += b;
        }
        self.escalated += other.escalated;
        self.locally_solvable += other.locally_solvable;
        self.correct += other.correct;
        self.energy_j += other.energy_j;
        self.idle_energy_j += other.idle_energy_j;
        self.flops += other.flops;
        self.cost_usd += other.cost_usd;
        self.cloud_energy_j += other.cloud_energy_j;
        self.cloud_idle_energy_j += other.cloud_idle_energy_j;
        self.cloud_flops += other.cloud_flops;
        self.cloud_cost_usd += other.cloud_cost_usd;
        self.latency_s += other.latency_s;
        self.power_w += other.power_w;
        self.timed += other.timed;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        for (a, b) in self.task_queries.iter_mut().zip(&other.task_queries) {
            *a += b;
        }
        for (a, b) in self.task_correct.iter_mut().zip(&other.task_correct) {
            *a += b;
        }
        if other.hours.len() > self.hours.len() {
            self.hours.resize(other.hours.len(), HourTotals::default());
        }
        for (a, b) in self.hours.iter_mut().zip(&other.hours) {
            a.queries += b.queries;
            a.local += b.local;
            a.energy_j += b.energy_j;
            a.flops += b.flops;
            a.cost_usd += b.cost_usd;
        }
    }

    pub fn local_total(&self) -> u64 {
        self.local.iter().sum()
    }
}

/// The reported figures of one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub queries: u64,
    pub local_share: f64,
    pub escalated_share: f64,
    pub locally_solvable_share: f64,
    pub accuracy: f64,
    pub energy_kwh: f64,
    pub energy_j_per_query: f64,
    pub flops: f64,
    pub cost_usd: f64,
    pub mean_latency_s: f64,
    pub mean_power_w: f64,
    pub ipw: f64,
    pub ipj: f64,
    /// Savings at system scope: every tier.
    pub energy_savings: f64,
    pub compute_savings: f64,
    pub cost_savings: f64,
    /// Cloud-tier energy (attributed and idle), kWh.
    pub cloud_energy_kwh: f64,
    /// Savings at datacenter scope: the cloud tier's energy, FLOPs and cost avoided.
    pub dc_energy_savings: f64,
    pub dc_compute_savings: f64,
    pub dc_cost_savings: f64,
    pub accuracy_change: f64,
}

impl Summary {
    /// Derive the figures of `t`, with savings against `baseline` (all-cloud on the same
    /// queries).
    pub fn new(t: &Totals, baseline: &Totals) -> Summary {
        let n = t.queries.max(1) as f64;
        let accuracy = t.correct as f64 / n;
        let energy = t.energy_j + t.idle_energy_j;
        let energy_per_query = energy / n;
        let mean_power = t.power_w / t.timed.max(1) as f64;
        let ratio = |a: f64, b: f64| if b > 0.0 { 1.0 - a / b } else { 0.0 };
        Summary {
            queries: t.queries,
            local_share: t.local_total() as f64 / n,
            escalated_share: t.escalated as f64 / n,
            locally_solvable_share: t.locally_solvable as f64 / n,
            accuracy,
            energy_kwh: energy / 3.6e6,
            energy_j_per_query: energy_per_query,
            flops: t.flops,
            cost_usd: t.cost_usd,
            mean_latency_s: t.latency_s / n,
            mean_power_w: mean_power,
            ipw: if mean_power > 0.0 {
                accuracy / mean_power
            } else {
                0.0
            },
            ipj: if energy_per_query > 0.0 {
                accuracy / energy_per_query
            } else {
                0.0
            },
            energy_savings: ratio(energy, baseline.energy_j + baseline.idle_energy_j),
            compute_savings: ratio(t.flops, baseline.flops),
            cost_savings: ratio(t.cost_usd, baseline.cost_usd),
            cloud_energy_kwh: (t.cloud_energy_j + t.cloud_idle_energy_j) / 3.6e6,
            dc_energy_savings: ratio(
                t.cloud_energy_j + t.cloud_idle_energy_j,
                baseline.cloud_energy_j + baseline.cloud_idle_energy_j,
            ),
            dc_compute_savings: ratio(t.cloud_flops, baseline.cloud_flops),
            dc_cost_savings: ratio(t.cloud_cost_usd, baseline.cloud_cost_usd),
            accuracy_change: accuracy - baseline.correct as f64 / baseline.queries.max(1) as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(input: u32, output: u32) -> Query {
        Query {
            index: 0,
            arrival_s: 0.0,
            input_tokens: input,
            output_tokens: output,
        }
    }

    #[test]
    fn every_derived_figure_follows_its_definition() {
        let charge = |e: f64, l: f64, f: f64, c: f64| Charge {
            energy_j: e,
            latency_s: l,
            flops: f,
            cost_usd: c,
        };
        let mut base = Totals::new(1, 1);
        base.add(
            0,
            Route::Cloud,
            true,
            true,
            &charge(400.0, 2.0, 8.0, 4.0),
            &charge(400.0, 2.0, 8.0, 4.0),
            &q(10, 5),
        );
        base.add(
            0,
            Route::Cloud,
            false,
            false,
            &charge(400.0, 2.0, 8.0, 4.0),
            &charge(400.0, 2.0, 8.0, 4.0),
            &q(10, 5),
        );
        let mut t = Totals::new(1, 1);
        t.add(
            0,
            Route::Local(0),
            true,
            true,
            &charge(100.0, 4.0, 2.0, 1.0),
            &Charge::default(),
            &q(10, 5),
        );
        t.add(
            0,
            Route::Cloud,
            false,
            false,
            &charge(400.0, 2.0, 8.0, 4.0),
            &charge(400.0, 2.0, 8.0, 4.0),
            &q(10, 5),
        );
        // A zero-latency query counts for accuracy and energy but not for mean power.
        t.add(
            0,
            Route::Local(0),
            false,
            true,
            &charge(0.0, 0.0, 0.0, 0.0),
            &Charge::default(),
            &q(0, 0),
        );
        let s = Summary::new(&t, &base);
        assert_eq!(s.queries, 3);
        assert!((s.local_share - 2.0 / 3.0).abs() < 1e-15);
        assert!((s.locally_solvable_share - 1.0 / 3.0).abs() < 1e-15);
        assert!((s.accuracy - 2.0 / 3.0).abs() < 1e-15);
        assert!((s.accuracy_change - (2.0 / 3.0 - 0.5)).abs() < 1e-15);
        assert!((s.energy_kwh - 500.0 / 3.6e6).abs() < 1e-18);
        assert!((s.energy_j_per_query - 500.0 / 3.0).abs() < 1e-12);
        assert!((s.mean_latency_s - 2.0).abs() < 1e-15);
        // Mean power over the two timed queries: (100/4 + 400/2) / 2 = 112.5 W.
        assert!((s.mean_power_w - 112.5).abs() < 1e-12);
        assert!((s.ipw - (2.0 / 3.0) / 112.5).abs() < 1e-15);
        assert!((s.ipj - (2.0 / 3.0) / (500.0 / 3.0)).abs() < 1e-15);
        assert!((s.energy_savings - (1.0 - 500.0 / 800.0)).abs() < 1e-15);
        assert!((s.compute_savings - (1.0 - 10.0 / 16.0)).abs() < 1e-15);
        assert!((s.cost_savings - (1.0 - 5.0 / 8.0)).abs() < 1e-15);
        // Datacenter scope: only the cloud query's 400 J, 8 FLOPs and 4 USD remain of
        // all-cloud's 800 J, 16 FLOPs and 8 USD.
        assert!((s.cloud_energy_kwh - 400.0 / 3.6e6).abs() < 1e-18);
        assert_eq!(
            (s.dc_energy_savings, s.dc_compute_savings, s.dc_cost_savings),
            (0.5, 0.5, 0.5)
        );
    }

    #[test]
    fn queries_are_counted_in_the_hour_they_arrived() {
        let charge = |e: f64| Charge {
            energy_j: e,
            latency_s: 1.0,
            flops: 10.0 * e,
            // Quarters: exact in binary, so the two ways of summing agree to the bit.
            cost_usd: e / 4.0,
        };
        let at = |s: f64| Query {
            arrival_s: s,
            ..q(1, 1)
        };
        let none = Charge::default();
        // The event service's way, query by query.
        let mut t = Totals::new(1, 1);
        let add = |t: &mut Totals, route: Route, c: Charge, cloud: Charge, s: f64| {
            t.add_query(0, route, false, true, &c, &cloud, &at(s));
            t.add_service(c.energy_j, c.latency_s, cloud.energy_j, s);
        };
        // Hour 1 (3600 s is its first instant): a local query (5 J) and an escalated one
        // (local 2 J then cloud 3 J); hour 3: a cloud query (7 J). Hours 0 and 2 stay empty.
        let day = [
            (Route::Local(0), charge(5.0), none, 3600.0),
            (Route::Cloud, charge(7.0), charge(7.0), 3.0 * 3600.0 + 1.0),
            (Route::LocalThenCloud(0), charge(5.0), charge(3.0), 7199.9),
        ];
        for (route, c, cloud, s) in day {
            add(&mut t, route, c, cloud, s);
        }
        // The fixed-batch way, with a cursor (the third query arrives out of order): the
        // same series.
        let mut fixed = Totals::new(1, 1);
        let mut cursor = HourCursor::default();
        for (route, c, cloud, s) in day {
            cursor.arrive(&mut fixed, s);
            fixed.add(0, route, false, true, &c, &cloud, &at(s));
        }
        cursor.close(&mut fixed);
        assert_eq!(fixed.hours, t.hours);
        assert_eq!(t.hours.len(), 4);
        assert_eq!(t.hours[0], HourTotals::default());
        assert_eq!(t.hours[2], HourTotals::default());
        assert_eq!(
            t.hours[1],
            HourTotals {
                queries: 2,
                local: 1,
                energy_j: 10.0,
                flops: 100.0,
                cost_usd: 2.5,
            }
        );
        assert_eq!(
            (t.hours[3].queries, t.hours[3].local, t.hours[3].energy_j),
            (1, 0, 7.0)
        );
        // The event service books energy when a query finishes, by its arrival.
        t.add_service(4.0, 1.0, 0.0, 10.0);
        assert_eq!(t.hours[0].energy_j, 4.0);
        assert_eq!(t.hours[0].queries, 0);
        // Arrivals before the start or past a year land in the first and last hours.
        assert_eq!(arrival_hour(-5.0), 0);
        assert_eq!(arrival_hour(f64::NAN), 0);
        assert_eq!(arrival_hour(1e12), MAX_HOURS - 1);
        // Merging a later chunk adds hour by hour and extends the series.
        let mut early = Totals::new(1, 1);
        add(&mut early, Route::Cloud, charge(1.0), charge(1.0), 0.0);
        early.merge(&t);
        assert_eq!(early.hours.len(), 4);
        assert_eq!(early.hours[0].queries, 1);
        assert_eq!(early.hours[0].energy_j, 5.0);
        assert_eq!(early.hours[1], t.hours[1]);
    }

    #[test]
    fn merging_chunk_totals_equals_adding_every_query_once() {
        let c = Charge {
            energy_j: 1.5,
            latency_s: 0.5,
            flops: 2.0,
            cost_usd: 0.25,
        };
        let (mut whole, mut a, mut b) = (Totals::new(2, 2), Totals::new(2, 2), Totals::new(2, 2));
        for i in 0..10u32 {
            let route = if i % 3 == 0 {
                Route::LocalThenCloud(1)
            } else {
                Route::Local((i % 2) as usize)
            };
            whole.add(
                (i % 2) as usize,
                route,
                i % 2 == 0,
                i % 4 == 0,
                &c,
                &c,
                &q(i, i),
            );
            let part = if i < 4 { &mut a } else { &mut b };
            part.add(
                (i % 2) as usize,
                route,
                i % 2 == 0,
                i % 4 == 0,
                &c,
                &c,
                &q(i, i),
            );
        }
        a.merge(&b);
        assert_eq!(a, whole);
        assert_eq!(whole.escalated, 4);
        assert_eq!(whole.cloud + whole.local_total(), 10);
    }
}
