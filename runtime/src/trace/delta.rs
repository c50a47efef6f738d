//! The committed delta of a dispatch: the State paths that changed, as JSON
//! pointers with their new values (absent when removed).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One changed path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// The changes that turn `before` into `after` (objects compared key by key;
/// any other difference replaces the value). Recursive: as deep as a
/// State's JSON, which serde_json caps at 128 levels when read back.
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<Change>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{}", escape(k));
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => walk(&p, va, vb, out),
                    (None, Some(vb)) => out.push(Change {
                        path: p,
                        value: Some(vb.clone()),
                    }),
                    (Some(_), None) => out.push(Change {
                        path: p,
                        value: None,
                    }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}/{i}"), va, vb, out);
            }
        }
        _ if a == b => {}
        _ => out.push(Change {
            path: path.to_string(),
            value: Some(b.clone()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_of_changes() {
        let a = json!({"r": [{"bag": {"k": "1", "gone": "x"}}], "s": "same"});
        let b = json!({"r": [{"bag": {"k": "2", "new/key": "y"}}], "s": "same"});
        let d = diff(&a, &b);
        assert_eq!(
            d,
            vec![
                Change {
                    path: "/r/0/bag/gone".into(),
                    value: None
                },
                Change {
                    path: "/r/0/bag/k".into(),
                    value: Some(json!("2"))
                },
                Change {
                    path: "/r/0/bag/new~1key".into(),
                    value: Some(json!("y"))
                },
            ]
        );
        assert!(diff(&a, &a).is_empty());
    }
}
