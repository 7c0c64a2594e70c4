"""Writing the outbox entry that goes with each local change."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from boxoffice.services.actor import Actor
from boxoffice.store.models import OutboxEntry


def record(
    session: Session, actor: Actor | None, kind: str, entity_id: uuid.UUID, payload: dict[str, Any]
) -> OutboxEntry | None:
    """Queue ``kind`` (the use case, e.g. ``series.create``) with its arguments.

    Called inside the use case's own transaction: the entry and the change
    commit together or not at all.
    """
    store = session.info.get("store")
    if store is not None and not store.keeps_outbox:
        return None
    entry = OutboxEntry(
        kind=kind,
        entity_id=entity_id,
        payload=to_jsonable_python(payload),
        actor_id=actor.member_id if actor else None,
    )
    session.add(entry)
    return entry
