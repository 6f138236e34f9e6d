//! Bad input and hostile use, end to end: every way a user could get a wrong number or lose
//! work without being told (README, "Bad input and guarantees"), each met where the user meets
//! it, on the command line.

use assert_cmd::Command;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ipw() -> Command {
    let mut c = Command::cargo_bin("ipw-sim").unwrap();
    c.current_dir(root());
    c
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ipw-sim")
}

/// Run and expect exit code 1; the stderr.
fn fails(c: &mut Command) -> String {
    let out = c.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "expected failure: {stderr}");
    stderr
}

/// Run and expect success; (stdout, stderr).
fn succeeds(c: &mut Command) -> (String, String) {
    let out = c.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "expected success: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// A fixed-batch scenario in `dir` named `name` reading the trace described by `trace` (the
/// body of its `[trace]` table) with the paper's local pool and the catalogue `profiles`.
fn scenario(dir: &Path, name: &str, trace: &str, profiles: &Path) -> PathBuf {
    let text = format!(
        r#"name = "{name}"
seed = 1
profiles = {profiles:?}

[trace]
{trace}

[workload]
mix = {{ wildchat = 0.5, naturalreasoning = 0.5 }}

[fleet]
service = "fixed-batch"
local_accelerator = "apple-m4-max"
local_models = ["Qwen3-4B", "Qwen3-8B"]
local_batch = 1
cloud_model = "Qwen3-235B-A22B"
cloud_accelerator = "nvidia-h100"
cloud_batch = 16
pue = 1.2

[router]
kind = "accuracy"
p = 0.8

[sweep]
router = [{{ kind = "all-cloud" }}, {{ kind = "oracle" }}]
"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn catalogue() -> PathBuf {
    root().join("hardware-profiles")
}

/// A JSONL trace of `n` requests with times in milliseconds (a Mooncake-style relative-ms
/// trace): arrival i at i * 1,750 ms, so 2,000 rows span 3,498,250 ms (58.3 min).
fn ms_jsonl(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join("mooncake.jsonl");
    let text: String = (0..n)
        .map(|i| {
            format!(
                "{{\"timestamp\": {}, \"input_length\": {}, \"output_length\": {}}}\n",
                i * 1750,
                100 + i % 900,
                1 + i % 300
            )
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_generic_trace_without_a_time_unit_is_refused_with_the_span_each_unit_gives_and_the_fix_works()
{
    let dir = tempfile::tempdir().unwrap();
    let trace = ms_jsonl(dir.path(), 2000);
    let s = scenario(
        dir.path(),
        "ms",
        &format!(
            "path = {trace:?}\nformat = \"jsonl\"\ncolumns = {{ time = \"timestamp\", input = \"input_length\", output = \"output_length\" }}"
        ),
        &catalogue(),
    );
    let out = dir.path().join("out");
    let err = fails(ipw().arg("sweep").arg(&s).arg("--out").arg(&out).arg("-q"));
    assert_eq!(err.lines().count(), 1, "{err}");
    for expected in [
        "mooncake.jsonl: trace.columns.time_unit is not set",
        "starts 0, 1750, 3500",
        "spans 3498250 over 2000 rows",
        "as s 40.489 days",
        "as ms 58.304 min",
        "as us 3.498 s",
        "--set trace.columns.time_unit=ms",
    ] {
        assert!(err.contains(expected), "{expected:?} in {err}");
    }
    // The fix, exactly as the message writes it.
    let (stdout, _) = succeeds(
        ipw()
            .arg("sweep")
            .arg(&s)
            .args(["--set", "trace.columns.time_unit=ms", "-q", "--out"])
            .arg(&out),
    );
    assert!(stdout.contains("2000 queries per point"), "{stdout}");
}

#[test]
fn time_unit_alone_adjusts_a_preset_layout() {
    // A BurstGPT-layout file whose times are milliseconds: the plausibility bound fires and
    // its suggestion (trace.columns.time_unit) works alone over the preset's columns.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("b.csv");
    let mut text =
        String::from("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n");
    for i in 0..50u64 {
        // 50 rows 2,000,000 units apart: 1,134 days as seconds, 27 h as milliseconds.
        text += &format!("{},ChatGPT,100,10,110,Conversation log\n", i * 2_000_000);
    }
    std::fs::write(&trace, text).unwrap();
    let s = scenario(dir.path(), "b", &format!("path = {trace:?}"), &catalogue());
    let out = dir.path().join("out");
    let err = fails(ipw().arg("sweep").arg(&s).arg("-q").arg("--out").arg(&out));
    assert!(err.contains("set trace.columns.time_unit"), "{err}");
    let (stdout, _) = succeeds(
        ipw()
            .arg("sweep")
            .arg(&s)
            .args(["--set", "trace.columns.time_unit=ms", "-q", "--out"])
            .arg(&out),
    );
    assert!(stdout.contains("50 queries per point"), "{stdout}");
}

#[test]
fn thread_counts_beyond_four_per_core_are_refused_in_one_line() {
    let err = fails(ipw().args([
        "sweep",
        "scenarios/replay-file.toml",
        "--threads",
        "100000",
        "-q",
    ]));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--threads 100000: expected 1 to"), "{err}");
    assert!(err.contains("4 per core"), "{err}");
    let err = fails(ipw().args(["sweep", "scenarios/replay-file.toml", "--threads", "0"]));
    assert!(err.contains("--threads 0: expected 1 to"), "{err}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_with_status_141() {
    // `head -1` exits after the first line; the figure is drawn after it, and the line that
    // reports it meets a closed pipe (this panicked with status 101 before).
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x.png");
    let a = root().join("traces/azure/AzureLLMInferenceTrace_code_2023.csv");
    let b = root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv");
    let script =
        r#""$0" trace inspect "$1" "$2" --png "$3" 2>&1 | head -1; echo "status=${PIPESTATUS[0]}""#;
    let out = std::process::Command::new("bash")
        .args(["-c", script])
        .arg(bin())
        .args([&a, &b, &png])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("status=141"), "{stdout}");
    assert!(!stdout.contains("panicked"), "{stdout}");
}

/// Wait until a file whose name contains `mark` appears in `dir`.
fn wait_for_file(dir: &Path, mark: &str) -> PathBuf {
    let start = Instant::now();
    loop {
        if let Some(p) = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains(mark))
        {
            return p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {mark} file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `trace synth` of a large trace into `dir`, running.
fn start_big_synth(dir: &Path) -> std::process::Child {
    std::process::Command::new(bin())
        .args(["trace", "synth", "--per-day", "200000000", "--out"])
        .arg(dir.join("big.csv"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(signal: &str, child: &std::process::Child) {
    let ok = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn sigint_and_sigterm_remove_the_partial_file() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = start_big_synth(dir.path());
        let tmp = wait_for_file(dir.path(), ".ipw-sim-tmp-");
        kill(signal, &child);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{signal}");
        assert!(!tmp.exists(), "{signal}: {} left behind", tmp.display());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{signal}"
        );
    }
}

#[test]
fn a_sigkill_leftover_is_named_as_temporary_and_removed_by_the_next_write_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start_big_synth(dir.path());
    let tmp = wait_for_file(dir.path(), ".ipw-sim-tmp-");
    kill("-KILL", &child);
    child.wait().unwrap();
    assert!(tmp.exists(), "SIGKILL cannot be handled: the file stays");
    let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("big.csv.ipw-sim-tmp-{}", child.id()));
    succeeds(
        ipw()
            .args(["trace", "synth", "--per-day", "100", "--out"])
            .arg(dir.path().join("small.csv")),
    );
    assert!(!tmp.exists(), "the next write into the folder removes it");
    assert!(dir.path().join("small.csv").exists());
    assert!(!dir.path().join("big.csv").exists());
}

/// An Azure-2023-layout CSV of `rows` (time, prompt, response), with `ending` between lines.
fn azure_csv(path: &Path, rows: &[(&str, &str, &str)], ending: &str) {
    let mut text = format!("TIMESTAMP,ContextTokens,GeneratedTokens{ending}");
    for (t, i, o) in rows {
        text += &format!("{t},{i},{o}{ending}");
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn trace_inspect_token_statistics_are_exact_at_any_length_and_hours_follow_the_clock() {
    // Ten prompts of 500,000 tokens and ten of 100, at 18:05 to 18:24 UTC: mean
    // (10 x 500,000 + 10 x 100) / 20 = 250,050, p50 100, p90 500,000; every arrival in hour 18.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.csv");
    let times: Vec<String> = (0..20)
        .map(|i| format!("2023-11-16 18:{:02}:00.000", 5 + i))
        .collect();
    let rows: Vec<(&str, &str, &str)> = times
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), if i % 2 == 0 { "500000" } else { "100" }, "10"))
        .collect();
    azure_csv(&path, &rows, "\n");
    let (stdout, _) = succeeds(ipw().args(["trace", "inspect"]).arg(&path));
    let value = |label: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {stdout}"))
            .split_whitespace()
            .last()
            .unwrap()
            .to_string()
    };
    assert_eq!(value("input tokens mean"), "250050.0");
    assert_eq!(value("input tokens p50"), "100");
    assert_eq!(value("input tokens p90"), "500000");
    assert_eq!(value("hours counted"), "clock");
    assert_eq!(value("hour 18 share"), "1.0000");
    assert_eq!(value("hour 00 share"), "0.0000");
}

#[test]
fn error_lines_are_exact_in_files_with_crlf_endings_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        ("2023-11-16 18:00:00", "10", "5"),
        ("2023-11-16 18:00:01", "10", "5"),
        ("2023-11-16 18:00:02", "x", "5"),
    ];
    // Header on line 1, the bad row on line 4.
    for (name, ending) in [("crlf.csv", "\r\n"), ("lf.csv", "\n")] {
        let path = dir.path().join(name);
        azure_csv(&path, &rows, ending);
        let err = fails(ipw().args(["trace", "inspect"]).arg(&path));
        assert!(
            err.contains(&format!("{name}:4: column `ContextTokens`")),
            "{err}"
        );
    }
    // A blank line before the bad row moves it to line 5.
    let path = dir.path().join("blank.csv");
    std::fs::write(
        &path,
        "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:00:00,10,5\r\n\r\n2023-11-16 18:00:01,10,5\r\n2023-11-16 18:00:02,x,5\r\n",
    )
    .unwrap();
    let err = fails(ipw().args(["trace", "inspect"]).arg(&path));
    assert!(err.contains("blank.csv:5:"), "{err}");
}

#[test]
fn token_counts_beyond_ten_million_are_refused_with_the_range_expected() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["1000000000000", "4294967295", "10000001"] {
        let path = dir.path().join("t.csv");
        azure_csv(
            &path,
            &[
                ("2023-11-16 18:00:00", "10", "5"),
                ("2023-11-16 18:00:01", bad, "5"),
            ],
            "\n",
        );
        let err = fails(ipw().args(["trace", "inspect"]).arg(&path));
        assert!(
            err.contains("t.csv:3: column `ContextTokens`")
                && err.contains("expected a whole number of tokens from 0 to 10000000"),
            "{bad}: {err}"
        );
    }
}

/// A copy of the catalogue with the Qwen3-8B-on-M4-Max pair's power and decode step replaced.
fn implausible_catalogue(dir: &Path) -> PathBuf {
    let cat = dir.join("cat");
    std::fs::create_dir_all(cat.join("pairs")).unwrap();
    for rel in ["models.toml", "accelerators.toml", "tasks.toml"] {
        std::fs::copy(catalogue().join(rel), cat.join(rel)).unwrap();
    }
    for e in std::fs::read_dir(catalogue().join("pairs"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let text = if e.file_name() == "qwen3-8b__apple-m4-max__table13.toml" {
            text.replace("power_w = 352.8", "power_w = 5000.0")
                .replace("decode_step_s = 0.029304", "decode_step_s = 14.6")
        } else {
            text
        };
        std::fs::write(cat.join("pairs").join(e.file_name()), text).unwrap();
    }
    cat
}

#[test]
fn implausible_profiles_are_warned_about_on_run_and_refused_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let cat = implausible_catalogue(dir.path());
    let trace = root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv");
    let s = scenario(dir.path(), "hot", &format!("path = {trace:?}"), &cat);
    let out = dir.path().join("out");
    let (_, stderr) = succeeds(ipw().arg("sweep").arg(&s).arg("-q").arg("--out").arg(&out));
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("profile check"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].contains("qwen3-8b__apple-m4-max__table13.toml"));
    assert!(stderr.contains("point[0].power_w") && stderr.contains("point[0].decode_step_s"));
    let err = fails(
        ipw()
            .arg("sweep")
            .arg(&s)
            .args(["-q", "--strict", "--out"])
            .arg(&out),
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("2 implausible profile value(s) (--strict)"),
        "{err}"
    );
    // A scenario that does not use the broken pair runs without a word about it.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        std::fs::read_to_string(&s)
            .unwrap()
            .replace("name = \"hot\"", "name = \"other\"")
            .replace("\"Qwen3-4B\", \"Qwen3-8B\"", "\"Qwen3-4B\", \"Qwen3-14B\""),
    )
    .unwrap();
    let (_, stderr) = succeeds(
        ipw()
            .arg("sweep")
            .arg(&other)
            .args(["-q", "--strict", "--out"])
            .arg(&out),
    );
    assert!(!stderr.contains("profile check"), "{stderr}");
}

