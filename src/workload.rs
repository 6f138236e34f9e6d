//! The workload model: which task family a query belongs to and which models answer it
//! correctly.
//!
//! # Capability model
//!
//! Each query `q` of task family `f` has a latent difficulty `z_q ~ N(0,1)` shared by all models,
//! a noise term `η_{q,F} ~ N(0,1)` per model *family* `F` (Qwen3, GPT-OSS, ...) and, optionally,
//! a noise term `ε_{q,m} ~ N(0,1)` per model. Model `m` of family `F` answers `q` correctly iff
//!
//! ```text
//! s_{q,m} = √ρ_f · z_q + √(1-ρ_f) · ( √(1-ν) · η_{q,F} + √ν · ε_{q,m} )  ≤  Φ⁻¹(acc_{m,f})
//! ```
//!
//! * `s_{q,m}` is standard normal, so **each model's accuracy equals its catalogue accuracy
//!   exactly** (Table 11), whatever `ρ` and `ν`.
//! * With `ν = 0` (the default) capability is **nested within a family**: all models of a family
//!   see the same `s`, so a query a weaker model answers is answered by every stronger model of
//!   the family ("stronger" = higher accuracy on that task family).
//! * `ρ_f` sets how much difficulty is shared *across* families: `ρ = 1` makes all models nested,
//!   `ρ = 0` makes families independent. It controls the share of queries that *some* local model
//!   answers. By default it is fitted per task family so that the catalogue's local models with
//!   at most 20B active parameters jointly answer `local_solvable` of the family (Table 4),
//!   clipped to `[0, 1]` when the catalogue's accuracies cannot reach that share; the
//!   calibration report prints what was reached.
//! * `ν` (`model_noise`) adds non-nested, per-model noise within a family.
//!
//! All draws are keyed by `(seed, query index)` (and the family or model name), so every sweep
//! point sees the same queries (see [`crate::rng`]).

use crate::profile::{Catalogue, ProfileError};
use crate::rng::{Purpose, Stream};
use crate::stats::{integrate_normal, norm_cdf, norm_inv};

/// The most models a workload can track per query (bits of [`QueryAttrs::solved`]).
pub const MAX_MODELS: usize = 32;

/// Local models with at most this many active parameters (billions) count towards
/// `local_solvable` ([IPW] Table 4's definition).
pub const LOCAL_ACTIVE_PARAMS_LIMIT_B: f64 = 20.0;

/// How the cross-family correlation `ρ` of a task family is set.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum Correlation {
    /// The word `"fit"`: fit to the task family's `local_solvable`.
    Fit(FitWord),
    /// A fixed value in [0, 1].
    Value(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitWord {
    Fit,
}

impl Default for Correlation {
    fn default() -> Self {
        Correlation::Fit(FitWord::Fit)
    }
}

/// Errors building a workload.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("workload: {0}")]
    Invalid(String),
}

/// The per-query outcome of the workload model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryAttrs {
    /// Index into [`Workload::tasks`].
    pub task: u8,
    /// Bit `i` is set when model `i` of [`Workload::models`] answers the query correctly.
    pub solved: u32,
}

/// One task family as the workload uses it.
#[derive(Clone, Debug)]
pub struct TaskModel {
    pub name: String,
    /// Share of queries in this family.
    pub weight: f64,
    /// Cross-family correlation used.
    pub rho: f64,
    /// The `local_solvable` target and what the fitted model reaches (on the catalogue's
    /// local pool).
    pub solvable_target: f64,
    pub solvable_reached: f64,
    /// `Φ⁻¹(accuracy)` per tracked model.
    thresholds: Vec<f64>,
}

/// A tracked model: its name, family and accuracy per task family.
#[derive(Clone, Debug)]
pub struct TrackedModel {
    pub name: String,
    pub family: String,
    pub accuracy: Vec<f64>,
}

/// The workload model for one scenario.
#[derive(Clone, Debug)]
pub struct Workload {
    pub tasks: Vec<TaskModel>,
    pub models: Vec<TrackedModel>,
    pub model_noise: f64,
    cumulative: Vec<f64>,
    family_of_model: Vec<usize>,
    task_stream: Stream,
    difficulty: Stream,
    family_streams: Vec<Stream>,
    model_streams: Vec<Stream>,
}

