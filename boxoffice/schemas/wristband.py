from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import BandStatus
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
