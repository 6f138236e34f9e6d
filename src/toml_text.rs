//! Small TOML helpers shared by every reader of TOML text: one-line error messages, and the
//! rule for values given on the command line (`--set KEY=VALUE`: a TOML value, or else a
//! string).

/// One line describing a TOML error: `line L, column C: message` when the text is known.
pub fn one_line_error(e: &toml::de::Error, text: Option<&str>) -> String {
    let message = e.message().replace('\n', " ");
    match (e.span(), text) {
        (Some(span), Some(text)) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        _ => message,
    }
}

/// A command-line value: read as a TOML value (`32`, `true`, `["a", "b"]`, `{ x = 1 }`), or as
/// a plain string when it is not one (`total`, `/data/trace.csv`).
pub fn value_or_string(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

/// Set `value` at the dotted `path` inside `doc`, creating tables on the way; `Err` names the
/// part of the path that is not a table.
pub fn set_path(doc: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut table = doc;
    for p in parents {
        table = table
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("`{p}` is not a table"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

/// The value at the dotted `path` inside `doc`, if any.
pub fn get_path<'a>(doc: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (last, parents) = path.split_last()?;
    let mut table = doc;
    for p in parents {
        table = table.get(*p)?.as_table()?;
    }
    table.get(*last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_values_are_toml_or_else_strings() {
        assert_eq!(value_or_string("32"), toml::Value::Integer(32));
        assert_eq!(value_or_string("0.5"), toml::Value::Float(0.5));
        assert_eq!(
            value_or_string("total"),
            toml::Value::String("total".into())
        );
        assert_eq!(
            value_or_string("/data/x.csv"),
            toml::Value::String("/data/x.csv".into())
        );
        assert_eq!(
            value_or_string(r#"["a","b"]"#),
            toml::Value::Array(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn set_path_creates_tables_and_refuses_to_descend_into_a_value() {
        let mut doc: toml::Table = toml::from_str("a = 1\n[b]\nc = 2").unwrap();
        set_path(&mut doc, &["b".into(), "d".into(), "e".into()], 3.into()).unwrap();
        assert_eq!(
            get_path(&doc, &["b", "d", "e"]),
            Some(&toml::Value::Integer(3))
        );
        assert_eq!(get_path(&doc, &["b", "c"]), Some(&toml::Value::Integer(2)));
        assert_eq!(
            set_path(&mut doc, &["a".into(), "x".into()], 1.into()),
            Err("`a` is not a table".into())
        );
    }

    #[test]
    fn toml_errors_name_line_and_column() {
        let text = "a = 1\nb = = 2\n";
        let e = toml::from_str::<toml::Table>(text).unwrap_err();
        assert!(one_line_error(&e, Some(text)).starts_with("line 2, column 5:"));
    }
}
