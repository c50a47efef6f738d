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

/// Juju delivers pebble-check-failed after the fact: by the time the hook
/// runs, the check may have passed again (up, failures reset), so a State
/// saying so is not refused (the simulator relies on it).
#[test]
fn check_events_take_the_check_as_the_state_has_it() {
    for (event, status, failures) in [
        ("work-pebble-check-failed", "up", 0),
        ("work-pebble-check-failed", "down", 3),
        ("work-pebble-check-recovered", "up", 0),
    ] {
        let r = check_event(event).resolve(&meta(), &state_with_check(status, failures));
        assert!(r.is_ok(), "{event} {status}: {r:?}");
    }
    let e = check_event("work-pebble-check-failed")
        .resolve(&meta(), &State::default())
        .unwrap_err();
    assert!(e.0.contains("no container"), "{}", e.0);
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
