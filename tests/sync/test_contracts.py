"""Every change a station can record has one contract on the server, and every id it names is declared."""

from __future__ import annotations

import uuid

import pytest

from boxoffice.services import outbox
from boxoffice.sync.appliers import APPLIERS, CONTRACTS
from boxoffice.sync.contracts import Ref, id_fields, references


def test_every_kind_a_use_case_can_record_has_an_applier_and_no_applier_is_orphaned() -> None:
    assert set(outbox.CHANGES) == set(APPLIERS) == set(CONTRACTS)
    assert len(outbox.CHANGES) == 40


def test_every_change_is_declared_next_to_the_use_case_that_records_it() -> None:
    """The model of each kind lives in the service module whose ``outbox.record`` calls record that kind."""
    import importlib
    import inspect
    import re

    for kind, change in outbox.CHANGES.items():
        if change.payload is None:
            continue
        home = importlib.import_module(change.payload.__module__)
        assert home.__name__.startswith("boxoffice.services."), (kind, home.__name__)
        source = inspect.getsource(home)
        # The kind is among the first arguments of each call (a literal, an f-string or a choice of two).
        calls = [source[m.end():m.end() + 160] for m in re.finditer(r"outbox\.record\(", source)]
        kinds = [k for call in calls for k in re.findall(r'f?"[a-z_]+\.[^"]+"', call)]
        literal = {k.strip('"') for k in kinds if not k.startswith("f")}
        patterns = [re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(k[2:-1])) for k in kinds if k.startswith("f")]
        assert kind in literal or any(re.fullmatch(p, kind) for p in patterns), (
            f"{kind} is declared in {home.__name__}, which records only {sorted(literal)} {patterns}")


def test_a_use_case_cannot_record_a_payload_its_declaration_refuses(store) -> None:  # type: ignore[no-untyped-def]
    with store.write() as session, pytest.raises(outbox.ChangeShapeError, match=r"wristband\.activate"):
        outbox.record(session, None, "wristband.activate", uuid.uuid4(), {"batch_id": "not an id"})
    with store.read() as session:
        from sqlalchemy import func, select

        from boxoffice.store.models import OutboxEntry

        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_a_use_case_cannot_record_an_undeclared_kind(store) -> None:  # type: ignore[no-untyped-def]
    with store.write() as session, pytest.raises(outbox.UndeclaredKindError, match=r"teleport\.create"):
        outbox.record(session, None, "teleport.create", uuid.uuid4(), {})


@pytest.mark.parametrize("kind", sorted(CONTRACTS))
def test_every_id_a_change_carries_is_a_declared_reference_or_a_new_id(kind: str) -> None:
    """A reference is looked up in the pusher's organization before the use case runs; a new id names the row made."""
    contract = CONTRACTS[kind]
    if contract.payload is None:
        assert isinstance(contract.entity, Ref), kind  # a deletion names what it deletes
        return
    undeclared = [path for path, declared in id_fields(contract.payload) if not declared]
    assert undeclared == [], f"{kind}: {undeclared} hold ids that are neither Ref, NewId nor NotARef"


def test_references_are_found_in_lists_and_nested_changes() -> None:
    gate_update = CONTRACTS["gate.update"].payload
    batch_start = CONTRACTS["encode_batch.start"].payload
    assert gate_update is not None and batch_start is not None
    cats = [uuid.uuid4(), uuid.uuid4()]
    found = list(references(gate_update.model_validate({"changes": {"category_ids": [str(c) for c in cats]}})))
    assert found == [("categories", cats[0]), ("categories", cats[1])]
    ev, cat, series = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    found = set(references(batch_start.model_validate({"id": str(uuid.uuid4()), "event_id": str(ev),
                                                       "category_id": str(cat), "series_ids": [str(series)]})))
    assert found == {("events", ev), ("categories", cat), ("event_series", series)}


