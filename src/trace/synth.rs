//! BurstGPT-shaped synthetic traces.
//!
//! Arrivals: time is cut into windows (10 minutes by default). Window `w` on day `d` at hour
//! `h` has mean rate `per_day / 86400 x hour_weight(h) x day_weight(d)`, where both weight
//! series have mean 1: by default BurstGPT_1's hour-of-day profile (24 values) and its daily
//! request counts from `start_day` on (cycling its 61 days), normalised over the days generated
//! (`traces/burstgpt/derived/`). Inside a window, inter-arrival times are
//! drawn from a Gamma or Weibull law with that mean and the configured coefficient of variation
//! (a renewal process restarted at each window start), or exponential (Poisson arrivals).
//!
//! Each request is a conversation-log or API-log row (by `conversation_share`), fails (zero
//! tokens, as BurstGPT records failures) with probability `failure_rate`, and otherwise draws
//! its prompt and response lengths from BurstGPT's empirical conversation-log distributions
//! (3- and 10-token bins, uniform inside a bin) or from Zipf laws.
//!
//! Every window is generated from its own keyed stream, so windows can be generated in any
//! order or in parallel and the trace is the same for a seed.

use super::{Query, QuerySource, SourceStats, TraceError};
use crate::rng::{KeyedRng, Purpose, Stream};
use rand::distr::Distribution;
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::{Gamma, Weibull, Zipf};
use serde::Deserialize;

const HOUR_PROFILE: &str =
    include_str!("../../traces/burstgpt/derived/burstgpt1_hour_of_day_profile.csv");
const DAILY: &str =
    include_str!("../../traces/burstgpt/derived/burstgpt1_daily_requests_tokens.csv");
const REQUEST_PMF: &str =
    include_str!("../../traces/burstgpt/derived/conv_log_request_tokens_pmf_bin3.csv");
const RESPONSE_PMF: &str =
    include_str!("../../traces/burstgpt/derived/conv_log_response_tokens_pmf_bin10.csv");

/// BurstGPT_1's mean daily volume: 1,429,737 requests over 61 days.
pub const BURSTGPT_PER_DAY: f64 = 1_429_737.0 / 61.0;

/// The longest synthetic trace, days (ten years).
pub const MAX_DAYS: f64 = 3_650.0;

/// The most arrivals one generation window may hold (they are generated in memory together).
pub const MAX_WINDOW_ARRIVALS: f64 = 5_000_000.0;

/// Default inter-arrival CV: the median rate-weighted per-client CV of ServeGen's m-small
/// language-model service over 14 days (`traces/servegen/servegen_m-small_aggregate_rate_10min.csv`).
pub const SERVEGEN_M_SMALL_CV: f64 = 2.176;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IatLaw {
    #[default]
    Gamma,
    Weibull,
    /// Exponential (Poisson arrivals; `cv` is ignored and is 1).
    Exponential,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayProfile {
    /// BurstGPT_1's 61 daily request counts, normalised to mean 1 and cycled.
    Burstgpt,
    /// Every day alike.
    Flat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HourProfile {
    /// BurstGPT_1's mean requests per hour of day.
    Burstgpt,
    /// Every hour alike.
    Flat,
}

/// Token-length laws.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "law", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Lengths {
    /// BurstGPT's empirical conversation-log prompt and response distributions.
    BurstgptConversation,
    /// Zipf laws on 1..=max with exponents `s`.
    Zipf {
        input_s: f64,
        input_max: u32,
        output_s: f64,
        output_max: u32,
    },
}

fn default_days() -> f64 {
    1.0
}
fn default_window() -> f64 {
    600.0
}
fn default_cv() -> f64 {
    SERVEGEN_M_SMALL_CV
}
fn default_conversation() -> f64 {
    1.0
}
fn default_lengths() -> Lengths {
    Lengths::BurstgptConversation
}
fn default_day_profile() -> DayProfile {
    DayProfile::Burstgpt
}
fn default_hour_profile() -> HourProfile {
    HourProfile::Burstgpt
}

/// The settings of a synthetic trace (`[trace.synth]`, or `ipw-sim trace synth` options).
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    /// Mean requests per day (default: BurstGPT_1's 23,438).
    #[serde(default)]
    pub per_day: Option<f64>,
    #[serde(default = "default_days")]
    pub days: f64,
    /// Hour of day at which the trace starts (0-24).
    #[serde(default)]
    pub start_hour: f64,
    #[serde(default = "default_hour_profile")]
    pub hour_profile: HourProfile,
    #[serde(default = "default_day_profile")]
    pub day_profile: DayProfile,
    /// Day of BurstGPT_1's 61 to start from (with `day_profile = "burstgpt"`).
    #[serde(default)]
    pub start_day: u32,
    #[serde(default)]
    pub iat: IatLaw,
    /// Coefficient of variation of inter-arrival times (default: ServeGen m-small, 2.18).
    #[serde(default = "default_cv")]
    pub cv: f64,
    /// Window length, seconds.
    #[serde(default = "default_window")]
    pub window_s: f64,
    /// Share of rows that are conversation logs (the rest are API logs).
    #[serde(default = "default_conversation")]
    pub conversation_share: f64,
    /// Share of requests that fail (zero tokens).
    #[serde(default)]
    pub failure_rate: f64,
    #[serde(default = "default_lengths")]
    pub lengths: Lengths,
}

