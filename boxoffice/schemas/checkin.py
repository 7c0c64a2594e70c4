from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import CheckinResult, Direction, Reason
from boxoffice.schemas.base import View


class CheckinView(View):
    id: uuid.UUID
    client_scan_id: str
    series_id: uuid.UUID
    gate_id: uuid.UUID
    wristband_id: uuid.UUID | None
    uid: str | None
    direction: Direction
    result: CheckinResult
    reason: Reason
    message: str
    device_id: str
    occurred_at: datetime
    # True when this scan id had been recorded before: the earlier answer is returned.
    replayed: bool = False
