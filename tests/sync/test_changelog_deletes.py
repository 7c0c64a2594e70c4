"""The server's change log and rows deleted with bulk statements (seen by the session hook)."""

from __future__ import annotations

import json
from contextlib import suppress

from sqlalchemy import delete, select

from boxoffice.services import events
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, SyncChange
from boxoffice.sync import changelog


def _deletions(store: Store) -> list[tuple[str, str]]:
    with store.read() as session:
        return [(t, pk) for t, pk in session.execute(
            select(SyncChange.table_name, SyncChange.pk).where(SyncChange.row.is_(None)))]


class _Undo(Exception):
    pass


def test_a_bulk_delete_is_logged_and_one_undone_in_a_savepoint_is_not(store: Store, owner: Actor) -> None:
    events.create_event(store, owner, "Fest", "UTC")
    kept = events.add_category(store, owner, "Fest", "Kept")
    gone = events.add_category(store, owner, "Fest", "Gone")
    changelog.become_server(store)
    with store.write() as session:
        # As the sync push does: a use case in a savepoint that fails after its delete.
        with suppress(_Undo), store.write() as inner:
            inner.execute(delete(Category).where(Category.id == kept.id))
            raise _Undo
        session.execute(delete(Category).where(Category.id == gone.id))
    assert _deletions(store) == [("categories", json.dumps([gone.id.hex]))]
    with store.read() as session:
        assert session.get(Category, kept.id) is not None and session.get(Category, gone.id) is None


def test_a_bulk_delete_logs_nothing_outside_a_server(store: Store, owner: Actor) -> None:
    events.create_event(store, owner, "Fest", "UTC")
    cat = events.add_category(store, owner, "Fest", "Temp")
    with store.write() as session:
        session.execute(delete(Category).where(Category.id == cat.id))
    assert _deletions(store) == []
