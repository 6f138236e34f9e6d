//! Importing a batching curve from an ML.ENERGY Leaderboard model file
//! (`public/data/models/<org>__<model>__<task>.json`, v3.0 layout).
//!
//! One deployment (GPU kind and count) of the file becomes one pair profile, one `[[point]]`
//! per measured configuration (vLLM `max_num_seqs`), ordered by running batch:
//!
//! * `batch` = `avg_batch_size` rounded (the measured mean running batch; a configuration whose
//!   rounded batch repeats a smaller cap's, i.e. a saturated KV cache, is left out and listed);
//! * `decode_step_s` = `avg_batch_size / output_throughput_tokens_per_sec`: the effective time
//!   per decode step at that running batch, with the benchmark's own prefill amortised in it;
//! * `power_w` = `avg_power_watts` (GPU only, summed over the deployment's GPUs);
//! * `measured_output_tokens_per_s` and `measured_j_per_output_token` keep the file's own
//!   throughput and energy per output token, to check the simulator against;
//! * `prefill_tokens_per_s` = the compute roofline `GPUs x bf16_dense_tflops x MFU /
//!   (2 x active parameters)`, with the catalogue model's active parameters (the file rounds
//!   them) (the data has no prefill measurement; MFU is an assumption, 0.4 by default).
//!
//! A cap measured more than once keeps its first row in file order (the others are listed).

use super::write::{render, PairText};
use super::{BatchPoint, Catalogue, ProfileError};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct ModelFile {
    model_id: String,
    task: String,
    activated_params_billions: f64,
    #[serde(default)]
    weight_precision: Option<String>,
    configurations: Vec<Config>,
}

#[derive(Deserialize)]
struct Config {
    gpu_model: String,
    num_gpus: u32,
    max_num_seqs: u32,
    avg_batch_size: f64,
    avg_power_watts: f64,
    energy_per_token_joules: f64,
    output_throughput_tokens_per_sec: f64,
    median_itl_ms: f64,
    #[serde(default)]
    parallelization: Option<Parallelization>,
}

#[derive(Deserialize)]
struct Parallelization {
    tensor_parallel: u32,
    expert_parallel: u32,
    data_parallel: u32,
}

/// What to import and how.
#[derive(Clone, Debug, PartialEq)]
pub struct MlEnergyOptions {
    /// Catalogue model and accelerator the profile is for.
    pub model: String,
    pub accelerator: String,
    /// ML.ENERGY `gpu_model` (default: the accelerator id's last `-` part, upper-cased:
    /// `nvidia-h100` -> `H100`).
    pub gpu: Option<String>,
    /// ML.ENERGY `num_gpus` (default: the smallest deployment with at least 4 configurations,
    /// else the one with the most).
    pub gpus: Option<u32>,
    /// Variant name (default: the file's task) and whether it is the pair's default.
    pub variant: Option<String>,
    pub default: bool,
    /// Model FLOPs utilisation assumed for the prefill roofline.
    pub mfu: f64,
    /// Configurations (`max_num_seqs`) to leave out as outliers.
    pub skip_caps: Vec<u32>,
}

