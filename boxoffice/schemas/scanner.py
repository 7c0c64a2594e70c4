"""What the gate scanner page (served at /scanner/) reads from the server besides verify and scannables."""

from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import GateKind, SeriesStatus
from boxoffice.schemas.base import View


class ScannerGate(View):
    id: uuid.UUID
    name: str
    kind: GateKind


class ScannerSeries(View):
    """A series a gate device may scan for now or soon (scheduled or active), with its gates."""

    id: uuid.UUID
    name: str
    status: SeriesStatus
    event_id: uuid.UUID
    event_name: str
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    gates: list[ScannerGate]


class ReasonWords(View):
    """One reason as every screen says it: the headline ("Void band") and the why."""

    allowed: bool
    headline: str
    why: str


class ScannerKeys(View):
    """The event's public keys a gate verifies band signatures with: key id (hex) -> raw key (hex)."""

    event_id: uuid.UUID
    keys: dict[str, str]
    generated_at: datetime


class ScannerConfig(View):
    """What the page needs before it can read a band: the record type and payload layout, the reason words."""

    record_type: str
    payload_size: int
    version: int
    reasons: dict[str, ReasonWords]


class GateLeaseView(View):
    """Places of a series a gate scanner may admit while offline (``services.gate_leases``)."""

    id: uuid.UUID
    series_id: uuid.UUID
    gate_id: uuid.UUID
    device_id: str
    size: int
    used: int
    granted_at: datetime
    expires_at: datetime
    returned_at: datetime | None


class GateDeviceView(View):
    """A gate scanner as the supervisor's Gates page shows it."""

    device_id: str
    lane: str
    series_id: uuid.UUID | None
    gate_id: uuid.UUID | None
    gate: str | None
    direction: str
    queued: int
    oldest_queued_at: datetime | None
    data_at: datetime | None
    lane_count: int
    last_seen_at: datetime
    online: bool
