"""Opening a store for use: migrate it, read what it is to sync, and let the layers above hook in.

Kept apart from ``boxoffice.store.database`` (the engine and its sessions)
so that the import order within the store is one way: ``database`` knows
nothing of migrations, ``migrate`` needs only ``database``, and this module
uses both. A contract in ``pyproject.toml`` keeps ``database`` from
importing ``migrate`` again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from boxoffice.store.database import Store
from boxoffice.store.migrate import upgrade

#: Called by ``open_store`` with every store it opens: how the layers above the store
#: (the server's change log, ``boxoffice.sync.changelog``) watch its sessions
#: without the store importing them.
_open_hooks: list[Callable[[Store], None]] = []


def on_open(hook: Callable[[Store], None]) -> None:
    """Have ``open_store`` call ``hook`` with each store it opens from now on (once per hook)."""
    if hook not in _open_hooks:
        _open_hooks.append(hook)


def read_mode(store: Store) -> str:
    """What the database is to sync, as ``SyncState`` records it (``local`` before it says)."""
    with store.read() as session:
        mode = session.execute(text("SELECT mode FROM sync_state WHERE id = 1")).scalar()
    return str(mode or "local")


def open_store(target: str | Path, *, migrate: bool = True) -> Store:
    """Open (creating if need be) and bring the schema up to date.

    Migrating on open is what lets a station update the program and keep its
    database; see ``boxoffice.store.migrate`` for the safety rules.
    """
    store = Store(target)
    if migrate:
        upgrade(store)
        store.set_mode(read_mode(store))
        for hook in _open_hooks:
            hook(store)
    return store
