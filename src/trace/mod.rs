//! Arrival traces: reading trace files, transforming them, and replaying them as queries.
//!
//! The simulation pulls queries from a [`QuerySource`] in batches. Three sources exist:
//! * a streamed file ([`stream::FileSource`]): any size, bounded memory; rate scaling by
//!   thinning or replication, looping to a horizon;
//! * "loop and compress" ([`ScaledTrace`]): the file read once into memory as 16-byte rows and
//!   replayed at exactly `queries` arrivals over `horizon_hours` (the paper's 80.2M-query day
//!   from a one-hour trace); any query can be produced by index;
//! * a synthetic BurstGPT-shaped generator ([`synth`]).
//!
//! [`TraceSpec`] is the `[trace]` section of a scenario and chooses among them.

mod context;
mod format;
pub mod inspect;
mod reader;
mod rescale;
mod source;
pub mod stream;
pub mod synth;
pub mod write;

pub use context::{ContextLimit, Fit, Limited, OverContext};
pub use format::{
    parse_datetime, parse_datetime_stamp, ColumnMap, Columns, Stamp, TimeUnit, TraceFormat,
    MAX_QUERY_TOKENS,
};
pub use reader::{ReadOptions, RowReader};
pub use rescale::{Rescale, ScaledTrace};
pub use source::{MemorySource, QuerySource, SourceStats};
pub use stream::{FileSource, StreamSpec, Ties};
pub use synth::{Synth, SynthSource, SynthSpec};

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One query as the simulation sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Query {
    /// Position of the query in the replay; keys all of the query's random attributes.
    pub index: u64,
    /// Arrival time in seconds from the start of the replay.
    pub arrival_s: f64,
    /// Prompt (input, context, prefill) tokens.
    pub input_tokens: u32,
    /// Response (output, generated, decode) tokens.
    pub output_tokens: u32,
}

/// Mean prompt and response tokens of `queries` (0 for none).
pub fn mean_lengths(queries: &[Query]) -> (f64, f64) {
    let n = queries.len().max(1) as f64;
    let (i, o) = queries.iter().fold((0.0, 0.0), |(i, o), q| {
        (
            i + f64::from(q.input_tokens),
            o + f64::from(q.output_tokens),
        )
    });
    (i / n, o / n)
}

/// One row of a source trace, times relative to its first arrival.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    pub arrival_s: f64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Everything that can go wrong reading a trace. Each message is one line naming the file, and
/// where it applies the line and column, and saying what was expected.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read trace")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a readable trace: {message}")]
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
    #[error("{path}: the {format} format needs a column map: set trace.columns = {{ time = \"...\", time_unit = \"s|ms|us|ns|datetime\", input = \"...\", output = \"...\" }}")]
    NeedsColumns { path: PathBuf, format: TraceFormat },
    #[error("{path}: the {format} format needs trace.columns.{field} (the column it names)")]
    MissingMapField {
        path: PathBuf,
        format: TraceFormat,
        field: &'static str,
    },
    #[error("{path}: trace.columns.time_unit is not set; {evidence}; set it, e.g. --set trace.columns.time_unit=ms (trace inspect: --columns '..., time_unit=\"ms\"'); units: s, ms, us, ns, datetime")]
    NoTimeUnit {
        path: PathBuf,
        column: String,
        evidence: String,
    },
    #[error("{path}: trace.{filter} is set but the {format} format has no such column; add it to trace.columns")]
    NoFilterColumn {
        path: PathBuf,
        filter: &'static str,
        format: TraceFormat,
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
    #[error("{path}:{line}: arrivals are out of order by more than {window} rows; sort the file by time first")]
    Unsorted {
        path: PathBuf,
        line: u64,
        window: usize,
    },
    #[error("{path}:{line}: the trace would span {days:.0} days; is the time unit right? (set trace.columns.time_unit, e.g. \"ms\" for milliseconds)")]
    ImplausibleSpan { path: PathBuf, line: u64, days: f64 },
    #[error("{0}")]
    Spec(String),
}

