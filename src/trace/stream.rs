//! Streaming a trace file: rows in time order, shifted to start at zero, windowed, with tied
//! timestamps kept or spread, rate-scaled by thinning or replication, and looped to a horizon,
//! in memory bounded by a reorder window (not by the file's length).
//!
//! Pipeline, per pass over the file:
//! 1. read rows (filters, failures and malformed rows are counted by the reader);
//! 2. restore time order within a window of [`REORDER_WINDOW`] rows (counted as `reordered`);
//!    a row older than one already emitted is an error: sort the file first;
//! 3. shift so that the first arrival is at 0 s, keep `[window.start_s, window.end_s)` and shift
//!    that to start at 0 s;
//! 4. group rows that share a timestamp; each row yields `k` copies, `k = floor(f)` or
//!    `floor(f) + 1` with probability `frac(f)` (seeded by the row's position), where `f` is
//!    the rate factor (thinning for `f < 1`, replication for `f > 1`; the mean rate becomes
//!    `f` times the source's, its daily and burst shape are kept);
//! 5. when a group is spread (ties = "spread", or any row was replicated) its copies are evenly
//!    spaced over `[t, next arrival)`; otherwise they keep their timestamp;
//! 6. at the end of the file, if a horizon is set and not reached, the file is read again,
//!    shifted by the first pass's period (span plus one mean gap); arrivals at or after the
//!    horizon are dropped.

use super::format::Stamp;
use super::reader::{self, RawRow, ReadOptions, RowReader};
use super::{Query, QuerySource, SourceStats, TraceError};
use crate::rng::{Purpose, Stream};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;

/// Rows held back to restore time order.
pub const REORDER_WINDOW: usize = 1 << 16;

/// A numeric time unit read as seconds that spans more than this is taken for a unit error.
pub const MAX_PLAUSIBLE_SPAN_S: f64 = 400.0 * 86_400.0;

/// How tied timestamps are treated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Rows with the same timestamp arrive together.
    #[default]
    Keep,
    /// Rows with the same timestamp are spread evenly until the next arrival.
    Spread,
}

/// The settings of a streamed replay.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSpec {
    pub path: PathBuf,
    pub read: ReadOptions,
    /// `[start, end)` in seconds after the first arrival.
    pub window: Option<(f64, f64)>,
    pub ties: Ties,
    /// Rate factor (1 = as recorded).
    pub factor: f64,
    /// Loop the file until this many seconds.
    pub horizon_s: Option<f64>,
    pub seed: u64,
    /// Whether a numeric time unit must be plausible (spans under 400 days).
    pub check_span: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Ordered(RawRow, u64);

impl Eq for Ordered {}
impl PartialOrd for Ordered {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ordered {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.t.total_cmp(&o.0.t).then(self.1.cmp(&o.1))
    }
}

/// A trace file as a [`QuerySource`].
pub struct FileSource {
    spec: StreamSpec,
    reader: Box<dyn RowReader>,
    stats: SourceStats,
    heap: BinaryHeap<Reverse<Ordered>>,
    seq: u64,
    max_seen: Stamp,
    last_emitted: Stamp,
    eof: bool,
    /// First arrival of the file (file time); everything is shifted by it.
    t0: Option<Stamp>,
    /// Offset of the current pass, seconds.
    offset: f64,
    /// First pass: rows kept and last relative time, for the loop period.
    pass_rows: u64,
    pass_last: f64,
    period: Option<f64>,
    /// The next group's first row, already read (relative time).
    lookahead: Option<(f64, RawRow)>,
    out: VecDeque<(f64, u32, u32)>,
    /// Position of the next source row (over all passes), keys the thinning coin.
    row_key: u64,
    next_index: u64,
    finished: bool,
    coins: Stream,
}

impl FileSource {
    pub fn open(spec: StreamSpec) -> Result<FileSource, TraceError> {
        let reader = reader::open(&spec.path, &spec.read)?;
        let coins = Stream::new(spec.seed, Purpose::Thinning);
        Ok(FileSource {
            reader,
            stats: SourceStats::default(),
            heap: BinaryHeap::new(),
            seq: 0,
            max_seen: Stamp::MIN,
            last_emitted: Stamp::MIN,
            eof: false,
            t0: None,
            offset: 0.0,
            pass_rows: 0,
            pass_last: 0.0,
            period: None,
            lookahead: None,
            out: VecDeque::new(),
            row_key: 0,
            next_index: 0,
            finished: false,
            coins,
            spec,
        })
    }

    /// The layout being read.
    pub fn format(&self) -> super::TraceFormat {
        self.reader.format()
    }

