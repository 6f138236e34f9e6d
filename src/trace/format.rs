//! Trace layouts and field parsing: which columns hold time, prompt and response tokens, in
//! which unit, for every layout we read. Columns are always found by name, never by position.

use super::TraceError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// A trace layout: a known preset, or a generic container with a column map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// Azure LLM inference trace 2023 (Splitwise): `TIMESTAMP,ContextTokens,GeneratedTokens`,
    /// wall-clock timestamps with fractional seconds.
    #[serde(rename = "azure-2023")]
    Azure2023,
    /// Azure LLM inference trace 2024 (week-long): the same columns, timestamps with a UTC
    /// offset (`2024-05-10 00:00:00.009930+00:00`).
    #[serde(rename = "azure-2024")]
    Azure2024,
    /// BurstGPT (all releases): `Timestamp` in seconds, `Request tokens`, `Response tokens`,
    /// `Model`, `Log Type` (and, from v2, `Session ID`, `Elapsed time`).
    Burstgpt,
    /// microsoft/vidur's processed Splitwise traces: `arrived_at` (s),
    /// `num_prefill_tokens`, `num_decode_tokens`.
    Splitwise,
    /// Any CSV file, with `columns` naming the fields.
    Csv,
    /// JSON Lines (one object per line), with `columns`.
    Jsonl,
    /// Apache Parquet, with `columns`.
    Parquet,
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceFormat::Azure2023 => "azure-2023",
            TraceFormat::Azure2024 => "azure-2024",
            TraceFormat::Burstgpt => "burstgpt",
            TraceFormat::Splitwise => "splitwise",
            TraceFormat::Csv => "csv",
            TraceFormat::Jsonl => "jsonl",
            TraceFormat::Parquet => "parquet",
        })
    }
}

/// The unit of a time column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    #[default]
    S,
    Ms,
    Us,
    Ns,
    /// A date-time string such as `2023-11-16 18:17:03.98` or `2024-05-10T00:00:00Z`
    /// (Parquet timestamp columns are read in their own unit).
    Datetime,
}

impl TimeUnit {
    /// Seconds per unit (date-times are converted to seconds when parsed).
    pub fn seconds(self) -> f64 {
        match self {
            TimeUnit::S | TimeUnit::Datetime => 1.0,
            TimeUnit::Ms => 1e-3,
            TimeUnit::Us => 1e-6,
            TimeUnit::Ns => 1e-9,
        }
    }
}

/// A column map as a scenario (or `trace inspect --columns`) writes it: every field optional.
/// Over a preset layout, the fields given replace the preset's (e.g. only `time_unit`); a
/// generic container (csv, jsonl, parquet) needs `time`, `input`, `output` and `time_unit`
/// (Parquet timestamp columns carry their own unit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub time_unit: Option<TimeUnit>,
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub log_type: Option<String>,
}

impl From<Columns> for ColumnMap {
    fn from(c: Columns) -> ColumnMap {
        ColumnMap {
            time: Some(c.time),
            time_unit: Some(c.time_unit),
            input: Some(c.input),
            output: Some(c.output),
            model: c.model,
            log_type: c.log_type,
        }
    }
}

/// Why a column map does not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// A generic container needs this field (`time`, `input` or `output`).
    Missing(&'static str),
    /// A generic container needs `time_unit`, and nothing implies it.
    NoTimeUnit { time: String },
}

impl ColumnMap {
    /// The columns of `format` under this map: `preset`'s with the fields given here replacing
    /// them, or (no preset) this map's own. `implied_unit` is the time column's own unit where
    /// the file says it (a Parquet timestamp column).
    pub fn resolve(
        &self,
        preset: Option<Columns>,
        implied_unit: Option<TimeUnit>,
    ) -> Result<Columns, Unresolved> {
        let pick = |mine: &Option<String>, theirs: Option<&String>, name| {
            mine.clone()
                .or_else(|| theirs.cloned())
                .ok_or(Unresolved::Missing(name))
        };
        let p = preset.as_ref();
        let time = pick(&self.time, p.map(|p| &p.time), "time")?;
        let time_unit = match (self.time_unit, p, implied_unit) {
            (Some(u), _, _) => u,
            (None, _, Some(u)) => u,
            (None, Some(p), None) => p.time_unit,
            (None, None, None) => return Err(Unresolved::NoTimeUnit { time }),
        };
        Ok(Columns {
            time,
            time_unit,
            input: pick(&self.input, p.map(|p| &p.input), "input")?,
            output: pick(&self.output, p.map(|p| &p.output), "output")?,
            model: self
                .model
                .clone()
                .or_else(|| p.and_then(|p| p.model.clone())),
            log_type: self
                .log_type
                .clone()
                .or_else(|| p.and_then(|p| p.log_type.clone())),
        })
    }
}

