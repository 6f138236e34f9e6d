//! The hardware-profile catalogue: models, accelerators, task families and measured
//! (model, accelerator) service profiles, read from a `hardware-profiles/` folder.
//!
//! Layout of the folder (every number carries a `*_source` string):
//! * `models.toml`: `[[model]]` name, family, active/total parameters, release, accuracy per
//!   task family, token prices;
//! * `accelerators.toml`: `[[accelerator]]` id, tier (local/cloud), memory, bandwidth, power;
//! * `tasks.toml`: `[[task]]` task families and the share solvable by a local model;
//! * `pairs/*.toml`: one (model, accelerator) profile each, with measured batch points.

pub mod check;
pub mod harness;
pub mod mlenergy;
mod schema;
pub mod show;
pub mod write;

pub use schema::{Accelerator, BatchPoint, Fit, Model, Pair, Price, TaskFamily, Tier};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything that can go wrong loading the catalogue; each message names the file and field.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: cannot read")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: field `{field}`: {message}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("{catalogue}: unknown {what} `{name}`; the catalogue has: {known}")]
    Unknown {
        catalogue: PathBuf,
        what: &'static str,
        name: String,
        known: String,
    },
    #[error("{catalogue}: no profile for model `{model}` on accelerator `{accelerator}` (expected a file in {catalogue}/pairs/ with model = \"{model}\" and accelerator = \"{accelerator}\")")]
    MissingPair {
        catalogue: PathBuf,
        model: String,
        accelerator: String,
    },
    #[error("{catalogue}: no variant `{variant}` of model `{model}` on accelerator `{accelerator}`; the catalogue has: {known}")]
    UnknownVariant {
        catalogue: PathBuf,
        model: String,
        accelerator: String,
        variant: String,
        known: String,
    },
    #[error("{path}: {message}")]
    Import { path: PathBuf, message: String },
    #[error("{path}: batch size {batch} is outside the measured range {min}..={max}")]
    BatchOutOfRange {
        path: PathBuf,
        batch: f64,
        min: u32,
        max: u32,
    },
}

/// The loaded catalogue.
#[derive(Clone, Debug)]
pub struct Catalogue {
    pub dir: PathBuf,
    pub models: Vec<Model>,
    pub accelerators: Vec<Accelerator>,
    pub tasks: Vec<TaskFamily>,
    pub pairs: Vec<Pair>,
}

