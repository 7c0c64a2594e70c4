"""``boxoffice demo`` as a newcomer runs it: a real subprocess, a real server, real gate traffic."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.cli import SCRIPT

# An upper bound, not an expected time: the demo seeds, hashes four passwords, starts a server and
# syncs in seconds on a quiet machine, and several times slower with every core busy.
UNDER_LOAD_S = 400


def _command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "boxoffice"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_DATA_HOME"] = str(tmp_path / "home" / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / "config")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


@pytest.mark.slow
def test_headless_demo_runs_traffic_into_the_station_and_stops_by_itself(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    # No display and no Qt platform chosen: the demo says so and runs without the window.
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [*_command(), "--json", "demo", "--folder", str(folder), "--bands", "300",
         "--rate", "20/s", "--duration", "4s"],
        capture_output=True, text=True, env=env, timeout=UNDER_LOAD_S, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "No display here" in proc.stderr and "Running without a window" in proc.stderr
    report = json.loads(proc.stdout)
    assert report["folder"] == str(folder)
    seeded = report["summary"]["taps"]
    sent = report["traffic"]["sent"]
    assert sent >= 20, report["traffic"]  # about 4 s at 20/s, whatever the machine's load
    server_db, station_db = Path(report["server_db"]), Path(report["station_db"])
    on_server = _count(server_db, "SELECT count(*) FROM checkins")
    # Every tap the simulator had answered is on the server; the station pulled all of them.
    assert on_server >= seeded + report["traffic"]["answered"]
    assert report["station"]["checkins"] == on_server == _count(station_db, "SELECT count(*) FROM checkins")
    assert _count(station_db, "SELECT count(*) FROM wristbands") == _count(server_db, "SELECT count(*) FROM wristbands")
    # the demo's login and settings stayed in its folder, not in the person's home
    assert (folder / "logins.txt").read_text(encoding="utf-8").count("@example.org") == 4
    assert (folder / "credentials.json").exists()
    assert not (tmp_path / "home" / "config" / "boxoffice").exists()
    # the server stopped with the demo
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{_port(folder)}/api/health", timeout=2)


def _port(folder: Path) -> int:
    creds = json.loads((folder / "credentials.json").read_text(encoding="utf-8"))
    account = next(iter(creds))
    return int(account.rsplit(":", 1)[1])


def test_demo_refuses_a_folder_with_files_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    proc = subprocess.run([*_command(), "demo", "--no-window", "--folder", str(folder)],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=UNDER_LOAD_S, check=False)
    assert proc.returncode == 1
    assert "already holds files" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("args, message", [
    (["--rate", "fast"], "rate"),
    (["--duration", "soon"], "duration"),
    (["--demo-db", "x.sqlite3"], "--demo-db goes with --seed-only"),
])
@pytest.mark.slow
def test_demo_bad_options_say_what_is_wrong(tmp_path: Path, args: list[str], message: str) -> None:
    folder = tmp_path / "demo"
    proc = subprocess.run([*_command(), "demo", "--no-window", "--folder", str(folder), *args],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=UNDER_LOAD_S, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.slow
def test_ctrl_c_closes_the_demo_window_and_stops_everything(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    proc = subprocess.Popen(
        [*_command(), "demo", "--folder", str(folder), "--bands", "200", "--rate", "10/s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
    )
    try:
        deadline = time.monotonic() + UNDER_LOAD_S
        assert proc.stderr is not None
        seen = []
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "Opening the window" in line:
                break
        assert any("Opening the window" in line for line in seen), "".join(seen)
        port = _port(folder)
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
        time.sleep(2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=UNDER_LOAD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Demo stopped" in out
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
    # the window kept its settings and state in the demo's own file, not the person's
    assert "last_page" in (folder / "settings.ini").read_text(encoding="utf-8")
    assert not (tmp_path / "home" / "config" / "Box office").exists()
