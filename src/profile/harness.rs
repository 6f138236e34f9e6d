//! Importing a profile from a run directory of the IPW harness (HazyResearch
//! intelligence-per-watt, `ipw profile`).
//!
//! The harness writes, per run, a folder `profile_<hardware>_<model>_<dataset>/` holding a
//! Hugging Face `datasets` `save_to_disk` dataset (`data-*.arrow` in Arrow IPC stream format,
//! `dataset_info.json`, `state.json`) of per-query records, and `summary.json` (`model`,
//! `hardware_label`, `dataset`, `total_queries`, ...). Each record's `model_metrics` column is a
//! struct with one field per model name (the summary's `model`), itself a struct with
//! `token_metrics.{input, output}`, `latency_metrics.{total_query_seconds,
//! time_to_first_token_seconds}`, `energy_metrics.{per_query_joules, cpu_per_query_joules,
//! ane_per_query_joules}` (GPU, CPU and Apple Neural Engine energy, J) and
//! `power_metrics.gpu.per_query_watts.avg`.
//!
//! The importer fits, by least squares over the run's queries,
//!
//! ```text
//! latency = a0 + a_in n_in + a_out n_out        energy = e0 + e_in n_in + e_out n_out
//! ttft    = t0 + t_in n_in
//! ```
//!
//! and writes a batch-1 profile: `decode_step_s = a_out`, `prefill_tokens_per_s = 1 / t_in`
//! (`1 / a_in` when the run has no TTFT), `power_w = e_out / a_out` (power while decoding), with
//! the fit (R^2 of each quantity, intercepts, energy per token) in a `[fit]` table.

use super::write::{render, PairText};
use super::{BatchPoint, Catalogue, Fit, ProfileError};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Which measured energy counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnergyParts {
    /// GPU energy only (`per_query_joules`).
    Gpu,
    /// GPU + CPU + ANE energy where measured (the whole SoC on Apple silicon).
    #[default]
    All,
}

/// What to import and how.
#[derive(Clone, Debug, PartialEq)]
pub struct HarnessOptions {
    pub model: String,
    pub accelerator: String,
    pub variant: Option<String>,
    pub default: bool,
    pub devices: u32,
    pub precision: String,
    pub energy: EnergyParts,
}

/// The imported profile and what the fit found.
#[derive(Clone, Debug, PartialEq)]
pub struct HarnessImport {
    pub toml: String,
    pub point: BatchPoint,
    pub fit: Fit,
    /// Records read, and those left out for a missing latency, energy or token count.
    pub records: u64,
    pub skipped: u64,
}

fn bad(path: &Path, message: impl Into<String>) -> ProfileError {
    ProfileError::Import {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// One query's measurements.
struct Row {
    n_in: f64,
    n_out: f64,
    latency: f64,
    ttft: Option<f64>,
    energy: f64,
}

/// The `data-*.arrow` files of a `save_to_disk` folder, in order.
fn arrow_files(dir: &Path) -> Result<Vec<PathBuf>, ProfileError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| ProfileError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "arrow")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("data-"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(bad(
            dir,
            "no data-*.arrow file: expected an `ipw profile` run folder (a Hugging Face datasets save_to_disk folder plus summary.json)",
        ));
    }
    Ok(files)
}

/// The struct field `name` of `s` (a struct column), or an error naming the path.
fn field(s: &Series, name: &str, at: &str, file: &Path) -> Result<Series, ProfileError> {
    let st = s
        .struct_()
        .map_err(|_| bad(file, format!("column `{at}` is not a struct")))?;
    st.field_by_name(name)
        .map_err(|_| bad(file, format!("missing field `{at}.{name}`")))
}

fn f64s(s: &Series, at: &str, file: &Path) -> Result<Vec<Option<f64>>, ProfileError> {
    let c = s
        .cast(&DataType::Float64)
        .map_err(|e| bad(file, format!("`{at}`: expected numbers ({e})")))?;
    let ca = c.f64().expect("cast to Float64");
    Ok((0..ca.len()).map(|i| ca.get(i)).collect())
}

