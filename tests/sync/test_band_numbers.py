"""Band numbers: two stations encoding offline never print one number twice (services.band_numbers).

Stations (real SQLite files) log in to a real server over loopback HTTP, on
SQLite and PostgreSQL; the block requests race against real servers, in one
process and in two on one PostgreSQL database.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from boxoffice.domain.enums import Role
from boxoffice.domain.validation import MAX_NUMBER_BLOCK, NUMBER_BLOCK
from boxoffice.services import band_numbers, encoding_bands, encoding_batches
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import BandNumberBlock, BandNumberCounter, Category, OutboxEntry, Wristband
from tests.helpers.seeding import Live
from tests.helpers.servers import seeded_and_served
from tests.helpers.sync import Station, sync


def _encode(store: Store, station: str, uids: list[str], category: str = "GA") -> list[encoding_bands.TagPlan]:
    me = resolve_actor(store, None)
    batch = encoding_batches.start_batch(store, me, event_ref="Gate Fest", category_ref=category,
                                         series_refs=["Today"], requested=None, station=station)
    plans = []
    for uid in uids:
        plan = encoding_bands.plan_band(store, me, batch_id=batch.id, uid=uid)
        encoding_bands.activate_band(store, me, batch_id=batch.id, band_id=plan.band_id)
        plans.append(plan)
    return plans


def _numbers(store: Store, category: str = "GA") -> dict[uuid.UUID, int | None]:
    with store.read() as session:
        rows = session.execute(
            select(Wristband.id, Wristband.number).join(Category, Category.id == Wristband.category_id)
            .where(Category.name == category, Wristband.batch_id.is_not(None))
        ).all()
    return {band_id: number for band_id, number in rows}


def _use_up(store: Store, category: str = "GA") -> None:
    """As if this station had printed every number it holds of ``category``."""
    with store.write() as session:
        cat = session.scalars(select(Category.id).where(Category.name == category)).one()
        session.execute(update(BandNumberBlock).where(BandNumberBlock.category_id == cat)
                        .values(next=BandNumberBlock.last + 1))


@pytest.mark.slow
def test_two_offline_stations_never_print_one_number_twice(server: Live, station: Station) -> None:
    a, b = station("Box office A"), station("Box office B")
    # Online, each reserved a block of every category; then both lose the network.
    (held_a,) = [h for h in band_numbers.held(a) if h.category == "GA"]
    (held_b,) = [h for h in band_numbers.held(b) if h.category == "GA"]
    assert held_a.free == held_b.free == NUMBER_BLOCK
    assert not set(range(held_a.ranges[0][0], held_a.ranges[0][1] + 1)) & set(
        range(held_b.ranges[0][0], held_b.ranges[0][1] + 1))

    at_a = _encode(a, "Box office A", [f"04AA00000000{i:02X}" for i in range(5)])
    at_b = _encode(b, "Box office B", [f"04BB00000000{i:02X}" for i in range(5)])
    _use_up(b)  # B runs out: it encodes on, and the server numbers these at the sync
    late = _encode(b, "Box office B", [f"04BC00000000{i:02X}" for i in range(3)])
    assert all(p.label == "GA (number at next sync)" for p in late)
    printed = [int(p.label.split("#")[1]) for p in at_a + at_b]
    assert len(set(printed)) == 10

    for s in (a, b, a):
        assert sync(s).pushed.rejected == 0
    on_server = _numbers(server.store)
    assert len(on_server) == 13 and None not in on_server.values()
    assert len(set(on_server.values())) == 13, Counter(on_server.values()).most_common(3)
    # What a station printed is kept; the bands it could not number got the server's next ones.
    assert [on_server[p.band_id] for p in at_a + at_b] == printed
    assert all(on_server[p.band_id] not in printed for p in late)
    # And both stations now read the same numbers as the server.
    assert _numbers(a) == _numbers(b) == on_server
    with server.store.read() as session:
        counter = session.scalars(select(BandNumberCounter.next_number)).all()
        top = session.scalar(select(func.max(BandNumberBlock.last)))
        assert max(counter) > max(on_server.values())  # the counter is past every number handed out
        assert top is not None and max(counter) > top


@pytest.mark.slow
def test_a_number_from_outside_the_stations_blocks_is_renumbered_not_doubled(
    server: Live, station: Station
) -> None:
    a, b = station("Box office A"), station("Box office B")
    (first_of_a,) = _encode(a, "Box office A", ["04AA000000000A"])
    assert sync(a).pushed.rejected == 0
    taken = _numbers(server.store)[first_of_a.band_id]
    # B's database was copied from A's, or B is older: it sends A's number for its own band.
    (own,) = _encode(b, "Box office B", ["04BB000000000B"])
    with b.write() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "wristband.plan")).one()
        entry.payload = {**entry.payload, "number": taken}
    assert sync(b).pushed.rejected == 0
    numbers = _numbers(server.store)
    assert numbers[first_of_a.band_id] == taken and numbers[own.band_id] not in (None, taken)
    assert _numbers(b)[own.band_id] == numbers[own.band_id]


def test_a_station_that_may_go_offline_holds_what_its_open_batch_still_needs(
    server: Live, station: Station
) -> None:
    a = station("Box office A")
    me = resolve_actor(a, None)
    encoding_batches.start_batch(a, me, event_ref="Gate Fest", category_ref="VIP", series_refs=["Today"],
                                 requested=NUMBER_BLOCK * 3, station="Box office A")
    assert sync(a).number_blocks == 1
    (vip,) = [h for h in band_numbers.held(a) if h.category == "VIP"]
    assert vip.free >= NUMBER_BLOCK * 3
    assert sync(a).number_blocks == 0  # held: nothing more asked


def test_a_viewer_station_reserves_nothing(server: Live, station: Station) -> None:
    v = station("Lobby", email="viewer@example.org")
    assert band_numbers.held(v) == []
    with server.store.read() as session:
        assert session.scalar(select(func.count()).select_from(BandNumberBlock)) == 0


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"size": 0}, 422, "greater than or equal to 1"),
    ({"size": MAX_NUMBER_BLOCK + 1}, 422, f"less than or equal to {MAX_NUMBER_BLOCK}"),
    ({"size": 2**63}, 422, "less than or equal"),
    ({"size": "many"}, 422, "valid integer"),
    ({"size": 10, "station": "x" * 121}, 422, "at most 120 characters"),
    ({"size": 10, "colour": "red"}, 422, "Extra inputs are not permitted"),
])
def test_bad_block_requests_are_refused_with_a_sentence_and_write_nothing(
    server: Live, body: dict[str, object], status: int, says: str
) -> None:
    path = f"/api/events/{server.ids['event']}/categories/{server.ids['cat:GA']}/number-blocks"
    with server.client(Role.OWNER) as http:
        answer = http.post(path, json=body)
    assert answer.status_code == status and says in answer.text, answer.text
    with server.store.read() as session:
        assert session.scalar(select(func.count()).select_from(BandNumberBlock)) == 0


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (Role.GATE, 403), (Role.MEMBER, 403)])
def test_a_role_that_may_not_encode_gets_no_numbers(server: Live, role: Role, status: int) -> None:
    path = f"/api/events/{server.ids['event']}/categories/{server.ids['cat:GA']}/number-blocks"
    with server.client(role) as http:
        answer = http.post(path, json={"size": 10})
    assert answer.status_code == status, answer.text
    with server.store.read() as session:
        assert session.scalar(select(func.count()).select_from(BandNumberBlock)) == 0


def test_another_organizations_category_is_unknown(server: Live) -> None:
    from boxoffice.services import events, organization

    organization.create_organization(server.store, "Other Org", "other@example.org")
    other = resolve_actor(server.store, "other@example.org")
    ev = events.create_event(server.store, other, "Their Fest", "Europe/Amsterdam")
    cat = events.add_category(server.store, other, "Their Fest", "GA")
    with server.client(Role.OWNER) as http:
        answer = http.post(f"/api/events/{ev.id}/categories/{cat.id}/number-blocks", json={"size": 10})
    assert answer.status_code == 404, answer.text
    with server.store.read() as session:
        assert session.scalar(select(func.count()).select_from(BandNumberBlock)) == 0


# -- concurrency ------------------------------------------------------------


@pytest.fixture(params=[
    ("sqlite", 1),
    pytest.param(("postgres", 1), marks=pytest.mark.postgres),
    pytest.param(("postgres", 2), marks=pytest.mark.postgres),
], ids=["sqlite", "postgres", "postgres-2-processes"])
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Live, list[str]]]:
    backend, processes = request.param
    target = str(tmp_path / "server.sqlite3") if backend == "sqlite" else request.getfixturevalue("pg_database")
    with seeded_and_served(target, processes, tmp_path) as served:
        yield served


@pytest.mark.slow
def test_concurrent_block_requests_get_ranges_nobody_else_gets(servers: tuple[Live, list[str]]) -> None:
    live, urls = servers
    paths = [f"/api/events/{live.ids['event']}/categories/{live.ids[c]}/number-blocks"
             for c in ("cat:GA", "cat:VIP")]
    for url in urls:  # each process's first requests build its routes: not what this races
        with httpx.Client(base_url=url, timeout=60) as warm:
            assert warm.get("/api/health").status_code == 200
    requests = 40
    barrier = threading.Barrier(requests, timeout=60)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60,
                          headers={"Authorization": f"Bearer {live.tokens[Role.OWNER]}"}) as http:
            barrier.wait()
            return http.post(paths[i % 2], json={"size": 1 + i % 7, "station": f"Desk {i}"})

    with ThreadPoolExecutor(max_workers=requests) as pool:
        answers = list(pool.map(one, range(requests)))
    assert [a.status_code for a in answers] == [201] * requests, [a.text for a in answers if a.status_code != 201]
    for category in (live.ids["cat:GA"], live.ids["cat:VIP"]):
        blocks = sorted((a.json()["first"], a.json()["last"]) for a in answers
                        if a.json()["category_id"] == category)
        assert len(blocks) == requests // 2
        # Disjoint and gapless: each starts right after the one before.
        assert blocks[0][0] == 1
        assert all(nxt[0] == prev[1] + 1 for prev, nxt in itertools.pairwise(blocks)), blocks
        with live.store.read() as session:
            kept = session.scalar(select(BandNumberCounter.next_number).where(
                BandNumberCounter.category_id == uuid.UUID(category)))
            recorded = session.execute(select(BandNumberBlock.first, BandNumberBlock.last).where(
                BandNumberBlock.category_id == uuid.UUID(category))).all()
        # The kept counter equals a recount of what was handed out.
        assert kept == blocks[-1][1] + 1 == 1 + sum(last - first + 1 for first, last in recorded)
        assert sorted(tuple(r) for r in recorded) == blocks
