//! A k8s refresh as a StatefulSet rolling update: one pod at a time, the
//! highest ordinal first, the next once the new pod is ready; the
//! partition holds back the pods below it.

use super::*;

/// The units' refresh hooks (`stop` in the old pod to `start` in the new
/// one), in the order they ran, as (unit, hook).
fn refresh_hooks(s: &Simulator, since: u64) -> Vec<(String, String)> {
    s.events()
        .unwrap()
        .into_iter()
        .filter(|e| e.seq > since)
        .filter(|e| ["stop", "upgrade-charm", "start"].contains(&e.event.as_str()))
        .map(|e| (e.unit, e.event))
        .collect()
}

/// The units whose old pod stopped since `since`, in order.
fn stopped(s: &Simulator, since: u64) -> Vec<String> {
    refresh_hooks(s, since)
        .into_iter()
        .filter(|(_, h)| h == "stop")
        .map(|(u, _)| u)
        .collect()
}

fn last_seq(s: &Simulator) -> u64 {
    s.events().unwrap().last().map_or(0, |e| e.seq)
}

#[test]
fn a_k8s_refresh_replaces_one_pod_at_a_time_from_the_highest_ordinal() {
    let mut s = sim(7);
    deploy3(&mut s, false);
    let before = last_seq(&s);
    s.refresh("peer-counter", None).unwrap();
    s.settle().unwrap();
    let hooks = refresh_hooks(&s, before);
    let mut want = Vec::new();
    for n in [2, 1, 0] {
        for h in ["stop", "upgrade-charm", "start"] {
            want.push((format!("peer-counter/{n}"), h.to_string()));
        }
    }
    assert_eq!(hooks, want);
    assert!(s.model().app("peer-counter").unwrap().rollout.is_none());
}

#[test]
fn the_partition_holds_back_lower_ordinals_until_lowered() {
    let mut s = sim(7);
    deploy3(&mut s, false);
    s.set_partition("peer-counter", 2).unwrap();
    let before = last_seq(&s);
    s.refresh("peer-counter", None).unwrap();
    s.settle().unwrap();
    let gone = stopped(&s, before);
    assert_eq!(gone, ["peer-counter/2"]);
    assert!(s.model().app("peer-counter").unwrap().rollout.is_some());
    // The leader (say) moves the partition down: the next pod goes.
    s.set_partition("peer-counter", 1).unwrap();
    s.settle().unwrap();
    s.set_partition("peer-counter", 0).unwrap();
    s.settle().unwrap();
    let gone = stopped(&s, before);
    assert_eq!(gone, ["peer-counter/2", "peer-counter/1", "peer-counter/0"]);
    assert!(s.model().app("peer-counter").unwrap().rollout.is_none());
}

#[test]
fn a_partition_is_refused_on_machines() {
    let mut s = Simulator::in_memory(
        runtime(),
        ModelOptions {
            kind: Substrate::Machine,
            ..Default::default()
        },
    );
    s.deploy(&built(PEER), DeployOptions::default()).unwrap();
    let e = s.set_partition("peer-counter", 1).unwrap_err();
    assert!(e.to_string().contains("Kubernetes"), "{e}");
}

/// A container `name` as an image carrying `version` gives it.
fn image(name: &str, version: &str) -> charmbox::state::ContainerState {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "can_connect": true,
        "files": {"/etc/image-version": {"content": version}},
    }))
    .unwrap()
}

fn image_of(s: &Simulator, unit: &str) -> String {
    let u = s.model().unit(&unit.parse().unwrap()).unwrap();
    let c = u.containers.iter().find(|c| c.name == "pause").unwrap();
    c.files["/etc/image-version"].content.clone().unwrap()
}

#[test]
fn a_new_image_reaches_each_pod_as_the_rollout_replaces_it() {
    let mut s = sim(7);
    s.deploy(
        &built("examples/pause"),
        DeployOptions {
            units: Some(3),
            containers: vec![image("pause", "1")],
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    s.set_partition("pause", 2).unwrap();
    s.set_images("pause", &[image("pause", "2")]).unwrap();
    // Not replaced yet: the pods keep their image.
    assert_eq!(image_of(&s, "pause/2"), "1");
    s.refresh("pause", None).unwrap();
    s.settle().unwrap();
    assert_eq!(image_of(&s, "pause/2"), "2");
    assert_eq!(image_of(&s, "pause/1"), "1", "held back by the partition");
    s.set_partition("pause", 0).unwrap();
    s.settle().unwrap();
    for u in ["pause/0", "pause/1", "pause/2"] {
        assert_eq!(image_of(&s, u), "2", "{u}");
    }
    // Only the charm's containers, and only on Kubernetes.
    let err = s.set_images("pause", &[image("nope", "3")]).unwrap_err();
    assert!(
        err.to_string().contains("has no container \"nope\""),
        "{err}"
    );
    let mut m = Simulator::in_memory(
        runtime(),
        ModelOptions {
            kind: Substrate::Machine,
            ..Default::default()
        },
    );
    m.deploy(&built(PEER), DeployOptions::default()).unwrap();
    let err = m
        .set_images("peer-counter", &[image("pause", "3")])
        .unwrap_err();
    assert!(err.to_string().contains("Kubernetes"), "{err}");
}
