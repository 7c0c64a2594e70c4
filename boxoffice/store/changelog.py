"""The central server's change log: every committed row change, numbered, for stations to pull.

Capturing at the ORM level (flushes, plus ``touch`` for bulk statements)
means no use case has to remember to log what it changed. The one hot path
that writes with core statements (a gate's tap, ``services.checkins``) hands
its rows to ``log_row`` instead, which costs no read-back. Each commit's
changes are numbered from ``sync_state.last_seq`` just before the commit, so
numbers follow commit order and a station's cursor never skips a change.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Table,
    bindparam,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, SessionTransaction

from boxoffice.errors import DatabaseError
from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventKey,
    EventSeries,
    Gate,
    GateCategory,
    LocalSetting,
    Member,
    Organization,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesPresence,
    SeriesStateTransition,
    SeriesTicket,
    SeriesWristbandAssignment,
    SyncChange,
    SyncState,
    TagSecret,
    Ticket,
    Wristband,
)
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_SQLITE = sqlite.dialect()
LOG_ID_KEY = "changelog_id"

# Hops from a row to its organization: (attribute holding the parent's id, parent model).
_ORG_PATH: dict[type[Base], list[tuple[str, type[Base]]]] = {
    Organization: [],
    Member: [],
    Event: [],
    EventSeries: [],
    Gate: [("event_id", Event)],
    Category: [("event_id", Event)],
    Ticket: [("event_id", Event)],
    Wristband: [("event_id", Event)],
    # Public keys reach every station and the gates; the private half stays
    # out (see _PRIVATE_COLUMNS), so a pull never overwrites a station's own.
    EventKey: [("event_id", Event)],
    TagSecret: [],
    Checkin: [("event_id", Event)],
    GateCategory: [("gate_id", Gate), ("event_id", Event)],
    SeriesGate: [("series_id", EventSeries)],
    SeriesCategoryLimit: [("series_id", EventSeries)],
    SeriesWristbandAssignment: [("series_id", EventSeries)],
    SeriesTicket: [("series_id", EventSeries)],
    SeriesStateTransition: [("series_id", EventSeries)],
    SeriesPresence: [("series_id", EventSeries)],
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

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def encode(self, values: Sequence[Any]) -> list[Any]:
        return [enc(v) for enc, v in zip(self.encoders, values, strict=True)]

    def encode_pk(self, values: Sequence[Any]) -> str:
        encoders = [self.encoders[self.columns.index(c)] for c in self.pk]
        return json.dumps([enc(v) for enc, v in zip(encoders, values, strict=True)])

    @property
    def pk_positions(self) -> tuple[int, ...]:
        return _PK_POSITIONS[self.name]


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
        assert mapper.get_property_by_column(col).key == col.name, (table.name, col.name)
    return Replica(model, table, columns, tuple(table.primary_key.columns),
                   tuple(_encoder(c) for c in columns))


# In foreign-key order, so parents are written (and sent) before their children.
REPLICAS: dict[str, Replica] = {
    t.name: _replica(m)
    for t in Base.metadata.sorted_tables
    for m in _ORG_PATH
    if m.__table__ is t
}
TABLE_ORDER = {name: i for i, name in enumerate(REPLICAS)}
_PK_POSITIONS = {name: tuple(r.columns.index(c) for c in r.pk) for name, r in REPLICAS.items()}
_REPLICA_OF = {r.model: r for r in REPLICAS.values()}


def organization_of(session: Session, obj: Base) -> uuid.UUID | None:
    current: Any = obj
    for attr, parent in _ORG_PATH[type(obj)]:
        current = session.get(parent, getattr(current, attr))
        if current is None:
            return None
    if isinstance(current, Organization):
        return current.id
    org: uuid.UUID = current.organization_id
    return org


@dataclass
class _Pending:
    """What this transaction changed so far, collected at each flush."""

    objects: dict[tuple[str, int], Base] = field(default_factory=dict)
    deleted: dict[tuple[str, Any], tuple[uuid.UUID, str, Base]] = field(default_factory=dict)
    touched: list[tuple[Replica, ColumnElement[bool], uuid.UUID]] = field(default_factory=list)
    # Deleted with bulk statements: (replica, rows' condition, organization, primary keys).
    removed: list[tuple[Replica, ColumnElement[bool], uuid.UUID, list[str]]] = field(
        default_factory=list
    )
    # Rows written with core statements (``log_row``): (table, pk) -> (org, pk, encoded row, the
    # transaction or savepoint it was written in).
    rows: dict[tuple[str, str], tuple[uuid.UUID, str, str, SessionTransaction | None]] = field(
        default_factory=dict)


def _pending(session: Session) -> _Pending:
    found = session.info.get("changelog")
    if found is None:
        found = session.info["changelog"] = _Pending()
    return found


def touch(session: Session, model: type[Base], where: ColumnElement[bool],
          organization_id: uuid.UUID) -> None:
    """Log the rows ``where`` selects: for changes made with bulk statements the ORM does not see."""
    store = session.info.get("store")
    if store is None or not store.keeps_changelog:
        return
    _pending(session).touched.append((_REPLICA_OF[model], where, organization_id))


def forget(session: Session, model: type[Base], where: ColumnElement[bool],
           organization_id: uuid.UUID) -> None:
    """Log the deletion of the rows ``where`` selects; call it just before deleting them in bulk.

    The ORM sees ``session.delete``, not a ``DELETE`` statement, and a
    station that never hears of a deletion keeps the row for ever. The keys
    are read now, while the rows exist; at commit, any row that is still
    there (its delete was in a savepoint that rolled back) is left out.
    """
    store = session.info.get("store")
    if store is None or not store.keeps_changelog:
        return
    replica = _REPLICA_OF[model]
    pks = [replica.encode_pk(list(row)) for row in session.execute(select(*replica.pk).where(where))]
    if pks:
        _pending(session).removed.append((replica, where, organization_id, pks))


def log_row(session: Session, model: type[Base], values: Mapping[str, Any],
            organization_id: uuid.UUID) -> None:
    """Log one row a core statement just wrote, as ``values`` (every replicated column) says it is.

    For hot paths that skip the ORM: no flush to watch and no read-back. A
    later call for the same row in this transaction replaces the earlier one;
    a row written inside a savepoint that is rolled back is dropped again.
    """
    store = session.info.get("store")
    if store is None or not store.keeps_changelog:
        return
    replica = _REPLICA_OF[model]
    encoded = replica.encode([values[c.name] for c in replica.columns])
    pk = json.dumps([encoded[i] for i in replica.pk_positions])
    trans = session.get_nested_transaction() or session.get_transaction()
    _pending(session).rows[(replica.name, pk)] = (
        organization_id, pk, json.dumps(encoded, separators=(",", ":")), trans)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """Forget the core-logged rows of a savepoint (or of anything inside one) that was rolled back."""
    pending: _Pending | None = session.info.get("changelog")
    if pending is None or not pending.rows:
        return
    for key, (_, _, _, made_in) in list(pending.rows.items()):
        trans = made_in
        while trans is not None:
            if trans is previous:
                del pending.rows[key]
                break
            trans = trans.parent


def _after_flush(session: Session, _context: Any) -> None:
    store = session.info.get("store")
    if store is None or not store.keeps_changelog:
        return
    pending = _pending(session)
    for obj in list(session.new) + list(session.dirty):
        if type(obj) in _ORG_PATH:
            pending.objects[(_REPLICA_OF[type(obj)].name, id(obj))] = obj
    for obj in session.deleted:
        if type(obj) in _ORG_PATH:
            replica = _REPLICA_OF[type(obj)]
            org = organization_of(session, obj)
            if org is not None:
                pk = replica.encode_pk([getattr(obj, c.name) for c in replica.pk])
                pending.deleted[(replica.name, pk)] = (org, pk, obj)


def _before_commit(session: Session) -> None:
    store = session.info.get("store")
    pending: _Pending | None = session.info.pop("changelog", None)
    if store is None or not store.keeps_changelog or pending is None:
        return
    session.flush()
    # A flush in this hook may have collected more.
    more: _Pending | None = session.info.pop("changelog", None)
    if more is not None:
        pending.objects.update(more.objects)
        pending.deleted.update(more.deleted)
        pending.touched.extend(more.touched)
        pending.removed.extend(more.removed)
        pending.rows.update(more.rows)
    changes: list[tuple[int, uuid.UUID, str, str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for obj in pending.objects.values():
        state = inspect(obj)
        if not state.persistent:
            continue  # added in a savepoint that was rolled back
        replica = _REPLICA_OF[type(obj)]
        org = organization_of(session, obj)
        if org is None:
            continue
        values = [getattr(obj, c.name) for c in replica.columns]
        pk = replica.encode_pk([getattr(obj, c.name) for c in replica.pk])
        seen.add((replica.name, pk))
        changes.append((TABLE_ORDER[replica.name], org, replica.name, pk,
                        json.dumps(replica.encode(values), separators=(",", ":"))))
    # After the ORM's objects: an object is read as it is at commit, so if the
    # ORM also holds a row written with a core statement, its values are the newer.
    for (name, pk), (org, _, logged, _) in pending.rows.items():
        if (name, pk) in seen:
            continue
        seen.add((name, pk))
        changes.append((TABLE_ORDER[name], org, name, pk, logged))
    for replica, where, org in pending.touched:
        for row in session.execute(select(*replica.columns).where(where)):
            encoded = replica.encode(row)
            pk = json.dumps([encoded[replica.columns.index(c)] for c in replica.pk])
            if (replica.name, pk) in seen:
                continue
            seen.add((replica.name, pk))
            changes.append((TABLE_ORDER[replica.name], org, replica.name, pk,
                            json.dumps(encoded, separators=(",", ":"))))
    for (name, pk), (org, _, obj) in pending.deleted.items():
        if (name, pk) in seen or not inspect(obj).deleted:
            continue
        seen.add((name, pk))
        # Children go before parents, after every upsert of this commit.
        changes.append((len(TABLE_ORDER) * 2 - TABLE_ORDER[name], org, name, pk, None))
    for replica, where, org, pks in pending.removed:
        still_there = {replica.encode_pk(list(row))
                       for row in session.execute(select(*replica.pk).where(where))}
        for pk in pks:
            if (replica.name, pk) in seen or pk in still_there:
                continue
            seen.add((replica.name, pk))
            changes.append((len(TABLE_ORDER) * 2 - TABLE_ORDER[replica.name], org, replica.name, pk,
                            None))
    if changes:
        _write(session, changes)


# Core statements on the tables, built once: every committing write runs them.
_sync_state = SyncState.__table__
assert isinstance(_sync_state, Table)
_BUMP_SEQ = (
    update(_sync_state).where(_sync_state.c.id == 1)
    .values(last_seq=_sync_state.c.last_seq + bindparam("n", type_=Integer))
    .returning(_sync_state.c.last_seq)
)
_sync_changes = SyncChange.__table__
assert isinstance(_sync_changes, Table)
_INSERT_CHANGES = insert(_sync_changes)


def _write(session: Session, changes: list[tuple[int, uuid.UUID, str, str, str | None]]) -> None:
    changes.sort(key=lambda c: c[0])
    last = session.execute(_BUMP_SEQ, {"n": len(changes)}).scalar_one()
    first = last - len(changes) + 1
    now = utcnow()
    session.execute(
        _INSERT_CHANGES,
        [
            {"seq": first + i, "organization_id": org, "table_name": name, "pk": pk, "row": row,
             "changed_at": now}
            for i, (_, org, name, pk, row) in enumerate(changes)
        ],
    )


def install(store: Store) -> None:
    """Watch the store's write sessions; each hook checks ``store.keeps_changelog`` itself."""
    factory = store.session_factory
    if not event.contains(factory, "after_flush", _after_flush):
        event.listen(factory, "after_flush", _after_flush)
        event.listen(factory, "before_commit", _before_commit)
        event.listen(factory, "after_soft_rollback", _after_soft_rollback)


