"""``boxoffice encode`` as a person runs it: the installed script in a subprocess, on sim and over udp.

The crash test kills the command with SIGKILL in the middle of a batch, over
and over, while the simulated bands live on in this process behind the udp
server; then it runs the command again until the box is empty and reads
every band back: none active without a tag whose signature verifies, none
registered twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from boxoffice.domain.enums import BandStatus
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from hardware.readers.sim import SimulatedField, SimulatedMifareClassic, blank_bands
from hardware.readers.sim.udp_server import SimulatedUdpServer
from tests.hardware.encoding_helpers import EVENT, SERIES, band_rows, make_festival, verify_band

SCRIPT = Path(sys.executable).with_name("boxoffice")
OWNER = "owner@example.org"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A festival in a SQLite file of its own, closed again before the command opens it."""
    from boxoffice.services import organization

    path = tmp_path / "station.sqlite3"
    store = open_store(path)
    organization.create_organization(store, "Test Festival", OWNER, "Owner")
    make_festival(store, resolve_actor(store, OWNER))
    store.dispose()
    return path


def command(db: Path, *args: str) -> list[str]:
    return [str(SCRIPT), "--db", str(db), "encode", "--event", EVENT, "--category", "VIP",
            "--series", SERIES, "--station", "Box 1", *args]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}


