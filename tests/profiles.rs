//! The hardware-profile catalogue: importers reproduce what ships, `profile check` passes on
//! the catalogue and rejects each kind of bad profile, scenarios pick variants.

use ipw_sim::profile::harness::{self, EnergyParts, HarnessOptions};
use ipw_sim::profile::{check::check, mlenergy, Catalogue, ProfileError};
use ipw_sim::rng::{Purpose, Stream};
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> Catalogue {
    Catalogue::load(&root().join("hardware-profiles")).unwrap()
}

/// A copy of the shipped catalogue (without sources/) with `edit` applied to one file.
fn edited(
    file: &str,
    edit: impl Fn(String) -> String,
) -> (tempfile::TempDir, Result<Catalogue, ProfileError>) {
    let src = root().join("hardware-profiles");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pairs")).unwrap();
    for rel in ["models.toml", "accelerators.toml", "tasks.toml"] {
        std::fs::copy(src.join(rel), dir.path().join(rel)).unwrap();
    }
    for e in std::fs::read_dir(src.join("pairs")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join("pairs").join(p.file_name().unwrap())).unwrap();
    }
    let target = dir.path().join(file);
    let text = std::fs::read_to_string(&target).unwrap_or_default();
    std::fs::write(&target, edit(text)).unwrap();
    let cat = Catalogue::load(dir.path());
    (dir, cat)
}

