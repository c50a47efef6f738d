//! A unit's kept projection ([`project_from`] with what its last hook
//! left) against a projection from scratch ([`project`]), on a small model
//! built by hand: after peers' and remote units' statuses are written,
//! members join, and units come and go.

use std::collections::{BTreeMap, BTreeSet};

use super::agent::RelView;
use super::hook::Hook;
use super::model::{End, Life, Model, Relation};
use super::names::UnitName;
use super::project::{Kept, Views, project, project_from};
use super::resolver_tests::{model, unit};
use crate::state::{RelationKind, StatusState};

/// Applications `a` and `b` of three units each, related (`a:ping`
/// `b:pong`, id 1), and `a` with a peer relation (id 2); every unit in
/// scope, `a/0` having joined `b/0` and `b/1`, and its peers.
fn related() -> Model {
    let mut m = model("a", 3);
    let mut b = m.app("a").unwrap().clone();
    b.name = "b".into();
    m.insert_app(b);
    for n in 0..3 {
        let mut u = m.unit(&unit("a", n)).unwrap().clone();
        u.name = unit("b", n);
        m.insert_unit(u);
    }
    let end = |app: &str, endpoint: &str, role: &str| End {
        app: app.into(),
        endpoint: endpoint.into(),
        role: role.into(),
        interface: "i".into(),
    };
    let everyone: BTreeSet<_> = ["a", "b"]
        .iter()
        .flat_map(|app| (0..3).map(|n| unit(app, n)))
        .collect();
    let rel = |id, kind, ends| Relation {
        id,
        kind,
        ends,
        life: Life::Alive,
        scope: everyone.clone(),
        suspended: false,
        cross_model: None,
    };
    m.insert_relation(rel(
        1,
        RelationKind::Regular,
        vec![end("a", "ping", "requirer"), end("b", "pong", "provider")],
    ));
    m.insert_relation(rel(2, RelationKind::Peer, vec![end("a", "peers", "peer")]));
    let joined = |members: &[UnitName]| RelView {
        created: true,
        members: members.iter().map(|x| (x.clone(), Some(0))).collect(),
        ..RelView::default()
    };
    m.insert_view(&unit("a", 0), 1, joined(&[unit("b", 0), unit("b", 1)]));
    m.insert_view(&unit("a", 0), 2, joined(&[unit("a", 1), unit("a", 2)]));
    m
}

fn status(s: &str, message: &str) -> StatusState {
    StatusState {
        status: s.into(),
        message: message.into(),
        since: Some("2026-12-06T10:00:00Z".into()),
    }
}

/// Project `a/0` from what `views` kept, check it against a projection from
/// scratch, and keep its output (the State as it went in) for next time.
fn hook(m: &Model, views: &mut Views, hook: &Hook) -> crate::state::State {
    let me = unit("a", 0);
    let kept: Kept = views.take(&me);
    let (state, sources) = project_from(m, &me, hook, 0, kept, &BTreeMap::new()).unwrap();
    assert_eq!(Some(&state), project(m, &me, hook, 0).as_ref(), "{hook:?}");
    views.keep(
        &me,
        state.relations.clone(),
        state.peer_unit_statuses.clone(),
        &sources,
    );
    state
}

#[test]
fn kept_statuses_follow_every_write_join_and_removal() {
    let mut m = related();
    let mut views = Views::default();
    let first = hook(&m, &mut views, &Hook::UpdateStatus);
    assert_eq!(first.peer_unit_statuses.len(), 2);
    assert_eq!(first.relations[0].remote_units_status.len(), 2);

    // Kept as they were: nothing was written.
    hook(&m, &mut views, &Hook::UpdateStatus);

    // A peer's and a remote member's statuses written: only those change.
    m.set_status_of(&unit("a", 2), status("blocked", "peer"));
    m.set_status_of(&unit("b", 1), status("active", "remote"));
    // A remote unit that is not a member: no member's status moves.
    m.set_status_of(&unit("b", 2), status("waiting", "not joined"));
    let s = hook(&m, &mut views, &Hook::UpdateStatus);
    assert_eq!(s.peer_unit_statuses["a/2"].message, "peer");
    assert_eq!(s.relations[0].remote_units_status[&1].message, "remote");
    assert!(!s.relations[0].remote_units_status.contains_key(&2));

    // `b/2` joins: its status comes with it.
    let join = Hook::RelationJoined {
        relation: 1,
        unit: unit("b", 2),
    };
    let s = hook(&m, &mut views, &join);
    assert_eq!(s.relations[0].remote_units_status[&2].message, "not joined");
    m.view_mut(&unit("a", 0), 1)
        .unwrap()
        .members
        .insert(unit("b", 2), Some(0));
    m.set_status_of(&unit("b", 2), status("active", "joined"));
    hook(&m, &mut views, &Hook::UpdateStatus);

    // `b/0` departs and is removed; a new peer arrives.
    let depart = Hook::RelationDeparted {
        relation: 1,
        unit: unit("b", 0),
        departing: unit("b", 0),
    };
    hook(&m, &mut views, &depart);
    m.view_mut(&unit("a", 0), 1)
        .unwrap()
        .members
        .remove(&unit("b", 0));
    m.remove_unit(&unit("b", 0));
    let mut new_peer = m.unit(&unit("a", 1)).unwrap().clone();
    new_peer.name = unit("a", 3);
    m.insert_unit(new_peer);
    let s = hook(&m, &mut views, &Hook::UpdateStatus);
    assert!(s.peer_unit_statuses.contains_key("a/3"));
    assert_eq!(
        s.relations[0]
            .remote_units_status
            .keys()
            .collect::<Vec<_>>(),
        [&1, &2]
    );
}
