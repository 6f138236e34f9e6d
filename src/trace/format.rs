//! The trace layouts we read, by column name (never by position).

use super::{ReadOptions, Trace, TraceError, TraceRow};
use std::fmt;
use std::path::Path;

/// A known trace layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// Azure LLM inference trace 2023 (Splitwise): `TIMESTAMP,ContextTokens,GeneratedTokens`,
    /// wall-clock timestamps with fractional seconds.
    #[serde(rename = "azure-2023")]
    Azure2023,
    /// BurstGPT (all releases): `Timestamp` in integer seconds, `Request tokens`,
    /// `Response tokens`; other columns (`Model`, `Log Type`, `Session ID`, ...) are ignored.
    Burstgpt,
    /// microsoft/vidur's processed Splitwise traces: `arrived_at` (s),
    /// `num_prefill_tokens`, `num_decode_tokens`.
    Splitwise,
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceFormat::Azure2023 => "azure-2023",
            TraceFormat::Burstgpt => "burstgpt",
            TraceFormat::Splitwise => "splitwise",
        })
    }
}

/// How the time column is written.
#[derive(Clone, Copy)]
enum TimeKind {
    /// `YYYY-MM-DD HH:MM:SS[.fffffff]`
    DateTime,
    /// A number of seconds.
    Seconds,
}

struct Layout {
    time: &'static str,
    time_kind: TimeKind,
    input: &'static str,
    output: &'static str,
}

impl TraceFormat {
    const ALL: [TraceFormat; 3] = [
        TraceFormat::Azure2023,
        TraceFormat::Burstgpt,
        TraceFormat::Splitwise,
    ];

    fn layout(self) -> Layout {
        match self {
            TraceFormat::Azure2023 => Layout {
                time: "TIMESTAMP",
                time_kind: TimeKind::DateTime,
                input: "ContextTokens",
                output: "GeneratedTokens",
            },
            TraceFormat::Burstgpt => Layout {
                time: "Timestamp",
                time_kind: TimeKind::Seconds,
                input: "Request tokens",
                output: "Response tokens",
            },
            TraceFormat::Splitwise => Layout {
                time: "arrived_at",
                time_kind: TimeKind::Seconds,
                input: "num_prefill_tokens",
                output: "num_decode_tokens",
            },
        }
    }

    /// The format whose time column appears in `header`.
    fn detect(header: &[String]) -> Option<TraceFormat> {
        Self::ALL
            .into_iter()
            .find(|f| header.iter().any(|h| h == f.layout().time))
    }
}

fn column(
    path: &Path,
    header: &[String],
    name: &str,
    format: TraceFormat,
) -> Result<usize, TraceError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| TraceError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            format,
            header: header.join(","),
        })
}

fn parse_tokens(path: &Path, line: u64, column: &str, field: &[u8]) -> Result<u32, TraceError> {
    std::str::from_utf8(field)
        .ok()
        .map(str::trim)
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| TraceError::Parse {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            value: String::from_utf8_lossy(field).into_owned(),
            expected: "a non-negative whole number of tokens",
        })
}

fn parse_time(
    path: &Path,
    line: u64,
    column: &str,
    kind: TimeKind,
    field: &[u8],
) -> Result<f64, TraceError> {
    let text = std::str::from_utf8(field).ok().map(str::trim);
    let (value, expected) = match kind {
        TimeKind::Seconds => (
            text.and_then(|s| s.parse::<f64>().ok())
                .filter(|t| t.is_finite()),
            "a time in seconds",
        ),
        TimeKind::DateTime => (
            text.and_then(|s| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()
            })
            .map(|dt| {
                let t = dt.and_utc();
                t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9
            }),
            "a date-time like 2023-11-16 18:17:03.9799600",
        ),
    };
    value.ok_or_else(|| TraceError::Parse {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        value: String::from_utf8_lossy(field).into_owned(),
        expected,
    })
}

pub(super) fn read_rows<R: std::io::Read>(
    path: &Path,
    reader: R,
    options: &ReadOptions,
) -> Result<Trace, TraceError> {
    let csv_error = |e: csv::Error| TraceError::Csv {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header: Vec<String> = csv
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let format = match options.format {
        Some(f) => f,
        None => TraceFormat::detect(&header).ok_or_else(|| TraceError::UnknownFormat {
            path: path.to_path_buf(),
            header: header.join(","),
            expected: TraceFormat::ALL
                .iter()
                .map(|f| {
                    let l = f.layout();
                    format!("{f} ({}, {}, {})", l.time, l.input, l.output)
                })
                .collect::<Vec<_>>()
                .join("; "),
        })?,
    };
    let layout = format.layout();
    let time_col = column(path, &header, layout.time, format)?;
    let input_col = column(path, &header, layout.input, format)?;
    let output_col = column(path, &header, layout.output, format)?;

    let mut rows = Vec::new();
    let mut failures = 0u64;
    let mut record = csv::ByteRecord::new();
    while csv.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or(b"");
        let arrival_s = parse_time(path, line, layout.time, layout.time_kind, field(time_col))?;
        let input_tokens = parse_tokens(path, line, layout.input, field(input_col))?;
        let output_tokens = parse_tokens(path, line, layout.output, field(output_col))?;
        if output_tokens == 0 && !options.keep_failures {
            failures += 1;
            continue;
        }
        rows.push(TraceRow {
            arrival_s,
            input_tokens,
            output_tokens,
        });
    }
    if rows.is_empty() {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
            failures,
        });
    }
    let reordered = rows
        .windows(2)
        .filter(|w| w[1].arrival_s < w[0].arrival_s)
        .count() as u64;
    if reordered > 0 {
        rows.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
    }
    let t0 = rows[0].arrival_s;
    for r in &mut rows {
        r.arrival_s -= t0;
    }
    Ok(Trace {
        path: path.to_path_buf(),
        format,
        rows,
        failures,
        reordered,
    })
}
