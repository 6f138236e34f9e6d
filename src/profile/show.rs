//! Text views of the catalogue for `ipw-sim profile list` and `profile show`.

use super::{Catalogue, Pair, ProfileError};

/// One line per pair variant, grouped by accelerator, then the accelerators.
pub fn list_text(cat: &Catalogue) -> String {
    let mut out = format!(
        "{:<18} {:<22} {:<16} {:>3} {:>7} {:>10}  {}\n",
        "model", "accelerator", "variant", "def", "devices", "batches", "file"
    );
    let mut pairs: Vec<&Pair> = cat.pairs.iter().collect();
    pairs.sort_by(|a, b| {
        (&a.accelerator, &a.model, &a.variant).cmp(&(&b.accelerator, &b.model, &b.variant))
    });
    for p in pairs {
        let is_default = cat
            .pair(&p.model, &p.accelerator)
            .is_ok_and(|d| d.path == p.path);
        let (lo, hi) = (p.points[0].batch, p.points[p.points.len() - 1].batch);
        out += &format!(
            "{:<18} {:<22} {:<16} {:>3} {:>7} {:>10}  {}\n",
            p.model,
            p.accelerator,
            p.variant,
            if is_default { "*" } else { "" },
            p.devices,
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            },
            p.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
    }
    out += &format!(
        "\n{:<22} {:<6} {:>6} {:>7} {:>7} {:>6} {:>8} {:>5}  {}\n",
        "accelerator", "tier", "GB", "GB/s", "TDP W", "idle W", "TFLOPS", "year", "price"
    );
    for a in &cat.accelerators {
        let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        let price = match (a.usd_per_hour, a.device_usd) {
            (Some(h), _) => format!("${h}/h ({})", a.price_date.as_deref().unwrap_or("?")),
            (None, Some(d)) => format!("${d} ({})", a.price_date.as_deref().unwrap_or("?")),
            _ => "-".into(),
        };
        out += &format!(
            "{:<22} {:<6} {:>6} {:>7} {:>7} {:>6} {:>8} {:>5}  {}\n",
            a.id,
            format!("{:?}", a.tier).to_lowercase(),
            a.memory_gb,
            a.bandwidth_gb_s,
            a.power_w,
            num(a.idle_power_w),
            num(a.bf16_dense_tflops),
            a.release_year,
            price
        );
    }
    out + "* the pair's default variant (a scenario picks another with fleet.variants)\n"
}

/// One pair variant with its sources, its points and its accelerator.
pub fn show_text(
    cat: &Catalogue,
    model: &str,
    accelerator: &str,
    variant: Option<&str>,
) -> Result<String, ProfileError> {
    let p = cat.pair_variant(model, accelerator, variant)?;
    let a = cat.accelerator(accelerator)?;
    let m = cat.model(model)?;
    let others: Vec<&str> = cat
        .variants(model, accelerator)
        .iter()
        .filter(|q| q.path != p.path)
        .map(|q| q.variant.as_str())
        .collect();
    let mut out = format!(
        "{model} on {} x {} ({}), variant `{}`{}\nfile: {}\n",
        p.devices,
        a.name,
        accelerator,
        p.variant,
        if others.is_empty() {
            String::new()
        } else {
            format!(" (others: {})", others.join(", "))
        },
        p.path.display()
    );
    if let Some(t) = &p.task {
        out += &format!("task: {t}\n");
    }
    out += &format!(
        "precision: {}\nmodel: {} active / {} total billion parameters ({})\ndecode: {}\nprefill: {}\npower: {}\n",
        p.precision,
        m.active_params_b,
        m.total_params_b,
        m.params_source,
        p.decode_source,
        p.prefill_source,
        p.power_source
    );
    out += &format!(
        "\n{:>6} {:>14} {:>12} {:>10} {:>12} {:>12} {:>10}\n",
        "batch", "decode step s", "prefill t/s", "power W", "tokens/s", "measured t/s", "J/token"
    );
    for pt in &p.points {
        out += &format!(
            "{:>6} {:>14.6} {:>12.0} {:>10.1} {:>12.1} {:>12} {:>10.4}\n",
            pt.batch,
            pt.decode_step_s,
            pt.prefill_tokens_per_s,
            pt.power_w,
            f64::from(pt.batch) / pt.decode_step_s,
            pt.measured_output_tokens_per_s
                .map_or("-".into(), |v| format!("{v:.1}")),
            pt.power_w * pt.decode_step_s / f64::from(pt.batch)
        );
    }
    if let Some(f) = &p.fit {
        out += &format!(
            "\nfit over {} queries: R^2 latency {:.4}, energy {:.4}, TTFT {}\n",
            f.queries,
            f.r2_latency,
            f.r2_energy,
            f.r2_ttft.map_or("n/a".into(), |r| format!("{r:.4}"))
        );
    }
    out += &format!(
        "\naccelerator: {}, {} GB at {} GB/s, {} W rated ({}); idle {}; {}\n",
        a.name,
        a.memory_gb,
        a.bandwidth_gb_s,
        a.power_w,
        a.source,
        a.idle_power_w.map_or("not given".into(), |w| format!(
            "{w} W ({})",
            a.idle_source.as_deref().unwrap_or("")
        )),
        match (a.usd_per_hour, a.device_usd) {
            (Some(h), _) => format!(
                "${h} per hour ({}, {})",
                a.price_date.as_deref().unwrap_or(""),
                a.price_source.as_deref().unwrap_or("")
            ),
            (None, Some(d)) => format!(
                "${d} to buy ({}, {})",
                a.price_date.as_deref().unwrap_or(""),
                a.price_source.as_deref().unwrap_or("")
            ),
            _ => "no price".into(),
        }
    );
    Ok(out)
}