fn read_rows(
    dir: &Path,
    model: &str,
    energy: EnergyParts,
) -> Result<(Vec<Row>, u64, u64), ProfileError> {
    let (mut rows, mut records, mut skipped) = (Vec::new(), 0u64, 0u64);
    for file in arrow_files(dir)? {
        let f = std::fs::File::open(&file).map_err(|source| ProfileError::Io {
            path: file.clone(),
            source,
        })?;
        // The IPC decoder can panic on a corrupt file: contained, and reported like its errors.
        let df = crate::contain::contain(|| IpcStreamReader::new(f).finish())
            .map_err(|m| {
                bad(
                    &file,
                    format!("not an Arrow IPC stream: the decoder failed ({m})"),
                )
            })?
            .map_err(|e| bad(&file, format!("not an Arrow IPC stream: {e}")))?;
        let metrics = df
            .column("model_metrics")
            .map_err(|_| bad(&file, "missing column `model_metrics`"))?
            .as_materialized_series()
            .clone();
        let m = field(&metrics, model, "model_metrics", &file)?;
        let at = format!("model_metrics.{model}");
        let tokens = field(&m, "token_metrics", &at, &file)?;
        let latency = field(&m, "latency_metrics", &at, &file)?;
        let energy_m = field(&m, "energy_metrics", &at, &file)?;
        let t = |s: &Series, name: &str, group: &str| -> Result<Vec<Option<f64>>, ProfileError> {
            let path = format!("{at}.{group}");
            f64s(
                &field(s, name, &path, &file)?,
                &format!("{path}.{name}"),
                &file,
            )
        };
        let n_in = t(&tokens, "input", "token_metrics")?;
        let n_out = t(&tokens, "output", "token_metrics")?;
        let total = t(&latency, "total_query_seconds", "latency_metrics")?;
        // Optional: runs whose client reports no first-token time have no such field.
        let ttft = t(&latency, "time_to_first_token_seconds", "latency_metrics")
            .unwrap_or_else(|_| vec![None; df.height()]);
        let gpu = t(&energy_m, "per_query_joules", "energy_metrics")?;
        let optional = |name: &str| -> Vec<Option<f64>> {
            t(&energy_m, name, "energy_metrics").unwrap_or_else(|_| vec![None; df.height()])
        };
        let (cpu, ane) = match energy {
            EnergyParts::Gpu => (vec![None; df.height()], vec![None; df.height()]),
            EnergyParts::All => (
                optional("cpu_per_query_joules"),
                optional("ane_per_query_joules"),
            ),
        };
        for i in 0..df.height() {
            records += 1;
            match (n_in[i], n_out[i], total[i], gpu[i]) {
                (Some(a), Some(b), Some(l), Some(e)) if l > 0.0 && e >= 0.0 => rows.push(Row {
                    n_in: a,
                    n_out: b,
                    latency: l,
                    ttft: ttft[i].filter(|x| *x > 0.0),
                    energy: e + cpu[i].unwrap_or(0.0) + ane[i].unwrap_or(0.0),
                }),
                _ => skipped += 1,
            }
        }
    }
    Ok((rows, records, skipped))
}

/// Least squares of `y` on an intercept and the columns of `x`: (coefficients, R^2).
pub fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    let k = x.first().map_or(0, Vec::len) + 1;
    let n = y.len();
    if n < k + 1 {
        return None;
    }
    // Normal equations A b = c with A = X'X, c = X'y (X with a leading column of ones).
    let mut a = vec![vec![0.0; k]; k];
    let mut c = vec![0.0; k];
    for (row, &yi) in x.iter().zip(y) {
        let xi: Vec<f64> = std::iter::once(1.0).chain(row.iter().copied()).collect();
        for p in 0..k {
            c[p] += xi[p] * yi;
            for q in 0..k {
                a[p][q] += xi[p] * xi[q];
            }
        }
    }
    // Gaussian elimination with partial pivoting; a pivot negligible against the matrix's
    // largest entry means the regressors are collinear (e.g. every query equally long).
    let norm = a.iter().flatten().fold(0.0_f64, |m, x| m.max(x.abs()));
    for col in 0..k {
        let piv = (col..k).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        a.swap(col, piv);
        c.swap(col, piv);
        if a[col][col].abs() <= 1e-12 * norm {
            return None;
        }
        for r in col + 1..k {
            let (top, bottom) = a.split_at_mut(r);
            let (pivot, row) = (&top[col], &mut bottom[0]);
            let f = row[col] / pivot[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                *x -= f * p;
            }
            c[r] -= f * c[col];
        }
    }
    let mut b = vec![0.0; k];
    for r in (0..k).rev() {
        let s: f64 = (r + 1..k).map(|q| a[r][q] * b[q]).sum();
        b[r] = (c[r] - s) / a[r][r];
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for (row, &yi) in x.iter().zip(y) {
        let fit = b[0] + row.iter().zip(&b[1..]).map(|(x, b)| x * b).sum::<f64>();
        ss_res += (yi - fit) * (yi - fit);
        ss_tot += (yi - mean) * (yi - mean);
    }
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        1.0
    };
    Some((b, r2))
}

