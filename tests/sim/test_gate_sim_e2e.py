"""A few seconds of simulated gate traffic against a real server on loopback, checked against its records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from boxoffice.errors import ValidationError
from boxoffice.programs.cli import cli
from boxoffice.programs.sim.gate_client import (
    GRACE_SECONDS,
    Credentials,
    GateSim,
    GateSimConfig,
    GateSimError,
)
from boxoffice.programs.sim.gate_traffic import OFFLINE_FROM, OFFLINE_UNTIL, Mix, PlannedTap, Profile, TapKind
from boxoffice.store.models import Checkin
from tests.helpers.gate_sim import GATE_DEVICE, MANAGER, PASSWORD, Festival

DEVICE = Credentials(email=GATE_DEVICE, password=PASSWORD)
LOOKUP = Credentials(email=MANAGER, password=PASSWORD)


def _checkins(festival: Festival, run_id: str) -> list[Checkin]:
    with festival.store.read() as session:
        return list(session.scalars(select(Checkin).where(Checkin.client_scan_id.like(f"sim-{run_id}-%"))))


@pytest.mark.slow
def test_a_run_is_recorded_as_its_summary_says_and_stops_by_itself(festival: Festival) -> None:
    duration = 3.0
    answers: list[tuple[PlannedTap, dict[str, Any]]] = []
    sim = GateSim(GateSimConfig(
        server=festival.url, series_id=festival.series_id, device=DEVICE, lookup=LOOKUP, rate=40,
        duration=duration, profile=Profile.STEADY, seed=11,
        mix=Mix(reentry=0.05, wrong_gate=0.05, void=0.08, forged=0.08, unknown=0.05),
    ), on_answer=lambda tap, answer: answers.append((tap, answer)))
    started = time.monotonic()
    summary = sim.run()
    took = time.monotonic() - started

    # It stops by itself at its duration (a loaded machine may need part of the grace to finish).
    assert duration <= summary.elapsed_s < duration + GRACE_SECONDS, summary.elapsed_s
    assert took < duration + GRACE_SECONDS + 3, took
    assert not summary.stopped_early and summary.errors == 0, summary.error_messages
    assert summary.sent == summary.planned > 60
    # Every tap the summary counts is on the server once, with the reason the summary gives.
    rows = _checkins(festival, sim.run_id)
    assert len(rows) == summary.allowed + summary.denied == summary.sent - summary.replayed
    assert Counter(r.reason.value for r in rows) == Counter(summary.by_reason)
    assert sum(r.result.value == "allowed" for r in rows) == summary.allowed > 0
    # Per gate, the same: what the Gates page counts from these rows, gate by gate.
    assert len(summary.gates) >= 2 and [g.gate for g in summary.gates] == sorted(
        (g.gate for g in summary.gates), key=str.casefold)
    for gate in summary.gates:
        mine = [r for r in rows if str(r.gate_id) == gate.gate_id]
        assert gate.allowed == sum(r.result.value == "allowed" for r in mine)
        assert gate.denied == len(mine) - gate.allowed
        assert gate.denied_by_reason == dict(Counter(r.reason.value for r in mine if r.result.value == "denied"))
        assert gate.errors == 0 and gate.sent == gate.allowed + gate.denied + gate.replayed
        assert gate.achieved_rate == pytest.approx(gate.sent / summary.elapsed_s)
        assert gate.latency_p50_ms is not None and 0 < gate.latency_p50_ms <= gate.latency_p99_ms
    assert sum(g.sent for g in summary.gates) == summary.sent
    assert sum(g.denied for g in summary.gates) == summary.denied
    text = summary.text()
    for gate in summary.gates:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(gate.gate + " "))
        assert f" {gate.sent:,} " in line and f" {gate.allowed:,} " in line
        assert f"{gate.achieved_rate * 60:.1f}" in line
        for reason, n in gate.denied_by_reason.items():
            assert f"{reason.replace('_', ' ')} {n:,}" in line
    # The intended kinds got the server's matching answers.
    by_kind: dict[TapKind, Counter[str]] = {}
    for tap, answer in answers:
        by_kind.setdefault(tap.kind, Counter())[answer["reason"]] += 1
    assert set(by_kind[TapKind.FORGED]) == {"bad_signature"}
    assert set(by_kind[TapKind.VOID]) <= {"band_void", "band_lost"} and by_kind[TapKind.VOID]
    assert set(by_kind[TapKind.UNKNOWN]) == {"unknown_band"}
    assert set(by_kind[TapKind.WRONG_GATE]) <= {"category_not_allowed", "wrong_direction"}
    assert set(by_kind[TapKind.ENTRY]) <= {"ok", "reentry", "already_inside", "category_full", "series_full"}
    assert by_kind[TapKind.ENTRY]["ok"] > 0
    # The offline device's scans arrived late, with the time they happened; its retry counted once.
    assert summary.offline_device and summary.queued == summary.uploaded_late > 0 and summary.replayed == 1
    assert sim.started_at is not None
    by_scan = {r.client_scan_id: r for r in rows}
    queued = {f"sim-{sim.run_id}-{tap.seq}": tap for tap, _ in answers if tap.offline}
    assert len(queued) == summary.queued
    for scan_id, tap in queued.items():
        row = by_scan[scan_id]
        assert row.device_id == summary.offline_device
        assert abs(row.occurred_at - (sim.started_at + timedelta(seconds=tap.at))) < timedelta(milliseconds=1)
        assert row.recorded_at >= sim.started_at + timedelta(seconds=duration * OFFLINE_UNTIL)
        assert duration * OFFLINE_FROM <= tap.at < duration * OFFLINE_UNTIL

@pytest.mark.slow
def test_setting_stop_from_another_thread_ends_the_run_with_its_summary(festival: Festival) -> None:
    stop = threading.Event()
    timers: list[threading.Timer] = []

    def stop_soon(_tap: PlannedTap, _answer: dict[str, Any]) -> None:
        if not timers:  # half a second after the first answer, from a thread of its own
            timers.append(threading.Timer(0.5, stop.set))
            timers[0].start()

    sim = GateSim(GateSimConfig(server=festival.url, series_id=festival.series_id, device=DEVICE,
                                lookup=LOOKUP, rate=20, duration=120, profile=Profile.STEADY, seed=3),
                  stop=stop, on_answer=stop_soon)
    started = time.monotonic()
    summary = sim.run()
    assert time.monotonic() - started < 8  # of a 120 s run
    assert summary.stopped_early and 0 < summary.sent < summary.planned
    assert len(_checkins(festival, sim.run_id)) == summary.allowed + summary.denied

def test_a_gate_device_alone_cannot_find_gates_by_name(festival: Festival) -> None:
    sim = GateSim(GateSimConfig(server=festival.url, series_id=festival.series_id, device=DEVICE,
                                gates=["Main Entrance"], duration=1))
    with pytest.raises(GateSimError, match="may not list the series' gates"):
        sim.discover()


def test_a_series_is_found_by_name_only_where_it_is_one_the_login_may_see(festival: Festival) -> None:
    with festival.store.read() as session:
        before = session.scalar(select(func.count()).select_from(Checkin))
    unknown = GateSim(GateSimConfig(server=festival.url, series_id="Day 9", device=DEVICE, lookup=LOOKUP,
                                    duration=1))
    with pytest.raises(ValidationError, match="There is no series 'Day 9'; the series: Day 1, Day 2"):
        unknown.discover()
    alone = GateSim(GateSimConfig(server=festival.url, series_id="Day 1", device=DEVICE, duration=1))
    with pytest.raises(GateSimError, match="may not look series up by name"):
        alone.discover()
    assert unknown.summary is None and alone.summary is None
    with festival.store.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == before


@pytest.mark.slow
def test_the_command_runs_for_its_duration_and_prints_json(festival: Festival,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOXOFFICE_GATE_PASSWORD", PASSWORD)
    monkeypatch.setenv("BOXOFFICE_LOOKUP_PASSWORD", PASSWORD)
    result = CliRunner().invoke(cli, [
        "--json", "gate-sim", "--server", festival.url, "--series", "day 1",
        "--email", GATE_DEVICE, "--lookup-email", MANAGER, "--gates", "main entrance,Exit",
        "--rate", "1200/min", "--duration", "1.5s", "--profile", "exit-wave", "--seed", "5", "--no-offline",
    ])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["series_id"] == festival.series_id  # found by its name
    assert out["sent"] == out["planned"] > 0 and out["errors"] == 0 and out["offline_device"] is None
    assert 1.5 <= out["elapsed_s"] < 1.5 + GRACE_SECONDS and out["latency_p50_ms"] > 0
    assert out["allowed"] + out["denied"] == out["sent"]
    gates = {g["gate"]: g for g in out["gates"]}
    assert set(gates) == {"Main Entrance", "Exit"}
    for g in gates.values():
        assert set(g) >= {"gate_id", "sent", "allowed", "denied", "denied_by_reason", "achieved_rate",
                          "per_minute", "denied_pct", "latency_p50_ms", "latency_p99_ms"}
        assert g["allowed"] + g["denied"] == g["sent"]
        assert sum(g["denied_by_reason"].values()) == g["denied"]
        assert g["per_minute"] == pytest.approx(g["achieved_rate"] * 60, abs=0.01)
    assert sum(g["sent"] for g in gates.values()) == out["sent"]


@pytest.mark.slow
def test_ctrl_c_stops_the_command_with_its_summary(festival: Festival) -> None:
    env = {**os.environ, "BOXOFFICE_GATE_PASSWORD": PASSWORD, "BOXOFFICE_LOOKUP_PASSWORD": PASSWORD}
    # ``boxoffice gate-sim`` as a terminal starts it, with Ctrl+C at Python's default: a suite started
    # in the background (``cmd &`` in a script) runs with SIGINT ignored, which a child inherits.
    command = [sys.executable, "-c", _WITH_CTRL_C, "gate-sim", "--server", festival.url, "--series",
               festival.series_id, "--email", GATE_DEVICE, "--lookup-email", MANAGER, "--duration", "10m",
               "--rate", "10/s", "--profile", "steady"]
    before = _sim_taps(festival)
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Interrupt once it is sending (its first taps are on the server), never before: its Ctrl+C
        # handler is in place by then, however long a busy machine took to start it.
        while _sim_taps(festival) == before:
            if proc.poll() is not None or time.monotonic() - started > UNDER_LOAD_S:
                pytest.fail(f"gate-sim sent no tap within {UNDER_LOAD_S} s (exit {proc.poll()})")
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=UNDER_LOAD_S)
    finally:
        if proc.poll() is None:  # never left running, whatever failed above
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Stopping…" in err and "stopped early" in out and "Gate traffic (steady" in out, (out, err)


# ``python -m boxoffice ARGS`` with Python's own Ctrl+C handler put back first.
_WITH_CTRL_C = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "sys.argv[0] = 'boxoffice'; runpy.run_module('boxoffice', run_name='__main__', alter_sys=True)")


# An upper bound for a subprocess on a machine with every core busy, not an expected time.
UNDER_LOAD_S = 300


def _sim_taps(festival: Festival) -> int:
    with festival.store.read() as session:
        return session.scalar(select(func.count()).where(Checkin.client_scan_id.like("sim-%"))) or 0