#[test]
fn queries_beyond_the_context_window_are_counted_and_dropped_or_truncated_on_request() {
    // Five queries; two need more than Qwen3-235B-A22B's 131,072 tokens: 200,000 + 10 (the
    // prompt can be cut to 131,062) and 100 + 140,000 (a response longer than the window).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.csv");
    azure_csv(
        &path,
        &[
            ("2023-11-16 18:00:00", "100", "10"),
            ("2023-11-16 18:00:01", "200000", "10"),
            ("2023-11-16 18:00:02", "100", "140000"),
            ("2023-11-16 18:00:03", "131062", "10"),
            ("2023-11-16 18:00:04", "100", "10"),
        ],
        "\n",
    );
    let s = scenario(dir.path(), "ctx", &format!("path = {path:?}"), &catalogue());
    let out = dir.path().join("out");
    let run = |policy: &str| {
        succeeds(
            ipw()
                .arg("sweep")
                .arg(&s)
                .args([
                    "--set",
                    &format!("trace.over_context={policy}"),
                    "-q",
                    "--out",
                ])
                .arg(&out),
        )
    };
    let (stdout, stderr) = run("keep");
    assert!(stdout.contains("5 queries per point"), "{stdout}");
    assert!(
        stderr.contains(
            "2 queries exceed the context window of 131072 tokens (prompt + response): 2 served as they are, 0 prompts truncated, 0 left out"
        ),
        "{stderr}"
    );
    let (stdout, stderr) = run("drop");
    assert!(stdout.contains("3 queries per point"), "{stdout}");
    assert!(stderr.contains("0 served as they are, 0 prompts truncated, 2 left out"));
    let (stdout, stderr) = run("truncate");
    assert!(stdout.contains("4 queries per point"), "{stdout}");
    assert!(stderr.contains("0 served as they are, 1 prompts truncated, 1 left out"));
    // A window set in the scenario replaces the model's.
    let (_, stderr) = succeeds(
        ipw()
            .arg("sweep")
            .arg(&s)
            .args(["--set", "trace.context_tokens=1000", "-q", "--out"])
            .arg(&out),
    );
    assert!(
        stderr.contains("3 queries exceed the context window of 1000 tokens"),
        "{stderr}"
    );
}

