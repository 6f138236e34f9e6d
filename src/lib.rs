//! `ipw-sim`: a trace-driven simulator of hybrid local/cloud LLM inference.
//!
//! It replays an arrival trace, decides for every query whether a small local model or a
//! frontier cloud model serves it, charges each query energy, compute and cost from measured
//! model x hardware profiles, and reports savings against sending everything to the cloud.
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

pub mod calibrate;
pub mod metrics;
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