fn read_text(path: &Path) -> Result<String, ProfileError> {
    std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ProfileError> {
    toml::from_str(text).map_err(|e| ProfileError::Toml {
        path: path.to_path_buf(),
        message: crate::toml_text::one_line_error(&e, Some(text)),
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    model: Vec<Model>,
}
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceleratorsFile {
    accelerator: Vec<Accelerator>,
}
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TasksFile {
    task: Vec<TaskFamily>,
}

impl Catalogue {
    /// Load and validate the catalogue in `dir`.
    pub fn load(dir: &Path) -> Result<Catalogue, ProfileError> {
        let pairs_dir = dir.join("pairs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&pairs_dir)
            .map_err(|source| ProfileError::Io {
                path: pairs_dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut pairs = Vec::with_capacity(files.len());
        for f in files {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            pairs.push((name.unwrap_or_default(), read_text(&f)?));
        }
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self::from_texts(
            dir,
            &read_text(&dir.join("models.toml"))?,
            &read_text(&dir.join("accelerators.toml"))?,
            &read_text(&dir.join("tasks.toml"))?,
            &pairs,
        )
    }

    /// Build and validate a catalogue from the texts of its files (in memory): `models.toml`,
    /// `accelerators.toml`, `tasks.toml` and each pair file as `(file name, text)`. `dir` names
    /// the catalogue in messages (files are shown as `dir/<file>`).
    pub fn from_texts(
        dir: &Path,
        models: &str,
        accelerators: &str,
        tasks: &str,
        pairs: &[(&str, &str)],
    ) -> Result<Catalogue, ProfileError> {
        let models: ModelsFile = parse_toml(&dir.join("models.toml"), models)?;
        let accelerators: AcceleratorsFile =
            parse_toml(&dir.join("accelerators.toml"), accelerators)?;
        let tasks: TasksFile = parse_toml(&dir.join("tasks.toml"), tasks)?;
        let mut parsed = Vec::with_capacity(pairs.len());
        for (name, text) in pairs {
            let path = dir.join("pairs").join(name);
            let mut pair: Pair = parse_toml(&path, text)?;
            pair.path = path;
            parsed.push(pair);
        }
        let cat = Catalogue {
            dir: dir.to_path_buf(),
            models: models.model,
            accelerators: accelerators.accelerator,
            tasks: tasks.task,
            pairs: parsed,
        };
        cat.validate()?;
        Ok(cat)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        let models_path = self.dir.join("models.toml");
        for m in &self.models {
            m.validate(&models_path, &self.tasks)?;
        }
        let acc_path = self.dir.join("accelerators.toml");
        for a in &self.accelerators {
            a.validate(&acc_path)?;
        }
        let tasks_path = self.dir.join("tasks.toml");
        for t in &self.tasks {
            t.validate(&tasks_path)?;
        }
        for p in &self.pairs {
            p.validate()?;
            self.model(&p.model).map_err(|_| ProfileError::Invalid {
                path: p.path.clone(),
                field: "model".into(),
                message: format!("`{}` is not in models.toml", p.model),
            })?;
            self.accelerator(&p.accelerator)
                .map_err(|_| ProfileError::Invalid {
                    path: p.path.clone(),
                    field: "accelerator".into(),
                    message: format!("`{}` is not in accelerators.toml", p.accelerator),
                })?;
        }
        // Variants: unique names per pair, and exactly one default when there are several.
        for p in &self.pairs {
            let variants = self.variants(&p.model, &p.accelerator);
            if let Some(other) = variants
                .iter()
                .find(|q| q.variant == p.variant && q.path != p.path)
            {
                return Err(ProfileError::Invalid {
                    path: p.path.clone(),
                    field: "variant".into(),
                    message: format!(
                        "`{}` is also the name of {}; variant names of a pair must differ",
                        p.variant,
                        other.path.display()
                    ),
                });
            }
            let defaults = variants.iter().filter(|q| q.default).count();
            if variants.len() > 1 && defaults != 1 {
                return Err(ProfileError::Invalid {
                    path: p.path.clone(),
                    field: "default".into(),
                    message: format!(
                        "{} variants of {} on {} ({}) and {defaults} marked default = true; mark exactly one",
                        variants.len(),
                        p.model,
                        p.accelerator,
                        variants
                            .iter()
                            .map(|q| q.variant.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every variant of `model` on `accelerator`, in file order.
    pub fn variants(&self, model: &str, accelerator: &str) -> Vec<&Pair> {
        self.pairs
            .iter()
            .filter(|p| p.model == model && p.accelerator == accelerator)
            .collect()
    }

    /// Variant `variant` of `model` on `accelerator` (`None`: the default variant).
    pub fn pair_variant(
        &self,
        model: &str,
        accelerator: &str,
        variant: Option<&str>,
    ) -> Result<&Pair, ProfileError> {
        let Some(v) = variant else {
            return self.pair(model, accelerator);
        };
        let all = self.variants(model, accelerator);
        if all.is_empty() {
            return self.pair(model, accelerator);
        }
        all.iter()
            .find(|p| p.variant == v)
            .copied()
            .ok_or_else(|| ProfileError::UnknownVariant {
                catalogue: self.dir.clone(),
                model: model.into(),
                accelerator: accelerator.into(),
                variant: v.into(),
                known: all
                    .iter()
                    .map(|p| p.variant.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn unknown(&self, what: &'static str, name: &str, known: Vec<&str>) -> ProfileError {
        ProfileError::Unknown {
            catalogue: self.dir.clone(),
            what,
            name: name.to_string(),
            known: known.join(", "),
        }
    }

    /// The model called `name`.
    pub fn model(&self, name: &str) -> Result<&Model, ProfileError> {
        self.models.iter().find(|m| m.name == name).ok_or_else(|| {
            self.unknown(
                "model",
                name,
                self.models.iter().map(|m| m.name.as_str()).collect(),
            )
        })
    }

    /// The accelerator with id `id`.
    pub fn accelerator(&self, id: &str) -> Result<&Accelerator, ProfileError> {
        self.accelerators
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                self.unknown(
                    "accelerator",
                    id,
                    self.accelerators.iter().map(|a| a.id.as_str()).collect(),
                )
            })
    }

    /// The task family called `name`.
    pub fn task(&self, name: &str) -> Result<&TaskFamily, ProfileError> {
        self.tasks.iter().find(|t| t.name == name).ok_or_else(|| {
            self.unknown(
                "task family",
                name,
                self.tasks.iter().map(|t| t.name.as_str()).collect(),
            )
        })
    }

    /// The profile of `model` on `accelerator` (its default variant).
    pub fn pair(&self, model: &str, accelerator: &str) -> Result<&Pair, ProfileError> {
        self.model(model)?;
        self.accelerator(accelerator)?;
        let all = self.variants(model, accelerator);
        all.iter()
            .find(|p| p.default || all.len() == 1)
            .copied()
            .ok_or_else(|| ProfileError::MissingPair {
                catalogue: self.dir.clone(),
                model: model.to_string(),
                accelerator: accelerator.to_string(),
            })
    }

    /// Models grouped by family, in catalogue order (used by the capability model).
    pub fn families(&self) -> BTreeMap<&str, Vec<&Model>> {
        let mut out: BTreeMap<&str, Vec<&Model>> = BTreeMap::new();
        for m in &self.models {
            out.entry(m.family.as_str()).or_default().push(m);
        }
        out
    }
}

#[cfg(test)]
mod tests;