/// The settings of a workload.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    /// Task family name and weight (normalised to sum to 1).
    pub mix: Vec<(String, f64)>,
    pub correlation: Correlation,
    pub model_noise: f64,
    pub seed: u64,
}

fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Workload {
    /// Build the workload for the models in `tracked` (names from the catalogue).
    pub fn new(
        spec: &WorkloadSpec,
        catalogue: &Catalogue,
        tracked: &[&str],
    ) -> Result<Workload, WorkloadError> {
        if tracked.len() > MAX_MODELS {
            return Err(WorkloadError::Invalid(format!(
                "at most {MAX_MODELS} models can be tracked, got {}",
                tracked.len()
            )));
        }
        if !(0.0..=1.0).contains(&spec.model_noise) {
            return Err(WorkloadError::Invalid(format!(
                "workload.model_noise: expected a value in [0, 1], got {}",
                spec.model_noise
            )));
        }
        let total: f64 = spec.mix.iter().map(|(_, w)| *w).sum();
        if spec.mix.is_empty()
            || spec.mix.iter().any(|(_, w)| !(w.is_finite() && *w >= 0.0))
            || total <= 0.0
        {
            return Err(WorkloadError::Invalid(
                "workload.mix: expected non-negative weights with a positive sum".into(),
            ));
        }
        for (task, _) in &spec.mix {
            catalogue.task(task)?;
        }
        let mut models = Vec::new();
        for name in tracked {
            let m = catalogue.model(name)?;
            let accuracy = spec
                .mix
                .iter()
                .map(|(task, _)| m.accuracy_on(task, &catalogue.dir))
                .collect::<Result<Vec<_>, _>>()?;
            models.push(TrackedModel {
                name: m.name.clone(),
                family: m.family.clone(),
                accuracy,
            });
        }
        let mut families: Vec<String> = models.iter().map(|m| m.family.clone()).collect();
        families.sort();
        families.dedup();
        let family_of_model = models
            .iter()
            .map(|m| families.iter().position(|f| f == &m.family).unwrap())
            .collect();

        let mut tasks = Vec::new();
        let mut cumulative = Vec::new();
        let mut acc = 0.0;
        for (i, (task, weight)) in spec.mix.iter().enumerate() {
            let family = catalogue.task(task)?;
            let pool = LocalPool::from_catalogue(catalogue, task, spec.model_noise)?;
            let (rho, reached) = match spec.correlation {
                Correlation::Value(r) if (0.0..=1.0).contains(&r) => (r, pool.union(r)),
                Correlation::Value(r) => {
                    return Err(WorkloadError::Invalid(format!(
                        "workload.correlation: expected \"fit\" or a value in [0, 1], got {r}"
                    )))
                }
                Correlation::Fit(_) => pool.fit(family.local_solvable),
            };
            tasks.push(TaskModel {
                name: task.clone(),
                weight: weight / total,
                rho,
                solvable_target: family.local_solvable,
                solvable_reached: reached,
                thresholds: models.iter().map(|m| norm_inv(m.accuracy[i])).collect(),
            });
            acc += weight / total;
            cumulative.push(acc);
        }
        *cumulative.last_mut().unwrap() = 1.0;
        let base = |p| Stream::new(spec.seed, p);
        Ok(Workload {
            family_streams: families
                .iter()
                .map(|f| base(Purpose::FamilyNoise).substream(name_key(f)))
                .collect(),
            model_streams: models
                .iter()
                .map(|m| base(Purpose::ModelNoise).substream(name_key(&m.name)))
                .collect(),
            tasks,
            models,
            model_noise: spec.model_noise,
            cumulative,
            family_of_model,
            task_stream: base(Purpose::TaskFamily),
            difficulty: base(Purpose::Difficulty),
        })
    }

    /// Index of a tracked model.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models.iter().position(|m| m.name == name)
    }

    /// The task family and correctness of query `index`.
    #[inline]
    pub fn attributes(&self, index: u64) -> QueryAttrs {
        let u = self.task_stream.unit(index);
        let task = self
            .cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.cumulative.len() - 1);
        let t = &self.tasks[task];
        let z = self.difficulty.normal(index);
        let (a, b) = (t.rho.sqrt(), (1.0 - t.rho).sqrt());
        let (c, d) = ((1.0 - self.model_noise).sqrt(), self.model_noise.sqrt());
        // One normal per family, drawn lazily (at most 32 families; usually 2).
        let mut eta = [f64::NAN; MAX_MODELS];
        let mut solved = 0u32;
        for (m, &threshold) in t.thresholds.iter().enumerate() {
            let f = self.family_of_model[m];
            if eta[f].is_nan() {
                eta[f] = self.family_streams[f].normal(index);
            }
            let mut noise = eta[f];
            if d > 0.0 {
                noise = c * noise + d * self.model_streams[m].normal(index);
            }
            if a * z + b * noise <= threshold {
                solved |= 1 << m;
            }
        }
        QueryAttrs {
            task: task as u8,
            solved,
        }
    }
}

