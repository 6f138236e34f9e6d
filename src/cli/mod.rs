//! The command line: options (clap) parsed straight into the library's types, and dispatch to
//! one module per command. `main.rs` only calls [`run`] and prints errors.

mod breakeven;
mod calibrate;
mod decompose;
mod plot;
mod profile;
mod scenario;
mod trace;
mod validate;

use clap::{Args, Parser, Subcommand};
use ipw_sim::scenario::{Overrides, Setting};
use std::path::PathBuf;

/// Write `outputs` into `out` (tables as CSV and Parquet, figures) with no manifest, for the
/// commands whose results are not a run (`validate`, `plot`); returns the files, listed.
fn write_without_manifest(
    out: &std::path::Path,
    outputs: &mut [ipw_sim::report::Output],
) -> anyhow::Result<String> {
    let written = ipw_sim::report::write_outputs(out, outputs, &ipw_sim::report::TABLE_FORMATS)?;
    Ok(written
        .iter()
        .map(|f| f.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", "))
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            options,
        } => scenario::run(&scenario, out, &options),
        Command::Sweep {
            scenarios,
            out,
            options,
        } => scenario::sweep(&scenarios, &out, &options),
        Command::Calibrate {
            scenario,
            options,
            sample,
        } => calibrate::run(&scenario, &options, sample),
        Command::Breakeven {
            scenario,
            out,
            options,
            sample,
        } => breakeven::run(&scenario, out, &options, sample),
        Command::Decompose {
            scenario,
            out,
            options,
            sample,
        } => decompose::run(&scenario, out, &options, sample),
        Command::Validate {
            full,
            scenarios,
            out,
        } => validate::run(full, scenarios, out),
        Command::Plot { dir, out, set } => plot::run(&dir, out, &set),
        Command::Trace { command } => trace::run(command),
        Command::Profile { command } => profile::run(command),
    }
}

#[derive(Parser, Debug)]
#[command(name = "ipw-sim", version, about = "Trace-driven simulator of hybrid local/cloud LLM inference", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command that evaluates a scenario.
#[derive(Args, Debug)]
pub struct ScenarioOptions {
    /// Override a scenario field, e.g. --set metrics.flops_params=total (repeatable; the value
    /// is TOML, or else a string).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<Setting>,
    /// Skip malformed trace rows and count them (trace.skip_invalid = true).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Loop and compress the trace to N queries (trace.queries = N, and trace.horizon_hours =
    /// 24 unless the scenario or a --set gives a horizon).
    #[arg(long)]
    pub queries: Option<u64>,
}

