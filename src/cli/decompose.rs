//! `ipw-sim decompose`: intelligence per watt over the years, split into models and hardware.

use super::scenario::{write_results, Origin};
use super::ScenarioOptions;
use anyhow::Result;
use ipw_sim::bind::Inputs;
use ipw_sim::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Queries sampled for the mean query (and replayed for coverage), unless `--sample` says
/// otherwise.
const SAMPLE: u64 = 1_000_000;

pub fn run(
    path: &Path,
    out: Option<PathBuf>,
    options: &ScenarioOptions,
    sample: Option<u64>,
) -> Result<()> {
    let sample = sample.unwrap_or(SAMPLE);
    anyhow::ensure!(sample >= 1, "--sample: expected at least 1 query");
    let scenario = Scenario::load_with(path, &options.overrides())?;
    let origin = Origin::new("decompose", &scenario, options);
    let inputs = Inputs::load(&scenario)?;
    let d = ipw_sim::decompose::decompose(&scenario, &inputs, sample as usize)?;
    for w in &d.warnings {
        eprintln!("warning: {}: {w}", scenario.path.display());
    }
    let out = out.unwrap_or_else(|| Path::new("results").join(&scenario.name).join("decompose"));
    let mut outputs = ipw_sim::report::decompose::outputs(&d)?;
    let traces: Vec<&Path> = scenario.trace.path.as_deref().into_iter().collect();
    let files = write_results(&out, &mut outputs, &origin, &traces, d.years.len())?;
    print!("{}", ipw_sim::report::decompose::text(&scenario.name, &d));
    eprintln!("wrote {}", files.join(", "));
    Ok(())
}
