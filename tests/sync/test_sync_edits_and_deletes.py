"""Edits and deletes made offline at one station reach the server and, from it, another station."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from boxoffice.domain.enums import GateKind
from boxoffice.services import assignments, event_admin, events, series_delete, tickets
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import (
    Category,
    EventSeries,
    Gate,
    SeriesWristbandAssignment,
    SyncChange,
    Ticket,
)
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, snapshot, sync


def test_offline_edits_and_deletes_reach_another_station(server: Live, station: Station) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    ev = server.ids["event"]
    kept = tickets.create_ticket(server.store, owner, ev, "KEEP-1", "GA", "Ada")
    doomed = tickets.create_ticket(server.store, owner, ev, "GONE-1", "GA")
    temp = events.add_category(server.store, owner, ev, "Temp")
    side = events.add_gate(server.store, owner, ev, "Side", GateKind.ENTRY, ["VIP"])
    now = datetime.now(UTC)
    spare = svc.create_series(server.store, owner, ev, "Spare", now + timedelta(days=4),
                              now + timedelta(days=4, hours=3), 300, gates=["Main"]).series
    svc.set_category_limit(server.store, owner, str(spare.id), "GA", 100)
    assignments.assign_bands(server.store, owner, str(spare.id), category_ref="GA")

    a, b = station("Box office A"), station("Box office B")
    me = resolve_actor(a, None)
    # Offline at A: nothing is synced until the end.
    tickets.delete_ticket(a, me, doomed.id)
    tickets.update_ticket(a, me, kept.id, {"holder_name": "Grace", "voided": True})
    added = tickets.create_ticket(a, me, ev, "NEW-1", "VIP", holder_email="new@example.org")
    event_admin.update_gate(a, me, uuid.UUID(server.ids["gate:Exit"]), {"name": "North Exit"})
    event_admin.update_category(a, me, uuid.UUID(server.ids["cat:VIP"]), {"color": "#aa00ff"})
    event_admin.delete_gate(a, me, side.id)
    event_admin.delete_category(a, me, temp.id)
    version = svc.series_detail(a, me, str(spare.id)).series.version
    series_delete.delete_series(a, me, str(spare.id), version)

    report = sync(a)
    assert (report.pushed.applied, report.pushed.rejected) == (8, 0)
    sync(b)

    want = snapshot(server.store)
    assert snapshot(a) == want
    assert snapshot(b) == want
    with b.read() as session:
        assert session.get(Ticket, doomed.id) is None
        grace = session.get_one(Ticket, kept.id)
        assert (grace.holder_name, grace.voided_at is not None) == ("Grace", True)
        assert session.get_one(Ticket, added.id).holder_email == "new@example.org"
        assert session.get_one(Gate, uuid.UUID(server.ids["gate:Exit"])).name == "North Exit"
        assert session.get(Gate, side.id) is None
        assert session.get_one(Category, uuid.UUID(server.ids["cat:VIP"])).color == "#AA00FF"
        assert session.get(Category, temp.id) is None
        assert session.get(EventSeries, spare.id) is None
        assert session.scalar(select(func.count()).select_from(SeriesWristbandAssignment).where(
            SeriesWristbandAssignment.series_id == spare.id)) == 0
    # The deletions travelled as deletions in the server's log, not only as B's own cascade.
    with server.store.read() as session:
        gone = dict(session.execute(
            select(SyncChange.table_name, func.count())
            .where(SyncChange.row.is_(None)).group_by(SyncChange.table_name)
        ).all())
    assert gone == {"tickets": 1, "gates": 1, "gate_categories": 1, "categories": 1, "event_series": 1,
                    "series_gates": 1, "series_category_limits": 1, "series_wristband_assignments": 20}


def test_a_delete_the_server_refuses_is_reported_and_changes_nothing_there(
    server: Live, station: Station
) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    ev = server.ids["event"]
    now = datetime.now(UTC)
    spare = svc.create_series(server.store, owner, ev, "Spare", now + timedelta(days=4),
                              now + timedelta(days=4, hours=3), 300).series
    a = station("Box office A")
    me = resolve_actor(a, None)
    series_delete.delete_series(a, me, str(spare.id), spare.version)
    # Meanwhile someone edits the series on the server: the station deleted what it had seen.
    svc.update_series(server.store, owner, str(spare.id), spare.version, {"capacity": 400})
    report = sync(a)
    assert report.pushed.rejected == 1
    with server.store.read() as session:
        assert session.get_one(EventSeries, spare.id).capacity == 400

    reason = sync_client.rejected_entries(a)[0].error or ""
    assert reason.startswith("This series was changed by someone else"), reason
    assert snapshot(a) == snapshot(server.store)


def test_a_refused_delete_brings_the_row_back_to_the_station(server: Live, station: Station) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    ev = server.ids["event"]
    temp = events.add_category(server.store, owner, ev, "Temp")
    a = station("Box office A")
    event_admin.delete_category(a, resolve_actor(a, None), temp.id)
    # Meanwhile another counter encodes a band of that category: the server keeps the category.
    from boxoffice.services import wristbands

    band = wristbands.register_band(server.store, owner, ev, "Temp", "04BEEF00BEEF00")
    report = sync(a)
    assert report.pushed.rejected == 1
    assert "still used by 1 wristbands" in (sync_client.rejected_entries(a)[0].error or "")
    with a.read() as session:
        assert session.get_one(Category, temp.id).name == "Temp"
        assert session.scalar(select(Ticket.id).where(Ticket.event_id == uuid.UUID(ev))) is None
    assert snapshot(a) == snapshot(server.store)
    assert band.category_id == temp.id
