//! Scenario files: the TOML schema, overrides, validation, and expansion of sweep axes into
//! points.
//!
//! Unknown keys are rejected with the valid ones named; relative paths are resolved against the
//! scenario file's folder, so a scenario runs the same from any working directory. Command-line
//! overrides ([`Overrides`]) are applied to the document before it is read, and every sweep
//! point ([`ScenarioPoint`]) is the scenario with its axis values applied and validated again.

pub mod axes;
pub mod decompose;
pub mod overrides;

pub use overrides::{Overrides, Setting};

use crate::metrics::FlopsParams;
use crate::router::RouterConfig;
use crate::sim::cloud::Dispatch;
use crate::sim::latency::Slo;
use crate::sim::local::Mapping;
use crate::sim::power::BelowSmallest;
use crate::toml_text::{one_line_error, set_path};
use crate::trace::TraceSpec;
use crate::workload::Correlation;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading a scenario; each names the file and the field or line.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: cannot read scenario")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: field `{field}`: {message}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
}

fn default_correlation() -> Correlation {
    Correlation::default()
}

/// The workload model's settings (see `workload`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// Task family weights, e.g. `{ wildchat = 0.5, naturalreasoning = 0.5 }`.
    pub mix: BTreeMap<String, f64>,
    #[serde(default = "default_correlation")]
    pub correlation: Correlation,
    #[serde(default)]
    pub model_noise: f64,
}

/// How queries are served.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// Per-request figures at a fixed batch size, no queueing (the paper's accounting).
    #[default]
    FixedBatch,
    /// The event-driven core: queueing, continuous batching, idle power (`fleet.local`,
    /// `fleet.cloud`).
    Event,
}

/// A device count, or `"unlimited"` (every user has a device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "DevicesRepr")]
pub enum Devices {
    Count(u32),
    #[default]
    Unlimited,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DevicesRepr {
    Count(i64),
    Word(String),
}

impl TryFrom<DevicesRepr> for Devices {
    type Error = String;
    fn try_from(r: DevicesRepr) -> Result<Self, String> {
        match r {
            DevicesRepr::Count(n) if (1..=i64::from(u32::MAX)).contains(&n) => {
                Ok(Devices::Count(n as u32))
            }
            DevicesRepr::Word(w) if w == "unlimited" => Ok(Devices::Unlimited),
            DevicesRepr::Count(n) => Err(format!(
                "expected a device count >= 1 or \"unlimited\", got {n}"
            )),
            DevicesRepr::Word(w) => Err(format!(
                "expected a device count >= 1 or \"unlimited\", got {w:?}"
            )),
        }
    }
}

impl Devices {
    pub fn count(self) -> Option<u32> {
        match self {
            Devices::Count(n) => Some(n),
            Devices::Unlimited => None,
        }
    }
}

/// One group of local devices (event service).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocalGroupSection {
    pub accelerator: String,
    #[serde(default)]
    pub devices: Devices,
    /// Pool models the group holds (each must be in `fleet.local_models`).
    pub models: Vec<String>,
}

/// The local tier of the event service.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocalFleetSection {
    /// Devices of `fleet.local_accelerator` holding every pool model (when `groups` is empty).
    #[serde(default)]
    pub devices: Devices,
    #[serde(default)]
    pub mapping: Mapping,
    /// Users for `affinity` mapping (default: one per device): each user always uses the same
    /// device; queries are spread uniformly over users (traces carry no user id).
    #[serde(default)]
    pub users: Option<u64>,
    /// Count idle power of provisioned devices (needs the accelerator's `idle_power_w`).
    #[serde(default)]
    pub idle_power: bool,
    /// Device groups of one or more accelerator kinds (instead of `devices`).
    #[serde(default)]
    pub groups: Vec<LocalGroupSection>,
}

/// One pool of cloud replicas (event service).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CloudPoolSection {
    pub accelerator: String,
    pub replicas: u32,
    pub max_batch: u32,
}

fn yes() -> bool {
    true
}

fn one_u32() -> u32 {
    1
}

