"""Changes the server refused, in words, and the person's "seen it" on each.

A refused change is never dropped: it stays in the outbox with the server's
reason. Once someone has read it and acted (redone the work, told a
colleague), they mark it seen; it then stops counting in the status bar but
is still listed, with when it was marked, for the conflicts report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import OutboxStatus
from boxoffice.services.wristbands import label_of
from boxoffice.store.database import Store
from boxoffice.store.models import Category, LocalSetting, OutboxEntry
from boxoffice.store.types import utcnow
from boxoffice.sync.state import display_zone, follow_ons

SEEN_KEY = "sync_refused_seen"

_KIND_WORDS = {
    "event.create": "New event",
    "gate.create": "New gate",
    "category.create": "New category",
    "series.create": "New series",
    "series.update": "Series edit",
    "series.transition": "Lifecycle change",
    "series.assign_gates": "Gates added to a series",
    "series.remove_gates": "Gates removed from a series",
    "series.set_limit": "Category limit",
    "series.assign_bands": "Bands assigned to a series",
    "series.remove_bands": "Bands removed from a series",
    "series.generate_recurring": "Recurring series",
    "checkin.record": "Check-in",
    "wristband.register": "Band registration",
    "wristband.plan": "Band encoding",
    "wristband.activate": "Band activation",
    "member.create": "New member",
    "order.sell": "Door sale",
}


@dataclass(frozen=True)
class RefusedChange:
    id: uuid.UUID
    made_at: datetime
    kind: str
    what: str
    subject: str
    reason: str
    seen_at: datetime | None
    zone: str = "UTC"  # the zone to show its times in (``state.display_zone``)


def kind_words(kind: str) -> str:
    """A change's kind as a person says it ("series.transition" -> "Lifecycle change")."""
    return _KIND_WORDS.get(kind, kind.replace(".", " ").replace("_", " ").capitalize())


def _subject(session: Session, payload: dict[str, Any]) -> str:
    """What the change was about, in words: a band as its UID and label ("04C0FFEE001122 (GA #0001)")."""
    if payload.get("uid") and payload.get("category_id"):
        category = session.get(Category, uuid.UUID(str(payload["category_id"])))
        if category is not None:
            number = payload.get("number")
            return f"{payload['uid']} ({label_of(category.name, int(number) if number else None)})"
    for key in ("name", "uid", "to", "email"):
        value = payload.get(key)
        if value:
            return str(value)
    return ""


def _seen(store: Store) -> dict[str, str]:
    with store.read() as session:
        setting = session.get(LocalSetting, SEEN_KEY)
        return dict(setting.value) if setting is not None else {}


def refused_changes(store: Store) -> list[RefusedChange]:
    """Every refused change, oldest first, with the server's reason and whether it was marked seen.

    One per cause: an entry refused only because an earlier one was (a
    band's activation after its plan) is not listed on its own.
    """
    seen = _seen(store)
    with store.read() as session:
        skip = follow_ons(session)
        zone = display_zone(session)
        rows = session.scalars(
            select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.REJECTED).order_by(OutboxEntry.seq)
        ).all()
        return [
            RefusedChange(
                id=e.id, made_at=e.created_at, kind=e.kind,
                what=kind_words(e.kind),
                subject=_subject(session, e.payload), reason=e.error or "The server gave no reason.",
                seen_at=datetime.fromisoformat(seen[str(e.id)]) if str(e.id) in seen else None, zone=zone,
            )
            for e in rows if str(e.id) not in skip
        ]


def unseen_count(store: Store) -> int:
    return sum(1 for change in refused_changes(store) if change.seen_at is None)


def mark_seen(store: Store, ids: list[uuid.UUID]) -> int:
    """Mark refused changes as read; ids that are not refused changes are ignored. Returns how many."""
    wanted = {str(i) for i in ids}
    with store.write() as session:
        refused = {str(i) for i in session.scalars(
            select(OutboxEntry.id).where(OutboxEntry.status == OutboxStatus.REJECTED)
        )}
        setting = session.get(LocalSetting, SEEN_KEY)
        value = dict(setting.value) if setting is not None else {}
        now = utcnow().isoformat()
        marked = 0
        for key in sorted(wanted & refused):
            if key not in value:
                value[key] = now
                marked += 1
        if setting is None:
            session.add(LocalSetting(key=SEEN_KEY, value=value))
        else:
            setting.value = value
        return marked
