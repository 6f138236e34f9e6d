//! `ipw-sim calibrate`: the workload model's fit against the paper's tables.

use super::ScenarioOptions;
use anyhow::Result;
use ipw_sim::bind::Inputs;
use ipw_sim::scenario::Scenario;
use std::path::Path;

/// Queries the calibration report samples unless `--sample` says otherwise.
const CALIBRATION_QUERIES: u64 = 1_000_000;

pub fn run(path: &Path, options: &ScenarioOptions, sample: Option<u64>) -> Result<()> {
    let sample = super::scenario::sample_size(sample, CALIBRATION_QUERIES)? as u64;
    let scenario = Scenario::load_with(path, &options.overrides())?;
    let inputs = Inputs::load(&scenario)?;
    print!(
        "{}",
        ipw_sim::calibrate::report(&scenario, &inputs, sample)?
    );
    Ok(())
}
