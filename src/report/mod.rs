//! Outputs as data: every output of a command is a named [`Output`] (a table or a figure),
//! built in memory; exporters turn tables into bytes; [`write_outputs`] is the one place that
//! writes them to files, each atomically (a crash never leaves a half-written result).
//!
//! * [`tables`]: the run's results and per-hour tables;
//! * [`breakeven`]: the energy break-even tables and their terminal view;
//! * [`decompose`]: the year-by-year decomposition tables and their terminal view;
//! * [`validate`]: the validation table and its terminal view;
//! * [`text`]: the terminal summary and overload warnings;
//! * [`figures`]: trace figures (plotters, PNG bytes);
//! * [`plots`]: the figures of a run, from its results table (PNG and SVG); [`style`]: the
//!   palette, fonts and sizes every figure shares;
//! * [`manifest`]: the provenance every results folder carries.
//!
//! Reports take run metadata ([`crate::sweep::RunMeta`]) and results, never the planner. To
//! add a table: a function returning a `DataFrame` (in `tables.rs` or a file of its own) and
//! an [`Output::table`] in the command's list of outputs; a figure: a function returning PNG
//! bytes in `figures.rs` and an [`Output::figure`].

pub mod breakeven;
pub mod decompose;
pub mod figures;
pub mod manifest;
pub mod plots;
pub mod style;
pub mod tables;
pub mod text;
pub mod validate;

use polars::prelude::*;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: cannot write")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("table `{name}`: {message}")]
    Table { name: String, message: String },
    #[error("figure `{name}`: cannot draw: {message}")]
    Figure { name: String, message: String },
}

/// What an output holds.
pub enum Content {
    Table(DataFrame),
    /// A PNG image.
    Figure(Vec<u8>),
    /// An SVG image.
    Svg(String),
}

/// A named output; files are named `<name>.<extension>`.
pub struct Output {
    pub name: String,
    pub content: Content,
}

impl Output {
    pub fn table(name: &str, table: DataFrame) -> Output {
        Output {
            name: name.into(),
            content: Content::Table(table),
        }
    }

    pub fn figure(name: &str, png: Vec<u8>) -> Output {
        Output {
            name: name.into(),
            content: Content::Figure(png),
        }
    }

    pub fn svg(name: &str, svg: String) -> Output {
        Output {
            name: name.into(),
            content: Content::Svg(svg),
        }
    }
}

/// A table file format.
pub trait Exporter {
    /// File extension, without the dot.
    fn extension(&self) -> &'static str;
    /// The file's bytes.
    fn bytes(&self, table: &mut DataFrame) -> PolarsResult<Vec<u8>>;
}

pub struct CsvExporter;
pub struct ParquetExporter;

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn bytes(&self, table: &mut DataFrame) -> PolarsResult<Vec<u8>> {
        let mut out = Vec::new();
        CsvWriter::new(&mut out).finish(table)?;
        Ok(out)
    }
}

impl Exporter for ParquetExporter {
    fn extension(&self) -> &'static str {
        "parquet"
    }
    fn bytes(&self, table: &mut DataFrame) -> PolarsResult<Vec<u8>> {
        let mut out = Vec::new();
        ParquetWriter::new(&mut out).finish(table)?;
        Ok(out)
    }
}

/// The table formats every results table is written in.
pub const TABLE_FORMATS: [&(dyn Exporter + Sync); 2] = [&CsvExporter, &ParquetExporter];

/// Write `bytes` to `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::atomic::write_atomic(path, |f| std::io::Write::write_all(f, bytes)).map_err(|source| {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Write every output into `dir` (tables in each of `formats`, figures as PNG); returns the
/// files written (path, size, SHA-256). Every file's bytes are made before the first is
/// written, so an export error leaves nothing behind.
pub fn write_outputs(
    dir: &Path,
    outputs: &mut [Output],
    formats: &[&(dyn Exporter + Sync)],
) -> Result<Vec<manifest::FileId>, ReportError> {
    let mut files = Vec::new();
    for o in outputs.iter_mut() {
        match &mut o.content {
            Content::Table(t) => {
                for e in formats {
                    let bytes = e.bytes(t).map_err(|err| ReportError::Table {
                        name: o.name.clone(),
                        message: err.to_string(),
                    })?;
                    files.push((dir.join(format!("{}.{}", o.name, e.extension())), bytes));
                }
            }
            Content::Figure(png) => {
                files.push((dir.join(format!("{}.png", o.name)), std::mem::take(png)))
            }
            Content::Svg(svg) => files.push((
                dir.join(format!("{}.svg", o.name)),
                std::mem::take(svg).into_bytes(),
            )),
        }
    }
    let mut written = Vec::new();
    for (path, bytes) in files {
        write_file(&path, &bytes)?;
        written.push(manifest::FileId::of_bytes(&path, &bytes));
    }
    Ok(written)
}