fn sha256_hex(path: &Path) -> String {
    sha2::Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn run_and_sweep_keep_separate_results_each_with_a_manifest() {
    // Run from a folder of the user's own, with the default results folder.
    let cwd = tempfile::tempdir().unwrap();
    let s = root().join("scenarios/fleet-azure-conv.toml");
    for command in ["run", "sweep"] {
        let mut c = Command::cargo_bin("ipw-sim").unwrap();
        c.current_dir(cwd.path()).arg(command).arg(&s).args([
            "--set",
            "fleet.cloud.replicas=3",
            "--threads",
            "2",
            "-q",
        ]);
        succeeds(&mut c);
    }
    let sweep_dir = cwd.path().join("results/fleet-azure-conv");
    let run_dir = sweep_dir.join("run");
    let trace = root().join("traces/azure/AzureLLMInferenceTrace_conv_2023.csv");
    for (dir, kind, rows) in [(&run_dir, "run", 1), (&sweep_dir, "sweep", 9)] {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(m["kind"], kind);
        assert_eq!(m["tool"], format!("ipw-sim {}", env!("CARGO_PKG_VERSION")));
        assert_eq!(m["overrides"][0], "--set fleet.cloud.replicas=3");
        assert_eq!(m["scenario"]["sha256"], sha256_hex(&s));
        assert_eq!(m["traces"][0]["sha256"], sha256_hex(&trace));
        assert_eq!(
            m["traces"][0]["bytes"],
            std::fs::metadata(&trace).unwrap().len()
        );
        assert_eq!(m["seed"], 1);
        assert_eq!(m["threads"], 2);
        assert_eq!(m["points"], rows);
        assert!(m["effective_scenario"]
            .as_str()
            .unwrap()
            .contains("replicas = 3"));
        // Every output is listed with the hash of what is on disk.
        let outputs = m["outputs"].as_array().unwrap();
        // Results, series, hourly, minutes and latency, CSV and Parquet; the latency CDFs
        // and the power by the minute (PNG and SVG each); the sweep's router curve adds its
        // figure, the run's single point has none, and the one-hour replay has no
        // cumulative figure.
        let figures = if kind == "sweep" { 6 } else { 4 };
        assert_eq!(outputs.len(), 10 + figures, "{kind}: {outputs:?}");
        for o in outputs {
            let p = PathBuf::from(o["path"].as_str().unwrap());
            let on_disk = dir.join(p.file_name().unwrap());
            assert_eq!(o["sha256"], sha256_hex(&on_disk));
        }
        let csv = std::fs::read_to_string(dir.join("results.csv")).unwrap();
        assert_eq!(csv.lines().count(), rows + 1, "{kind}: {csv}");
    }
    // The run folder rewritten by a fixed-batch scenario: the event run's hourly table, which
    // the new run does not write, goes, and the replaced origin is named.
    let (_, stderr) = succeeds(
        ipw()
            .args(["run", "scenarios/replay-file.toml", "-q", "--out"])
            .arg(&run_dir),
    );
    assert!(
        stderr.contains("replaced the results of") && stderr.contains("fleet-azure-conv"),
        "{stderr}"
    );
    assert!(!run_dir.join("hourly.csv").exists());
    assert!(!run_dir.join("minutes.parquet").exists());
    assert!(!run_dir.join("hourly.parquet").exists());
    assert!(run_dir.join("results.csv").exists());
}

#[test]
fn profile_commands_find_the_catalogue_from_any_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: Option<&str>| {
        let mut c = Command::cargo_bin("ipw-sim").unwrap();
        c.current_dir(cwd.path())
            .args(args)
            .env_remove("IPW_SIM_PROFILES");
        if let Some(v) = env {
            c.env("IPW_SIM_PROFILES", v);
        }
        c.output().unwrap()
    };
    // No ./hardware-profiles here: the catalogue of the source tree the binary was built from.
    let out = run(&["profile", "check"], None);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("67 pair variants"));
    // The scenario's catalogue.
    let s = root().join("scenarios/paper-fig4.toml");
    let out = run(
        &[
            "profile",
            "show",
            "Qwen3-8B",
            "apple-m4-max",
            "--scenario",
            s.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    // The environment variable wins over the fallbacks, and a wrong one is named.
    let out = run(&["profile", "list"], Some("/no/such/catalogue"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/no/such/catalogue"), "{err}");
}

#[test]
fn output_paths_that_cannot_be_written_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = fails(
        ipw()
            .args(["trace", "synth", "--per-day", "100", "--out"])
            .arg(file.join("s.csv")),
    );
    assert!(err.contains("a-file/s.csv: cannot write"), "{err}");
    assert!(!err.contains("cannot read"), "{err}");
    let trace = root().join("traces/azure/AzureLLMInferenceTrace_code_2023.csv");
    let err = fails(
        ipw()
            .args(["trace", "inspect"])
            .arg(&trace)
            .arg("--png")
            .arg(dir.path()),
    );
    assert!(err.contains("expected a file name ending in .png"), "{err}");
    let err = fails(
        ipw()
            .args(["trace", "inspect"])
            .arg(&trace)
            .arg("--png")
            .arg(file.join("x.png")),
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a-file/x.png: cannot write"), "{err}");
    assert!(!err.contains("Os {"), "no Rust debug text: {err}");
}

#[test]
fn a_synthetic_parquet_trace_reads_back_without_a_column_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.parquet");
    succeeds(
        ipw()
            .args(["trace", "synth", "--per-day", "500", "--out"])
            .arg(&path),
    );
    let (stdout, _) = succeeds(ipw().args(["trace", "inspect"]).arg(&path));
    assert!(stdout.lines().any(|l| l.starts_with("rows ")), "{stdout}");
}
