"""The encoding session without hardware: plan, activate, resume, refuse duplicates, manifest."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, Direction, Role
from boxoffice.errors import (
    AlreadyEncodedError,
    BandStateError,
    BatchClosedError,
    LimitExceededError,
    PermissionDeniedError,
    ValidationError,
)
from boxoffice.services import encoding_bands, encoding_batches, encoding_manifest
from boxoffice.services import keys as keys_svc
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import OutboxEntry, SeriesWristbandAssignment, Wristband
from tests.helpers.seeding import Festival
from tests.helpers.stores import table_counts

UID = "04A1B2C3D4E5F6"


def _batch(store: Store, owner: Actor, category: str = "VIP", series: list[str] | None = None,
           station: str | None = "Box office 1") -> uuid.UUID:
    return encoding_batches.start_batch(store, owner, event_ref="Summer Fest", category_ref=category,
                                        series_refs=["Day 1"] if series is None else series, requested=10,
                                        station=station).id


def _rows_of(store: Store, uid: str) -> list[Wristband]:
    with store.read() as session:
        return list(session.scalars(select(Wristband).where(Wristband.uid == uid)))


def test_plan_then_activate_makes_an_active_assigned_band(store: Store, owner: Actor, festival: Festival) -> None:
    batch = _batch(store, owner)
    plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid="04:a1:b2:c3:d4:e5:f6")
    assert plan.uid == UID and plan.label == "VIP #0001" and not plan.resumed
    assert plan.record_type == "urn:nfc:ext:bxo.app:b"
    assert (len(plan.password), len(plan.pack)) == (4, 2)
    (row,) = _rows_of(store, UID)
    assert row.status is BandStatus.PENDING and row.id == plan.band_id

    keys = {k: pl.public_key_from_raw(v) for k, v in keys_svc.public_keys(store, owner, "Summer Fest").items()}
    fields = pl.verify_payload(plan.record_payload, bytes.fromhex(UID), keys)
    assert fields.band_id == plan.band_id and fields.event_id == festival.event.id

    view = encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
    assert view.status is BandStatus.ACTIVE and view.encoded_at is not None
    with store.read() as session:
        assigned = session.scalar(select(func.count()).select_from(SeriesWristbandAssignment).where(
            SeriesWristbandAssignment.wristband_id == plan.band_id, SeriesWristbandAssignment.active.is_(True)))
        kinds = list(session.scalars(select(OutboxEntry.kind).order_by(OutboxEntry.seq)))
    assert assigned == 1
    assert kinds[-4:] == ["tag_secret.create", "encode_batch.start", "wristband.plan", "wristband.activate"]
    assert keys_svc.password_for(store, owner, UID) == (plan.password, plan.pack)

    second = encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000001")
    assert second.label == "VIP #0002"


def test_a_crash_before_activation_is_resumed_with_the_same_band_and_bytes(
    store: Store, owner: Actor, festival: Festival
) -> None:
    batch = _batch(store, owner)
    first = encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID)
    # The station dies here: the tag may or may not have been written. Next tap:
    before = table_counts(store)
    again = encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID)
    assert table_counts(store) == before  # nothing new to write
    assert again.resumed and again.band_id == first.band_id
    assert (again.record_payload, again.password, again.pack, again.label) == (
        first.record_payload, first.password, first.pack, first.label)
    assert len(_rows_of(store, UID)) == 1
    # A new batch after a restart resumes it too, and moves it to that batch.
    batch2 = _batch(store, owner)
    third = encoding_bands.plan_band(store, owner, batch_id=batch2, uid=UID)
    assert third.resumed and third.band_id == first.band_id and third.record_payload == first.record_payload
    with pytest.raises(BandStateError, match="another batch"):
        encoding_bands.activate_band(store, owner, batch_id=batch, band_id=first.band_id)
    encoding_bands.activate_band(store, owner, batch_id=batch2, band_id=first.band_id)
    assert [r.status for r in _rows_of(store, UID)] == [BandStatus.ACTIVE]


def test_an_encoded_uid_is_refused_with_its_label_and_nothing_is_written(
    store: Store, owner: Actor, festival: Festival
) -> None:
    batch = _batch(store, owner)
    plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID)
    encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
    other = _batch(store, owner, "GA")
    before = table_counts(store)
    with pytest.raises(AlreadyEncodedError, match=r"already encoded as VIP #0001 on \d{4}-\d\d-\d\d \d\d:\d\d [A-Za-z/_]+ at Box office 1"):
        encoding_bands.plan_band(store, owner, batch_id=other, uid=UID)
    with pytest.raises(BandStateError, match="only a pending band"):
        encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
    assert table_counts(store) == before
    assert len(_rows_of(store, UID)) == 1


def test_refused_calls_write_nothing(store: Store, owner: Actor, actors: dict[Role, Actor],
                                     festival: Festival) -> None:
    batch = _batch(store, owner)
    before = table_counts(store)
    with pytest.raises(ValidationError, match="not a tag UID"):
        encoding_bands.plan_band(store, owner, batch_id=batch, uid="xyz")
    with pytest.raises(PermissionDeniedError):
        encoding_bands.plan_band(store, actors[Role.VIEWER], batch_id=batch, uid=UID)
    with pytest.raises(ValidationError, match="outcome"):
        encoding_batches.record_outcome(store, owner, batch_id=batch, uid=UID, outcome="exploded", message="")
    with pytest.raises(ValidationError, match="completed or cancelled"):
        encoding_batches.finish_batch(store, owner, batch, status="open")
    with pytest.raises(ValidationError, match="at least one band"):
        encoding_batches.start_batch(store, owner, event_ref="Summer Fest", category_ref="VIP", series_refs=[],
                                     requested=0, station=None)
    assert table_counts(store) == before


def test_activation_respects_the_category_limit(store: Store, owner: Actor, festival: Festival) -> None:
    series_svc.set_category_limit(store, owner, "Day 1", "VIP", 1)
    batch = _batch(store, owner)
    a = encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000001")
    b = encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000002")
    encoding_bands.activate_band(store, owner, batch_id=batch, band_id=a.band_id)
    before = table_counts(store)
    with pytest.raises(LimitExceededError):
        encoding_bands.activate_band(store, owner, batch_id=batch, band_id=b.band_id)
    # Once the category is full, a new tag is refused before anything is written on it.
    with pytest.raises(LimitExceededError):
        encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000003")
    assert table_counts(store) == before
    assert _rows_of(store, "04000000000002")[0].status is BandStatus.PENDING


def test_outcomes_finish_and_manifest(store: Store, owner: Actor, festival: Festival) -> None:
    batch = _batch(store, owner)
    plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID)
    encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
    encoding_batches.record_outcome(store, owner, batch_id=batch, uid=UID, outcome="ok", message="written")
    encoding_batches.record_outcome(store, owner, batch_id=batch, uid="04FFFFFFFFFFFF", outcome="foreign_tag",
                                    message="not an NTAG21x")
    done = encoding_batches.finish_batch(store, owner, batch, status="completed")
    assert done.encoded == 1 and done.counts == {"ok": 1, "foreign_tag": 1} and done.finished_at
    with pytest.raises(BatchClosedError):
        encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000009")
    manifest = encoding_manifest.batch_manifest(store, owner, batch)
    assert manifest.operator == "owner@example.org" and manifest.station == "Box office 1"
    assert manifest.series == ["Day 1"]
    assert [(line.uid, line.label, line.outcome) for line in manifest.lines] == [
        (UID, "VIP #0001", "ok"), ("04FFFFFFFFFFFF", None, "foreign_tag")]
    csv_text = manifest.to_csv()
    assert csv_text.splitlines()[0].startswith("batch_id,event,category")
    assert str(plan.band_id) in csv_text
    assert '"label": "VIP #0001"' in manifest.to_json()


def test_a_ticket_is_linked_at_plan_time(store: Store, owner: Actor, festival: Festival) -> None:
    from boxoffice.store.models import Category, Ticket

    with store.write() as session:
        vip = session.scalars(select(Category).where(Category.name == "VIP")).one()
        ga = session.scalars(select(Category).where(Category.name == "GA")).one()
        session.add(Ticket(event_id=festival.event.id, category_id=vip.id, code="T-1"))
        session.add(Ticket(event_id=festival.event.id, category_id=ga.id, code="T-2"))
    batch = _batch(store, owner)
    plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID, ticket_ref="T-1")
    view = encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
    assert view.ticket_id is not None
    before = table_counts(store)
    with pytest.raises(ValidationError, match="already on band VIP #0001"):
        encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000002", ticket_ref="T-1")
    with pytest.raises(ValidationError, match="is for GA"):
        encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000002", ticket_ref="T-2")
    assert table_counts(store) == before


def test_a_pending_band_is_denied_at_the_gate(store: Store, owner: Actor, festival: Festival) -> None:
    from boxoffice.services import checkins

    batch = _batch(store, owner)
    encoding_bands.plan_band(store, owner, batch_id=batch, uid=UID)
    series_svc.transition_series(store, owner, "Day 1", "scheduled", "go")
    series_svc.transition_series(store, owner, "Day 1", "active", "go")
    tap = checkins.record_tap(store, owner, "Day 1", "Main", UID, Direction.IN, now=festival.start)
    assert tap.reason.value == "band_pending"