def test_rest_bodies_that_describe_a_pushed_change_reuse_its_declaration() -> None:
    """An edit of a series or a category limit has one shape, whether it comes by the API or by a push."""
    from boxoffice.programs.server import requests as rq

    update = CONTRACTS["series.update"].payload
    limit = CONTRACTS["series.set_limit"].payload
    assert update is not None and limit is not None
    changed = update.model_fields["changes"].annotation
    assert isinstance(changed, type) and issubclass(rq.SeriesUpdate, changed)
    assert set(rq.SeriesUpdate.model_fields) == set(changed.model_fields) | {"expected_version"}
    assert issubclass(rq.LimitRequest, limit)
    # The same limits hold on both channels: a name too long for the column is refused by either.
    too_long = {"name": "x" * 121}
    for model in (changed, rq.SeriesUpdate):
        with pytest.raises(ValueError, match="at most 120 characters"):
            model.model_validate({**too_long, "expected_version": 1} if model is rq.SeriesUpdate else too_long)


def _rest_bodies() -> list[tuple[type, type]]:
    """(REST body, the declared model of the change it makes): every body that describes a pushed change."""
    from boxoffice.programs.server import bodies
    from boxoffice.programs.server import requests as rq
    from boxoffice.services import event_admin, events, series, tickets

    return [
        (rq.EventCreate, events.EventFields), (bodies.EventUpdate, event_admin.EventChangedFields),
        (rq.GateCreate, events.GateFields), (bodies.GateUpdate, event_admin.GateNaming),
        (rq.CategoryCreate, events.CategoryFields), (bodies.CategoryUpdate, event_admin.CategoryChangedFields),
        (bodies.TicketCreate, tickets.TicketFields), (bodies.TicketUpdate, tickets.TicketChangedFields),
        (rq.SeriesCreate, series.SeriesFields), (rq.SeriesUpdate, series.SeriesChangedFields),
        (bodies.SeriesReplace, series.SeriesChangedFields), (rq.LimitRequest, series.SeriesLimitChange),
        (rq.TransitionRequest, series.SeriesTransitionFields), (rq.GatesRequest, series.SeriesGatesChange),
    ]


def _bounds(model: type) -> dict[str, object]:
    """Each field's JSON schema as a client sees it, without its title, default and null."""
    properties = model.model_json_schema(mode="validation")["properties"]  # type: ignore[attr-defined]
    found: dict[str, object] = {}
    for name, stated in properties.items():
        schema = {k: v for k, v in stated.items() if k not in ("title", "default", "description")}
        options = [o for o in schema.pop("anyOf", []) if o != {"type": "null"}]
        if options:
            schema.update(options[0] if len(options) == 1 else {"anyOf": options})
        found[name] = schema
    return found


@pytest.mark.parametrize(("body", "model"), _rest_bodies(), ids=lambda c: c.__name__)
def test_every_rest_body_that_makes_a_pushed_change_is_that_changes_model(body: type, model: type) -> None:
    """Same fields, same bounds: the body is the model (or, for a PUT, the model with nothing optional)."""
    pushed = {name: kind for name, kind in CONTRACTS.items() if kind.payload is not None}
    assert any(model in c.payload.__mro__ or any(  # type: ignore[union-attr]
        getattr(f.annotation, "__mro__", ()) and model in f.annotation.__mro__  # type: ignore[union-attr]
        for f in c.payload.model_fields.values()) for c in pushed.values()), f"{model} is no pushed change's model"
    assert issubclass(body, model)
    theirs, mine = _bounds(model), _bounds(body)
    assert {name: mine[name] for name in theirs} == theirs
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        body.model_validate({"no_such_field": 1})  # type: ignore[attr-defined]


def test_a_series_put_requires_every_field_an_edit_may_change_and_nulls_only_the_clearable() -> None:
    from boxoffice.programs.server.bodies import SeriesReplace
    from boxoffice.services.series import SeriesChangedFields

    assert set(SeriesReplace.model_fields) == {*SeriesChangedFields.fields(), "expected_version"}
    assert all(f.is_required() for f in SeriesReplace.model_fields.values())
    nullable = {name for name, f in SeriesReplace.model_fields.items() if type(None) in getattr(
        f.annotation, "__args__", ())}
    assert nullable == SeriesChangedFields.clearable
