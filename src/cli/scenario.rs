//! `ipw-sim run` and `ipw-sim sweep`: bind a scenario, run its points, write its tables.

use super::RunOptions;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ipw_sim::report::{self, tables, text, TABLE_FORMATS};
use ipw_sim::scenario::Scenario;
use ipw_sim::sweep::Sweep;
use std::path::{Path, PathBuf};

/// `run`: the scenario's single `[router]`, results in `out` (default `results/<name>`).
pub fn run(path: &Path, out: Option<PathBuf>, options: &RunOptions) -> Result<()> {
    set_threads(options.threads)?;
    let mut s = Scenario::load_with(path, &options.scenario.overrides())?;
    anyhow::ensure!(
        s.router.is_some(),
        "{}: field `router`: `ipw-sim run` needs a [router] table (use `ipw-sim sweep` for [sweep])",
        path.display()
    );
    s.sweep = Default::default();
    let out = out.unwrap_or_else(|| Path::new("results").join(&s.name));
    run_one(&s, &out, options)
}

/// `sweep`: every scenario (all validated before any runs), each into `out/<name>`.
pub fn sweep(paths: &[PathBuf], out: &Path, options: &RunOptions) -> Result<()> {
    set_threads(options.threads)?;
    let overrides = options.scenario.overrides();
    let loaded = paths
        .iter()
        .map(|p| Ok(Scenario::load_with(p, &overrides)?))
        .collect::<Result<Vec<_>>>()?;
    for s in &loaded {
        run_one(s, &out.join(&s.name), options)?;
    }
    Ok(())
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

fn run_one(scenario: &Scenario, out: &Path, options: &RunOptions) -> Result<()> {
    let started = std::time::Instant::now();
    let sweep = Sweep::new(scenario)?;
    let bar = match (options.quiet, sweep.work()) {
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
    bar.set_message(scenario.name.clone());
    let result = sweep.run(&|n| bar.inc(n));
    bar.finish_and_clear();
    let result = result?;
    let meta = &sweep.meta;
    for (trace, stats) in &result.sources {
        for w in stats.warnings() {
            let trace = trace.as_deref().unwrap_or(Path::new("trace"));
            eprintln!("warning: {}: {w}", trace.display());
        }
    }
    for w in text::overload_warnings(meta, &result) {
        eprintln!("warning: {}: {w}", meta.name);
    }
    let mut outputs = tables::run_tables(meta, &result)?;
    let written = report::write_outputs(out, &mut outputs, &TABLE_FORMATS)?;
    print!("{}", text::summary_text(meta, &result));
    eprintln!(
        "{}: {} points x {} queries in {:.2} s; wrote {}",
        meta.name,
        result.points.len(),
        text::queries_per_point(&result),
        started.elapsed().as_secs_f64(),
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