def read_mode(store: Store) -> str:
    with store.read() as session:
        mode = session.scalar(select(SyncState.mode).where(SyncState.id == 1))
    return mode or "local"


def become_server(store: Store) -> None:
    """Make this database the central server's: it keeps a change log from now on.

    Idempotent. A database that held data before (or was filled with bulk
    statements) gets that data logged first, so the first pull is complete.
    """
    install(store)
    with store.write() as session:
        state = session.get_one(SyncState, 1)
        if state.mode == "station":
            raise DatabaseError(
                f"{store.display_name} is a station's copy of a server's data; "
                "a server needs a database of its own."
            )
        if state.mode != "server":
            state.mode = "server"
            session.flush()
            if state.last_seq == 0 and session.scalar(select(Organization.id).limit(1)) is not None:
                log.warning("first start as a server: logging the rows %s already holds for the "
                            "stations (once; a large database takes a while)", store.display_name)
                backfill(session)
        if session.get(LocalSetting, LOG_ID_KEY) is None:
            session.add(LocalSetting(key=LOG_ID_KEY, value={"id": str(uuid.uuid4())}))
    store.set_mode("server")


def log_id(session: Session) -> str:
    """Which log this is: a station whose cursor came from another (a restored server) starts over."""
    setting = session.get(LocalSetting, LOG_ID_KEY)
    return str(setting.value["id"]) if setting else ""


