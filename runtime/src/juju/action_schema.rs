//! Juju's action parameter schemas: the JSON-Schema object Juju builds for
//! each action of charmcraft.yaml (`charm.ReadActionsYaml`), the check of a
//! `juju run`'s parameters against it (`ActionSpec.ValidateParams`, with the
//! messages of Juju's fork of gojsonschema, draft 4) and the defaults it
//! inserts afterwards (`InsertDefaults`). docs/juju.md says why this is not
//! a general JSON-Schema crate: the text of the errors and the keyword set
//! are Juju's fork's, formats are not checked, and `$ref` is refused.

use serde_json::{Map, Value};

/// Most schema-node visits one validation may make. A hostile schema
/// nests `anyOf`s so that each level doubles the work; real ones take a
/// few hundred visits.
pub const MAX_VALIDATION_STEPS: usize = 100_000;

/// Largest compiled `pattern` regex (bytes of the compiled program).
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The schema Juju builds for action `name` from its charmcraft.yaml entry:
/// an object whose `properties` are the `params`, no additional properties
/// unless the action says so, `title` the action's name; other keys are
/// copied. `$ref` and `$schema` are refused anywhere, as Juju refuses them.
pub fn build(name: &str, spec: &Value) -> Result<Value, String> {
    if !crate::juju::actions::is_result_key(name) {
        return Err(format!("bad action name {name}"));
    }
    if name.starts_with("juju-") {
        return Err(format!(
            "cannot use action name {name}: juju- prefix is reserved"
        ));
    }
    let mut schema = Map::new();
    schema.insert("description".into(), "No description".into());
    schema.insert("type".into(), "object".into());
    schema.insert("title".into(), name.into());
    schema.insert("properties".into(), Value::Object(Map::new()));
    schema.insert("additionalProperties".into(), false.into());
    let entries = match spec {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        _ => return Err(format!("action {name}: expected a map of schema keys")),
    };
    for (key, value) in entries {
        refuse_refs(&value)?;
        match key.as_str() {
            "description" | "title" | "execution-group" if !value.is_string() => {
                return Err(format!("value for schema key {key:?} must be a string"));
            }
            "required" if !value.is_array() => {
                return Err(format!("value for schema key {key:?} must be a YAML list"));
            }
            "parallel" if !value.is_boolean() => {
                return Err(format!("value for schema key {key:?} must be a bool"));
            }
            "parallel" | "execution-group" => {}
            "params" => {
                let Value::Object(p) = value else {
                    return Err("params failed to parse as a map".into());
                };
                schema.insert("properties".into(), Value::Object(p));
            }
            "$ref" | "$schema" => {
                return Err(format!(
                    "schema key {key:?} not compatible with this version of juju"
                ));
            }
            _ => {
                schema.insert(key, value);
            }
        }
    }
    Ok(Value::Object(schema))
}

fn refuse_refs(v: &Value) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| *k == "$ref" || *k == "$schema") {
                return Err(format!(
                    "schema key {k:?} not compatible with this version of juju"
                ));
            }
            m.values().try_for_each(refuse_refs)
        }
        Value::Array(a) => a.iter().try_for_each(refuse_refs),
        _ => Ok(()),
    }
}

/// Check `params` against an action's schema (from [`build`]); the error
/// is Juju's: `validation failed: (root).n : must be of type integer,
/// given "two"`, several joined by `; `.
pub fn validate(schema: &Value, params: &Map<String, Value>) -> Result<(), String> {
    let mut v = Validator {
        errors: Vec::new(),
        steps: 0,
        patterns: Default::default(),
    };
    v.node(schema, &Value::Object(params.clone()), "(root)");
    if v.steps > MAX_VALIDATION_STEPS {
        return Err(format!(
            "validation failed: the action's schema takes more than {MAX_VALIDATION_STEPS} \
             steps to check"
        ));
    }
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(format!("validation failed: {}", v.errors.join("; ")))
    }
}

/// Juju's `InsertDefaults`: each missing property with a `default` gets it;
/// a missing object property gets the defaults of its own properties (when
/// it has any); a given object is filled the same way, never overwritten.
pub fn insert_defaults(schema: &Value, params: &mut Map<String, Value>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        fill(params, props, 0);
    }
}

fn fill(into: &mut Map<String, Value>, props: &Map<String, Value>, depth: usize) {
    if depth > 64 {
        return;
    }
    for (name, schema) in props {
        let inner = schema.get("properties").and_then(Value::as_object);
        match into.get_mut(name) {
            Some(Value::Object(given)) => {
                if let Some(inner) = inner {
                    fill(given, inner, depth + 1);
                }
            }
            Some(_) => {}
            None => {
                if let Some(d) = schema.get("default") {
                    into.insert(name.clone(), d.clone());
                } else if let Some(inner) = inner {
                    let mut nested = Map::new();
                    fill(&mut nested, inner, depth + 1);
                    if !nested.is_empty() {
                        into.insert(name.clone(), Value::Object(nested));
                    }
                }
            }
        }
    }
}