def run(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(db, *args), capture_output=True, text=True, env=env(), timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def udp_box() -> Iterator[tuple[SimulatedUdpServer, SimulatedField]]:
    field = SimulatedField(blank_bands(40, seed=21), auto_feed=True)
    with SimulatedUdpServer(field) as server:
        yield server, field


@pytest.mark.slow
def test_encode_on_the_simulator_prints_a_line_per_band_and_writes_the_manifest(db: Path,
                                                                               tmp_path: Path) -> None:
    manifest = tmp_path / "batch.csv"
    result = run(db, "--count", "3", "--reader", "sim", "--sim-bands", "5", "--manifest", str(manifest))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    band_lines = [ln for ln in lines if " ok " in ln]
    assert len(band_lines) == 3 and "VIP #0001 encoded." in band_lines[0]
    assert lines[-2].startswith("Batch completed: 3 encoded, 0 failed, 0 duplicates")
    assert manifest.read_text().count("\n") == 4 and ",active,ok," in manifest.read_text()


def test_encode_over_udp_in_json_with_a_foreign_card(db: Path, tmp_path: Path) -> None:
    field = SimulatedField([*blank_bands(1, seed=2), SimulatedMifareClassic(), *blank_bands(1, seed=3)])
    manifest = tmp_path / "batch.json"
    with SimulatedUdpServer(field) as server:
        result = run(db, "--count", "2", "--reader", server.path, "--json", "--manifest", str(manifest))
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    bands = [e for e in events if e["event"] == "band"]
    assert [b["outcome"] for b in bands] == ["ok", "foreign_tag", "ok"]
    assert "MIFARE Classic card" in bands[1]["message"]
    assert events[-1]["event"] == "finished" and events[-1]["status"] == "completed"
    assert (events[-1]["done"], events[-1]["failed"]) == (2, 1)
    assert json.loads(manifest.read_text())["counts"] == {"ok": 2, "foreign_tag": 1}


def test_count_or_open_is_required(db: Path) -> None:
    result = run(db, "--reader", "sim")
    assert result.returncode == 1 and "--count N, or --open" in result.stderr


@pytest.mark.slow
def test_ctrl_c_cancels_cleanly_and_closes_the_batch(db: Path, udp_box) -> None:
    server, field = udp_box
    process = subprocess.Popen(command(db, "--open", "--reader", server.path, "--json"), env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    seen = 0
    for line in process.stdout:
        if json.loads(line).get("outcome") == "ok":
            seen += 1
            if seen == 3:
                break
    asked = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - asked < 5
    assert process.returncode == 130, err
    assert "Traceback" not in err
    finished = json.loads(out.splitlines()[-1])
    assert finished["event"] == "finished" and finished["status"] == "cancelled"
    store = open_store(db)
    try:
        rows = band_rows(store)
        owner = resolve_actor(store, OWNER)
        by_uid = {t.uid.hex().upper(): t for t in [*field.finished, *([field.tag] if field.tag else [])]}
        for row in rows:
            assert row.status in (BandStatus.ACTIVE, BandStatus.PENDING)
            if row.status is BandStatus.ACTIVE:
                verify_band(store, owner, by_uid[row.uid])
        assert sum(r.status is BandStatus.ACTIVE for r in rows) == finished["done"] >= 3
    finally:
        store.dispose()


@pytest.mark.slow
def test_ctrl_c_while_waiting_for_a_band(db: Path) -> None:
    with SimulatedUdpServer(SimulatedField([], auto_feed=False)) as server:
        process = subprocess.Popen(command(db, "--open", "--reader", server.path), env=env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Reader:")
        assert process.stdout.readline().startswith("Batch started")
        time.sleep(0.5)
        asked = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    # No band ever comes, so a wait that ignored Ctrl+C would run until the 30 s timeout above. The
    # bound is generous on purpose: on an idle machine this takes under 1 s, on a machine loaded
    # with two test suites it took just over 3 s (Python and SQLite shut down too).
    assert time.monotonic() - asked < 15
    assert process.returncode == 130, err
    assert "Batch cancelled: 0 encoded" in out


def _ok_lines(process: subprocess.Popen[str], wanted: int, seconds: float = 90) -> None:
    """Wait until the command has printed ``wanted`` encoded bands (JSON lines), or fail saying so."""
    import queue
    import threading

    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        try:
            for ln in stdout:
                lines.put(ln)
        except (ValueError, OSError):  # the test closed the pipe after the kill
            pass

    threading.Thread(target=read, daemon=True).start()
    ok = 0
    deadline = time.monotonic() + seconds
    while ok < wanted:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail(f"the command printed {ok} of {wanted} encoded bands in {seconds:.0f} s")
        ok += json.loads(line).get("outcome") == "ok"


@pytest.mark.slow
def test_sigkill_mid_batch_never_leaves_an_unverified_active_band(db: Path, udp_box) -> None:
    """Kills on a condition (the field frozen at a write: pending row made, writes begun) and at random points.

    Every other kill freezes the field at a write of the band in progress and
    kills the command there, so a kill between a band's pending row and its
    activation is certain, not a matter of timing; the others land at a random
    moment after a band's writes began (plan, write, protect or activate).
    """
    server, field = udp_box
    total = len(field.stack) + (1 if field.tag else 0)
    tags = {t.uid.hex().upper(): t for t in [*field.stack, *([field.tag] if field.tag else [])]}
    rng = random.Random(4)
    pending_seen: set[str] = set()  # bands a kill left between their pending row and activation
    for kill in range(6):
        process = subprocess.Popen(command(db, "--open", "--reader", server.path, "--json"), env=env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                   stdin=subprocess.DEVNULL)
        try:
            _ok_lines(process, 1 + kill % 3)
            if kill % 2 == 0:
                held = field.hold_after(rng.randrange(0, 6))
                assert held.wait(60), "the command wrote nothing more after its last band"
            else:
                writes = field.writes
                deadline = time.monotonic() + 30
                while field.writes == writes and time.monotonic() < deadline:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.06))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            assert process.stdout is not None
            process.stdout.close()
            field.release()
        store = open_store(db)
        try:
            rows = band_rows(store)
        finally:
            store.dispose()
        if kill % 2 == 0:  # frozen at a write: that band is planned and not yet activated
            assert any(r.status is BandStatus.PENDING for r in rows), rows
        pending_seen |= {r.uid for r in rows if r.status is BandStatus.PENDING}
        assert all(r.status in (BandStatus.PENDING, BandStatus.ACTIVE) for r in rows)
    assert pending_seen, "no kill landed between a band's pending row and its activation"
    active = sum(r.status is BandStatus.ACTIVE for r in rows)
    remaining = total - active
    assert remaining > 0
    result = run(db, "--count", str(remaining), "--reader", server.path, "--json")
    assert result.returncode == 0, result.stderr
    assert not field.stack  # the box is empty: every band was encoded

    store = open_store(db)
    try:
        owner = resolve_actor(store, OWNER)
        rows = band_rows(store)
        assert len({r.uid for r in rows}) == len(rows)  # none registered twice
        assert all(r.status is BandStatus.ACTIVE for r in rows), [r for r in rows if r.status is not BandStatus.ACTIVE]
        assert len(rows) == total
        assert pending_seen <= {r.uid for r in rows}  # every band a kill left pending was finished
        for row in rows:  # read every tag back, as a gate would
            fields = verify_band(store, owner, tags[row.uid])
            assert tags[row.uid].auth0 == 4
            assert fields.band_id is not None
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_udp_reader_that_stops_answering_is_one_sentence_within_seconds(db: Path) -> None:
    """Over udp, against a strict peer of nfcpy's protocol that falls silent after the first band."""
    import queue
    import threading

    from hardware.readers.sim.ntag import WRITE
    from tests.hardware.strict_udp_peer import StrictUdpPeer

    field = SimulatedField(blank_bands(5, seed=41), auto_feed=True)
    with StrictUdpPeer(field) as peer:
        peer.go_silent_when = lambda frame: bool(field.finished) and frame[:1] == bytes([WRITE])
        process = subprocess.Popen(command(db, "--open", "--reader", peer.path), env=env(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(ln) for ln in process.stderr], daemon=True).start()
        try:
            deadline = time.monotonic() + 60
            said = None
            while said is None and time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                said = line if "stopped answering" in line else None
            assert said is not None, "the command never said the reader stopped answering"
            assert peer.silent_since is not None and time.monotonic() - peer.silent_since < 10
            assert said.startswith(f"The reader {peer.path} stopped answering (nothing for ")
            assert said.strip().endswith("s). Check that it is running and reachable; work goes on where it "
                                         "stopped when it answers again.")
        finally:
            process.send_signal(signal.SIGINT)
            out, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "VIP #0001 encoded." in out and "Batch cancelled: 1 encoded" in out
    assert peer.violations == []
