//! `ipw-sim`: a trace-driven simulator of hybrid local/cloud LLM inference.
//!
//! It replays an arrival trace, decides for every query whether a small local model or a
//! frontier cloud model serves it, charges each query energy, compute and cost from measured
//! model x hardware profiles, and reports savings against sending everything to the cloud.
//!
//! A sweep from Rust, as the `sweep` command runs it:
//!
//! ```
//! use ipw_sim::scenario::Scenario;
//! use ipw_sim::sweep::Plan;
//!
//! // The paper's scenario at 20,000 queries instead of 80.2M.
//! let set = ["trace.queries=20000".to_string()];
//! let scenario = Scenario::load_with("scenarios/paper-fig4.toml".as_ref(), &set)?;
//! let plan = Plan::new(scenario)?;
//! let result = plan.run(&|_queries_done| {})?;
//! let oracle = result.points.iter().find(|p| p.router.label() == "oracle").unwrap();
//! assert_eq!(oracle.summary.queries, 20_000);
//! assert!(oracle.summary.local_share > 0.5);
//! assert!(oracle.summary.compute_savings > 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules, one concept each:
//! * [`trace`]: reading traces and rescaling them to a target volume;
//! * [`profile`]: the hardware-profile catalogue (models, accelerators, pairs);
//! * [`workload`]: task families and which models answer which queries;
//! * [`router`]: routing strategies;
//! * [`sim`]: serving and charging queries (no I/O);
//! * [`metrics`]: totals and derived figures;
//! * [`scenario`]: the scenario file schema and sweep expansion;
//! * [`sweep`]: loading a scenario's inputs and running its points in parallel;
//! * [`calibrate`]: the workload model's fit against the paper's tables;
//! * [`report`]: results tables (CSV, Parquet) and text summaries.

pub mod atomic;
pub mod calibrate;
pub mod metrics;
pub mod plot;
pub mod profile;
pub mod report;
pub mod rng;
pub mod router;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod trace;
pub mod workload;
