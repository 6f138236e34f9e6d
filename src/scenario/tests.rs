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
fn the_paper_scenario_expands_to_fifteen_points_in_file_order() {
    let s = shipped();
    let pts = s.points().unwrap();
    assert_eq!(pts.len(), 15);
    assert_eq!(pts[13].router.label(), "oracle(optimal)");
    assert_eq!(pts[14].router.label(), "accuracy(p=0.8,optimal)");
    assert_eq!(pts[0].router, RouterConfig::AllCloud);
    assert_eq!(pts[1].router.kind(), "oracle");
    assert_eq!(pts[10].router.label(), "accuracy(p=0.8)");
    // No field axes: one configuration, and each point's scenario carries its router.
    assert!(pts.iter().all(|p| p.config == 0 && p.axes.is_empty()));
    assert_eq!(pts[10].scenario.router, Some(pts[10].router.clone()));
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
        s.routers().unwrap(),
        vec![RouterConfig::Oracle {
            objective: crate::router::Objective::Energy,
            target: crate::router::Target::LocalFirst,
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
    let labels: Vec<String> = pts.iter().map(|p| p.router.label()).collect();
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

fn set(texts: &[&str]) -> Overrides {
    Overrides::from_set(texts).unwrap()
}

#[test]
fn overrides_set_dotted_keys_with_toml_values_or_strings() {
    let s = Scenario::parse_with(
        Path::new("dir/s.toml"),
        MINIMAL,
        &set(&[
            "metrics.flops_params=total",
            "seed=7",
            "fleet.local_models=[\"Qwen3-4B\",\"Qwen3-8B\"]",
        ]),
    )
    .unwrap();
    assert_eq!(s.metrics.flops_params, crate::metrics::FlopsParams::Total);
    assert_eq!(s.seed, 7);
    assert_eq!(s.fleet.local_models.len(), 2);
    let msg = Scenario::parse_with(Path::new("dir/s.toml"), MINIMAL, &set(&["fleet.nope=1"]))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("nope") && msg.contains("--set fleet.nope=1"),
        "{msg}"
    );
    let msg = Overrides::from_set(&["seed"]).unwrap_err();
    assert!(msg.contains("KEY=VALUE"), "{msg}");
}

#[test]
fn queries_and_skip_invalid_apply_before_validation_and_combine_with_any_set() {
    // --queries alone adds a 24 h horizon; with --set trace.horizon_hours it keeps that one
    // (validating before adding the queries would refuse a horizon without queries).
    let o = Overrides {
        queries: Some(1000),
        ..Overrides::default()
    };
    let s = Scenario::parse_with(Path::new("dir/s.toml"), MINIMAL, &o).unwrap();
    assert_eq!(
        (s.trace.queries, s.trace.horizon_hours),
        (Some(1000), Some(24.0))
    );
    let o = Overrides {
        queries: Some(1000),
        skip_invalid: true,
        ..set(&["trace.horizon_hours=2"])
    };
    let s = Scenario::parse_with(Path::new("dir/s.toml"), MINIMAL, &o).unwrap();
    assert_eq!(
        (s.trace.queries, s.trace.horizon_hours, s.trace.skip_invalid),
        (Some(1000), Some(2.0), true)
    );
    assert!(!parse(MINIMAL).unwrap().trace.skip_invalid);
}

#[test]
fn field_axes_cross_with_routers_and_each_point_is_validated() {
    let text = MINIMAL.replace("[router]\nkind = \"oracle\"\n", "")
        + "[sweep]\nrouter = [{ kind = \"all-cloud\" }, { kind = \"oracle\" }]\nfleet.pue = [1.0, 1.5]\nfleet.local_models = [[\"Qwen3-8B\"], [\"Qwen3-4B\", \"Qwen3-14B\"]]\n";
    let s = parse(&text).unwrap();
    let pts = s.points().unwrap();
    assert_eq!(s.axis_keys(), ["fleet.local_models", "fleet.pue"]);
    assert_eq!(pts.len(), 8);
    // Axes in key order, the first slowest; routers innermost.
    let p = &pts[5];
    assert_eq!((p.config, p.router.kind()), (2, "oracle"));
    assert_eq!(p.scenario.fleet.local_models, ["Qwen3-4B", "Qwen3-14B"]);
    assert_eq!(p.scenario.fleet.pue, 1.0);
    assert_eq!(pts[3].scenario.fleet.pue, 1.5);
    assert_eq!(pts[3].scenario.fleet.local_models, ["Qwen3-8B"]);
    // A value the field refuses names the axis point and the field.
    let bad = text.replace("fleet.pue = [1.0, 1.5]", "fleet.pue = [1.0, 0.5]");
    let msg = parse(&bad).unwrap_err().to_string();
    assert!(
        msg.contains("field `sweep`")
            && msg.contains("fleet.pue = 0.5")
            && msg.contains("`fleet.pue`: expected a PUE >= 1.0"),
        "{msg}"
    );
    // An unknown field as an axis is refused like an unknown key.
    let bad = text.replace("fleet.pue = [1.0, 1.5]", "fleet.peu = [1.0]");
    let msg = parse(&bad).unwrap_err().to_string();
    assert!(msg.contains("unknown field `peu`"), "{msg}");
    // An axis that is not a list is named.
    let bad = text.replace("fleet.pue = [1.0, 1.5]", "fleet.pue = 1.5");
    let msg = parse(&bad).unwrap_err().to_string();
    assert!(msg.contains("`sweep.fleet.pue`"), "{msg}");
}

#[test]
fn fields_changed_in_rust_are_refused_for_axis_points_and_apply_keeps_them_consistent() {
    let text = MINIMAL.to_string() + "[sweep]\nfleet.cloud_batch = [8, 16]\n";
    let mut s = parse(&text).unwrap();
    s.fleet.pue = 1.3;
    let e = s.points().unwrap_err().to_string();
    assert!(e.contains("Scenario::apply"), "{e}");
    let mut s = parse(&text).unwrap();
    s.apply(&set(&["fleet.pue=1.3"])).unwrap();
    let pts = s.points().unwrap();
    assert_eq!(pts.len(), 2);
    assert!(pts.iter().all(|p| p.scenario.fleet.pue == 1.3));
    assert_eq!(pts[1].scenario.fleet.cloud_batch, 16.0);
    // Without axes a changed field is simply used.
    let mut s = parse(MINIMAL).unwrap();
    s.fleet.pue = 1.4;
    assert_eq!(s.points().unwrap()[0].scenario.fleet.pue, 1.4);
}
