"""Writing the outbox entry that goes with each local change."""

from __future__ import annotations

import uuid
from typing import Any, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from boxoffice.services.actor import Actor
from boxoffice.store.models import OutboxEntry

#: Every change a use case can record, by kind. The server replays each
#: through an applier of the same name (``boxoffice.sync.appliers``), and a
#: test holds the two lists equal, so no station can record a change that
#: the server would answer "unknown" for ever.
KINDS = frozenset({
    "organization.create", "member.create", "member.role", "member.remove",
    "event.create", "event.update", "event.delete",
    "gate.create", "gate.update", "gate.delete",
    "category.create", "category.update", "category.delete",
    "series.create", "series.update", "series.delete", "series.transition",
    "series.assign_gates", "series.remove_gates", "series.set_limit",
    "series.assign_bands", "series.remove_bands", "series.generate_recurring",
    "ticket.create", "ticket.update", "ticket.delete", "tickets.import",
    "checkin.record",
    "wristband.register", "wristband.plan", "wristband.activate",
    "wristband.void", "wristband.lost", "wristband.replace",
    "event_key.create", "tag_secret.create",
    "encode_batch.start", "encode_batch.outcome", "encode_batch.finish",
})


class UndeclaredKindError(ValueError):
    """A use case recorded a kind that ``KINDS`` does not list: a programming error, caught in tests."""


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
    if kind not in KINDS:
        raise UndeclaredKindError(f"the change {kind!r} is not declared in boxoffice.services.outbox.KINDS")
    store = session.info.get("store")
    if store is not None and not store.keeps_outbox:
        return
    session.execute(_INSERT, {
        "kind": kind,
        "entity_id": entity_id,
        "payload": to_jsonable_python(payload),
        "actor_id": actor.member_id if actor else None,
    })