impl ScenarioOptions {
    /// The overrides these options make, applied before the scenario is validated.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            set: self.set.clone(),
            queries: self.queries,
            skip_invalid: self.skip_invalid,
        }
    }
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
    /// Refuse to run when a profile the scenario uses fails `profile check` (default: warn).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one scenario point (its [router]) and print its figures.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Results folder (default: results/<scenario name>/run).
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
    /// Synthesize or inspect traces.
    Trace {
        #[command(subcommand)]
        command: TraceCommand,
    },
    /// List, show, check and import hardware profiles.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Print the workload model's calibration against the paper's Tables 4, 8, 9 and 11.
    Calibrate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        #[command(flatten)]
        options: ScenarioOptions,
        /// Number of queries to sample (default 1,000,000; all held in memory).
        #[arg(long)]
        sample: Option<u64>,
    },
    /// Energy break-even (fixed-batch accounting): every local pair of the catalogue against
    /// the scenario's cloud endpoint, per prompt and response token, on the mean query and on
    /// the scenario's own queries; writes breakeven and breakeven-grid tables.
    Breakeven {
        /// Scenario file (TOML): its cloud endpoint, batch sizes, PUE and trace.
        scenario: PathBuf,
        /// Results folder (default: results/<scenario name>/breakeven).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        options: ScenarioOptions,
        /// Number of queries to sample from the trace (default 1,000,000; held in memory).
        #[arg(long)]
        sample: Option<u64>,
    },
    /// Intelligence per watt (and per joule) over the years of the scenario's [decompose]
    /// section, split into models and hardware by the paper's method and factorially; with
    /// coverage, each year's local pool replayed against the cloud.
    Decompose {
        /// Scenario file (TOML) with a [decompose] section.
        scenario: PathBuf,
        /// Results folder (default: results/<scenario name>/decompose).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        options: ScenarioOptions,
        /// Queries sampled from the trace for the mean query and the coverage replay (default
        /// 1,000,000; held in memory).
        #[arg(long)]
        sample: Option<u64>,
    },
    /// Redraw a run's figures (PNG and SVG: savings vs router accuracy, cumulative energy,
    /// compute and cost, power per tier, heatmap) from its results folder (its Parquet tables
    /// and manifest.json), without re-running it; the run's [figures] section says what to
    /// draw, and --set changes it.
    Plot {
        /// A results folder written by run or sweep.
        dir: PathBuf,
        /// Where to write the figures (default: the results folder itself).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Change the [figures] section for this redraw, e.g. --set figures.draw='["heatmap"]'
        /// or --set figures.heatmap.metric=cost_savings (only figures.* keys: the results are
        /// not re-run).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<Setting>,
    },
    /// Check every published number whose inputs are public (Table 2, Tables 8/9, ML.ENERGY
    /// points) and every closed form the core must meet (savings linear in p, queueing);
    /// prints the table and exits 1 if any check fails.
    Validate {
        /// The paper's full volume (80.2M queries) and 1M-arrival queueing runs (about 15 s in
        /// a release build), instead of the fast mode CI runs.
        #[arg(long)]
        full: bool,
        /// The scenarios folder (default: ./scenarios, else the source tree's).
        #[arg(long)]
        scenarios: Option<PathBuf>,
        /// Results folder (default: results/validate).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Write a BurstGPT-shaped synthetic trace (BurstGPT CSV layout, or Parquet by extension).
    Synth {
        /// Output file, .csv or .parquet.
        #[arg(long)]
        out: PathBuf,
        /// Mean requests per day (default: BurstGPT_1's 23,438; the paper's day is 80200000).
        #[arg(long)]
        per_day: Option<f64>,
        /// Days to generate.
        #[arg(long, default_value_t = 1.0)]
        days: f64,
        /// Seed; the same seed gives the same trace.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Any other synthesis setting, e.g. --set cv=1.0 --set iat=weibull --set failure_rate=0.01
        /// (the keys of [trace.synth]; repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<Setting>,
    },
    /// Print a trace's statistics (rows, span, rate, inter-arrival CV, burstiness, hourly
    /// profile, token quantiles, failures); several traces are shown side by side.
    Inspect {
        /// Trace files (any readable layout; generic CSV/JSONL/Parquet need --columns).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also draw arrival rate and length distributions to this PNG.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Also draw the same figure to this SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Draw the PNG at print size (the same layout 1.5 times as large, as [figures]
        /// size = "print").
        #[arg(long)]
        print: bool,
        /// Skip malformed rows and count them instead of stopping at the first.
        #[arg(long)]
        skip_invalid: bool,
        /// Column map for generic files, as TOML: 'time="ts", time_unit="ms", input="in", output="out"'.
        #[arg(long)]
        columns: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Every pair variant and accelerator in the catalogue.
    List {
        #[command(flatten)]
        catalogue: CatalogueOption,
    },
    /// One pair with its sources and points.
    Show {
        model: String,
        accelerator: String,
        /// A variant other than the default.
        #[arg(long)]
        variant: Option<String>,
        #[command(flatten)]
        catalogue: CatalogueOption,
    },
    /// Validate the catalogue: units, ranges, power against TDP, batching curves, measured
    /// figures, fits, prices; exits 1 listing every finding.
    Check {
        #[command(flatten)]
        catalogue: CatalogueOption,
    },
    /// Import a profile from a measurement.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
}

/// Where the profile catalogue is: `--profiles DIR`, or the one `--scenario FILE` uses, or
/// `$IPW_SIM_PROFILES`, or `./hardware-profiles`, or the catalogue the binary was built with.
#[derive(Args, Debug)]
pub struct CatalogueOption {
    /// Catalogue folder (default: $IPW_SIM_PROFILES, ./hardware-profiles, or the catalogue
    /// of the source tree the binary was built from).
    #[arg(long, value_name = "DIR")]
    pub profiles: Option<PathBuf>,
    /// Use the catalogue this scenario names (its `profiles`).
    #[arg(long, value_name = "FILE", conflicts_with = "profiles")]
    pub scenario: Option<PathBuf>,
}

/// The environment variable naming a default catalogue folder.
pub const PROFILES_ENV: &str = "IPW_SIM_PROFILES";

impl CatalogueOption {
    /// The catalogue folder, by the order above.
    pub fn locate(&self) -> anyhow::Result<PathBuf> {
        if let Some(p) = &self.profiles {
            return Ok(p.clone());
        }
        if let Some(s) = &self.scenario {
            return Ok(ipw_sim::scenario::Scenario::load(s)?.profiles);
        }
        if let Some(p) = std::env::var_os(PROFILES_ENV).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        let here = PathBuf::from("hardware-profiles");
        if here.is_dir() {
            return Ok(here);
        }
        let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/hardware-profiles"));
        if built.is_dir() {
            return Ok(built);
        }
        anyhow::bail!(
            "no profile catalogue found: give --profiles DIR or --scenario FILE, or set {PROFILES_ENV} (looked in ./hardware-profiles and {})",
            built.display()
        )
    }
}

/// Options shared by the importers.
#[derive(Args, Debug)]
pub struct ImportOptions {
    /// Catalogue model name the profile is for.
    #[arg(long)]
    pub model: String,
    /// Catalogue accelerator id.
    #[arg(long)]
    pub accelerator: String,
    /// Variant name (ml-energy: the file's task; ipw-run: ipw-harness).
    #[arg(long)]
    pub variant: Option<String>,
    /// Mark the variant as the pair's default.
    #[arg(long)]
    pub default: bool,
    #[command(flatten)]
    pub catalogue: CatalogueOption,
    /// Write the profile here (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ImportSource {
    /// An ML.ENERGY Leaderboard v3 model file (all configurations of one deployment -> one batching curve).
    MlEnergy {
        /// public/data/models/<org>__<model>__<task>.json
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
        /// ML.ENERGY gpu_model (default: from the accelerator id, nvidia-h100 -> H100).
        #[arg(long)]
        gpu: Option<String>,
        /// GPUs per deployment (default: the smallest with at least 4 configurations).
        #[arg(long)]
        gpus: Option<u32>,
        /// Model FLOPs utilisation assumed for the prefill roofline.
        #[arg(long, default_value_t = 0.4)]
        mfu: f64,
        /// Leave out these configurations (max_num_seqs, comma-separated) as outliers.
        #[arg(long, value_delimiter = ',')]
        skip_caps: Vec<u32>,
    },
    /// A run folder of the IPW harness (`ipw profile` output: data-*.arrow + summary.json).
    IpwRun {
        dir: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
        /// Accelerators the run used.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        devices: u32,
        /// Weight precision of the run.
        #[arg(long, default_value = "unknown")]
        precision: String,
        /// Count GPU energy only (default: GPU + CPU + ANE, where measured).
        #[arg(long)]
        gpu_energy_only: bool,
    },
}
