use super::*;
use serde_json::json;

fn meta() -> CharmMeta {
    CharmMeta::parse(
        "name: c\ncontainers:\n  work: {}\nactions:\n  go:\n    params:\n      \
         n:\n        type: integer\n        default: 2\n",
        "t",
    )
    .unwrap()
}

fn state_with_check(status: &str, failures: u64) -> State {
    serde_json::from_value(json!({"containers": [{
        "name": "work", "can_connect": true,
        "layers": [{"label": "base", "layer": {"checks": {"alive": {
            "override": "replace", "exec": {"command": "true"}}}}}],
        "checks": {"alive": {"status": status, "failures": failures}},
    }]}))
    .unwrap()
}

fn check_event(name: &str) -> EventSpec {
    EventSpec {
        check_name: Some("alive".into()),
        ..EventSpec::named(name)
    }
}

#[test]
fn check_failed_needs_a_failing_check() {
    let failed = check_event("work-pebble-check-failed");
    let e = failed
        .resolve(&meta(), &state_with_check("up", 0))
        .unwrap_err();
    assert!(e.0.contains("is up with no failures"), "{}", e.0);
    assert!(
        failed
            .resolve(&meta(), &state_with_check("down", 3))
            .is_ok()
    );
    // Up but failing (below the threshold, or the State written from
    // Pebble's check list mid-way): not refused.
    assert!(failed.resolve(&meta(), &state_with_check("up", 1)).is_ok());
    assert!(
        failed.resolve(&meta(), &State::default()).is_err(),
        "no container"
    );
}

#[test]
fn check_recovered_needs_an_up_check() {
    let recovered = check_event("work-pebble-check-recovered");
    let e = recovered
        .resolve(&meta(), &state_with_check("down", 3))
        .unwrap_err();
    assert!(e.0.contains("is down in the state"), "{}", e.0);
    assert!(
        recovered
            .resolve(&meta(), &state_with_check("up", 0))
            .is_ok()
    );
}

#[test]
fn action_parameters_are_validated_then_defaulted() {
    let action = |params: serde_json::Value| EventSpec {
        action: true,
        params: serde_json::from_value(params).unwrap(),
        ..EventSpec::named("go")
    };
    let e = action(json!({"n": "two"}))
        .resolve(&meta(), &State::default())
        .err()
        .unwrap();
    assert_eq!(
        e.0,
        r#"validation failed: (root).n : must be of type integer, given "two""#
    );
    let ok = action(json!({}))
        .resolve(&meta(), &State::default())
        .unwrap();
    assert_eq!(
        ok.params,
        Some(json!({"n": 2}).as_object().unwrap().clone())
    );
}
