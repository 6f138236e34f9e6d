//! Latency statistics: queueing delay, time to first token and end-to-end latency per query,
//! summarised as mean (exact) and p50/p90/p99 (HdrHistogram, 3 significant digits, i.e. within
//! 0.1%), plus attainment of a TTFT and an end-to-end service-level objective.

use hdrhistogram::Histogram;

/// Latency targets; a query meets a target when its latency is at most the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Time to first token target, seconds.
    pub ttft_s: Option<f64>,
    /// End-to-end latency target, seconds.
    pub e2e_s: Option<f64>,
}

/// The summary of one latency quantity, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quantiles {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Clone, Debug)]
struct Series {
    hist: Histogram<u64>,
    sum: f64,
    max: f64,
}

impl Series {
    fn new() -> Series {
        Series {
            hist: Histogram::new(3).expect("3 significant digits is a valid precision"),
            sum: 0.0,
            max: 0.0,
        }
    }

    #[inline]
    fn record(&mut self, s: f64) {
        self.sum += s;
        self.max = self.max.max(s);
        // Microseconds. The histogram resizes itself up to i64::MAX / 2 µs (146,000 years);
        // anything beyond is clamped.
        let us = (s * 1e6).round() as u64;
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
    }

    fn summary(&self, n: u64) -> Quantiles {
        if n == 0 {
            return Quantiles::default();
        }
        let q = |p: f64| self.hist.value_at_quantile(p) as f64 * 1e-6;
        Quantiles {
            mean: self.sum / n as f64,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: self.max,
        }
    }
}

/// Collects the latencies of completed queries.
#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    slo: Slo,
    queue: Series,
    ttft: Series,
    e2e: Series,
    n: u64,
    ttft_met: u64,
    e2e_met: u64,
    both_met: u64,
}

/// What a [`LatencyRecorder`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencySummary {
    pub queries: u64,
    pub queue: Quantiles,
    pub ttft: Quantiles,
    pub e2e: Quantiles,
    /// Shares of queries meeting the TTFT target, the end-to-end target, and both (NaN when the
    /// target is not set).
    pub slo_ttft: f64,
    pub slo_e2e: f64,
    pub slo_both: f64,
}

impl LatencyRecorder {
    pub fn new(slo: Slo) -> LatencyRecorder {
        LatencyRecorder {
            slo,
            queue: Series::new(),
            ttft: Series::new(),
            e2e: Series::new(),
            n: 0,
            ttft_met: 0,
            e2e_met: 0,
            both_met: 0,
        }
    }

    /// Record one query's queueing delay, TTFT and end-to-end latency, seconds.
    #[inline]
    pub fn record(&mut self, queue_s: f64, ttft_s: f64, e2e_s: f64) {
        self.n += 1;
        self.queue.record(queue_s);
        self.ttft.record(ttft_s);
        self.e2e.record(e2e_s);
        let t = self.slo.ttft_s.is_none_or(|x| ttft_s <= x);
        let e = self.slo.e2e_s.is_none_or(|x| e2e_s <= x);
        self.ttft_met += u64::from(t);
        self.e2e_met += u64::from(e);
        self.both_met += u64::from(t && e);
    }

    pub fn summary(&self) -> LatencySummary {
        let share = |met: u64, set: bool| {
            if !set {
                f64::NAN
            } else if self.n == 0 {
                0.0
            } else {
                met as f64 / self.n as f64
            }
        };
        let (t, e) = (self.slo.ttft_s.is_some(), self.slo.e2e_s.is_some());
        LatencySummary {
            queries: self.n,
            queue: self.queue.summary(self.n),
            ttft: self.ttft.summary(self.n),
            e2e: self.e2e.summary(self.n),
            slo_ttft: share(self.ttft_met, t),
            slo_e2e: share(self.e2e_met, e),
            slo_both: share(self.both_met, t || e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_tenth_of_a_percent_and_slo_shares_count_targets_met() {
        let mut r = LatencyRecorder::new(Slo {
            ttft_s: Some(1.0),
            e2e_s: Some(50.0),
        });
        // Latencies 0.01, 0.02, ..., 100 s (ttft = e2e / 100).
        for i in 1..=10_000u32 {
            let e2e = f64::from(i) * 0.01;
            r.record(0.0, e2e / 100.0, e2e);
        }
        let s = r.summary();
        assert_eq!(s.queries, 10_000);
        assert!((s.e2e.mean - 50.005).abs() < 1e-9);
        for (got, want) in [(s.e2e.p50, 50.0), (s.e2e.p90, 90.0), (s.e2e.p99, 99.0)] {
            assert!((got / want - 1.0).abs() < 1e-3, "{got} vs {want}");
        }
        assert_eq!(s.e2e.max, 100.0);
        assert_eq!(s.slo_ttft, 1.0);
        assert!((s.slo_e2e - 0.5).abs() < 1e-12);
        assert!((s.slo_both - 0.5).abs() < 1e-12);
        assert!(LatencyRecorder::new(Slo::default())
            .summary()
            .slo_ttft
            .is_nan());
    }
}
