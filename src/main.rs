//! The `ipw-sim` binary: parse options, run the library, write results. All modelling lives in
//! the library; this file only wires it to the terminal and the file system.

mod cli;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command, ImportSource, ProfileCommand, RunOptions, ScenarioOptions, TraceCommand};
use indicatif::{ProgressBar, ProgressStyle};
use ipw_sim::scenario::Scenario;
use ipw_sim::sweep::Plan;
use std::path::{Path, PathBuf};

/// Queries the calibration report samples unless `--queries` says otherwise.
const CALIBRATION_QUERIES: u64 = 1_000_000;

fn main() {
    if let Err(e) = real_main() {
        // One line: the chain of causes joined, most specific last.
        eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            scenario,
            out,
            options,
        } => {
            set_threads(options.threads)?;
            let mut s = load(&scenario, &options.scenario)?;
            if s.router.is_none() {
                anyhow::bail!(
                    "{}: field `router`: `ipw-sim run` needs a [router] table (use `ipw-sim sweep` for [sweep])",
                    scenario.display()
                );
            }
            s.sweep.router.clear();
            let out = out.unwrap_or_else(|| Path::new("results").join(&s.name));
            run_one(s, &out, &options)
        }
        Command::Sweep {
            scenarios,
            out,
            options,
        } => {
            set_threads(options.threads)?;
            // Validate every scenario before running any.
            let loaded = scenarios
                .iter()
                .map(|p| load(p, &options.scenario))
                .collect::<Result<Vec<_>>>()?;
            for s in loaded {
                let dir = out.join(&s.name);
                run_one(s, &dir, &options)?;
            }
            Ok(())
        }
        Command::Trace { command } => trace_command(command),
        Command::Profile { command } => profile_command(command),
        Command::Calibrate {
            scenario,
            set,
            sample,
        } => {
            let sample = sample.unwrap_or(CALIBRATION_QUERIES);
            anyhow::ensure!(sample >= 1, "--sample: expected at least 1 query");
            let options = ScenarioOptions {
                set,
                skip_invalid: false,
                queries: None,
            };
            let plan = Plan::new(load(&scenario, &options)?)?;
            print!("{}", ipw_sim::calibrate::report(&plan, sample)?);
            Ok(())
        }
    }
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        anyhow::ensure!(n >= 1, "--threads: expected at least 1");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("--threads")?;
    }
    Ok(())
}

fn load(path: &Path, options: &ScenarioOptions) -> Result<Scenario> {
    let s = Scenario::load_with(path, &options.set)?;
    let Some(q) = options.queries else {
        return Ok(s);
    };
    // --queries N is --set trace.queries=N, plus a 24 h horizon when the scenario has none.
    let mut set = options.set.clone();
    set.push(format!("trace.queries={q}"));
    if s.trace.horizon_hours.is_none() {
        set.push("trace.horizon_hours=24.0".into());
    }
    Ok(Scenario::load_with(path, &set)?)
}

/// Scenario names become folder names: keep them to one safe path component.
fn check_name(s: &Scenario) -> Result<()> {
    let ok = !s.name.is_empty()
        && s.name != "."
        && s.name != ".."
        && s.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    anyhow::ensure!(
        ok,
        "{}: field `name`: {:?} is used as a folder name; use only letters, digits, '.', '_' and '-'",
        s.path.display(),
        s.name
    );
    Ok(())
}

