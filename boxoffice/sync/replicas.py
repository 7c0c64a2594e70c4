"""The replicated tables: which rows travel from the server to the stations, and how they are encoded.

Shared by both sides of a pull: the server's change log encodes rows with
these definitions, a station applies them by the same ones. Values are
encoded as a station's SQLite stores them, so the station inserts them
without converting anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Column, Table, inspect
from sqlalchemy.dialects import sqlite

from boxoffice.store.base import Base
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventKey,
    EventSeries,
    Gate,
    GateCategory,
    Member,
    Organization,
    Product,
    ProductSeries,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesPresence,
    SeriesStateTransition,
    SeriesTicket,
    SeriesWristbandAssignment,
    TagSecret,
    Ticket,
    Wristband,
)

_SQLITE = sqlite.dialect()

# How a row leads to its organization, which decides who may pull it: the
# column that names the owner, and what that column holds. The owner of an
# event, a series or a gate never changes, so these are cached (``owners``).
_OWNER: dict[type[Base], tuple[str, str]] = {
    Organization: ("id", "organization"),
    Member: ("organization_id", "organization"),
    Event: ("organization_id", "organization"),
    EventSeries: ("organization_id", "organization"),
    TagSecret: ("organization_id", "organization"),
    Gate: ("event_id", "event"),
    Category: ("event_id", "event"),
    Ticket: ("event_id", "event"),
    Wristband: ("event_id", "event"),
    # Public keys reach every station and the gates; the private half stays
    # out (see _PRIVATE_COLUMNS), so a pull never overwrites a station's own.
    EventKey: ("event_id", "event"),
    Checkin: ("event_id", "event"),
    GateCategory: ("gate_id", "gate"),
    SeriesGate: ("series_id", "series"),
    SeriesCategoryLimit: ("series_id", "series"),
    SeriesWristbandAssignment: ("series_id", "series"),
    SeriesTicket: ("series_id", "series"),
    SeriesStateTransition: ("series_id", "series"),
    SeriesPresence: ("series_id", "series"),
    # What the box office sells; the kept counters, leases and orders stay where they are made.
    Product: ("event_id", "event"),
    ProductSeries: ("series_id", "series"),
}

# Never leaves the server: stations authenticate against it, they do not hold hashes.
_PRIVATE_COLUMNS = {("members", "password_hash"), ("event_keys", "private_key")}


@dataclass(frozen=True)
class Replica:
    """How one table travels: which columns, in which order, encoded as SQLite stores them."""

    model: type[Base]
    table: Table
    columns: tuple[Column[Any], ...]
    pk: tuple[Column[Any], ...]
    encoders: tuple[Callable[[Any], Any], ...] = field(repr=False)
    owner_column: str
    owner_kind: str  # organization, event, series or gate

    @property
    def name(self) -> str:
        return self.table.name

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def pk_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.pk)

    def encode(self, values: Sequence[Any]) -> list[Any]:
        return [enc(v) for enc, v in zip(self.encoders, values, strict=True)]

    def encode_pk(self, values: Sequence[Any]) -> str:
        encoders = [self.encoders[i] for i in self.pk_positions]
        return json.dumps([enc(v) for enc, v in zip(encoders, values, strict=True)])

    @cached_property
    def pk_positions(self) -> tuple[int, ...]:
        return tuple(self.columns.index(c) for c in self.pk)


def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    processor = column.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
    if processor is None:
        return lambda v: v
    return lambda v: None if v is None else processor(v)


def _replica(model: type[Base]) -> Replica:
    table = model.__table__
    assert isinstance(table, Table)
    columns = tuple(c for c in table.columns if (table.name, c.name) not in _PRIVATE_COLUMNS)
    mapper = inspect(model)
    for col in columns:
        # Statements' parameters and ORM attributes are read by column name.
        assert mapper.get_property_by_column(col).key == col.name == col.key, (table.name, col.name)
    owner_column, owner_kind = _OWNER[model]
    return Replica(model, table, columns, tuple(table.primary_key.columns),
                   tuple(_encoder(c) for c in columns), owner_column, owner_kind)


# In foreign-key order, so parents are written (and sent) before their children.
REPLICAS: dict[str, Replica] = {
    t.name: _replica(m)
    for t in Base.metadata.sorted_tables
    for m in _OWNER
    if m.__table__ is t
}
TABLE_ORDER = {name: i for i, name in enumerate(REPLICAS)}
REPLICA_OF: dict[type[Base], Replica] = {r.model: r for r in REPLICAS.values()}


def tables_of(names: Iterable[str]) -> dict[str, list[str]]:
    return {n: list(REPLICAS[n].column_names) for n in names}
