//! Command-line options (clap), validated into the library's types by `main`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "ipw-sim", version, about = "Trace-driven simulator of hybrid local/cloud LLM inference", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one scenario point (its [router]) and print its figures.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Results folder (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario field, e.g. --set metrics.flops_params=total (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Override the scenario's number of queries (keeps its horizon).
        #[arg(long)]
        queries: Option<u64>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Expand each scenario's sweep and run every point in parallel.
    Sweep {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Results folder; each scenario writes into <out>/<scenario name> (default: results).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Override a scenario field, e.g. --set metrics.flops_params=total (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Override the scenarios' number of queries (keeps their horizons).
        #[arg(long)]
        queries: Option<u64>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the workload model's calibration against the paper's Tables 4, 8, 9 and 11.
    Calibrate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Override a scenario field, e.g. --set metrics.flops_params=total (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Number of queries to sample.
        #[arg(long, default_value_t = 1_000_000)]
        queries: u64,
    },
}
