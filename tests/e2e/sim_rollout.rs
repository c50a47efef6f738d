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
