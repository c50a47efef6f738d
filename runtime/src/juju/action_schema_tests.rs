use super::*;
use serde_json::json;

fn schema(spec: Value) -> Value {
    build("snapshot", &spec).unwrap()
}

fn check(spec: Value, params: Value) -> Result<(), String> {
    validate(&schema(spec), params.as_object().unwrap())
}

fn snapshot() -> Value {
    json!({
        "description": "Take a snapshot.",
        "params": {
            "outfile": {"type": "string"},
            "quality": {"type": "integer", "minimum": 0, "maximum": 9},
            "util": {"type": "string", "enum": ["rsync", "scp"]},
            "force": {"type": "boolean", "default": false},
        },
        "required": ["outfile"],
    })
}

#[test]
fn the_schema_juju_builds() {
    let s = schema(json!({"params": {"a": {"type": "string"}}, "required": ["a"]}));
    assert_eq!(
        s,
        json!({
            "description": "No description", "type": "object", "title": "snapshot",
            "properties": {"a": {"type": "string"}}, "additionalProperties": false,
            "required": ["a"],
        })
    );
    let open = schema(json!({"additionalProperties": true}));
    assert_eq!(open["additionalProperties"], json!(true));
    assert_eq!(schema(Value::Null)["properties"], json!({}));
}

#[test]
fn schemas_juju_refuses() {
    let cases = [
        ("juju-backup", json!({}), "juju- prefix is reserved"),
        ("Backup", json!({}), "bad action name Backup"),
        (
            "a",
            json!({"params": {"x": {"$ref": "#/x"}}}),
            "\"$ref\" not compatible",
        ),
        ("a", json!({"$schema": "x"}), "\"$schema\" not compatible"),
        (
            "a",
            json!({"params": ["x"]}),
            "params failed to parse as a map",
        ),
        (
            "a",
            json!({"description": 5}),
            "\"description\" must be a string",
        ),
        ("a", json!({"required": "x"}), "must be a YAML list"),
        ("a", json!({"parallel": "yes"}), "must be a bool"),
        ("a", json!(["x"]), "expected a map"),
    ];
    for (name, spec, want) in cases {
        let e = build(name, &spec).unwrap_err();
        assert!(e.contains(want), "{name} {spec}: {e}");
    }
}

#[test]
fn valid_params_pass() {
    let ok = [
        json!({"outfile": "x"}),
        json!({"outfile": "x", "quality": 9, "util": "scp", "force": true}),
        json!({"outfile": "x", "quality": 5.0}),
    ];
    for p in ok {
        assert_eq!(check(snapshot(), p.clone()), Ok(()), "{p}");
    }
    let open = json!({"params": {}, "additionalProperties": true});
    assert_eq!(check(open, json!({"anything": 1})), Ok(()));
}

#[test]
fn errors_are_jujus_text() {
    let cases = [
        (
            json!({"outfile": "x", "force": "yes"}),
            r#"validation failed: (root).force : must be of type boolean, given "yes""#,
        ),
        (
            json!({"outfile": 5}),
            "validation failed: (root).outfile : must be of type string, given 5",
        ),
        (
            json!({"outfile": "x", "quality": "two"}),
            r#"validation failed: (root).quality : must be of type integer, given "two""#,
        ),
        (
            json!({"outfile": "x", "quality": 1.5}),
            "validation failed: (root).quality : must be of type integer, given 1.5",
        ),
        (
            json!({"quality": 5}),
            r#"validation failed: (root) : "outfile" property is missing and required, given {"quality":5}"#,
        ),
        (
            json!({"outfile": "x", "bar": "<&>"}),
            r#"validation failed: (root) : additional property "bar" is not allowed, given {"bar":"\u003c\u0026\u003e","outfile":"x"}"#,
        ),
        (
            json!({"outfile": "x", "util": "ftp"}),
            r#"validation failed: (root).util : must match one of the enum values ["rsync", "scp"], given "ftp""#,
        ),
        (
            json!({"outfile": "x", "quality": 10}),
            "validation failed: (root).quality : must be lower than or equal to 9, given 10",
        ),
        (
            json!({"outfile": "x", "quality": -1}),
            "validation failed: (root).quality : must be greater than or equal to 0, given -1",
        ),
    ];
    for (params, want) in cases {
        assert_eq!(
            check(snapshot(), params.clone()),
            Err(want.to_string()),
            "{params}"
        );
    }
}

