"""ops' own unit state (StoredState, deferred events) in the unit directory
charmbox mounts for the guest, read and written with ops' SQLiteStorage and
Scenario's handle-path conventions, so that ``State.stored_states`` and
``State.deferred`` mean what they mean under ops.testing."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import ops.storage
from scenario._ops_main_mock import UnitStateDB

# Where the guest's ops keeps .unit-state.db, relative to the unit directory
# (runtime/src/sandbox/unit_dir.rs: GUEST_STATE_DIR).
STATE_DB = pathlib.Path("var/lib/charmbox/state/.unit-state.db")


def write(unit_dir: pathlib.Path, state: Any) -> None:
    """Put ``state``'s deferred events and stored states where the guest's
    ops will read them."""
    if not state.deferred and not state.stored_states:
        return
    path = unit_dir / STATE_DB
    path.parent.mkdir(parents=True, exist_ok=True)
    store = ops.storage.SQLiteStorage(path)
    try:
        UnitStateDB(store).apply_state(state)
        store.commit()
    finally:
        store.close()


def read(unit_dir: pathlib.Path, state: Any) -> Any:
    """``state`` with the deferred events and stored states the guest's ops
    left (unchanged when it left no database)."""
    path = unit_dir / STATE_DB
    if not path.is_file():
        return state
    store = ops.storage.SQLiteStorage(path)
    try:
        db = UnitStateDB(store)
        return dataclasses.replace(
            state, deferred=db.get_deferred_events(), stored_states=db.get_stored_states()
        )
    finally:
        store.close()
