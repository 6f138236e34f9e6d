//! The per-query step between the workload and the simulation core: route each query, then
//! charge it (fixed-batch service) or submit it to the fleet (event service), and count it.
//!
//! What every point of a sweep shares about a query is computed once per chunk of queries
//! ([`facts`]): its task family, which tracked models answer it, and, for each distinct
//! (endpoints, [`OracleRule`]) the group's oracle-following routers use, the oracle's choice
//! (from each endpoint's fixed-batch charges). What is
//! left per point is the router's decision and the charge of the chosen endpoint.
//!
//! [`evaluate`] runs one fixed-batch point over a chunk and returns its totals; it is a pure
//! function of its inputs, so chunks can be evaluated on any thread and summed in a fixed order
//! (invariant 4). [`EventPoint`] feeds one event-service point its queries in order.

use crate::metrics::{HourCursor, Totals};
use crate::router::{Decide, OracleRule, RouteInput, Router, Target};
use crate::sim::calendar::secs;
use crate::sim::{Charge, Endpoint, Fleet, FleetReport, FleetSpec, Route, Service};
use crate::trace::Query;
use crate::workload::{QueryAttrs, Workload};

/// What every point of a sweep group shares about a chunk of queries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// Task family and which tracked models answer, per query.
    pub attrs: Vec<QueryAttrs>,
    /// Per oracle context (see [`facts`]), the oracle's choice per query ([`NO_TARGET`]: none).
    pub targets: Vec<Vec<u8>>,
}

/// No pool model answers the query.
pub const NO_TARGET: u8 = u8::MAX;

/// The shared facts of `queries`: their attributes, and the oracle's choice under each of
/// `oracles` (endpoints and rule).
pub fn facts<S: Service>(
    workload: &Workload,
    queries: &[Query],
    oracles: &[(Endpoints<'_, S>, OracleRule)],
) -> Facts {
    let attrs: Vec<QueryAttrs> = queries
        .iter()
        .map(|q| workload.attributes(q.index))
        .collect();
    let targets = oracles
        .iter()
        .map(|(ep, rule)| {
            queries
                .iter()
                .zip(&attrs)
                .map(|(q, &a)| ep.oracle_target(q, a, *rule).map_or(NO_TARGET, |m| m as u8))
                .collect()
        })
        .collect();
    Facts { attrs, targets }
}

/// Where a point's pool models and cloud model sit among the workload's tracked models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracking {
    /// Workload index of each pool model.
    pub pool: Vec<usize>,
    /// Workload index of the cloud model.
    pub cloud: usize,
    /// Per task family, the pool model with the highest accuracy on it.
    pub strongest_local: Vec<usize>,
}

impl Tracking {
    /// The tracking of `pool` and `cloud` (model names) in `workload`; `None` if one of them
    /// is not tracked.
    pub fn new(workload: &Workload, pool: &[String], cloud: &str) -> Option<Tracking> {
        let pool: Vec<usize> = pool
            .iter()
            .map(|m| workload.model_index(m))
            .collect::<Option<_>>()?;
        let cloud = workload.model_index(cloud)?;
        let strongest_local = (0..workload.tasks.len())
            .map(|t| {
                (0..pool.len())
                    .max_by(|&a, &b| {
                        workload.models[pool[a]].accuracy[t]
                            .total_cmp(&workload.models[pool[b]].accuracy[t])
                    })
                    .unwrap_or(0)
            })
            .collect();
        Some(Tracking {
            pool,
            cloud,
            strongest_local,
        })
    }

    #[inline]
    fn solves(&self, a: QueryAttrs, pool_model: usize) -> bool {
        a.solved >> self.pool[pool_model] & 1 == 1
    }
}

/// A point's serving side: the fixed-batch figures of its endpoints and where they sit in the
/// workload. The event service uses the fixed-batch figures for FLOPs, cost and the oracle's
/// choice, and measures energy and latency itself.
pub struct Endpoints<'a, S: Service> {
    pub service: &'a S,
    pub tracking: &'a Tracking,
}

impl<S: Service> Clone for Endpoints<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Service> Copy for Endpoints<'_, S> {}

