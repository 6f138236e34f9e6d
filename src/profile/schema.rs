//! Serde schema of the catalogue files, with per-record validation.

use super::ProfileError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Token prices in USD per million tokens.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub name: String,
    /// Models of one family share capability noise (nested capability, see `workload`).
    pub family: String,
    pub active_params_b: f64,
    pub total_params_b: f64,
    pub params_source: String,
    /// Release month, `YYYY-MM`.
    pub released: String,
    pub released_source: String,
    /// Share of queries answered correctly, per task family.
    pub accuracy: BTreeMap<String, f64>,
    pub accuracy_source: String,
    /// Share of the IPW paper's evaluation queries answered correctly (its "success rate", the
    /// accuracy its IPW and the year-by-year decomposition use), where published.
    #[serde(default)]
    pub success_rate: Option<f64>,
    #[serde(default)]
    pub success_rate_source: Option<String>,
    /// Context window, tokens (prompt + response), as the model's card states it.
    #[serde(default)]
    pub context_tokens: Option<u32>,
    #[serde(default)]
    pub context_source: Option<String>,
    /// Token prices (the cost metric); a model without them cannot be used in a scenario.
    #[serde(default)]
    pub price: Option<Price>,
    #[serde(default)]
    pub price_source: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Local,
    Cloud,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    pub memory_gb: f64,
    pub bandwidth_gb_s: f64,
    /// Rated power (TDP or PSU rating; see source).
    pub power_w: f64,
    pub release_year: u32,
    pub source: String,
    /// Power of one device when provisioned but serving nothing (model loaded), watts. Needed
    /// only when a scenario counts idle power for this accelerator.
    #[serde(default)]
    pub idle_power_w: Option<f64>,
    #[serde(default)]
    pub idle_source: Option<String>,
    /// Dense BF16 (or FP16) peak of one device, TFLOPS: the compute roofline for prefill.
    #[serde(default)]
    pub bf16_dense_tflops: Option<f64>,
    #[serde(default)]
    pub compute_source: Option<String>,
    /// Cloud: rental price of one device, USD per hour.
    #[serde(default)]
    pub usd_per_hour: Option<f64>,
    /// Local: purchase price of the device, USD (for amortisation).
    #[serde(default)]
    pub device_usd: Option<f64>,
    /// When the price was observed, `YYYY-MM`.
    #[serde(default)]
    pub price_date: Option<String>,
    #[serde(default)]
    pub price_source: Option<String>,
    /// Why there is no price (a price, or this note, is needed for accelerators pairs use).
    #[serde(default)]
    pub price_note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFamily {
    pub name: String,
    pub description: String,
    /// Share of the family's queries that at least one local model answers correctly.
    pub local_solvable: f64,
    pub local_solvable_source: String,
}

/// One measured (or derived) operating point of a pair.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BatchPoint {
    /// Number of requests served concurrently.
    pub batch: u32,
    /// Time of one decode step (every running request gains one output token), seconds.
    pub decode_step_s: f64,
    /// Prompt tokens processed per second while a request is in prefill.
    pub prefill_tokens_per_s: f64,
    /// Power of the whole replica (all its devices), watts.
    pub power_w: f64,
    /// The source's own measured output throughput at this point (tokens/s), kept to check
    /// the simulator against (a replica held at this batch reproduces it).
    #[serde(default)]
    pub measured_output_tokens_per_s: Option<f64>,
    /// The source's own measured energy per output token at this point (J).
    #[serde(default)]
    pub measured_j_per_output_token: Option<f64>,
}

/// How well a fitted profile explains the per-query measurements it came from (profiles
/// imported from an IPW harness run).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fit {
    /// Queries fitted.
    pub queries: u64,
    /// Coefficient of determination of each fit: end-to-end latency and energy against prompt
    /// and response tokens, time to first token against prompt tokens.
    pub r2_latency: f64,
    pub r2_energy: f64,
    #[serde(default)]
    pub r2_ttft: Option<f64>,
    /// Fixed per-query overheads the fits found (not used by the simulator).
    pub latency_intercept_s: f64,
    pub energy_intercept_j: f64,
    /// Energy per prompt and per response token, joules.
    pub energy_per_input_token_j: f64,
    pub energy_per_output_token_j: f64,
}

fn default_variant() -> String {
    "default".into()
}

/// A (model, accelerator) service profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub model: String,
    pub accelerator: String,
    /// Name of this variant of the pair (several files may describe one pair, e.g. measured on
    /// different tasks or under different power readings); a scenario picks one with
    /// `fleet.variants`, otherwise the default is used.
    #[serde(default = "default_variant")]
    pub variant: String,
    /// Whether this is the pair's default variant (required when a pair has several).
    #[serde(default)]
    pub default: bool,
    /// The workload the measurement ran (e.g. ML.ENERGY's `lm-arena-chat` or `gpqa`).
    #[serde(default)]
    pub task: Option<String>,
    /// Accelerators per replica.
    pub devices: u32,
    pub precision: String,
    pub decode_source: String,
    pub prefill_source: String,
    pub power_source: String,
    #[serde(rename = "point")]
    pub points: Vec<BatchPoint>,
    #[serde(default)]
    pub fit: Option<Fit>,
    /// The file it was read from (set by the loader).
    #[serde(skip)]
    pub path: PathBuf,
}

