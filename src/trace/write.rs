//! Writing synthetic traces in BurstGPT's layout (CSV or Parquet), generated in parallel
//! blocks of windows and written in order, in memory bounded by the block.

use super::synth::{Synth, SynthRow};
use super::TraceError;
use polars::prelude::*;
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// Windows generated per parallel task, and tasks per block held in memory.
const WINDOWS_PER_TASK: u64 = 1;
const TASKS_PER_BLOCK: u64 = 16;

/// The output layout of a synthetic trace, chosen by the file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthOutput {
    /// BurstGPT CSV: `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`.
    Csv,
    /// The same columns in Parquet.
    Parquet,
}

impl SynthOutput {
    pub fn from_path(path: &Path) -> Result<SynthOutput, TraceError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(SynthOutput::Csv),
            Some("parquet") => Ok(SynthOutput::Parquet),
            _ => Err(TraceError::Spec(format!(
                "{}: expected a .csv or .parquet file name",
                path.display()
            ))),
        }
    }
}

/// The model label written for every row (the simulator does not use it).
pub const SYNTH_MODEL: &str = "synthetic";

fn log_type(conversation: bool) -> &'static str {
    if conversation {
        "Conversation log"
    } else {
        "API log"
    }
}

/// Generate the whole trace block by block, handing each block's rows to `sink` in order.
pub fn generate_blocks(
    synth: &Synth,
    mut sink: impl FnMut(&[SynthRow]) -> Result<(), TraceError>,
) -> Result<u64, TraceError> {
    let windows = synth.windows();
    let tasks = windows.div_ceil(WINDOWS_PER_TASK);
    let mut rows = 0u64;
    let mut task = 0;
    while task < tasks {
        let end = (task + TASKS_PER_BLOCK).min(tasks);
        let parts: Vec<Vec<SynthRow>> = (task..end)
            .into_par_iter()
            .map(|t| {
                let mut out = Vec::new();
                for w in t * WINDOWS_PER_TASK..((t + 1) * WINDOWS_PER_TASK).min(windows) {
                    synth.window(w, &mut out);
                }
                out
            })
            .collect();
        for p in &parts {
            rows += p.len() as u64;
            sink(p)?;
        }
        task = end;
    }
    Ok(rows)
}

/// Write `synth` to `path` (CSV or Parquet by extension); returns the number of rows.
pub fn write_synth(synth: &Synth, path: &Path) -> Result<u64, TraceError> {
    let format = SynthOutput::from_path(path)?;
    let io = |source| TraceError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut inner: Option<TraceError> = None;
    let mut rows = 0;
    crate::atomic::write_atomic(path, |file| {
        let result = match format {
            SynthOutput::Csv => write_csv(synth, file, path),
            SynthOutput::Parquet => write_parquet(synth, file, path),
        };
        match result {
            Ok(n) => {
                rows = n;
                Ok(())
            }
            Err(e) => {
                inner = Some(e);
                Err(std::io::Error::other("generation failed"))
            }
        }
    })
    .map_err(|e| inner.take().unwrap_or_else(|| io(e)))?;
    Ok(rows)
}

fn write_csv(synth: &Synth, file: &mut std::fs::File, path: &Path) -> Result<u64, TraceError> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let err = |source: std::io::Error| TraceError::Write {
        path: path.to_path_buf(),
        source,
    };
    w.write_all(b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n")
        .map_err(err)?;
    let mut line = String::with_capacity(96);
    let rows = generate_blocks(synth, |rows| {
        for r in rows {
            use std::fmt::Write as _;
            line.clear();
            let _ = writeln!(
                line,
                "{:.3},{SYNTH_MODEL},{},{},{},{}",
                r.arrival_s,
                r.input_tokens,
                r.output_tokens,
                u64::from(r.input_tokens) + u64::from(r.output_tokens),
                log_type(r.conversation)
            );
            w.write_all(line.as_bytes()).map_err(err)?;
        }
        Ok(())
    })?;
    w.flush().map_err(err)?;
    Ok(rows)
}

fn frame(rows: &[SynthRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "Timestamp".into(),
            rows.iter().map(|r| r.arrival_s).collect::<Vec<f64>>(),
        ),
        Column::new("Model".into(), vec![SYNTH_MODEL; rows.len()]),
        Column::new(
            "Request tokens".into(),
            rows.iter().map(|r| r.input_tokens).collect::<Vec<u32>>(),
        ),
        Column::new(
            "Response tokens".into(),
            rows.iter().map(|r| r.output_tokens).collect::<Vec<u32>>(),
        ),
        Column::new(
            "Total tokens".into(),
            rows.iter()
                .map(|r| u64::from(r.input_tokens) + u64::from(r.output_tokens))
                .collect::<Vec<u64>>(),
        ),
        Column::new(
            "Log Type".into(),
            rows.iter()
                .map(|r| log_type(r.conversation))
                .collect::<Vec<&str>>(),
        ),
    ])
}

fn write_parquet(synth: &Synth, file: &mut std::fs::File, path: &Path) -> Result<u64, TraceError> {
    let err =
        |e: PolarsError| TraceError::Spec(format!("{}: writing Parquet: {e}", path.display()));
    let schema = frame(&[]).map_err(err)?.schema().as_ref().clone();
    let mut writer = ParquetWriter::new(file).batched(&schema).map_err(err)?;
    let rows = generate_blocks(synth, |rows| {
        if rows.is_empty() {
            return Ok(());
        }
        writer.write_batch(&frame(rows).map_err(err)?).map_err(err)
    })?;
    writer.finish().map_err(err)?;
    Ok(rows)
}
