"""What a pull carries for the role that asks: the permission table's ``HOLD``, applied to the change log.

The server filters each page through a ``Scope``; the page says which scope
it was cut for, and the station keeps the last one it applied. When the
scope narrows (the member's role was lowered), the station deletes the rows
it may no longer hold in the same transaction as the page, and remembers a
sentence for ``sync status`` and the status bar. When it widens, the rows
the station never received are still in the log behind its cursor, so the
station pulls the log again from the start.

The rule itself lives in ``boxoffice.domain.permissions`` (``HOLD``,
``OWN_ROW_ONLY``), beside the table the API checks, so the two channels
cannot disagree.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import HOLD, OWN_ROW_ONLY, may_hold
from boxoffice.sync.replicas import REPLICAS

# A replicated table that nobody declared would travel to nobody, or (worse) be
# forgotten in a review of who sees what: refuse to start instead.
_UNDECLARED = set(REPLICAS) ^ set(HOLD)
if _UNDECLARED:  # pragma: no cover - a programming error, caught by every test run
    raise RuntimeError(f"replicated tables without a HOLD rule, or rules without a table: "
                       f"{sorted(_UNDECLARED)}")


def _references() -> dict[str, tuple[tuple[int, str], ...]]:
    """Per replicated table: (position, referenced table) of each column naming another replicated row."""
    out: dict[str, tuple[tuple[int, str], ...]] = {}
    for name, replica in REPLICAS.items():
        refs = tuple((i, fk.column.table.name) for i, col in enumerate(replica.columns)
                     for fk in col.foreign_keys if fk.column.table.name in REPLICAS)
        if refs:
            out[name] = refs
    return out


#: Columns that name a row of another replicated table (``event_series.created_by`` -> members).
REFERENCES = _references()
_COMPACT = (",", ":")

# What a person reads when a table leaves their station.
_WORDS = {
    "tag_secrets": "the tag-password secret",
    "tickets": "tickets and their holders",
    "series_tickets": "tickets and their holders",
    "wristbands": "wristbands",
    "series_wristband_assignments": "wristbands",
    "checkins": "check-ins",
    "series_presence": "check-ins",
    "members": "other members' details",
}


@dataclass(frozen=True)
class Scope:
    """The tables a station holds in full, and the member whose own row of the others it holds."""

    role: Role
    tables: frozenset[str]
    member_id: uuid.UUID

    @classmethod
    def of(cls, role: Role, member_id: uuid.UUID) -> Scope:
        return cls(role, may_hold(role), member_id)

    def own_pk(self, table: str) -> str:
        """The change log's key text of this member's own row in ``table``."""
        return REPLICAS[table].encode_pk([self.member_id])

    def admits(self, table: str, pk: str) -> bool:
        """Whether a logged change of ``table`` with key text ``pk`` goes to this station."""
        if table in self.tables:
            return True
        return table in OWN_ROW_ONLY and pk == self.own_pk(table)

    @cached_property
    def blanked(self) -> dict[str, tuple[tuple[int, str], ...]]:
        """Per held table, the reference columns that name rows this station does not hold.

        A row sent keeps pointing at its parents; a parent the role may not hold
        (the member who created a series, for a viewer) would break the
        station's foreign keys and tell who did what, so those references
        travel empty, except one to the station's own member. Every such
        column is nullable (a test checks it for every role).
        """
        return {name: tuple((i, target) for i, target in refs if target not in self.tables)
                for name, refs in REFERENCES.items()
                if name in self.tables and any(target not in self.tables for _, target in refs)}

    def own_value(self, table: str) -> Any:
        """This member's key as the rows of ``table``'s replica encode it (own rows of OWN_ROW_ONLY)."""
        replica = REPLICAS[table]
        return replica.encoders[replica.pk_positions[0]](self.member_id)

    def redact(self, table: str, row: str) -> str:
        """A logged row's JSON text as this station may receive it (unchanged for most tables)."""
        blank = self.blanked.get(table)
        if not blank:
            return row
        values = json.loads(row)
        changed = False
        for i, target in blank:
            if values[i] is not None and not (target in OWN_ROW_ONLY and values[i] == self.own_value(target)):
                values[i] = None
                changed = True
        return json.dumps(values, separators=_COMPACT) if changed else row

    def to_wire(self) -> dict[str, Any]:
        return {"role": self.role.value, "tables": sorted(self.tables), "member": str(self.member_id)}

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> Scope:
        known = {str(t) for t in value.get("tables", [])} & set(REPLICAS)
        return cls(Role(value["role"]), frozenset(known), uuid.UUID(str(value["member"])))


def lost(before: Scope | None, after: Scope) -> list[str]:
    """Tables ``after`` no longer holds in full, in child-first order (so deletions meet no reference).

    With no scope before (a station from before scopes, or a first pull) every
    table counts as held: a database that holds more than the role may is
    trimmed the first time.
    """
    held = before.tables if before is not None else frozenset(REPLICAS)
    gone = held - after.tables
    return [name for name in reversed(REPLICAS) if name in gone]


def gained(before: Scope | None, after: Scope) -> bool:
    """Whether ``after`` holds a table ``before`` did not: rows behind the cursor must be pulled again."""
    return before is not None and bool(after.tables - before.tables)


def describe_loss(role: Role, tables: list[str]) -> str:
    """One sentence for the person at the station: what went, and why."""
    words: list[str] = []
    ordered = [n for n in _WORDS if n in tables] + [n for n in tables if n not in _WORDS]
    for name in ordered:
        word = _WORDS.get(name, name.replace("_", " "))
        if word not in words:
            words.append(word)
    listed = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1] if words else "nothing"
    return (f"Your role is now {role.value}: this station no longer holds {listed}, "
            f"which a {role.value} may not see. They were removed from this computer.")