impl Default for SynthSpec {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

impl SynthSpec {
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "trace.synth.{name}: expected a positive number, got {v}"
                ))
            }
        };
        positive("per_day", self.per_day.unwrap_or(BURSTGPT_PER_DAY))?;
        positive("days", self.days)?;
        positive("cv", self.cv)?;
        positive("window_s", self.window_s)?;
        if self.days > MAX_DAYS {
            return Err(format!(
                "trace.synth.days: at most {MAX_DAYS} (ten years), got {}",
                self.days
            ));
        }
        // A window's arrivals are generated together (in memory).
        let per_window = self.per_day.unwrap_or(BURSTGPT_PER_DAY) * self.window_s / 86_400.0;
        if per_window > MAX_WINDOW_ARRIVALS {
            return Err(format!(
                "trace.synth: per_day x window_s / 86400 = {per_window:.3e} arrivals per window; at most {MAX_WINDOW_ARRIVALS} (they are generated together): lower window_s"
            ));
        }
        for (name, v) in [
            ("conversation_share", self.conversation_share),
            ("failure_rate", self.failure_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "trace.synth.{name}: expected a share in [0, 1], got {v}"
                ));
            }
        }
        if !(0.0..24.0).contains(&self.start_hour) {
            return Err(format!(
                "trace.synth.start_hour: expected 0 <= hour < 24, got {}",
                self.start_hour
            ));
        }
        if let Lengths::Zipf {
            input_s,
            input_max,
            output_s,
            output_max,
        } = &self.lengths
        {
            if !(*input_s > 0.0 && *output_s > 0.0 && *input_max >= 1 && *output_max >= 1) {
                return Err("trace.synth.lengths: zipf needs exponents > 0 and maxima >= 1".into());
            }
            if (*input_max).max(*output_max) > super::format::MAX_QUERY_TOKENS {
                return Err(format!(
                    "trace.synth.lengths: maxima at most {} tokens",
                    super::format::MAX_QUERY_TOKENS
                ));
            }
        }
        Ok(())
    }
}

/// One synthetic row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthRow {
    pub arrival_s: f64,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub conversation: bool,
}

fn column(csv: &str, col: usize) -> Vec<f64> {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(col)?.trim().parse::<f64>().ok())
        .collect()
}

/// An empirical length law: bins of `width` tokens starting at `starts`, chosen by weight.
#[derive(Clone, Debug)]
struct Binned {
    starts: Vec<u32>,
    width: u32,
    alias: WeightedAliasIndex<f64>,
}

impl Binned {
    fn from_pmf(csv: &str, width: u32) -> Binned {
        let (starts, weights): (Vec<u32>, Vec<f64>) = csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (a, b) = l.split_once(',')?;
                Some((
                    a.trim().parse::<f64>().ok()? as u32,
                    b.trim().parse::<f64>().ok()?,
                ))
            })
            .filter(|(_, w)| *w > 0.0)
            .unzip();
        Binned {
            starts,
            width,
            alias: WeightedAliasIndex::new(weights).expect("shipped PMFs have positive weights"),
        }
    }

    #[inline]
    fn sample(&self, rng: &mut KeyedRng) -> u32 {
        let bin = self.alias.sample(rng);
        let offset = (rng.unit() * f64::from(self.width)) as u32;
        (self.starts[bin] + offset.min(self.width - 1)).max(1)
    }
}

