use super::*;

fn shipped() -> Catalogue {
    Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles")).unwrap()
}

/// A copy of the shipped catalogue in a temporary folder, with `edit` applied to one file.
fn edited(
    file: &str,
    edit: impl Fn(String) -> String,
) -> (tempfile::TempDir, Result<Catalogue, ProfileError>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles");
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
    let text = std::fs::read_to_string(&target).unwrap();
    std::fs::write(&target, edit(text)).unwrap();
    let cat = Catalogue::load(dir.path());
    (dir, cat)
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

#[test]
fn a_number_without_a_source_is_rejected() {
    let (_d, cat) = edited("pairs/qwen3-8b__apple-m4-max__table13.toml", |t| {
        let start = t.find("power_source = ").unwrap();
        let end = start + t[start..].find('\n').unwrap();
        format!("{}power_source = \"\"{}", &t[..start], &t[end..])
    });
    let err = cat.unwrap_err().to_string();
    assert!(
        err.contains("qwen3-8b__apple-m4-max__table13.toml") && err.contains("`power_source`"),
        "{err}"
    );
}

#[test]
fn a_negative_power_and_an_unknown_field_are_rejected_with_the_file_named() {
    let (_d, cat) = edited("pairs/qwen3-4b__apple-m4-max__table13.toml", |t| {
        t.replace("power_w = 352.1", "power_w = -1.0")
    });
    let err = cat.unwrap_err().to_string();
    assert!(
        err.contains("point[0].power_w") && err.contains("positive"),
        "{err}"
    );
    let (_d, cat) = edited("accelerators.toml", |t| {
        t.replacen("tier = \"local\"", "tier = \"local\"\ncolour = \"red\"", 1)
    });
    let err = cat.unwrap_err().to_string();
    assert!(
        err.contains("accelerators.toml") && err.contains("colour"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
