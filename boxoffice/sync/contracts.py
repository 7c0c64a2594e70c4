"""What a pushed change may name, and the one check that every id it names is the pusher's.

Each outbox kind has a payload model, declared next to its use case
(``boxoffice.services.outbox.declare``), whose id fields are declared as
references (``Ref``: the table they name) or as the id a create gives its
new row (``NewId``); the entry's ``entity_id`` is declared with the model
the same way (``boxoffice.domain.references``). Before a use case runs,
``resolve`` looks up every reference in the pusher's organization: an id of another
organization answers exactly as an unknown one does ("No event … was
found."), so a push can neither reach across organizations nor learn what
exists there. Use cases check what they load as well; this is the one
mechanism that covers every field of every kind, and a test holds every id
field to a declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from boxoffice.domain.references import NewId, NotARef, Ref
from boxoffice.errors import NotFoundError
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import EncodeBatch
from boxoffice.sync.owners import Owners
from boxoffice.sync.replicas import REPLICAS

_batches = EncodeBatch.__table__
assert isinstance(_batches, Table)
# Rows a change may name: the replicated tables, and a station's encoding batches.
_OWNED: dict[str, tuple[Table, str, str]] = {
    **{name: (r.table, r.owner_column, r.owner_kind) for name, r in REPLICAS.items()},
    "encode_batches": (_batches, "event_id", "event"),
}
_WORDS = {"events": "event", "event_series": "series", "gates": "gate", "categories": "category",
          "tickets": "ticket", "wristbands": "wristband", "members": "member", "tag_secrets": "tag secret",
          "encode_batches": "encoding batch", "products": "product"}
_OWNERS = Owners()


def references(model: BaseModel) -> Iterator[tuple[str, uuid.UUID]]:
    """(table, id) of every reference in a parsed payload, nested models and lists included."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        ref = next((m for m in info.metadata if isinstance(m, Ref)), None)
        yield from _values(value, ref)


def _values(value: Any, ref: Ref | None) -> Iterator[tuple[str, uuid.UUID]]:
    if value is None:
        return
    if isinstance(value, BaseModel):
        yield from references(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _values(item, ref)
    elif isinstance(value, uuid.UUID) and ref is not None:
        yield ref.table, value


def organization_of(session: Session, table: str, row_id: uuid.UUID) -> uuid.UUID | None:
    """The organization a row belongs to, or None when there is no such row."""
    t, owner_column, owner_kind = _OWNED[table]
    pk = next(iter(t.primary_key.columns))
    owner = session.connection().execute(select(t.c[owner_column]).where(pk == row_id)).scalar()
    if owner is None:
        return None
    owner_id = owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))
    if owner_kind == "organization":
        return owner_id
    if owner_kind == "event":
        return _OWNERS.of_event(owner_id, session)
    if owner_kind == "series":
        return _OWNERS.of_series(owner_id, session)
    return organization_of(session, "gates", owner_id)


def resolve(store: Store, actor: Actor, refs: list[tuple[str, uuid.UUID]]) -> None:
    """Refuse the change if any id it names is unknown, or another organization's."""
    if not refs:
        return
    with store.read() as session:
        for table, row_id in dict.fromkeys(refs):
            if organization_of(session, table, row_id) != actor.organization_id:
                raise NotFoundError(_WORDS.get(table, table), row_id)


def id_fields(model: type[BaseModel], path: str = "") -> Iterator[tuple[str, bool]]:
    """(field path, declared?) for every field of ``model`` that can hold an id: for the contract test."""
    for name, info in model.model_fields.items():
        declared = any(isinstance(m, Ref | NewId | NotARef) for m in info.metadata)
        for kind in _types(info.annotation):
            if kind is uuid.UUID:
                yield f"{path}{name}", declared
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from id_fields(kind, f"{path}{name}.")


def _types(annotation: Any) -> Iterator[Any]:
    args = getattr(annotation, "__args__", None)
    if args:
        for arg in args:
            yield from _types(arg)
    else:
        yield annotation


__all__ = ["NewId", "NotARef", "Ref", "id_fields", "organization_of", "references", "resolve"]
