//! The machine series-upgrade hooks (Juju 3.x `HookVars`): pre-series-upgrade
//! carries the target base and its series; both are machine hooks.

use charmbox::charm::CharmMeta;
use charmbox::event::EventSpec;
use charmbox::state::State;
use serde_json::json;

fn resolve(spec: &EventSpec, kind: &str) -> Result<Vec<(String, String)>, String> {
    let meta = CharmMeta::parse("name: app\n", "test").unwrap();
    let state = State::from_json(&json!({"model": {"type": kind}}).to_string(), "test").unwrap();
    spec.resolve(&meta, &state)
        .map(|r| r.env.list().to_vec())
        .map_err(|e| e.0)
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[test]
fn pre_series_upgrade_names_the_target_base_and_series() {
    let spec = EventSpec {
        target_base: Some("ubuntu@24.04".into()),
        ..EventSpec::named("pre-series-upgrade")
    };
    let env = resolve(&spec, "lxd").unwrap();
    assert_eq!(get(&env, "JUJU_TARGET_BASE"), Some("ubuntu@24.04"));
    assert_eq!(get(&env, "JUJU_TARGET_SERIES"), Some("noble"));
    assert!(env.windows(2).all(|w| w[0] <= w[1]), "sorted");
    let post = resolve(&EventSpec::named("post-series-upgrade"), "lxd").unwrap();
    assert_eq!(get(&post, "JUJU_TARGET_BASE"), None);
}

#[test]
fn series_upgrade_events_refuse_what_juju_would_not_run() {
    let bare = resolve(&EventSpec::named("pre-series-upgrade"), "lxd").unwrap_err();
    assert!(
        bare.contains("needs the base the machine goes to"),
        "{bare}"
    );
    let spec = EventSpec {
        target_base: Some("ubuntu@24.04".into()),
        ..EventSpec::named("pre-series-upgrade")
    };
    let k8s = resolve(&spec, "kubernetes").unwrap_err();
    assert!(k8s.contains("is a machine hook"), "{k8s}");
    let odd = EventSpec {
        target_base: Some("ubuntu@21.04".into()),
        ..EventSpec::named("pre-series-upgrade")
    };
    assert!(
        resolve(&odd, "lxd")
            .unwrap_err()
            .contains("unknown Ubuntu release")
    );
    let stray = EventSpec {
        target_base: Some("ubuntu@24.04".into()),
        ..EventSpec::named("start")
    };
    assert_eq!(
        resolve(&stray, "lxd").unwrap_err(),
        "only pre-series-upgrade has a target base"
    );
}