impl<S: Service> Endpoints<'_, S> {
    /// The oracle's target under `rule`: the cheapest pool model (by the rule's objective)
    /// that answers the query, if any; with [`Target::Optimal`], only if it costs no more
    /// than the cloud. `None` means the cloud.
    #[inline]
    pub fn oracle_target(&self, q: &Query, a: QueryAttrs, rule: OracleRule) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for i in 0..self.tracking.pool.len() {
            if self.tracking.solves(a, i) {
                let v = rule
                    .objective
                    .of(&self.service.charge(Endpoint::Local(i), q));
                if best.is_none_or(|(_, b)| v < b) {
                    best = Some((i, v));
                }
            }
        }
        match (best, rule.target) {
            (Some((i, v)), Target::Optimal) => {
                let cloud = rule.objective.of(&self.service.charge(Endpoint::Cloud, q));
                (v <= cloud).then_some(i)
            }
            (best, _) => best.map(|(i, _)| i),
        }
    }
}

/// What the router decided for one query, and what the fixed-batch service charges for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub task: usize,
    pub route: Route,
    /// Some pool model answers the query correctly.
    pub solvable: bool,
    /// The query is answered correctly where it is finally served.
    pub correct: bool,
    /// The fixed-batch charge.
    pub charge: Charge,
    /// The part of `charge` spent in the cloud tier (zero for a query served locally).
    pub cloud: Charge,
}

/// Where a point finds the oracle's choice for a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// The router does not read it.
    Unused,
    /// In the shared facts, at this index of [`Facts::targets`].
    Shared(usize),
    /// Computed here, per query (for callers without shared facts).
    Compute,
}

/// Route query `i` of a chunk (with its shared `facts`) and charge it on the fixed-batch
/// figures.
#[inline]
pub fn decide<S: Service>(
    ep: &Endpoints<'_, S>,
    router: &Router,
    q: &Query,
    facts: &Facts,
    i: usize,
    oracle: Oracle,
) -> Decision {
    let a = facts.attrs[i];
    let task = a.task as usize;
    let t = ep.tracking;
    let solvable = (0..t.pool.len()).any(|m| t.solves(a, m));
    let oracle = match oracle {
        _ if !solvable => None,
        Oracle::Unused => None,
        Oracle::Shared(k) => Some(facts.targets[k][i])
            .filter(|&m| m != NO_TARGET)
            .map(usize::from),
        Oracle::Compute => ep.oracle_target(q, a, router.config().oracle_rule()),
    };
    let route = router.route(&RouteInput {
        index: q.index,
        task,
        input_tokens: q.input_tokens,
        output_tokens: q.output_tokens,
        oracle,
        solvable,
        fallback: t.strongest_local[task],
    });
    let cloud_ok = a.solved >> t.cloud & 1 == 1;
    let (charge, cloud, correct) = match route {
        Route::Cloud => {
            let c = ep.service.charge(Endpoint::Cloud, q);
            (c, c, cloud_ok)
        }
        Route::Local(m) => (
            ep.service.charge(Endpoint::Local(m), q),
            Charge::default(),
            t.solves(a, m),
        ),
        Route::LocalThenCloud(m) => {
            let first = ep.service.charge(Endpoint::Local(m), q);
            let then = ep.service.charge(Endpoint::Cloud, q);
            (first.plus(&then), then, cloud_ok)
        }
    };
    Decision {
        task,
        route,
        solvable,
        correct,
        charge,
        cloud,
    }
}

/// Evaluate `router` on `queries` (consecutive queries of the run, in order, with their
/// shared `facts`) on the fixed-batch service.
pub fn evaluate<S: Service>(
    ep: &Endpoints<'_, S>,
    router: &Router,
    queries: &[Query],
    facts: &Facts,
    oracle: Oracle,
    tasks: usize,
) -> Totals {
    let mut t = Totals::new(tasks, ep.tracking.pool.len());
    let mut hours = HourCursor::default();
    for (i, q) in queries.iter().enumerate() {
        let d = decide(ep, router, q, facts, i, oracle);
        hours.arrive(&mut t, q.arrival_s);
        t.add(
            d.task, d.route, d.solvable, d.correct, &d.charge, &d.cloud, q,
        );
    }
    hours.close(&mut t);
    t
}

