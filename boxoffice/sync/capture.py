"""What a write session changed in the replicated tables, seen where it is written, for the change log.

A server's write sessions are watched at the two places every write goes
through, so that no use case has to remember to log what it changed:

- **the ORM's flush** (``after_flush``): objects added, changed or deleted
  through the session; read as they are at commit.
- **statements executed through the session** (``do_orm_execute``): Core or
  ORM-enabled ``insert``/``update``/``delete`` of a replicated table.

  * An INSERT's parameters are the rows: logged as given, no read-back (the
    gate's tap writes its check-in and presence this way). Columns a
    parameter set leaves out are filled from the column's Python default
    here, so the database gets the very values that are logged.
  * An UPDATE gets ``RETURNING`` of every replicated column, a DELETE of the
    primary key and owner: exactly the rows the statement touched, in the
    same round trip. The caller gets back no rows and the number of rows
    hit as ``rowcount`` (``Affected``), as it would have without RETURNING.
  * An ORM bulk UPDATE by primary key (a list of parameter sets without a
    WHERE) names its rows; they are read at commit.

Anything whose outcome is uncertain is read back at commit by primary key
instead ("recheck"): a row written in a savepoint that was rolled back, a
row both a statement and the ORM wrote, an INSERT with ``ON CONFLICT`` or
with server-side defaults. A row found is logged as it is; a row gone is
logged as deleted, unless it was first inserted in this transaction (then
no station ever saw it).

What this cannot see, and a writer must not do on a replicated table:
statements run on ``session.connection()`` or with ``exec_driver_sql``
(they bypass the session), rows changed by the database itself (``ON DELETE
CASCADE``, ``SET NULL``, triggers: delete children explicitly first), and
an executemany UPDATE/DELETE or one with its own RETURNING, which is
refused with ``UnloggableWriteError`` rather than logged wrongly.
"""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Delete, Insert, Table, Update, inspect, select, tuple_
from sqlalchemy.engine import IteratorResult, Result
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement

from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.sync.owners import Owners
from boxoffice.sync.replicas import REPLICA_OF, REPLICAS, TABLE_ORDER, Replica

log = logging.getLogger(__name__)

_KEY = "changelog_pending"
_COMPACT = (",", ":")
_RECHECK_CHUNK = 500

# One change as the log stores it: (sort key, organization, table, pk, row JSON or None).
Change = tuple[int, uuid.UUID, str, str, str | None]


class UnloggableWriteError(RuntimeError):
    """A statement on a replicated table whose rows the change log cannot know: a bug to fix.

    Not a ``BoxOfficeError``: nothing a person at a counter can do about it.
    The message says how to write the statement instead.
    """


class Affected(IteratorResult[Any]):
    """An UPDATE's or DELETE's answer to a caller that asked for no rows: none, and how many were hit.

    The capture added RETURNING to learn the rows. SQLite's cursor reports
    no usable ``rowcount`` for a statement with RETURNING (and an ORM-enabled
    statement's result has none at all), so the number of returned rows,
    which is exactly the number of rows changed, stands in for it.
    """

    def __init__(self, rowcount: int) -> None:
        super().__init__(SimpleResultMetaData([]), iter(()))
        self.rowcount = rowcount


@dataclass(slots=True)
class Captured:
    """One row a statement wrote (or deleted: ``row`` None) in this transaction."""

    org: uuid.UUID | None
    pk: tuple[Any, ...]  # the key's values, as Python values, for a read-back
    row: str | None
    made_in: SessionTransaction | None
    # First seen as an INSERT in this transaction: gone at commit, it was never seen outside.
    inserted: bool


@dataclass
class Pending:
    """What this transaction changed so far."""

    objects: dict[int, Base] = field(default_factory=dict)  # id(obj) -> ORM object added/changed
    deleted: dict[tuple[str, str], tuple[uuid.UUID | None, Base]] = field(default_factory=dict)
    rows: dict[tuple[str, str], Captured] = field(default_factory=dict)
    recheck: dict[tuple[str, str], Captured] = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    """What to do with one statement object, worked out once (module-level statements are reused)."""

    replica: Replica | None
    # INSERT: parameters are the rows as they will be; UPDATE/DELETE: the statement with RETURNING.
    direct: bool = False
    returning: Any = None


