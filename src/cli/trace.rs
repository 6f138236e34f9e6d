//! `ipw-sim trace synth` and `ipw-sim trace inspect`.

use super::TraceCommand;
use anyhow::{Context, Result};
use ipw_sim::toml_text::set_path;
use ipw_sim::trace::{inspect::TraceStats, ColumnMap, Synth, SynthSpec, TraceSpec};

pub fn run(command: TraceCommand) -> Result<()> {
    match command {
        TraceCommand::Synth {
            out,
            per_day,
            days,
            seed,
            set,
        } => {
            let mut doc = toml::Table::new();
            doc.insert("days".into(), days.into());
            if let Some(p) = per_day {
                doc.insert("per_day".into(), p.into());
            }
            for s in &set {
                set_path(&mut doc, &s.key, s.value.clone())
                    .map_err(|e| anyhow::anyhow!("--set {:?}: {e}", s.text))?;
            }
            let spec: SynthSpec =
                toml::Value::Table(doc)
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        anyhow::anyhow!("synthesis settings: {}", e.message())
                    })?;
            let started = std::time::Instant::now();
            let synth = Synth::new(&spec, seed)?;
            let rows = ipw_sim::trace::write::write_synth(&synth, &out)?;
            eprintln!(
                "wrote {rows} rows to {} in {:.2} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        TraceCommand::Inspect {
            files,
            png,
            svg,
            print,
            skip_invalid,
            columns,
        } => {
            let columns: Option<ColumnMap> = columns
                .map(|c| {
                    toml::from_str::<toml::Table>(&format!("c = {{ {c} }}"))
                        .ok()
                        .and_then(|mut t| t.remove("c"))
                        .context("--columns: expected TOML pairs like time=\"ts\", time_unit=\"ms\", input=\"in\", output=\"out\"")?
                        .try_into::<ColumnMap>()
                        .map_err(|e| anyhow::anyhow!("--columns: {}", e.message()))
                })
                .transpose()?;
            for (flag, path) in [("png", &png), ("svg", &svg)] {
                if let Some(p) = path {
                    anyhow::ensure!(
                        p.extension().is_some_and(|e| e.eq_ignore_ascii_case(flag)),
                        "--{flag} {}: expected a file name ending in .{flag} (the figure is a{} image)",
                        p.display(),
                        if flag == "png" { " PNG" } else { "n SVG" }
                    );
                }
            }
            let mut named = Vec::new();
            for f in &files {
                let spec = TraceSpec {
                    path: Some(f.clone()),
                    columns: columns.clone(),
                    skip_invalid,
                    ..toml::from_str("").expect("every trace field has a default")
                };
                let mut source = spec.prepare(1)?.open()?;
                let stats = TraceStats::collect(source.as_mut())?;
                for w in stats.source.warnings() {
                    eprintln!("warning: {}: {w}", f.display());
                }
                let name = f.file_name().map_or_else(
                    || f.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                named.push((name, stats));
            }
            print!("{}", TraceStats::table(&named));
            let figure = ipw_sim::report::plots::trace::TraceFigure { named: &named };
            if let Some(p) = png {
                let size = if print {
                    ipw_sim::scenario::FigureSize::Print
                } else {
                    ipw_sim::scenario::FigureSize::Screen
                };
                let k = ipw_sim::report::plots::factor(size);
                let bytes = ipw_sim::report::plots::png_scaled("trace", figure.size(), &figure, k)?;
                ipw_sim::report::write_file(&p, &bytes)?;
                eprintln!("wrote {}", p.display());
            }
            if let Some(p) = svg {
                let text = ipw_sim::report::plots::svg("trace", figure.size(), &figure)?;
                ipw_sim::report::write_file(&p, text.as_bytes())?;
                eprintln!("wrote {}", p.display());
            }
            Ok(())
        }
    }
}
