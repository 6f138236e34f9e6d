//! `ipw-sim decompose`: intelligence per watt over the years, split into models and hardware.

use super::scenario::{finish_sampled, sample_size, Origin};
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
    let sample = sample_size(sample, SAMPLE)?;
    let scenario = Scenario::load_with(path, &options.overrides())?;
    let origin = Origin::new("decompose", &scenario, options);
    let inputs = Inputs::load(&scenario)?;
    let d = ipw_sim::decompose::decompose(&scenario, &inputs, sample)?;
    for w in &d.warnings {
        eprintln!("warning: {}: {w}", scenario.path.display());
    }
    let mut outputs = ipw_sim::report::decompose::outputs(&d)?;
    let table = |name: &str| {
        outputs.iter().find_map(|o| match &o.content {
            ipw_sim::report::Content::Table(t) if o.name == name => Some(t),
            _ => None,
        })
    };
    if let (Some(years), Some(factors)) = (table("decompose"), table("decompose-factors")) {
        let figures = ipw_sim::report::plots::decompose_figures(
            years,
            factors,
            table("decompose-pairs"),
            &scenario.name,
            scenario.figures.size,
        )?;
        outputs.extend(figures);
    }
    let text = ipw_sim::report::decompose::text(&scenario.name, &d);
    finish_sampled(&origin, out, &mut outputs, d.years.len(), &text)
}
