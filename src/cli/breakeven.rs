//! `ipw-sim breakeven`: where each local pair beats the scenario's cloud endpoint in energy.

use super::scenario::{finish_sampled, sample_size, Origin};
use super::ScenarioOptions;
use anyhow::Result;
use ipw_sim::bind::Inputs;
use ipw_sim::report::{plots, Content};
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
    let sample = sample_size(sample, SAMPLE)?;
    let scenario = Scenario::load_with(path, &options.overrides())?;
    let origin = Origin::new("breakeven", &scenario, options);
    let inputs = Inputs::load(&scenario)?;
    let r = ipw_sim::breakeven::breakeven(&scenario, &inputs, sample)?;
    let mut outputs = ipw_sim::report::breakeven::outputs(&r)?;
    if let Some(Content::Table(pairs)) = outputs.first().map(|o| &o.content) {
        let figures = plots::breakeven_figures(pairs, &scenario.name, scenario.figures.size)?;
        outputs.extend(figures);
    }
    let text = ipw_sim::report::breakeven::text(&scenario.name, &r);
    finish_sampled(&origin, out, &mut outputs, r.pairs.len(), &text)
}
