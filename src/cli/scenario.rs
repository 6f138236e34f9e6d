//! `ipw-sim run` and `ipw-sim sweep`: bind a scenario, run its points, write its tables.

use super::{RunOptions, ScenarioOptions};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ipw_sim::report::manifest::{self, FileId, Manifest, MANIFEST};
use ipw_sim::report::{self, tables, text, TABLE_FORMATS};
use ipw_sim::scenario::Scenario;
use ipw_sim::sweep::Sweep;
use std::path::{Path, PathBuf};

/// `run`: the scenario's single `[router]`, results in `out` (default `results/<name>/run`, so
/// that a `sweep` of the same scenario, in `results/<name>`, is not overwritten).
pub fn run(path: &Path, out: Option<PathBuf>, options: &RunOptions) -> Result<()> {
    set_threads(options.threads)?;
    let mut s = Scenario::load_with(path, &options.scenario.overrides())?;
    anyhow::ensure!(
        s.router.is_some(),
        "{}: field `router`: `ipw-sim run` needs a [router] table (use `ipw-sim sweep` for [sweep])",
        path.display()
    );
    s.sweep = Default::default();
    let out = out.unwrap_or_else(|| Path::new("results").join(&s.name).join("run"));
    run_one("run", &s, &out, options)
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
        run_one("sweep", s, &out.join(&s.name), options)?;
    }
    Ok(())
}

/// The most worker threads `--threads` accepts: four per core, and never more than 256. More
/// only adds switching (results are identical for any count), and thousands of threads can
/// stall a machine.
fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).min(256)
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        let max = max_threads();
        anyhow::ensure!(
            (1..=max).contains(&n),
            "--threads {n}: expected 1 to {max} (4 per core on this machine, at most 256); results are the same for any count"
        );
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("--threads")?;
    }
    Ok(())
}

fn run_one(kind: &str, scenario: &Scenario, out: &Path, options: &RunOptions) -> Result<()> {
    let origin = Origin::new(kind, scenario, &options.scenario);
    let sweep = Sweep::new(scenario)?;
    if !sweep.findings.is_empty() {
        let list = sweep
            .findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        anyhow::ensure!(
            !options.strict,
            "{}: {} implausible profile value(s) (--strict): {}",
            scenario.path.display(),
            list.len(),
            list.join("; ")
        );
        for f in &list {
            eprintln!("warning: {f} (profile check; --strict refuses to run)");
        }
    }
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
    let table = |name: &str| {
        outputs.iter().find_map(|o| match &o.content {
            report::Content::Table(t) if o.name == name => Some(t),
            _ => None,
        })
    };
    if let Some(results) = table("results") {
        let tables = report::plots::RunTables {
            results,
            series: table("series"),
            hourly: table("hourly"),
            minutes: table("minutes"),
            latency: table("latency"),
        };
        let figures = report::plots::run_figures(&tables, &scenario.figures)?;
        outputs.extend(figures);
    }
    let traces: Vec<&Path> = result
        .sources
        .iter()
        .filter_map(|(p, _)| p.as_deref())
        .collect();
    let files = write_results(out, &mut outputs, &origin, &traces, result.points.len())?;
    print!("{}", text::summary_text(meta, &result));
    eprintln!(
        "{}: {} points x {} queries in {:.2} s; wrote {}",
        meta.name,
        result.points.len(),
        text::queries_per_point(&result),
        origin.started.elapsed().as_secs_f64(),
        files.join(", ")
    );
    Ok(())
}

/// What a results folder's manifest records about how the command was started.
pub(super) struct Origin<'a> {
    kind: &'a str,
    scenario: &'a Scenario,
    options: &'a ScenarioOptions,
    started_at: std::time::SystemTime,
    started: std::time::Instant,
}

