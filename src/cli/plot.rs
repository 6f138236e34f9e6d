//! `ipw-sim plot`: redraw a run's figures from its results folder, without re-running it.

use anyhow::{Context, Result};
use ipw_sim::report::manifest::Manifest;
use ipw_sim::scenario::{FiguresSection, Overrides, Setting};
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};

/// The run's `[figures]` section, from the manifest's effective scenario with `set` applied
/// (the default when the scenario had none).
fn figures(manifest: &Manifest, dir: &Path, set: &[Setting]) -> Result<FiguresSection> {
    let mut doc: toml::Table = toml::from_str(&manifest.effective_scenario).with_context(|| {
        format!(
            "{}: the manifest's effective_scenario is not TOML",
            dir.join("manifest.json").display()
        )
    })?;
    if let Some(s) = set
        .iter()
        .find(|s| s.key[0] != "figures" || s.key.len() < 2)
    {
        anyhow::bail!(
            "--set {}: plot only changes figures.* keys (the results are not re-run)",
            s.text
        );
    }
    Overrides {
        set: set.to_vec(),
        ..Overrides::default()
    }
    .apply(&mut doc)
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    match doc.get("figures") {
        Some(f) => f.clone().try_into().with_context(|| {
            format!(
                "{}: the [figures] section (the run's, with any --set) is not valid",
                dir.join("manifest.json").display()
            )
        }),
        None => Ok(FiguresSection::default()),
    }
}

/// `dir/<name>.parquet`, or `None` when the folder has no such table.
fn table(dir: &Path, name: &str) -> Result<Option<DataFrame>> {
    let path = dir.join(format!("{name}.parquet"));
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot open", path.display())),
    };
    let t = ipw_sim::contain::contain(|| {
        use polars::prelude::SerReader;
        ipw_sim::parquet_pages::check_file(&path).map_err(|e| anyhow::anyhow!(e))?;
        polars::prelude::ParquetReader::new(file)
            .finish()
            .map_err(anyhow::Error::from)
    })
    .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", path.display()))?
    .with_context(|| format!("{}: not a readable Parquet file", path.display()))?;
    Ok(Some(t))
}

pub fn run(dir: &Path, out: Option<PathBuf>, set: &[Setting]) -> Result<()> {
    let results = table(dir, "results")?.with_context(|| {
        format!(
            "{}: cannot open (expected a results folder written by run or sweep)",
            dir.join("results.parquet").display()
        )
    })?;
    let manifest = Manifest::read(dir).with_context(|| {
        format!(
            "{}: no readable manifest.json (the run's provenance, which says what to draw)",
            dir.display()
        )
    })?;
    let (series, hourly, minutes, latency) = (
        table(dir, "series")?,
        table(dir, "hourly")?,
        table(dir, "minutes")?,
        table(dir, "latency")?,
    );
    let tables = ipw_sim::report::plots::RunTables {
        results: &results,
        series: series.as_ref(),
        hourly: hourly.as_ref(),
        minutes: minutes.as_ref(),
        latency: latency.as_ref(),
    };
    let mut outputs = ipw_sim::report::plots::run_figures(&tables, &figures(&manifest, dir, set)?)?;
    anyhow::ensure!(
        !outputs.is_empty(),
        "{}: nothing to draw (no figure kind has the data it needs: see [figures] in the README)",
        dir.display()
    );
    let out = out.unwrap_or_else(|| dir.to_path_buf());
    let written = super::write_without_manifest(&out, &mut outputs)?;
    eprintln!("wrote {written}");
    Ok(())
}
