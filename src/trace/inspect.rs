//! Trace statistics for `ipw-sim trace inspect`: volume, span, rate, inter-arrival variability,
//! burstiness, hour-of-day profile and token-length quantiles, computed in one streaming pass
//! (memory bounded by the per-minute rate series and the length histograms; lengths above
//! 131,072 tokens are kept exactly, one entry per distinct length).

use super::{QuerySource, SourceStats, TraceError};

use std::collections::BTreeMap;

/// Lengths up to this are counted in a dense histogram; longer ones exactly, one entry per
/// distinct length (rare), so means and quantiles are exact at any length.
const DENSE_TOKENS: usize = 1 << 17;

/// A first arrival at or after this file time (1973) is a clock time (epoch or date-time);
/// before it, times count from the trace's start (no trace spans three years).
const CLOCK_ORIGIN_S: f64 = 1e8;

/// Exact distribution of token lengths.
#[derive(Clone, Debug)]
pub struct Lengths {
    dense: Vec<u64>,
    long: BTreeMap<u32, u64>,
    sum: u128,
    n: u64,
}

impl Default for Lengths {
    fn default() -> Self {
        Lengths {
            dense: vec![0; DENSE_TOKENS],
            long: BTreeMap::new(),
            sum: 0,
            n: 0,
        }
    }
}

impl Lengths {
    pub fn add(&mut self, tokens: u32) {
        match self.dense.get_mut(tokens as usize) {
            Some(c) => *c += 1,
            None => *self.long.entry(tokens).or_default() += 1,
        }
        self.sum += u128::from(tokens);
        self.n += 1;
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// Exact mean (0 when empty).
    pub fn mean(&self) -> f64 {
        self.sum as f64 / self.n.max(1) as f64
    }

    /// Every distinct length with its count, ascending.
    fn counts(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.dense
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(v, &c)| (v as u32, c))
            .chain(self.long.iter().map(|(&v, &c)| (v, c)))
    }

    /// The `q`-quantile (0..=1): the smallest length with at least `ceil(q n)` lengths at or
    /// below it (0 when empty).
    pub fn quantile(&self, q: f64) -> u32 {
        let rank = (q * self.n as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (v, c) in self.counts() {
            acc += c;
            if acc >= rank {
                return v;
            }
        }
        0
    }

    /// How many lengths fall in `[lo, hi)`.
    pub fn count_in(&self, lo: u64, hi: u64) -> u64 {
        let dense_hi = hi.min(DENSE_TOKENS as u64) as usize;
        let dense_lo = (lo as usize).min(dense_hi);
        let dense: u64 = self.dense[dense_lo..dense_hi].iter().sum();
        let long: u64 = self
            .long
            .iter()
            .filter(|(&v, _)| (lo..hi).contains(&u64::from(v)))
            .map(|(_, &c)| c)
            .sum();
        dense + long
    }
}

/// What `trace inspect` reports.
#[derive(Clone, Debug)]
pub struct TraceStats {
    pub rows: u64,
    pub span_s: f64,
    pub mean_rate_per_s: f64,
    /// Mean and coefficient of variation of inter-arrival times.
    pub iat_mean_s: f64,
    pub iat_cv: f64,
    /// Goh-Barabasi burstiness (sigma - mu) / (sigma + mu) of inter-arrival times: -1 periodic,
    /// 0 Poisson, towards 1 bursty.
    pub burstiness: f64,
    /// Share of arrivals in each hour of the day: by the clock of the file's times when they
    /// are clock times ([`TraceStats::hour_clock`]), else counting hours from the first arrival.
    pub hourly_share: [f64; 24],
    /// Whether `hourly_share` is by clock hour (epoch or date-time stamps, as written in the
    /// file: UTC unless the file's date-times say otherwise).
    pub hour_clock: bool,
    /// Arrivals per minute from the start.
    pub per_minute: Vec<u64>,
    pub input: Lengths,
    pub output: Lengths,
    /// Share of rows that were failures (zero response tokens), of all rows read.
    pub failure_share: f64,
    pub source: SourceStats,
}

impl TraceStats {
    /// Read `source` to the end.
    pub fn collect(source: &mut dyn QuerySource) -> Result<TraceStats, TraceError> {
        let mut batch = Vec::with_capacity(1 << 16);
        let (mut n, mut first, mut last) = (0u64, None::<f64>, 0.0);
        let (mut sum, mut sum2) = (0.0f64, 0.0f64);
        let mut hours = [0u64; 24];
        let mut per_minute = Vec::new();
        let (mut input, mut output) = (Lengths::default(), Lengths::default());
        // Seconds into the (UTC) day of the first arrival, for clock hours.
        let mut day_offset: Option<Option<f64>> = None;
        loop {
            batch.clear();
            source.next_batch(&mut batch, 1 << 16)?;
            if batch.is_empty() {
                break;
            }
            let offset = *day_offset.get_or_insert_with(|| {
                source
                    .origin()
                    .map(|o| o.as_secs_f64())
                    .filter(|&o| o >= CLOCK_ORIGIN_S)
                    .map(|o| o.rem_euclid(86_400.0))
            });
            for q in &batch {
                let t0 = *first.get_or_insert(q.arrival_s);
                let rel = q.arrival_s - t0;
                if n > 0 {
                    let gap = q.arrival_s - last;
                    sum += gap;
                    sum2 += gap * gap;
                }
                last = q.arrival_s;
                n += 1;
                let of_day = rel + offset.unwrap_or(0.0);
                hours[((of_day / 3600.0).floor() as u64 % 24) as usize] += 1;
                let minute = (rel / 60.0).floor() as usize;
                if minute >= per_minute.len() {
                    per_minute.resize(minute + 1, 0);
                }
                per_minute[minute] += 1;
                input.add(q.input_tokens);
                output.add(q.output_tokens);
            }
        }
        let stats = source.stats();
        let gaps = n.saturating_sub(1) as f64;
        let (mean, sd) = if gaps > 0.0 {
            let m = sum / gaps;
            (m, (sum2 / gaps - m * m).max(0.0).sqrt())
        } else {
            (0.0, 0.0)
        };
        let span = first.map_or(0.0, |f| last - f);
        let mut hourly_share = [0.0; 24];
        for (s, c) in hourly_share.iter_mut().zip(hours) {
            *s = c as f64 / n.max(1) as f64;
        }
        Ok(TraceStats {
            rows: n,
            span_s: span,
            mean_rate_per_s: if span > 0.0 { gaps / span } else { 0.0 },
            iat_mean_s: mean,
            iat_cv: if mean > 0.0 { sd / mean } else { 0.0 },
            burstiness: if sd + mean > 0.0 {
                (sd - mean) / (sd + mean)
            } else {
                0.0
            },
            hourly_share,
            hour_clock: day_offset.flatten().is_some(),
            per_minute,
            input,
            output,
            failure_share: stats.failures as f64 / stats.rows_read.max(1) as f64,
            source: stats,
        })
    }