fn invalid(path: &Path, field: impl Into<String>, message: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        path: path.to_path_buf(),
        field: field.into(),
        message: message.into(),
    }
}

fn positive(path: &Path, field: &str, v: f64) -> Result<(), ProfileError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            path,
            field,
            format!("expected a positive number, got {v}"),
        ))
    }
}

/// `YYYY-MM`.
fn year_month(s: &str) -> bool {
    s.len() == 7
        && s.as_bytes()[4] == b'-'
        && s[..4].parse::<u32>().is_ok()
        && s[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

fn sourced(path: &Path, field: &str, s: &str) -> Result<(), ProfileError> {
    if s.trim().is_empty() {
        Err(invalid(
            path,
            field,
            "every number needs its source; this one is empty",
        ))
    } else {
        Ok(())
    }
}

impl Model {
    pub(super) fn validate(&self, path: &Path, tasks: &[TaskFamily]) -> Result<(), ProfileError> {
        let f = |x: &str| format!("model `{}`.{x}", self.name);
        positive(path, &f("active_params_b"), self.active_params_b)?;
        positive(path, &f("total_params_b"), self.total_params_b)?;
        if self.active_params_b > self.total_params_b {
            return Err(invalid(
                path,
                f("active_params_b"),
                "active parameters exceed total parameters",
            ));
        }
        for (task, acc) in &self.accuracy {
            if !tasks.iter().any(|t| &t.name == task) {
                return Err(invalid(
                    path,
                    f(&format!("accuracy.{task}")),
                    format!(
                        "unknown task family; tasks.toml has: {}",
                        tasks
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if !(0.0..=1.0).contains(acc) {
                return Err(invalid(
                    path,
                    f(&format!("accuracy.{task}")),
                    format!("expected a share in [0, 1], got {acc}"),
                ));
            }
        }
        if let Some(rate) = self.success_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(invalid(
                    path,
                    f("success_rate"),
                    format!("expected a share in [0, 1], got {rate}"),
                ));
            }
            sourced(
                path,
                &f("success_rate_source"),
                self.success_rate_source.as_deref().unwrap_or(""),
            )?;
        }
        if let Some(price) = self.price {
            if !(price.input_usd_per_mtok >= 0.0 && price.output_usd_per_mtok >= 0.0) {
                return Err(invalid(path, f("price"), "prices cannot be negative"));
            }
            sourced(
                path,
                &f("price_source"),
                self.price_source.as_deref().unwrap_or(""),
            )?;
        }
        if !year_month(&self.released) {
            return Err(invalid(
                path,
                f("released"),
                format!("expected YYYY-MM, got {:?}", self.released),
            ));
        }
        sourced(path, &f("params_source"), &self.params_source)?;
        sourced(path, &f("released_source"), &self.released_source)?;
        sourced(path, &f("accuracy_source"), &self.accuracy_source)
    }

    /// The model's accuracy on a task family, or an error naming what is missing.
    pub fn accuracy_on(&self, task: &str, catalogue: &Path) -> Result<f64, ProfileError> {
        self.accuracy
            .get(task)
            .copied()
            .ok_or_else(|| ProfileError::Invalid {
                path: catalogue.join("models.toml"),
                field: format!("model `{}`.accuracy.{task}", self.name),
                message: "missing: the workload uses this task family".into(),
            })
    }
}

impl Accelerator {
    pub(super) fn validate(&self, path: &Path) -> Result<(), ProfileError> {
        let f = |x: &str| format!("accelerator `{}`.{x}", self.id);
        positive(path, &f("memory_gb"), self.memory_gb)?;
        positive(path, &f("bandwidth_gb_s"), self.bandwidth_gb_s)?;
        positive(path, &f("power_w"), self.power_w)?;
        sourced(path, &f("source"), &self.source)?;
        if let Some(idle) = self.idle_power_w {
            if !(idle.is_finite() && idle >= 0.0 && idle <= self.power_w) {
                return Err(invalid(
                    path,
                    f("idle_power_w"),
                    format!(
                        "expected 0 <= idle power <= power_w ({}), got {idle}",
                        self.power_w
                    ),
                ));
            }
            sourced(
                path,
                &f("idle_source"),
                self.idle_source.as_deref().unwrap_or(""),
            )?;
        }
        if let Some(t) = self.bf16_dense_tflops {
            positive(path, &f("bf16_dense_tflops"), t)?;
            sourced(
                path,
                &f("compute_source"),
                self.compute_source.as_deref().unwrap_or(""),
            )?;
        }
        for (field, v) in [
            ("usd_per_hour", self.usd_per_hour),
            ("device_usd", self.device_usd),
        ] {
            if let Some(v) = v {
                positive(path, &f(field), v)?;
            }
        }
        if let Some(note) = &self.price_note {
            sourced(path, &f("price_note"), note)?;
        }
        if self.usd_per_hour.is_some() || self.device_usd.is_some() {
            let date = self.price_date.as_deref().unwrap_or("");
            if !year_month(date) {
                return Err(invalid(
                    path,
                    f("price_date"),
                    format!("a price needs its date, YYYY-MM; got {date:?}"),
                ));
            }
            sourced(
                path,
                &f("price_source"),
                self.price_source.as_deref().unwrap_or(""),
            )?;
        }
        Ok(())
    }
}

impl TaskFamily {
    pub(super) fn validate(&self, path: &Path) -> Result<(), ProfileError> {
        let f = |x: &str| format!("task `{}`.{x}", self.name);
        if !(0.0..=1.0).contains(&self.local_solvable) {
            return Err(invalid(
                path,
                f("local_solvable"),
                "expected a share in [0, 1]",
            ));
        }
        sourced(
            path,
            &f("local_solvable_source"),
            &self.local_solvable_source,
        )
    }
}

impl Pair {
    pub(super) fn validate(&self) -> Result<(), ProfileError> {
        let path = &self.path;
        if self.devices == 0 {
            return Err(invalid(path, "devices", "expected at least 1"));
        }
        if self.points.is_empty() {
            return Err(invalid(path, "point", "expected at least one [[point]]"));
        }
        if self.variant.trim().is_empty() {
            return Err(invalid(path, "variant", "expected a non-empty name"));
        }
        for (i, p) in self.points.iter().enumerate() {
            let f = |x: &str| format!("point[{i}].{x}");
            if p.batch == 0 {
                return Err(invalid(path, f("batch"), "expected at least 1"));
            }
            positive(path, &f("decode_step_s"), p.decode_step_s)?;
            positive(path, &f("prefill_tokens_per_s"), p.prefill_tokens_per_s)?;
            positive(path, &f("power_w"), p.power_w)?;
            for (name, v) in [
                (
                    "measured_output_tokens_per_s",
                    p.measured_output_tokens_per_s,
                ),
                ("measured_j_per_output_token", p.measured_j_per_output_token),
            ] {
                if let Some(v) = v {
                    positive(path, &f(name), v)?;
                }
            }
            if i > 0 && p.batch <= self.points[i - 1].batch {
                return Err(invalid(
                    path,
                    f("batch"),
                    "points must be in increasing batch order",
                ));
            }
        }
        sourced(path, "decode_source", &self.decode_source)?;
        sourced(path, "prefill_source", &self.prefill_source)?;
        sourced(path, "power_source", &self.power_source)
    }

    /// The operating point of a replica running `n` requests, for the event-driven core:
    /// [`Pair::at_batch`] within the measured range, and the smallest measured point below it
    /// (decode at small batches is memory-bound, so its step time is flat; the power of the
    /// smallest measured batch slightly overstates a less-loaded replica's). Above the range is
    /// an error.
    pub fn at_running_batch(&self, n: u32) -> Result<BatchPoint, ProfileError> {
        let first = self.points[0];
        if n < first.batch {
            return Ok(first);
        }
        self.at_batch(f64::from(n))
    }

    /// The operating point at batch size `batch`, linearly interpolated between the two
    /// nearest measured points (exact at a measured point). Outside the measured range is an
    /// error: extrapolating a batching curve is not something to do silently.
    pub fn at_batch(&self, batch: f64) -> Result<BatchPoint, ProfileError> {
        let pts = &self.points;
        let (min, max) = (pts[0].batch, pts[pts.len() - 1].batch);
        if !(batch >= f64::from(min) && batch <= f64::from(max)) {
            return Err(ProfileError::BatchOutOfRange {
                path: self.path.clone(),
                batch,
                min,
                max,
            });
        }
        let hi = pts
            .iter()
            .position(|p| f64::from(p.batch) >= batch)
            .unwrap_or(pts.len() - 1);
        if f64::from(pts[hi].batch) == batch || hi == 0 {
            return Ok(pts[hi]);
        }
        let (a, b) = (pts[hi - 1], pts[hi]);
        let w = (batch - f64::from(a.batch)) / f64::from(b.batch - a.batch);
        let lerp = |x: f64, y: f64| x + w * (y - x);
        let lerp_opt = |x: Option<f64>, y: Option<f64>| Some(lerp(x?, y?));
        Ok(BatchPoint {
            batch: batch.round() as u32,
            decode_step_s: lerp(a.decode_step_s, b.decode_step_s),
            prefill_tokens_per_s: lerp(a.prefill_tokens_per_s, b.prefill_tokens_per_s),
            power_w: lerp(a.power_w, b.power_w),
            measured_output_tokens_per_s: lerp_opt(
                a.measured_output_tokens_per_s,
                b.measured_output_tokens_per_s,
            ),
            measured_j_per_output_token: lerp_opt(
                a.measured_j_per_output_token,
                b.measured_j_per_output_token,
            ),
        })
    }
}
