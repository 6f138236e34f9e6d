//! Arrival traces: reading real trace files into queries, and replaying them at a target volume.
//!
//! The simulation pulls queries from a [`QuerySource`] in batches. The "loop and compress"
//! replay ([`ScaledTrace`]) reads the source trace once into memory as compact rows (16 bytes
//! each) and produces any query by index without materialising the scaled trace, so the paper's
//! 80.2M-query day costs the memory of the source file.

mod format;
mod rescale;
mod source;

pub use format::TraceFormat;
pub use rescale::{Rescale, ScaledTrace};
pub use source::{QuerySource, SourceStats};

use std::path::{Path, PathBuf};

/// One query as the simulation sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Query {
    /// Position of the query in the (scaled) trace; keys all of the query's random attributes.
    pub index: u64,
    /// Arrival time in seconds from the start of the trace.
    pub arrival_s: f64,
    /// Prompt (input, context, prefill) tokens.
    pub input_tokens: u32,
    /// Response (output, generated, decode) tokens.
    pub output_tokens: u32,
}

/// One row of a source trace, times relative to its first arrival.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    pub arrival_s: f64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// How to read a trace file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// Which layout; `None` detects it from the header.
    pub format: Option<TraceFormat>,
    /// Keep requests that failed (zero response tokens). They are dropped by default, since a
    /// failed request produced no answer to route, and counted in [`Trace::failures`].
    pub keep_failures: bool,
}

/// A source trace held in memory, sorted by arrival time, times shifted to start at zero.
#[derive(Clone, Debug)]
pub struct Trace {
    pub path: PathBuf,
    pub format: TraceFormat,
    pub rows: Vec<TraceRow>,
    /// Rows dropped because they had zero response tokens (failed requests).
    pub failures: u64,
    /// Rows that were out of time order in the file (the trace is sorted stably on read).
    pub reordered: u64,
}

/// Everything that can go wrong reading a trace. Each message names the file, and where it
/// applies the line and column, and says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read trace: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a CSV trace: {message}")]
    Csv { path: PathBuf, message: String },
    #[error(
        "{path}: unrecognised trace header [{header}]; expected the columns of one of: {expected}"
    )]
    UnknownFormat {
        path: PathBuf,
        header: String,
        expected: String,
    },
    #[error("{path}: missing column `{column}` for the {format} format (header has: {header})")]
    MissingColumn {
        path: PathBuf,
        column: String,
        format: TraceFormat,
        header: String,
    },
    #[error("{path}:{line}: column `{column}`: cannot read {value:?}: expected {expected}")]
    Parse {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
        expected: &'static str,
    },
    #[error("{path}: the trace has no usable rows ({failures} failed requests dropped)")]
    Empty { path: PathBuf, failures: u64 },
}

impl Trace {
    /// Read a trace file.
    pub fn read(path: &Path, options: &ReadOptions) -> Result<Trace, TraceError> {
        let file = std::fs::File::open(path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(path, std::io::BufReader::new(file), options)
    }

    /// Read a trace from any reader; `path` is used in messages only.
    pub fn from_reader<R: std::io::Read>(
        path: &Path,
        reader: R,
        options: &ReadOptions,
    ) -> Result<Trace, TraceError> {
        format::read_rows(path, reader, options)
    }

    /// Number of rows (queries) in the source trace.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The loop period used when a trace is replayed more than once: the time from the first to
    /// the last arrival plus one mean inter-arrival gap, so that the loop seam looks like an
    /// ordinary gap rather than a double arrival.
    pub fn period_s(&self) -> f64 {
        let n = self.rows.len();
        let last = self.rows.last().map_or(0.0, |r| r.arrival_s);
        if n > 1 && last > 0.0 {
            last * n as f64 / (n - 1) as f64
        } else {
            // A single row, or all rows at t = 0: one second per row is as good as any period.
            n.max(1) as f64
        }
    }
}

#[cfg(test)]
mod tests;
