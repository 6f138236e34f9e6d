//! Row readers: CSV, JSON Lines and Parquet files read row by row (Parquet in slices), with the
//! column map applied, failures and filtered rows counted, and malformed rows either reported
//! (file, line, column, what was expected) or, with `skip_invalid`, skipped and counted.

use super::format::{
    column, parse_time, parse_tokens, ColumnMap, Columns, Container, Stamp, TimeUnit as Unit,
    TraceFormat, Unresolved, TOKENS_EXPECTED,
};
use super::{SourceStats, TraceError};
use polars::prelude::*;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// How to read a trace file's rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// Which layout; detected from the extension or the CSV header when absent.
    pub format: Option<TraceFormat>,
    /// Column map; required for `csv`, `jsonl` and `parquet`; over a preset, the fields it
    /// gives replace the preset's.
    pub columns: Option<ColumnMap>,
    /// Keep requests that failed (zero response tokens). They are dropped by default, since a
    /// failed request produced no answer to route, and counted.
    pub keep_failures: bool,
    /// Skip malformed rows (and count them) instead of stopping at the first.
    pub skip_invalid: bool,
    /// Keep only rows whose model column is one of these (empty: all).
    pub models: Vec<String>,
    /// Keep only rows whose log-type column is one of these (empty: all).
    pub log_types: Vec<String>,
}

/// One row as read: absolute time (in the file's own origin), tokens, position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawRow {
    pub t: Stamp,
    pub input: u32,
    pub output: u32,
    /// Where the row is: the 1-based line (JSONL) or row (Parquet), or the byte offset of the
    /// record (CSV); [`RowReader::line_of`] turns it into the line for messages.
    pub pos: u64,
}

/// A reader of rows in file order.
pub trait RowReader: Send {
    /// The next kept row, or `None` at the end of the file.
    fn next_row(&mut self, stats: &mut SourceStats) -> Result<Option<RawRow>, TraceError>;
    /// The layout being read.
    fn format(&self) -> TraceFormat;
    /// The 1-based line (or Parquet row) of a row's `pos`, for messages.
    fn line_of(&self, pos: u64) -> u64 {
        pos
    }
}

/// The 1-based line of the CSV record whose position (as the `csv` crate reports it) is byte
/// `byte` of `path`. The crate's own line numbers are one short after every CRLF line ending
/// and every blank line, and its byte position can point at the end of the line before (the
/// terminator it has not yet consumed), so the line is counted here: the newlines before the
/// record's first byte, plus one. Only called to report an error.
fn csv_line(path: &Path, byte: u64) -> u64 {
    use std::io::Read;
    let Ok(mut reader) = std::fs::File::open(path) else {
        return 0;
    };
    let (mut newlines, mut at) = (0u64, 0u64);
    let mut buf = [0u8; 1 << 16];
    loop {
        let Ok(n) = reader.read(&mut buf) else {
            return 0;
        };
        if n == 0 {
            return newlines + 1;
        }
        for &b in &buf[..n] {
            // Up to the record's position, count every newline; from there on, the record
            // begins at the first byte that is not a line terminator.
            if at >= byte && b != b'\r' && b != b'\n' {
                return newlines + 1;
            }
            newlines += u64::from(b == b'\n');
            at += 1;
        }
    }
}

/// Open `path` for reading rows.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn RowReader>, TraceError> {
    match open_as_given(path, options) {
        Err(TraceError::NoTimeUnit { path, column, .. }) => {
            let evidence = time_unit_evidence(&path, options, &column);
            Err(TraceError::NoTimeUnit {
                path,
                column,
                evidence,
            })
        }
        other => other,
    }
}

fn open_as_given(path: &Path, options: &ReadOptions) -> Result<Box<dyn RowReader>, TraceError> {
    let format = options.format.or_else(|| TraceFormat::from_extension(path));
    match format.map(TraceFormat::container) {
        Some(Container::Jsonl) => Ok(Box::new(JsonlReader::open(path, options)?)),
        Some(Container::Parquet) => Ok(Box::new(ParquetRows::open(path, options)?)),
        _ => Ok(Box::new(CsvRows::open(path, format, options)?)),
    }
}

