//! `ipw-sim profile list|show|check|import`.

use super::{ImportSource, ProfileCommand};
use anyhow::{Context, Result};
use ipw_sim::profile::{check, harness, mlenergy, show, Catalogue};
use std::path::Path;

pub fn run(command: ProfileCommand) -> Result<()> {
    match command {
        ProfileCommand::List { catalogue } => {
            print!(
                "{}",
                show::list_text(&Catalogue::load(&catalogue.locate()?)?)
            );
            Ok(())
        }
        ProfileCommand::Show {
            model,
            accelerator,
            variant,
            catalogue,
        } => {
            let cat = Catalogue::load(&catalogue.locate()?)?;
            print!(
                "{}",
                show::show_text(&cat, &model, &accelerator, variant.as_deref())?
            );
            Ok(())
        }
        ProfileCommand::Check { catalogue } => {
            let profiles = catalogue.locate()?;
            let cat = Catalogue::load(&profiles)?;
            let issues = check::check(&cat);
            for i in &issues {
                println!("{i}");
            }
            anyhow::ensure!(
                issues.is_empty(),
                "{}: {} finding(s), listed above",
                profiles.display(),
                issues.len()
            );
            println!(
                "{}: {} pair variants on {} accelerators, {} models: ok",
                profiles.display(),
                cat.pairs.len(),
                cat.accelerators.len(),
                cat.models.len()
            );
            Ok(())
        }
        ProfileCommand::Import { source } => {
            let (text, options) = match source {
                ImportSource::MlEnergy {
                    file,
                    options,
                    gpu,
                    gpus,
                    mfu,
                    skip_caps,
                } => {
                    let profiles = options.catalogue.locate()?;
                    let cat = Catalogue::load(&profiles)?;
                    let shown = shown_path(&file, &profiles);
                    let o = mlenergy::MlEnergyOptions {
                        model: options.model.clone(),
                        accelerator: options.accelerator.clone(),
                        gpu,
                        gpus,
                        variant: options.variant.clone(),
                        default: options.default,
                        mfu,
                        skip_caps,
                    };
                    (mlenergy::import(&file, &shown, &o, &cat)?, options)
                }
                ImportSource::IpwRun {
                    dir,
                    options,
                    devices,
                    precision,
                    gpu_energy_only,
                } => {
                    let profiles = options.catalogue.locate()?;
                    let cat = Catalogue::load(&profiles)?;
                    let shown = shown_path(&dir, &profiles);
                    let o = harness::HarnessOptions {
                        model: options.model.clone(),
                        accelerator: options.accelerator.clone(),
                        variant: options.variant.clone(),
                        default: options.default,
                        devices,
                        precision,
                        energy: if gpu_energy_only {
                            harness::EnergyParts::Gpu
                        } else {
                            harness::EnergyParts::All
                        },
                    };
                    let r = harness::import(&dir, &shown, &o, &cat)?;
                    let f = &r.fit;
                    eprintln!(
                        "fitted {} of {} queries: R^2 latency {:.4}, energy {:.4}, TTFT {}; decode {:.2} ms/token, prefill {:.0} tokens/s, power {:.1} W",
                        f.queries,
                        r.records,
                        f.r2_latency,
                        f.r2_energy,
                        f.r2_ttft.map_or("n/a".into(), |r| format!("{r:.4}")),
                        r.point.decode_step_s * 1e3,
                        r.point.prefill_tokens_per_s,
                        r.point.power_w
                    );
                    (r.toml, options)
                }
            };
            match &options.out {
                Some(path) => {
                    ipw_sim::atomic::write_atomic(path, |f| {
                        use std::io::Write;
                        f.write_all(text.as_bytes())
                    })
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// `path` relative to the catalogue folder when it lies inside it (as pair headers show it).
fn shown_path(path: &Path, catalogue: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    abs(path)
        .strip_prefix(abs(catalogue))
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}
