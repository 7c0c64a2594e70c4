"""Push, pull and the station's view of both, against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import Direction, OutboxStatus, Role, SeriesStatus
from boxoffice.errors import AuthenticationError
from boxoffice.services import assignments, checkins, events, wristbands
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Checkin, EventSeries, Member, OutboxEntry, Wristband
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from boxoffice.sync.local import superseded
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.stores import table_counts
from tests.helpers.sync import Station, snapshot, sync


def _pending(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.status == OutboxStatus.PENDING)) or 0)


def test_login_fetches_the_organization_and_keeps_the_token_privately(
    server: Live, station: Station, tmp_path: Path
) -> None:
    st = station()
    mirror = snapshot(st)
    assert mirror == snapshot(server.store), "the station holds exactly the server's rows"
    with st.read() as session:
        assert session.scalar(select(func.count()).select_from(Member).where(
            Member.password_hash.is_not(None))) == 0, "password hashes never leave the server"
    assert resolve_actor(st, None).email == "owner@example.org"
    creds = tmp_path / "credentials.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert list(json.loads(creds.read_text())) == [f"owner@example.org@{server.url}"]
    assert _pending(st) == 0


def test_local_changes_reach_the_server_with_their_ids(server: Live, station: Station) -> None:
    st = station()
    me = resolve_actor(st, None)
    now = datetime.now(UTC)
    made = svc.create_series(st, me, "Gate Fest", "Late show", now + timedelta(days=1),
                             now + timedelta(days=1, hours=3), 500, gates=["Main"]).series
    svc.set_category_limit(st, me, str(made.id), "VIP", 50)
    svc.transition_series(st, me, str(made.id), SeriesStatus.SCHEDULED, "planned")
    band = wristbands.register_band(st, me, "Gate Fest", "VIP", "04AABBCCDDEEFF", station="Box office 1")
    assignments.assign_bands(st, me, str(made.id), uids=[band.uid])
    assert _pending(st) == 5

    report = sync(st)
    assert (report.pushed.applied, report.pushed.rejected) == (5, 0)
    assert _pending(st) == 0
    with server.store.read() as session:
        on_server = session.get_one(EventSeries, made.id)
        assert (on_server.name, on_server.status, on_server.capacity) == (
            "Late show", SeriesStatus.SCHEDULED, 500)
        assert session.get_one(Wristband, band.id).uid == "04AABBCCDDEEFF"
    assert snapshot(st) == snapshot(server.store)


@pytest.mark.slow
def test_the_same_batch_twice_is_applied_once(server: Live, station: Station) -> None:
    st = station()
    me = resolve_actor(st, None)
    for i in range(3):
        wristbands.register_band(st, me, "Gate Fest", "GA", f"04000000000{i:03d}")
    with st.read() as session:
        entries = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
    body = {"station": "Box office 1", "entries": [
        {"id": str(e.id), "seq": e.seq, "kind": e.kind, "entity_id": str(e.entity_id),
         "payload": e.payload, "created_at": e.created_at.isoformat()} for e in entries]}
    with server.client() as http:
        first = http.post("/api/sync/push", json=body).json()["results"]
        before = table_counts(server.store)
        second = http.post("/api/sync/push", json=body).json()["results"]
    assert [r["status"] for r in first] == ["applied"] * 3
    assert [r["status"] for r in second] == ["duplicate"] * 3
    assert table_counts(server.store) == before


@pytest.mark.parametrize("first", ["A", "B"])
@pytest.mark.slow
def test_two_offline_stations_converge_in_either_order(server: Live, station: Station, first: str) -> None:
    a, b = station("Box office A"), station("Box office B")
    sa, sb = resolve_actor(a, None), resolve_actor(b, None)
    series_id = server.ids["series"]
    # Offline, both work: A adds a series and bands, B taps people in and sets a limit.
    now = datetime.now(UTC)
    svc.create_series(a, sa, "Gate Fest", "Tomorrow", now + timedelta(days=1),
                      now + timedelta(days=1, hours=5), 800, gates=["Main", "Exit"])
    for i in range(5):
        wristbands.register_band(a, sa, "Gate Fest", "VIP", f"04A0000000{i:04d}", station="Box office A")
    for uid in server.bands[:4]:
        checkins.record_tap(b, sb, series_id, "Main", uid, Direction.IN, device_id="B-reader")
    checkins.record_tap(b, sb, series_id, "Exit", server.bands[0], Direction.OUT, device_id="B-reader")
    svc.set_category_limit(b, sb, series_id, "GA", 5_000)

    order = [a, b] if first == "A" else [b, a]
    for st in order + order:  # the second round brings each the other's changes
        sync(st)
    want = snapshot(server.store)
    assert snapshot(a) == want
    assert snapshot(b) == want
    with server.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == 5
        assert session.scalar(select(func.count()).select_from(Wristband).where(
            Wristband.station == "Box office A")) == 5


def test_a_uid_registered_at_two_stations_is_won_by_the_first_and_surfaced_at_the_other(
    server: Live, station: Station
) -> None:
    a, b = station("Box office A"), station("Box office B")
    won = wristbands.register_band(a, resolve_actor(a, None), "Gate Fest", "VIP", "04:C0:FF:EE:00:11:22",
                                   station="Box office A")
    lost = wristbands.register_band(b, resolve_actor(b, None), "Gate Fest", "GA", "04C0FFEE001122",
                                    station="Box office B")
    sync(a)
    report = sync(b)
    assert report.pushed.rejected == 1
    refused = sync_client.rejected_entries(b)
    assert [e.kind for e in refused] == ["wristband.register"]
    assert refused[0].error == (
        "UID 04C0FFEE001122 is already registered in Gate Fest as VIP #0001 at Box office A."
    )
    status = sync_client.sync_status(b)
    assert status.rejected == 1 and status.queue_depth == 0 and status.online is True
    # The server's band replaced B's own, and B is told which of its rows gave way.
    with b.read() as session:
        held = session.scalars(select(Wristband).where(Wristband.uid == "04C0FFEE001122")).all()
        assert [w.id for w in held] == [won.id]
    gave_way = superseded(b)
    assert gave_way and gave_way[-1]["table"] == "wristbands"
    assert gave_way[-1]["local"]["id"] == lost.id.hex
    assert snapshot(b) == snapshot(server.store)


def test_a_stale_edit_is_refused_visibly_and_the_station_takes_the_servers_version(
    server: Live, station: Station
) -> None:
    a, b = station("Box office A"), station("Box office B")
    sid = server.ids["series"]
    for st, cap in ((a, 9_000), (b, 7_000)):
        me = resolve_actor(st, None)
        version = svc.series_detail(st, me, sid).series.version
        svc.update_series(st, me, sid, version, {"capacity": cap})
    sync(a)
    report = sync(b)
    assert report.pushed.rejected == 1
    reason = sync_client.rejected_entries(b)[0].error or ""
    assert reason.startswith("This series was changed by someone else"), reason
    with b.read() as session:
        assert session.get_one(EventSeries, uuid.UUID(sid)).capacity == 9_000


@pytest.mark.slow
def test_check_ins_reach_a_waiting_station_within_a_second_or_two(server: Live, station: Station) -> None:
    st = station()
    sync(st)
    got: dict[str, float] = {}

    def wait_for_changes() -> None:
        with sync_client.SyncClient.from_store(st) as client:
            started = time.monotonic()
            got["rows"] = client.pull(wait=10)
            got["after"] = time.monotonic() - started

    waiter = threading.Thread(target=wait_for_changes)
    waiter.start()
    time.sleep(1.0)
    tapped = time.monotonic()
    with server.client(Role.GATE) as http:
        http.post("/api/verify", json={
            "series_id": server.ids["series"], "gate_id": server.ids["gate:Main"],
            "uid": server.bands[0], "scan_id": "live-1", "direction": "in"}).raise_for_status()
    waiter.join(timeout=15)
    assert got["rows"] >= 1
    assert time.monotonic() - tapped < 2.0
    with st.read() as session:
        assert session.scalar(select(Checkin.uid).where(Checkin.client_scan_id == "live-1")) == server.bands[0]


@pytest.mark.slow
def test_pulling_in_small_pages_gets_everything_and_remembers_the_cursor(
    server: Live, station: Station
) -> None:
    st = station()
    extra = open_store(st.path.with_name("paged.sqlite3"))  # type: ignore[union-attr]
    try:
        sync_client.login(extra, server.url, "owner@example.org", PASSWORD, station="paged")
        with sync_client.SyncClient.from_store(extra, page_size=7) as client:
            assert client.pull() == 0, "login already pulled everything"
        assert snapshot(extra) == snapshot(server.store)
    finally:
        extra.dispose()
    fresh = open_store(st.path.with_name("fresh.sqlite3"))  # type: ignore[union-attr]
    try:
        from boxoffice.store.models import LocalSetting

        with fresh.write() as session:
            # Logged-in state without the first pull, to pull it in pages of 7.
            with st.read() as src:
                login = src.get_one(LocalSetting, sync_client.SERVER_KEY).value
            session.add(LocalSetting(key=sync_client.SERVER_KEY, value=login))
        with sync_client.SyncClient.from_store(fresh, page_size=7) as client:
            first = client.pull()
            assert first > 7
            assert client.pull() == 0
        assert snapshot(fresh) == snapshot(server.store)
    finally:
        fresh.dispose()


def test_an_unreachable_server_leaves_the_work_queued_and_says_offline(station: Station, server: Live) -> None:
    st = station()
    wristbands.register_band(st, resolve_actor(st, None), "Gate Fest", "GA", "04DEAD00BEEF00")
    with st.write() as session:
        from boxoffice.store.models import LocalSetting

        setting = session.get_one(LocalSetting, sync_client.SERVER_KEY)
        creds_url = setting.value["url"]
        setting.value = {**setting.value, "url": "http://127.0.0.1:9"}
    from boxoffice.sync import credentials

    credentials.save_token("http://127.0.0.1:9", "owner@example.org",
                           credentials.load_token(creds_url, "owner@example.org") or "")
    with pytest.raises(sync_client.ServerUnreachableError, match="cannot be reached"):
        sync(st)
    status = sync_client.sync_status(st)
    assert (status.online, status.queue_depth) == (False, 1)
    assert status.oldest_unsent is not None and status.oldest_unsent_age() is not None
    assert "offline" in status.describe() and "1 changes waiting" in status.describe()


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    low = sync_client.Backoff(base=1, cap=8, rng=lambda: 0.0)
    high = sync_client.Backoff(base=1, cap=8, rng=lambda: 1.0)
    assert [low.next_delay() for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]
    assert [high.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    high.reset()
    assert high.next_delay() == 1


def test_a_wrong_password_or_another_organizations_database_logs_nothing_in(
    server: Live, tmp_path: Path
) -> None:
    st = open_store(tmp_path / "station.sqlite3")
    try:
        before = table_counts(st)
        with pytest.raises(AuthenticationError):
            sync_client.login(st, server.url, "owner@example.org", "wrong", station="x")
        assert table_counts(st) == before
        from boxoffice.services import organization

        organization.create_organization(st, "Somebody Else", "me@else.org")
        before = table_counts(st)
        with pytest.raises(sync_client.SyncRefusedError, match="another organization"):
            sync_client.login(st, server.url, "owner@example.org", PASSWORD, station="x")
        assert table_counts(st) == before
        assert not (tmp_path / "credentials.json").exists()
    finally:
        st.dispose()


def test_bad_pushes_are_refused_entry_by_entry(server: Live) -> None:
    def entry(kind: str, payload: dict[str, object]) -> dict[str, object]:
        return {"id": str(uuid.uuid4()), "seq": 1, "kind": kind, "entity_id": str(uuid.uuid4()),
                "payload": payload, "created_at": datetime.now(UTC).isoformat()}

    before = table_counts(server.store)
    with server.client(Role.VIEWER) as http:
        results = http.post("/api/sync/push", json={"entries": [
            entry("teleport.create", {}),
            entry("event.create", {"name": 12}),
            entry("event.create", {"id": str(uuid.uuid4()), "name": "Viewer Fest",
                                   "timezone": "Europe/Paris"}),
        ]}).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert [r["error"] for r in results] == ["unknown_kind", "malformed", "forbidden"]
    assert "does not know the change 'teleport.create'" in results[0]["reason"]
    after = table_counts(server.store)
    assert after.pop("sync_applied_entries") == before.pop("sync_applied_entries") + 3
    assert after == before
    with server.client(None) as anonymous:
        assert anonymous.post("/api/sync/push", json={"entries": []}).status_code == 401
        assert anonymous.get("/api/sync/changes").status_code == 401
    with server.client() as http:
        assert http.get("/api/sync/changes", params={"after": -1}).status_code == 422
        assert http.get("/api/sync/changes", params={"wait": 31}).status_code == 422
        assert http.post("/api/sync/push", json={"entries": [{"id": "x"}]}).status_code == 422


def test_another_organizations_changes_are_never_pulled(server: Live) -> None:
    from boxoffice.services import auth, organization

    organization.create_organization(server.store, "Rival Org", "rival@example.org")
    rival = resolve_actor(server.store, "rival@example.org")
    events.create_event(server.store, rival, "Rival Fest", "Europe/Berlin")
    auth.set_password(server.store, rival, "rival@example.org", PASSWORD)
    token = auth.login(server.store, "rival@example.org", PASSWORD)[0]
    with server.client(token=token) as http:
        page = http.get("/api/sync/changes", params={"limit": 20_000}).json()
    names = {c[1] for c in page["changes"]}
    assert names == {"organizations", "members", "events"}
    rows = [c[3] for c in page["changes"]]
    assert all("Gate Fest" not in json.dumps(r) for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["restored", "replaced"])
def test_a_restored_or_replaced_server_log_makes_the_station_pull_everything_again(
    server: Live, station: Station, how: str
) -> None:
    from sqlalchemy import delete

    from boxoffice.store.models import LocalSetting, SyncChange
    from boxoffice.sync import changelog

    st = station()
    owner = resolve_actor(server.store, "owner@example.org")
    with server.store.write() as session:
        if how == "restored":
            # As if the server came back from a backup taken 10 changes ago.
            newest = session.execute(
                select(SyncChange.txid, SyncChange.seq)
                .order_by(SyncChange.txid.desc(), SyncChange.seq.desc()).limit(10)
            ).all()
            session.execute(delete(SyncChange).where(SyncChange.seq.in_([seq for _, seq in newest])))
        else:
            session.get_one(LocalSetting, changelog.LOG_ID_KEY).value = {"id": str(uuid.uuid4())}
    # The station looks before the server logs anything new: on PostgreSQL this
    # database's transaction ids go on growing after the rows deleted above, as
    # they would not after a real restore, and a new change would lie beyond
    # the station's cursor again.
    report = sync(st)
    assert report.pulled >= len(snapshot(server.store)["wristbands"])
    events.add_category(server.store, owner, "Gate Fest", "Crew")
    sync(st)
    with st.read() as session:
        from boxoffice.store.models import Category

        assert session.scalar(select(Category.id).where(Category.name == "Crew")) is not None


def test_sync_status_says_when_it_last_knew_the_server_was_up(server: Live, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from boxoffice.programs.cli import cli
    from boxoffice.programs.server.embedded import EmbeddedServer
    from tests.helpers.seeding import PASSWORD

    central = EmbeddedServer(server.store)  # a server of our own, to stop
    url = central.start()
    desk = open_store(tmp_path / "desk.sqlite3")
    try:
        sync_client.login(desk, url, "owner@example.org", PASSWORD, station="Desk")
        sync(desk)
        central.stop()

        def shown() -> str:
            result = CliRunner().invoke(cli, ["--db", str(desk.path), "sync", "status"])
            assert result.exit_code == 0, result.output
            return result.output.splitlines()[0]

        # The server is down, and nobody has asked it since: the line says what was known, and when.
        line = shown()
        assert re.match(rf"online at \d\d:\d\d Europe/Amsterdam, \d+ s ago \({re.escape(url)}\) · "
                        "nothing waiting$", line), line
        status = sync_client.sync_status(desk)
        assert status.last_attempt is not None and status.last_success is not None
        later = status.last_attempt + timedelta(minutes=3)
        zone = ZoneInfo("Europe/Amsterdam")
        # A time on another day than "now" carries its date (3 minutes later may be past midnight there).
        day = "%Y-%m-%d " if later.astimezone(zone).date() != status.last_attempt.astimezone(zone).date() else ""
        tried = f"{status.last_attempt.astimezone(zone).strftime(day + '%H:%M')} Europe/Amsterdam"
        assert status.describe(now=later).startswith(f"online at {tried}, 3 min ago; not checked since ({url})")
        at = f"{status.last_success.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M} Europe/Amsterdam"
        # The next try finds it down, and says so with when it was last reached.
        with pytest.raises(sync_client.ServerUnreachableError):
            sync(desk)
        line = shown()
        assert re.match(rf"offline at \d\d:\d\d Europe/Amsterdam, \d+ s ago; last reached at {at} "
                        rf"\({re.escape(url)}\)", line), line
    finally:
        central.stop()
        desk.dispose()


def test_a_login_while_the_server_holds_its_log_back_waits_for_its_own_member(server: Live,
                                                                              tmp_path: Path) -> None:
    """On PostgreSQL the log is served only below the oldest transaction still writing: a member
    added while another transaction is open reaches no station until it ends. A login waits for
    its own member (it once answered "No single member with the e-mail ... is known")."""
    from sqlalchemy import create_engine, text

    from boxoffice.services import auth, organization
    from boxoffice.store.models import LocalSetting
    from boxoffice.sync import client as sync_client
    from tests.helpers.servers import wait_until
    from tests.helpers.stores import migrated_store

    owner = resolve_actor(server.store, "owner@example.org")
    holder = None if server.store.is_sqlite else create_engine(server.store.url)
    held = holder.connect() if holder is not None else None
    if held is not None:  # a transaction that writes (it has an id) and stays open
        held.execute(text("SELECT pg_current_xact_id()"))
    desk = migrated_store(tmp_path / "late.sqlite3")

    def first_pull_done() -> bool:
        with desk.read() as session:
            return session.get(LocalSetting, sync_client.HEALTH_KEY) is not None

    def end_it() -> None:  # once the login's first pull is over, found nothing, and the login waits
        wait_until(first_pull_done, timeout=60)
        if held is not None:
            held.rollback()

    try:
        organization.add_member(server.store, owner, "late@example.org", Role.ADMIN)
        auth.set_password(server.store, owner, "late@example.org", PASSWORD)
        ender = threading.Thread(target=end_it, daemon=True)
        ender.start()
        outcome = sync_client.login(desk, server.url, "late@example.org", PASSWORD, station="Late desk")
        ender.join(timeout=60)
        assert outcome.login.email == "late@example.org"
        with desk.read() as session:
            assert session.scalar(select(Member.email).where(Member.id == outcome.login.member_id)) \
                == "late@example.org"
    finally:
        desk.dispose()
        if held is not None:
            held.close()
        if holder is not None:
            holder.dispose()
