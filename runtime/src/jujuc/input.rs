//! Reading the maps tools take from files or stdin: `relation-set --file`,
//! `state-set --file` (a YAML map, so JSON too) and `secret-add --file`
//! (JSON, else YAML), decoded the way Go's yaml.v2 decodes into a
//! `map[string]string`: scalars keep their text (`1.10` stays `1.10`,
//! `yes` stays `yes`), null becomes the empty string, and a nested map or
//! list is an error.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::{Ctx, Fail, Res};

/// The bytes a `--file` flag names: stdin for `-`, else the guest's file
/// (at most [`MAX_TOOL_FILE_BYTES`](super::MAX_TOOL_FILE_BYTES)).
pub fn read_file_arg(ctx: &mut Ctx, path: &str) -> Res<Vec<u8>> {
    if path == "-" {
        return ctx.stdin.map(<[u8]>::to_vec).ok_or(Fail::NeedStdin);
    }
    ctx.host
        .read_file(path, super::MAX_TOOL_FILE_BYTES)
        .map_err(|e| Fail::Run(e.to_string()))
}

/// A scalar's text, or "" for null.
struct Text(String);

impl<'de> de::Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(String::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(String::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                String::deserialize(d).map(Text)
            }
        }
        use serde::Deserialize;
        d.deserialize_option(Opt)
    }
}

/// The settings `relation-set` and `state-set` apply: the map in `--file`
/// (if given), then each `key=value` argument over it, sorted by key.
pub fn settings_from(
    ctx: &mut Ctx,
    file: Option<&str>,
    overrides: Vec<(String, String)>,
) -> Res<Vec<(String, String)>> {
    let mut settings = match file.filter(|f| !f.is_empty()) {
        Some(path) => {
            let data = read_file_arg(ctx, path)?;
            yaml_string_map(&data).map_err(Fail::Run)?
        }
        None => Vec::new(),
    };
    for (k, v) in overrides {
        settings.retain(|(x, _)| *x != k);
        settings.push((k, v));
    }
    settings.sort();
    Ok(settings)
}

/// yaml.v2 `Unmarshal(data, &map[string]string{})`, entries sorted by key.
pub fn yaml_string_map(data: &[u8]) -> Result<Vec<(String, String)>, String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Err("yaml: invalid leading UTF-8 octet".into());
    };
    let doc: serde_norway::Value = match crate::yaml::from_str(text) {
        Ok(v) => v,
        Err(crate::yaml::YamlError::Load(e)) => return Err(syntax_error(&e)),
        Err(limit) => return Err(limit.to_string()),
    };
    let kind = match &doc {
        serde_norway::Value::Null => return Ok(Vec::new()),
        serde_norway::Value::Mapping(_) => None,
        serde_norway::Value::Sequence(_) => Some("!!seq".to_string()),
        serde_norway::Value::Tagged(_) => Some("!!str".to_string()),
        other => Some(format!("!!str `{}`", scalar_text(other))),
    };
    if let Some(kind) = kind {
        return Err(format!(
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal {kind} into map[string]string"
        ));
    }
    // The guard passed above: the text is read again, as yaml.v2 would.
    #[allow(clippy::disallowed_methods)]
    let map: BTreeMap<String, Text> = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        let what = if e.to_string().contains("sequence") {
            "!!seq"
        } else {
            "!!map"
        };
        format!("yaml: unmarshal errors:\n  line {line}: cannot unmarshal {what} into string")
    })?;
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}

fn scalar_text(v: &serde_norway::Value) -> String {
    match v {
        serde_norway::Value::Bool(b) => b.to_string(),
        serde_norway::Value::Number(n) => n.to_string(),
        serde_norway::Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// `yaml: line N: <problem>` from a parse error.
fn syntax_error(e: &serde_norway::Error) -> String {
    let text = e.to_string();
    let problem = text.split(" at line ").next().unwrap_or(&text);
    match e.location() {
        Some(l) => format!("yaml: line {}: {problem}", l.line()),
        None => format!("yaml: {problem}"),
    }
}

/// juju's `ReadSecretData`: JSON into `map[string]string`, else YAML.
pub fn secret_data(data: &[u8]) -> Result<Vec<(String, String)>, String> {
    if let Ok(map) = serde_json::from_slice::<BTreeMap<String, Option<String>>>(data) {
        return Ok(map
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect());
    }
    yaml_string_map(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let m = yaml_string_map(b"a: 1.10\nb: yes\nc: ~\nd: |-\n  x\n  y\n\"e\": \"q\"\n").unwrap();
        assert_eq!(
            m,
            vec![
                ("a".into(), "1.10".into()),
                ("b".into(), "yes".into()),
                ("c".into(), "".into()),
                ("d".into(), "x\ny".into()),
                ("e".into(), "q".into()),
            ]
        );
        assert_eq!(yaml_string_map(b"").unwrap(), vec![]);
        assert_eq!(
            yaml_string_map(b"{\"k\": \"v\"}").unwrap(),
            vec![("k".into(), "v".into())]
        );
        assert!(
            yaml_string_map(b"a: {b: c}")
                .unwrap_err()
                .contains("cannot unmarshal !!map into string")
        );
        assert!(
            yaml_string_map(b"- a")
                .unwrap_err()
                .contains("!!seq into map[string]string")
        );
    }
}