/// The catalogue's local pool for one task family (models with at most 20B active parameters
/// and an accuracy on it), grouped by family; used to fit `ρ`.
struct LocalPool {
    /// Per family, `Φ⁻¹(accuracy)` of each member.
    families: Vec<Vec<f64>>,
    nu: f64,
}

impl LocalPool {
    fn from_catalogue(cat: &Catalogue, task: &str, nu: f64) -> Result<LocalPool, WorkloadError> {
        let mut families = Vec::new();
        for members in cat.families().values() {
            let t: Vec<f64> = members
                .iter()
                .filter(|m| m.active_params_b <= LOCAL_ACTIVE_PARAMS_LIMIT_B)
                .filter_map(|m| m.accuracy.get(task))
                .map(|&a| norm_inv(a))
                .collect();
            if !t.is_empty() {
                families.push(t);
            }
        }
        if families.is_empty() {
            return Err(WorkloadError::Invalid(format!("no local model (<= {LOCAL_ACTIVE_PARAMS_LIMIT_B}B active) has an accuracy for task family `{task}`")));
        }
        Ok(LocalPool { families, nu })
    }

    /// P(at least one pool model answers) at correlation `rho`, by quadrature.
    fn union(&self, rho: f64) -> f64 {
        if rho >= 1.0 && self.nu == 0.0 {
            // Fully nested: the strongest pool model answers everything any other does.
            let top = self
                .families
                .iter()
                .flatten()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            return norm_cdf(top);
        }
        let rho = rho.clamp(0.0, 1.0 - 1e-9);
        let (a, b) = (rho.sqrt(), (1.0 - rho).sqrt());
        let (c, d) = ((1.0 - self.nu).sqrt(), self.nu.sqrt());
        // Near rho = 1 the integrand is almost a step in z: a fine grid keeps the error below
        // 1e-3 (the nested case is cheap; with per-model noise the inner integral smooths it).
        let n = if d < 1e-9 { 20_000 } else { 400 };
        let none = integrate_normal(n, |z| {
            self.families
                .iter()
                .map(|ts| {
                    if d < 1e-9 {
                        let top = ts.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        1.0 - norm_cdf((top - a * z) / b)
                    } else {
                        integrate_normal(200, |eta| {
                            ts.iter()
                                .map(|t| 1.0 - norm_cdf((t - a * z - b * c * eta) / (b * d)))
                                .product()
                        })
                    }
                })
                .product()
        });
        1.0 - none
    }