    /// The next row of this pass in time order (file time), or `None` at the end of the pass.
    fn next_sorted(&mut self) -> Result<Option<RawRow>, TraceError> {
        while !self.eof && self.heap.len() < REORDER_WINDOW {
            match self.reader.next_row(&mut self.stats)? {
                Some(r) => {
                    if r.t.total_cmp(&self.max_seen).is_lt() {
                        self.stats.reordered += 1;
                    } else {
                        self.max_seen = r.t;
                    }
                    self.heap.push(Reverse(Ordered(r, self.seq)));
                    self.seq += 1;
                }
                None => self.eof = true,
            }
        }
        let Some(Reverse(Ordered(row, _))) = self.heap.pop() else {
            return Ok(None);
        };
        if row.t.total_cmp(&self.last_emitted).is_lt() {
            return Err(TraceError::Unsorted {
                path: self.spec.path.clone(),
                line: self.reader.line_of(row.pos),
                window: REORDER_WINDOW,
            });
        }
        self.last_emitted = row.t;
        Ok(Some(row))
    }

    /// The next row of the replay with its relative time, crossing passes; `None` at the end.
    fn next_relative(&mut self) -> Result<Option<(f64, RawRow)>, TraceError> {
        loop {
            if let Some(row) = self.next_sorted()? {
                let t0 = *self.t0.get_or_insert(row.t);
                // Whole seconds are subtracted exactly before the fractions: epoch times keep
                // their precision.
                let rel = row.t.since(t0);
                if self.spec.check_span && rel > MAX_PLAUSIBLE_SPAN_S {
                    return Err(TraceError::ImplausibleSpan {
                        path: self.spec.path.clone(),
                        line: self.reader.line_of(row.pos),
                        days: rel / 86_400.0,
                    });
                }
                let rel = match self.spec.window {
                    Some((start, end)) if rel < start || rel >= end => {
                        self.stats.filtered += 1;
                        continue;
                    }
                    // The window is shifted to start at zero too.
                    Some((start, _)) => rel - start,
                    None => rel,
                };
                if self.period.is_none() {
                    self.pass_rows += 1;
                    self.pass_last = rel;
                }
                let t = rel + self.offset;
                if self.spec.horizon_s.is_some_and(|h| t >= h) {
                    return Ok(None);
                }
                return Ok(Some((t, row)));
            }
            // End of a pass: loop if a horizon asks for more.
            let Some(h) = self.spec.horizon_s else {
                return Ok(None);
            };
            if self.pass_rows == 0 {
                return Err(TraceError::Empty {
                    path: self.spec.path.clone(),
                    failures: self.stats.failures,
                });
            }
            let period = *self
                .period
                .get_or_insert_with(|| super::loop_period(self.pass_rows, self.pass_last));
            if self.offset + period >= h {
                return Ok(None);
            }
            self.offset += period;
            self.stats.loops += 1;
            self.reader = reader::open(&self.spec.path, &self.spec.read)?;
            self.eof = false;
            self.max_seen = Stamp::MIN;
            self.last_emitted = Stamp::MIN;
        }
    }

    /// Expand the next group of tied rows into `self.out`. Returns false at the end.
    fn next_group(&mut self) -> Result<bool, TraceError> {
        let first = match self.lookahead.take() {
            Some(r) => r,
            None => match self.next_relative()? {
                Some(r) => r,
                None => return Ok(false),
            },
        };
        let t = first.0;
        let mut group = vec![first.1];
        let next_t = loop {
            match self.next_relative()? {
                Some((u, r)) if u == t => group.push(r),
                Some((u, r)) => {
                    self.lookahead = Some((u, r));
                    break Some(u);
                }
                None => break None,
            }
        };
        let f = self.spec.factor;
        let (whole, frac) = (f.floor(), f - f.floor());
        let mut copies: Vec<&RawRow> = Vec::with_capacity(group.len());
        for r in &group {
            let mut k = whole as u64;
            if frac > 0.0 && self.coins.unit(self.row_key) < frac {
                k += 1;
            }
            self.row_key += 1;
            if k == 0 {
                self.stats.filtered += 1;
            }
            for _ in 0..k {
                copies.push(r);
            }
        }
        let spread = self.spec.ties == Ties::Spread || copies.len() > group.len();
        let gap = next_t.map_or(1.0, |n| n - t);
        let m = copies.len() as f64;
        for (j, r) in copies.into_iter().enumerate() {
            let at = if spread { t + gap * j as f64 / m } else { t };
            if self.spec.horizon_s.is_none_or(|h| at < h) {
                self.out.push_back((at, r.input, r.output));
            }
        }
        Ok(true)
    }
}

impl QuerySource for FileSource {
    fn next_batch(&mut self, out: &mut Vec<Query>, max: usize) -> Result<(), TraceError> {
        let target = out.len() + max;
        while out.len() < target {
            if let Some((t, input, output)) = self.out.pop_front() {
                out.push(Query {
                    index: self.next_index,
                    arrival_s: t,
                    input_tokens: input,
                    output_tokens: output,
                });
                self.next_index += 1;
                continue;
            }
            if self.finished || !self.next_group()? {
                self.finished = true;
                if self.next_index == 0 {
                    return Err(TraceError::Empty {
                        path: self.spec.path.clone(),
                        failures: self.stats.failures,
                    });
                }
                break;
            }
        }
        Ok(())
    }

    fn len_hint(&self) -> Option<u64> {
        None
    }

    fn stats(&self) -> SourceStats {
        self.stats.clone()
    }

    fn origin(&self) -> Option<Stamp> {
        self.t0
    }
}
