//! The `[decompose]` section: which years `ipw-sim decompose` compares, how each year's pair
//! is chosen, and what accuracy and batch size intelligence per watt is measured at.

use serde::Deserialize;

/// Which accuracy a model's intelligence is measured by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccuracyMeasure {
    /// The IPW paper's success rate on its own evaluation mix (`models.toml` `success_rate`):
    /// what its Table 2 and Table 13 use.
    #[default]
    SuccessRate,
    /// The scenario's workload mix of per-family accuracies (`models.toml` `accuracy`).
    Mix,
}

/// How a year's pair is chosen when the section does not give it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// The paper's: the most accurate model released by the end of the year, on the
    /// accelerator (released by then) that gives it the highest IPW.
    #[default]
    Accuracy,
    /// The pair with the highest intelligence per watt.
    Ipw,
    /// The pair with the highest intelligence per joule.
    Ipj,
}

/// A year's pair, given by hand.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearPair {
    pub year: u32,
    pub model: String,
    pub accelerator: String,
    /// The pair's variant (default: the pair's default).
    #[serde(default)]
    pub variant: Option<String>,
}

/// The `[decompose]` section.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecomposeSection {
    /// The years to compare, in increasing order.
    pub years: Vec<u32>,
    #[serde(default)]
    pub accuracy: AccuracyMeasure,
    #[serde(default)]
    pub criterion: Criterion,
    /// Pairs given by hand; the other years are chosen by `criterion`.
    #[serde(default)]
    pub pairs: Vec<YearPair>,
    /// Batch size every pair is evaluated at (default: `fleet.local_batch`).
    #[serde(default)]
    pub batch: Option<f64>,
    /// Candidate accelerators' tier when choosing a year's pair: `local` (default) or `any`.
    #[serde(default = "local")]
    pub tier: String,
    /// Replay the scenario with each year's local pool (its models released by then on its
    /// accelerator) against the scenario's cloud.
    #[serde(default)]
    pub coverage: bool,
    /// In the coverage replay, give a model with no per-family accuracy its success rate on
    /// every task family (an assumption, reported with the results).
    #[serde(default)]
    pub assume_flat_accuracy: bool,
}

fn local() -> String {
    "local".into()
}

impl DecomposeSection {
    /// Check the section; the message names the field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |field: &str, message: String| Err((format!("decompose.{field}"), message));
        if self.years.len() < 2 {
            return bad(
                "years",
                format!("expected at least two years, got {:?}", self.years),
            );
        }
        if self.years.windows(2).any(|w| w[0] >= w[1]) {
            return bad(
                "years",
                format!("expected increasing years, got {:?}", self.years),
            );
        }
        for p in &self.pairs {
            if !self.years.contains(&p.year) {
                return bad(
                    "pairs",
                    format!(
                        "year {} is not one of decompose.years {:?}",
                        p.year, self.years
                    ),
                );
            }
            if self.pairs.iter().filter(|q| q.year == p.year).count() > 1 {
                return bad("pairs", format!("year {} is given twice", p.year));
            }
        }
        if let Some(b) = self.batch {
            if !(b >= 1.0 && b.is_finite()) {
                return bad("batch", format!("expected a batch size >= 1, got {b}"));
            }
        }
        if self.tier != "local" && self.tier != "any" {
            return bad(
                "tier",
                format!("expected \"local\" or \"any\", got {:?}", self.tier),
            );
        }
        Ok(())
    }
}
