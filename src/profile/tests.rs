use super::*;

fn shipped() -> Catalogue {
    Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles")).unwrap()
}

#[test]
fn the_shipped_catalogue_loads_and_has_the_paper_scenario_pairs() {
    let cat = shipped();
    for m in ["Qwen3-4B", "Qwen3-8B", "Qwen3-14B", "GPT-OSS-20B"] {
        cat.pair(m, "apple-m4-max").unwrap();
    }
    let cloud = cat.pair("Qwen3-235B-A22B", "nvidia-h200").unwrap();
    assert_eq!(cloud.devices, 8);
    assert_eq!(cat.model("Qwen3-235B-A22B").unwrap().total_params_b, 235.0);
}

#[test]
fn interpolation_is_exact_at_measured_points_and_linear_between() {
    let cat = shipped();
    let p = cat.pair("Qwen3-235B-A22B", "nvidia-h200").unwrap();
    let at16 = p.at_batch(16.0).unwrap();
    assert_eq!(at16, p.points[1]);
    let at12 = p.at_batch(12.0).unwrap();
    let mid = 0.5 * (p.points[0].power_w + p.points[1].power_w);
    assert!((at12.power_w - mid).abs() < 1e-9);
    let err = p.at_batch(64.0).unwrap_err().to_string();
    assert!(err.contains("outside the measured range 8..=32"), "{err}");
}

#[test]
fn a_missing_pair_names_the_model_the_accelerator_and_where_to_put_it() {
    let cat = shipped();
    let err = cat
        .pair("Qwen3-235B-A22B", "apple-m4-max")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Qwen3-235B-A22B") && err.contains("apple-m4-max") && err.contains("pairs/"),
        "{err}"
    );
    let err = cat.pair("Qwen9", "apple-m4-max").unwrap_err().to_string();
    assert!(
        err.contains("unknown model `Qwen9`") && err.contains("Qwen3-8B"),
        "{err}"
    );
}