/// Which columns hold what, resolved (see [`ColumnMap`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Columns {
    /// Arrival time.
    pub time: String,
    pub time_unit: TimeUnit,
    /// Prompt tokens.
    pub input: String,
    /// Response tokens.
    pub output: String,
    /// Optional model name column (for `trace.models`).
    pub model: Option<String>,
    /// Optional request class / log type column (for `trace.log_types`).
    pub log_type: Option<String>,
}

/// The file container of a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Csv,
    Jsonl,
    Parquet,
}

impl TraceFormat {
    pub const PRESETS: [TraceFormat; 4] = [
        TraceFormat::Azure2023,
        TraceFormat::Azure2024,
        TraceFormat::Burstgpt,
        TraceFormat::Splitwise,
    ];

    pub fn container(self) -> Container {
        match self {
            TraceFormat::Jsonl => Container::Jsonl,
            TraceFormat::Parquet => Container::Parquet,
            _ => Container::Csv,
        }
    }

    /// The column map of a preset layout; `None` for the generic containers.
    pub fn preset(self) -> Option<Columns> {
        let c = |time: &str,
                 unit,
                 input: &str,
                 output: &str,
                 model: Option<&str>,
                 log: Option<&str>| Columns {
            time: time.into(),
            time_unit: unit,
            input: input.into(),
            output: output.into(),
            model: model.map(Into::into),
            log_type: log.map(Into::into),
        };
        match self {
            TraceFormat::Azure2023 | TraceFormat::Azure2024 => Some(c(
                "TIMESTAMP",
                TimeUnit::Datetime,
                "ContextTokens",
                "GeneratedTokens",
                None,
                None,
            )),
            TraceFormat::Burstgpt => Some(c(
                "Timestamp",
                TimeUnit::S,
                "Request tokens",
                "Response tokens",
                Some("Model"),
                Some("Log Type"),
            )),
            TraceFormat::Splitwise => Some(c(
                "arrived_at",
                TimeUnit::S,
                "num_prefill_tokens",
                "num_decode_tokens",
                None,
                None,
            )),
            TraceFormat::Csv | TraceFormat::Jsonl | TraceFormat::Parquet => None,
        }
    }

    /// The preset whose time column appears in a CSV `header`.
    pub fn detect(header: &[String]) -> Option<TraceFormat> {
        Self::PRESETS.into_iter().find(|f| {
            header
                .iter()
                .any(|h| *h == f.preset().expect("presets have columns").time)
        })
    }

    /// A format from a file extension (`.parquet`, `.jsonl`/`.ndjson`), if it says one.
    pub fn from_extension(path: &Path) -> Option<TraceFormat> {
        match path.extension()?.to_str()? {
            "parquet" | "pq" => Some(TraceFormat::Parquet),
            "jsonl" | "ndjson" => Some(TraceFormat::Jsonl),
            _ => None,
        }
    }

    /// What the known layouts look like, for messages.
    pub fn expected_layouts() -> String {
        Self::PRESETS
            .iter()
            .map(|f| {
                let c = f.preset().expect("presets have columns");
                format!("{f} ({}, {}, {})", c.time, c.input, c.output)
            })
            .collect::<Vec<_>>()
            .join("; ")
            + "; or format = \"csv\" | \"jsonl\" | \"parquet\" with a [trace.columns] map"
    }
}

/// The most tokens a query's prompt or response may have: ten million, beyond the longest
/// context window of any model (Llama 4 Scout's 10M). A larger count is a misread column (bytes,
/// characters, a timestamp), not a request.
pub const MAX_QUERY_TOKENS: u32 = 10_000_000;

/// What a token count must be, for messages.
pub const TOKENS_EXPECTED: &str = "a whole number of tokens from 0 to 10000000";

