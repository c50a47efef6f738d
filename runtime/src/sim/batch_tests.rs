//! What a hook that ran beside others commits (`lifecycle::Seen`): the
//! versions it was shown, so a write by another hook of its batch leaves
//! it another hook to run. Each case also commits the same hook with what
//! the model holds now, to show the write would otherwise be lost.

use super::hook::Hook;
use super::lifecycle::{Seen, Touched, committed, committed_as_seen};
use super::model::{BagOwner, Hint, Model};
use super::resolver::next_hook;
use super::resolver_tests::{model, peer_relation, unit};
use crate::state::Bag;

/// `writer` writes `value` into its bag of the peer relation; its peers
/// are told, as `merge` tells them.
fn write(m: &mut Model, writer: u32, value: &str) {
    let me = unit("a", writer);
    let bag = Bag::from([("k".to_string(), value.to_string())]);
    m.set_bag(0, BagOwner::Unit(me.clone()), bag)
        .expect("a new version");
    let rel = m.relations[&0].clone();
    for w in m.watchers(&rel, &me) {
        m.watch(&w, 0, &me, Hint::Changed);
    }
}

/// A reader due relation-changed for its peer's bag, shown version 1,
/// and the peer's second write landing before the reader commits.
fn raced_relation() -> (Model, Hook, Seen) {
    let mut m = model("a", 2);
    peer_relation(&mut m, "a");
    let (reader, writer) = (unit("a", 0), unit("a", 1));
    m.view_mut(&reader, 0)
        .unwrap()
        .members
        .insert(writer.clone(), Some(0));
    write(&mut m, 1, "1");
    let hook = next_hook(&m, &reader, 0, 0).unwrap();
    assert_eq!(
        hook,
        Hook::RelationChanged {
            relation: 0,
            unit: Some(writer)
        }
    );
    let seen = Seen::now(&m, &reader, &hook);
    write(&mut m, 1, "2");
    (m, hook, seen)
}

#[test]
fn a_relation_changed_commits_the_bag_version_it_was_shown() {
    let reader = unit("a", 0);
    let (mut m, hook, seen) = raced_relation();
    committed_as_seen(&mut m, &reader, &hook, seen, 0.5, &mut Touched::new());
    assert_eq!(
        next_hook(&m, &reader, 0, 0),
        Some(hook),
        "the second write is due"
    );
    let (mut late, hook, _) = raced_relation();
    committed(&mut late, &reader, &hook, 0.5, &mut Touched::new());
    assert_eq!(
        next_hook(&late, &reader, 0, 0),
        None,
        "committed as now, it is lost"
    );
}

/// A follower due leader-settings-changed, shown version 1, and the
/// leader's second `leader-set` landing before it commits.
fn raced_settings() -> (Model, Hook, Seen) {
    let mut m = model("a", 2);
    let follower = unit("a", 1);
    m.app_mut("a").unwrap().leader_settings_version += 1;
    let hook = next_hook(&m, &follower, 0, 0).unwrap();
    assert_eq!(hook, Hook::LeaderSettingsChanged);
    let seen = Seen::now(&m, &follower, &hook);
    m.app_mut("a").unwrap().leader_settings_version += 1;
    (m, hook, seen)
}

#[test]
fn a_leader_settings_changed_commits_the_version_it_was_shown() {
    let follower = unit("a", 1);
    let (mut m, hook, seen) = raced_settings();
    committed_as_seen(&mut m, &follower, &hook, seen, 0.5, &mut Touched::new());
    assert_eq!(next_hook(&m, &follower, 0, 0), Some(hook));
    let (mut late, hook, _) = raced_settings();
    committed(&mut late, &follower, &hook, 0.5, &mut Touched::new());
    assert_eq!(next_hook(&late, &follower, 0, 0), None);
}