#[derive(Clone, Debug)]
enum LengthSampler {
    Empirical { input: Binned, output: Binned },
    Zipf { input: Zipf<f64>, output: Zipf<f64> },
}

/// Inter-arrival sampler with mean 1 (scaled by 1/rate per window).
#[derive(Clone, Debug)]
enum Iat {
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Exponential,
}

/// Weibull shape with the given coefficient of variation (bisection on CV(k), decreasing in k).
fn weibull_shape(cv: f64) -> f64 {
    use statrs::function::gamma::gamma;
    let cv_of = |k: f64| (gamma(1.0 + 2.0 / k) / gamma(1.0 + 1.0 / k).powi(2) - 1.0).sqrt();
    let (mut lo, mut hi) = (0.05_f64, 50.0_f64);
    for _ in 0..100 {
        let mid = (lo * hi).sqrt();
        if cv_of(mid) > cv {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * hi).sqrt()
}

/// A synthetic trace generator.
#[derive(Clone, Debug)]
pub struct Synth {
    spec: SynthSpec,
    per_day: f64,
    hours: Vec<f64>,
    days: Vec<f64>,
    iat: Iat,
    lengths: LengthSampler,
    stream: Stream,
    windows: u64,
}

impl Synth {
    pub fn new(spec: &SynthSpec, seed: u64) -> Result<Synth, TraceError> {
        spec.validate().map_err(TraceError::Spec)?;
        let normalise = |v: Vec<f64>| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.into_iter().map(|x| x / mean).collect::<Vec<f64>>()
        };
        let hours = match spec.hour_profile {
            HourProfile::Burstgpt => normalise(column(HOUR_PROFILE, 1)),
            HourProfile::Flat => vec![1.0; 24],
        };
        // Day weights are normalised over the days generated, so that `per_day` is the mean
        // daily volume of this trace whatever stretch of BurstGPT's 61 days it imitates.
        let days = match spec.day_profile {
            DayProfile::Burstgpt => {
                let all = column(DAILY, 1);
                let covered = (spec.start_hour / 24.0 + spec.days).ceil().max(1.0) as usize;
                let span: Vec<f64> = (0..covered)
                    .map(|d| all[(d + spec.start_day as usize) % all.len()])
                    .collect();
                normalise(span)
            }
            DayProfile::Flat => vec![1.0],
        };
        let iat = match spec.iat {
            IatLaw::Exponential => Iat::Exponential,
            IatLaw::Gamma => {
                let k = 1.0 / (spec.cv * spec.cv);
                Iat::Gamma(
                    Gamma::new(k, 1.0 / k)
                        .map_err(|e| TraceError::Spec(format!("trace.synth.cv: {e}")))?,
                )
            }
            IatLaw::Weibull => {
                use statrs::function::gamma::gamma;
                let k = weibull_shape(spec.cv);
                Iat::Weibull(
                    Weibull::new(1.0 / gamma(1.0 + 1.0 / k), k)
                        .map_err(|e| TraceError::Spec(format!("trace.synth.cv: {e}")))?,
                )
            }
        };
        let lengths = match &spec.lengths {
            Lengths::BurstgptConversation => LengthSampler::Empirical {
                input: Binned::from_pmf(REQUEST_PMF, 3),
                output: Binned::from_pmf(RESPONSE_PMF, 10),
            },
            Lengths::Zipf {
                input_s,
                input_max,
                output_s,
                output_max,
            } => {
                let z = |n: u32, s: f64| {
                    Zipf::new(f64::from(n), s)
                        .map_err(|e| TraceError::Spec(format!("trace.synth.lengths: {e}")))
                };
                LengthSampler::Zipf {
                    input: z(*input_max, *input_s)?,
                    output: z(*output_max, *output_s)?,
                }
            }
        };
        Ok(Synth {
            per_day: spec.per_day.unwrap_or(BURSTGPT_PER_DAY),
            windows: (spec.days * 86_400.0 / spec.window_s).ceil() as u64,
            spec: spec.clone(),
            hours,
            days,
            iat,
            lengths,
            stream: Stream::new(seed, Purpose::Synthesis),
        })
    }

    /// Number of windows in the trace.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Mean arrival rate (per second) at `t` seconds after the start.
    pub fn rate_at(&self, t: f64) -> f64 {
        let abs_h = self.spec.start_hour + t / 3600.0;
        let hour = (abs_h.floor() as u64 % 24) as usize;
        let day = ((abs_h / 24.0).floor() as u64 + u64::from(self.spec.start_day)) as usize
            % self.days.len();
        self.per_day / 86_400.0 * self.hours[hour] * self.days[day]
    }

    /// Append window `w`'s rows to `out`, in time order.
    pub fn window(&self, w: u64, out: &mut Vec<SynthRow>) {
        let start = w as f64 * self.spec.window_s;
        let end = ((w + 1) as f64 * self.spec.window_s).min(self.spec.days * 86_400.0);
        let mut rate = self.rate_at(start + 0.5 * (end - start));
        if rate <= 0.0 {
            return;
        }
        // A renewal process restarted at the window start yields on average
        // rate * T + (cv^2 - 1) / 2 arrivals in a window of length T (renewal theorem); take the
        // excess off the rate so that the mean volume is per_day (when that keeps half the rate).
        let cv2 = match self.iat {
            Iat::Exponential => 1.0,
            _ => self.spec.cv * self.spec.cv,
        };
        let len = end - start;
        rate = (rate - (cv2 - 1.0) / (2.0 * len)).max(0.5 * rate);
        let mut rng = KeyedRng::new(self.stream.substream(w));
        let mut t = start;
        loop {
            let gap = match &self.iat {
                Iat::Gamma(g) => g.sample(&mut rng),
                Iat::Weibull(g) => g.sample(&mut rng),
                Iat::Exponential => -rng.unit().ln(),
            } / rate;
            t += gap;
            if t >= end {
                break;
            }
            let conversation = rng.unit() < self.spec.conversation_share;
            let failed = self.spec.failure_rate > 0.0 && rng.unit() < self.spec.failure_rate;
            let (input, output) = if failed {
                (0, 0)
            } else {
                match &self.lengths {
                    LengthSampler::Empirical { input, output } => {
                        (input.sample(&mut rng), output.sample(&mut rng))
                    }
                    LengthSampler::Zipf { input, output } => (
                        input.sample(&mut rng) as u32,
                        output.sample(&mut rng) as u32,
                    ),
                }
            };
            out.push(SynthRow {
                arrival_s: t,
                input_tokens: input,
                output_tokens: output,
                conversation,
            });
        }
    }
}