def backfill(session: Session) -> int:
    """Log every replicated row as it is now: a database that becomes a server starts its log whole.

    Used when the log is empty but the database is not (an installation that
    ran before it served stations, or data loaded with bulk statements).
    """
    changes: list[tuple[int, uuid.UUID, str, str, str | None]] = []
    org_of_event = dict(session.execute(select(Event.id, Event.organization_id)).all())
    org_of_series = dict(
        session.execute(select(EventSeries.id, EventSeries.organization_id)).all()
    )
    event_of_gate = dict(session.execute(select(Gate.id, Gate.event_id)).all())
    for name, replica in REPLICAS.items():
        order = TABLE_ORDER[name]
        for row in session.execute(select(*replica.columns)).mappings():
            org = _org_from_row(replica.model, row, org_of_event, org_of_series, event_of_gate)
            if org is None:
                continue
            encoded = replica.encode([row[c.name] for c in replica.columns])
            pk = json.dumps([encoded[replica.columns.index(c)] for c in replica.pk])
            changes.append((order, org, name, pk, json.dumps(encoded, separators=(",", ":"))))
    if changes:
        _write(session, changes)
    log.info("change log started with %d rows", len(changes))
    return len(changes)


def _org_from_row(model: type[Base], row: Any, org_of_event: dict[Any, Any],
                  org_of_series: dict[Any, Any], event_of_gate: dict[Any, Any]) -> Any:
    if model is Organization:
        return row["id"]
    if "organization_id" in row:
        return row["organization_id"]
    if "series_id" in row:
        return org_of_series.get(row["series_id"])
    if "gate_id" in row:
        return org_of_event.get(event_of_gate.get(row["gate_id"]))
    return org_of_event.get(row["event_id"])


def changes_after(
    session: Session, organization_id: uuid.UUID, after: int, limit: int
) -> list[tuple[int, str, str, str | None]]:
    """One page of the log: (seq, table, pk, row-or-None), oldest first."""
    rows = session.execute(
        select(SyncChange.seq, SyncChange.table_name, SyncChange.pk, SyncChange.row)
        .where(SyncChange.organization_id == organization_id, SyncChange.seq > after)
        .order_by(SyncChange.seq)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def last_seq(session: Session) -> int:
    value = session.execute(text("SELECT last_seq FROM sync_state WHERE id = 1")).scalar()
    return int(value or 0)


def tables_of(names: Iterable[str]) -> dict[str, list[str]]:
    return {n: REPLICAS[n].column_names for n in names}