struct Validator {
    errors: Vec<String>,
    steps: usize,
    /// Each schema regex compiled once per validation (a hostile schema
    /// applies one pattern to every item of a long array).
    patterns: std::collections::HashMap<String, Option<regex::Regex>>,
}

/// The JSON types of a value, as gojsonschema sees them: a whole number is
/// both an integer and a number.
fn is_type(v: &Value, t: &str) -> bool {
    match (t, v) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) => true,
        ("string", Value::String(_)) | ("array", Value::Array(_)) => true,
        ("object", Value::Object(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// A number as Go's `%v` of a float64 prints it (`9`, `0.5`).
fn number_text(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => v.to_string(),
    }
}

impl Validator {
    /// The compiled `pattern`, compiled on first use.
    fn pattern(&mut self, pattern: &str) -> Option<regex::Regex> {
        self.patterns
            .entry(pattern.to_string())
            .or_insert_with(|| compile(pattern))
            .clone()
    }

    fn error(&mut self, context: &str, message: String, given: &Value) {
        self.errors
            .push(format!("{context} : {message}, given {}", go_json(given)));
    }

    fn node(&mut self, schema: &Value, value: &Value, context: &str) {
        self.steps += 1;
        if self.steps > MAX_VALIDATION_STEPS {
            return;
        }
        let Some(s) = schema.as_object() else { return };
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| is_type(value, t)) {
            let shown = match types.as_slice() {
                [one] => one.to_string(),
                many => format!("[{}]", many.join(",")),
            };
            self.error(context, format!("must be of type {shown}"), value);
            return;
        }
        self.combinators(s, value, context);
        match value {
            Value::Object(m) => self.object(s, m, value, context),
            Value::Array(a) => self.array(s, a, value, context),
            Value::String(text) => self.string(s, text, value, context),
            Value::Number(_) => self.number(s, value, context),
            _ => {}
        }
        if let Some(Value::Array(allowed)) = s.get("enum")
            && !allowed.contains(value)
        {
            let shown: Vec<String> = allowed.iter().map(go_json).collect();
            let message = format!("must match one of the enum values [{}]", shown.join(", "));
            self.error(context, message, value);
        }
    }

    /// Whether `value` passes `schema`, errors discarded.
    fn passes(&mut self, schema: &Value, value: &Value, context: &str) -> bool {
        let before = self.errors.len();
        self.node(schema, value, context);
        let ok = self.errors.len() == before;
        self.errors.truncate(before);
        ok
    }

    fn combinators(&mut self, s: &Map<String, Value>, value: &Value, context: &str) {
        if let Some(Value::Array(all)) = s.get("allOf")
            && !all.iter().all(|b| self.passes(b, value, context))
        {
            self.error(
                context,
                "must validate all the schemas (allOf)".into(),
                value,
            );
        }
        if let Some(Value::Array(any)) = s.get("anyOf")
            && !any.iter().any(|b| self.passes(b, value, context))
        {
            self.error(
                context,
                "must validate at least one schema (anyOf)".into(),
                value,
            );
        }
        if let Some(Value::Array(one)) = s.get("oneOf") {
            let n = one
                .iter()
                .filter(|b| self.passes(b, value, context))
                .count();
            if n != 1 {
                let message = "must validate one and only one schema (oneOf)".into();
                self.error(context, message, value);
            }
        }
        if let Some(not) = s.get("not")
            && self.passes(not, value, context)
        {
            self.error(context, "must not validate the schema (not)".into(), value);
        }
    }

    fn object(&mut self, s: &Map<String, Value>, m: &Map<String, Value>, v: &Value, ctx: &str) {
        let count = |k: &str| s.get(k).and_then(Value::as_u64);
        if let Some(n) = count("minProperties").filter(|n| (m.len() as u64) < *n) {
            self.error(ctx, format!("must have at least {n} properties"), v);
        }
        if let Some(n) = count("maxProperties").filter(|n| (m.len() as u64) > *n) {
            self.error(ctx, format!("must have at the most {n} properties"), v);
        }
        for name in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str()
                && !m.contains_key(name)
            {
                let message = format!("\"{name}\" property is missing and required");
                self.error(ctx, message, v);
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        let patterns: Vec<(regex::Regex, &Value)> = s
            .get("patternProperties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(p, sch)| self.pattern(p).map(|r| (r, sch)))
            .collect();
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        for key in keys {
            let declared = props.is_some_and(|p| p.contains_key(key));
            let matched: Vec<&Value> = patterns
                .iter()
                .filter(|(r, _)| r.is_match(key))
                .map(|(_, sch)| *sch)
                .collect();
            let child = format!("{ctx}.{key}");
            for sch in &matched {
                self.node(sch, &m[key], &child);
            }
            if declared || !matched.is_empty() {
                continue;
            }
            match s.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    let message = format!("additional property \"{key}\" is not allowed");
                    self.error(ctx, message, v);
                }
                Some(extra @ Value::Object(_)) => self.node(extra, &m[key], &child),
                _ => {}
            }
        }
        for (name, sch) in props.into_iter().flatten() {
            if let Some(given) = m.get(name) {
                self.node(sch, given, &format!("{ctx}.{name}"));
            }
        }
    }

    fn array(&mut self, s: &Map<String, Value>, a: &[Value], v: &Value, ctx: &str) {
        match s.get("items") {
            Some(item @ Value::Object(_)) => {
                for (i, e) in a.iter().enumerate() {
                    self.node(item, e, &format!("{ctx}.{i}"));
                }
            }
            Some(Value::Array(items)) => {
                for (i, (e, sch)) in a.iter().zip(items).enumerate() {
                    self.node(sch, e, &format!("{ctx}.{i}"));
                }
                if a.len() > items.len() {
                    match s.get("additionalItems") {
                        Some(Value::Bool(false)) => {
                            self.error(ctx, "no additional item allowed on array".into(), v)
                        }
                        Some(extra @ Value::Object(_)) => {
                            for (i, e) in a.iter().enumerate().skip(items.len()) {
                                self.node(extra, e, &format!("{ctx}.{i}"));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        let count = |k: &str| s.get(k).and_then(Value::as_u64);
        if let Some(n) = count("minItems").filter(|n| (a.len() as u64) < *n) {
            self.error(ctx, format!("array must have at least {n} items"), v);
        }
        if let Some(n) = count("maxItems").filter(|n| (a.len() as u64) > *n) {
            self.error(ctx, format!("array must have at the most {n} items"), v);
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) {
            let shown: Vec<String> = a.iter().map(go_json).collect();
            let mut sorted = shown.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() != shown.len() {
                self.error(ctx, "array items must be unique".into(), v);
            }
        }
    }

    fn string(&mut self, s: &Map<String, Value>, text: &str, v: &Value, ctx: &str) {
        let len = text.chars().count() as u64;
        if let Some(n) = s
            .get("minLength")
            .and_then(Value::as_u64)
            .filter(|n| len < *n)
        {
            let message = format!("string length must be greater or equal to {n}");
            self.error(ctx, message, v);
        }
        if let Some(n) = s
            .get("maxLength")
            .and_then(Value::as_u64)
            .filter(|n| len > *n)
        {
            self.error(
                ctx,
                format!("string length must be lower or equal to {n}"),
                v,
            );
        }
        if let Some(Value::String(p)) = s.get("pattern")
            && self.pattern(p).is_some_and(|r| !r.is_match(text))
        {
            self.error(ctx, format!("does not match pattern '{p}'"), v);
        }
    }

    fn number(&mut self, s: &Map<String, Value>, v: &Value, ctx: &str) {
        let x = v.as_f64().unwrap_or(0.0);
        let bound = |k: &str| s.get(k).filter(|b| b.is_number());
        let exclusive = |k: &str| s.get(k) == Some(&Value::Bool(true));
        if let Some(m) = bound("multipleOf")
            && let Some(step) = m.as_f64().filter(|f| *f > 0.0)
            && (x / step).fract() != 0.0
        {
            self.error(ctx, format!("must be a multiple of {}", number_text(m)), v);
        }
        if let Some(max) = bound("maximum") {
            let limit = max.as_f64().unwrap_or(f64::MAX);
            if exclusive("exclusiveMaximum") && x >= limit {
                self.error(ctx, format!("must be lower than {}", number_text(max)), v);
            } else if x > limit {
                let message = format!("must be lower than or equal to {}", number_text(max));
                self.error(ctx, message, v);
            }
        }
        if let Some(min) = bound("minimum") {
            let limit = min.as_f64().unwrap_or(f64::MIN);
            if exclusive("exclusiveMinimum") && x <= limit {
                self.error(ctx, format!("must be greater than {}", number_text(min)), v);
            } else if x < limit {
                let message = format!("must be greater than or equal to {}", number_text(min));
                self.error(ctx, message, v);
            }
        }
    }
}

/// A schema's regex (Go's RE2 syntax, which the regex crate shares), or
/// none when it does not compile or is too large: such a pattern is not
/// checked.
fn compile(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(MAX_PATTERN_BYTES)
        .build()
        .ok()
}

/// `v` with every object's keys sorted, as Go marshals maps (JSON and
/// YAML), whole floats as integers.
pub fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(sorted_map(m)),
        Value::Array(a) => Value::Array(a.iter().map(sorted_keys).collect()),
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::from(f as i64),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

/// [`sorted_keys`] of an object.
pub fn sorted_map(m: &Map<String, Value>) -> Map<String, Value> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| (k.clone(), sorted_keys(&m[k])))
        .collect()
}

/// A value as Go's `json.Marshal` writes it: keys sorted, compact, and
/// `<`, `>`, `&` escaped.
pub fn go_json(v: &Value) -> String {
    sorted_keys(v)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
#[path = "action_schema_tests.rs"]
mod tests;