/// A source trace held in memory, sorted by arrival time, times shifted to start at zero.
#[derive(Clone, Debug)]
pub struct Trace {
    pub path: PathBuf,
    pub format: TraceFormat,
    pub rows: Vec<TraceRow>,
    /// What reading it counted (failures, filtered, reordered, ...).
    pub stats: SourceStats,
}

impl Trace {
    /// Read a whole trace file into memory (sorted, shifted to zero, failures dropped unless
    /// kept).
    pub fn read(path: &Path, options: &ReadOptions) -> Result<Trace, TraceError> {
        Self::read_stream(StreamSpec {
            path: path.to_path_buf(),
            read: options.clone(),
            window: None,
            ties: Ties::Keep,
            factor: 1.0,
            horizon_s: None,
            seed: 0,
            check_span: true,
        })
    }

    /// Read everything a stream yields into memory.
    pub fn read_stream(spec: StreamSpec) -> Result<Trace, TraceError> {
        let mut source = FileSource::open(spec.clone())?;
        let format = source.format();
        let mut queries = Vec::new();
        loop {
            let before = queries.len();
            source.next_batch(&mut queries, 1 << 16)?;
            if queries.len() == before {
                break;
            }
        }
        let rows = queries
            .into_iter()
            .map(|q| TraceRow {
                arrival_s: q.arrival_s,
                input_tokens: q.input_tokens,
                output_tokens: q.output_tokens,
            })
            .collect();
        Ok(Trace {
            path: spec.path,
            format,
            rows,
            stats: source.stats(),
        })
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
        loop_period(
            self.rows.len() as u64,
            self.rows.last().map_or(0.0, |r| r.arrival_s),
        )
    }
}

/// The loop period of `n` arrivals spanning `span` seconds from the first: the span plus one
/// mean gap (`span x n / (n - 1)`).
pub(crate) fn loop_period(n: u64, span: f64) -> f64 {
    if n > 1 && span > 0.0 {
        span * n as f64 / (n - 1) as f64
    } else {
        // A single row, or all rows at t = 0: one second per row is as good as any period.
        n.max(1) as f64
    }
}

/// The largest `rate_factor` (copies of one row are held in memory together).
pub const MAX_RATE_FACTOR: f64 = 10_000.0;

/// The longest horizon (`horizon_hours`, `loop_hours`): ten years. Longer is a typo, and an
/// infinite one would loop forever.
pub const MAX_HORIZON_HOURS: f64 = 87_600.0;

/// A time window `[start_s, end_s)` after the first arrival.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    #[serde(default)]
    pub start_s: f64,
    pub end_s: f64,
}

