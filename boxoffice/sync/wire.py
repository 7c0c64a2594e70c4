"""What travels between a station and the central server, shared by both sides."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from boxoffice.sync.position import PATTERN as POSITION_PATTERN

# Small enough that a batch is applied well within a request timeout on a busy server.
MAX_BATCH = 500
DEFAULT_PAGE = 20_000
MAX_PAGE = 50_000
MAX_WAIT_SECONDS = 30.0


def _date_time_text(value: object) -> object:
    """Let a date-time text (or a ``datetime`` made in Python) on to pydantic; refuse a number."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
    raise ValueError("must be a date and time as text, like 2026-07-03T18:00:00+02:00")


class PushEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    seq: int
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    entity_id: uuid.UUID
    payload: dict[str, Any]
    # A text (ISO 8601, with its offset), never a number: pydantic would read one as seconds since
    # 1970 and keep an invented time. Strict(), which refuses numbers, refuses the text too once
    # FastAPI has parsed the JSON, so the rule is spelt out in ``_date_time_text``.
    created_at: Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    station: Annotated[str | None, Field(max_length=120)] = None
    entries: Annotated[list[PushEntry], Field(max_length=MAX_BATCH)]


class EntryStatus(StrEnum):
    APPLIED = "applied"
    # Applied by an earlier push of the same entry; nothing was done this time.
    DUPLICATE = "duplicate"
    # Refused for good, with the reason a person should read.
    REJECTED = "rejected"
    # Not applied because of something passing (a clash with a concurrent
    # write); send it again later.
    RETRY = "retry"


class EntryResult(BaseModel):
    id: uuid.UUID
    status: EntryStatus
    error: str | None = None
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[EntryResult]


class PullPage(BaseModel):
    """One page of the server's change log, oldest first.

    ``tables`` names each table's columns in the order its rows use;
    ``changes`` are ``[position, table, primary key values, row values or
    null for a deletion]``. Positions (``cursor``, ``head``, each change's)
    are "TXID.SEQ" strings (``boxoffice.sync.position``). ``cursor`` is what
    the next pull sends as ``after``. ``log`` identifies the server's log and
    ``head`` is its newest position: a station whose cursor belongs to
    another log, or lies beyond the head (the server was restored from a
    backup), starts again from the beginning. ``scope`` is what the page
    was cut for (``boxoffice.sync.scope``): the caller's role, the tables it
    holds in full, and its member id (its own row of ``members``).
    """

    log: str
    head: Annotated[str, Field(pattern=POSITION_PATTERN)]
    cursor: Annotated[str, Field(pattern=POSITION_PATTERN)]
    more: bool
    scope: dict[str, Any] | None = None
    tables: dict[str, list[str]]
    # Each is [position, table, primary key values, row values or null].
    changes: list[list[Any]]
