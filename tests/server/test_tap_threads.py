"""The gates' taps run on a few threads of their own, on both tap routes (``server/taps.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.domain.enums import Role
from boxoffice.errors import ValidationError
from boxoffice.programs.server import taps
from boxoffice.services import checkins, occupancy
from tests.helpers.cli import run_here
from tests.helpers.seeding import Live
from tests.helpers.sync import seeded_server

BOUND = 2


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def narrow(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A live server started with ``BOUND`` tap threads."""
    monkeypatch.setenv(taps.VARIABLE, str(BOUND))
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database")
    with seeded_server(target) as live:
        yield live


def test_concurrent_taps_on_both_routes_share_the_bounded_threads_and_are_all_answered(
    narrow: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = threading.Condition()
    now, most = [0], [0]
    real = checkins.record_tap

    def watched(*args: Any, **kwargs: Any) -> Any:
        with running:
            now[0] += 1
            most[0] = max(most[0], now[0])
            running.notify_all()
            # Held until a tap more than the bound is running too, or half a second has
            # passed: with more threads than the bound, the others would be let in meanwhile.
            running.wait_for(lambda: now[0] > BOUND, timeout=0.5)
        try:
            return real(*args, **kwargs)
        finally:
            with running:
                now[0] -= 1

    monkeypatch.setattr(checkins, "record_tap", watched)
    series, gate = narrow.ids["series"], narrow.ids["gate:Main"]

    def tap(i: int) -> httpx.Response:
        body = {"gate_id": gate, "uid": narrow.bands[i], "direction": "in", "scan_id": f"bounded-{i}"}
        with httpx.Client(base_url=narrow.url, timeout=60,
                          headers={"Authorization": f"Bearer {narrow.tokens[Role.GATE]}"}) as client:
            if i % 2:
                return client.post(f"/api/series/{series}/checkins/verify", json=body)
            return client.post("/api/verify", json={**body, "series_id": series})

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(tap, range(12)))
    assert [a.status_code for a in answers] == [200] * 12, [a.text for a in answers if a.status_code != 200]
    assert {a.json()["reason"] for a in answers} == {"ok"}
    assert 1 <= most[0] <= BOUND
    with narrow.store.read() as session:
        assert occupancy.mismatches(session) == []


@pytest.mark.parametrize("setting", ["0", "65", "four", "-1", "2.5", "1e2"])
def test_a_malformed_tap_threads_setting_is_refused_with_a_sentence(setting: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"BOXOFFICE_TAP_THREADS must be a whole number of threads"):
        taps.threads({taps.VARIABLE: setting})
    db = tmp_path / "never.sqlite3"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", taps.VARIABLE: setting}
    result = run_here(["--db", str(db), "server", "--port", "1"], env)
    assert result.code == 1, result
    assert f"from 1 to {taps.MAX}; got '{setting}'" in result.err
    assert not db.exists()  # refused before the database was made


def test_the_tap_threads_setting_defaults_and_reads_its_variable() -> None:
    assert taps.threads({}) == taps.DEFAULT == 4
    assert taps.threads({taps.VARIABLE: " 12 "}) == 12
    assert taps.threads({taps.VARIABLE: "64"}) == taps.MAX