/// The `[trace]` section of a scenario: where queries come from and how they are transformed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// Trace file (relative to the scenario file). Required unless `synth` is given.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Layout; detected from the extension or the CSV header when absent.
    #[serde(default)]
    pub format: Option<TraceFormat>,
    /// Column map (required for csv, jsonl, parquet; over a preset, the fields given replace
    /// the preset's).
    #[serde(default)]
    pub columns: Option<ColumnMap>,
    /// Keep failed requests (zero response tokens); dropped and counted by default.
    #[serde(default)]
    pub keep_failures: bool,
    /// Skip malformed rows and count them, instead of stopping at the first.
    #[serde(default)]
    pub skip_invalid: bool,
    /// Keep only these models (model column).
    #[serde(default)]
    pub models: Vec<String>,
    /// Keep only these log types / request classes (log-type column).
    #[serde(default)]
    pub log_types: Vec<String>,
    /// Keep arrivals in `[start_s, end_s)` after the first one (then shifted to start at 0).
    #[serde(default)]
    pub window: Option<Window>,
    /// Tied timestamps: "keep" (default) or "spread" until the next arrival.
    #[serde(default)]
    pub ties: Ties,
    /// Multiply the arrival rate by this factor (thinning below 1, replication above).
    #[serde(default)]
    pub rate_factor: Option<f64>,
    /// Scale the arrival rate to this many queries per day (needs one extra pass to count).
    #[serde(default)]
    pub per_day: Option<f64>,
    /// Loop the (scaled) trace until this many hours.
    #[serde(default)]
    pub loop_hours: Option<f64>,
    /// Loop and compress: exactly this many queries ...
    #[serde(default)]
    pub queries: Option<u64>,
    /// ... over this many hours (holds the trace in memory).
    #[serde(default)]
    pub horizon_hours: Option<f64>,
    /// A synthetic BurstGPT-shaped trace instead of a file.
    #[serde(default)]
    pub synth: Option<SynthSpec>,
    /// Context window (prompt + response tokens) queries are checked against; default: the
    /// cloud model's, from the catalogue.
    #[serde(default)]
    pub context_tokens: Option<u32>,
    /// Queries beyond the window: "keep" (default; counted and reported), "drop" or
    /// "truncate" (the prompt is cut to fit).
    #[serde(default)]
    pub over_context: OverContext,
}

