"""The alert rules, each firing, clearing and respecting its threshold, on a board built by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from boxoffice.domain.enums import CheckinResult
from boxoffice.errors import ValidationError
from boxoffice.monitor.alerts import AlertKind, Severity, Thresholds, evaluate
from boxoffice.monitor.board import GateBoard, Scan, SeriesFill

NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
NORTH, SOUTH = uuid.uuid4(), uuid.uuid4()
LIMITS = Thresholds(idle_minutes=10, denial_rate_pct=20, denial_min_scans=10, occupancy_pct=90,
                    device_silent_minutes=5)


def board(*, opens: datetime = NOW - timedelta(hours=3), closes: datetime = NOW + timedelta(hours=5),
          inside: int = 0, capacity: int = 100) -> GateBoard:
    b = GateBoard.empty(uuid.uuid4(), "Fest", ZoneInfo("Europe/Amsterdam"), NOW.date(),
                        [(NORTH, "North"), (SOUTH, "South")])
    b.series = [SeriesFill(uuid.uuid4(), "Day 1", capacity, opens, closes, frozenset({NORTH}), inside)]
    return b


def scan(b: GateBoard, at: datetime, *, gate: uuid.UUID = NORTH, denied: bool = False,
         device: str = "pole 1", n: int = 1) -> None:
    for _ in range(n):
        b.add_scan(Scan(gate, at, CheckinResult.DENIED if denied else CheckinResult.ALLOWED,
                        "band_void" if denied else "ok", device))


def kinds(b: GateBoard, now: datetime = NOW, limits: Thresholds = LIMITS) -> set[tuple[AlertKind, str]]:
    return {(a.kind, a.subject) for a in evaluate(b, limits, now)}


def test_idle_gate_fires_after_n_minutes_of_an_open_window_and_clears_on_a_scan() -> None:
    b = board()
    scan(b, NOW - timedelta(minutes=9, seconds=59))
    assert (AlertKind.IDLE, "North") not in kinds(b)
    assert (AlertKind.IDLE, "North") in kinds(b, NOW + timedelta(seconds=1))
    scan(b, NOW)
    assert (AlertKind.IDLE, "North") not in kinds(b, NOW + timedelta(seconds=1))
    # South serves no series: never idle. Idle North counts from the opening when nothing came yet.
    fresh = board(opens=NOW - timedelta(minutes=11))
    alerts = [a for a in evaluate(fresh, LIMITS, NOW) if a.kind is AlertKind.IDLE]
    assert [a.subject for a in alerts] == ["North"] and "since check-in opened 11 min" in alerts[0].message


def test_no_idle_alert_outside_the_check_in_window() -> None:
    closed = board(opens=NOW - timedelta(hours=6), closes=NOW - timedelta(minutes=30))
    assert not kinds(closed)
    not_yet = board(opens=NOW + timedelta(minutes=5))
    assert not kinds(not_yet)


def test_denial_rate_needs_the_minimum_sample_and_a_rate_over_the_limit() -> None:
    b = board()
    scan(b, NOW - timedelta(minutes=1), denied=True, n=5)
    scan(b, NOW - timedelta(minutes=1), n=4)
    assert (AlertKind.DENIALS, "North") not in kinds(b), "9 scans: under the minimum of 10"
    scan(b, NOW, n=16)  # 5 of 25 = 20 %: not over 20 %
    assert (AlertKind.DENIALS, "North") not in kinds(b)
    scan(b, NOW, denied=True)  # 6 of 26 = 23 %
    alert = next(a for a in evaluate(b, LIMITS, NOW) if a.kind is AlertKind.DENIALS)
    assert alert.severity is Severity.ALERT and "23 %" in alert.message and "6 of 26" in alert.message
    # Six minutes later those scans are out of the five-minute window: the alert clears.
    assert (AlertKind.DENIALS, "North") not in kinds(b, NOW + timedelta(minutes=6))
    stricter = Thresholds(denial_rate_pct=30, denial_min_scans=10)
    assert (AlertKind.DENIALS, "North") not in kinds(b, NOW, stricter)


def test_late_denials_inside_the_last_five_minutes_count() -> None:
    b = board()
    scan(b, NOW, n=10)
    scan(b, NOW - timedelta(minutes=3), denied=True, n=5, device="offline handheld")
    scan(b, NOW - timedelta(minutes=40), denied=True, n=50, device="offline handheld")
    alert = next(a for a in evaluate(b, LIMITS, NOW) if a.kind is AlertKind.DENIALS)
    assert "5 of 15" in alert.message


def test_occupancy_warns_over_the_share_and_alerts_at_capacity() -> None:
    assert (AlertKind.OCCUPANCY, "Day 1") not in kinds(board(inside=90))
    near = [a for a in evaluate(board(inside=91), LIMITS, NOW) if a.kind is AlertKind.OCCUPANCY]
    assert [a.severity for a in near] == [Severity.WARNING] and "91 % full" in near[0].message
    full = [a for a in evaluate(board(inside=100), LIMITS, NOW) if a.kind is AlertKind.OCCUPANCY]
    assert [a.severity for a in full] == [Severity.ALERT]
    assert evaluate(board(inside=100), LIMITS, NOW)[0].kind is AlertKind.OCCUPANCY, "most severe first"


def test_a_silent_device_at_a_busy_gate_is_named_until_it_is_heard_again() -> None:
    b = board()
    scan(b, NOW - timedelta(minutes=6), device="pole 2")
    scan(b, NOW - timedelta(seconds=20), device="pole 1")
    alerts = [a for a in evaluate(b, LIMITS, NOW) if a.kind is AlertKind.DEVICE_SILENT]
    assert [a.message for a in alerts] == ["Device pole 2 at North not heard from for 6 min."]
    scan(b, NOW, device="pole 2")
    assert (AlertKind.DEVICE_SILENT, "North") not in kinds(b)
    # An idle gate says so once; its silent devices are not listed again.
    quiet = board()
    scan(quiet, NOW - timedelta(minutes=30), device="pole 3")
    assert kinds(quiet) == {(AlertKind.IDLE, "North")}


@pytest.mark.parametrize(("field", "value", "words"), [
    ("idle_minutes", 0, "Idle minutes must be more than 0"),
    ("denial_rate_pct", 120, "Denial rate must be a percentage"),
    ("occupancy_pct", 0, "Occupancy must be a percentage"),
    ("denial_min_scans", 0, "minimum number of scans"),
    ("device_silent_minutes", -1, "Device silent minutes must be more than 0"),
])
def test_thresholds_out_of_range_are_refused_with_the_field(field: str, value: float, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as caught:
        Thresholds(**{field: value})
    assert [p.field for p in caught.value.problems] == [field]
