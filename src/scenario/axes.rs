//! Sweep axes: `[sweep]` lists router settings (`router = [...]`) and, under any other key, a
//! list of values for a scenario field, e.g.
//!
//! ```toml
//! [sweep]
//! router = [{ kind = "all-cloud" }, { kind = "accuracy", p = [0.2, 0.8] }]
//! fleet.cloud.replicas = [1, 2, 4]
//! fleet.local_models = [["Qwen3-4B", "Qwen3-8B"], ["GPT-OSS-20B"]]
//! ```
//!
//! Every leaf of `[sweep]` other than `router` is an axis named by its dotted key; its value
//! must be a non-empty list (a list-valued field takes a list of lists). Axes are crossed in
//! alphabetical order of their keys, the first varying slowest; each combination is a
//! configuration, and the router settings are crossed inside each configuration.

/// An axis: its dotted key (for columns and messages), the path of table keys it names (a
/// quoted key may itself contain a dot), and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub path: Vec<String>,
    pub values: Vec<toml::Value>,
}

/// Fields that cannot be axes, and why.
const NOT_AXES: &[(&str, &str)] = &[(
    "profiles",
    "the catalogue is loaded once per run; run one scenario per catalogue",
)];

/// The axes of a `[sweep]` table (without `router`): `(dotted key, values)`, in alphabetical
/// order of keys. `Err((field, message))` for a leaf that is not a non-empty list.
pub fn axes(sweep: &toml::Table) -> Result<Vec<Axis>, (String, String)> {
    let mut out = Vec::new();
    walk(sweep, &[], &mut out)?;
    Ok(out)
}

fn walk(
    table: &toml::Table,
    prefix: &[String],
    out: &mut Vec<Axis>,
) -> Result<(), (String, String)> {
    for (k, v) in table {
        let mut path = prefix.to_vec();
        path.push(k.clone());
        let key = path.join(".");
        if key == "router" {
            continue;
        }
        if let Some((_, why)) = NOT_AXES.iter().find(|(f, _)| *f == key) {
            return Err((
                format!("sweep.{key}"),
                format!("cannot be a sweep axis: {why}"),
            ));
        }
        match v {
            toml::Value::Table(t) => walk(t, &path, out)?,
            toml::Value::Array(values) if !values.is_empty() => out.push(Axis {
                key,
                path,
                values: values.clone(),
            }),
            toml::Value::Array(_) => {
                return Err((
                    format!("sweep.{key}"),
                    "an empty list gives no points; list at least one value".into(),
                ))
            }
            other => {
                return Err((
                    format!("sweep.{key}"),
                    format!(
                        "expected a list of values for the axis, got {other} (a list-valued field takes a list of lists)"
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Every combination of one value per axis, `(key, value)` in axis order, the first axis
/// varying slowest (one empty combination when there are no axes).
pub fn combinations(axes: &[Axis]) -> Vec<Vec<(String, toml::Value)>> {
    let mut out: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|combo| {
                axis.values.iter().map(move |v| {
                    let mut c = combo.clone();
                    c.push((axis.key.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    out
}

/// A combination as text, e.g. `fleet.cloud.replicas = 2, fleet.pue = 1.2`.
pub fn describe(combo: &[(String, toml::Value)]) -> String {
    combo
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn axes_are_the_dotted_leaves_other_than_router_in_key_order() {
        let t = table(
            "router = [{ kind = \"oracle\" }]\nfleet.local_models = [[\"a\"], [\"b\", \"c\"]]\nfleet.cloud.replicas = [1, 2]\nseed = [3]",
        );
        let a = axes(&t).unwrap();
        let keys: Vec<&str> = a.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["fleet.cloud.replicas", "fleet.local_models", "seed"]);
        assert_eq!(a[1].values.len(), 2);
        assert_eq!(a[1].path, ["fleet", "local_models"]);
        let combos = combinations(&a);
        assert_eq!(combos.len(), 4);
        // The first axis varies slowest.
        assert_eq!(
            describe(&combos[1]),
            "fleet.cloud.replicas = 1, fleet.local_models = [\"b\", \"c\"], seed = 3"
        );
        assert_eq!(
            describe(&combos[2]),
            "fleet.cloud.replicas = 2, fleet.local_models = [\"a\"], seed = 3"
        );
    }

    #[test]
    fn a_quoted_key_with_a_dot_stays_one_path_segment() {
        let a = axes(&table(
            "fleet.variants.\"Llama-3.1-8B@nvidia-h100\" = [\"a\", \"b\"]",
        ))
        .unwrap();
        assert_eq!(a[0].path, ["fleet", "variants", "Llama-3.1-8B@nvidia-h100"]);
    }

    #[test]
    fn the_catalogue_is_not_an_axis() {
        let e = axes(&table("profiles = [\"a\", \"b\"]")).unwrap_err();
        assert_eq!(e.0, "sweep.profiles");
        assert!(e.1.contains("loaded once per run"), "{}", e.1);
    }

    #[test]
    fn an_axis_that_is_not_a_non_empty_list_is_named() {
        assert_eq!(
            axes(&table("fleet.pue = 1.2")).unwrap_err().0,
            "sweep.fleet.pue"
        );
        assert_eq!(
            axes(&table("fleet.pue = []")).unwrap_err().0,
            "sweep.fleet.pue"
        );
        assert_eq!(combinations(&[]), vec![Vec::new()]);
    }
}