#[test]
fn importing_the_shipped_ml_energy_files_reproduces_every_imported_pair() {
    let cat = shipped();
    let profiles = root().join("hardware-profiles");
    let mut checked = 0;
    for p in &cat.pairs {
        let text = std::fs::read_to_string(&p.path).unwrap();
        let Some((file, options)) = mlenergy::options_from_header(&text) else {
            continue;
        };
        let again = mlenergy::import(&profiles.join(&file), &file, &options, &cat).unwrap();
        assert!(
            again == text,
            "{} differs from a fresh import of {file}",
            p.path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 28, "every ML.ENERGY pair records its import");
}

#[test]
fn an_ml_energy_import_keeps_the_measured_figures_of_each_configuration() {
    // Qwen3-8B on one H100, lm-arena-chat, max_num_seqs 8 (flat_llm_mllm_configs.csv):
    // avg_batch_size 7.9713, 961.71 tokens/s, 427.02 W, 0.44402 J per output token.
    let cat = shipped();
    let p = cat.pair("Qwen3-8B", "nvidia-h100").unwrap();
    assert_eq!((p.variant.as_str(), p.devices), ("lm-arena-chat", 1));
    let first = p.points[0];
    assert_eq!(first.batch, 8);
    assert!((first.power_w - 427.017).abs() < 1e-3);
    assert!((first.measured_output_tokens_per_s.unwrap() - 961.712).abs() < 1e-3);
    assert!((first.decode_step_s - 7.97126 / 961.712).abs() < 1e-6);
    let gpqa = cat
        .pair_variant("Qwen3-8B", "nvidia-h100", Some("gpqa"))
        .unwrap();
    assert_eq!(gpqa.task.as_deref(), Some("gpqa"));
    assert!(gpqa.points[0].power_w != first.power_w);
}

#[test]
fn profile_check_passes_on_the_shipped_catalogue() {
    let cat = shipped();
    let issues = check(&cat);
    assert!(
        issues.is_empty(),
        "{}",
        issues
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The coverage the catalogue promises.
    for (m, a) in [
        ("Qwen3-8B", "nvidia-b200"),
        ("Qwen3-14B", "nvidia-h100"),
        ("Qwen3-30B-A3B", "nvidia-b200"),
        ("Llama-3.1-70B", "nvidia-h100"),
        ("GPT-OSS-20B", "nvidia-b200"),
    ] {
        assert!(!cat.variants(m, a).is_empty(), "{m} on {a}");
    }
}

/// The findings of `profile check` on the catalogue with `edit` applied to `file`.
fn findings(file: &str, edit: impl Fn(String) -> String) -> Vec<String> {
    let (_dir, cat) = edited(file, edit);
    check(&cat.unwrap()).iter().map(|i| i.to_string()).collect()
}

fn assert_one(found: &[String], want: &str) {
    assert!(
        found.len() == 1 && found[0].contains(want),
        "expected one finding containing {want:?}, got {found:#?}"
    );
}

#[test]
fn profile_check_rejects_each_kind_of_bad_profile() {
    let m4 = "pairs/qwen3-8b__apple-m4-max__table13.toml";
    // Power above 1.5 x TDP (M4 Max rated 480 W).
    assert_one(
        &findings(m4, |t| t.replace("power_w = 352.8", "power_w = 800.0")),
        "above 1.5 x the rated power",
    );
    // A step time in milliseconds where seconds are expected.
    assert_one(
        &findings(m4, |t| {
            t.replace("decode_step_s = 0.029304", "decode_step_s = 29.304")
        }),
        "outside 0.0001-10 s",
    );
    // A prefill rate out of range.
    assert_one(
        &findings(m4, |t| {
            t.replace("prefill_tokens_per_s = 460.0", "prefill_tokens_per_s = 0.5")
        }),
        "prompt tokens/s is outside",
    );
    let h100 = "pairs/qwen3-8b__nvidia-h100__lm-arena-chat.toml";
    // A batching curve whose step time falls (batch 16 made 30% faster than batch 8).
    let found = findings(h100, |t| {
        t.replacen("decode_step_s = 0.00914383", "decode_step_s = 0.0058", 1)
    });
    assert!(
        found
            .iter()
            .any(|f| f.contains("a larger batch cannot step faster")),
        "{found:#?}"
    );
    // A curve that slides: batch 32 made slower than batch 16 in throughput.
    let found = findings(h100, |t| {
        t.replacen("decode_step_s = 0.0109089", "decode_step_s = 0.03", 1)
    });
    assert!(
        found.iter().any(|f| f.contains("throughput falls from")),
        "{found:#?}"
    );
    // Measured throughput that disagrees with batch / step time.
    assert_one(
        &findings(h100, |t| {
            t.replacen(
                "measured_output_tokens_per_s = 961.712",
                "measured_output_tokens_per_s = 1500.0",
                1,
            )
            .replacen(
                "measured_j_per_output_token = 0.444018",
                "measured_j_per_output_token = 0.284678",
                1,
            )
        }),
        "disagrees with batch / decode_step_s",
    );
    // Measured figures that disagree with the point's power and step time.
    assert_one(
        &findings(h100, |t| {
            t.replacen(
                "measured_j_per_output_token = 0.444018",
                "measured_j_per_output_token = 0.3",
                1,
            )
        }),
        "disagrees with power_w / measured throughput",
    );
    // Serving power below the accelerator's idle power (B200 idle: 115 W).
    assert_one(
        &findings("pairs/qwen3-8b__nvidia-b200__table13-bs1.toml", |t| {
            t.replace("power_w = 253.3", "power_w = 100.0")
        }),
        "below the idle power",
    );
    // A fitted variant of the M4 Max pair whose latency fit has R^2 `r2`.
    let fitted = |r2: f64| {
        findings("pairs/qwen3-8b__apple-m4-max__fitted.toml", move |_| {
            let base = std::fs::read_to_string(
                root().join("hardware-profiles/pairs/qwen3-8b__apple-m4-max__table13.toml"),
            )
            .unwrap();
            base.replace("variant = \"table13\"", "variant = \"fitted\"")
                .replace("default = true", "default = false")
                + &format!("\n[fit]\nqueries = 40\nr2_latency = {r2:?}\nr2_energy = 0.97\nlatency_intercept_s = 0.1\nenergy_intercept_j = 2.0\nenergy_per_input_token_j = 0.04\nenergy_per_output_token_j = 1.5\n")
        })
    };
    assert_one(&fitted(0.3), "poor fit (R^2 = 0.300 < 0.5)");
    assert_one(&fitted(1.2), "is not a coefficient of determination");
    assert!(fitted(0.95).is_empty());
    // An accelerator that pairs use, without a price or a note.
    assert_one(
        &findings("accelerators.toml", |t| {
            t.replacen("device_usd = 3580\n", "", 1)
        }),
        "needs its price",
    );
}

#[test]
fn loading_rejects_missing_sources_defaults_and_duplicate_variants_with_the_field() {
    let m4 = "pairs/qwen3-8b__apple-m4-max__table13.toml";
    let err = |r: Result<Catalogue, ProfileError>| {
        r.err().map(|e| e.to_string()).expect("expected an error")
    };
    let e = err(edited(m4, |t| {
        let start = t.find("power_source = ").unwrap();
        let end = start + t[start..].find('\n').unwrap();
        format!("{}power_source = \"\"{}", &t[..start], &t[end..])
    })
    .1);
    assert!(
        e.contains("field `power_source`: every number needs its source"),
        "{e}"
    );
    let e = err(edited(m4, |t| t.replace("default = true", "default = false")).1);
    assert!(e.contains("marked default = true; mark exactly one"), "{e}");
    let e = err(edited(m4, |t| {
        t.replace("variant = \"table13\"", "variant = \"table17-240w\"")
    })
    .1);
    assert!(e.contains("variant names of a pair must differ"), "{e}");
    let e = err(edited(m4, |t| t.replace("precision =", "precison =")).1);
    assert!(e.contains("unknown field `precison`"), "{e}");
    let e = err(edited(m4, |t| t.replace("power_w = 352.8", "power_w = -1.0")).1);
    assert!(
        e.contains("point[0].power_w") && e.contains("positive"),
        "{e}"
    );
    let e = err(edited("accelerators.toml", |t| {
        t.replacen("tier = \"local\"", "tier = \"local\"\ncolour = \"red\"", 1)
    })
    .1);
    assert!(
        e.contains("accelerators.toml") && e.contains("colour"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    let e = err(edited("accelerators.toml", |t| {
        t.replacen("price_date = \"2025-04\"", "price_date = \"April\"", 1)
    })
    .1);
    assert!(e.contains("a price needs its date, YYYY-MM"), "{e}");
}

/// Write the IPW-harness fixture into `dir`: an `ipw profile` run folder with 40 queries of
/// known service (prefill 1,500 tokens/s, 25 ms per response token, 80 ms overhead; GPU 80 W in
/// prefill and 50 W in decode, CPU 10 W, a 2 J floor per query) and +-2% deterministic noise.
fn write_harness_fixture(dir: &Path) {
    let n = 40usize;
    let s = Stream::new(7, Purpose::Synthesis);
    let (mut ins, mut outs, mut total, mut ttft, mut gpu_j, mut cpu_j) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n as u64 {
        let n_in = 50 + (s.unit(4 * i) * 1950.0) as i64;
        let n_out = 20 + (s.unit(4 * i + 1) * 780.0) as i64;
        let noise = |k: u64| 1.0 + 0.02 * (2.0 * s.unit(4 * i + k) - 1.0);
        let first = (0.08 + n_in as f64 / 1500.0) * noise(2);
        let latency = first + n_out as f64 * 0.025 * noise(3);
        ins.push(n_in);
        outs.push(n_out);
        ttft.push(first);
        total.push(latency);
        // GPU 80 W in prefill and 50 W in decode, CPU 10 W throughout, plus a 1.5 J (GPU) and
        // 0.5 J (CPU) floor per query.
        gpu_j.push(1.5 + 80.0 * first + 50.0 * (latency - first));
        cpu_j.push(0.5 + 10.0 * latency);
    }
    let st = |name: &str, fields: Vec<Series>| {
        StructChunked::from_series(name.into(), n, fields.iter())
            .unwrap()
            .into_series()
    };
    let f = |name: &str, v: &[f64]| Series::new(name.into(), v);
    let tokens = st(
        "token_metrics",
        vec![
            Series::new("input".into(), &ins),
            Series::new("output".into(), &outs),
            Series::new(
                "total".into(),
                ins.iter()
                    .zip(&outs)
                    .map(|(a, b)| a + b)
                    .collect::<Vec<_>>(),
            ),
        ],
    );
    let latency = st(
        "latency_metrics",
        vec![
            f(
                "per_token_ms",
                &total
                    .iter()
                    .zip(&outs)
                    .map(|(t, o)| t * 1e3 / *o as f64)
                    .collect::<Vec<_>>(),
            ),
            f(
                "throughput_tokens_per_sec",
                &total
                    .iter()
                    .zip(&outs)
                    .map(|(t, o)| *o as f64 / t)
                    .collect::<Vec<_>>(),
            ),
            f("time_to_first_token_seconds", &ttft),
            f("total_query_seconds", &total),
        ],
    );
    let energy = st(
        "energy_metrics",
        vec![
            f("per_query_joules", &gpu_j),
            f("total_joules", &gpu_j),
            f("cpu_per_query_joules", &cpu_j),
            f("cpu_total_joules", &cpu_j),
        ],
    );
    let watts = st(
        "per_query_watts",
        vec![f("avg", &vec![50.0; n]), f("max", &vec![55.0; n])],
    );
    let power = st("power_metrics", vec![st("gpu", vec![watts])]);
    let model = st("Qwen/Qwen3-8B", vec![energy, latency, power, tokens]);
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "problem".into(),
            (0..n).map(|i| format!("question {i}")).collect::<Vec<_>>(),
        ),
        Column::new("answer".into(), vec!["-"; n]),
        Column::new("subject".into(), vec!["fixture"; n]),
        st("model_metrics", vec![model]).into(),
    ])
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let mut file = std::fs::File::create(dir.join("data-00000-of-00001.arrow")).unwrap();
    IpcStreamWriter::new(&mut file).finish(&mut df).unwrap();
    std::fs::write(
        dir.join("state.json"),
        "{\n  \"_data_files\": [\n    {\n      \"filename\": \"data-00000-of-00001.arrow\"\n    }\n  ],\n  \"_fingerprint\": \"ipw-sim-fixture\",\n  \"_format_columns\": null,\n  \"_format_kwargs\": {},\n  \"_format_type\": null,\n  \"_output_all_columns\": false,\n  \"_split\": null\n}",
    )
    .unwrap();
    std::fs::write(
        dir.join("dataset_info.json"),
        "{\n  \"citation\": \"\",\n  \"description\": \"ipw-sim test fixture in the layout of an `ipw profile` run (synthetic measurements)\",\n  \"homepage\": \"\",\n  \"license\": \"\"\n}",
    )
    .unwrap();
    std::fs::write(
        dir.join("summary.json"),
        "{\n  \"model\": \"Qwen/Qwen3-8B\",\n  \"dataset\": \"ipw\",\n  \"dataset_name\": \"ipw\",\n  \"hardware_label\": \"APPLE_M4_MAX\",\n  \"total_queries\": 40,\n  \"output_dir\": \"runs/profile_APPLE_M4_MAX_Qwen_Qwen3_8B_ipw\"\n}\n",
    )
    .unwrap();
}

const FIXTURE: &str = "tests/fixtures/ipw-run/profile_APPLE_M4_MAX_Qwen_Qwen3_8B_ipw";

#[test]
fn the_shipped_harness_fixture_is_what_its_generator_writes() {
    // Always compare the generator's output (written to a temporary directory) with the
    // shipped files. IPW_WRITE_FIXTURE=1 additionally overwrites the shipped files, and then
    // fails on purpose, so that no run with the variable set can pass.
    let fresh = tempfile::tempdir().unwrap();
    write_harness_fixture(fresh.path());
    let files = [
        "data-00000-of-00001.arrow",
        "state.json",
        "dataset_info.json",
        "summary.json",
    ];
    let differing: Vec<&str> = files
        .into_iter()
        .filter(|f| {
            let shipped = std::fs::read(root().join(FIXTURE).join(f)).ok();
            let again = std::fs::read(fresh.path().join(f)).unwrap();
            shipped.as_deref() != Some(again.as_slice())
        })
        .collect();
    if std::env::var_os("IPW_WRITE_FIXTURE").is_some() {
        write_harness_fixture(&root().join(FIXTURE));
        panic!(
            "IPW_WRITE_FIXTURE is set: the fixture {FIXTURE} was rewritten from the generator \
             (files that differed: {differing:?}); review and commit it, then run the test \
             again without the variable"
        );
    }
    assert!(
        differing.is_empty(),
        "{differing:?} differ from the generator (IPW_WRITE_FIXTURE=1 rewrites them and fails)"
    );
}

fn harness_options(energy: EnergyParts) -> HarnessOptions {
    HarnessOptions {
        model: "Qwen3-8B".into(),
        accelerator: "apple-m4-max".into(),
        variant: Some("fixture".into()),
        default: false,
        devices: 1,
        precision: "bf16".into(),
        energy,
    }
}

#[test]
fn the_harness_importer_round_trips_its_fixture_and_reports_the_fit() {
    let cat = shipped();
    let r = harness::import(
        &root().join(FIXTURE),
        FIXTURE,
        &harness_options(EnergyParts::All),
        &cat,
    )
    .unwrap();
    let (p, f) = (r.point, &r.fit);
    assert_eq!((r.records, r.skipped, f.queries), (40, 0, 40));
    let close = |got: f64, want: f64, tol: f64, what: &str| {
        assert!((got / want - 1.0).abs() < tol, "{what}: {got} vs {want}")
    };
    close(p.decode_step_s, 0.025, 0.03, "decode step");
    close(p.prefill_tokens_per_s, 1500.0, 0.05, "prefill rate");
    close(p.power_w, 60.0, 0.03, "power (GPU + CPU)");
    // Prefill energy per prompt token: (80 + 10) W / 1,500 tokens/s = 0.06 J; on 40 queries
    // the 2% noise on the much larger decode energy blurs it.
    close(
        f.energy_per_input_token_j,
        0.06,
        0.5,
        "energy per prompt token",
    );
    close(
        f.energy_per_output_token_j,
        1.5,
        0.03,
        "energy per response token",
    );
    assert!(f.r2_energy != f.r2_latency);
    for r2 in [f.r2_latency, f.r2_energy, f.r2_ttft.unwrap()] {
        assert!(r2 > 0.99 && r2 <= 1.0, "R^2 {r2}");
    }
    // GPU energy only: 50 W.
    let gpu = harness::import(
        &root().join(FIXTURE),
        FIXTURE,
        &harness_options(EnergyParts::Gpu),
        &cat,
    )
    .unwrap();
    close(gpu.point.power_w, 50.0, 0.03, "power (GPU only)");
    // The written profile is a valid catalogue entry that passes the checks.
    let (dir, _) = edited("pairs/qwen3-8b__apple-m4-max__fixture.toml", |_| {
        r.toml.clone()
    });
    let cat2 = Catalogue::load(dir.path()).unwrap();
    let pair = cat2
        .pair_variant("Qwen3-8B", "apple-m4-max", Some("fixture"))
        .unwrap();
    assert_eq!(pair.fit.as_ref().unwrap().queries, 40);
    assert!(check(&cat2).is_empty(), "{:?}", check(&cat2));
}

#[test]
fn the_harness_importer_names_what_is_missing() {
    let cat = shipped();
    let dir = tempfile::tempdir().unwrap();
    let e = harness::import(dir.path(), "x", &harness_options(EnergyParts::All), &cat)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no data-*.arrow file"), "{e}");
    // A run of another model: the summary names a model the records do not have.
    let run = dir.path().join("run");
    write_harness_fixture(&run);
    std::fs::write(run.join("summary.json"), "{\"model\": \"other\"}").unwrap();
    let e = harness::import(&run, "run", &harness_options(EnergyParts::All), &cat)
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `model_metrics.other`"), "{e}");
}

#[test]
fn a_scenario_picks_a_variant_by_name_and_an_unknown_one_is_named() {
    use ipw_sim::bind::{bind, Bound};
    use ipw_sim::scenario::{Overrides, Scenario};
    let path = root().join("scenarios/fleet-azure-conv.toml");
    let cat = shipped();
    let plan = |set: &[&str]| {
        let s = Scenario::load_with(&path, &Overrides::from_set(set).unwrap()).unwrap();
        bind(&s, &cat).map_err(|e| e.to_string())
    };
    let chat = plan(&[]).unwrap();
    // The gpqa measurement of this pair reaches batch 32 only.
    let gpqa = plan(&[
        r#"fleet.variants={"Qwen3-235B-A22B@nvidia-h100"="gpqa"}"#,
        "fleet.cloud.max_batch=32",
    ])
    .unwrap();
    let step = |p: &Bound| p.fleet.as_ref().unwrap().cloud.kinds[0].step_s[8];
    assert!(step(&chat) != step(&gpqa));
    let e = plan(&[r#"fleet.variants={"Qwen3-235B-A22B@nvidia-h100"="code"}"#])
        .err()
        .unwrap();
    assert!(
        e.contains("no variant `code`") && e.contains("gpqa, lm-arena-chat"),
        "{e}"
    );
}

/// A row of one of the paper's tables in `hardware-profiles/sources/paper/`.
fn paper_rows(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r =
        csv::Reader::from_path(root().join("hardware-profiles/sources/paper").join(file)).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn paper_derived_profiles_carry_the_papers_power_figures() {
    let cat = shipped();
    let power =
        |m: &str, a: &str, v: &str| cat.pair_variant(m, a, Some(v)).unwrap().points[0].power_w;
    let implied = |row: &std::collections::HashMap<String, String>| {
        row["success_rate"].parse::<f64>().unwrap() / row["ipw"].parse::<f64>().unwrap()
    };
    let mut checked = 0;
    for row in paper_rows("accel_ipw_table13.csv") {
        let acc = match row["accelerator"].as_str() {
            "Apple M4 Max" => ("apple-m4-max", "table13"),
            "NVIDIA B200" => ("nvidia-b200", "table13-bs1"),
            "SambaNova SN40L" => ("sambanova-sn40l", "table13"),
            other => panic!("unexpected accelerator {other}"),
        };
        let got = power(&row["model"], acc.0, acc.1);
        assert!(
            (got - implied(&row)).abs() < 0.051,
            "{} on {}: {got}",
            row["model"],
            acc.0
        );
        checked += 1;
    }
    for row in paper_rows("longitudinal_table2.csv") {
        let (m, a) = match row["year"].as_str() {
            "2023" => ("Mixtral-8x7B", "nvidia-quadro-rtx-6000"),
            "2024" => ("Llama-3.1-8B", "nvidia-rtx-6000-ada"),
            _ => ("GPT-OSS-120B", "apple-m4-max"),
        };
        assert!(
            (power(m, a, "table2") - implied(&row)).abs() < 0.051,
            "{m} on {a}"
        );
        checked += 1;
    }
    for row in paper_rows("smartphone_table17.csv") {
        let a = match (row["model"].as_str(), row["hardware"].as_str()) {
            ("Qwen3-4B", "A18 Pro") => "apple-a18-pro",
            ("Qwen3-4B", "NVIDIA RTX 6000 Ada") => "nvidia-rtx-6000-ada",
            _ => continue,
        };
        let v = format!("table17-{}", row["precision"].to_lowercase());
        assert_eq!(
            power("Qwen3-4B", a, &v),
            row["power_w"].parse::<f64>().unwrap()
        );
        checked += 1;
    }
    assert_eq!(checked, 9 + 3 + 4);
}
