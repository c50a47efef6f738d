//! A unit entering a relation's scope (its relation-created committed):
//! the units already in scope are told, and are woken rather than resolved
//! again, since only a join was added for them; on a dying relation, where
//! the newcomer may also put off a relation-broken, they are resolved again.

use super::hook::Hook;
use super::lifecycle::{Touched, committed};
use super::model::{Life, Model};
use super::names::{TextOrdered, UnitName};
use super::resolver_tests::{model, peer_relation, unit};

/// Four units of `a` with a peer relation; `a/3` out of its scope (and
/// unknown to the others' hints) commits its relation-created.
fn enter(dying: bool) -> (Vec<UnitName>, Touched, Model) {
    let mut m = model("a", 4);
    peer_relation(&mut m, "a");
    let newcomer = unit("a", 3);
    m.relation_mut(0).unwrap().scope.remove(&newcomer);
    m.remove_view(&newcomer, 0);
    for n in 0..3 {
        let view = m.view_mut(&unit("a", n), 0).unwrap();
        view.dirty.remove(&TextOrdered(newcomer.clone()));
    }
    if dying {
        m.relation_mut(0).unwrap().life = Life::Dying;
    }
    let mut touched = Touched::new();
    let hook = Hook::RelationCreated { relation: 0 };
    committed(&mut m, &newcomer, &hook, 0.5, &mut touched);
    (m.take_woken(), touched, m)
}

#[test]
fn the_units_in_scope_are_told_and_woken_when_another_enters() {
    let (woken, touched, m) = enter(false);
    assert_eq!(woken, [unit("a", 0), unit("a", 1), unit("a", 2)]);
    assert!(touched.iter().all(|u| *u == unit("a", 3)), "{touched:?}");
    for w in &woken {
        let hints = &m.view(w, 0).unwrap().dirty;
        assert!(hints.contains(&TextOrdered(unit("a", 3))), "{w}: {hints:?}");
    }
    assert!(m.relations[&0].scope.contains(&unit("a", 3)));
}

#[test]
fn on_a_dying_relation_the_units_in_scope_are_resolved_again() {
    let (woken, touched, _) = enter(true);
    assert!(woken.is_empty(), "{woken:?}");
    for n in 0..3 {
        assert!(touched.contains(&unit("a", n)), "{touched:?}");
    }
}