/// Parse a token count (at most [`MAX_QUERY_TOKENS`]).
pub fn parse_tokens(text: &str) -> Option<u32> {
    let t = text.trim();
    t.parse::<u32>()
        .ok()
        .or_else(|| {
            // Some exports write counts as floats ("12.0").
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
                .filter(|v| *v <= f64::from(MAX_QUERY_TOKENS))
                .map(|v| v as u32)
        })
        .filter(|&n| n <= MAX_QUERY_TOKENS)
}

/// An absolute time in a file's own origin: whole seconds and a fraction of a second in
/// `[0, 1)`. Epoch times (around 1.7e9 s, 1.7e12 ms, 1.7e18 ns in 2025) do not fit an f64 to
/// better than a few hundred nanoseconds, so times are kept split until the first arrival is
/// subtracted ([`Stamp::since`]); the relative times then keep the file's own precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    pub secs: i64,
    pub frac: f64,
}

impl Stamp {
    /// Before every time a file can hold.
    pub const MIN: Stamp = Stamp {
        secs: i64::MIN,
        frac: 0.0,
    };

    /// `secs + frac` with `frac` brought into `[0, 1)`.
    fn new(secs: i64, frac: f64) -> Option<Stamp> {
        if !frac.is_finite() {
            return None;
        }
        let whole = frac.floor();
        let secs = secs.checked_add(whole as i64)?;
        let frac = frac - whole;
        // `frac - whole` can round up to 1 for a tiny negative fraction.
        if frac >= 1.0 {
            return Some(Stamp {
                secs: secs.checked_add(1)?,
                frac: 0.0,
            });
        }
        Some(Stamp { secs, frac })
    }

    /// Seconds from `origin` to this time: the integer parts are subtracted exactly first.
    #[inline]
    pub fn since(self, origin: Stamp) -> f64 {
        (i128::from(self.secs) - i128::from(origin.secs)) as f64 + (self.frac - origin.frac)
    }

    /// Seconds since the file's origin as one f64 (loses precision for epoch times).
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + self.frac
    }

    /// Time order.
    #[inline]
    pub fn total_cmp(&self, other: &Stamp) -> std::cmp::Ordering {
        self.secs
            .cmp(&other.secs)
            .then(self.frac.total_cmp(&other.frac))
    }
}

/// Parse a time field.
pub fn parse_time(text: &str, unit: TimeUnit) -> Option<Stamp> {
    let t = text.trim();
    match unit {
        TimeUnit::Datetime => parse_datetime_stamp(t),
        TimeUnit::S => parse_scaled(t, 1),
        TimeUnit::Ms => parse_scaled(t, 1_000),
        TimeUnit::Us => parse_scaled(t, 1_000_000),
        TimeUnit::Ns => parse_scaled(t, 1_000_000_000),
    }
}

/// A number of `1 / per_s` seconds. A plain decimal (`[-]digits[.digits]`) is split exactly:
/// its integer part into whole seconds and a remainder of units, which with the decimal
/// fraction becomes the fraction of a second. Anything else that reads as a finite number
/// (an exponent) goes through f64, as precise as the text itself.
fn parse_scaled(t: &str, per_s: i64) -> Option<Stamp> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_at(body.find('.').unwrap_or(body.len()));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let plain = all_digits(int)
        && (frac.is_empty() || all_digits(&frac[1..]))
        && (!int.is_empty() || frac.len() > 1)
        && int.len() <= 30;
    if plain {
        let i: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        // ".ddd" reads as the decimal fraction, correctly rounded.
        let f: f64 = if frac.len() > 1 {
            frac.parse().ok()?
        } else {
            0.0
        };
        // The value in units is +-(i + f), with 0 <= f < 1.
        let (iu, fu) = match (neg, f > 0.0) {
            (false, _) => (i, f),
            (true, true) => (-i - 1, 1.0 - f),
            (true, false) => (-i, 0.0),
        };
        let per = i128::from(per_s);
        let secs = i64::try_from(iu.div_euclid(per)).ok()?;
        return Stamp::new(secs, (iu.rem_euclid(per) as f64 + fu) / per_s as f64);
    }
    let v = t.parse::<f64>().ok().filter(|v| v.is_finite())? / per_s as f64;
    let whole = v.floor();
    if whole.abs() >= 9.0e18 {
        return None;
    }
    Stamp::new(whole as i64, v - whole)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
}

