//! `ipw-sim`: a trace-driven simulator of hybrid local/cloud LLM inference.
//!
//! It replays an arrival trace, decides for every query whether a small local model or a
//! frontier cloud model serves it, charges each query energy, compute and cost from measured
//! model x hardware profiles, and reports savings against sending everything to the cloud.
//!
//! A run built in memory, from Rust: a scenario from text, the catalogue, a handful of
//! queries, and the results table as a DataFrame (nothing is written):
//!
//! ```
//! use ipw_sim::bind::Inputs;
//! use ipw_sim::profile::Catalogue;
//! use ipw_sim::report::tables::results_table;
//! use ipw_sim::scenario::Scenario;
//! use ipw_sim::sweep::Sweep;
//! use ipw_sim::trace::Query;
//! use std::path::Path;
//!
//! let scenario = Scenario::parse(
//!     Path::new("in-memory.toml"),
//!     r#"
//!     name = "in-memory"
//!     seed = 7
//!     [trace]
//!     path = "unused: the queries are given below"
//!     [workload]
//!     mix = { wildchat = 1.0 }
//!     [fleet]
//!     local_accelerator = "apple-m4-max"
//!     local_models = ["Qwen3-4B", "Qwen3-14B"]
//!     cloud_model = "Qwen3-235B-A22B"
//!     cloud_accelerator = "nvidia-h200"
//!     cloud_batch = 16
//!     [sweep]
//!     router = [{ kind = "all-cloud" }, { kind = "oracle" }]
//!     fleet.pue = [1.0, 1.2]
//!     "#,
//! )?;
//! // The catalogue from its TOML texts (here the shipped files, compiled in).
//! let catalogue = Catalogue::from_texts(
//!     Path::new("hardware-profiles"),
//!     include_str!("../hardware-profiles/models.toml"),
//!     include_str!("../hardware-profiles/accelerators.toml"),
//!     include_str!("../hardware-profiles/tasks.toml"),
//!     &[
//!         ("m4-4b.toml", include_str!("../hardware-profiles/pairs/qwen3-4b__apple-m4-max__table13.toml")),
//!         ("m4-14b.toml", include_str!("../hardware-profiles/pairs/qwen3-14b__apple-m4-max__table13.toml")),
//!         ("h200.toml", include_str!("../hardware-profiles/pairs/qwen3-235b-a22b__nvidia-h200__from-h100-itl.toml")),
//!     ],
//! )?;
//! // 1,000 queries, one every 100 ms, 500 prompt and 200 response tokens each.
//! let queries = (0..1000)
//!     .map(|i| Query { index: i, arrival_s: i as f64 * 0.1, input_tokens: 500, output_tokens: 200 })
//!     .collect();
//! let inputs = Inputs::with_queries(catalogue, queries)?;
//! let sweep = Sweep::with_inputs(&scenario, &inputs)?;
//! let result = sweep.run(&|_queries_done| {})?;
//! assert_eq!(result.points.len(), 4); // 2 PUE values x 2 routers
//! let oracle = &result.points[1];
//! assert_eq!(oracle.router.label(), "oracle");
//! assert!(oracle.summary.local_share > 0.4 && oracle.summary.compute_savings > 0.3);
//! let table = results_table(&sweep.meta, &result)?;
//! assert_eq!(table.column("fleet.pue")?.f64()?.get(3), Some(1.2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline, one concept per module (`docs/ARCHITECTURE.md` has the map):
//! * [`scenario`]: the scenario file schema, overrides, validation and sweep axes;
//! * [`profile`]: the hardware-profile catalogue (models, accelerators, pairs);
//! * [`trace`]: reading traces, rescaling and synthesising them;
//! * [`bind`]: a scenario's inputs loaded once, each point bound to plain specs;
//! * [`workload`]: task families and which models answer which queries;
//! * [`router`]: routing strategies, one file per kind;
//! * [`serve`]: the per-query route-and-charge step, above the core;
//! * [`sim`]: the simulation core (services, event-driven fleet, power, meters; no I/O);
//! * [`metrics`]: totals and derived figures;
//! * [`sweep`]: running bound points in parallel, sharing per-query work;
//! * [`calibrate`]: the workload model's fit against the paper's tables;
//! * [`breakeven`]: where local pairs beat the cloud in energy, per query;
//! * [`decompose`]: intelligence per watt over the years, split into models and hardware;
//! * [`validate`]: every published number with public inputs and every closed form, checked;
//! * [`report`]: outputs as data (tables, figures, text) and their one atomic writer.

pub mod atomic;
pub mod bind;
pub mod breakeven;
pub mod calibrate;
pub mod contain;
pub mod decompose;
pub mod metrics;
pub mod parquet_pages;
pub mod plan;
pub mod profile;
pub mod report;
pub mod rng;
pub mod router;
pub mod scenario;
pub mod serve;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod toml_text;
pub mod trace;
pub mod validate;
pub mod workload;
