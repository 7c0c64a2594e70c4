"""The manifest of an encoding batch: every tag it saw, its band and what became of it.

A report over a batch, not a step of it: it only reads (``VIEW_BANDS``
suffices), and what it produces (CSV, JSON) is for the box office's records
and the band printer. Kept apart from ``boxoffice.services.encoding_batches``
so the batch's write path does not carry the report's shapes and formats.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select

from boxoffice.domain.permissions import Action
from boxoffice.services.actor import Actor
from boxoffice.services.encoding_batches import find_batch
from boxoffice.services.wristbands import label_of
from boxoffice.store.database import Store
from boxoffice.store.models import Category, EncodeLogEntry, Event, EventSeries, Member, Wristband


@dataclass(frozen=True)
class ManifestLine:
    uid: str
    band_id: uuid.UUID | None
    label: str | None
    status: str | None
    outcome: str | None
    message: str
    at: datetime | None


@dataclass(frozen=True)
class Manifest:
    """What a batch produced, for the box office's records and the band printer."""

    batch_id: uuid.UUID
    event: str
    category: str
    series: list[str]
    operator: str | None
    station: str | None
    status: str
    requested: int | None
    started_at: datetime
    finished_at: datetime | None
    encoded: int
    counts: dict[str, int]
    lines: list[ManifestLine] = field(default_factory=list)
    # Whose clock the times are (in UTC): the encoding station's, which the server keeps when it
    # replays the station's batch, not the time the sync reached the server.
    clock: str = "station time"

    CSV_COLUMNS = ("batch_id", "event", "category", "operator", "station", "uid", "band_id", "label",
                   "status", "outcome", "message", "at")

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.CSV_COLUMNS)
        for line in self.lines:
            writer.writerow([
                self.batch_id, self.event, self.category, self.operator or "", self.station or "",
                line.uid, line.band_id or "", line.label or "", line.status or "", line.outcome or "",
                line.message, line.at.isoformat() if line.at else "",
            ])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, indent=2, ensure_ascii=False)


def batch_manifest(store: Store, actor: Actor, batch_id: uuid.UUID) -> Manifest:
    """Every tag of the batch: its band, label, status and what happened to it, oldest first."""
    actor.require(Action.VIEW_BANDS)
    with store.read() as session:
        batch = find_batch(session, actor, batch_id)
        ev = session.get_one(Event, batch.event_id)
        cat = session.get_one(Category, batch.category_id)
        names = {str(s.id): s.name for s in session.scalars(
            select(EventSeries).where(EventSeries.id.in_([uuid.UUID(s) for s in batch.series_ids])))}
        operator = session.get(Member, batch.operator_id) if batch.operator_id else None
        bands = {b.uid: b for b in session.scalars(select(Wristband).where(Wristband.batch_id == batch.id))}
        cat_names = dict(session.execute(
            select(Category.id, Category.name).where(Category.event_id == ev.id)).all())
        lines: list[ManifestLine] = []
        logged: set[str] = set()
        for entry in session.scalars(
            select(EncodeLogEntry).where(EncodeLogEntry.batch_id == batch.id).order_by(EncodeLogEntry.at)
        ):
            band = bands.get(entry.uid)
            logged.add(entry.uid)
            lines.append(ManifestLine(
                uid=entry.uid, band_id=band.id if band else entry.band_id,
                label=label_of(cat_names[band.category_id], band.number) if band else None,
                status=band.status.value if band else None, outcome=entry.outcome.value,
                message=entry.message, at=entry.at,
            ))
        for uid, band in sorted(bands.items(), key=lambda kv: kv[1].created_at):
            if uid not in logged:
                lines.append(ManifestLine(uid=uid, band_id=band.id,
                                          label=label_of(cat_names[band.category_id], band.number),
                                          status=band.status.value, outcome=None, message="",
                                          at=band.encoded_at or band.created_at))
        return Manifest(
            batch_id=batch.id, event=ev.name, category=cat.name,
            series=[names.get(s, s) for s in batch.series_ids],
            operator=operator.email if operator else None, station=batch.station,
            status=batch.status.value, requested=batch.requested, started_at=batch.started_at,
            finished_at=batch.finished_at, encoded=batch.encoded, counts=dict(batch.counts or {}),
            lines=lines,
        )