/// Rows the time-unit probe reads at most.
const PROBE_ROWS: u64 = 10_000_000;

/// What the time column of a file whose unit is not given says: its first values and the span
/// each unit would give (read as numbers, up to [`PROBE_ROWS`] rows), for the error message.
fn time_unit_evidence(path: &Path, options: &ReadOptions, column: &str) -> String {
    let mut probe = options.clone();
    if let Some(map) = probe.columns.as_mut() {
        map.time_unit = Some(Unit::S);
    }
    probe.skip_invalid = true;
    probe.keep_failures = true;
    probe.models.clear();
    probe.log_types.clear();
    let Ok(mut reader) = open_as_given(path, &probe) else {
        return String::new();
    };
    let mut stats = SourceStats::default();
    let (mut first, mut n) = (Vec::new(), 0u64);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    while n < PROBE_ROWS {
        let Ok(Some(row)) = reader.next_row(&mut stats) else {
            break;
        };
        let t = row.t.as_secs_f64();
        if first.len() < 3 {
            first.push(t);
        }
        (lo, hi) = (lo.min(t), hi.max(t));
        n += 1;
    }
    if n == 0 {
        return format!(
            "the time column `{column}` holds no plain numbers; if it holds date-times, set time_unit = \"datetime\""
        );
    }
    let span = hi - lo;
    let spans = [("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)]
        .iter()
        .map(|(u, k)| format!("as {u} {}", duration_text(span * k)))
        .collect::<Vec<_>>()
        .join(", ");
    let first = first
        .iter()
        .map(|t| format!("{t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let of = if n >= PROBE_ROWS {
        format!("the first {n} rows")
    } else {
        format!("{n} rows")
    };
    format!("the time column `{column}` starts {first} and spans {span} over {of}: {spans}")
}

/// A duration in the unit that reads best (`3.51 s`, `58.6 min`, `40.7 days`).
pub fn duration_text(s: f64) -> String {
    let (v, unit) = if s >= 2.0 * 86_400.0 {
        (s / 86_400.0, "days")
    } else if s >= 2.0 * 3600.0 {
        (s / 3600.0, "h")
    } else if s >= 120.0 {
        (s / 60.0, "min")
    } else if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "us")
    } else {
        (s * 1e9, "ns")
    };
    format!("{v:.3} {unit}")
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TraceError + '_ {
    move |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The columns to read `path` (of `format`) by: the preset's and the scenario's map combined.
/// `implied_unit` is the time column's unit where the file itself says it.
fn columns_for(
    path: &Path,
    format: TraceFormat,
    options: &ReadOptions,
    implied_unit: Option<Unit>,
) -> Result<Columns, TraceError> {
    let preset = format.preset();
    let Some(map) = &options.columns else {
        return preset.ok_or_else(|| TraceError::NeedsColumns {
            path: path.to_path_buf(),
            format,
        });
    };
    map.resolve(preset, implied_unit).map_err(|e| match e {
        Unresolved::Missing(field) => TraceError::MissingMapField {
            path: path.to_path_buf(),
            format,
            field,
        },
        Unresolved::NoTimeUnit { time } => TraceError::NoTimeUnit {
            path: path.to_path_buf(),
            column: time,
            evidence: String::new(),
        },
    })
}

/// What a row's fields say, before the row is judged.
struct Fields<'a> {
    time: Option<&'a str>,
    input: Option<&'a str>,
    output: Option<&'a str>,
    model: Option<&'a str>,
    log_type: Option<&'a str>,
}

/// Shared row logic: parse, count, filter.
struct Judge {
    path: PathBuf,
    columns: Columns,
    options: ReadOptions,
    /// Positions are CSV byte offsets (else lines or rows).
    csv: bool,
}

impl Judge {
    fn line_of(&self, pos: u64) -> u64 {
        if self.csv {
            csv_line(&self.path, pos)
        } else {
            pos
        }
    }

    fn bad(
        &self,
        pos: u64,
        column: &str,
        value: Option<&str>,
        expected: &'static str,
    ) -> TraceError {
        TraceError::Parse {
            path: self.path.clone(),
            line: self.line_of(pos),
            column: column.to_string(),
            value: value.unwrap_or("<missing>").to_string(),
            expected,
        }
    }

    /// `Ok(Some(row))` to keep, `Ok(None)` to leave out (counted), `Err` to stop.
    fn judge(
        &self,
        line: u64,
        f: Fields<'_>,
        stats: &mut SourceStats,
    ) -> Result<Option<RawRow>, TraceError> {
        stats.rows_read += 1;
        let c = &self.columns;
        let parsed = (|| {
            let expected_time = match c.time_unit {
                Unit::Datetime => "a date-time like 2023-11-16 18:17:03.98",
                _ => "a number (the time column's unit is set by columns.time_unit)",
            };
            let t = f
                .time
                .and_then(|v| parse_time(v, c.time_unit))
                .ok_or_else(|| self.bad(line, &c.time, f.time, expected_time))?;
            let input = f
                .input
                .and_then(parse_tokens)
                .ok_or_else(|| self.bad(line, &c.input, f.input, TOKENS_EXPECTED))?;
            let output = f
                .output
                .and_then(parse_tokens)
                .ok_or_else(|| self.bad(line, &c.output, f.output, TOKENS_EXPECTED))?;
            Ok(RawRow {
                t,
                input,
                output,
                pos: line,
            })
        })();
        let row = match parsed {
            Ok(r) => r,
            Err(_) if self.options.skip_invalid => {
                stats.skipped_invalid += 1;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let allowed = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v.trim()))
        };
        if !allowed(&self.options.models, f.model) || !allowed(&self.options.log_types, f.log_type)
        {
            stats.filtered += 1;
            return Ok(None);
        }
        if row.output == 0 && !self.options.keep_failures {
            stats.failures += 1;
            return Ok(None);
        }
        Ok(Some(row))
    }

    fn check_filters_have_columns(&self, format: TraceFormat) -> Result<(), TraceError> {
        for (list, col, what) in [
            (&self.options.models, &self.columns.model, "models"),
            (&self.options.log_types, &self.columns.log_type, "log_types"),
        ] {
            if !list.is_empty() && col.is_none() {
                return Err(TraceError::NoFilterColumn {
                    path: self.path.clone(),
                    filter: what,
                    format,
                });
            }
        }
        Ok(())
    }
}

