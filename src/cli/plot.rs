//! `ipw-sim plot`: redraw a run's figures from its results folder, without re-running it.

use anyhow::{Context, Result};
use ipw_sim::report::manifest::Manifest;
use std::path::{Path, PathBuf};

/// Whether the run's scenario asked for the paper's points (`[figures] paper_points`), from
/// the manifest's effective scenario.
fn paper_points(manifest: &Manifest) -> bool {
    toml::from_str::<toml::Table>(&manifest.effective_scenario)
        .ok()
        .and_then(|t| t.get("figures")?.get("paper_points")?.as_bool())
        .unwrap_or(false)
}

pub fn run(dir: &Path, out: Option<PathBuf>) -> Result<()> {
    let results = dir.join("results.parquet");
    let file = std::fs::File::open(&results).with_context(|| {
        format!(
            "{}: cannot open (expected a results folder written by run or sweep)",
            results.display()
        )
    })?;
    let table = ipw_sim::contain::contain(|| {
        use polars::prelude::SerReader;
        polars::prelude::ParquetReader::new(file).finish()
    })
    .map_err(|e| anyhow::anyhow!("{}: not a readable Parquet file: {e}", results.display()))?
    .with_context(|| format!("{}: not a readable Parquet file", results.display()))?;
    let manifest = Manifest::read(dir).with_context(|| {
        format!(
            "{}: no readable manifest.json (the run's provenance, which says what to draw)",
            dir.display()
        )
    })?;
    let mut outputs = ipw_sim::report::plots::run_figures(&table, paper_points(&manifest))?;
    anyhow::ensure!(
        !outputs.is_empty(),
        "{}: nothing to draw (the savings figure needs at least two accuracy-router points of one rule)",
        results.display()
    );
    let out = out.unwrap_or_else(|| dir.to_path_buf());
    let written = super::write_without_manifest(&out, &mut outputs)?;
    eprintln!("wrote {written}");
    Ok(())
}
