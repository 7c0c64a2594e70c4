"""Box-office reconciliation: what each operator and station did with the stock, per day.

Bands encoded, voided, replaced and lost per local day, operator, station and category, and every
encoding batch with its manifest. A band records who encoded it and where, not who voided it, so
voided and lost bands count on the day it happened against the station that encoded them: the
stock that station has to account for.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from boxoffice.domain.enums import BandStatus
from boxoffice.reports.data import as_dict
from boxoffice.reports.model import Facts, Report, Table
from boxoffice.reports.timefmt import from_utc_text, local
from boxoffice.store.models import Category, EncodeBatch, EncodeLogEntry, Event, Member, Wristband
from boxoffice.store.queries import utc_hour
from boxoffice.store.types import utcnow

KINDS = ("encoded", "voided", "replaced", "lost")

Key = tuple[str, str, str, str]  # day, operator, station, category


def build(session: Session, dialect: str, ev: Event) -> Report:
    tz = ZoneInfo(ev.timezone)
    names = as_dict(session.execute(select(Member.id, Member.display_name)))
    cats = as_dict(session.execute(select(Category.id, Category.name).where(Category.event_id == ev.id)))
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))

    def tally(kind: str, when: InstrumentedAttribute[datetime | None], *where: ColumnElement[bool]) -> None:
        hour = utc_hour(when, dialect)
        for text, who, station, cat, n in session.execute(
            select(hour, Wristband.encoded_by, Wristband.station, Wristband.category_id, func.count())
            .where(Wristband.event_id == ev.id, *where)
            .group_by(hour, Wristband.encoded_by, Wristband.station, Wristband.category_id)
        ):
            day = from_utc_text(text).astimezone(tz).strftime("%Y-%m-%d")
            key = (day, _who(names, who), station or "–", cats.get(cat, str(cat)))
            counts[key][kind] += n

    not_pending = Wristband.status != BandStatus.PENDING
    tally("encoded", Wristband.encoded_at, not_pending, Wristband.encoded_at.is_not(None))
    tally("replaced", Wristband.encoded_at, not_pending, Wristband.encoded_at.is_not(None),
          Wristband.replaces_id.is_not(None))
    tally("voided", Wristband.voided_at, Wristband.voided_at.is_not(None))
    tally("lost", Wristband.lost_at, Wristband.lost_at.is_not(None))

    rows: list[list[str | int | None]] = [
        [*key, *(c[k] for k in KINDS)] for key, c in sorted(counts.items())
    ]
    totals = [sum(int(r[4 + i] or 0) for r in rows) for i in range(len(KINDS))]
    rows.append(["Total", "", "", "", *totals])
    stock = Table("stock", "Bands per day, operator, station and category",
                  ["Day", "Operator", "Station", "Category", "Encoded", "Voided", "Replaced", "Lost"],
                  rows, numeric=frozenset({4, 5, 6, 7}), has_total=True,
                  note="Replaced counts the new bands handed out for void or lost ones. Voided and lost "
                       "count against the operator and station that encoded the band.")

    batches = session.scalars(
        select(EncodeBatch).where(EncodeBatch.event_id == ev.id).order_by(EncodeBatch.started_at)
    ).all()
    batch_rows: list[list[str | int | None]] = []
    label: dict[uuid.UUID, str] = {}
    for b in batches:
        label[b.id] = f"{local(b.started_at, tz)} {b.station or ''}".strip()
        outcome_text = ", ".join(f"{k} {v}" for k, v in sorted(b.counts.items()) if v)
        batch_rows.append([local(b.started_at, tz), local(b.finished_at, tz), _who(names, b.operator_id),
                           b.station or "–", cats.get(b.category_id, str(b.category_id)), b.requested,
                           b.encoded, b.status.value, outcome_text])
    batch_table = Table("batches", "Encoding batches",
                        ["Started", "Finished", "Operator", "Station", "Category", "Requested", "Encoded",
                         "Status", "Outcomes"], batch_rows, numeric=frozenset({5, 6}),
                        note="" if batches else "No band was encoded in a batch.")
    manifest = Table(
        "manifest", "Batch manifests (every tag tapped in a batch)",
        ["Batch", "When", "UID", "Outcome", "Message"],
        [[label.get(batch_id, str(batch_id)), local(at, tz), uid, outcome.value, message]
         for batch_id, at, uid, outcome, message in session.execute(
             select(EncodeLogEntry.batch_id, EncodeLogEntry.at, EncodeLogEntry.uid, EncodeLogEntry.outcome,
                    EncodeLogEntry.message)
             .join(EncodeBatch, EncodeBatch.id == EncodeLogEntry.batch_id)
             .where(EncodeBatch.event_id == ev.id)
             .order_by(EncodeBatch.started_at, EncodeLogEntry.at)
         )],
    )
    logged = {label.get(b.id) for b in batches} & {str(r[0]) for r in manifest.rows}
    unlogged = [b for b in batches if label.get(b.id) not in logged and any(b.counts.values())]
    if not batches:
        manifest.note = "No tag was tapped in an encoding batch."
    elif unlogged:
        # The per-tag log stays at the station that ran the batch (it is not synced): say so, rather
        # than "no tag was tapped" beside batches that say how many were.
        which = "None of the batches above has" if len(unlogged) == len(batches) else \
            f"{len(unlogged):,} of the batches above have"
        manifest.note = (f"{which} its per-tag log in this database: each station keeps the log of its "
                         "own batches (their counts above are the batches' own). Run this report at "
                         "that station, or save the batch manifest there.")
    status_counts = as_dict(session.execute(
        select(Wristband.status, func.count()).where(Wristband.event_id == ev.id).group_by(Wristband.status)
    ))
    facts = Facts("Stock now", [
        ("Event", ev.name),
        *((s.value.capitalize(), f"{status_counts.get(s, 0):,}") for s in BandStatus),
        ("Batches", f"{len(batches):,}"),
    ])
    report = Report("reconciliation", f"Box-office reconciliation: {ev.name}", ev.name, ev.timezone,
                    utcnow())
    report.blocks.extend([facts, stock, batch_table, manifest])
    return report


def _who(names: dict[uuid.UUID, str], member_id: uuid.UUID | None) -> str:
    if member_id is None:
        return "–"
    return names.get(member_id, str(member_id))