impl TraceSpec {
    /// Check the combination of settings; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => {
                Err(format!("trace.{name}: expected a positive number, got {x}"))
            }
            _ => Ok(()),
        };
        positive("rate_factor", self.rate_factor)?;
        if self.rate_factor.is_some_and(|f| f > MAX_RATE_FACTOR) {
            return Err(format!("trace.rate_factor: at most {MAX_RATE_FACTOR} (each row's copies are held together); loop or compress for larger volumes"));
        }
        positive("per_day", self.per_day)?;
        positive("loop_hours", self.loop_hours)?;
        positive("horizon_hours", self.horizon_hours)?;
        for (name, v) in [
            ("loop_hours", self.loop_hours),
            ("horizon_hours", self.horizon_hours),
        ] {
            if v.is_some_and(|h| h > MAX_HORIZON_HOURS) {
                return Err(format!(
                    "trace.{name}: at most {MAX_HORIZON_HOURS} hours (ten years), got {}",
                    v.unwrap_or_default()
                ));
            }
        }
        if self.context_tokens == Some(0) {
            return Err("trace.context_tokens: expected a positive number of tokens".into());
        }
        match (&self.path, &self.synth) {
            (None, None) => {
                return Err("trace.path: required (a trace file), or give trace.synth".into())
            }
            (Some(_), Some(_)) => {
                return Err("trace.synth: give a trace file (path) or synth, not both".into())
            }
            (None, Some(synth)) => {
                let file_only = self.queries.is_some()
                    || self.rate_factor.is_some()
                    || self.per_day.is_some()
                    || self.loop_hours.is_some()
                    || self.window.is_some();
                if file_only {
                    return Err("trace.synth: the volume of a synthetic trace is set by synth.per_day and synth.days; queries, rate_factor, per_day, loop_hours and window apply to files".into());
                }
                return synth.validate();
            }
            (Some(_), None) => {}
        }
        match (self.queries, self.horizon_hours) {
            (Some(0), _) => return Err("trace.queries: expected at least 1 query".into()),
            (Some(_), None) => {
                return Err("trace.horizon_hours: required when trace.queries is set".into())
            }
            (None, Some(_)) => {
                return Err("trace.queries: required when trace.horizon_hours is set".into())
            }
            _ => {}
        }
        if self.queries.is_some()
            && (self.rate_factor.is_some() || self.per_day.is_some() || self.loop_hours.is_some())
        {
            return Err("trace.queries: loop-and-compress (queries, horizon_hours) cannot be combined with rate_factor, per_day or loop_hours".into());
        }
        if self.rate_factor.is_some() && self.per_day.is_some() {
            return Err("trace.per_day: give rate_factor or per_day, not both".into());
        }
        if let Some(w) = self.window {
            if !(w.start_s >= 0.0 && w.end_s > w.start_s) {
                return Err(format!(
                    "trace.window: expected 0 <= start_s < end_s, got [{}, {})",
                    w.start_s, w.end_s
                ));
            }
        }
        Ok(())
    }

    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            columns: self.columns.clone(),
            keep_failures: self.keep_failures,
            skip_invalid: self.skip_invalid,
            models: self.models.clone(),
            log_types: self.log_types.clone(),
        }
    }

    fn stream_spec(&self, factor: f64, horizon_s: Option<f64>, seed: u64) -> StreamSpec {
        StreamSpec {
            path: self.path.clone().unwrap_or_default(),
            read: self.read_options(),
            window: self.window.map(|w| (w.start_s, w.end_s)),
            ties: self.ties,
            factor,
            horizon_s,
            seed,
            check_span: !matches!(
                self.columns.as_ref().and_then(|c| c.time_unit),
                Some(TimeUnit::Datetime)
            ),
        }
    }

    /// Prepare the replay: reads the file once for loop-and-compress (into memory) or for
    /// `per_day` (to count); otherwise nothing is read until the source is pulled.
    pub fn prepare(&self, seed: u64) -> Result<Replay, TraceError> {
        self.validate().map_err(TraceError::Spec)?;
        if let Some(synth) = &self.synth {
            return Ok(Replay::Synth(Box::new(Synth::new(synth, seed)?)));
        }
        if let (Some(queries), Some(h)) = (self.queries, self.horizon_hours) {
            let trace = Trace::read_stream(self.stream_spec(1.0, None, seed))?;
            return Ok(Replay::Compress {
                trace: std::sync::Arc::new(trace),
                target: Rescale {
                    queries,
                    horizon_s: h * 3600.0,
                },
            });
        }
        let factor = match (self.rate_factor, self.per_day) {
            (Some(f), _) => f,
            (None, Some(per_day)) => {
                let trace = Trace::read_stream(self.stream_spec(1.0, None, seed))?;
                let rate_per_day = trace.len() as f64 / trace.period_s() * 86_400.0;
                let factor = per_day / rate_per_day;
                if !(factor.is_finite() && factor <= MAX_RATE_FACTOR) {
                    return Err(TraceError::Spec(format!(
                        "trace.per_day: {per_day} a day is {factor:.3e} times the trace's own rate ({rate_per_day:.1} a day); at most {MAX_RATE_FACTOR} times (each row's copies are held together): loop (loop_hours) or compress (queries and horizon_hours) for more"
                    )));
                }
                factor
            }
            (None, None) => 1.0,
        };
        let horizon_s = self.loop_hours.map(|h| h * 3600.0);
        Ok(Replay::Stream(Box::new(
            self.stream_spec(factor, horizon_s, seed),
        )))
    }
}

/// A prepared replay: opens fresh sources on demand (one per run).
#[derive(Clone, Debug)]
pub enum Replay {
    Compress {
        trace: std::sync::Arc<Trace>,
        target: Rescale,
    },
    Stream(Box<StreamSpec>),
    Synth(Box<Synth>),
    /// Queries given in memory, replayed as they are (see [`MemorySource`]).
    Memory(std::sync::Arc<Vec<Query>>),
}

impl Replay {
    /// A fresh source from the beginning.
    pub fn open(&self) -> Result<Box<dyn QuerySource>, TraceError> {
        Ok(match self {
            Replay::Compress { trace, target } => {
                Box::new(ScaledTrace::new(trace.clone(), *target))
            }
            Replay::Stream(spec) => Box::new(FileSource::open((**spec).clone())?),
            Replay::Synth(synth) => Box::new(SynthSource::new((**synth).clone())),
            Replay::Memory(queries) => Box::new(MemorySource::new(queries.clone())),
        })
    }
}

#[cfg(test)]
mod tests;