    /// The `rho` in [0, 1] whose union is closest to `target` (the union falls as `rho` rises),
    /// and the union it reaches.
    fn fit(&self, target: f64) -> (f64, f64) {
        let (lo_u, hi_u) = (self.union(0.0), self.union(1.0));
        if target >= lo_u {
            return (0.0, lo_u);
        }
        if target <= hi_u {
            return (1.0, hi_u);
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if self.union(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let rho = 0.5 * (lo + hi);
        (rho, self.union(rho))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn catalogue() -> Catalogue {
        Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles")).unwrap()
    }

    fn spec(correlation: Correlation, model_noise: f64) -> WorkloadSpec {
        WorkloadSpec {
            mix: vec![("wildchat".into(), 1.0), ("naturalreasoning".into(), 1.0)],
            correlation,
            model_noise,
            seed: 11,
        }
    }

    const TRACKED: [&str; 5] = [
        "Qwen3-4B",
        "Qwen3-8B",
        "Qwen3-14B",
        "GPT-OSS-20B",
        "Qwen3-235B-A22B",
    ];

    fn empirical(w: &Workload, n: u64) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut task_n = vec![0u64; w.tasks.len()];
        let mut hits = vec![vec![0u64; w.models.len()]; w.tasks.len()];
        for i in 0..n {
            let a = w.attributes(i);
            task_n[a.task as usize] += 1;
            for (m, h) in hits[a.task as usize].iter_mut().enumerate() {
                *h += u64::from(a.solved >> m & 1);
            }
        }
        let share = task_n.iter().map(|&c| c as f64 / n as f64).collect();
        let acc = hits
            .iter()
            .zip(&task_n)
            .map(|(h, &c)| h.iter().map(|&x| x as f64 / c as f64).collect())
            .collect();
        (share, acc)
    }

    #[test]
    fn each_model_answers_its_catalogue_accuracy_whatever_the_correlation() {
        let cat = catalogue();
        for (corr, nu) in [
            (Correlation::default(), 0.0),
            (Correlation::Value(0.3), 0.5),
        ] {
            let w = Workload::new(&spec(corr, nu), &cat, &TRACKED).unwrap();
            let (share, acc) = empirical(&w, 200_000);
            assert!((share[0] - 0.5).abs() < 0.005);
            for (t, task) in w.tasks.iter().enumerate() {
                for (m, model) in w.models.iter().enumerate() {
                    let want = model.accuracy[t];
                    assert!(
                        (acc[t][m] - want).abs() < 0.006,
                        "{} on {}: {} vs {}",
                        model.name,
                        task.name,
                        acc[t][m],
                        want
                    );
                }
            }
        }
    }

    #[test]
    fn capability_is_nested_within_a_family_by_default() {
        let cat = catalogue();
        let w = Workload::new(&spec(Correlation::default(), 0.0), &cat, &TRACKED).unwrap();
        let (q8, q14, q235) = (
            w.model_index("Qwen3-8B").unwrap(),
            w.model_index("Qwen3-14B").unwrap(),
            w.model_index("Qwen3-235B-A22B").unwrap(),
        );
        for i in 0..50_000 {
            let a = w.attributes(i);
            let t = &w.tasks[a.task as usize];
            // On naturalreasoning 14B (0.600) is stronger than 8B (0.579): 8B solved => 14B solved.
            let (weak, strong) = if t.thresholds[q8] <= t.thresholds[q14] {
                (q8, q14)
            } else {
                (q14, q8)
            };
            if a.solved >> weak & 1 == 1 {
                assert_eq!(a.solved >> strong & 1, 1);
                assert_eq!(
                    a.solved >> q235 & 1,
                    1,
                    "the cloud model nests above the small Qwen3 models"
                );
            }
        }
    }

    #[test]
    fn fitted_correlation_reaches_the_solvable_share_when_it_can() {
        let cat = catalogue();
        let w = Workload::new(&spec(Correlation::default(), 0.0), &cat, &TRACKED).unwrap();
        for t in &w.tasks {
            assert!((0.0..=1.0).contains(&t.rho));
            // Either the target is met or rho sits at a bound of [0, 1].
            assert!(
                (t.solvable_reached - t.solvable_target).abs() < 1e-6
                    || t.rho == 0.0
                    || t.rho == 1.0,
                "{t:?}"
            );
        }
        // With per-model noise the union grows, so a high target can be met in the interior.
        let pool = LocalPool::from_catalogue(&cat, "wildchat", 0.8).unwrap();
        let (rho, reached) = pool.fit(0.9);
        assert!(
            rho > 0.0 && rho < 1.0 && (reached - 0.9).abs() < 1e-6,
            "{rho} {reached}"
        );
    }

    #[test]
    fn the_union_has_the_closed_form_limits() {
        let pool = LocalPool::from_catalogue(&catalogue(), "wildchat", 0.0).unwrap();
        // rho = 1: the best single model (GPT-OSS-120B, 0.892); rho = 0: independent families,
        // 1 - (1 - 0.502)(1 - 0.892) with Qwen3-8B the best Qwen3 model <= 20B active.
        assert!((pool.union(1.0) - 0.892).abs() < 1e-9);
        assert!((pool.union(1.0 - 1e-6) - 0.892).abs() < 1e-3);
        assert!((pool.union(0.0) - (1.0 - 0.498 * 0.108)).abs() < 1e-6);
    }

    #[test]
    fn the_union_falls_as_correlation_rises() {
        let pool = LocalPool::from_catalogue(&catalogue(), "naturalreasoning", 0.3).unwrap();
        let u: Vec<f64> = [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|&r| pool.union(r))
            .collect();
        assert!(u.windows(2).all(|w| w[0] > w[1]), "{u:?}");
    }
}
