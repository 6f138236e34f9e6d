//! Routers: which tier, and which local model, serves a query.
//!
//! One file per kind, each a small type implementing [`Decide`]; [`Router`] is the enum over
//! them that a sweep point holds (static dispatch: routing runs once per query per point).
//! A router sees a [`RouteInput`]: the query's index (its random draws are keyed by it), task
//! family and token counts, and, for the oracle and the routers defined relative to it, the
//! oracle's target (ground truth: which local model would answer it cheapest). Kinds:
//! * [`all_cloud`]: the baseline;
//! * [`oracle`]: the oracle's target (an [`OracleRule`]: an [`Objective`] and a [`Target`]
//!   rule), i.e. the cheapest local model that answers, or the cloud;
//! * [`accuracy`]: the paper's router with routing accuracy `p` and a [`Misroute`] kind.
//!
//! Under paper semantics the fixed-batch savings are exactly `p` times the oracle's in
//! expectation (invariant 5, `docs/ARCHITECTURE.md`).
//!
//! To add a kind: a file here with a type implementing [`Decide`], a variant of
//! [`RouterConfig`] (its TOML form) and of the private `Kind`, and its label.

pub mod accuracy;
pub mod all_cloud;
pub mod oracle;

use crate::sim::Charge;
pub use crate::sim::Route;

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
    /// The value this objective minimises in a charge.
    #[inline]
    pub fn of(self, c: &Charge) -> f64 {
        match self {
            Objective::Energy => c.energy_j,
            Objective::Compute => c.flops,
            Objective::Cost => c.cost_usd,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Objective::Energy => "energy",
            Objective::Compute => "compute",
            Objective::Cost => "cost",
        }
    }
}

/// Which endpoints the oracle chooses among.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The paper's: the cheapest local model that answers the query, else the cloud. The cloud
    /// serves only what no local model answers, even where it would cost less.
    #[default]
    LocalFirst,
    /// The cheapest of the answering local models and the cloud: a local model is chosen only
    /// if it answers and costs no more than the cloud by the objective (ties go local). The
    /// cloud is always a candidate, answering or not, since it is where all-cloud sends the
    /// query; so, per query, the choice never costs more than all-cloud's by the objective and
    /// is never less often correct.
    Optimal,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::LocalFirst => "local-first",
            Target::Optimal => "optimal",
        }
    }
}

/// How the oracle chooses: what it minimises, among which endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OracleRule {
    pub objective: Objective,
    pub target: Target,
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
    /// The oracle's target: by `objective`, the cheapest local model that answers correctly,
    /// else the cloud (`target = "local-first"`), or the cheapest of those and the cloud
    /// (`target = "optimal"`).
    Oracle {
        #[serde(default)]
        objective: Objective,
        #[serde(default)]
        target: Target,
    },
    /// The paper's imperfect router with routing accuracy `p`.
    Accuracy {
        p: f64,
        #[serde(default)]
        misroute: Misroute,
        #[serde(default)]
        objective: Objective,
        #[serde(default)]
        target: Target,
    },
}

impl RouterConfig {
    /// A short label, e.g. `accuracy(p=0.8)`.
    pub fn label(&self) -> String {
        match self {
            RouterConfig::AllCloud => "all-cloud".into(),
            RouterConfig::Oracle { objective, target } => {
                let options = Self::options(&[], *objective, *target);
                if options.is_empty() {
                    "oracle".into()
                } else {
                    format!("oracle({})", options.join(","))
                }
            }
            RouterConfig::Accuracy {
                p,
                misroute,
                objective,
                target,
            } => {
                let mut options = vec![format!("p={p}")];
                if *misroute != Misroute::Paper {
                    options.push(misroute.name().into());
                }
                format!(
                    "accuracy({})",
                    Self::options(&options, *objective, *target).join(",")
                )
            }
        }
    }

    /// `options` followed by the objective and target where they are not the defaults.
    fn options(options: &[String], objective: Objective, target: Target) -> Vec<String> {
        let mut out = options.to_vec();
        if objective != Objective::Energy {
            out.push(objective.name().into());
        }
        if target != Target::LocalFirst {
            out.push(target.name().into());
        }
        out
    }

    pub fn kind(&self) -> &'static str {
        match self {
            RouterConfig::AllCloud => "all-cloud",
            RouterConfig::Oracle { .. } => "oracle",
            RouterConfig::Accuracy { .. } => "accuracy",
        }
    }

    /// How the oracle this setting follows chooses (the defaults for all-cloud, which reads
    /// no oracle).
    pub fn oracle_rule(&self) -> OracleRule {
        match self {
            RouterConfig::AllCloud => OracleRule::default(),
            RouterConfig::Oracle { objective, target }
            | RouterConfig::Accuracy {
                objective, target, ..
            } => OracleRule {
                objective: *objective,
                target: *target,
            },
        }
    }

    /// Whether routers of this setting read the oracle's target.
    pub fn needs_oracle(&self) -> bool {
        !matches!(self, RouterConfig::AllCloud)
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

/// What a router sees of one query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteInput {
    /// Position in the replay; keys the router's random draws.
    pub index: u64,
    /// Task family (index into the workload's families).
    pub task: usize,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// The oracle's target under the router's [`OracleRule`]: the pool model it chooses, or
    /// `None` for the cloud. Ground truth, read only by the oracle and the routers defined
    /// relative to it.
    pub oracle: Option<usize>,
    /// Some pool model answers the query (ground truth, as `oracle`; with the optimal target a
    /// query can be solvable and still have the cloud as its target).
    pub solvable: bool,
    /// The task family's strongest pool model (where an erring router sends a query it
    /// wrongly believes local).
    pub fallback: usize,
}

/// One routing decision.
pub trait Decide {
    fn route(&self, q: &RouteInput) -> Route;
}

#[derive(Clone, Debug)]
enum Kind {
    AllCloud(all_cloud::AllCloud),
    Oracle(oracle::Oracle),
    Accuracy(accuracy::Accuracy),
}

/// A router ready to decide: its setting and the kind built from it.
#[derive(Clone, Debug)]
pub struct Router {
    config: RouterConfig,
    kind: Kind,
}

impl Router {
    pub fn new(config: RouterConfig, seed: u64) -> Router {
        let kind = match &config {
            RouterConfig::AllCloud => Kind::AllCloud(all_cloud::AllCloud),
            RouterConfig::Oracle { .. } => Kind::Oracle(oracle::Oracle),
            RouterConfig::Accuracy { p, misroute, .. } => {
                Kind::Accuracy(accuracy::Accuracy::new(*p, *misroute, seed))
            }
        };
        Router { config, kind }
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Whether the router reads the oracle's target (so the caller must compute it).
    pub fn needs_oracle(&self) -> bool {
        self.config.needs_oracle()
    }
}

impl Decide for Router {
    #[inline]
    fn route(&self, q: &RouteInput) -> Route {
        match &self.kind {
            Kind::AllCloud(r) => r.route(q),
            Kind::Oracle(r) => r.route(q),
            Kind::Accuracy(r) => r.route(q),
        }
    }
}

#[cfg(test)]
mod tests;