impl<'a> Origin<'a> {
    /// A command of `kind` on `scenario`, starting now.
    pub(super) fn new(
        kind: &'a str,
        scenario: &'a Scenario,
        options: &'a ScenarioOptions,
    ) -> Origin<'a> {
        Origin {
            kind,
            scenario,
            options,
            started_at: std::time::SystemTime::now(),
            started: std::time::Instant::now(),
        }
    }

    /// The manifest of a command that read `traces`, evaluated `points` points and wrote
    /// `outputs`.
    fn manifest(&self, traces: &[&Path], points: usize, outputs: Vec<FileId>) -> Result<Manifest> {
        let id = |path: &Path| {
            FileId::of(path).with_context(|| format!("{}: cannot read", path.display()))
        };
        Ok(Manifest {
            tool: format!("ipw-sim {}", env!("CARGO_PKG_VERSION")),
            command: std::env::args().collect(),
            kind: self.kind.into(),
            scenario: id(&self.scenario.path)?,
            overrides: self.options.overrides().texts(),
            effective_scenario: toml::to_string(self.scenario.document())
                .context("the scenario document")?,
            traces: traces.iter().map(|p| id(p)).collect::<Result<_>>()?,
            seed: self.scenario.seed,
            threads: rayon::current_num_threads(),
            started: manifest::rfc3339(self.started_at),
            duration_s: self.started.elapsed().as_secs_f64(),
            points,
            outputs,
        })
    }
}

/// How many queries a sampling command (`breakeven`, `decompose`) reads: `--sample`, else
/// `default`.
pub(super) fn sample_size(sample: Option<u64>, default: u64) -> Result<usize> {
    let n = sample.unwrap_or(default);
    anyhow::ensure!(n >= 1, "--sample: expected at least 1 query");
    Ok(n as usize)
}

/// Finish a sampling command: write `outputs` (default folder `results/<scenario>/<kind>`)
/// with the manifest, print `text` and name the files.
pub(super) fn finish_sampled(
    origin: &Origin,
    out: Option<PathBuf>,
    outputs: &mut [report::Output],
    points: usize,
    text: &str,
) -> Result<()> {
    let s = origin.scenario;
    let out = out.unwrap_or_else(|| Path::new("results").join(&s.name).join(origin.kind));
    let traces: Vec<&Path> = s.trace.path.as_deref().into_iter().collect();
    let files = write_results(&out, outputs, origin, &traces, points)?;
    print!("{text}");
    eprintln!("wrote {}", files.join(", "));
    Ok(())
}

/// Write `outputs` into `out` as tables in every format, then the manifest, last (a folder
/// without one is incomplete); returns the files written.
pub(super) fn write_results(
    out: &Path,
    outputs: &mut [report::Output],
    origin: &Origin,
    traces: &[&Path],
    points: usize,
) -> Result<Vec<String>> {
    // The manifest goes first and comes back last.
    let previous = Manifest::read(out);
    remove_if_present(&out.join(MANIFEST))?;
    let written = report::write_outputs(out, outputs, &TABLE_FORMATS)?;
    let files: Vec<String> = written
        .iter()
        .map(|f| f.path.display().to_string())
        .chain([out.join(MANIFEST).display().to_string()])
        .collect();
    write_manifest(out, previous, origin.manifest(traces, points, written)?)?;
    Ok(files)
}

/// Write `manifest` into `out`, last: remove the files of the `previous` run there that this
/// one did not write, and say when they came from another command, scenario or overrides.
fn write_manifest(out: &Path, previous: Option<Manifest>, manifest: Manifest) -> Result<()> {
    if let Some(previous) = &previous {
        for stale in manifest.stale_outputs(previous, out) {
            remove_if_present(&stale)?;
        }
        if !previous.same_origin(&manifest) {
            eprintln!(
                "warning: {}: replaced the results of `{}` ({})",
                out.display(),
                previous.command.join(" "),
                previous.started
            );
        }
    }
    report::write_file(&out.join(MANIFEST), &manifest.to_json())?;
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove", path.display()))
        }
        _ => Ok(()),
    }
}
