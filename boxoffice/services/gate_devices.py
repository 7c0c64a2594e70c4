"""What a gate device (the scanner page on a phone) needs beyond verify and its scannables.

A gate device logs in with a ``gate`` device token, which may verify and
download scannables and nothing else: it may not list series or events.
So the page learns here which series it can scan for (scheduled or active,
with their gates), the event's public keys (to check band signatures
itself when the server is out of reach), and the reason words every screen
uses (from ``domain.access.MESSAGES``, the one declaration).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.access import ALLOWED_REASONS, MESSAGES
from boxoffice.domain.enums import Reason, SeriesStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import MAX_DEVICE_ID
from boxoffice.errors import ValidationError
from boxoffice.schemas.scanner import (
    GateDeviceView,
    ReasonWords,
    ScannerConfig,
    ScannerGate,
    ScannerKeys,
    ScannerSeries,
)
from boxoffice.services import keys, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Event, EventSeries, Gate, GateDevice, SeriesGate
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_SCANNABLE = (SeriesStatus.SCHEDULED, SeriesStatus.ACTIVE)
#: A scanner sends a heartbeat every 10 s while it can; one not heard from for this long is offline.
ONLINE_WITHIN = timedelta(seconds=30)


def reason_words() -> dict[str, ReasonWords]:
    """Every reason's words, split as the screens show them: "<headline>: <why>"."""
    out = {}
    for reason in Reason:
        headline, _, why = MESSAGES[reason].partition(": ")
        out[reason.value] = ReasonWords(allowed=reason in ALLOWED_REASONS, headline=headline, why=why)
    return out


def config() -> ScannerConfig:
    """The band record's type and layout (``domain.payload``) and every reason's words."""
    return ScannerConfig(record_type=pl.TYPE_NAME, payload_size=pl.PAYLOAD_SIZE, version=pl.VERSION,
                         reasons=reason_words())


def choices(store: Store, actor: Actor) -> list[ScannerSeries]:
    """The organization's scheduled and active series with their gates, soonest check-in first."""
    actor.require(Action.VIEW_SCANNABLES)
    with store.read() as session:
        series = session.execute(
            select(EventSeries, Event.name).join(Event, Event.id == EventSeries.event_id)
            .where(EventSeries.organization_id == actor.organization_id, EventSeries.status.in_(_SCANNABLE))
            .order_by(EventSeries.checkin_opens_at, EventSeries.name)).all()
        gates: dict[object, list[ScannerGate]] = {}
        if series:
            for series_id, gate_id, name, kind in session.execute(
                select(SeriesGate.series_id, Gate.id, Gate.name, Gate.kind)
                .join(Gate, Gate.id == SeriesGate.gate_id)
                .where(SeriesGate.series_id.in_([s.id for s, _ in series])).order_by(Gate.name)):
                gates.setdefault(series_id, []).append(ScannerGate(id=gate_id, name=name, kind=kind))
        return [ScannerSeries(id=s.id, name=s.name, status=s.status, event_id=s.event_id,
                              event_name=event_name, checkin_opens_at=s.checkin_opens_at,
                              checkin_closes_at=s.checkin_closes_at,
                              gates=gates.get(s.id, []))
                for s, event_name in series]


def series_keys(store: Store, actor: Actor, series_ref: str) -> ScannerKeys:
    """The public keys of the series' event, for checking band signatures on the device."""
    actor.require(Action.VIEW_SCANNABLES)
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        found = keys.event_public_keys(session, series.event_id)
        return ScannerKeys(event_id=series.event_id, keys={k.hex(): v.hex() for k, v in found.items()},
                           generated_at=utcnow())


def heartbeat(store: Store, actor: Actor, *, device_id: str, lane: str, series_id: uuid.UUID | None,
              gate_id: uuid.UUID | None, direction: str, queued: int, oldest_queued_at: datetime | None,
              data_at: datetime | None, lane_count: int, now: datetime | None = None) -> None:
    """Keep what a scanner says of itself (its lane, its queue, the age of its data) and when it said it."""
    actor.require(Action.VERIFY)
    if not device_id or len(device_id) > MAX_DEVICE_ID:
        raise ValidationError.single("device_id", f"A device name is 1 to {MAX_DEVICE_ID} characters.")
    now = now or utcnow()
    values = {"member_id": actor.member_id, "lane": lane[:120] or device_id, "series_id": series_id,
              "gate_id": gate_id, "direction": direction, "queued": max(0, queued),
              "oldest_queued_at": oldest_queued_at, "data_at": data_at, "lane_count": max(0, lane_count),
              "last_seen_at": now}
    with store.write() as session:
        row = session.scalar(select(GateDevice).where(GateDevice.organization_id == actor.organization_id,
                                                      GateDevice.device_id == device_id))
        if row is None:
            session.add(GateDevice(organization_id=actor.organization_id, device_id=device_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)


def devices(store: Store, actor: Actor, *, now: datetime | None = None) -> list[GateDeviceView]:
    """Every scanner of the organization heard from, by lane: online, queued scans, last contact."""
    actor.require(Action.VIEW_SERIES)
    now = now or utcnow()
    with store.read() as session:
        rows = session.execute(
            select(GateDevice, Gate.name).outerjoin(Gate, Gate.id == GateDevice.gate_id)
            .where(GateDevice.organization_id == actor.organization_id)
            .order_by(GateDevice.lane, GateDevice.device_id)).all()
        return [GateDeviceView(device_id=d.device_id, lane=d.lane, series_id=d.series_id, gate_id=d.gate_id,
                               gate=gate, direction=d.direction, queued=d.queued,
                               oldest_queued_at=d.oldest_queued_at, data_at=d.data_at,
                               lane_count=d.lane_count,
                               last_seen_at=d.last_seen_at, online=now - d.last_seen_at < ONLINE_WITHIN)
                for d, gate in rows]