def _plan_of(stmt: Any) -> _Plan:
    table = getattr(stmt, "table", None)
    replica = REPLICAS.get(table.name) if isinstance(table, Table) else None
    if replica is None:
        return _Plan(None)
    if isinstance(stmt, Insert):
        plain = not (stmt._values or stmt._multi_values or stmt.select is not None
                     or stmt._post_values_clause is not None)
        return _Plan(replica, direct=plain)
    if stmt._returning:
        return _Plan(replica)  # refused when it runs with a WHERE (see _update/_delete)
    if isinstance(stmt, Update):
        return _Plan(replica, returning=stmt.returning(*replica.columns))
    assert isinstance(stmt, Delete)
    # The owner travels with the key: a deletion is filed under an organization too.
    extra = () if replica.owner_column in replica.pk_names else (replica.table.c[replica.owner_column],)
    return _Plan(replica, returning=stmt.returning(*replica.pk, *extra))


class Capture:
    """The session hooks of one store: collect each transaction's changes for the log."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.owners = Owners()
        self._plans: weakref.WeakKeyDictionary[Any, _Plan] = weakref.WeakKeyDictionary()

    # -- statements -----------------------------------------------------------

    def on_execute(self, state: ORMExecuteState) -> Result[Any] | None:
        """``do_orm_execute``: run a DML statement on a replicated table and note the rows it wrote."""
        stmt = state.statement
        if not stmt.is_dml or not self.store.keeps_changelog:
            return None
        plan = self._plans.get(stmt)
        if plan is None:
            plan = self._plans[stmt] = _plan_of(stmt)
        replica = plan.replica
        if replica is None:
            return None
        if isinstance(stmt, Insert):
            return self._insert(state, replica, plan)
        if isinstance(stmt, Update):
            return self._update(state, replica, plan)
        return self._delete(state, replica, plan)

    def _insert(self, state: ORMExecuteState, replica: Replica, plan: _Plan) -> Result[Any]:
        params: Any = state.parameters
        many = isinstance(params, list)
        given: list[Mapping[str, Any]] = list(params) if many else [params or {}]
        names = replica.column_names
        rows: list[tuple[Mapping[str, Any], bool]] = []  # (parameters, known as stored)
        changed = False
        for values in given:
            if all(n in values for n in names):
                rows.append((values, plan.direct and _plain(values)))
                continue
            more = _defaults(replica, values)
            whole = {**values, **more} if more else values
            changed = changed or whole is not values
            rows.append((whole, plan.direct and more is not None and _plain(whole)))
        if changed:
            filled = [v for v, _ in rows]
            state.parameters = filled if many else filled[0]
        result = state.invoke_statement()
        session = state.session
        trans = session.get_nested_transaction() or session.get_transaction()
        pending = pending_of(session)
        pk_names = replica.pk_names
        for values, known in rows:
            if not all(n in values for n in pk_names):
                raise UnloggableWriteError(
                    f"an INSERT into {replica.name} without its primary key in the parameters: "
                    "give the key (ids are made by new_id()) so the change log can name the row")
            pk = tuple(values[n] for n in pk_names)
            org = self.owners.of(replica, values, session)
            if not known:
                _recheck(pending, replica, pk, org, trans, inserted=True)
                continue
            encoded = replica.encode([values[n] for n in names])
            _note(pending, replica, pk, json.dumps([encoded[i] for i in replica.pk_positions]), org,
                  json.dumps(encoded, separators=_COMPACT), trans, inserted=True)
        return result

    def _update(self, state: ORMExecuteState, replica: Replica, plan: _Plan) -> Result[Any]:
        session = state.session
        if state.is_executemany:
            if not state.is_orm_statement:
                raise UnloggableWriteError(
                    f"an executemany UPDATE of {replica.name}: use one statement per row or an ORM "
                    "bulk UPDATE by primary key (update(Model) with a list of rows)")
            result = state.invoke_statement()
            trans = session.get_nested_transaction() or session.get_transaction()
            pending = pending_of(session)
            params: Any = state.parameters
            for values in params:
                pk = tuple(values[n] for n in replica.pk_names)
                _recheck(pending, replica, pk, None, trans, inserted=False)
            return result
        if plan.returning is None:
            raise UnloggableWriteError(
                f"an UPDATE of {replica.name} with its own RETURNING: the change log adds its own; "
                "read the rows back with a SELECT instead")
        rows = state.invoke_statement(statement=plan.returning).all()
        trans = session.get_nested_transaction() or session.get_transaction()
        pending = pending_of(session)
        names = replica.column_names
        for row in rows:
            values = dict(zip(names, row, strict=True))
            encoded = replica.encode(row)
            pk = tuple(values[n] for n in replica.pk_names)
            _note(pending, replica, pk, json.dumps([encoded[i] for i in replica.pk_positions]),
                  self.owners.of(replica, values, session), json.dumps(encoded, separators=_COMPACT),
                  trans, inserted=False)
        return Affected(len(rows))

    def _delete(self, state: ORMExecuteState, replica: Replica, plan: _Plan) -> Result[Any]:
        if state.is_executemany or plan.returning is None:
            raise UnloggableWriteError(
                f"a DELETE from {replica.name} run for many parameter sets or with its own RETURNING: "
                "delete with one statement whose WHERE names the rows")
        session = state.session
        rows = state.invoke_statement(statement=plan.returning).all()
        trans = session.get_nested_transaction() or session.get_transaction()
        pending = pending_of(session)
        pk_names = replica.pk_names
        names = (*pk_names, *(() if replica.owner_column in pk_names else (replica.owner_column,)))
        for row in rows:
            values = dict(zip(names, row, strict=True))
            pk = tuple(values[n] for n in pk_names)
            _note(pending, replica, pk, replica.encode_pk(pk), self.owners.of(replica, values, session),
                  None, trans, inserted=False)
        return Affected(len(rows))

    # -- the ORM --------------------------------------------------------------

    def after_flush(self, session: Session, _context: Any) -> None:
        if not self.store.keeps_changelog:
            return
        pending = pending_of(session)
        for obj in list(session.new) + list(session.dirty):
            if type(obj) in REPLICA_OF:
                pending.objects[id(obj)] = obj
        for obj in session.deleted:
            replica = REPLICA_OF.get(type(obj))
            if replica is None:
                continue
            pk = tuple(getattr(obj, n) for n in replica.pk_names)
            org = self.owners.of(replica, {replica.owner_column: getattr(obj, replica.owner_column)},
                                 session)
            pending.deleted[(replica.name, replica.encode_pk(pk))] = (org, obj)

    def after_soft_rollback(self, session: Session, previous: SessionTransaction) -> None:
        """Rows a rolled-back savepoint wrote are read back at commit: what they are then is the truth."""
        pending: Pending | None = session.info.get(_KEY)
        if pending is None:
            return
        if previous.parent is None:  # the whole transaction: nothing of it stays
            session.info.pop(_KEY, None)
            return
        for key, captured in list(pending.rows.items()):
            trans = captured.made_in
            while trans is not None:
                if trans is previous:
                    del pending.rows[key]
                    pending.recheck.setdefault(key, captured)
                    break
                trans = trans.parent

    # -- at commit ------------------------------------------------------------

    def changes(self, session: Session) -> list[Change]:
        """Everything this transaction changed, in the order the log keeps it; empties the record.

        Upserts first, parents before children; then deletions, children first.
        """
        session.flush()
        pending: Pending | None = session.info.pop(_KEY, None)
        if pending is None:
            return []
        recheck = pending.recheck
        final: dict[tuple[str, str], Change] = {}
        for obj in pending.objects.values():
            state = inspect(obj)
            if not state.persistent:
                continue  # added in a savepoint that was rolled back, or deleted since
            replica = REPLICA_OF[type(obj)]
            values = {n: getattr(obj, n) for n in replica.column_names}
            pk = tuple(values[n] for n in replica.pk_names)
            key = (replica.name, replica.encode_pk(pk))
            if key in recheck:
                continue
            if key in pending.rows:  # a statement wrote it too: which is newer, only the table knows
                recheck[key] = pending.rows[key]
                continue
            org = self.owners.of(replica, values, session)
            if org is not None:
                row = json.dumps(replica.encode([values[n] for n in replica.column_names]),
                                 separators=_COMPACT)
                final[key] = (TABLE_ORDER[replica.name], org, replica.name, key[1], row)
        for key, (org, obj) in pending.deleted.items():
            if key in final or key in recheck or not inspect(obj).deleted:
                continue
            if key in pending.rows:
                recheck[key] = pending.rows[key]
                continue
            if org is not None:
                final[key] = (_deletion_order(key[0]), org, key[0], key[1], None)
        for key, captured in pending.rows.items():
            if key in recheck or key in final or captured.org is None:
                continue
            order = TABLE_ORDER[key[0]] if captured.row is not None else _deletion_order(key[0])
            final[key] = (order, captured.org, key[0], key[1], captured.row)
        if recheck:
            final.update(self._read_back(session, recheck))
        return sorted(final.values(), key=lambda c: c[0])

    def _read_back(self, session: Session, recheck: dict[tuple[str, str], Captured]
                   ) -> Iterable[tuple[tuple[str, str], Change]]:
        by_table: dict[str, dict[str, Captured]] = {}
        for (name, pk), captured in recheck.items():
            by_table.setdefault(name, {})[pk] = captured
        conn = session.connection()
        for name, wanted in by_table.items():
            replica = REPLICAS[name]
            found: dict[str, Sequence[Any]] = {}
            row: Sequence[Any] | None
            keys = list(wanted.values())
            for start in range(0, len(keys), _RECHECK_CHUNK):
                chunk = [c.pk for c in keys[start:start + _RECHECK_CHUNK]]
                where = (replica.pk[0].in_([k[0] for k in chunk]) if len(replica.pk) == 1
                         else tuple_(*replica.pk).in_(chunk))
                for row in conn.execute(select(*replica.columns).where(where)):
                    encoded = replica.encode(row)
                    found[json.dumps([encoded[i] for i in replica.pk_positions])] = row
            for pk, captured in wanted.items():
                row = found.get(pk)
                if row is not None:
                    org = self.owners.of(replica, dict(zip(replica.column_names, row, strict=True)),
                                         session)
                    if org is not None:
                        yield (name, pk), (TABLE_ORDER[name], org, name, pk,
                                           json.dumps(replica.encode(row), separators=_COMPACT))
                elif not captured.inserted and captured.org is not None:
                    yield (name, pk), (_deletion_order(name), captured.org, name, pk, None)


def pending_of(session: Session) -> Pending:
    found: Pending | None = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = Pending()
    return found


def _note(pending: Pending, replica: Replica, pk: tuple[Any, ...], pk_json: str,
          org: uuid.UUID | None, row: str | None, trans: SessionTransaction | None, *,
          inserted: bool) -> None:
    key = (replica.name, pk_json)
    earlier = pending.rows.get(key)
    pending.rows[key] = Captured(org, pk, row, trans,
                                 earlier.inserted if earlier is not None else inserted)


def _recheck(pending: Pending, replica: Replica, pk: tuple[Any, ...], org: uuid.UUID | None,
             trans: SessionTransaction | None, *, inserted: bool) -> None:
    key = (replica.name, replica.encode_pk(pk))
    earlier = pending.rows.pop(key, None) or pending.recheck.get(key)
    pending.recheck[key] = Captured(org if org is not None else (earlier.org if earlier else None), pk,
                                    None, trans, earlier.inserted if earlier is not None else inserted)


def _defaults(replica: Replica, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The replicated columns ``values`` leaves out, as the INSERT will store them; None if unknowable."""
    out: dict[str, Any] = {}
    for column in replica.columns:
        if column.name in values:
            continue
        default = column.default
        if column.server_default is not None:
            return None
        if default is None:
            out[column.name] = None
        elif default.is_scalar:
            out[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            out[column.name] = default.arg(None)  # type: ignore[attr-defined]
        else:
            return None
    return out


def _plain(values: Mapping[str, Any]) -> bool:
    """No value is an SQL expression (the database would compute it, so the row must be read back)."""
    return not any(isinstance(v, ClauseElement) for v in values.values())


def _deletion_order(table: str) -> int:
    """After every upsert of the commit, and children before their parents."""
    return len(TABLE_ORDER) * 2 - TABLE_ORDER[table]