/// A synthetic trace as a [`QuerySource`] (failed requests are left out, as from files).
pub struct SynthSource {
    synth: Synth,
    next_window: u64,
    buffer: std::collections::VecDeque<SynthRow>,
    scratch: Vec<SynthRow>,
    next_index: u64,
    stats: SourceStats,
}

impl SynthSource {
    pub fn new(synth: Synth) -> Self {
        SynthSource {
            synth,
            next_window: 0,
            buffer: Default::default(),
            scratch: Vec::new(),
            next_index: 0,
            stats: SourceStats::default(),
        }
    }
}

impl QuerySource for SynthSource {
    fn next_batch(&mut self, out: &mut Vec<Query>, max: usize) -> Result<(), TraceError> {
        let target = out.len() + max;
        while out.len() < target {
            let Some(r) = self.buffer.pop_front() else {
                if self.next_window >= self.synth.windows() {
                    break;
                }
                self.scratch.clear();
                self.synth.window(self.next_window, &mut self.scratch);
                self.next_window += 1;
                self.buffer.extend(self.scratch.drain(..));
                continue;
            };
            self.stats.rows_read += 1;
            if r.output_tokens == 0 {
                self.stats.failures += 1;
                continue;
            }
            out.push(Query {
                index: self.next_index,
                arrival_s: r.arrival_s,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
            });
            self.next_index += 1;
        }
        Ok(())
    }

    fn len_hint(&self) -> Option<u64> {
        None
    }

    fn stats(&self) -> SourceStats {
        self.stats.clone()
    }
}
