from __future__ import annotations

import click

from boxoffice.programs.cli.app import App, pass_app
from boxoffice.store.database import Store
from boxoffice.store.migrate import head_revision, upgrade


@click.group()
def db() -> None:
    """The local database."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Create the database or bring its schema up to date (a backup is kept)."""
    store = Store(app.db)
    try:
        revision = upgrade(store)
    finally:
        store.dispose()
    app.emit({"database": store.display_name, "revision": revision},
             f"{store.display_name} is at schema {revision} (newest: {head_revision()}).")
