//! The values the hook tools print, shaped like the Go values Juju hands to
//! its formatters: nil versus empty matters, and so does whether a map is a
//! Go map (sorted on output) or a struct (fields in declaration order).

/// A Go value as juju/cmd's formatters see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An untyped `nil` (a missing key): nothing in smart/yaml, `null` in json.
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A `time.Time`: RFC 3339 text, plain in yaml, a string in json.
    Time(String),
    /// A `[]string`. `nil` is a nil slice: `null` in json, `[]` in yaml.
    Strings {
        items: Vec<String>,
        nil: bool,
    },
    /// Any other slice (`[]interface{}`, slices of structs).
    List(Vec<Value>),
    /// A Go map (`sorted`: keys sorted on output, bytewise for json and
    /// yaml.v2's natural order for yaml) or a struct (fields in the order
    /// given). `nil` is a nil map: `null` in json, `{}` in yaml.
    Map {
        entries: Vec<(String, Value)>,
        sorted: bool,
        nil: bool,
    },
}

impl Value {
    /// A Go `map[string]...` with these entries.
    pub fn map(entries: Vec<(String, Value)>) -> Value {
        Value::Map {
            entries,
            sorted: true,
            nil: false,
        }
    }

    /// A Go struct with these fields, in this order.
    pub fn record(entries: Vec<(&str, Value)>) -> Value {
        let entries = entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Value::Map {
            entries,
            sorted: false,
            nil: false,
        }
    }

    /// A `map[string]string`.
    pub fn string_map(entries: &[(String, String)]) -> Value {
        Value::map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
                .collect(),
        )
    }

    /// A non-nil `[]string`.
    pub fn strings(items: Vec<String>) -> Value {
        Value::Strings { items, nil: false }
    }

    /// A value decoded from JSON by Go's `encoding/json` into `interface{}`:
    /// every number is a float64, objects are maps. Recursive: as deep as
    /// the JSON (parsed: 128 levels at most; action results: 64 parts).
    pub fn from_json(v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Nil,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}
impl crate::go::yaml::v2::Marshal for Value {
    fn view(&self) -> crate::go::yaml::v2::View<'_, Value> {
        use crate::go::yaml::v2::View;
        match self {
            Value::Nil => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Int(i) => View::Int(*i),
            Value::Float(f) => View::Float(*f),
            Value::Str(s) => View::Str(s),
            Value::Time(t) => View::Time(t),
            Value::Strings { items, .. } => View::Strings(items),
            Value::List(items) => View::Seq(items),
            Value::Map {
                entries, sorted, ..
            } => View::Map {
                entries,
                sorted: *sorted,
            },
        }
    }
}
