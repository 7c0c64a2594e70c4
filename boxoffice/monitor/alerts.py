"""The alert rules of the gate monitor: pure functions of the board, the thresholds and ``now``.

Four rules, each a sentence a supervisor acts on:

- a gate idle for N minutes while a series it serves has its check-in window open;
- a denial rate over X % in the last five minutes, once at least a minimum
  number of scans make the rate mean something;
- occupancy of an active series over a share (90 %) of its capacity;
- a device at a gate not heard from for M minutes while that gate is open.

An alert clears itself: it is recomputed from the board every time, so once
the condition is gone it is no longer in the list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from boxoffice.errors import Problem, ValidationError
from boxoffice.monitor.board import RECENT, GateBoard


class Severity(StrEnum):
    WARNING = "warning"
    ALERT = "alert"


class AlertKind(StrEnum):
    IDLE = "idle"
    DENIALS = "denials"
    OCCUPANCY = "occupancy"
    DEVICE_SILENT = "device_silent"


@dataclass(frozen=True)
class Thresholds:
    idle_minutes: float = 10.0
    denial_rate_pct: float = 20.0
    denial_min_scans: int = 20
    occupancy_pct: float = 90.0
    device_silent_minutes: float = 5.0

    def __post_init__(self) -> None:
        problems = []
        for name in ("idle_minutes", "device_silent_minutes"):
            if not getattr(self, name) > 0:
                problems.append(Problem(name, f"{name.replace('_', ' ').capitalize()} must be more than 0."))
        for name in ("denial_rate_pct", "occupancy_pct"):
            if not 0 < getattr(self, name) <= 100:
                problems.append(Problem(name, f"{name.replace('_pct', '').replace('_', ' ').capitalize()} "
                                              "must be a percentage above 0 and at most 100."))
        if self.denial_min_scans < 1:
            problems.append(Problem("denial_min_scans", "The minimum number of scans must be at least 1."))
        if problems:
            raise ValidationError(problems)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    severity: Severity
    subject: str
    message: str
    gate_id: uuid.UUID | None = None
    series_id: uuid.UUID | None = None


def evaluate(board: GateBoard, limits: Thresholds, now: datetime) -> list[Alert]:
    """Every alert that holds now, the most severe first, then by subject."""
    alerts = [*idle_gates(board, limits, now), *denial_spikes(board, limits, now),
              *crowded_series(board, limits), *silent_devices(board, limits, now)]
    return sorted(alerts, key=lambda a: (a.severity is not Severity.ALERT, a.subject, a.kind))


def _open_series(board: GateBoard, gate_id: uuid.UUID, now: datetime) -> list[str]:
    return [s.name for s in board.series_of_gate(gate_id) if s.window_open(now)]


def _minutes(span: timedelta) -> str:
    m = int(span.total_seconds() // 60)
    return f"{m} min" if m < 120 else f"{m // 60} h {m % 60:02d} min"


def idle_gates(board: GateBoard, limits: Thresholds, now: datetime) -> list[Alert]:
    out = []
    idle = timedelta(minutes=limits.idle_minutes)
    for gate_id, line in board.gates.items():
        serving = [s for s in board.series_of_gate(gate_id) if s.window_open(now)]
        if not serving:
            continue
        # Silence counts from the later of the last scan and the window's opening.
        since = max([s.opens_at for s in serving] + ([line.last_scan] if line.last_scan else []))
        if now - since >= idle:
            heard = f"no scan for {_minutes(now - since)}" if line.last_scan else \
                f"no scan since check-in opened {_minutes(now - since)} ago"
            out.append(Alert(AlertKind.IDLE, Severity.WARNING, line.name,
                             f"{line.name} is idle: {heard} while {serving[0].name} is open.",
                             gate_id=gate_id))
    return out


def denial_spikes(board: GateBoard, limits: Thresholds, now: datetime) -> list[Alert]:
    out = []
    for gate_id, line in board.gates.items():
        allowed, denied = board.recent(gate_id, now, RECENT)
        scans = allowed + denied
        if scans < limits.denial_min_scans:
            continue
        pct = 100.0 * denied / scans
        if pct > limits.denial_rate_pct:
            out.append(Alert(AlertKind.DENIALS, Severity.ALERT, line.name,
                             f"{line.name} denies {pct:.0f} % of scans in the last "
                             f"{_minutes(RECENT)} ({denied} of {scans}; limit "
                             f"{limits.denial_rate_pct:g} %).", gate_id=gate_id))
    return out


def crowded_series(board: GateBoard, limits: Thresholds) -> list[Alert]:
    out = []
    for s in board.series:
        pct = 100.0 * s.inside / s.capacity
        if pct > limits.occupancy_pct:
            severity = Severity.ALERT if s.inside >= s.capacity else Severity.WARNING
            out.append(Alert(AlertKind.OCCUPANCY, severity, s.name,
                             f"{s.name} is {pct:.0f} % full ({s.inside:,} inside of {s.capacity:,}; "
                             f"alert above {limits.occupancy_pct:g} %).", series_id=s.series_id))
    return out


def silent_devices(board: GateBoard, limits: Thresholds, now: datetime) -> list[Alert]:
    """Silent devices at an open, otherwise busy gate (an idle gate is one alert, not one per device)."""
    out = []
    silent = timedelta(minutes=limits.device_silent_minutes)
    idle = {a.gate_id for a in idle_gates(board, limits, now)}
    for gate_id, line in board.gates.items():
        if gate_id in idle or not _open_series(board, gate_id, now):
            continue
        for device, seen in sorted(line.devices.items()):
            if now - seen >= silent:
                out.append(Alert(AlertKind.DEVICE_SILENT, Severity.WARNING, line.name,
                                 f"Device {device} at {line.name} not heard from for "
                                 f"{_minutes(now - seen)}.", gate_id=gate_id))
    return out
