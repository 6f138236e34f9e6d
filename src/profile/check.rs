//! `profile check`: plausibility checks over a loaded catalogue, beyond what loading enforces
//! (parse errors, unknown fields, positive numbers, increasing batches, sources present,
//! known models and accelerators, one default per pair are load errors).
//!
//! Each finding names the file and field and says what was expected:
//! * units and ranges: a decode step outside 0.1 ms - 10 s (milliseconds written as seconds?),
//!   a prefill rate outside 1 - 10^7 tokens/s;
//! * power: above 1.5 x the devices' rated power (TDP), or below their idle power;
//! * batching curves: the decode step time must not fall from one point to the next, and the
//!   throughput (batch / step time) must not fall below the best of the smaller batches, each by
//!   more than 10% (measured curves
//!   wobble: ML.ENERGY's Qwen3-8B on B200 steps 3% faster at batch 128 than at 64; a larger
//!   reversal is a data error);
//! * measured figures: where a point keeps its source's throughput and energy per token,
//!   they must agree with its step time and power within 10%
//!   (`power / throughput` vs energy per token, `batch / step` vs throughput);
//! * fits: R^2 must be finite and at most 1; an R^2 below 0.5 is reported as a poor fit;
//! * accelerators that some pair uses need a price (cloud: `usd_per_hour`; local:
//!   `device_usd`) with its date and source, or a `price_note` saying why there is none.

use super::{Catalogue, Tier};
use std::fmt;
use std::path::PathBuf;

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub path: PathBuf,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field `{}`: {}",
            self.path.display(),
            self.field,
            self.message
        )
    }
}

/// Every finding over `cat`, in catalogue order (empty: the catalogue passes).
pub fn check(cat: &Catalogue) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut issue = |path: &PathBuf, field: String, message: String| {
        out.push(Issue {
            path: path.clone(),
            field,
            message,
        })
    };
    for p in &cat.pairs {
        let Ok(acc) = cat.accelerator(&p.accelerator) else {
            continue;
        };
        let devices = f64::from(p.devices);
        for (i, pt) in p.points.iter().enumerate() {
            let f = |x: &str| format!("point[{i}].{x}");
            if !(1e-4..=10.0).contains(&pt.decode_step_s) {
                issue(
                    &p.path,
                    f("decode_step_s"),
                    format!(
                        "{} s per decode step is outside 0.0001-10 s; the unit is seconds (milliseconds written as seconds?)",
                        pt.decode_step_s
                    ),
                );
            }
            if !(1.0..=1e7).contains(&pt.prefill_tokens_per_s) {
                issue(
                    &p.path,
                    f("prefill_tokens_per_s"),
                    format!(
                        "{} prompt tokens/s is outside 1-10,000,000",
                        pt.prefill_tokens_per_s
                    ),
                );
            }
            let tdp = devices * acc.power_w;
            if pt.power_w > 1.5 * tdp {
                issue(
                    &p.path,
                    f("power_w"),
                    format!(
                        "{} W is above 1.5 x the rated power of {} x {} ({} W each); power_w covers the whole replica",
                        pt.power_w, p.devices, acc.id, acc.power_w
                    ),
                );
            }
            if let Some(idle) = acc.idle_power_w {
                if pt.power_w < devices * idle {
                    issue(
                        &p.path,
                        f("power_w"),
                        format!(
                            "{} W serving is below the idle power of {} x {} ({idle} W each)",
                            pt.power_w, p.devices, acc.id
                        ),
                    );
                }
            }
            if let (Some(tput), Some(jpt)) = (
                pt.measured_output_tokens_per_s,
                pt.measured_j_per_output_token,
            ) {
                let implied_j = pt.power_w / tput;
                if (implied_j / jpt - 1.0).abs() > 0.1 {
                    issue(
                        &p.path,
                        f("measured_j_per_output_token"),
                        format!(
                            "{jpt} J per token disagrees with power_w / measured throughput = {implied_j:.4} J (more than 10%)"
                        ),
                    );
                }
                let implied_tput = f64::from(pt.batch) / pt.decode_step_s;
                if (implied_tput / tput - 1.0).abs() > 0.1 {
                    issue(
                        &p.path,
                        f("measured_output_tokens_per_s"),
                        format!(
                            "{tput} tokens/s disagrees with batch / decode_step_s = {implied_tput:.1} (more than 10%)"
                        ),
                    );
                }
            }
            if i > 0 {
                let prev = p.points[i - 1];
                if pt.decode_step_s < 0.9 * prev.decode_step_s {
                    issue(
                        &p.path,
                        f("decode_step_s"),
                        format!(
                            "the step time falls from {} s at batch {} to {} s at batch {} (more than 10%); a larger batch cannot step faster",
                            prev.decode_step_s, prev.batch, pt.decode_step_s, pt.batch
                        ),
                    );
                }
                // Throughput against the best of the smaller batches, so that a curve cannot
                // slide down 9% at a time.
                let (best_batch, t0) = p.points[..i]
                    .iter()
                    .map(|q| (q.batch, f64::from(q.batch) / q.decode_step_s))
                    .fold((0, 0.0_f64), |b, x| if x.1 > b.1 { x } else { b });
                let t1 = f64::from(pt.batch) / pt.decode_step_s;
                if t1 < 0.9 * t0 {
                    issue(
                        &p.path,
                        f("batch"),
                        format!(
                            "throughput falls from {t0:.1} tokens/s at batch {best_batch} to {t1:.1} at batch {} (more than 10%)",
                            pt.batch
                        ),
                    );
                }
            }
        }
        if let Some(fit) = &p.fit {
            for (name, r2) in [
                ("r2_latency", Some(fit.r2_latency)),
                ("r2_energy", Some(fit.r2_energy)),
                ("r2_ttft", fit.r2_ttft),
            ] {
                let Some(r2) = r2 else { continue };
                if !(r2.is_finite() && r2 <= 1.0) {
                    issue(
                        &p.path,
                        format!("fit.{name}"),
                        format!("{r2} is not a coefficient of determination (finite, at most 1)"),
                    );
                } else if r2 < 0.5 {
                    issue(
                        &p.path,
                        format!("fit.{name}"),
                        format!("poor fit (R^2 = {r2:.3} < 0.5): the linear token model explains little of the measurements"),
                    );
                }
            }
        }
    }
    let acc_path = cat.dir.join("accelerators.toml");
    for a in &cat.accelerators {
        if !cat.pairs.iter().any(|p| p.accelerator == a.id) {
            continue;
        }
        let (field, have) = match a.tier {
            Tier::Cloud => ("usd_per_hour", a.usd_per_hour.is_some()),
            Tier::Local => ("device_usd", a.device_usd.is_some()),
        };
        if !have && a.price_note.is_none() {
            issue(
                &acc_path,
                format!("accelerator `{}`.{field}", a.id),
                format!(
                    "missing: a {:?} accelerator that pairs use needs its price, with price_date and price_source (or a price_note saying why there is none)",
                    a.tier
                ),
            );
        }
    }
    out
}
