//! Routers: which tier, and which local model, serves a query.
//!
//! A router sees the query's task family and, only in the oracle's case, ground truth (which
//! models answer it). The `accuracy` router is the paper's: a locally solvable query goes to its
//! oracle target with probability `p`, otherwise to the cloud; by default a query no local model
//! can answer always goes to the cloud (`misroute = "paper"`). Two other misroute kinds let the
//! router also err on those queries (with probability `1 - p`): `wrong-local` answers them on
//! the task family's strongest local model, wrongly; `escalate` tries that local model, detects
//! the failure and then asks the cloud, paying for both.
//!
//! Under paper semantics the expected savings are exactly `p` times the oracle's (DESIGN.md
//! invariant 5); the router's coin for query `i` is keyed by `(seed, i)` only, so raising `p`
//! only ever moves more queries local (curves are monotone, not just linear on average).

use crate::rng::{Purpose, Stream};

/// What the oracle (and the oracle-following routers) minimise when several local models
/// answer a query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    #[default]
    Energy,
    Compute,
    Cost,
}

impl Objective {
    pub fn name(self) -> &'static str {
        match self {
            Objective::Energy => "energy",
            Objective::Compute => "compute",
            Objective::Cost => "cost",
        }
    }
}

/// What happens to a query that no local model can answer when an imperfect router errs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Misroute {
    /// The paper's semantics: such queries always go to the cloud.
    #[default]
    Paper,
    /// With probability `1 - p` it is answered locally, wrongly.
    WrongLocal,
    /// With probability `1 - p` it is tried locally, fails, and is escalated to the cloud.
    Escalate,
}

impl Misroute {
    pub fn name(self) -> &'static str {
        match self {
            Misroute::Paper => "paper",
            Misroute::WrongLocal => "wrong-local",
            Misroute::Escalate => "escalate",
        }
    }
}

/// A router setting, as written in a scenario (`kind = "..."`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RouterConfig {
    /// Every query to the cloud (the baseline savings are measured against).
    AllCloud,
    /// The cheapest local model (by `objective`) that answers correctly, else the cloud.
    Oracle {
        #[serde(default)]
        objective: Objective,
    },
    /// The paper's imperfect router with routing accuracy `p`.
    Accuracy {
        p: f64,
        #[serde(default)]
        misroute: Misroute,
        #[serde(default)]
        objective: Objective,
    },
}

impl RouterConfig {
    /// A short label, e.g. `accuracy(p=0.8)`.
    pub fn label(&self) -> String {
        match self {
            RouterConfig::AllCloud => "all-cloud".into(),
            RouterConfig::Oracle { objective } => match objective {
                Objective::Energy => "oracle".into(),
                o => format!("oracle({})", o.name()),
            },
            RouterConfig::Accuracy {
                p,
                misroute,
                objective,
            } => {
                let mut s = format!("accuracy(p={p}");
                if *misroute != Misroute::Paper {
                    s += &format!(",{}", misroute.name());
                }
                if *objective != Objective::Energy {
                    s += &format!(",{}", objective.name());
                }
                s + ")"
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            RouterConfig::AllCloud => "all-cloud",
            RouterConfig::Oracle { .. } => "oracle",
            RouterConfig::Accuracy { .. } => "accuracy",
        }
    }

    pub fn objective(&self) -> Objective {
        match self {
            RouterConfig::AllCloud => Objective::Energy,
            RouterConfig::Oracle { objective } | RouterConfig::Accuracy { objective, .. } => {
                *objective
            }
        }
    }

    /// Check parameter ranges; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            RouterConfig::Accuracy { p, .. } if !(0.0..=1.0).contains(p) => Err(format!(
                "router.p: expected a routing accuracy in [0, 1], got {p}"
            )),
            _ => Ok(()),
        }
    }
}

/// Where a query is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Cloud,
    /// Local model `i` of the pool.
    Local(usize),
    /// Tried on local model `i`, failed, then served by the cloud.
    LocalThenCloud(usize),
}

