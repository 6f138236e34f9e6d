//! `ipw-sim breakeven`: where each local pair beats the scenario's cloud endpoint in energy.

use super::scenario::{write_results, Origin};
use super::ScenarioOptions;
use anyhow::Result;
use ipw_sim::bind::Inputs;
use ipw_sim::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Queries sampled for the mean query and the share of cheaper queries, unless `--sample`
/// says otherwise.
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
    let origin = Origin::new("breakeven", &scenario, options);
    let inputs = Inputs::load(&scenario)?;
    let r = ipw_sim::breakeven::breakeven(&scenario, &inputs, sample as usize)?;
    let out = out.unwrap_or_else(|| Path::new("results").join(&scenario.name).join("breakeven"));
    let mut outputs = ipw_sim::report::breakeven::outputs(&r)?;
    if let Some(ipw_sim::report::Content::Table(pairs)) = outputs.first().map(|o| &o.content) {
        let figures = ipw_sim::report::plots::breakeven_figures(pairs, &scenario.name)?;
        outputs.extend(figures);
    }
    let traces: Vec<&Path> = scenario.trace.path.as_deref().into_iter().collect();
    let files = write_results(&out, &mut outputs, &origin, &traces, r.pairs.len())?;
    print!("{}", ipw_sim::report::breakeven::text(&scenario.name, &r));
    eprintln!("wrote {}", files.join(", "));
    Ok(())
}