/// One point on the event-driven core: its router, its fleet and its running totals. Feed it
/// the run's queries chunk by chunk, in order, then [`EventPoint::finish`] it.
pub struct EventPoint {
    pub router: Router,
    pub fleet: Fleet,
    pub totals: Totals,
}

impl EventPoint {
    pub fn new(router: Router, spec: FleetSpec, tasks: usize, pool_models: usize) -> EventPoint {
        EventPoint {
            router,
            fleet: Fleet::new(spec, pool_models),
            totals: Totals::new(tasks, pool_models),
        }
    }

    /// Route and submit `queries` (with their shared `facts`), and count every query finished
    /// so far.
    pub fn feed<S: Service>(
        &mut self,
        ep: &Endpoints<'_, S>,
        queries: &[Query],
        facts: &Facts,
        oracle: Oracle,
    ) {
        for (i, q) in queries.iter().enumerate() {
            let d = decide(ep, &self.router, q, facts, i, oracle);
            self.totals.add_query(
                d.task, d.route, d.solvable, d.correct, &d.charge, &d.cloud, q,
            );
            self.fleet.submit(q, d.route);
        }
        let totals = &mut self.totals;
        self.fleet.drain(|c| {
            totals.add_service(c.energy_j, c.service_s, c.cloud_energy_j, secs(c.arrival))
        });
    }

