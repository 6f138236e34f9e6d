use super::*;

fn shipped() -> Scenario {
    Scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/paper-fig4.toml"))
        .unwrap()
}

const MINIMAL: &str = r#"
name = "t"
[trace]
path = "trace.csv"
[workload]
mix = { wildchat = 1.0 }
[fleet]
local_accelerator = "apple-m4-max"
local_models = ["Qwen3-8B"]
cloud_model = "Qwen3-235B-A22B"
cloud_accelerator = "nvidia-h200"
cloud_batch = 16
[router]
kind = "oracle"
"#;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(Path::new("dir/s.toml"), text)
}

#[test]
fn the_paper_scenario_expands_to_thirteen_points_in_file_order() {
    let s = shipped();
    let pts = s.points().unwrap();
    assert_eq!(pts.len(), 13);
    assert_eq!(pts[0], RouterConfig::AllCloud);
    assert_eq!(pts[1].kind(), "oracle");
    assert_eq!(pts[10].label(), "accuracy(p=0.8)");
    assert!(s
        .trace
        .path
        .unwrap()
        .ends_with("scenarios/../traces/azure/AzureLLMInferenceTrace_conv_2023.csv"));
}

#[test]
fn relative_paths_are_resolved_against_the_scenario_folder() {
    let s = parse(MINIMAL).unwrap();
    assert_eq!(s.trace.path.as_deref(), Some(Path::new("dir/trace.csv")));
    assert_eq!(s.profiles, Path::new("dir/../hardware-profiles"));
    assert_eq!(
        s.points().unwrap(),
        vec![RouterConfig::Oracle {
            objective: crate::router::Objective::Energy
        }]
    );
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_the_valid_keys() {
    let text = MINIMAL.replace("cloud_batch = 16", "cloud_batch = 16\ncloud_gpus = 8");
    let msg = parse(&text).unwrap_err().to_string();
    assert!(msg.starts_with("dir/s.toml: line 13"), "{msg}");
    assert!(
        msg.contains("cloud_gpus") && msg.contains("cloud_batch"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1, "{msg}");
}

#[test]
fn out_of_range_values_name_their_field() {
    let msg = parse(&MINIMAL.replace("kind = \"oracle\"", "kind = \"accuracy\"\np = 1.5"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`router`") && msg.contains("[0, 1]"), "{msg}");
    let msg = parse(&MINIMAL.replace("path = \"trace.csv\"", "path = \"trace.csv\"\nqueries = 10"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`trace.horizon_hours`: required"), "{msg}");
    let msg = parse(&MINIMAL.replace("cloud_batch = 16", "cloud_batch = 16\npue = 0.5"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`fleet.pue`"), "{msg}");
}

#[test]
fn sweep_arrays_expand_into_a_product_and_bad_entries_are_located() {
    let text = format!(
        "{MINIMAL}\n[sweep]\nrouter = [{{ kind = \"accuracy\", p = [0.2, 0.4], misroute = [\"paper\", \"escalate\"] }}]\n"
    );
    let pts = parse(&text).unwrap().points().unwrap();
    let labels: Vec<String> = pts.iter().map(RouterConfig::label).collect();
    // Keys expand in alphabetical order, the first varying slowest: misroute, then p.
    let want = [
        "accuracy(p=0.2)",
        "accuracy(p=0.4)",
        "accuracy(p=0.2,escalate)",
        "accuracy(p=0.4,escalate)",
    ];
    assert_eq!(labels, want);
    let bad = format!(
        "{MINIMAL}\n[sweep]\nrouter = [{{ kind = \"all-cloud\" }}, {{ kind = \"oracel\" }}]\n"
    );
    let msg = parse(&bad).unwrap_err().to_string();
    assert!(
        msg.contains("`sweep.router[1]`") && msg.contains("oracel"),
        "{msg}"
    );
}

#[test]
fn overrides_set_dotted_keys_with_toml_values_or_strings() {
    let s = Scenario::parse_with(
        Path::new("dir/s.toml"),
        MINIMAL,
        &[
            "metrics.flops_params=total".to_string(),
            "seed=7".to_string(),
            "fleet.local_models=[\"Qwen3-4B\",\"Qwen3-8B\"]".to_string(),
        ],
    )
    .unwrap();
    assert_eq!(s.metrics.flops_params, crate::sim::FlopsParams::Total);
    assert_eq!(s.seed, 7);
    assert_eq!(s.fleet.local_models.len(), 2);
    let msg = Scenario::parse_with(
        Path::new("dir/s.toml"),
        MINIMAL,
        &["fleet.nope=1".to_string()],
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("nope"), "{msg}");
    let msg = Scenario::parse_with(Path::new("dir/s.toml"), MINIMAL, &["seed".to_string()])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("--set") && msg.contains("KEY=VALUE"), "{msg}");
}
