"""Writing the outbox entry that goes with each local change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from boxoffice.domain.references import NewId, NotARef, Ref
from boxoffice.errors import ValidationError
from boxoffice.services.actor import Actor
from boxoffice.store.models import OutboxEntry


class Payload(BaseModel):
    """What one kind of change carries to the server: declared next to the use case that records it.

    Extra fields are ignored: a use case may record a whole view of which
    the server reads these fields.
    """

    model_config = ConfigDict(extra="ignore")


class Edit(Payload):
    """The fields an edit of one kind of row may change: a pushed edit's ``changes`` and the API's PATCH body.

    A field left out is left alone; one sent as null is cleared if the model
    names it in ``clearable`` (a venue, a colour) and refused otherwise (a
    name). The use case calls ``check`` whichever channel the edit came
    through (API, push, CLI, window), so they cannot disagree on which
    fields exist or which may be cleared.
    """

    model_config = ConfigDict(extra="forbid")

    #: Fields that null clears; null for any other field is refused.
    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return tuple(cls.model_fields)

    @classmethod
    def check(cls, changes: Mapping[str, Any]) -> None:
        """Refuse an edit naming a field this model does not have, naming none, or clearing what must stay."""
        unknown = set(changes) - set(cls.model_fields)
        if unknown:
            raise ValidationError.single(
                "changes", f"These fields cannot be edited: {', '.join(sorted(unknown))}."
            )
        if not changes:
            raise ValidationError.single("changes", "Nothing to change was given.")
        for field, value in changes.items():
            if value is None and field not in cls.clearable:
                raise ValidationError.single(field, f"The {field} cannot be removed, only changed.")


def as_stored(changes: Mapping[str, Any], **checked: Any) -> dict[str, Any]:
    """``changes`` with each field it names in its checked form (stripped, lower-cased…): what the
    use case stores, so the change it records for the server holds the same."""
    return {**changes, **{field: value for field, value in checked.items() if field in changes}}


@dataclass(frozen=True)
class Change:
    """One kind of change a use case records: its payload model and what its ``entity_id`` names."""

    kind: str
    payload: type[Payload] | None
    entity: Ref | NewId | NotARef


#: Every change a use case can record, by kind, filled by ``declare`` as the
#: service modules load. The server replays each through an applier of the
#: same name (``boxoffice.sync.appliers``), built from these declarations,
#: and a test holds the two equal, so no station can record a change that
#: the server would answer "unknown" for ever.
CHANGES: dict[str, Change] = {}


def declare(kind: str, payload: type[Payload] | None, entity: Ref | NewId | NotARef) -> None:
    """Declare a kind of change: the one place its shape and its references are stated."""
    if kind in CHANGES and CHANGES[kind] != Change(kind, payload, entity):
        raise ValueError(f"the change {kind!r} is declared twice")
    CHANGES[kind] = Change(kind, payload, entity)


class UndeclaredKindError(ValueError):
    """A use case recorded a kind no ``declare`` states: a programming error, caught in tests."""


class ChangeShapeError(ValueError):
    """A use case recorded a payload its own declaration refuses: a programming error, caught in tests.

    Checked when the entry is recorded rather than when the server replays
    it, so a station can never queue what the server cannot read.
    """


# A plain INSERT on the table: an entry is never read back or changed in the
# transaction that writes it, so it needs no ORM object (and no flush).
_INSERT = insert(cast(Table, OutboxEntry.__table__))


def record(
    session: Session, actor: Actor | None, kind: str, entity_id: uuid.UUID, payload: dict[str, Any]
) -> None:
    """Queue ``kind`` (the use case, e.g. ``series.create``) with its arguments.

    Called inside the use case's own transaction: the entry and the change
    commit together or not at all. Entries are numbered (``seq``) in the
    order they are recorded.
    """
    change = CHANGES.get(kind)
    if change is None:
        raise UndeclaredKindError(f"the change {kind!r} is not declared (boxoffice.services.outbox.declare)")
    store = session.info.get("store")
    if store is not None and not store.keeps_outbox:
        return
    data = to_jsonable_python(payload)  # once: checked as stored
    if change.payload is not None:
        try:
            change.payload.model_validate(data)
        except PydanticValidationError as exc:
            raise ChangeShapeError(f"{kind} recorded a payload its declaration refuses: {exc}") from exc
    session.execute(_INSERT, {
        "kind": kind,
        "entity_id": entity_id,
        "payload": data,
        "actor_id": actor.member_id if actor else None,
    })
