//! The JUJU context of workload events: the container must be in the
//! State, a custom notice is completed from the container's notices, a
//! check event needs the check in the container's plan.

use charmbox::charm::CharmMeta;
use charmbox::event::EventSpec;
use charmbox::state::State;
use serde_json::json;

fn meta() -> CharmMeta {
    CharmMeta::parse("name: app\ncontainers:\n  web: {}\n", "test").unwrap()
}

fn state() -> State {
    State::from_json(
        &json!({"containers": [{
            "name": "web",
            "can_connect": true,
            "layers": [{"label": "base", "yaml": "checks:\n  up: {override: replace, tcp: {port: 80}}\n"}],
            "notices": [{"id": "7", "key": "example.com/db-ready", "last_data": {"host": "db"}}]
        }]})
        .to_string(),
        "test",
    )
    .unwrap()
}

fn env(spec: &EventSpec) -> Result<Vec<(String, String)>, String> {
    spec.resolve(&meta(), &state())
        .map(|r| r.env.list().to_vec())
        .map_err(|e| e.0)
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[test]
fn pebble_ready_names_the_workload() {
    let e = env(&EventSpec::named("web-pebble-ready")).unwrap();
    assert_eq!(get(&e, "JUJU_WORKLOAD_NAME"), Some("web"));
    assert_eq!(get(&e, "JUJU_HOOK_NAME"), Some("web-pebble-ready"));
    let missing = EventSpec::named("web-pebble-ready")
        .resolve(&meta(), &State::default())
        .unwrap_err();
    assert_eq!(missing.0, "the state has no container \"web\"");
}

#[test]
fn a_custom_notice_is_completed_from_the_container() {
    let by_key = EventSpec {
        notice_key: Some("example.com/db-ready".into()),
        ..EventSpec::named("web-pebble-custom-notice")
    };
    let e = env(&by_key).unwrap();
    assert_eq!(get(&e, "JUJU_NOTICE_ID"), Some("7"));
    assert_eq!(get(&e, "JUJU_NOTICE_TYPE"), Some("custom"));
    assert_eq!(get(&e, "JUJU_NOTICE_KEY"), Some("example.com/db-ready"));
    let by_id = EventSpec {
        notice_id: Some("7".into()),
        ..EventSpec::named("web-pebble-custom-notice")
    };
    assert_eq!(
        get(&env(&by_id).unwrap(), "JUJU_NOTICE_KEY"),
        Some("example.com/db-ready")
    );
    assert_eq!(
        env(&EventSpec::named("web-pebble-custom-notice")).unwrap_err(),
        "pebble-custom-notice needs a notice key"
    );
}

#[test]
fn check_events_need_a_check_of_the_plan() {
    let failed = EventSpec {
        check_name: Some("up".into()),
        ..EventSpec::named("web-pebble-check-failed")
    };
    assert_eq!(
        get(&env(&failed).unwrap(), "JUJU_PEBBLE_CHECK_NAME"),
        Some("up")
    );
    let ghost = EventSpec {
        check_name: Some("ghost".into()),
        ..EventSpec::named("web-pebble-check-recovered")
    };
    assert_eq!(
        env(&ghost).unwrap_err(),
        "container \"web\" has no check \"ghost\" in its plan"
    );
}
