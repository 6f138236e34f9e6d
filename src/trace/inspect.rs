//! Trace statistics for `ipw-sim trace inspect`: volume, span, rate, inter-arrival variability,
//! burstiness, hour-of-day profile and token-length quantiles, computed in one streaming pass
//! (memory bounded by the per-minute rate series and the length histograms).

use super::{QuerySource, SourceStats, TraceError};

/// Lengths above this are counted in the last histogram bin.
const MAX_TOKENS: usize = 1 << 17;

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
    /// Share of arrivals in each hour of the day, counting hours from the trace's start.
    pub hourly_share: [f64; 24],
    /// Arrivals per minute from the start.
    pub per_minute: Vec<u64>,
    pub input_hist: Vec<u64>,
    pub output_hist: Vec<u64>,
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
        let mut input_hist = vec![0u64; MAX_TOKENS + 1];
        let mut output_hist = vec![0u64; MAX_TOKENS + 1];
        loop {
            batch.clear();
            source.next_batch(&mut batch, 1 << 16)?;
            if batch.is_empty() {
                break;
            }
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
                hours[((rel / 3600.0).floor() as u64 % 24) as usize] += 1;
                let minute = (rel / 60.0).floor() as usize;
                if minute >= per_minute.len() {
                    per_minute.resize(minute + 1, 0);
                }
                per_minute[minute] += 1;
                input_hist[(q.input_tokens as usize).min(MAX_TOKENS)] += 1;
                output_hist[(q.output_tokens as usize).min(MAX_TOKENS)] += 1;
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
            per_minute,
            input_hist,
            output_hist,
            failure_share: stats.failures as f64 / stats.rows_read.max(1) as f64,
            source: stats,
        })
    }

    /// The `q`-quantile (0..=1) of a length histogram.
    pub fn quantile(hist: &[u64], q: f64) -> u32 {
        let total: u64 = hist.iter().sum();
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (v, &c) in hist.iter().enumerate() {
            acc += c;
            if acc >= rank {
                return v as u32;
            }
        }
        0
    }

    /// Mean of a length histogram.
    pub fn mean(hist: &[u64]) -> f64 {
        let total: u64 = hist.iter().sum();
        hist.iter()
            .enumerate()
            .map(|(v, &c)| v as f64 * c as f64)
            .sum::<f64>()
            / total.max(1) as f64
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
            let h = move |s: &TraceStats| {
                if pick {
                    s.input_hist.clone()
                } else {
                    s.output_hist.clone()
                }
            };
            add(&format!("{name} tokens mean"), &move |s| {
                format!("{:.1}", Self::mean(&h(s)))
            });
            for q in [0.5, 0.9, 0.99] {
                add(
                    &format!("{name} tokens p{}", (q * 100.0) as u32),
                    &move |s| Self::quantile(&h(s), q).to_string(),
                );
            }
        }
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