struct CsvRows {
    judge: Judge,
    format: TraceFormat,
    csv: csv::Reader<std::io::BufReader<std::fs::File>>,
    record: csv::ByteRecord,
    idx: [Option<usize>; 5],
}

impl CsvRows {
    fn open(
        path: &Path,
        format: Option<TraceFormat>,
        options: &ReadOptions,
    ) -> Result<CsvRows, TraceError> {
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| TraceError::Csv {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        // A map that names the time column makes the file generic CSV; one that only adjusts
        // (e.g. `time_unit` alone) applies over the preset the header shows.
        let generic = options.columns.as_ref().is_some_and(|m| m.time.is_some());
        let format = match format {
            Some(f) => f,
            None if generic => TraceFormat::Csv,
            None => TraceFormat::detect(&header).ok_or_else(|| TraceError::UnknownFormat {
                path: path.to_path_buf(),
                header: header.join(","),
                expected: TraceFormat::expected_layouts(),
            })?,
        };
        let columns = columns_for(path, format, options, None)?;
        let find = |name: &str| column(path, &header, name, format);
        // Optional columns may be absent unless a filter needs them.
        let opt = |name: &Option<String>, needed: bool| match name.as_deref() {
            Some(n) if needed => find(n).map(Some),
            Some(n) => Ok(header.iter().position(|h| h == n)),
            None => Ok(None),
        };
        let idx = [
            Some(find(&columns.time)?),
            Some(find(&columns.input)?),
            Some(find(&columns.output)?),
            opt(&columns.model, !options.models.is_empty())?,
            opt(&columns.log_type, !options.log_types.is_empty())?,
        ];
        let judge = Judge {
            path: path.to_path_buf(),
            columns,
            options: options.clone(),
            csv: true,
        };
        judge.check_filters_have_columns(format)?;
        Ok(CsvRows {
            judge,
            format,
            csv,
            record: csv::ByteRecord::new(),
            idx,
        })
    }
}

impl RowReader for CsvRows {
    fn next_row(&mut self, stats: &mut SourceStats) -> Result<Option<RawRow>, TraceError> {
        loop {
            let more =
                self.csv
                    .read_byte_record(&mut self.record)
                    .map_err(|e| TraceError::Csv {
                        path: self.judge.path.clone(),
                        message: e.to_string(),
                    })?;
            if !more {
                return Ok(None);
            }
            let line = self.record.position().map_or(0, |p| p.byte());
            let rec = &self.record;
            let get = |i: Option<usize>| {
                i.and_then(|i| rec.get(i))
                    .and_then(|b| std::str::from_utf8(b).ok())
            };
            let fields = Fields {
                time: get(self.idx[0]),
                input: get(self.idx[1]),
                output: get(self.idx[2]),
                model: get(self.idx[3]),
                log_type: get(self.idx[4]),
            };
            if let Some(row) = self.judge.judge(line, fields, stats)? {
                return Ok(Some(row));
            }
        }
    }

