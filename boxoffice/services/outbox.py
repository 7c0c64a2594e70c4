"""Writing the outbox entry that goes with each local change."""

from __future__ import annotations

import uuid
from typing import Any, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from boxoffice.services.actor import Actor
from boxoffice.store.models import OutboxEntry

# A plain INSERT on the table: an entry is never read back or changed in the
# transaction that writes it, so it needs no ORM object (and no flush).
_INSERT = insert(cast(Table, OutboxEntry.__table__))


def record(
    session: Session, actor: Actor | None, kind: str, entity_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Queue ``kind`` (the use case, e.g. ``series.create``) with its arguments.

    Called inside the use case's own transaction: the entry and the change
    commit together or not at all. Entries are numbered (``seq``) in the
    order they are recorded.
    """
    store = session.info.get("store")
    if store is not None and not store.keeps_outbox:
        return
    session.execute(_INSERT, {
        "kind": kind,
        "entity_id": entity_id,
        "payload": to_jsonable_python(payload),
        "actor_id": actor.member_id if actor else None,
    })