#[test]
fn several_errors_join_in_order() {
    let spec = json!({"params": {"command": {"type": "string"}, "timeout": {"type": "number"}},
                      "required": ["command", "timeout"]});
    assert_eq!(
        check(spec, json!({})),
        Err(r#"validation failed: (root) : "command" property is missing and required, given {}; (root) : "timeout" property is missing and required, given {}"#.into())
    );
}

#[test]
fn nested_and_string_keywords() {
    let spec = json!({"params": {
        "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": true},
        "opts": {"type": "object", "properties": {"level": {"type": "integer"}},
                 "additionalProperties": false},
        "n": {"type": ["integer", "null"], "exclusiveMinimum": true, "minimum": 0, "multipleOf": 2},
    }});
    let cases = [
        (
            json!({"name": "a"}),
            "(root).name : string length must be greater or equal to 2, given \"a\"",
        ),
        (
            json!({"name": "abcde"}),
            "(root).name : string length must be lower or equal to 4, given \"abcde\"",
        ),
        (
            json!({"name": "AB"}),
            "(root).name : does not match pattern '^[a-z]+$', given \"AB\"",
        ),
        (
            json!({"tags": ["a", 1]}),
            "(root).tags.1 : must be of type string, given 1",
        ),
        (
            json!({"tags": ["a", "b", "c"]}),
            "(root).tags : array must have at the most 2 items, given [\"a\",\"b\",\"c\"]",
        ),
        (
            json!({"tags": ["a", "a"]}),
            "(root).tags : array items must be unique, given [\"a\",\"a\"]",
        ),
        (
            json!({"opts": {"level": "x"}}),
            "(root).opts.level : must be of type integer, given \"x\"",
        ),
        (
            json!({"opts": {"x": 1}}),
            "(root).opts : additional property \"x\" is not allowed, given {\"x\":1}",
        ),
        (
            json!({"n": 0}),
            "(root).n : must be greater than 0, given 0",
        ),
        (
            json!({"n": 3}),
            "(root).n : must be a multiple of 2, given 3",
        ),
        (
            json!({"n": "3"}),
            "(root).n : must be of type [integer,null], given \"3\"",
        ),
    ];
    for (params, want) in cases {
        let got = check(spec.clone(), params.clone()).unwrap_err();
        assert_eq!(got, format!("validation failed: {want}"), "{params}");
    }
    assert_eq!(
        check(spec, json!({"n": null, "name": "ab", "tags": []})),
        Ok(())
    );
}

#[test]
fn combinators() {
    let spec = json!({"params": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                 "w": {"not": {"type": "string"}}}});
    assert_eq!(check(spec.clone(), json!({"v": 1, "w": 1})), Ok(()));
    assert_eq!(
        check(spec.clone(), json!({"v": true})),
        Err(
            "validation failed: (root).v : must validate at least one schema (anyOf), given true"
                .into()
        )
    );
    assert_eq!(
        check(spec, json!({"w": "s"})),
        Err("validation failed: (root).w : must not validate the schema (not), given \"s\"".into())
    );
}

#[test]
fn a_schema_that_doubles_at_each_level_is_cut_off() {
    let mut s = json!({"type": "string"});
    // 2^18 nodes here; a YAML alias bomb in charmcraft.yaml is refused
    // earlier by the YAML guard, but a schema this size still parses.
    for _ in 0..18 {
        s = json!({"anyOf": [{"type": "integer"}, s.clone(), s]});
    }
    let spec = json!({"params": {"v": s}});
    let e = check(spec, json!({"v": true})).unwrap_err();
    assert!(e.contains("more than 100000 steps"), "{e}");
}

#[test]
fn defaults_are_inserted_as_juju_does() {
    let s = schema(json!({"params": {
        "force": {"type": "boolean", "default": false},
        "given": {"type": "string", "default": "d"},
        "nested": {"type": "object", "properties": {"level": {"default": 3}, "none": {}}},
        "empty": {"type": "object", "properties": {"none": {}}},
        "present": {"type": "object", "properties": {"a": {"default": 1}, "b": {"default": 2}}},
    }}));
    let mut p = json!({"given": "mine", "present": {"a": 9}})
        .as_object()
        .unwrap()
        .clone();
    insert_defaults(&s, &mut p);
    assert_eq!(
        Value::Object(p),
        json!({"given": "mine", "present": {"a": 9, "b": 2}, "force": false,
               "nested": {"level": 3}})
    );
}

#[test]
fn a_pattern_is_compiled_once_however_many_items_it_checks() {
    let spec = json!({"params": {"tags": {"type": "array",
        "items": {"type": "string", "pattern": "^[a-z]{1,20}$"}}}});
    let schema = schema(spec);
    let tags: Vec<Value> = (0..20_000)
        .map(|i| json!(format!("tag{}", i % 3)))
        .collect();
    let mut params = serde_json::Map::new();
    params.insert("tags".into(), Value::Array(tags));
    let mut v = Validator {
        errors: Vec::new(),
        steps: 0,
        patterns: Default::default(),
    };
    v.node(&schema, &Value::Object(params), "(root)");
    assert_eq!(v.patterns.len(), 1);
    assert_eq!(v.errors.len(), 20_000, "digits do not match [a-z]");
    assert_eq!(
        v.errors[0],
        "(root).tags.0 : does not match pattern '^[a-z]{1,20}$', given \"tag0\""
    );
}
