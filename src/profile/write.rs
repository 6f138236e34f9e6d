//! Writing a pair profile as TOML, in the catalogue's layout: header comments, the pair's
//! fields with their sources, one `[[point]]` per batch size, and the fit if there is one.

use super::{BatchPoint, Fit};

/// `x` rounded to `digits` significant digits, printed in its shortest exact form.
pub fn sig(x: f64, digits: usize) -> String {
    if x == 0.0 {
        return "0.0".into();
    }
    if x.is_nan() {
        return "nan".into(); // TOML's spelling (Rust prints NaN)
    }
    if x.is_infinite() {
        return format!("{x}"); // inf, -inf: TOML's spelling too
    }
    let rounded: f64 = format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .expect("a formatted float parses");
    let s = format!("{rounded}");
    // TOML floats need a decimal point or an exponent.
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A TOML basic string.
pub fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The fields of a pair file, to be rendered by [`render`].
pub struct PairText<'a> {
    /// Comment lines (without the leading `# `).
    pub header: Vec<String>,
    pub model: &'a str,
    pub accelerator: &'a str,
    pub variant: &'a str,
    pub default: bool,
    pub task: Option<&'a str>,
    pub devices: u32,
    pub precision: &'a str,
    pub decode_source: &'a str,
    pub prefill_source: &'a str,
    pub power_source: &'a str,
    pub points: &'a [BatchPoint],
    pub fit: Option<&'a Fit>,
}

/// The TOML text of a pair file.
pub fn render(p: &PairText) -> String {
    let mut out = String::new();
    for line in &p.header {
        if line.is_empty() {
            out += "#\n";
        } else {
            out += &format!("# {line}\n");
        }
    }
    out += &format!("model = {}\n", quoted(p.model));
    out += &format!("accelerator = {}\n", quoted(p.accelerator));
    out += &format!("variant = {}\n", quoted(p.variant));
    out += &format!("default = {}\n", p.default);
    if let Some(t) = p.task {
        out += &format!("task = {}\n", quoted(t));
    }
    out += &format!("devices = {}\n", p.devices);
    out += &format!("precision = {}\n", quoted(p.precision));
    out += &format!("decode_source = {}\n", quoted(p.decode_source));
    out += &format!("prefill_source = {}\n", quoted(p.prefill_source));
    out += &format!("power_source = {}\n", quoted(p.power_source));
    for pt in p.points {
        out += "\n[[point]]\n";
        out += &format!("batch = {}\n", pt.batch);
        out += &format!("decode_step_s = {}\n", sig(pt.decode_step_s, 6));
        out += &format!(
            "prefill_tokens_per_s = {}\n",
            sig(pt.prefill_tokens_per_s, 6)
        );
        out += &format!("power_w = {}\n", sig(pt.power_w, 6));
        if let Some(v) = pt.measured_output_tokens_per_s {
            out += &format!("measured_output_tokens_per_s = {}\n", sig(v, 6));
        }
        if let Some(v) = pt.measured_j_per_output_token {
            out += &format!("measured_j_per_output_token = {}\n", sig(v, 6));
        }
    }
    if let Some(f) = p.fit {
        out += "\n[fit]\n";
        out += &format!("queries = {}\n", f.queries);
        out += &format!("r2_latency = {}\n", sig(f.r2_latency, 6));
        out += &format!("r2_energy = {}\n", sig(f.r2_energy, 6));
        if let Some(r) = f.r2_ttft {
            out += &format!("r2_ttft = {}\n", sig(r, 6));
        }
        out += &format!("latency_intercept_s = {}\n", sig(f.latency_intercept_s, 6));
        out += &format!("energy_intercept_j = {}\n", sig(f.energy_intercept_j, 6));
        out += &format!(
            "energy_per_input_token_j = {}\n",
            sig(f.energy_per_input_token_j, 6)
        );
        out += &format!(
            "energy_per_output_token_j = {}\n",
            sig(f.energy_per_output_token_j, 6)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_round_and_stay_valid_toml_floats() {
        assert_eq!(sig(0.008289358123, 6), "0.00828936");
        assert_eq!(sig(24735.2, 6), "24735.2");
        assert_eq!(sig(24735.0, 6), "24735.0");
        assert_eq!(sig(1234567.0, 6), "1234570.0");
        assert_eq!(sig(0.0, 6), "0.0");
        for text in ["a \"b\"", "it's", "x\\y", "plain"] {
            let t: toml::Table = toml::from_str(&format!("k = {}", quoted(text))).unwrap();
            assert_eq!(t["k"].as_str(), Some(text));
        }
    }
}