/// The cloud tier of the event service.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CloudFleetSection {
    /// Replicas of `fleet.cloud_model` on `fleet.cloud_accelerator` (when `pools` is empty).
    #[serde(default = "one_u32")]
    pub replicas: u32,
    /// Continuous-batching cap (default: `fleet.cloud_batch`).
    #[serde(default)]
    pub max_batch: Option<u32>,
    #[serde(default)]
    pub dispatch: Dispatch,
    /// Count idle power of provisioned replicas (needs the accelerator's `idle_power_w`).
    #[serde(default = "yes")]
    pub idle_power: bool,
    /// Replica pools on one or more accelerator kinds (instead of `replicas`/`max_batch`).
    #[serde(default)]
    pub pools: Vec<CloudPoolSection>,
    /// Replica power below the smallest measured batch: `"hold"` (that batch's power) or
    /// `"idle-to-smallest"` (linear from idle power at batch 0).
    #[serde(default)]
    pub low_batch_power: BelowSmallest,
}

impl Default for CloudFleetSection {
    fn default() -> Self {
        CloudFleetSection {
            replicas: 1,
            max_batch: None,
            dispatch: Dispatch::default(),
            idle_power: true,
            pools: Vec::new(),
            low_batch_power: BelowSmallest::Hold,
        }
    }
}

fn one() -> f64 {
    1.0
}

/// The local pool and the cloud endpoint.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FleetSection {
    #[serde(default)]
    pub service: ServiceKind,
    pub local_accelerator: String,
    pub local_models: Vec<String>,
    #[serde(default = "one")]
    pub local_batch: f64,
    pub cloud_model: String,
    pub cloud_accelerator: String,
    pub cloud_batch: f64,
    /// Power usage effectiveness applied to cloud energy (1.0 = accelerator energy only, as
    /// the paper and ML.ENERGY measure).
    #[serde(default = "one")]
    pub pue: f64,
    /// Profile variants to use instead of the defaults, `"<model>@<accelerator>" = "<variant>"`
    /// (see `ipw-sim profile list`).
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    /// Local devices (event service only).
    #[serde(default)]
    pub local: LocalFleetSection,
    /// Cloud replicas (event service only).
    #[serde(default)]
    pub cloud: CloudFleetSection,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    #[serde(default)]
    pub flops_params: FlopsParams,
}

/// Sweep axes. `router` lists router settings; any array inside one of them (e.g.
/// `p = [0.0, 0.5, 1.0]`) expands into one point per value. Every other key is a field axis
/// (see [`axes`]).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct SweepSection {
    #[serde(default)]
    pub router: Vec<toml::Table>,
    /// Field axes, as written (dotted keys become nested tables).
    #[serde(flatten)]
    pub fields: toml::Table,
}

/// One point of a scenario's sweep.
#[derive(Clone, Debug)]
pub struct ScenarioPoint {
    /// The scenario with the point's axis values applied (its `router` set, no `[sweep]`).
    pub scenario: Scenario,
    pub router: RouterConfig,
    /// The point's value of each field axis, in axis order.
    pub axes: Vec<(String, toml::Value)>,
    /// Its configuration: the index of its combination of axis values.
    pub config: usize,
}

fn default_seed() -> u64 {
    1
}

fn default_profiles() -> PathBuf {
    PathBuf::from("../hardware-profiles")
}

/// A scenario file. Its fields are public to read; to change a parsed scenario, use
/// [`Scenario::apply`], which keeps the sweep's points consistent with the change.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The hardware-profile catalogue (relative to the scenario file).
    #[serde(default = "default_profiles")]
    pub profiles: PathBuf,
    pub trace: TraceSpec,
    pub workload: WorkloadSection,
    pub fleet: FleetSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    /// The router of a single run (`ipw-sim run`); a sweep without `sweep.router` uses it too.
    #[serde(default)]
    pub router: Option<RouterConfig>,
    #[serde(default)]
    pub sweep: SweepSection,
    /// Latency targets (event service).
    #[serde(default)]
    pub slo: Slo,
    /// The year-by-year IPW decomposition (`ipw-sim decompose`).
    #[serde(default)]
    pub decompose: Option<decompose::DecomposeSection>,
    /// What the run's figures show.
    #[serde(default)]
    pub figures: FiguresSection,
    /// The file it was read from (set by the loader).
    #[serde(skip)]
    pub path: PathBuf,
    /// The document it was read from, overrides applied (for sweep points).
    #[serde(skip)]
    doc: toml::Table,
}

