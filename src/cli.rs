//! Command-line options (clap), validated into the library's types by `main`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "ipw-sim", version, about = "Trace-driven simulator of hybrid local/cloud LLM inference", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command that evaluates a scenario.
#[derive(Args, Debug)]
pub struct ScenarioOptions {
    /// Override a scenario field, e.g. --set metrics.flops_params=total (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override the number of queries (keeps the horizon; 24 h if the scenario has none).
    #[arg(long)]
    pub queries: Option<u64>,
}

/// Options of the commands that run sweeps.
#[derive(Args, Debug)]
pub struct RunOptions {
    #[command(flatten)]
    pub scenario: ScenarioOptions,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
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
        #[command(flatten)]
        options: RunOptions,
    },
    /// Expand each scenario's sweep and run every point in parallel.
    Sweep {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Results folder; each scenario writes into <out>/<scenario name>.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Print the workload model's calibration against the paper's Tables 4, 8, 9 and 11.
    Calibrate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        #[command(flatten)]
        options: ScenarioOptions,
    },
}
