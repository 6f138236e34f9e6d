//! Query sources: anything that yields queries in arrival order, a batch at a time.
//!
//! The runner pulls fixed-size batches, evaluates them and drops them, so memory is bounded by
//! the batch size whatever the length of the trace. Sources number their queries 0, 1, 2, ...
//! in the order they yield them; that index keys every random attribute of a query (a context
//! limit that drops queries leaves gaps, so the others keep theirs).

use super::{Query, TraceError};

/// Counts a source keeps about what it read and what it left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Rows read from the file(s), including ones later left out.
    pub rows_read: u64,
    /// Rows dropped as failed requests (zero response tokens).
    pub failures: u64,
    /// Rows left out by a filter (model, log type, time window) or by thinning.
    pub filtered: u64,
    /// Malformed rows skipped (only with `skip_invalid`).
    pub skipped_invalid: u64,
    /// Rows that arrived out of time order and were put back in order.
    pub reordered: u64,
    /// Times the source was replayed from its start to reach the horizon.
    pub loops: u64,
    /// The context window queries were checked against (prompt + response tokens), if any.
    pub context_tokens: Option<u32>,
    /// Queries beyond that window (whatever was done with them).
    pub over_context: u64,
    /// Of those, left out (`trace.over_context = "drop"`, or a response alone too long).
    pub dropped_over_context: u64,
    /// Of those, prompts cut to fit (`trace.over_context = "truncate"`).
    pub truncated: u64,
}

impl SourceStats {
    /// Human-readable notes for stderr (one per non-zero count worth a warning).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.reordered > 0 {
            w.push(format!(
                "{} rows were out of time order and were sorted",
                self.reordered
            ));
        }
        if self.skipped_invalid > 0 {
            w.push(format!(
                "{} malformed rows were skipped",
                self.skipped_invalid
            ));
        }
        if let (Some(window), true) = (self.context_tokens, self.over_context > 0) {
            let kept = self.over_context - self.dropped_over_context - self.truncated;
            w.push(format!(
                "{} queries exceed the context window of {window} tokens (prompt + response): {kept} served as they are, {} prompts truncated, {} left out (trace.over_context = \"keep\" | \"drop\" | \"truncate\")",
                self.over_context, self.truncated, self.dropped_over_context
            ));
        }
        w
    }
}

/// A stream of queries in arrival order.
pub trait QuerySource: Send {
    /// Append up to `max` next queries to `out`. Appends nothing at the end of the stream.
    fn next_batch(&mut self, out: &mut Vec<Query>, max: usize) -> Result<(), TraceError>;

    /// The number of queries the source will yield, when known in advance.
    fn len_hint(&self) -> Option<u64>;

    /// What the source has read and left out so far.
    fn stats(&self) -> SourceStats;

    /// The file time of the first arrival (time zero of the replay), once read, for a source
    /// read from a file; `None` otherwise.
    fn origin(&self) -> Option<super::Stamp> {
        None
    }
}

/// Queries held in memory (built from Rust), yielded in order as they are.
pub struct MemorySource {
    queries: std::sync::Arc<Vec<Query>>,
    next: usize,
}

impl MemorySource {
    pub fn new(queries: std::sync::Arc<Vec<Query>>) -> MemorySource {
        MemorySource { queries, next: 0 }
    }

    /// Check that `queries` can be replayed: indices `0, 1, 2, ...` and finite, non-negative
    /// arrival times in order. The message names the first query that is not.
    pub fn check(queries: &[Query]) -> Result<(), String> {
        let mut last = 0.0;
        for (i, q) in queries.iter().enumerate() {
            if q.index != i as u64 {
                return Err(format!("query {i}: expected index {i}, got {}", q.index));
            }
            if !(q.arrival_s.is_finite() && q.arrival_s >= last) {
                return Err(format!(
                    "query {i}: expected a finite arrival time >= {last} s (arrival order), got {}",
                    q.arrival_s
                ));
            }
            last = q.arrival_s;
        }
        Ok(())
    }
}

impl QuerySource for MemorySource {
    fn next_batch(&mut self, out: &mut Vec<Query>, max: usize) -> Result<(), TraceError> {
        let end = (self.next + max).min(self.queries.len());
        out.extend_from_slice(&self.queries[self.next..end]);
        self.next = end;
        Ok(())
    }

    fn len_hint(&self) -> Option<u64> {
        Some(self.queries.len() as u64)
    }

    fn stats(&self) -> SourceStats {
        SourceStats {
            rows_read: self.next as u64,
            ..SourceStats::default()
        }
    }
}
