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

    /// The latency at each of [`CDF_LEVELS`] (seconds): HdrHistogram's value (within 0.1%;
    /// its least recorded value at 0) and the exact maximum at 1; empty when nothing was
    /// recorded.
    fn cdf(&self, n: u64) -> Vec<f64> {
        if n == 0 {
            return Vec::new();
        }
        CDF_LEVELS
            .iter()
            .map(|&p| {
                if p >= 1.0 {
                    self.max
                } else if p <= 0.0 {
                    self.hist.min() as f64 * 1e-6
                } else {
                    self.hist.value_at_quantile(p) as f64 * 1e-6
                }
            })
            .collect()
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

/// The cumulative share of queries at which [`LatencyCdfs`] give the latency: 0, 0.01, ...,
/// 0.99, then 0.995, 0.999 and 1 (the tail a p99 SLO is judged on).
pub const CDF_LEVELS: [f64; 103] = {
    let mut l = [0.0; 103];
    let mut i = 0;
    while i < 100 {
        l[i] = i as f64 / 100.0;
        i += 1;
    }
    l[100] = 0.995;
    l[101] = 0.999;
    l[102] = 1.0;
    l
};

/// Which queries a latency distribution covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    All,
    /// Served by a local model (not escalated).
    Local,
    /// Served by the cloud, escalated queries included.
    Cloud,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::All, Tier::Local, Tier::Cloud];

    pub fn name(self) -> &'static str {
        match self {
            Tier::All => "all",
            Tier::Local => "local",
            Tier::Cloud => "cloud",
        }
    }
}

/// The distributions of TTFT and end-to-end latency, per [`Tier`]: the latency (seconds) at
/// each of [`CDF_LEVELS`], and how many queries each covers (an empty vector for none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencyCdfs {
    /// (tier, queries, TTFT per level, end-to-end per level), in [`Tier::ALL`] order.
    pub tiers: Vec<(Tier, u64, Vec<f64>, Vec<f64>)>,
}

/// Collects the latencies of completed queries.
#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    slo: Slo,
    queue: Series,
    ttft: Series,
    e2e: Series,
    /// TTFT and end-to-end of the queries served locally, then of those served by the cloud.
    by_tier: [(Series, Series, u64); 2],
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
            by_tier: [
                (Series::new(), Series::new(), 0),
                (Series::new(), Series::new(), 0),
            ],
            n: 0,
            ttft_met: 0,
            e2e_met: 0,
            both_met: 0,
        }
    }

    /// Record one query's queueing delay, TTFT and end-to-end latency, seconds, and whether a
    /// local model served it (else the cloud did, after a local attempt or not).
    #[inline]
    pub fn record(&mut self, queue_s: f64, ttft_s: f64, e2e_s: f64, local: bool) {
        self.n += 1;
        self.queue.record(queue_s);
        self.ttft.record(ttft_s);
        self.e2e.record(e2e_s);
        let tier = &mut self.by_tier[usize::from(!local)];
        tier.0.record(ttft_s);
        tier.1.record(e2e_s);
        tier.2 += 1;
        let t = self.slo.ttft_s.is_none_or(|x| ttft_s <= x);
        let e = self.slo.e2e_s.is_none_or(|x| e2e_s <= x);
        self.ttft_met += u64::from(t);
        self.e2e_met += u64::from(e);
        self.both_met += u64::from(t && e);
    }

    /// The TTFT and end-to-end distributions of all queries and of each tier.
    pub fn cdfs(&self) -> LatencyCdfs {
        let [(lt, le, ln), (ct, ce, cn)] = &self.by_tier;
        LatencyCdfs {
            tiers: vec![
                (
                    Tier::All,
                    self.n,
                    self.ttft.cdf(self.n),
                    self.e2e.cdf(self.n),
                ),
                (Tier::Local, *ln, lt.cdf(*ln), le.cdf(*ln)),
                (Tier::Cloud, *cn, ct.cdf(*cn), ce.cdf(*cn)),
            ],
        }
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
            // Odd i served locally, even i by the cloud.
            r.record(0.0, e2e / 100.0, e2e, i % 2 == 1);
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

    #[test]
    fn cdfs_give_each_tier_its_own_distribution_with_exact_ends() {
        let mut r = LatencyRecorder::new(Slo::default());
        // End-to-end 0.01 .. 100 s; odd hundredths served locally, even ones by the cloud.
        for i in 1..=10_000u32 {
            let e2e = f64::from(i) * 0.01;
            r.record(0.0, e2e / 100.0, e2e, i % 2 == 1);
        }
        let c = r.cdfs();
        let tiers: Vec<(Tier, u64)> = c.tiers.iter().map(|t| (t.0, t.1)).collect();
        assert_eq!(
            tiers,
            [
                (Tier::All, 10_000),
                (Tier::Local, 5_000),
                (Tier::Cloud, 5_000)
            ]
        );
        let level = |p: f64| CDF_LEVELS.iter().position(|&l| l == p).unwrap();
        let (all, local, cloud) = (&c.tiers[0].3, &c.tiers[1].3, &c.tiers[2].3);
        assert_eq!(all.len(), CDF_LEVELS.len());
        // The ends: the least value (to the histogram's 0.1%) and the exact maximum.
        assert!((local[0] / 0.01 - 1.0).abs() < 1e-3, "{}", local[0]);
        assert!((cloud[0] / 0.02 - 1.0).abs() < 1e-3, "{}", cloud[0]);
        assert_eq!(local[level(1.0)], 9999.0 * 0.01);
        assert_eq!(cloud[level(1.0)], 100.0);
        // The middle and the tail, within 0.1%.
        for (got, want) in [
            (all[level(0.5)], 50.0),
            (all[level(0.999)], 99.9),
            (local[level(0.5)], 49.99),
        ] {
            assert!((got / want - 1.0).abs() < 1e-3, "{got} vs {want}");
        }
        // TTFT is its own distribution (a hundredth of end-to-end here).
        assert!((c.tiers[0].2[level(0.5)] / 0.5 - 1.0).abs() < 1e-3);
        // Nothing recorded: no levels.
        let none = LatencyRecorder::new(Slo::default()).cdfs();
        assert!(none
            .tiers
            .iter()
            .all(|t| t.1 == 0 && t.2.is_empty() && t.3.is_empty()));
        // The levels rise from 0 to 1.
        assert!(CDF_LEVELS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((CDF_LEVELS[0], CDF_LEVELS[102]), (0.0, 1.0));
    }
}