/// Import the run folder `dir` (shown as `shown` in the file's header).
pub fn import(
    dir: &Path,
    shown: &str,
    o: &HarnessOptions,
    catalogue: &Catalogue,
) -> Result<HarnessImport, ProfileError> {
    catalogue.model(&o.model)?;
    catalogue.accelerator(&o.accelerator)?;
    if o.devices == 0 {
        return Err(bad(dir, "--devices: expected at least 1 accelerator"));
    }
    arrow_files(dir)?;
    let summary_path = dir.join("summary.json");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).map_err(|source| {
            ProfileError::Io {
                path: summary_path.clone(),
                source,
            }
        })?)
        .map_err(|e| bad(&summary_path, format!("not JSON: {e}")))?;
    let run_model = summary["model"].as_str().ok_or_else(|| {
        bad(
            &summary_path,
            "missing string field `model` (the harness's model name)",
        )
    })?;
    let hardware = summary["hardware_label"]
        .as_str()
        .unwrap_or("unknown hardware");
    let dataset = summary["dataset"].as_str().unwrap_or("unknown dataset");
    let (rows, records, skipped) = read_rows(dir, run_model, o.energy)?;
    let too_few = || {
        bad(
            dir,
            format!(
                "{} usable queries of {records}; a fit needs at least 4 with varied prompt and response lengths",
                rows.len()
            ),
        )
    };
    let x2: Vec<Vec<f64>> = rows.iter().map(|r| vec![r.n_in, r.n_out]).collect();
    let (lat, r2_latency) = least_squares(&x2, &rows.iter().map(|r| r.latency).collect::<Vec<_>>())
        .ok_or_else(too_few)?;
    let (en, r2_energy) = least_squares(&x2, &rows.iter().map(|r| r.energy).collect::<Vec<_>>())
        .ok_or_else(too_few)?;
    let timed: Vec<&Row> = rows.iter().filter(|r| r.ttft.is_some()).collect();
    let ttft = least_squares(
        &timed.iter().map(|r| vec![r.n_in]).collect::<Vec<_>>(),
        &timed
            .iter()
            .map(|r| r.ttft.unwrap_or(0.0))
            .collect::<Vec<_>>(),
    );
    let per_prompt_token_s = ttft.as_ref().map_or(lat[1], |(b, _)| b[1]);
    for (what, v) in [
        ("decode time per response token", lat[2]),
        ("prefill time per prompt token", per_prompt_token_s),
        ("energy per response token", en[2]),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(
                dir,
                format!("the fit gives a non-positive {what} ({v:e}); the run's queries may not vary enough in length"),
            ));
        }
    }
    let point = BatchPoint {
        batch: 1,
        decode_step_s: lat[2],
        prefill_tokens_per_s: 1.0 / per_prompt_token_s,
        power_w: en[2] / lat[2],
        measured_output_tokens_per_s: None,
        measured_j_per_output_token: None,
    };
    let finite = [
        ("R^2 of latency", r2_latency),
        ("R^2 of energy", r2_energy),
        ("latency intercept", lat[0]),
        ("energy intercept", en[0]),
        ("energy per prompt token", en[1]),
    ]
    .into_iter()
    .chain(
        ttft.as_ref()
            .map(|(_, r2)| ("R^2 of time to first token", *r2)),
    );
    for (what, v) in finite {
        if !v.is_finite() {
            return Err(bad(
                dir,
                format!("the fit gives a {what} of {v}; the run's measurements are not usable"),
            ));
        }
    }
    let fit = Fit {
        queries: rows.len() as u64,
        r2_latency,
        r2_energy,
        r2_ttft: ttft.as_ref().map(|(_, r2)| *r2),
        latency_intercept_s: lat[0],
        energy_intercept_j: en[0],
        energy_per_input_token_j: en[1],
        energy_per_output_token_j: en[2],
    };
    let run = dir
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let variant = o.variant.clone().unwrap_or_else(|| "ipw-harness".into());
    let energy_kind = match o.energy {
        EnergyParts::Gpu => "GPU energy",
        EnergyParts::All => "GPU + CPU + ANE energy",
    };
    let header = vec![
        format!(
            "{} on {}: fitted from an IPW harness run ({run}: model {run_model}, hardware {hardware}, dataset {dataset}).",
            o.model, o.accelerator
        ),
        format!(
            "Imported by: ipw-sim profile import ipw-run {shown} --model {} --accelerator {} --variant {variant}{} --devices {} --precision {}{}",
            o.model,
            o.accelerator,
            if o.default { " --default" } else { "" },
            o.devices,
            o.precision,
            if o.energy == EnergyParts::Gpu { " --gpu-energy-only" } else { "" }
        ),
        format!(
            "{} of {records} queries fitted ({skipped} without latency, energy or token counts). R^2: latency {r2_latency:.4}, energy {r2_energy:.4}, TTFT {}.",
            rows.len(),
            fit.r2_ttft.map_or("n/a".into(), |r| format!("{r:.4}"))
        ),
    ];
    let decode_source = format!(
        "IPW harness run {run} ({} queries): least-squares slope of end-to-end latency on response tokens (R^2 {r2_latency:.4})",
        rows.len()
    );
    let prefill_source = match &ttft {
        Some((_, r2)) => format!(
            "IPW harness run {run}: 1 / least-squares slope of time to first token on prompt tokens (R^2 {r2:.4})"
        ),
        None => format!(
            "IPW harness run {run}: 1 / least-squares slope of end-to-end latency on prompt tokens ({} queries have a time to first token: too few, or too alike, to fit)",
            timed.len()
        ),
    };
    let power_source = format!(
        "IPW harness run {run}: least-squares slope of {energy_kind} on response tokens (R^2 {r2_energy:.4}) / decode time per response token"
    );
    let toml = render(&PairText {
        header,
        model: &o.model,
        accelerator: &o.accelerator,
        variant: &variant,
        default: o.default,
        task: Some(dataset),
        devices: o.devices,
        precision: &o.precision,
        decode_source: &decode_source,
        prefill_source: &prefill_source,
        power_source: &power_source,
        points: &[point],
        fit: Some(&fit),
    });
    Ok(HarnessImport {
        toml,
        point,
        fit,
        records,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::least_squares;

    #[test]
    fn least_squares_recovers_an_exact_plane_and_refuses_degenerate_inputs() {
        let x: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![f64::from(i), f64::from(i * i % 7)])
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 2.0 + 3.0 * r[0] - 0.5 * r[1]).collect();
        let (b, r2) = least_squares(&x, &y).unwrap();
        for (got, want) in b.iter().zip([2.0, 3.0, -0.5]) {
            assert!((got - want).abs() < 1e-9, "{b:?}");
        }
        assert!((r2 - 1.0).abs() < 1e-12);
        // Noise lowers R^2 below 1.
        let noisy: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let (_, r2) = least_squares(&x, &noisy).unwrap();
        assert!(r2 < 1.0 && r2 > 0.9, "{r2}");
        // Collinear regressors (the second is twice the first), and too few rows.
        let collinear: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![f64::from(i), 2.0 * f64::from(i)])
            .collect();
        assert!(least_squares(&collinear, &y).is_none());
        assert!(least_squares(&x[..3], &y[..3]).is_none());
    }
}