/// The `[figures]` section: which figures `run` and `sweep` draw next to the results, and
/// what they show. `ipw-sim plot` reads it from the manifest's effective scenario, so
/// `--set figures.KEY=VALUE` restyles a redraw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresSection {
    /// The figures to draw; default: every kind the run's results can draw (savings needs two
    /// accuracy-router points of one rule, power the event service, a heatmap two varying
    /// dimensions).
    #[serde(default)]
    pub draw: Option<Vec<FigureKind>>,
    /// Overlay the IPW paper's published savings (Fig. 4 / Sec. 4.3: oracle and 80% router) on
    /// the savings-vs-accuracy figure.
    #[serde(default)]
    pub paper_points: bool,
    /// The strategies (point labels, e.g. `"accuracy(p=0.8)"`) the figures over time show;
    /// default: all-cloud, every oracle and the routers at p = 0.8.
    #[serde(default)]
    pub strategies: Vec<String>,
    /// The heatmap's axes and metric.
    #[serde(default)]
    pub heatmap: HeatmapSection,
    /// The PNGs' size: `"screen"` (1500 pixels wide) or `"print"` (the same layout drawn 1.5
    /// times as large: 2250 pixels, 7.5 inches at 300 dpi). SVGs are vector either way.
    #[serde(default)]
    pub size: FigureSize,
}

/// The size figures are drawn at, as `[figures] size` names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureSize {
    #[default]
    Screen,
    Print,
}

/// A figure kind, as `[figures] draw` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureKind {
    /// Savings vs router accuracy (`savings-vs-accuracy.png`).
    Savings,
    /// Cumulative energy, compute and cost over the replay per strategy (`cumulative.png`).
    Cumulative,
    /// Power over time per tier with the arrival rate (`power.png`; event service).
    Power,
    /// A metric over two varying dimensions (`heatmap.png`).
    Heatmap,
    /// SLO attainment and p99 latency against cloud replicas (`slo.png`; event service with a
    /// `fleet.cloud.replicas` axis).
    Slo,
    /// TTFT and end-to-end latency CDFs per strategy and tier (`latency.png`; event service).
    Latency,
}

/// `[figures.heatmap]`: a results column over two dimensions, each a sweep axis (its dotted
/// key) or `router_accuracy`; the first two that vary, router accuracy on y, when not given.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeatmapSection {
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
    /// A numeric column of the results table (README "Results files").
    #[serde(default = "HeatmapSection::default_metric")]
    pub metric: String,
}

impl HeatmapSection {
    fn default_metric() -> String {
        "energy_savings".into()
    }
}

impl Default for HeatmapSection {
    fn default() -> Self {
        HeatmapSection {
            x: None,
            y: None,
            metric: Self::default_metric(),
        }
    }
}