/// A router ready to decide.
#[derive(Clone, Debug)]
pub struct Router {
    config: RouterConfig,
    coins: Stream,
}

impl Router {
    pub fn new(config: RouterConfig, seed: u64) -> Router {
        Router {
            config,
            coins: Stream::new(seed, Purpose::Router),
        }
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Route query `index`, whose oracle target is `target` (the cheapest local model that
    /// answers it, if any) and whose task family's strongest local model is `fallback`.
    #[inline]
    pub fn route(&self, index: u64, target: Option<usize>, fallback: usize) -> Route {
        match (&self.config, target) {
            (RouterConfig::AllCloud, _) => Route::Cloud,
            (RouterConfig::Oracle { .. }, Some(m)) => Route::Local(m),
            (RouterConfig::Oracle { .. }, None) => Route::Cloud,
            (RouterConfig::Accuracy { p, .. }, Some(m)) => {
                if self.coins.unit(index) < *p {
                    Route::Local(m)
                } else {
                    Route::Cloud
                }
            }
            (RouterConfig::Accuracy { p, misroute, .. }, None) => {
                if *misroute == Misroute::Paper || self.coins.unit(index) < *p {
                    Route::Cloud
                } else if *misroute == Misroute::WrongLocal {
                    Route::Local(fallback)
                } else {
                    Route::LocalThenCloud(fallback)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accuracy(p: f64, misroute: Misroute) -> Router {
        Router::new(
            RouterConfig::Accuracy {
                p,
                misroute,
                objective: Objective::Energy,
            },
            5,
        )
    }

    #[test]
    fn p_one_routes_like_the_oracle_and_p_zero_like_all_cloud() {
        let oracle = Router::new(
            RouterConfig::Oracle {
                objective: Objective::Energy,
            },
            5,
        );
        let cloud = Router::new(RouterConfig::AllCloud, 5);
        for i in 0..10_000 {
            for target in [None, Some(2)] {
                assert_eq!(
                    accuracy(1.0, Misroute::Paper).route(i, target, 0),
                    oracle.route(i, target, 0)
                );
                assert_eq!(
                    accuracy(0.0, Misroute::Paper).route(i, target, 0),
                    cloud.route(i, target, 0)
                );
            }
        }
    }

    #[test]
    fn raising_p_only_moves_queries_local() {
        let (lo, hi) = (
            accuracy(0.6, Misroute::Paper),
            accuracy(0.8, Misroute::Paper),
        );
        let mut local = (0, 0);
        for i in 0..100_000 {
            let (a, b) = (lo.route(i, Some(1), 0), hi.route(i, Some(1), 0));
            if a == Route::Local(1) {
                assert_eq!(b, Route::Local(1));
                local.0 += 1;
            }
            local.1 += usize::from(b == Route::Local(1));
        }
        assert!(
            (local.0 as f64 / 1e5 - 0.6).abs() < 0.01 && (local.1 as f64 / 1e5 - 0.8).abs() < 0.01
        );
    }

    #[test]
    fn misroute_kinds_treat_cloud_only_queries_as_documented() {
        let n = 100_000;
        let count = |r: Router, want: Route| {
            (0..n).filter(|&i| r.route(i, None, 3) == want).count() as f64 / n as f64
        };
        assert_eq!(count(accuracy(0.7, Misroute::Paper), Route::Cloud), 1.0);
        assert!((count(accuracy(0.7, Misroute::WrongLocal), Route::Local(3)) - 0.3).abs() < 0.01);
        assert!(
            (count(accuracy(0.7, Misroute::Escalate), Route::LocalThenCloud(3)) - 0.3).abs() < 0.01
        );
    }

    #[test]
    fn labels_name_the_setting() {
        assert_eq!(RouterConfig::AllCloud.label(), "all-cloud");
        let r = RouterConfig::Accuracy {
            p: 0.8,
            misroute: Misroute::Escalate,
            objective: Objective::Cost,
        };
        assert_eq!(r.label(), "accuracy(p=0.8,escalate,cost)");
    }
}