    /// A side-by-side text table of several traces' statistics.
    pub fn table(named: &[(String, TraceStats)]) -> String {
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        let mut add = |label: &str, f: &dyn Fn(&TraceStats) -> String| {
            rows.push((label.to_string(), named.iter().map(|(_, s)| f(s)).collect()))
        };
        add("rows", &|s| s.rows.to_string());
        add("span (h)", &|s| format!("{:.2}", s.span_s / 3600.0));
        add("mean rate (/s)", &|s| format!("{:.3}", s.mean_rate_per_s));
        add("rate (/day)", &|s| {
            format!("{:.0}", s.mean_rate_per_s * 86_400.0)
        });
        add("inter-arrival mean (s)", &|s| {
            format!("{:.4}", s.iat_mean_s)
        });
        add("inter-arrival CV", &|s| format!("{:.3}", s.iat_cv));
        add("burstiness", &|s| format!("{:+.3}", s.burstiness));
        add("failure share", &|s| format!("{:.4}", s.failure_share));
        for (name, pick) in [("input", true), ("output", false)] {
            fn h(s: &TraceStats, input: bool) -> &Lengths {
                if input {
                    &s.input
                } else {
                    &s.output
                }
            }
            add(&format!("{name} tokens mean"), &move |s| {
                format!("{:.1}", h(s, pick).mean())
            });
            for q in [0.5, 0.9, 0.99] {
                add(
                    &format!("{name} tokens p{}", (q * 100.0) as u32),
                    &move |s| h(s, pick).quantile(q).to_string(),
                );
            }
        }
        add("hours counted", &|s| {
            if s.hour_clock {
                "by clock"
            } else {
                "from start"
            }
            .to_string()
        });
        for hour in 0..24 {
            add(&format!("hour {hour:02} share"), &move |s| {
                format!("{:.4}", s.hourly_share[hour])
            });
        }
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let col = named
            .iter()
            .map(|(n, _)| n.len().max(12))
            .collect::<Vec<_>>();
        let mut out = format!("{:<width$}", "");
        for ((n, _), w) in named.iter().zip(&col) {
            out += &format!("  {n:>w$}");
        }
        out.push('\n');
        for (label, values) in rows {
            out += &format!("{label:<width$}");
            for (v, w) in values.iter().zip(&col) {
                out += &format!("  {v:>w$}");
            }
            out.push('\n');
        }
        out
    }
}
