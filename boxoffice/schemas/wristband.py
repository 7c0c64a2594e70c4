from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import BandStatus, BatchStatus
from boxoffice.schemas.base import View


class WristbandView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    uid: str
    status: BandStatus
    number: int | None
    station: str | None
    encoded_at: datetime | None
    ticket_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    replaces_id: uuid.UUID | None = None
    voided_at: datetime | None = None
    lost_at: datetime | None = None
    void_reason: str | None = None


class BatchView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    series_ids: list[uuid.UUID]
    operator_id: uuid.UUID | None
    station: str | None
    requested: int | None
    status: BatchStatus
    started_at: datetime
    finished_at: datetime | None
    encoded: int
    counts: dict[str, int]
