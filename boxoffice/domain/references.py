"""How a change a station pushes names rows: references, new ids, and ids the server does not look up.

A pushed change's payload model (declared next to its use case, see
``services.outbox.declare``) marks each id field with one of these. The
server looks every ``Ref`` up in the pusher's organization before the use
case runs (``sync.contracts.resolve``), so no push reaches another
organization's rows; a test holds every id field to a marker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated


@dataclass(frozen=True)
class Ref:
    """Field metadata: this id names a row of ``table``, which must be the pusher's organization's."""

    table: str


@dataclass(frozen=True)
class NewId:
    """Field metadata: the id the station gave the row this change creates (nothing to look up)."""


@dataclass(frozen=True)
class NotARef:
    """Field metadata: an id the server does not look up, and why (kept as the station sent it)."""

    why: str


NEW = NewId()
# Typed references: the table each names.
EventId = Annotated[uuid.UUID, Ref("events")]
SeriesId = Annotated[uuid.UUID, Ref("event_series")]
GateId = Annotated[uuid.UUID, Ref("gates")]
CategoryId = Annotated[uuid.UUID, Ref("categories")]
TicketId = Annotated[uuid.UUID, Ref("tickets")]
BandId = Annotated[uuid.UUID, Ref("wristbands")]
MemberId = Annotated[uuid.UUID, Ref("members")]
BatchId = Annotated[uuid.UUID, Ref("encode_batches")]
TagSecretId = Annotated[uuid.UUID, Ref("tag_secrets")]
ProductId = Annotated[uuid.UUID, Ref("products")]
New = Annotated[uuid.UUID, NEW]