fn run_one(scenario: Scenario, out: &Path, options: &RunOptions) -> Result<()> {
    check_name(&scenario)?;
    let started = std::time::Instant::now();
    let plan = Plan::new(scenario)?;
    let bar = match (options.quiet, plan.work()) {
        (true, _) => ProgressBar::hidden(),
        (false, Some(n)) => ProgressBar::new(n),
        (false, None) => ProgressBar::no_length(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {percent:>3}% {human_pos}/{human_len} queries, eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(plan.scenario.name.clone());
    let result = plan.run(&|n| bar.inc(n));
    bar.finish_and_clear();
    let result = result?;
    for w in result.source.warnings() {
        let path = plan
            .scenario
            .trace
            .path
            .as_deref()
            .unwrap_or(Path::new("trace"));
        eprintln!("warning: {}: {w}", path.display());
    }
    for w in ipw_sim::report::overload_warnings(&result) {
        eprintln!("warning: {}: {w}", plan.scenario.name);
    }
    let written: Vec<PathBuf> = ipw_sim::report::write_results(out, &plan, &result)?;
    print!("{}", ipw_sim::report::summary_text(&plan, &result));
    eprintln!(
        "{}: {} points x {} queries in {:.2} s; wrote {}",
        plan.scenario.name,
        result.points.len(),
        result.baseline.queries,
        started.elapsed().as_secs_f64(),
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

fn trace_command(command: TraceCommand) -> Result<()> {
    use ipw_sim::trace::{inspect::TraceStats, Columns, Synth, SynthSpec, TraceSpec};
    match command {
        TraceCommand::Synth {
            out,
            per_day,
            days,
            seed,
            set,
        } => {
            let mut text = format!("days = {days}\n");
            if let Some(p) = per_day {
                text += &format!("per_day = {p}\n");
            }
            for kv in &set {
                let (k, v) = kv
                    .split_once('=')
                    .with_context(|| format!("--set {kv:?}: expected KEY=VALUE"))?;
                let v = if toml::from_str::<toml::Table>(&format!("v = {v}")).is_ok() {
                    v.to_string()
                } else {
                    format!("{v:?}")
                };
                text += &format!("{k} = {v}\n");
            }
            let spec: SynthSpec = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("synthesis settings: {}", e.message()))?;
            let started = std::time::Instant::now();
            let synth = Synth::new(&spec, seed)?;
            let rows = ipw_sim::trace::write::write_synth(&synth, &out)?;
            eprintln!(
                "wrote {rows} rows to {} in {:.2} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        TraceCommand::Inspect {
            files,
            png,
            skip_invalid,
            columns,
        } => {
            let columns: Option<Columns> = columns
                .map(|c| {
                    toml::from_str::<toml::Table>(&format!("c = {{ {c} }}"))
                        .ok()
                        .and_then(|mut t| t.remove("c"))
                        .context("--columns: expected TOML pairs like time=\"ts\", time_unit=\"ms\", input=\"in\", output=\"out\"")?
                        .try_into::<Columns>()
                        .map_err(|e| anyhow::anyhow!("--columns: {}", e.message()))
                })
                .transpose()?;
            let mut named = Vec::new();
            for f in &files {
                let spec = TraceSpec {
                    path: Some(f.clone()),
                    columns: columns.clone(),
                    skip_invalid,
                    ..toml::from_str("").expect("every trace field has a default")
                };
                let mut source = spec.prepare(1)?.open()?;
                let stats = TraceStats::collect(source.as_mut())?;
                for w in stats.source.warnings() {
                    eprintln!("warning: {}: {w}", f.display());
                }
                let name = f.file_name().map_or_else(
                    || f.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                named.push((name, stats));
            }
            print!("{}", TraceStats::table(&named));
            if let Some(p) = png {
                ipw_sim::plot::trace_figure(&p, &named).map_err(anyhow::Error::msg)?;
                eprintln!("wrote {}", p.display());
            }
            Ok(())
        }
    }
}

fn profile_command(command: ProfileCommand) -> Result<()> {
    use ipw_sim::profile::{check, harness, mlenergy, show, Catalogue};
    match command {
        ProfileCommand::List { profiles } => {
            print!("{}", show::list_text(&Catalogue::load(&profiles)?));
            Ok(())
        }
        ProfileCommand::Show {
            model,
            accelerator,
            variant,
            profiles,
        } => {
            let cat = Catalogue::load(&profiles)?;
            print!(
                "{}",
                show::show_text(&cat, &model, &accelerator, variant.as_deref())?
            );
            Ok(())
        }
        ProfileCommand::Check { profiles } => {
            let cat = Catalogue::load(&profiles)?;
            let issues = check::check(&cat);
            for i in &issues {
                println!("{i}");
            }
            anyhow::ensure!(
                issues.is_empty(),
                "{}: {} finding(s), listed above",
                profiles.display(),
                issues.len()
            );
            println!(
                "{}: {} pair variants on {} accelerators, {} models: ok",
                profiles.display(),
                cat.pairs.len(),
                cat.accelerators.len(),
                cat.models.len()
            );
            Ok(())
        }
        ProfileCommand::Import { source } => {
            let (text, options) = match source {
                ImportSource::MlEnergy {
                    file,
                    options,
                    gpu,
                    gpus,
                    mfu,
                    skip_caps,
                } => {
                    let cat = Catalogue::load(&options.profiles)?;
                    let shown = shown_path(&file, &options.profiles);
                    let o = mlenergy::MlEnergyOptions {
                        model: options.model.clone(),
                        accelerator: options.accelerator.clone(),
                        gpu,
                        gpus,
                        variant: options.variant.clone(),
                        default: options.default,
                        mfu,
                        skip_caps,
                    };
                    (mlenergy::import(&file, &shown, &o, &cat)?, options)
                }
                ImportSource::IpwRun {
                    dir,
                    options,
                    devices,
                    precision,
                    gpu_energy_only,
                } => {
                    let cat = Catalogue::load(&options.profiles)?;
                    let shown = shown_path(&dir, &options.profiles);
                    let o = harness::HarnessOptions {
                        model: options.model.clone(),
                        accelerator: options.accelerator.clone(),
                        variant: options.variant.clone(),
                        default: options.default,
                        devices,
                        precision,
                        energy: if gpu_energy_only {
                            harness::EnergyParts::Gpu
                        } else {
                            harness::EnergyParts::All
                        },
                    };
                    let r = harness::import(&dir, &shown, &o, &cat)?;
                    let f = &r.fit;
                    eprintln!(
                        "fitted {} of {} queries: R^2 latency {:.4}, energy {:.4}, TTFT {}; decode {:.2} ms/token, prefill {:.0} tokens/s, power {:.1} W",
                        f.queries,
                        r.records,
                        f.r2_latency,
                        f.r2_energy,
                        f.r2_ttft.map_or("n/a".into(), |r| format!("{r:.4}")),
                        r.point.decode_step_s * 1e3,
                        r.point.prefill_tokens_per_s,
                        r.point.power_w
                    );
                    (r.toml, options)
                }
            };
            match &options.out {
                Some(path) => {
                    ipw_sim::atomic::write_atomic(path, |f| {
                        use std::io::Write;
                        f.write_all(text.as_bytes())
                    })
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// `path` relative to the catalogue folder when it lies inside it (as pair headers show it).
fn shown_path(path: &Path, catalogue: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    abs(path)
        .strip_prefix(abs(catalogue))
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
