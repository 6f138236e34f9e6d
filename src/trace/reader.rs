//! Row readers: CSV, JSON Lines and Parquet files read row by row (Parquet in slices), with the
//! column map applied, failures and filtered rows counted, and malformed rows either reported
//! (file, line, column, what was expected) or, with `skip_invalid`, skipped and counted.

use super::format::{
    column, parse_time, parse_tokens, Columns, Container, Stamp, TimeUnit as Unit, TraceFormat,
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
    /// Column map; required for `csv`, `jsonl` and `parquet`, overrides a preset's.
    pub columns: Option<Columns>,
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

/// One row as read: absolute time (in the file's own origin), tokens, line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawRow {
    pub t: Stamp,
    pub input: u32,
    pub output: u32,
    /// 1-based line (CSV, JSONL) or row (Parquet) in the file.
    pub line: u64,
}

/// A reader of rows in file order.
pub trait RowReader: Send {
    /// The next kept row, or `None` at the end of the file.
    fn next_row(&mut self, stats: &mut SourceStats) -> Result<Option<RawRow>, TraceError>;
    /// The layout being read.
    fn format(&self) -> TraceFormat;
}

/// Open `path` for reading rows.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn RowReader>, TraceError> {
    let format = options.format.or_else(|| TraceFormat::from_extension(path));
    match format.map(TraceFormat::container) {
        Some(Container::Jsonl) => Ok(Box::new(JsonlReader::open(path, options)?)),
        Some(Container::Parquet) => Ok(Box::new(ParquetRows::open(path, options)?)),
        _ => Ok(Box::new(CsvRows::open(path, format, options)?)),
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TraceError + '_ {
    move |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn columns_for(
    path: &Path,
    format: TraceFormat,
    options: &ReadOptions,
) -> Result<Columns, TraceError> {
    options
        .columns
        .clone()
        .or_else(|| format.preset())
        .ok_or_else(|| TraceError::NeedsColumns {
            path: path.to_path_buf(),
            format,
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
}

impl Judge {
    fn bad(
        &self,
        line: u64,
        column: &str,
        value: Option<&str>,
        expected: &'static str,
    ) -> TraceError {
        TraceError::Parse {
            path: self.path.clone(),
            line,
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
            let input = f.input.and_then(parse_tokens).ok_or_else(|| {
                self.bad(
                    line,
                    &c.input,
                    f.input,
                    "a non-negative whole number of tokens",
                )
            })?;
            let output = f.output.and_then(parse_tokens).ok_or_else(|| {
                self.bad(
                    line,
                    &c.output,
                    f.output,
                    "a non-negative whole number of tokens",
                )
            })?;
            Ok(RawRow {
                t,
                input,
                output,
                line,
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
        let format = match format {
            Some(f) => f,
            None if options.columns.is_some() => TraceFormat::Csv,
            None => TraceFormat::detect(&header).ok_or_else(|| TraceError::UnknownFormat {
                path: path.to_path_buf(),
                header: header.join(","),
                expected: TraceFormat::expected_layouts(),
            })?,
        };
        let columns = columns_for(path, format, options)?;
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
            let line = self.record.position().map_or(0, |p| p.line());
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
}

struct JsonlReader {
    judge: Judge,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    line: u64,
}

impl JsonlReader {
    fn open(path: &Path, options: &ReadOptions) -> Result<JsonlReader, TraceError> {
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let columns = columns_for(path, TraceFormat::Jsonl, options)?;
        let judge = Judge {
            path: path.to_path_buf(),
            columns,
            options: options.clone(),
        };
        judge.check_filters_have_columns(TraceFormat::Jsonl)?;
        Ok(JsonlReader {
            judge,
            lines: std::io::BufReader::with_capacity(1 << 20, file).lines(),
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
            let Some(text) = self.lines.next() else {
                return Ok(None);
            };
            let text = text.map_err(io_error(&self.judge.path))?;
            self.line += 1;
            if text.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(_) if self.judge.options.skip_invalid => {
                    stats.rows_read += 1;
                    stats.skipped_invalid += 1;
                    continue;
                }
                Err(e) => {
                    return Err(TraceError::Csv {
                        path: self.judge.path.clone(),
                        message: format!("line {}: not a JSON object: {e}", self.line),
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

/// Rows of a Parquet file, read `SLICE` rows at a time (only the mapped columns).
struct ParquetRows {
    judge: Judge,
    total: usize,
    next: usize,
    buffer: std::vec::IntoIter<(u64, [Option<String>; 5])>,
}

const SLICE: usize = 1 << 18;

impl ParquetRows {
    fn open(path: &Path, options: &ReadOptions) -> Result<ParquetRows, TraceError> {
        let columns = columns_for(path, TraceFormat::Parquet, options)?;
        let judge = Judge {
            path: path.to_path_buf(),
            columns,
            options: options.clone(),
        };
        judge.check_filters_have_columns(TraceFormat::Parquet)?;
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let mut reader = ParquetReader::new(file);
        let polars_err = |e: PolarsError| TraceError::Csv {
            path: path.to_path_buf(),
            message: format!("not a readable Parquet file: {e}"),
        };
        let schema = reader.schema().map_err(polars_err)?;
        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        for name in judge.wanted() {
            column(path, &names, &name, TraceFormat::Parquet)?;
        }
        let total = reader.num_rows().map_err(polars_err)?;
        Ok(ParquetRows {
            judge,
            total,
            next: 0,
            buffer: Vec::new().into_iter(),
        })
    }

    /// Read the next slice into text fields (one conversion path for every column type).
    fn fill(&mut self) -> Result<(), TraceError> {
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
        TraceFormat::Parquet
    }
}