    fn format(&self) -> TraceFormat {
        self.format
    }

    fn line_of(&self, pos: u64) -> u64 {
        self.judge.line_of(pos)
    }
}

struct JsonlReader {
    judge: Judge,
    reader: std::io::BufReader<std::fs::File>,
    buf: Vec<u8>,
    line: u64,
}

impl JsonlReader {
    fn open(path: &Path, options: &ReadOptions) -> Result<JsonlReader, TraceError> {
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let columns = columns_for(path, TraceFormat::Jsonl, options, None)?;
        let judge = Judge {
            path: path.to_path_buf(),
            columns,
            options: options.clone(),
            csv: false,
        };
        judge.check_filters_have_columns(TraceFormat::Jsonl)?;
        Ok(JsonlReader {
            judge,
            reader: std::io::BufReader::with_capacity(1 << 20, file),
            buf: Vec::new(),
            line: 0,
        })
    }
}

/// A JSON value as text for the shared parsers (numbers and strings; anything else is absent).
fn json_text(v: Option<&serde_json::Value>) -> Option<std::borrow::Cow<'_, str>> {
    match v? {
        serde_json::Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        serde_json::Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

impl RowReader for JsonlReader {
    fn next_row(&mut self, stats: &mut SourceStats) -> Result<Option<RawRow>, TraceError> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(io_error(&self.judge.path))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            // A line that is not UTF-8 is a malformed row like any other (skipped with
            // skip_invalid), not an I/O error.
            let parsed = std::str::from_utf8(&self.buf)
                .map_err(|e| format!("not UTF-8 text ({e})"))
                .and_then(|text| {
                    if text.trim().is_empty() {
                        Ok(None)
                    } else {
                        serde_json::from_str::<serde_json::Value>(text)
                            .map(Some)
                            .map_err(|e| format!("not a JSON object: {e}"))
                    }
                });
            let value = match parsed {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(_) if self.judge.options.skip_invalid => {
                    stats.rows_read += 1;
                    stats.skipped_invalid += 1;
                    continue;
                }
                Err(message) => {
                    return Err(TraceError::Csv {
                        path: self.judge.path.clone(),
                        message: format!("line {}: {message}", self.line),
                    })
                }
            };
            let c = &self.judge.columns;
            let field = |name: &str| json_text(value.get(name));
            let opt = |name: &Option<String>| name.as_deref().and_then(|n| json_text(value.get(n)));
            let (time, input, output) = (field(&c.time), field(&c.input), field(&c.output));
            let (model, log_type) = (opt(&c.model), opt(&c.log_type));
            let fields = Fields {
                time: time.as_deref(),
                input: input.as_deref(),
                output: output.as_deref(),
                model: model.as_deref(),
                log_type: log_type.as_deref(),
            };
            if let Some(row) = self.judge.judge(self.line, fields, stats)? {
                return Ok(Some(row));
            }
        }
    }

    fn format(&self) -> TraceFormat {
        TraceFormat::Jsonl
    }
}

/// The error for a Parquet file whose decoder panicked.
fn decoder_failed(path: &Path, message: &str) -> TraceError {
    TraceError::Csv {
        path: path.to_path_buf(),
        message: format!(
            "not a readable Parquet file: the Parquet decoder failed ({})",
            message.lines().next().unwrap_or("")
        ),
    }
}