impl Scenario {
    /// Read and validate a scenario file; relative paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Self::load_with(path, &Overrides::default())
    }

    /// Read a scenario file, apply `overrides`, and validate the result.
    pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_with(path, &text, overrides)
    }

    /// Parse scenario text; `path` locates relative paths and names the file in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        Self::parse_with(path, text, &Overrides::default())
    }

    /// [`Scenario::parse`] with overrides.
    pub fn parse_with(
        path: &Path,
        text: &str,
        overrides: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        let parse_error = |message: String| ScenarioError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let doc: toml::Table =
            toml::from_str(text).map_err(|e| parse_error(one_line_error(&e, Some(text))))?;
        if !overrides.is_empty() {
            return Self::overridden(path, doc, overrides);
        }
        // Read from the text, so that errors name their line.
        let mut s: Scenario =
            toml::from_str(text).map_err(|e| parse_error(one_line_error(&e, Some(text))))?;
        s.doc = doc;
        let s = s.located(path);
        s.validate()?;
        Ok(s)
    }

    /// The scenario read from `doc` with `overrides` applied, located at `path` and validated.
    fn overridden(
        path: &Path,
        mut doc: toml::Table,
        overrides: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        let parse_error = |message: String| ScenarioError::Parse {
            path: path.to_path_buf(),
            message,
        };
        overrides.apply(&mut doc).map_err(parse_error)?;
        let s = Self::from_doc(doc)
            .map_err(|e| {
                parse_error(format!(
                    "after {}: {}",
                    overrides.describe(),
                    one_line_error(&e, None)
                ))
            })?
            .located(path);
        s.validate()?;
        Ok(s)
    }

    /// The document this scenario was read from, overrides applied: what a rerun needs.
    pub fn document(&self) -> &toml::Table {
        &self.doc
    }

    fn from_doc(doc: toml::Table) -> Result<Scenario, toml::de::Error> {
        let mut s: Scenario = toml::Value::Table(doc.clone()).try_into()?;
        s.doc = doc;
        Ok(s)
    }

    /// Set the file the scenario was read from and resolve its relative paths.
    fn located(mut self, path: &Path) -> Scenario {
        self.path = path.to_path_buf();
        let base = path.parent().unwrap_or(Path::new("."));
        self.profiles = base.join(&self.profiles);
        self.trace.path = self.trace.path.as_ref().map(|p| base.join(p));
        self
    }

    fn invalid(&self, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.clone(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_fields()?;
        self.points()?;
        Ok(())
    }

    /// Check every field but the sweep.
    fn validate_fields(&self) -> Result<(), ScenarioError> {
        if self.name.trim().is_empty() {
            return Err(self.invalid("name", "expected a non-empty name"));
        }
        // Names become folder names: keep them to one safe path component.
        let safe = self.name != "."
            && self.name != ".."
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !safe {
            return Err(self.invalid(
                "name",
                format!(
                    "{:?} is used as a folder name; use only letters, digits, '.', '_' and '-'",
                    self.name
                ),
            ));
        }
        if let Some(d) = &self.decompose {
            if let Err((field, message)) = d.validate() {
                return Err(self.invalid(&field, message));
            }
        }
        if let Err(message) = self.trace.validate() {
            let field = message.split(':').next().unwrap_or("trace").to_string();
            let message = message
                .split_once(": ")
                .map_or(message.clone(), |(_, m)| m.to_string());
            return Err(self.invalid(&field, message));
        }
        if self.workload.mix.is_empty()
            || self
                .workload
                .mix
                .values()
                .any(|w| !(w.is_finite() && *w >= 0.0))
            || self.workload.mix.values().sum::<f64>() <= 0.0
        {
            return Err(self.invalid("workload.mix", "expected task-family weights >= 0 with a positive sum, e.g. { wildchat = 0.5, naturalreasoning = 0.5 }"));
        }
        if let Correlation::Value(r) = self.workload.correlation {
            if !(0.0..=1.0).contains(&r) {
                return Err(self.invalid(
                    "workload.correlation",
                    format!("expected \"fit\" or a value in [0, 1], got {r}"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.workload.model_noise) {
            return Err(self.invalid("workload.model_noise", "expected a value in [0, 1]"));
        }
        let f = &self.fleet;
        if f.local_models.is_empty() {
            return Err(self.invalid("fleet.local_models", "expected at least one local model"));
        }
        if f.local_models.len() >= crate::workload::MAX_MODELS {
            return Err(self.invalid(
                "fleet.local_models",
                format!("at most {} local models", crate::workload::MAX_MODELS - 1),
            ));
        }
        for (field, v) in [
            ("fleet.local_batch", f.local_batch),
            ("fleet.cloud_batch", f.cloud_batch),
        ] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(self.invalid(field, format!("expected a batch size >= 1, got {v}")));
            }
        }
        if !(f.pue.is_finite() && f.pue >= 1.0) {
            return Err(self.invalid("fleet.pue", format!("expected a PUE >= 1.0, got {}", f.pue)));
        }
        for (field, v) in [
            ("slo.ttft_s", self.slo.ttft_s),
            ("slo.e2e_s", self.slo.e2e_s),
        ] {
            if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                return Err(self.invalid(field, "expected a positive number of seconds"));
            }
        }
        if f.service == ServiceKind::FixedBatch
            && (f.local != LocalFleetSection::default()
                || f.cloud != CloudFleetSection::default()
                || self.slo != Slo::default())
        {
            return Err(self.invalid(
                "fleet.service",
                "fleet.local, fleet.cloud and slo are settings of the event service; set fleet.service = \"event\" or remove them",
            ));
        }
        const MAX_DEVICES: u32 = 10_000_000;
        const MAX_REPLICAS: u32 = 100_000;
        const MAX_BATCH: u32 = 65_536;
        let devices = |d: Devices| d.count().unwrap_or(0);
        if devices(f.local.devices) > MAX_DEVICES
            || f.local
                .groups
                .iter()
                .any(|g| devices(g.devices) > MAX_DEVICES)
        {
            return Err(self.invalid(
                "fleet.local.devices",
                format!("at most {MAX_DEVICES} devices per group (use \"unlimited\" for every user having one)"),
            ));
        }
        if f.local.users == Some(0) {
            return Err(self.invalid("fleet.local.users", "expected at least 1 user"));
        }
        let c = &f.cloud;
        let total_replicas: u64 = if c.pools.is_empty() {
            u64::from(c.replicas)
        } else {
            c.pools.iter().map(|p| u64::from(p.replicas)).sum()
        };
        if total_replicas > u64::from(MAX_REPLICAS) {
            return Err(self.invalid(
                "fleet.cloud.replicas",
                format!("at most {MAX_REPLICAS} replicas in all"),
            ));
        }
        if c.max_batch.is_some_and(|b| b > MAX_BATCH)
            || c.pools.iter().any(|p| p.max_batch > MAX_BATCH)
        {
            return Err(self.invalid("fleet.cloud.max_batch", format!("at most {MAX_BATCH}")));
        }
        if c.pools.is_empty() && c.replicas == 0 {
            return Err(self.invalid("fleet.cloud.replicas", "expected at least 1 replica"));
        }
        if c.max_batch == Some(0) {
            return Err(self.invalid("fleet.cloud.max_batch", "expected a batch cap >= 1"));
        }
        for (i, p) in c.pools.iter().enumerate() {
            if p.replicas == 0 || p.max_batch == 0 {
                return Err(self.invalid(
                    &format!("fleet.cloud.pools[{i}]"),
                    "expected replicas >= 1 and max_batch >= 1",
                ));
            }
        }
        for (i, g) in f.local.groups.iter().enumerate() {
            if let Some(m) = g.models.iter().find(|m| !f.local_models.contains(m)) {
                return Err(self.invalid(
                    &format!("fleet.local.groups[{i}].models"),
                    format!("`{m}` is not in fleet.local_models"),
                ));
            }
        }
        if let Some(m) = f.local_models.iter().find(|m| {
            !f.local.groups.is_empty() && !f.local.groups.iter().any(|g| g.models.contains(m))
        }) {
            return Err(self.invalid(
                "fleet.local.groups",
                format!("no group holds the pool model `{m}`"),
            ));
        }
        if let Some(k) = f.variants.keys().find(|k| {
            k.split_once('@')
                .is_none_or(|(m, a)| m.is_empty() || a.is_empty())
        }) {
            return Err(self.invalid(
                &format!("fleet.variants.{k:?}"),
                "expected keys \"<model>@<accelerator>\", e.g. \"Qwen3-8B@apple-m4-max\" = \"table17-240w\"",
            ));
        }
        if let Some(r) = &self.router {
            r.validate().map_err(|m| self.invalid("router", m))?;
        }
        Ok(())
    }

    /// The sweep's field axes (dotted keys and values), in axis order.
    pub fn axes(&self) -> Result<Vec<axes::Axis>, ScenarioError> {
        axes::axes(&self.sweep.fields).map_err(|(field, message)| self.invalid(&field, message))
    }

    /// The dotted keys of the sweep's field axes.
    pub fn axis_keys(&self) -> Vec<String> {
        self.axes()
            .map(|a| a.into_iter().map(|x| x.key).collect())
            .unwrap_or_default()
    }

    /// Every point of the sweep: each combination of axis values (a configuration), crossed
    /// with the router settings in file order. Each point's scenario is validated.
    pub fn points(&self) -> Result<Vec<ScenarioPoint>, ScenarioError> {
        let routers = self.routers()?;
        let axes = self.axes()?;
        if !axes.is_empty() {
            self.check_fields_match_document()?;
        }
        let mut out = Vec::new();
        for (config, combo) in axes::combinations(&axes).into_iter().enumerate() {
            let base = self.with_values(&axes, &combo)?;
            for r in &routers {
                let mut scenario = base.clone();
                scenario.router = Some(r.clone());
                out.push(ScenarioPoint {
                    scenario,
                    router: r.clone(),
                    axes: combo.clone(),
                    config,
                });
            }
        }
        Ok(out)
    }

    /// Axis points are rebuilt from the scenario's document; refuse a scenario whose fields
    /// were changed in Rust after parsing (change it with [`Scenario::apply`] instead).
    fn check_fields_match_document(&self) -> Result<(), ScenarioError> {
        let mut doc = self.doc.clone();
        doc.remove("sweep");
        let mut again = Self::from_doc(doc)
            .map_err(|e| self.invalid("sweep", one_line_error(&e, None)))?
            .located(&self.path);
        again.sweep = self.sweep.clone();
        again.doc = self.doc.clone();
        if again != *self {
            return Err(self.invalid(
                "sweep",
                "fields were changed after parsing, and sweep points are rebuilt from the scenario's text; change a parsed scenario with Scenario::apply",
            ));
        }
        Ok(())
    }

    /// Apply `overrides` to a parsed scenario (re-read from its document and validated, so
    /// that sweep points see the change).
    pub fn apply(&mut self, overrides: &Overrides) -> Result<(), ScenarioError> {
        *self = Self::overridden(&self.path, self.doc.clone(), overrides)?;
        Ok(())
    }

    /// The scenario with one value per axis (`values`, in axis order) applied and `[sweep]`
    /// removed, validated.
    fn with_values(
        &self,
        axes: &[axes::Axis],
        values: &[(String, toml::Value)],
    ) -> Result<Scenario, ScenarioError> {
        let mut s = if values.is_empty() {
            self.clone()
        } else {
            let at =
                |m: String| self.invalid("sweep", format!("at {}: {m}", axes::describe(values)));
            let mut doc = self.doc.clone();
            doc.remove("sweep");
            for (axis, (_, v)) in axes.iter().zip(values) {
                set_path(&mut doc, &axis.path, v.clone()).map_err(at)?;
            }
            let s = Self::from_doc(doc)
                .map_err(|e| at(one_line_error(&e, None)))?
                .located(&self.path);
            s.validate_fields().map_err(|e| {
                at(match e {
                    ScenarioError::Invalid { field, message, .. } => {
                        format!("field `{field}`: {message}")
                    }
                    other => other.to_string(),
                })
            })?;
            s
        };
        s.sweep = SweepSection::default();
        s.doc.remove("sweep");
        Ok(s)
    }

    /// The sweep's router settings, in file order (the single `router` when no sweep is given).
    pub fn routers(&self) -> Result<Vec<RouterConfig>, ScenarioError> {
        if self.sweep.router.is_empty() {
            return self.router.clone().map(|r| vec![r]).ok_or_else(|| {
                self.invalid(
                    "router",
                    "expected a [router] table or a [sweep] router list",
                )
            });
        }
        let mut out = Vec::new();
        for (i, table) in self.sweep.router.iter().enumerate() {
            let field = format!("sweep.router[{i}]");
            if let Some((k, _)) = table
                .iter()
                .find(|(_, v)| v.as_array().is_some_and(|a| a.is_empty()))
            {
                return Err(self.invalid(
                    &format!("{field}.{k}"),
                    "an empty list gives no points; list at least one value",
                ));
            }
            for expanded in expand_arrays(table) {
                let r: RouterConfig = toml::Value::Table(expanded)
                    .try_into()
                    .map_err(|e: toml::de::Error| self.invalid(&field, one_line_error(&e, None)))?;
                r.validate().map_err(|m| self.invalid(&field, m))?;
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Expand every array-valued entry of `table` into the cartesian product of its values: keys
/// in alphabetical order, the first key varying slowest, values in file order.
fn expand_arrays(table: &toml::Table) -> Vec<toml::Table> {
    let mut out = vec![toml::Table::new()];
    for (k, v) in table {
        let values: Vec<toml::Value> = match v {
            toml::Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        out = out
            .into_iter()
            .flat_map(|t| {
                values.iter().map(move |v| {
                    let mut t = t.clone();
                    t.insert(k.clone(), v.clone());
                    t
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests;

impl FleetSection {
    /// The variant the scenario picks for `model` on `accelerator` (`None`: the default).
    pub fn variant(&self, model: &str, accelerator: &str) -> Option<&str> {
        self.variants
            .get(&format!("{model}@{accelerator}"))
            .map(String::as_str)
    }
}
