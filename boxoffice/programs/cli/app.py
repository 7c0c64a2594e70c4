"""What every command shares: the database, who acts, and how to print."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import click
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from boxoffice import files
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store

# Imported for its effect: a central server's database opened by a command keeps its change log
# (without it, the store refuses to write a server's database at all).
from boxoffice.sync import changelog as _changelog  # noqa: F401


@dataclass
class App:
    db: str
    as_email: str | None
    json: bool
    _store: Store | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db)
        return self._store

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = resolve_actor(self.store, self.as_email)
        return self._actor

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()

    def emit(self, data: Any, human: str | None = None) -> None:
        """Print ``data`` as JSON with ``--json``, else the human text."""
        if self.json:
            payload: Any
            if isinstance(data, BaseModel):
                payload = data.model_dump(mode="json")
            elif isinstance(data, list) and data and isinstance(data[0], BaseModel):
                payload = [d.model_dump(mode="json") for d in data]
            else:
                payload = to_jsonable_python(data)
            click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        elif human is not None:
            click.echo(human)

    def warn(self, warnings: list[str]) -> None:
        for w in warnings:
            click.echo(f"warning: {w}", err=True)


pass_app = click.make_pass_decorator(App)


def env_db() -> str:
    """The ``--db`` default: ``$BOXOFFICE_DB``, else the data folder's database (``boxoffice.files``)."""
    return os.environ.get("BOXOFFICE_DB") or str(files.default_db_path())