/// Rows of a Parquet file, read `SLICE` rows at a time (only the mapped columns).
struct ParquetRows {
    judge: Judge,
    format: TraceFormat,
    total: usize,
    next: usize,
    buffer: std::vec::IntoIter<(u64, [Option<String>; 5])>,
}

const SLICE: usize = 1 << 18;

impl ParquetRows {
    /// Open, with the decoder's panics on corrupt files contained (see [`crate::contain`]).
    fn open(path: &Path, options: &ReadOptions) -> Result<ParquetRows, TraceError> {
        crate::contain::contain(|| Self::open_uncontained(path, options))
            .map_err(|m| decoder_failed(path, &m))?
    }

    fn open_uncontained(path: &Path, options: &ReadOptions) -> Result<ParquetRows, TraceError> {
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let mut reader = ParquetReader::new(file);
        let polars_err = |e: PolarsError| TraceError::Csv {
            path: path.to_path_buf(),
            message: format!("not a readable Parquet file: {e}"),
        };
        let schema = reader.schema().map_err(polars_err)?;
        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        // Parquet has no header layouts to detect from, but a file with a preset's columns
        // (`trace synth` writes BurstGPT's) is read as that preset without a map.
        let format = match (&options.format, &options.columns) {
            (Some(f), _) if f.preset().is_some() => *f,
            (_, Some(m)) if m.time.is_some() => TraceFormat::Parquet,
            _ => TraceFormat::PRESETS
                .into_iter()
                .find(|f| {
                    let c = f.preset().expect("presets have columns");
                    [&c.time, &c.input, &c.output]
                        .iter()
                        .all(|n| names.contains(n))
                })
                .unwrap_or(TraceFormat::Parquet),
        };
        // A timestamp column carries its unit.
        let time_name = options
            .columns
            .as_ref()
            .and_then(|m| m.time.clone())
            .or_else(|| format.preset().map(|c| c.time));
        let implied = time_name
            .and_then(|n| schema.get(n.as_str()).cloned())
            .filter(|f| matches!(f.dtype, ArrowDataType::Timestamp(..)))
            .map(|_| Unit::Datetime);
        let columns = columns_for(path, format, options, implied)?;
        let judge = Judge {
            path: path.to_path_buf(),
            columns,
            options: options.clone(),
            csv: false,
        };
        judge.check_filters_have_columns(format)?;
        let wanted = judge.wanted();
        for name in &wanted {
            column(path, &names, name, format)?;
        }
        let total = reader.num_rows().map_err(polars_err)?;
        // Corrupt page headers would make polars allocate their claimed sizes (an abort).
        let meta = reader.get_metadata().map_err(polars_err)?.clone();
        let mut file = std::fs::File::open(path).map_err(io_error(path))?;
        crate::parquet_pages::check_pages(&mut file, &meta, Some(&wanted)).map_err(|m| {
            TraceError::Csv {
                path: path.to_path_buf(),
                message: format!("not a readable Parquet file: {m}"),
            }
        })?;
        Ok(ParquetRows {
            judge,
            format,
            total,
            next: 0,
            buffer: Vec::new().into_iter(),
        })
    }

    /// Read the next slice into text fields (one conversion path for every column type).
    fn fill(&mut self) -> Result<(), TraceError> {
        let path = self.judge.path.clone();
        crate::contain::contain(|| self.fill_uncontained())
            .map_err(|m| decoder_failed(&path, &m))?
    }

