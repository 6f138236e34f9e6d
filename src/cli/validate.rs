//! `ipw-sim validate`: the published numbers with public inputs and the core's closed forms.

use anyhow::Result;
use ipw_sim::validate::{validate, Mode, Status};
use std::path::{Path, PathBuf};

/// The scenarios folder: `--scenarios`, `./scenarios`, or the source tree's.
fn scenarios(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let here = PathBuf::from("scenarios");
    if here.join("paper-table2.toml").is_file() {
        return Ok(here);
    }
    let built = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"));
    anyhow::ensure!(
        built.join("paper-table2.toml").is_file(),
        "no scenarios folder with paper-table2.toml and paper-fig4.toml found: give --scenarios DIR (looked in ./scenarios and {})",
        built.display()
    );
    Ok(built)
}

/// Run the checks, print the table, write it to `out`; exit code 1 if any check fails.
pub fn run(full: bool, dir: Option<PathBuf>, out: Option<PathBuf>) -> Result<()> {
    let dir = scenarios(dir)?;
    let mode = if full { Mode::Full } else { Mode::Fast };
    let checks = validate(&dir, mode)?;
    let out = out.unwrap_or_else(|| Path::new("results").join("validate"));
    let mut outputs = ipw_sim::report::validate::outputs(&checks)?;
    let written = super::write_without_manifest(&out, &mut outputs)?;
    print!("{}", ipw_sim::report::validate::text(&checks));
    eprintln!("wrote {written}");
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.status() == Status::Fail)
        .map(|c| c.check.as_str())
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "{} check(s) failed: {}",
        failed.len(),
        failed.join("; ")
    );
    Ok(())
}