    /// Serve what is left and close the run; the totals then include idle energy.
    pub fn finish(mut self) -> (Totals, FleetReport) {
        let totals = &mut self.totals;
        let report = self.fleet.finish(|c| {
            totals.add_service(c.energy_j, c.service_s, c.cloud_energy_j, secs(c.arrival))
        });
        self.totals.idle_energy_j = report.idle_j();
        self.totals.cloud_idle_energy_j = report.cloud.meter.idle_j;
        (self.totals, report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped catalogue's workload on WildChat alone (no correlation, seed 3), tracking
    /// `models`.
    fn wildchat_workload(models: &[&str]) -> Workload {
        use crate::workload::{Correlation, WorkloadSpec};
        let cat = crate::profile::Catalogue::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles"),
        )
        .unwrap();
        let spec = WorkloadSpec {
            mix: vec![("wildchat".into(), 1.0)],
            correlation: Correlation::Value(0.0),
            model_noise: 0.0,
            seed: 3,
        };
        Workload::new(&spec, &cat, models).unwrap()
    }

    /// Two local models whose energy and compute rank opposite ways.
    struct Toy;

    impl Service for Toy {
        fn local_models(&self) -> usize {
            2
        }
        fn charge(&self, endpoint: Endpoint, _q: &Query) -> Charge {
            match endpoint {
                Endpoint::Local(0) => Charge {
                    energy_j: 1.0,
                    latency_s: 1.0,
                    flops: 9.0,
                    cost_usd: 5.0,
                },
                Endpoint::Local(_) => Charge {
                    energy_j: 3.0,
                    latency_s: 1.0,
                    flops: 2.0,
                    cost_usd: 1.0,
                },
                Endpoint::Cloud => Charge {
                    energy_j: 10.0,
                    latency_s: 1.0,
                    flops: 10.0,
                    cost_usd: 10.0,
                },
            }
        }
    }

    #[test]
    fn the_oracle_picks_the_cheapest_answering_model_by_its_objective() {
        use crate::router::{Objective, RouterConfig};
        let w = wildchat_workload(&["Qwen3-8B", "GPT-OSS-20B", "Qwen3-235B-A22B"]);
        let tracking = Tracking::new(
            &w,
            &["Qwen3-8B".into(), "GPT-OSS-20B".into()],
            "Qwen3-235B-A22B",
        )
        .unwrap();
        assert_eq!((tracking.pool.clone(), tracking.cloud), (vec![0, 1], 2));
        let ep = Endpoints {
            service: &Toy,
            tracking: &tracking,
        };
        let queries: Vec<Query> = (0..20_000)
            .map(|i| Query {
                index: i,
                arrival_s: 0.0,
                input_tokens: 1,
                output_tokens: 1,
            })
            .collect();
        let (mut only0, mut only1, mut both) = (0, 0, 0);
        for q in &queries {
            let s = w.attributes(q.index).solved & 0b11;
            match s {
                0b01 => only0 += 1,
                0b10 => only1 += 1,
                0b11 => both += 1,
                _ => {}
            }
        }
        assert!(both > 1000 && only0 > 1000 && only1 > 1000);
        let run = |objective, target| {
            let config = RouterConfig::Oracle { objective, target };
            let rule = config.oracle_rule();
            let r = crate::router::Router::new(config, 3);
            // Shared and per-query oracle choices agree.
            let shared = facts(&w, &queries, &[(ep, rule)]);
            let computed = evaluate(&ep, &r, &queries, &shared, Oracle::Compute, 1);
            let t = evaluate(&ep, &r, &queries, &shared, Oracle::Shared(0), 1);
            assert_eq!(t, computed);
            t
        };
        let energy = run(Objective::Energy, Target::LocalFirst);
        assert_eq!(
            energy.local,
            vec![only0 + both, only1],
            "energy prefers model 0"
        );
        let compute = run(Objective::Compute, Target::LocalFirst);
        assert_eq!(
            compute.local,
            vec![only0, only1 + both],
            "compute prefers model 1"
        );
        let cost = run(Objective::Cost, Target::LocalFirst);
        assert_eq!(cost.local, compute.local, "cost also prefers model 1");
        assert_eq!(
            energy.energy_j,
            (only0 + both) as f64
                + 3.0 * only1 as f64
                + 10.0 * (20_000 - only0 - only1 - both) as f64
        );
        // Every local charge is below the cloud's (10), so the optimal target is the same.
        assert_eq!(run(Objective::Energy, Target::Optimal), energy);
    }

    /// A local model that costs more energy than the cloud, and less compute.
    struct Dear;

    impl Service for Dear {
        fn local_models(&self) -> usize {
            1
        }
        fn charge(&self, endpoint: Endpoint, q: &Query) -> Charge {
            let n = f64::from(q.input_tokens + q.output_tokens);
            match endpoint {
                Endpoint::Local(_) => Charge {
                    energy_j: 5.0 * n,
                    latency_s: 1.0,
                    flops: n,
                    cost_usd: n,
                },
                Endpoint::Cloud => Charge {
                    energy_j: 4.0 * n,
                    latency_s: 1.0,
                    flops: 8.0 * n,
                    cost_usd: 8.0 * n,
                },
            }
        }
    }

    /// Local and cloud charges equal.
    struct Even;

    impl Service for Even {
        fn local_models(&self) -> usize {
            1
        }
        fn charge(&self, _: Endpoint, q: &Query) -> Charge {
            Dear.charge(Endpoint::Local(0), q)
        }
    }

    #[test]
    fn the_optimal_target_sends_a_query_to_the_cloud_where_the_cloud_costs_less() {
        use crate::router::{Objective, RouterConfig};
        let w = wildchat_workload(&["Qwen3-8B", "Qwen3-235B-A22B"]);
        let tracking = Tracking::new(&w, &["Qwen3-8B".into()], "Qwen3-235B-A22B").unwrap();
        let ep = Endpoints {
            service: &Dear,
            tracking: &tracking,
        };
        let queries: Vec<Query> = (0..10_000)
            .map(|i| Query {
                index: i,
                arrival_s: 0.0,
                input_tokens: 3,
                output_tokens: 1,
            })
            .collect();
        let answered = queries
            .iter()
            .filter(|q| w.attributes(q.index).solved & 1 == 1)
            .count() as u64;
        assert!(answered > 1000);
        let run = |objective, target| {
            let config = RouterConfig::Oracle { objective, target };
            let shared = facts(&w, &queries, &[(ep, config.oracle_rule())]);
            evaluate(
                &ep,
                &crate::router::Router::new(config, 3),
                &queries,
                &shared,
                Oracle::Shared(0),
                1,
            )
        };
        // Local-first sends every answered query local, at 20 J against the cloud's 16 J.
        let first = run(Objective::Energy, Target::LocalFirst);
        assert_eq!(first.local, vec![answered]);
        assert_eq!(
            first.energy_j,
            20.0 * answered as f64 + 16.0 * (10_000 - answered) as f64
        );
        // The energy-optimal target keeps all of them in the cloud: all-cloud's 160 kJ.
        let optimal = run(Objective::Energy, Target::Optimal);
        assert_eq!(
            (optimal.local.clone(), optimal.energy_j),
            (vec![0], 160_000.0)
        );
        // A tie goes local: with the cloud's energy equal to the local model's (20 J), every
        // answered query stays local.
        let even = Endpoints {
            service: &Even,
            tracking: &tracking,
        };
        let config = RouterConfig::Oracle {
            objective: Objective::Energy,
            target: Target::Optimal,
        };
        let shared = facts(&w, &queries, &[(even, config.oracle_rule())]);
        let r = crate::router::Router::new(config, 3);
        let tie = evaluate(&even, &r, &queries, &shared, Oracle::Shared(0), 1);
        assert_eq!(tie.local, vec![answered]);
        // By compute (4 FLOPs local, 32 in the cloud) the optimal target goes local again.
        assert_eq!(
            run(Objective::Compute, Target::Optimal).local,
            vec![answered]
        );
    }

    #[test]
    fn datacenter_savings_count_only_the_cloud_tier_escalated_legs_included() {
        use crate::metrics::Summary;
        use crate::router::{Misroute, Objective, RouterConfig};
        let w = wildchat_workload(&["Qwen3-8B", "Qwen3-235B-A22B"]);
        let tracking = Tracking::new(&w, &["Qwen3-8B".into()], "Qwen3-235B-A22B").unwrap();
        let ep = Endpoints {
            service: &Dear,
            tracking: &tracking,
        };
        // 1,000 queries of 3 + 1 tokens: 20 J, 4 FLOPs, 4 USD locally; 16 J, 32 FLOPs, 32 USD
        // in the cloud.
        let queries: Vec<Query> = (0..1_000)
            .map(|i| Query {
                index: i,
                arrival_s: 0.0,
                input_tokens: 3,
                output_tokens: 1,
            })
            .collect();
        let k = queries
            .iter()
            .filter(|q| w.attributes(q.index).solved & 1 == 1)
            .count() as f64;
        assert!(k > 100.0 && k < 900.0);
        let run = |config: RouterConfig| {
            let shared = facts(&w, &queries, &[(ep, config.oracle_rule())]);
            evaluate(
                &ep,
                &crate::router::Router::new(config, 3),
                &queries,
                &shared,
                Oracle::Shared(0),
                1,
            )
        };
        let cloud = run(RouterConfig::AllCloud);
        let oracle = Summary::new(
            &run(RouterConfig::Oracle {
                objective: Objective::Energy,
                target: Target::LocalFirst,
            }),
            &cloud,
        );
        // The k answered queries leave the datacenter: it saves k / 1000 of everything, while
        // the system pays 20 - 16 = 4 J more for each and 32 - 4 = 28 FLOPs less.
        let share = k / 1000.0;
        assert!((oracle.dc_energy_savings - share).abs() < 1e-12);
        assert!((oracle.dc_compute_savings - share).abs() < 1e-12);
        assert!((oracle.dc_cost_savings - share).abs() < 1e-12);
        assert!((oracle.energy_savings - (-4.0 * k / 16_000.0)).abs() < 1e-12);
        assert!((oracle.compute_savings - (28.0 * k / 32_000.0)).abs() < 1e-12);
        // At p = 0 with escalation, the 1000 - k cloud-target queries try the local model
        // first and then the cloud: the datacenter spends exactly what all-cloud does, the
        // system 20 J more for each.
        let escalate = Summary::new(
            &run(RouterConfig::Accuracy {
                p: 0.0,
                misroute: Misroute::Escalate,
                objective: Objective::Energy,
                target: Target::LocalFirst,
            }),
            &cloud,
        );
        assert_eq!(
            (
                escalate.dc_energy_savings,
                escalate.dc_compute_savings,
                escalate.dc_cost_savings
            ),
            (0.0, 0.0, 0.0)
        );
        assert!((escalate.energy_savings - (-20.0 * (1000.0 - k) / 16_000.0)).abs() < 1e-12);
    }
}