fn bad(path: &Path, message: impl Into<String>) -> ProfileError {
    ProfileError::Import {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Import `json` (shown as `shown` in the file's header) into the TOML text of a pair file.
pub fn import(
    json: &Path,
    shown: &str,
    o: &MlEnergyOptions,
    catalogue: &Catalogue,
) -> Result<String, ProfileError> {
    let text = std::fs::read_to_string(json).map_err(|source| ProfileError::Io {
        path: json.to_path_buf(),
        source,
    })?;
    let file: ModelFile = serde_json::from_str(&text).map_err(|e| {
        bad(
            json,
            format!("not an ML.ENERGY v3 model file: {e} (expected model_id, task, activated_params_billions, configurations[])"),
        )
    })?;
    let model = catalogue.model(&o.model)?;
    let acc = catalogue.accelerator(&o.accelerator)?;
    let tflops = acc.bf16_dense_tflops.ok_or_else(|| {
        bad(
            json,
            format!(
                "accelerator `{}` has no bf16_dense_tflops in accelerators.toml; the prefill roofline needs it",
                acc.id
            ),
        )
    })?;
    if !(o.mfu > 0.0 && o.mfu <= 1.0) {
        return Err(bad(
            json,
            format!("--mfu: expected a share in (0, 1], got {}", o.mfu),
        ));
    }
    let gpu = o.gpu.clone().unwrap_or_else(|| {
        o.accelerator
            .rsplit('-')
            .next()
            .unwrap_or(&o.accelerator)
            .to_uppercase()
    });
    let on_gpu: Vec<&Config> = file
        .configurations
        .iter()
        .filter(|c| c.gpu_model == gpu)
        .collect();
    if on_gpu.is_empty() {
        let mut kinds: Vec<&str> = file
            .configurations
            .iter()
            .map(|c| c.gpu_model.as_str())
            .collect();
        kinds.sort();
        kinds.dedup();
        return Err(bad(
            json,
            format!(
                "no configuration on GPU `{gpu}`; the file has: {} (set --gpu)",
                kinds.join(", ")
            ),
        ));
    }
    let mut counts: Vec<u32> = on_gpu.iter().map(|c| c.num_gpus).collect();
    counts.sort();
    counts.dedup();
    let per = |n: u32| on_gpu.iter().filter(|c| c.num_gpus == n).count();
    let gpus = match o.gpus {
        Some(n) if counts.contains(&n) => n,
        Some(n) => {
            return Err(bad(
                json,
                format!(
                    "no configuration with {n} x {gpu}; the file has {} GPUs",
                    counts
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
        None => counts
            .iter()
            .copied()
            .find(|&n| per(n) >= 4)
            .unwrap_or_else(|| {
                counts
                    .iter()
                    .copied()
                    .max_by_key(|&n| (per(n), std::cmp::Reverse(n)))
                    .expect("at least one configuration")
            }),
    };
    let mut cfgs: Vec<&Config> = on_gpu.into_iter().filter(|c| c.num_gpus == gpus).collect();
    cfgs.sort_by_key(|c| c.max_num_seqs);
    if let Some(cap) = o
        .skip_caps
        .iter()
        .find(|&&cap| !cfgs.iter().any(|c| c.max_num_seqs == cap))
    {
        return Err(bad(
            json,
            format!("--skip-caps: no configuration with max_num_seqs {cap} on {gpus} x {gpu}"),
        ));
    }
    let skipped: Vec<&Config> = cfgs
        .iter()
        .copied()
        .filter(|c| o.skip_caps.contains(&c.max_num_seqs))
        .collect();
    cfgs.retain(|c| !o.skip_caps.contains(&c.max_num_seqs));
    if cfgs.is_empty() {
        return Err(bad(
            json,
            format!("--skip-caps leaves no configuration on {gpus} x {gpu}; skip fewer"),
        ));
    }
    for c in &cfgs {
        for (name, v) in [
            ("avg_batch_size", c.avg_batch_size),
            ("avg_power_watts", c.avg_power_watts),
            (
                "output_throughput_tokens_per_sec",
                c.output_throughput_tokens_per_sec,
            ),
            ("energy_per_token_joules", c.energy_per_token_joules),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(
                    json,
                    format!("configuration max_num_seqs {} has {name} = {v}; expected a positive number", c.max_num_seqs),
                ));
            }
        }
    }
    let active = model.active_params_b;
    let rel = file.activated_params_billions / active - 1.0;
    if rel.abs() > 0.25 {
        return Err(bad(
            json,
            format!(
                "the file's model ({}) has {}B active parameters, catalogue model `{}` {}B: is --model right?",
                file.model_id, file.activated_params_billions, o.model, active
            ),
        ));
    }
    let prefill = f64::from(gpus) * tflops * 1e12 * o.mfu / (2.0 * active * 1e9);
    let mut points = Vec::new();
    let (mut kept, mut dropped, mut last) = (Vec::new(), Vec::new(), 0u32);
    let mut repeated = Vec::new();
    for (i, c) in cfgs.iter().enumerate() {
        if i > 0 && cfgs[i - 1].max_num_seqs == c.max_num_seqs {
            repeated.push(c.max_num_seqs.to_string());
            continue;
        }
        let b = c.avg_batch_size.round().max(1.0) as u32;
        if b <= last {
            dropped.push(c.max_num_seqs.to_string());
            continue;
        }
        last = b;
        kept.push(*c);
        points.push(BatchPoint {
            batch: b,
            decode_step_s: c.avg_batch_size / c.output_throughput_tokens_per_sec,
            prefill_tokens_per_s: prefill,
            power_w: c.avg_power_watts,
            measured_output_tokens_per_s: Some(c.output_throughput_tokens_per_sec),
            measured_j_per_output_token: Some(c.energy_per_token_joules),
        });
    }
    let variant = o.variant.clone().unwrap_or_else(|| file.task.clone());
    let file_name = json
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let par = cfgs[0].parallelization.as_ref();
    let mut header = vec![format!(
        "{} on {gpus} x NVIDIA {gpu}: ML.ENERGY Leaderboard v3.0, {} task, {} ({}).",
        o.model,
        file.task,
        file.model_id,
        file.weight_precision
            .as_deref()
            .unwrap_or("precision not stated")
    )];
    if let Some(p) = par {
        header.push(format!(
            "Parallelism: tensor {}, expert {}, data {}.",
            p.tensor_parallel, p.expert_parallel, p.data_parallel
        ));
    }
    let mut skip_caps = o.skip_caps.clone();
    skip_caps.sort();
    header.push(format!(
        "Imported by: ipw-sim profile import ml-energy {shown} --model {} --accelerator {} --gpu {gpu} --gpus {gpus} --variant {variant}{} --mfu {}{}",
        o.model,
        o.accelerator,
        if o.default { " --default" } else { "" },
        o.mfu,
        if skip_caps.is_empty() {
            String::new()
        } else {
            format!(
                " --skip-caps {}",
                skip_caps
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
    ));
    header.push("The source rows:".into());
    header.push(
        "  max_num_seqs  avg_batch  output_tok_s  avg_power_W  J_per_out_tok  median_itl_ms".into(),
    );
    for c in &kept {
        header.push(format!(
            "  {:<12}  {:<9.2}  {:<12.1}  {:<11.1}  {:<13.4}  {:.2}",
            c.max_num_seqs,
            c.avg_batch_size,
            c.output_throughput_tokens_per_sec,
            c.avg_power_watts,
            c.energy_per_token_joules,
            c.median_itl_ms
        ));
    }
    for c in &skipped {
        header.push(format!(
            "Left out as an outlier (--skip-caps): max_num_seqs {}: batch {:.2}, {:.1} tokens/s, {:.1} W, median ITL {:.2} ms.",
            c.max_num_seqs,
            c.avg_batch_size,
            c.output_throughput_tokens_per_sec,
            c.avg_power_watts,
            c.median_itl_ms
        ));
    }
    if !repeated.is_empty() {
        header.push(format!(
            "Measured more than once (the first row in file order kept): max_num_seqs {}.",
            repeated.join(", ")
        ));
    }
    if !dropped.is_empty() {
        header.push(format!(
            "Left out (same running batch as a smaller cap: KV cache saturated): max_num_seqs {}.",
            dropped.join(", ")
        ));
    }
    let decode_source = format!(
        "ML.ENERGY v3.0 ({file_name}, {gpus} x {gpu}): avg_batch_size / output_throughput_tokens_per_sec, the effective step time at the measured running batch (prefill of the benchmark prompts amortised in it)"
    );
    let prefill_source = format!(
        "derived (compute roofline): {gpus} x {tflops} TFLOPS dense BF16 ({}) x {} MFU (assumption) / (2 x {active}e9 active params, models.toml) = {prefill:.0} tokens/s",
        acc.compute_source.as_deref().unwrap_or("accelerators.toml"),
        o.mfu
    );
    let power_source = format!(
        "ML.ENERGY v3.0 avg_power_watts ({file_name}, {gpus} x {gpu}), GPU only, summed over the deployment"
    );
    Ok(render(&PairText {
        header,
        model: &o.model,
        accelerator: &o.accelerator,
        variant: &variant,
        default: o.default,
        task: Some(&file.task),
        devices: gpus,
        precision: &file
            .weight_precision
            .clone()
            .unwrap_or_else(|| "unknown".into()),
        decode_source: &decode_source,
        prefill_source: &prefill_source,
        power_source: &power_source,
        points: &points,
        fit: None,
    }))
}

/// The options of an `Imported by:` header line, to re-run an import (see the catalogue test).
pub fn options_from_header(text: &str) -> Option<(String, MlEnergyOptions)> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# Imported by: ipw-sim profile import ml-energy "))?;
    let mut words = line.split_whitespace();
    let file = words.next()?.to_string();
    let mut o = MlEnergyOptions {
        model: String::new(),
        accelerator: String::new(),
        gpu: None,
        gpus: None,
        variant: None,
        default: false,
        mfu: 0.4,
        skip_caps: Vec::new(),
    };
    while let Some(flag) = words.next() {
        match flag {
            "--default" => o.default = true,
            "--model" => o.model = words.next()?.into(),
            "--accelerator" => o.accelerator = words.next()?.into(),
            "--gpu" => o.gpu = Some(words.next()?.into()),
            "--gpus" => o.gpus = Some(words.next()?.parse().ok()?),
            "--variant" => o.variant = Some(words.next()?.into()),
            "--mfu" => o.mfu = words.next()?.parse().ok()?,
            "--skip-caps" => {
                o.skip_caps = words
                    .next()?
                    .split(',')
                    .map(|c| c.parse().ok())
                    .collect::<Option<Vec<u32>>>()?
            }
            _ => return None,
        }
    }
    Some((file, o))
}
