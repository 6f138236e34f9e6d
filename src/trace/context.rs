//! Queries longer than a model's context window: counted always, and kept, dropped or truncated
//! as the scenario says (`trace.over_context`).
//!
//! A query is over the window when its prompt plus its response exceeds the window's tokens
//! (the window holds both). Truncation keeps the response and cuts the prompt to what fits, as
//! a client that keeps the most recent turns of a conversation would; a query whose response
//! alone exceeds the window cannot be served and is dropped. Dropped queries keep their
//! neighbours' indices, so every other query keeps its random attributes.

use super::{Query, QuerySource, SourceStats, Stamp, TraceError};
use serde::Deserialize;

/// What to do with a query longer than the context window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverContext {
    /// Serve it as it is (counted and reported).
    #[default]
    Keep,
    /// Leave it out.
    Drop,
    /// Cut the prompt so prompt + response fit.
    Truncate,
}

/// A context window and what to do with queries beyond it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextLimit {
    /// Window in tokens (prompt + response).
    pub tokens: u32,
    pub policy: OverContext,
}

/// What became of one query under a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Within,
    Kept,
    Dropped,
    Truncated { input_tokens: u32 },
}

impl ContextLimit {
    pub fn fit(&self, q: &Query) -> Fit {
        let total = u64::from(q.input_tokens) + u64::from(q.output_tokens);
        if total <= u64::from(self.tokens) {
            return Fit::Within;
        }
        match self.policy {
            OverContext::Keep => Fit::Kept,
            OverContext::Drop => Fit::Dropped,
            OverContext::Truncate if q.output_tokens >= self.tokens => Fit::Dropped,
            OverContext::Truncate => Fit::Truncated {
                input_tokens: self.tokens - q.output_tokens,
            },
        }
    }
}

/// A source with a context limit applied.
pub struct Limited {
    inner: Box<dyn QuerySource>,
    limit: ContextLimit,
    over: u64,
    dropped: u64,
    truncated: u64,
}

impl Limited {
    pub fn new(inner: Box<dyn QuerySource>, limit: ContextLimit) -> Limited {
        Limited {
            inner,
            limit,
            over: 0,
            dropped: 0,
            truncated: 0,
        }
    }
}

impl QuerySource for Limited {
    fn next_batch(&mut self, out: &mut Vec<Query>, max: usize) -> Result<(), TraceError> {
        let target = out.len() + max;
        // Queries are judged in place, where the inner source appended them (no copy); a
        // batch whose queries were all dropped is refilled, since appending nothing means the
        // end of the stream.
        while out.len() < target {
            let start = out.len();
            self.inner.next_batch(out, target - start)?;
            if out.len() == start {
                break;
            }
            let mut kept = start;
            for i in start..out.len() {
                let q = out[i];
                let q = match self.limit.fit(&q) {
                    Fit::Within => q,
                    Fit::Kept => {
                        self.over += 1;
                        q
                    }
                    Fit::Dropped => {
                        self.over += 1;
                        self.dropped += 1;
                        continue;
                    }
                    Fit::Truncated { input_tokens } => {
                        self.over += 1;
                        self.truncated += 1;
                        Query { input_tokens, ..q }
                    }
                };
                out[kept] = q;
                kept += 1;
            }
            out.truncate(kept);
        }
        Ok(())
    }

    fn len_hint(&self) -> Option<u64> {
        match self.limit.policy {
            OverContext::Keep => self.inner.len_hint(),
            // Truncation may drop a query whose response alone is too long.
            OverContext::Drop | OverContext::Truncate => None,
        }
    }

    fn stats(&self) -> SourceStats {
        SourceStats {
            context_tokens: Some(self.limit.tokens),
            over_context: self.over,
            dropped_over_context: self.dropped,
            truncated: self.truncated,
            ..self.inner.stats()
        }
    }

    fn origin(&self) -> Option<Stamp> {
        self.inner.origin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::MemorySource;
    use std::sync::Arc;

    fn q(index: u64, input: u32, output: u32) -> Query {
        Query {
            index,
            arrival_s: index as f64,
            input_tokens: input,
            output_tokens: output,
        }
    }

    fn run(policy: OverContext) -> (Vec<Query>, SourceStats) {
        // Window 1,000: 600+400 fits exactly, 900+200 is over (prompt can be cut to 800),
        // 10+1,500 is over with a response longer than the window.
        let queries = vec![q(0, 600, 400), q(1, 900, 200), q(2, 10, 1_500), q(3, 5, 5)];
        let mut s = Limited::new(
            Box::new(MemorySource::new(Arc::new(queries))),
            ContextLimit {
                tokens: 1_000,
                policy,
            },
        );
        let mut out = Vec::new();
        // Batches of 1 exercise the refill loop.
        loop {
            let before = out.len();
            s.next_batch(&mut out, 1).unwrap();
            if out.len() == before {
                break;
            }
        }
        (out, s.stats())
    }

    #[test]
    fn keep_counts_the_queries_beyond_the_window_and_serves_them_unchanged() {
        let (out, stats) = run(OverContext::Keep);
        assert_eq!(out.len(), 4);
        assert_eq!((stats.over_context, stats.dropped_over_context), (2, 0));
        assert_eq!(out[1], q(1, 900, 200));
    }

    #[test]
    fn drop_leaves_them_out_and_keeps_the_other_indices() {
        let (out, stats) = run(OverContext::Drop);
        let idx: Vec<u64> = out.iter().map(|q| q.index).collect();
        assert_eq!(idx, [0, 3]);
        assert_eq!((stats.over_context, stats.dropped_over_context), (2, 2));
    }

    #[test]
    fn truncate_cuts_the_prompt_to_fit_and_drops_a_response_longer_than_the_window() {
        let (out, stats) = run(OverContext::Truncate);
        assert_eq!(out, [q(0, 600, 400), q(1, 800, 200), q(3, 5, 5)]);
        assert_eq!(
            (
                stats.over_context,
                stats.truncated,
                stats.dropped_over_context
            ),
            (2, 1, 1)
        );
    }
}
