"""Column types and constraints hold at the database level, not only in the services."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from boxoffice.domain.enums import BandStatus, CheckinResult, Direction, Reason
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Checkin, Event, EventSeries, Gate, Organization, Wristband
from tests.helpers.stores import migrated_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, db_path: Path):  # type: ignore[no-untyped-def]
    target = str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_database")
    s = migrated_store(target)
    yield s
    s.dispose()


def _event(store: Store) -> Event:
    with store.write() as session:
        org = Organization(name="Org")
        session.add(org)
        session.flush()
        ev = Event(organization_id=org.id, name="Ev", timezone="Europe/Amsterdam")
        session.add(ev)
        session.flush()
        return ev


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 7, 2, 12, 0, tzinfo=UTC),
        datetime(2027, 7, 2, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2027, 7, 2, 14, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=2))),
        datetime(2027, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ],
)
def test_aware_datetimes_round_trip_as_utc(any_store: Store, moment: datetime) -> None:
    ev = _event(any_store)
    with any_store.write() as session:
        series = EventSeries(
            organization_id=ev.organization_id, event_id=ev.id, name="S", starts_at=moment,
            ends_at=moment + timedelta(hours=1), checkin_opens_at=moment,
            checkin_closes_at=moment + timedelta(hours=1), capacity=1,
        )
        session.add(series)
    with any_store.read() as session:
        loaded = session.scalars(select(EventSeries)).one()
    assert loaded.starts_at == moment
    assert loaded.starts_at.tzinfo == UTC
    assert loaded.starts_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: Store) -> None:
    ev = _event(store)
    with pytest.raises(StatementError, match="naive datetime"), store.write() as session:
        session.add(EventSeries(
            organization_id=ev.organization_id, event_id=ev.id, name="S",
            starts_at=datetime(2027, 1, 1, 10), ends_at=datetime(2027, 1, 1, 11, tzinfo=UTC),
            checkin_opens_at=datetime(2027, 1, 1, 10, tzinfo=UTC),
            checkin_closes_at=datetime(2027, 1, 1, 11, tzinfo=UTC), capacity=1,
        ))


def test_sqlite_stores_the_text_the_queries_expect(store: Store, db_path: Path) -> None:
    # store.queries.quarter_hour cuts the hour and minute out of this text.
    ev = _event(store)
    with sqlite3.connect(db_path) as conn:
        text = conn.execute("SELECT created_at FROM events WHERE id = ?", (ev.id.hex,)).fetchone()[0]
    assert len(text) == 26 and text[10] == " " and text[19] == "."


def test_database_constraints_back_the_services(any_store: Store) -> None:
    ev = _event(any_store)
    with any_store.write() as session:
        cat = Category(event_id=ev.id, name="GA")
        gate = Gate(event_id=ev.id, name="Main", kind="entry")
        session.add_all([cat, gate])
        session.flush()
        session.add(Wristband(event_id=ev.id, category_id=cat.id, uid="04AA", status=BandStatus.ACTIVE))
        cat_id, gate_id = cat.id, gate.id
    # one UID per event
    with pytest.raises(IntegrityError), any_store.write() as session:
        session.add(Wristband(event_id=ev.id, category_id=cat_id, uid="04AA", status=BandStatus.ACTIVE))
    # a status outside the vocabulary
    with pytest.raises((IntegrityError, StatementError)), any_store.write() as session:
        session.execute(Wristband.__table__.insert().values(
            id=uuid.uuid4(), event_id=ev.id, category_id=cat_id, uid="04BB",
            status="bogus", created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
        ))
    # a capacity of zero, and an end before the start
    now = datetime.now(UTC)
    for capacity, end in ((0, now + timedelta(hours=1)), (5, now - timedelta(hours=1))):
        with pytest.raises(IntegrityError), any_store.write() as session:
            session.add(EventSeries(
                organization_id=ev.organization_id, event_id=ev.id, name=f"S{capacity}", starts_at=now,
                ends_at=end, checkin_opens_at=now, checkin_closes_at=now + timedelta(hours=1),
                capacity=capacity,
            ))
    # a foreign key to nowhere
    with pytest.raises(IntegrityError), any_store.write() as session:
        session.add(Gate(event_id=uuid.uuid4(), name="Ghost", kind="entry"))
    # a scan id counts once
    with any_store.write() as session:
        series = EventSeries(
            organization_id=ev.organization_id, event_id=ev.id, name="Day", starts_at=now,
            ends_at=now + timedelta(hours=1), checkin_opens_at=now,
            checkin_closes_at=now + timedelta(hours=1), capacity=5,
        )
        session.add(series)
        session.flush()
        series_id = series.id

    def scan() -> Checkin:
        return Checkin(client_scan_id="dev1-1", event_id=ev.id, series_id=series_id, gate_id=gate_id,
                       direction=Direction.IN, result=CheckinResult.DENIED, reason=Reason.UNKNOWN_BAND,
                       device_id="dev1", occurred_at=now)

    with any_store.write() as session:
        session.add(scan())
    with pytest.raises(IntegrityError), any_store.write() as session:
        session.add(scan())