    fn fill_uncontained(&mut self) -> Result<(), TraceError> {
        let path = self.judge.path.clone();
        let polars_err = |e: PolarsError| TraceError::Csv {
            path: path.clone(),
            message: format!("reading Parquet: {e}"),
        };
        let file = std::fs::File::open(&path).map_err(io_error(&path))?;
        let len = SLICE.min(self.total - self.next);
        let wanted = self.judge.wanted();
        let df = ParquetReader::new(file)
            .with_columns(Some(wanted.clone()))
            .with_slice(Some((self.next, len)))
            .finish()
            .map_err(polars_err)?;
        let c = &self.judge.columns;
        let names = [
            Some(c.time.clone()),
            Some(c.input.clone()),
            Some(c.output.clone()),
            c.model.clone(),
            c.log_type.clone(),
        ];
        let mut cols: Vec<Option<Vec<Option<String>>>> = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let Some(name) = name else {
                cols.push(None);
                continue;
            };
            let col = df.column(name).map_err(polars_err)?;
            let values: Vec<Option<String>> = match col.dtype() {
                DataType::Datetime(unit, _) if k == 0 => {
                    let per_second: i64 = match unit {
                        polars::prelude::TimeUnit::Nanoseconds => 1_000_000_000,
                        polars::prelude::TimeUnit::Microseconds => 1_000_000,
                        polars::prelude::TimeUnit::Milliseconds => 1_000,
                    };
                    let ints = col.cast(&DataType::Int64).map_err(polars_err)?;
                    let unit = c.time_unit;
                    ints.i64()
                        .map_err(polars_err)?
                        .iter()
                        .map(|v| {
                            v.map(|v| {
                                let (secs, sub) =
                                    (v.div_euclid(per_second), v.rem_euclid(per_second));
                                let nanos =
                                    (sub as i128 * 1_000_000_000 / per_second as i128) as u32;
                                match unit {
                                    // A timestamp column read as date-times: write it as one.
                                    Unit::Datetime => chrono::DateTime::from_timestamp(secs, nanos)
                                        .map(|d| d.format("%Y-%m-%d %H:%M:%S%.f").to_string())
                                        .unwrap_or_default(),
                                    // Exact decimal text in the column's unit.
                                    u => exact_decimal(
                                        i128::from(secs) * 1_000_000_000 + i128::from(nanos),
                                        u,
                                    ),
                                }
                            })
                        })
                        .collect()
                }
                DataType::String => col
                    .str()
                    .map_err(polars_err)?
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect(),
                _ => {
                    let s = col.cast(&DataType::String).map_err(polars_err)?;
                    s.str()
                        .map_err(polars_err)?
                        .iter()
                        .map(|v| v.map(str::to_string))
                        .collect()
                }
            };
            cols.push(Some(values));
        }
        let rows: Vec<(u64, [Option<String>; 5])> = (0..df.height())
            .map(|i| {
                let get = |k: usize| cols[k].as_ref().and_then(|v| v[i].clone());
                (
                    (self.next + i + 1) as u64,
                    [get(0), get(1), get(2), get(3), get(4)],
                )
            })
            .collect();
        self.next += len;
        self.buffer = rows.into_iter();
        Ok(())
    }
}

/// `ns` nanoseconds as exact decimal text in `unit` (`unit` is not `Datetime`).
fn exact_decimal(ns: i128, unit: Unit) -> String {
    let (per, width) = match unit {
        Unit::Ms => (1_000_000, 6),
        Unit::Us => (1_000, 3),
        Unit::Ns => (1, 0),
        Unit::S | Unit::Datetime => (1_000_000_000, 9),
    };
    let sign = if ns < 0 { "-" } else { "" };
    let (whole, rest) = (ns.abs() / per, ns.abs() % per);
    if rest == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{rest:0width$}")
    }
}

impl Judge {
    fn wanted(&self) -> Vec<String> {
        let c = &self.columns;
        let mut v = vec![c.time.clone(), c.input.clone(), c.output.clone()];
        v.extend(c.model.clone());
        v.extend(c.log_type.clone());
        v
    }
}

impl RowReader for ParquetRows {
    fn next_row(&mut self, stats: &mut SourceStats) -> Result<Option<RawRow>, TraceError> {
        loop {
            let Some((line, f)) = self.buffer.next() else {
                if self.next >= self.total {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            };
            let fields = Fields {
                time: f[0].as_deref(),
                input: f[1].as_deref(),
                output: f[2].as_deref(),
                model: f[3].as_deref(),
                log_type: f[4].as_deref(),
            };
            if let Some(row) = self.judge.judge(line, fields, stats)? {
                return Ok(Some(row));
            }
        }
    }

    fn format(&self) -> TraceFormat {
        self.format
    }
}