/// Seconds since the Unix epoch of `YYYY-MM-DD[ T]HH:MM:SS[.fff...][Z|±HH:MM]`. A fast path
/// for the fixed layout (the Azure traces have millions of rows), with the UTC offset applied;
/// no offset means UTC. As one f64: see [`parse_datetime_stamp`] for full precision.
pub fn parse_datetime(s: &str) -> Option<f64> {
    parse_datetime_stamp(s).map(Stamp::as_secs_f64)
}

/// [`parse_datetime`] as whole seconds since the epoch and the fraction of a second.
pub fn parse_datetime_stamp(s: &str) -> Option<Stamp> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let days = i64::from(date.num_days_from_ce()) - 719_163; // days from 0001-01-01 to 1970-01-01
    let mut rest = &b[19..];
    let mut frac = 0.0;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // ".ddd" (ASCII, so a char boundary) reads as the decimal fraction, correctly rounded.
        frac = s[19..20 + n].parse::<f64>().ok()?;
        rest = &rest[1 + n..];
    }
    let offset_s: i64 = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), hh1, hh2, b':', mm1, mm2]
        | [sign @ (b'+' | b'-'), hh1, hh2, mm1, mm2] => {
            let hh = i64::from(digits(&[*hh1, *hh2])?);
            let mm = i64::from(digits(&[*mm1, *mm2])?);
            let o = hh * 3600 + mm * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(se) - offset_s;
    Stamp::new(secs, frac)
}

use chrono::Datelike;

/// The column index of `name` in `header`, or an error naming the file, column and format.
pub fn column(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_parse_with_fractions_offsets_and_both_separators() {
        let a = parse_datetime("2023-11-16 18:17:03.9799600").unwrap();
        let via_chrono = chrono::NaiveDateTime::parse_from_str(
            "2023-11-16 18:17:03.9799600",
            "%Y-%m-%d %H:%M:%S%.f",
        )
        .unwrap()
        .and_utc();
        assert!((a - (via_chrono.timestamp() as f64 + 0.97996)).abs() < 1e-6);
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_datetime("1970-01-01 01:00:00+01:00"), Some(0.0));
        assert_eq!(parse_datetime("1970-01-01 00:00:00-00:30"), Some(1800.0));
        let azure2024 = parse_datetime("2024-05-10 00:00:00.009930+00:00").unwrap();
        assert!((azure2024 - (1_715_299_200.0 + 0.00993)).abs() < 1e-6);
        for bad in [
            "2023-13-01 00:00:00",
            "2023-11-16",
            "2023-11-16 25:00:00",
            "2023-11-16 18:17:03.",
            "x",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn numeric_times_are_scaled_by_their_unit() {
        let secs = |t: &str, u| parse_time(t, u).map(Stamp::as_secs_f64);
        assert_eq!(secs("1500", TimeUnit::Ms), Some(1.5));
        assert_eq!(secs(" 2 ", TimeUnit::S), Some(2.0));
        assert_eq!(secs("3000000", TimeUnit::Us), Some(3.0));
        assert_eq!(secs("-1.25", TimeUnit::S), Some(-1.25));
        assert_eq!(secs("2.5e3", TimeUnit::Ms), Some(2.5));
        assert_eq!(secs(".5", TimeUnit::S), Some(0.5));
        assert_eq!(secs("7.", TimeUnit::S), Some(7.0));
        assert_eq!(
            parse_time("-1500.5", TimeUnit::Ms),
            Some(Stamp {
                secs: -2,
                frac: 0.4995
            })
        );
        for bad in ["nan", "inf", "", "-", ".", "1.2.3", "1,5", "0x10"] {
            assert_eq!(parse_time(bad, TimeUnit::S), None, "{bad}");
        }
        assert_eq!(parse_tokens("12.0"), Some(12));
        assert_eq!(parse_tokens("-1"), None);
        assert_eq!(parse_tokens("1.5"), None);
        assert_eq!(parse_tokens("10000000"), Some(MAX_QUERY_TOKENS));
        assert_eq!(parse_tokens("10000001"), None);
        assert_eq!(parse_tokens("4294967295"), None);
        assert_eq!(parse_tokens("1e12"), None);
    }
}
