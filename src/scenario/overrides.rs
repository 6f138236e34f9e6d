//! Typed overrides of scenario fields, as the command line gives them (`--set KEY=VALUE`,
//! `--queries N`, `--skip-invalid`). They are applied to the scenario document before it is
//! read and validated, so a combination is judged as a whole.

use crate::toml_text::{get_path, set_path, value_or_string};
use std::str::FromStr;

/// One `KEY=VALUE` setting: a dotted key and a TOML value (or a string, when the text is not
/// a TOML value).
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: Vec<String>,
    pub value: toml::Value,
    /// As written, for messages.
    pub text: String,
}

impl FromStr for Setting {
    type Err = String;

    fn from_str(text: &str) -> Result<Setting, String> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            format!("{text:?}: expected KEY=VALUE, e.g. metrics.flops_params=total")
        })?;
        let key: Vec<String> = key
            .trim()
            .split('.')
            .map(|k| k.trim().to_string())
            .collect();
        if key.iter().any(String::is_empty) {
            return Err(format!(
                "{text:?}: expected a dotted key like fleet.cloud.replicas"
            ));
        }
        Ok(Setting {
            key,
            value: value_or_string(value),
            text: text.to_string(),
        })
    }
}

/// Everything a command line overrides in a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `--set KEY=VALUE`, in order (a later one wins).
    pub set: Vec<Setting>,
    /// `--queries N`: `trace.queries = N`, and `trace.horizon_hours = 24` unless the scenario
    /// (or a `--set`) gives a horizon.
    pub queries: Option<u64>,
    /// `--skip-invalid`: `trace.skip_invalid = true`.
    pub skip_invalid: bool,
}

/// The horizon `--queries` adds when the scenario has none, hours.
pub const DEFAULT_HORIZON_HOURS: f64 = 24.0;

impl Overrides {
    /// Only `--set` settings, parsed from `KEY=VALUE` texts.
    pub fn from_set<S: AsRef<str>>(texts: &[S]) -> Result<Overrides, String> {
        Ok(Overrides {
            set: texts
                .iter()
                .map(|t| t.as_ref().parse())
                .collect::<Result<_, _>>()?,
            ..Overrides::default()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.queries.is_none() && !self.skip_invalid
    }

    /// The overrides as command-line text, for messages.
    pub fn describe(&self) -> String {
        self.texts().join(" ")
    }

    /// Each override as command-line text, in the order applied (for manifests).
    pub fn texts(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .set
            .iter()
            .map(|s| format!("--set {}", s.text))
            .collect();
        if let Some(q) = self.queries {
            parts.push(format!("--queries {q}"));
        }
        if self.skip_invalid {
            parts.push("--skip-invalid".into());
        }
        parts
    }

    /// Apply to a scenario document.
    pub fn apply(&self, doc: &mut toml::Table) -> Result<(), String> {
        for s in &self.set {
            set_path(doc, &s.key, s.value.clone())
                .map_err(|e| format!("--set {:?}: {e}", s.text))?;
        }
        let trace = |k: &str| vec!["trace".to_string(), k.to_string()];
        if let Some(q) = self.queries {
            let n = i64::try_from(q).map_err(|_| format!("--queries {q}: too large"))?;
            set_path(doc, &trace("queries"), n.into()).map_err(|e| format!("--queries: {e}"))?;
            if get_path(doc, &["trace", "horizon_hours"]).is_none() {
                set_path(doc, &trace("horizon_hours"), DEFAULT_HORIZON_HOURS.into())
                    .map_err(|e| format!("--queries: {e}"))?;
            }
        }
        if self.skip_invalid {
            set_path(doc, &trace("skip_invalid"), true.into())
                .map_err(|e| format!("--skip-invalid: {e}"))?;
        }
        Ok(())
    }
}
