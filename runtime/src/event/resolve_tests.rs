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

/// `JUJU_CONTEXT_ID` is `<unit>-<hook or action>-<32 hex>`: the first 16
/// bytes of SHA-256 over `<unit>|<dispatch path>|<seed>` (values computed
/// with Python's hashlib), so a seed gives the same id run after run.
#[test]
fn the_context_id_is_the_unit_the_hook_and_a_digest_of_the_seed() {
    let env_of = |spec: EventSpec, seed: u64| {
        let state = State {
            seed,
            ..State::default()
        };
        let env = spec.resolve(&meta(), &state).unwrap().env;
        env.list()
            .iter()
            .find(|(k, _)| k == "JUJU_CONTEXT_ID")
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(
        env_of(EventSpec::named("install"), 7),
        "c/0-install-36761d6a4850544b688d1be52c742efb"
    );
    let go = EventSpec {
        action: true,
        ..EventSpec::named("go")
    };
    assert_eq!(env_of(go, 0), "c/0-go-8f9834eb707c52ab9bf55bd8ac755d60");
}
