//! The command-line interface, end to end: what a user types and what lands on disk.

use assert_cmd::Command;
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ipw() -> Command {
    let mut c = Command::cargo_bin("ipw-sim").unwrap();
    c.current_dir(root());
    c
}

fn stderr_of(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected failure, got {:?}",
        out.status
    );
    String::from_utf8(out.stderr).unwrap()
}

/// A scenario file in `dir` based on the shipped paper scenario with `edit` applied; the trace
/// and profiles it names point back into the repository.
fn scenario_in(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/paper-fig4.toml")).unwrap();
    let text = text
        .replace(
            "\"../hardware-profiles\"",
            &format!("{:?}", root().join("hardware-profiles")),
        )
        .replace(
            "\"../traces/azure/AzureLLMInferenceTrace_conv_2023.csv\"",
            &format!(
                "{:?}",
                root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv")
            ),
        );
    let path = dir.join("s.toml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

#[test]
fn sweep_writes_csv_and_parquet_with_one_row_per_point_and_prints_savings() {
    let out = tempfile::tempdir().unwrap();
    let assert = ipw()
        .args([
            "sweep",
            "scenarios/paper-fig4.toml",
            "--queries",
            "20000",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("oracle")
            && stdout.contains("accuracy(p=0.8)")
            && stdout.contains("energy%"),
        "{stdout}"
    );
    let dir = out.path().join("paper-fig4");
    let csv = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(dir.join("results.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let parquet = ParquetReader::new(std::fs::File::open(dir.join("results.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(csv.height(), 15);
    assert_eq!(parquet.height(), 15);
    // Both scopes: the datacenter columns are there, and the energy-optimal oracle never
    // spends more energy than all-cloud.
    let labels: Vec<String> = (0..parquet.height())
        .map(|i| {
            parquet
                .column("label")
                .unwrap()
                .str()
                .unwrap()
                .get(i)
                .unwrap()
                .to_string()
        })
        .collect();
    let row = |label: &str| labels.iter().position(|l| *l == label).unwrap();
    let col = |c: &str, row: usize| parquet.column(c).unwrap().f64().unwrap().get(row).unwrap();
    assert!(col("dc_energy_savings", row("oracle")) > col("energy_savings", row("oracle")));
    assert!(col("energy_savings", row("oracle(optimal)")) >= 0.0);
    let savings = parquet
        .column("energy_savings")
        .unwrap()
        .f64()
        .unwrap()
        .get(1)
        .unwrap();
    let label = parquet
        .column("label")
        .unwrap()
        .str()
        .unwrap()
        .get(1)
        .unwrap()
        .to_string();
    assert_eq!(label, "oracle");
    assert!(savings > 0.0 && savings < 1.0);
    assert_eq!(
        parquet.column("queries").unwrap().u64().unwrap().get(0),
        Some(20_000)
    );
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn output_files_are_byte_identical_whatever_the_thread_count() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        ipw()
            .args([
                "sweep",
                "scenarios/paper-fig4.toml",
                "--queries",
                "150000",
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path())
            .assert()
            .success();
    }
    for f in ["results.csv", "results.parquet"] {
        let x = std::fs::read(a.path().join("paper-fig4").join(f)).unwrap();
        let y = std::fs::read(b.path().join("paper-fig4").join(f)).unwrap();
        assert!(x == y, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn run_evaluates_the_scenarios_single_router() {
    let out = tempfile::tempdir().unwrap();
    let assert = ipw()
        .args([
            "run",
            "scenarios/paper-fig4.toml",
            "--queries",
            "5000",
            "-q",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("accuracy(") || l.starts_with("oracle"))
        .collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert!(rows[0].starts_with("accuracy(p=0.8)"));
}

#[test]
fn calibrate_prints_the_three_comparisons() {
    let assert = ipw()
        .args([
            "calibrate",
            "scenarios/paper-fig4.toml",
            "--sample",
            "20000",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("1. accuracy per model"));
    assert!(stdout.contains("2. share answered by at least one local model"));
    assert!(stdout.contains("3. oracle compute savings"));
    assert!(stdout.contains("GPT-OSS-20B") && stdout.contains("Table 4"));
}

#[test]
fn breakeven_writes_a_row_per_local_pair_and_applies_pue_to_the_cloud_only() {
    let dir = tempfile::tempdir().unwrap();
    let table = |pue: &str| {
        let out = dir.path().join(pue);
        let assert = ipw()
            .args(["breakeven", "scenarios/paper-fig4.toml", "--sample", "2000"])
            .args(["--set", &format!("fleet.pue={pue}"), "--out"])
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(
            stdout.contains("* GPT-OSS-20B@apple-m4-max table2-proxy"),
            "{stdout}"
        );
        assert!(
            out.join("manifest.json").is_file() && out.join("breakeven-grid.parquet").is_file()
        );
        assert!(out.join("breakeven.png").is_file() && out.join("breakeven.svg").is_file());
        let file = std::fs::File::open(out.join("breakeven.parquet")).unwrap();
        ParquetReader::new(file).finish().unwrap()
    };
    let (one, two) = (table("1.0"), table("2.0"));
    // One row per local-tier pair variant of the catalogue.
    let cat = ipw_sim::profile::Catalogue::load(&root().join("hardware-profiles")).unwrap();
    let local = cat
        .pairs
        .iter()
        .filter(|p| cat.accelerator(&p.accelerator).unwrap().tier == ipw_sim::profile::Tier::Local)
        .count();
    assert_eq!(one.height(), local);
    let col = |t: &DataFrame, c: &str| -> Vec<f64> {
        t.column(c)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    // PUE multiplies the cloud's joules and leaves the devices' alone.
    for c in ["cloud_j_per_prompt_token", "cloud_j_per_response_token"] {
        for (a, b) in col(&one, c).iter().zip(col(&two, c)) {
            assert!((b / a - 2.0).abs() < 1e-12, "{c}: {a} -> {b}");
        }
    }
    assert_eq!(
        col(&one, "j_per_response_token"),
        col(&two, "j_per_response_token")
    );
    // A dearer cloud makes local cheaper for at least as many queries, for every pair.
    for (a, b) in col(&one, "cheaper_share")
        .iter()
        .zip(col(&two, "cheaper_share"))
    {
        assert!(b >= *a);
    }
}

#[test]
fn decompose_chooses_each_years_pair_and_writes_its_tables() {
    let out = tempfile::tempdir().unwrap();
    let assert = ipw()
        .args([
            "decompose",
            "scenarios/decompose-local.toml",
            "--sample",
            "2000",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("IPW 2023-2025: 5.28 = paper: 3.07 x 1.72"),
        "{stdout}"
    );
    let years =
        ParquetReader::new(std::fs::File::open(out.path().join("decompose.parquet")).unwrap())
            .finish()
            .unwrap();
    let col = |c: &str| -> Vec<String> {
        (0..years.height())
            .map(|i| {
                years
                    .column(c)
                    .unwrap()
                    .get(i)
                    .unwrap()
                    .to_string()
                    .trim_matches('"')
                    .to_string()
            })
            .collect()
    };
    // By the paper's criterion (the most accurate model released by then, on the local
    // accelerator giving it the highest IPW), 2024 is Llama-3.1-8B on the Mac mini M4
    // measured at the wall (30.1 W), not the paper's RTX 6000 Ada (270.6 W).
    assert_eq!(
        col("model"),
        ["Mixtral-8x7B", "Llama-3.1-8B", "GPT-OSS-120B"]
    );
    assert_eq!(
        col("accelerator"),
        ["nvidia-quadro-rtx-6000", "apple-m4", "apple-m4-max"]
    );
    assert_eq!(col("given"), ["false", "false", "false"]);
    for f in [
        "decompose-factors.csv",
        "decompose-coverage.parquet",
        "decompose-pairs.parquet",
        "decompose.png",
        "decompose.svg",
        "manifest.json",
    ] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    // The figure draws the years' pairs.
    let svg = std::fs::read_to_string(out.path().join("decompose.svg")).unwrap();
    assert!(svg.contains("GPT-OSS-120B @ apple-m4-max"), "decompose.svg");
    // Every candidate pair, by the year it became possible: the chosen ones among them with
    // the same IPW, each no later than its year (2024's Llama-3.1-8B on the M4 from 2024).
    let pairs = std::fs::read_to_string(out.path().join("decompose-pairs.csv")).unwrap();
    let years_csv = std::fs::read_to_string(out.path().join("decompose.csv")).unwrap();
    let field = |line: &str, k: usize| line.split(',').nth(k).unwrap().to_string();
    for chosen in years_csv.lines().skip(1) {
        let (year, model, acc, ipw) = (
            field(chosen, 0),
            field(chosen, 1),
            field(chosen, 2),
            field(chosen, 11),
        );
        let row = pairs
            .lines()
            .find(|l| field(l, 2) == model && field(l, 3) == acc)
            .unwrap_or_else(|| panic!("{model} on {acc} not in decompose-pairs.csv"));
        assert_eq!(field(row, 7), ipw, "{row}");
        assert!(field(row, 0) <= year, "{row}");
    }
    assert!(
        pairs.contains("2024,llama-3.1,Llama-3.1-8B,apple-m4,"),
        "{pairs}"
    );
    // A scenario without the section is refused in one line.
    let err = stderr_of(ipw().args(["decompose", "scenarios/paper-fig4.toml", "--sample", "10"]));
    assert!(
        err.lines().count() == 1 && err.contains("no [decompose] section"),
        "{err}"
    );
}

#[test]
fn validate_fails_with_exit_code_1_and_names_the_check_when_a_published_number_is_missed() {
    // The shipped scenarios with Table 2's 2025 pair changed to Qwen3-32B on the M4 Max: the
    // 2025 IPW and every gain to 2025 miss the paper's.
    let dir = tempfile::tempdir().unwrap();
    let absolute = |t: String| {
        t.replace(
            "\"../hardware-profiles\"",
            &format!("{:?}", root().join("hardware-profiles")),
        )
        .replace(
            "\"../traces/azure/AzureLLMInferenceTrace_conv_2023.csv\"",
            &format!(
                "{:?}",
                root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv")
            ),
        )
    };
    for f in ["paper-fig4.toml", "paper-table2.toml"] {
        let text = absolute(std::fs::read_to_string(root().join("scenarios").join(f)).unwrap())
            .replace(
                "model = \"GPT-OSS-120B\", accelerator",
                "model = \"Qwen3-32B\", accelerator",
            );
        std::fs::write(dir.path().join(f), text).unwrap();
    }
    let out = ipw()
        .arg("validate")
        .arg("--scenarios")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("check(s) failed") && stderr.contains("IPW 2025 (Qwen3-32B"),
        "{stderr}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains("Pollaczek-Khinchine"),
        "{stdout}"
    );
    // The table is written even when checks fail.
    assert!(dir.path().join("out/validate.csv").is_file());
}

/// The figure files (PNG and SVG) in `dir`, sorted.
fn figure_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
        .collect();
    names.sort();
    names
}

#[test]
fn plot_redraws_the_figures_a_sweep_wrote_byte_for_byte() {
    let out = tempfile::tempdir().unwrap();
    // paper-fig4: fixed batch over a day; fleet-mix stretched to a day (--queries adds a 24 h
    // horizon) so the event service's figures over time are drawn too.
    for (scenario, queries, figures) in [
        (
            "paper-fig4",
            "20000",
            &["cumulative", "savings-vs-accuracy"][..],
        ),
        (
            "fleet-mix",
            "30000",
            &[
                "cumulative",
                "heatmap",
                "latency",
                "power",
                "savings-vs-accuracy",
                "slo",
            ][..],
        ),
    ] {
        ipw()
            .args([
                "sweep",
                &format!("scenarios/{scenario}.toml"),
                "--queries",
                queries,
                "-q",
                "--out",
            ])
            .arg(out.path())
            .assert()
            .success();
        let dir = out.path().join(scenario);
        let again = out.path().join(format!("{scenario}-plot"));
        ipw()
            .arg("plot")
            .arg(&dir)
            .arg("--out")
            .arg(&again)
            .assert()
            .success();
        let expected: Vec<String> = figures
            .iter()
            .flat_map(|f| [format!("{f}.png"), format!("{f}.svg")])
            .collect();
        assert_eq!(figure_files(&dir), expected, "{scenario}");
        assert_eq!(figure_files(&again), expected, "{scenario}");
        for name in &expected {
            let (a, b) = (
                std::fs::read(dir.join(name)).unwrap(),
                std::fs::read(again.join(name)).unwrap(),
            );
            assert!(a.len() > 1000 && a == b, "{scenario} {name}");
        }
        // The sweep's manifest lists the figures with their hashes.
        let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        assert!(manifest.contains("savings-vs-accuracy.png"), "{scenario}"); // The series sums, point by point, to the results row's queries, FLOPs and cost, and
                                                                             // to its attributed energy.
        let (results, series) = (
            parquet(&dir.join("results.parquet")),
            parquet(&dir.join("series.parquet")),
        );
        let energy = if scenario == "fleet-mix" {
            "attributed_energy_kwh"
        } else {
            "energy_kwh"
        };
        let col = |t: &DataFrame, c: &str| -> Vec<f64> {
            let c = t.column(c).unwrap().cast(&DataType::Float64).unwrap();
            c.f64().unwrap().into_no_null_iter().collect()
        };
        let point = col(&series, "point");
        let sums = |c: &str| -> Vec<f64> {
            let v = col(&series, c);
            let mut out = vec![0.0; results.height()];
            for (p, x) in point.iter().zip(v) {
                out[*p as usize] += x;
            }
            out
        };
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-9 * y.abs().max(1.0))
        };
        assert_eq!(sums("arrivals"), col(&results, "queries"), "{scenario}");
        assert!(close(&sums("flops"), &col(&results, "flops")), "{scenario}");
        assert!(
            close(&sums("cost_usd"), &col(&results, "cost_usd")),
            "{scenario}"
        );
        let kwh: Vec<f64> = sums("energy_j").iter().map(|j| j / 3.6e6).collect();
        assert!(close(&kwh, &col(&results, energy)), "{scenario}");
    }
    // --set re-selects: only the heatmap, of another metric, which the SVG names.
    let only = out.path().join("heatmap-only");
    ipw()
        .arg("plot")
        .arg(out.path().join("fleet-mix"))
        .args([
            "--set",
            "figures.draw=[\"heatmap\"]",
            "--set",
            "figures.heatmap.metric=cost_savings",
            "--out",
        ])
        .arg(&only)
        .assert()
        .success();
    assert_eq!(figure_files(&only), ["heatmap.png", "heatmap.svg"]);
    let svg = std::fs::read_to_string(only.join("heatmap.svg")).unwrap();
    assert!(svg.contains("cost_savings by router_accuracy"), "caption");
    // A figure asked for that the results cannot draw, and a key outside [figures], are
    // refused in one line.
    let err = stderr_of(
        ipw()
            .arg("plot")
            .arg(out.path().join("paper-fig4"))
            .args(["--set", "figures.draw=[\"power\"]", "--out"])
            .arg(&only),
    );
    assert!(
        err.lines().count() == 1 && err.contains("figure `power`") && err.contains("event-service"),
        "{err}"
    );
    let err = stderr_of(
        ipw()
            .arg("plot")
            .arg(out.path().join("paper-fig4"))
            .args(["--set", "fleet.pue=2"]),
    );
    assert!(
        err.lines().count() == 1 && err.contains("figures.*"),
        "{err}"
    );
    // A folder without results is refused in one line.
    let err = stderr_of(ipw().arg("plot").arg(out.path()));
    assert!(
        err.lines().count() == 1 && err.contains("results.parquet"),
        "{err}"
    );
}

#[test]
fn a_bad_scenario_key_gives_one_line_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_in(dir.path(), |t| {
        t.replace("cloud_batch = 16", "cloud_batch = 16\ncloud_gpus = 8")
    });
    let err = stderr_of(ipw().arg("sweep").arg(&s));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("s.toml: line")
            && err.contains("cloud_gpus")
            && err.contains("expected one of"),
        "{err}"
    );
}

#[test]
fn a_missing_profile_names_the_pair_and_where_it_should_be() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_in(dir.path(), |t| {
        t.replace("\"GPT-OSS-20B\"]", "\"Qwen3-235B-A22B\"]")
    });
    let err = stderr_of(ipw().arg("sweep").arg(&s));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no profile for model `Qwen3-235B-A22B` on accelerator `apple-m4-max`")
            && err.contains("pairs/"),
        "{err}"
    );
}

#[test]
fn a_trace_with_a_missing_column_names_the_file_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.csv");
    std::fs::write(
        &trace,
        "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.68,374\n",
    )
    .unwrap();
    let s = scenario_in(dir.path(), |t| {
        t.replace(
            &format!(
                "{:?}",
                root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv")
            ),
            "\"t.csv\"",
        )
    });
    let err = stderr_of(ipw().arg("sweep").arg(&s));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("t.csv: missing column `GeneratedTokens`"),
        "{err}"
    );
}

#[test]
fn a_failed_run_leaves_no_partial_results() {
    let out = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = scenario_in(dir.path(), |t| {
        t.replace("local_batch = 1", "local_batch = 4")
    });
    let err = stderr_of(ipw().arg("sweep").arg(&s).arg("--out").arg(out.path()));
    assert!(
        err.contains("batch size 4 is outside the measured range 1..=1"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn trace_synth_writes_a_file_that_trace_inspect_reads_and_draws() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("day.csv");
    let png = dir.path().join("day.png");
    ipw()
        .args([
            "trace",
            "synth",
            "--per-day",
            "50000",
            "--days",
            "1",
            "--seed",
            "4",
            "--set",
            "failure_rate=0.02",
            "--out",
        ])
        .arg(&csv)
        .assert()
        .success();
    let assert = ipw()
        .args(["trace", "inspect"])
        .arg(&csv)
        .arg("traces/azure/AzureLLMInferenceTrace_conv_2023.csv")
        .arg("--png")
        .arg(&png)
        .arg("--svg")
        .arg(dir.path().join("day.svg"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("inter-arrival CV")
            && stdout.contains("day.csv")
            && stdout.contains("hour 23 share"),
        "{stdout}"
    );
    let rows: u64 = stdout
        .lines()
        .find(|l| l.starts_with("rows"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((45_000..52_000).contains(&rows), "{rows}");
    // A real PNG: the signature and a 1500 x 824 header (the style's width; panels, a
    // one-row legend of the two traces and the caption).
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1500);
    assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 824);
    // At print size, the same figure 1.5 times as large.
    let print = dir.path().join("print.png");
    ipw()
        .args(["trace", "inspect", "--print", "--png"])
        .arg(&print)
        .arg(&csv)
        .assert()
        .success();
    let bytes = std::fs::read(&print).unwrap();
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 2250);
    // The SVG names both traces in its legend and caption.
    let svg = std::fs::read_to_string(dir.path().join("day.svg")).unwrap();
    assert!(
        svg.contains("day.csv: ")
            && svg.contains("AzureLLMInferenceTrace_conv_2023.csv: 19366 requests"),
        "day.svg"
    );
}

#[test]
fn a_scenario_name_that_is_not_a_plain_folder_name_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let err = stderr_of(
        ipw()
            .args([
                "sweep",
                "scenarios/paper-fig4.toml",
                "--queries",
                "100",
                "--set",
                "name=../escape",
                "--out",
            ])
            .arg(out.path()),
    );
    assert!(err.contains("field `name`"), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn strs(t: &DataFrame, name: &str) -> Vec<String> {
    let c = t.column(name).unwrap().str().unwrap().clone();
    (0..c.len())
        .map(|i| c.get(i).unwrap_or_default().to_string())
        .collect()
}

fn f64s(t: &DataFrame, name: &str) -> Vec<f64> {
    t.column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

#[test]
fn every_shipped_scenario_runs_and_writes_one_finite_row_per_point() {
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let out = tempfile::tempdir().unwrap();
        // Small volumes: a synthetic quarter hour, or 2,000 queries of a file.
        let volume: [&str; 2] = if text.contains("[trace.synth]") {
            ["--set", "trace.synth.days=0.001"]
        } else if text.contains("horizon_hours") {
            ["--queries", "2000"]
        } else {
            ["--set", "trace.ties=\"keep\""]
        };
        let run = ipw()
            .arg("sweep")
            .arg(&path)
            .args(volume)
            .args(["--quiet", "--out"])
            .arg(out.path())
            .assert()
            .success();
        let stdout = String::from_utf8(run.get_output().stdout.clone()).unwrap();
        assert!(stdout.starts_with(&format!("scenario {name}:")), "{stdout}");
        let t = parquet(&out.path().join(&name).join("results.parquet"));
        // One row per printed point, every point on the same (positive) number of queries.
        let printed = stdout
            .lines()
            .skip(2)
            .take_while(|l| !l.starts_with("savings"))
            .count();
        assert!(
            printed >= 1 && t.height() == printed,
            "{name}: {} rows, {printed} printed",
            t.height()
        );
        let queries = f64s(&t, "queries");
        assert!(
            queries[0] > 0.0 && queries.iter().all(|q| *q == queries[0]),
            "{name}"
        );
        if volume[0] == "--queries" {
            assert_eq!(queries[0], 2000.0, "{name}");
        }
        for col in [
            "energy_kwh",
            "flops",
            "cost_usd",
            "accuracy",
            "ipw",
            "ipj",
            "mean_power_w",
        ] {
            let v = f64s(&t, col);
            assert!(
                v.iter().all(|x| x.is_finite() && *x > 0.0),
                "{name}: {col} {v:?}"
            );
        }
        for col in [
            "energy_savings",
            "compute_savings",
            "cost_savings",
            "local_share",
        ] {
            assert!(f64s(&t, col).iter().all(|x| x.is_finite()), "{name}: {col}");
        }
        // All-cloud rows save nothing against themselves.
        for (i, r) in strs(&t, "router").iter().enumerate() {
            if r == "all-cloud" {
                assert_eq!(f64s(&t, "energy_savings")[i], 0.0, "{name}");
                assert_eq!(f64s(&t, "local_share")[i], 0.0, "{name}");
            }
        }
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} shipped scenarios");
}

/// A copy of the Azure conversation trace's first `rows` rows with row `bad` (1-based, after
/// the header) made malformed, and a paper scenario streaming it (no loop and compress).
fn scenario_with_bad_row(dir: &Path, rows: usize, bad: usize) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv"))
            .unwrap();
    let mut lines: Vec<String> = text.lines().take(rows + 1).map(str::to_string).collect();
    lines[bad] = lines[bad]
        .replacen(',', ",twelve,", 1)
        .replacen(",twelve,", ",x", 1);
    let trace = dir.join("bad.csv");
    std::fs::write(&trace, lines.join("\n") + "\n").unwrap();
    scenario_in(dir, |s| {
        s.replace(
            &format!(
                "{:?}",
                root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv")
            ),
            &format!("{trace:?}"),
        )
        .replace("queries = 80_200_000\n", "")
        .replace("horizon_hours = 24.0\n", "")
    })
}

#[test]
fn run_and_sweep_honour_skip_invalid_on_a_trace_with_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with_bad_row(dir.path(), 100, 7);
    for command in ["run", "sweep"] {
        let out = dir.path().join(format!("out-{command}"));
        // Without the flag the bad row stops the run, naming its line (header = line 1).
        let err = stderr_of(
            ipw()
                .arg(command)
                .arg(&scenario)
                .arg("--out")
                .arg(&out)
                .arg("-q"),
        );
        assert!(err.contains("bad.csv:8"), "{command}: {err}");
        let run = ipw()
            .arg(command)
            .arg(&scenario)
            .args(["--skip-invalid", "-q", "--out"])
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains("bad.csv: 1 malformed rows were skipped"),
            "{command}: {stderr}"
        );
        let results = if command == "run" {
            out.join("results.parquet")
        } else {
            out.join("paper-fig4").join("results.parquet")
        };
        assert_eq!(f64s(&parquet(&results), "queries")[0], 99.0, "{command}");
    }
}

#[test]
fn queries_combines_with_a_set_horizon_and_with_any_other_set() {
    let out = tempfile::tempdir().unwrap();
    // --queries alone loops and compresses over 24 h; a --set horizon is kept, not refused.
    let run = ipw()
        .args([
            "run",
            "scenarios/fleet-azure-conv.toml",
            "--queries",
            "3000",
            "--set",
            "trace.horizon_hours=0.5",
            "--set",
            "fleet.cloud.replicas=3",
            "-q",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("1 points x 3000 queries"), "{stderr}");
    let t = parquet(&out.path().join("results.parquet"));
    assert_eq!(f64s(&t, "queries"), [3000.0]);
    // Arrivals over half an hour (a 24 h horizon would span a day); the run ends when the
    // last query completes, within minutes of the last arrival.
    let span = f64s(&t, "span_s")[0];
    assert!((1770.0..3600.0).contains(&span), "span {span}");
    // A --set that is not KEY=VALUE is refused by the command line itself.
    let out = ipw()
        .args(["run", "scenarios/fleet-azure-conv.toml", "--set", "seed"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        out.status.code() == Some(2) && err.contains("expected KEY=VALUE"),
        "{err}"
    );
}

#[test]
fn a_fleet_mix_sweep_writes_a_column_per_axis_and_compares_each_point_with_its_own_baseline() {
    let out = tempfile::tempdir().unwrap();
    ipw()
        .args([
            "sweep",
            "scenarios/fleet-mix.toml",
            "--threads",
            "2",
            "-q",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let t = parquet(&out.path().join("fleet-mix/results.parquet"));
    // 3 replica counts x 3 pools x 4 routers.
    assert_eq!(t.height(), 36);
    let replicas: Vec<i64> = t
        .column("fleet.cloud.replicas")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(&replicas[..13], &[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    let pools = strs(&t, "fleet.local_models");
    assert_eq!(pools[4], r#"["GPT-OSS-20B"]"#);
    // The GPT-OSS-only pool never sends a query to a Qwen3 model.
    let qwen: Vec<f64> = f64s(&t, "queries_Qwen3-4B");
    assert!(qwen[4..8].iter().all(|q| *q == 0.0) && qwen[1] > 0.0);
    // Each point's savings are against all-cloud on its own replica count: rebuild them from
    // the energies in the table.
    let energy = f64s(&t, "energy_kwh");
    let savings = f64s(&t, "energy_savings");
    for i in 0..36 {
        let base = energy[i - i % 4];
        assert!(
            (savings[i] - (1.0 - energy[i] / base)).abs() < 1e-12,
            "row {i}"
        );
    }
    // More always-on replicas draw more idle power: the baselines differ.
    assert!(energy[0] < energy[12] && energy[12] < energy[24]);
    // The GPT-OSS-only rows (4-7: one replica) equal that pool swept alone, where its model
    // sits at another index among the tracked models.
    let alone = tempfile::tempdir().unwrap();
    ipw()
        .args([
            "sweep",
            "scenarios/fleet-mix.toml",
            "--set",
            r#"sweep.fleet.local_models=[["GPT-OSS-20B"]]"#,
            "--set",
            "sweep.fleet.cloud.replicas=[1]",
            "-q",
            "--out",
        ])
        .arg(alone.path())
        .assert()
        .success();
    let a = parquet(&alone.path().join("fleet-mix/results.parquet"));
    assert_eq!(a.height(), 4);
    for col in [
        "energy_kwh",
        "energy_savings",
        "accuracy",
        "queries_GPT-OSS-20B",
        "queries_cloud",
        "e2e_p99_s",
    ] {
        assert_eq!(f64s(&a, col), f64s(&t, col)[4..8], "{col}");
    }
    assert!(f64s(&a, "queries_GPT-OSS-20B")[2] > 0.0);
}

#[test]
fn malformed_rows_stop_inspect_with_their_line_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,x,1\n2,3,3\n",
    )
    .unwrap();
    let err = stderr_of(ipw().args(["trace", "inspect"]).arg(&bad));
    assert!(
        err.contains("bad.csv:3: column `num_prefill_tokens`"),
        "{err}"
    );
    let out = ipw()
        .args(["trace", "inspect", "--skip-invalid"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("1 malformed rows were skipped"), "{stderr}");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["rows", "2"]));
}

#[test]
fn event_sweep_writes_latency_columns_and_an_hourly_table() {
    let out = tempfile::tempdir().unwrap();
    let run = ipw()
        .args([
            "sweep",
            "scenarios/fleet-azure-conv.toml",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(String::from_utf8(run.stdout).unwrap().contains("e2e p99 s"));
    let dir = out.path().join("fleet-azure-conv");
    let results = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(dir.join("results.csv")))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(results.height(), 9);
    for col in [
        "e2e_p99_s",
        "ttft_p50_s",
        "queue_mean_s",
        "slo_both_share",
        "cloud_utilisation",
        "idle_energy_kwh",
        "cloud_overloaded",
    ] {
        assert!(results.column(col).is_ok(), "missing column {col}");
    }
    let slo = results.column("slo_both_share").unwrap().f64().unwrap();
    assert!((0..slo.len()).all(|i| slo.get(i).is_some_and(|v| (0.0..=1.0).contains(&v))));
    let hourly = ParquetReader::new(std::fs::File::open(dir.join("hourly.parquet")).unwrap())
        .finish()
        .unwrap();
    // One hour of trace (plus the drain of the last requests) for each of the 9 points.
    assert!(hourly.height() >= 9 && hourly.height() % 9 == 0);
    let cloud = hourly.column("cloud_energy_j").unwrap().f64().unwrap();
    assert!((0..cloud.len()).all(|i| cloud.get(i).is_some_and(|v| v >= 0.0)));
}

#[test]
fn an_overloaded_cloud_tier_is_named_on_stderr() {
    let out = tempfile::tempdir().unwrap();
    let output = ipw()
        .args([
            "sweep",
            "scenarios/fleet-azure-conv.toml",
            "--quiet",
            "--set",
            "fleet.cloud.replicas=1",
            "--set",
            "fleet.cloud.max_batch=8",
            "--set",
            r#"sweep.router=[{kind="all-cloud"}]"#,
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(
        err.contains("all-cloud: the cloud tier is overloaded: its waiting queue reached"),
        "{err}"
    );
}

#[test]
fn bad_fleet_settings_name_the_field() {
    for (set, want) in [
        (
            "fleet.local.devices=0",
            "expected a device count >= 1 or \"unlimited\", got 0",
        ),
        (
            "fleet.cloud.max_batch=1000",
            "field `fleet.cloud.max_batch`: batch cap 1000:",
        ),
        (
            "fleet.cloud.max_batch=100000",
            "field `fleet.cloud.max_batch`: at most 65536",
        ),
        (
            "fleet.local.devices=20000000",
            "field `fleet.local.devices`: at most 10000000 devices",
        ),
        ("fleet.cloud.replicas=0", "field `fleet.cloud.replicas`"),
        (
            "fleet.local.idle_power=true",
            "accelerator `apple-m4-max` has no idle_power_w",
        ),
        ("slo.ttft_s=-1", "field `slo.ttft_s`"),
        (
            "fleet.service=\"fixed-batch\"",
            "fleet.local, fleet.cloud and slo are settings of the event service",
        ),
        (
            "fleet.cloud.dispatch=\"random\"",
            "unknown variant `random`",
        ),
    ] {
        let mut args = vec!["sweep", "scenarios/fleet-azure-conv.toml", "--set", set];
        if set.starts_with("fleet.local.idle") {
            args.extend(["--set", "fleet.local.devices=100"]);
        }
        let err = stderr_of(ipw().args(&args));
        assert!(err.contains(want), "{set}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{set}: {err}");
    }
}

#[test]
fn profile_list_show_and_check_describe_the_catalogue() {
    let out = ipw().args(["profile", "list"]).output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(
        list.contains("Qwen3-8B") && list.contains("table17-240w") && list.contains("nvidia-b200")
    );
    let out = ipw()
        .args([
            "profile",
            "show",
            "Qwen3-8B",
            "apple-m4-max",
            "--variant",
            "table17-240w",
        ])
        .output()
        .unwrap();
    let show = String::from_utf8(out.stdout).unwrap();
    assert!(
        show.contains("[IPW] Table 17") && show.contains("240.0"),
        "{show}"
    );
    let out = ipw().args(["profile", "check"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains(": ok"));
    let err = stderr_of(ipw().args([
        "profile",
        "show",
        "Qwen3-8B",
        "apple-m4-max",
        "--variant",
        "x",
    ]));
    assert!(
        err.contains("no variant `x`") && err.contains("table13"),
        "{err}"
    );
}

#[test]
fn profile_check_lists_every_finding_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("hardware-profiles");
    std::fs::create_dir(dir.path().join("pairs")).unwrap();
    for rel in ["models.toml", "accelerators.toml", "tasks.toml"] {
        std::fs::copy(src.join(rel), dir.path().join(rel)).unwrap();
    }
    let pair = std::fs::read_to_string(src.join("pairs/qwen3-8b__apple-m4-max__table13.toml"))
        .unwrap()
        .replace("power_w = 352.8", "power_w = 900.0")
        .replace("decode_step_s = 0.029304", "decode_step_s = 29.304");
    std::fs::write(dir.path().join("pairs/p.toml"), pair).unwrap();
    let out = ipw()
        .args(["profile", "check", "--profiles"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("point[0].power_w") && stdout.contains("point[0].decode_step_s"));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("2 finding(s)"));
}

#[test]
fn profile_import_writes_a_profile_from_ml_energy_and_from_a_harness_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.toml");
    ipw()
        .args([
            "profile",
            "import",
            "ml-energy",
            "hardware-profiles/sources/ml-energy/Qwen__Qwen3-8B__gpqa.json",
            "--model",
            "Qwen3-8B",
            "--accelerator",
            "nvidia-h100",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let shipped = std::fs::read_to_string(
        root().join("hardware-profiles/pairs/qwen3-8b__nvidia-h100__gpqa.toml"),
    )
    .unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), shipped);
    let run = ipw()
        .args([
            "profile",
            "import",
            "ipw-run",
            "tests/fixtures/ipw-run/profile_APPLE_M4_MAX_Qwen_Qwen3_8B_ipw",
            "--model",
            "Qwen3-8B",
            "--accelerator",
            "apple-m4-max",
        ])
        .output()
        .unwrap();
    assert!(run.status.success());
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(
        err.contains("fitted 40 of 40 queries: R^2 latency 0.99"),
        "{err}"
    );
    assert!(String::from_utf8(run.stdout).unwrap().contains("[fit]"));
    let err = stderr_of(ipw().args([
        "profile",
        "import",
        "ml-energy",
        "hardware-profiles/sources/ml-energy/Qwen__Qwen3-8B__gpqa.json",
        "--model",
        "Qwen3-8B",
        "--accelerator",
        "apple-m4-max",
    ]));
    assert!(
        err.contains("no configuration on GPU `MAX`") && err.contains("B200, H100"),
        "{err}"
    );
}

#[test]
fn a_service_axis_mixes_fixed_batch_and_event_points_in_one_table() {
    let out = tempfile::tempdir().unwrap();
    ipw()
        .args([
            "sweep",
            "scenarios/paper-fig4.toml",
            "--queries",
            "2000",
            "--set",
            r#"sweep.router=[{kind="all-cloud"},{kind="oracle"}]"#,
            "--set",
            r#"sweep.fleet.service=["fixed-batch","event"]"#,
            "-q",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let dir = out.path().join("paper-fig4");
    let t = parquet(&dir.join("results.parquet"));
    assert_eq!(
        strs(&t, "fleet.service"),
        ["fixed-batch", "fixed-batch", "event", "event"]
    );
    // Event columns are null on the fixed-batch rows and filled on the event rows.
    let span = t.column("span_s").unwrap().f64().unwrap().clone();
    assert_eq!(
        (0..4).map(|i| span.get(i).is_some()).collect::<Vec<_>>(),
        [false, false, true, true]
    );
    // The same queries, routed the same way: equal compute, different energy accounting.
    let flops = f64s(&t, "flops");
    assert_eq!((flops[0], flops[1]), (flops[2], flops[3]));
    // The hourly table holds the event points only (rows 2 and 3), 24 hours each or so.
    let h = parquet(&dir.join("hourly.parquet"));
    let points: Vec<f64> = f64s(&h, "point");
    assert!(points.iter().all(|p| *p == 2.0 || *p == 3.0) && points.len() >= 48);
}
