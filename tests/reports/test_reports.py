"""Each report from the demo festival, read back out of its PDF and compared with the database."""

from __future__ import annotations

import csv
import subprocess
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import BandStatus, CheckinResult, OutboxStatus
from boxoffice.errors import NotFoundError, PermissionDeniedError, ValidationError
from boxoffice.reports.build import build_report
from boxoffice.reports.csv_export import write_csv
from boxoffice.reports.data import peak_inside
from boxoffice.reports.pdf import render_pdf
from boxoffice.services import events
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    AppliedEntry,
    Checkin,
    EventSeries,
    Gate,
    OutboxEntry,
    SeriesOccupancy,
    SeriesWristbandAssignment,
    Wristband,
)
from tests.helpers.reports import (
    MIXED_CATEGORY,
    MIXED_GATE,
    MIXED_MEMBER,
    Demo,
    page_count,
    pdf_fonts,
    pdf_text,
    pdftotext,
)


def _series_id(demo: Demo, name: str) -> object:
    with demo.store.read() as session:
        return session.scalars(select(EventSeries.id).where(EventSeries.name == name)).one()


def _taps(demo: Demo, name: str) -> list[tuple[str, CheckinResult, str, object]]:
    """Every check-in of the series, one Python row each: the slow, obvious count to compare with."""
    sid = _series_id(demo, name)
    with demo.store.read() as session:
        gate_names = dict(session.execute(select(Gate.id, Gate.name)).all())
        return [(gate_names[g], r, reason.value, w) for g, r, reason, w in session.execute(
            select(Checkin.gate_id, Checkin.result, Checkin.reason, Checkin.wristband_id)
            .where(Checkin.series_id == sid))]


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_series_report_figures_equal_the_database(demo: Demo, tmp_path: Path) -> None:
    report = build_report(demo.store, demo.owner, "series", series="Day 1")
    out = tmp_path / "series.pdf"
    pages = render_pdf(report, out)
    text = pdf_text(out)
    taps = _taps(demo, "Day 1")
    allowed = sum(1 for t in taps if t[1] is CheckinResult.ALLOWED)
    denied = len(taps) - allowed
    assert f"{len(taps):,} ({allowed:,} allowed, {denied:,} denied)" in text
    entered = {w for _, r, reason, w in taps if r is CheckinResult.ALLOWED and reason != "exit_ok"}
    assert f"Unique entries {len(entered):,}" in text
    with demo.store.read() as session:
        assigned = len(session.scalars(select(SeriesWristbandAssignment.id).where(
            SeriesWristbandAssignment.series_id == _series_id(demo, "Day 1"),
            SeriesWristbandAssignment.active.is_(True))).all())
    assert f"Bands assigned {assigned:,}" in text
    per_gate = Counter((g, r) for g, r, _, _ in taps)
    for gate in {g for g, _, _, _ in taps}:
        ok, no = per_gate[(gate, CheckinResult.ALLOWED)], per_gate[(gate, CheckinResult.DENIED)]
        assert f"{gate} {ok + no:,} {ok:,} {no:,}" in text, gate
    for reason, n in Counter(reason for _, r, reason, _ in taps if r is CheckinResult.DENIED).items():
        assert f"{reason.replace('_', ' ').capitalize()} {n:,}" in text
    # The CSV holds the same figures as the PDF, unformatted.
    files = {p.name: p for p in write_csv(report, tmp_path / "csv")}
    gates = _csv(files["series-gates.csv"])
    assert gates[0] == ["Gate", "Scans", "Allowed", "Denied", "Peak minute", "Scans in it"]
    assert {row[0]: int(row[1]) for row in gates[1:-1]} == Counter(g for g, _, _, _ in taps)
    assert gates[-1][:4] == ["Total", str(len(taps)), str(allowed), str(denied)]
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    assert "times in Europe/Amsterdam" in text


def test_mixed_scripts_come_back_out_of_the_pdf(demo: Demo, tmp_path: Path) -> None:
    for kind in ("series", "event", "gates"):
        out = tmp_path / f"{kind}.pdf"
        render_pdf(build_report(demo.store, demo.owner, kind, series="Day 1" if kind == "series" else None,
                                event="Northern Lights 2026"), out)
        squeezed = pdf_text(out).replace(" ", "")
        assert MIXED_GATE.replace(" ", "") in squeezed or kind == "event", kind
        assert MIXED_CATEGORY in squeezed or kind == "gates", kind
    out = tmp_path / "day3.pdf"
    render_pdf(build_report(demo.store, demo.owner, "series", series="Day 3"), out)
    text = pdf_text(out)
    assert MIXED_MEMBER in text
    assert "Łódź" in text and "東京" in text.replace(" ", "")
    # Rendered, the CJK glyphs are ink, not empty boxes: the PNG of the page is not blank where they are.
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
                   check=True)
    assert (tmp_path / "p-1.png").stat().st_size > 5000


def test_series_without_check_ins_renders(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "day2.pdf"
    render_pdf(build_report(demo.store, demo.owner, "series", series="Day 2"), out)
    text = pdf_text(out)
    assert "0 (0 allowed, 0 denied)" in text
    assert "No tap was recorded at any gate." in text
    assert "nothing to chart" in text


@pytest.mark.parametrize("kind", ["event", "gates", "reconciliation", "conflicts"])
def test_every_report_renders_to_pdf_and_png(demo: Demo, kind: str, tmp_path: Path) -> None:
    report = build_report(demo.store, demo.owner, kind, event="Northern Lights 2026")
    out = tmp_path / f"{kind}.pdf"
    pages = render_pdf(report, out)
    assert pages == page_count(out) >= 1
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out), str(tmp_path / kind)],
                   check=True)
    assert (tmp_path / f"{kind}-1.png").stat().st_size > 3000
    assert len(write_csv(report, tmp_path / "csv")) == len(report.tables)


def test_event_report_totals(demo: Demo, tmp_path: Path) -> None:
    report = build_report(demo.store, demo.owner, "event", event="Northern Lights 2026")
    out = tmp_path / "event.pdf"
    render_pdf(report, out)
    with demo.store.read() as session:
        n_taps = len(session.scalars(select(Checkin.id)).all())
    table = report.tables[0]
    # In start order: the template the days were generated from starts with Day 1.
    assert [r[0] for r in table.rows] == ["Festival day", "Day 1", "Day 2", "Day 3", "Total"]
    assert table.columns[3:6] == ["Capacity", "Peak inside", "Peak %"]
    assert table.rows[-1][8] == n_taps
    # Capacities and peaks are per series (people inside at once): the total row does not add them up.
    assert table.rows[-1][3:6] == [None, None, None]
    assert f"Total – – – {table.rows[-1][6]:,} {table.rows[-1][7]:,} {n_taps:,}" in pdf_text(out)
    with demo.store.read() as session:
        day1 = peak_inside(session, _series_id(demo, "Day 1"))
    assert table.rows[1][4] == day1.peak > 0


def test_reconciliation_counts_bands(demo: Demo) -> None:
    report = build_report(demo.store, demo.owner, "reconciliation", event="Northern Lights 2026")
    stock = report.tables[0]
    with demo.store.read() as session:
        statuses = Counter(session.scalars(select(Wristband.status)))
    assert stock.rows[-1][4] == sum(statuses.values()) - statuses[BandStatus.PENDING]
    # The demo voids some bands, reports some lost and replaces a few of those: the report's totals
    # are exactly what the rows say.
    with demo.store.read() as session:
        voided = len(session.scalars(select(Wristband.id).where(Wristband.voided_at.is_not(None))).all())
        lost = len(session.scalars(select(Wristband.id).where(Wristband.lost_at.is_not(None))).all())
        replaced = len(session.scalars(select(Wristband.id).where(Wristband.replaces_id.is_not(None))).all())
    assert voided and lost and replaced
    assert stock.rows[-1][5:8] == [voided, replaced, lost]


def test_bad_requests_say_why_and_write_nothing(demo: Demo, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No series Day 9"):
        build_report(demo.store, demo.owner, "series", series="Day 9")
    with pytest.raises(NotFoundError, match="No event Nowhere"):
        build_report(demo.store, demo.owner, "event", event="Nowhere")
    with pytest.raises(ValidationError, match="There is no 'weekly' report"):
        build_report(demo.store, demo.owner, "weekly")
    with pytest.raises(ValidationError, match="Say which series"):
        build_report(demo.store, demo.owner, "series")
    with pytest.raises(ValidationError, match="Say which event"):
        build_report(demo.store, demo.owner, "reconciliation")
    # Viewers see figures but not who encoded what.
    with pytest.raises(PermissionDeniedError):
        build_report(demo.store, demo.viewer, "reconciliation", event="Northern Lights 2026")
    build_report(demo.store, demo.viewer, "series", series="Day 1")
    assert list(tmp_path.iterdir()) == []


def test_conflicts_report_lists_what_the_server_and_this_station_refused(
        store: Store, owner: Actor, tmp_path: Path) -> None:
    events.create_event(store, owner, "Zoë Fest", "Asia/Tokyo")
    at = datetime(2026, 7, 4, 9, 30, tzinfo=UTC)
    with store.write() as session:
        session.add_all([
            AppliedEntry(id=uuid.uuid4(), organization_id=owner.organization_id, member_id=owner.member_id,
                         station="東京 Desk", kind="series.transition", status="rejected",
                         error="illegal_transition", reason="A completed series cannot become active.",
                         applied_at=at),
            AppliedEntry(id=uuid.uuid4(), organization_id=owner.organization_id, station="Desk 2",
                         kind="gate.create", status="applied", applied_at=at),
            AppliedEntry(id=uuid.uuid4(), organization_id=owner.organization_id, member_id=owner.member_id,
                         station="Desk 2", kind="wristband.register", status="rejected", error="already_encoded",
                         reason="This band is already encoded as VIP #0042 on 2026-07-04 11:02 at Box office 1.",
                         applied_at=at + timedelta(seconds=1)),
            AppliedEntry(id=uuid.uuid4(), organization_id=owner.organization_id, member_id=owner.member_id,
                         station="Desk 2", kind="wristband.register", status="rejected", error="uid_taken",
                         reason="UID 04C0FFEE001122 is already registered in Zoë Fest as VIP #0001 at Box "
                                "office 1.", applied_at=at + timedelta(seconds=2)),
            OutboxEntry(kind="wristband.register", entity_id=uuid.uuid4(), payload={"uid": "04AABBCCDDEEFF"},
                        status=OutboxStatus.REJECTED, error="UID 04AABBCCDDEEFF is already registered.",
                        created_at=at),
        ])
    report = build_report(store, owner, "conflicts")
    here, server = report.tables[0], report.tables[1]
    # Times in the one zone the organization's events share: 09:30 UTC is 18:30 in Tokyo.
    assert here.rows == [["2026-07-04 18:30", "this station", "–", "Band registration", "04AABBCCDDEEFF", "",
                          "UID 04AABBCCDDEEFF is already registered.", "no"]]
    assert server.columns == ["Received", "Station", "By", "Change", "UID", "Code", "Reason"]
    assert server.rows == [
        ["2026-07-04 18:30", "東京 Desk", "Owner", "Lifecycle change", "–", "illegal_transition",
         "A completed series cannot become active."],
        ["2026-07-04 18:30", "Desk 2", "Owner", "Band registration", "–", "already_encoded",
         "This band is already encoded as VIP #0042 on 2026-07-04 11:02 at Box office 1."],
        ["2026-07-04 18:30", "Desk 2", "Owner", "Band registration", "04C0FFEE001122", "uid_taken",
         "UID 04C0FFEE001122 is already registered in Zoë Fest as VIP #0001 at Box office 1."],
    ]
    out = tmp_path / "conflicts.pdf"
    render_pdf(report, out)
    text = pdf_text(out)
    assert "A completed series cannot become active." in text and "東京" in text
    # Codes and UIDs are never broken in two: each comes out of the PDF whole, on one line.
    lines = pdftotext(out).splitlines()
    for word in ("already_encoded", "illegal_transition", "04C0FFEE001122", "04AABBCCDDEEFF"):
        assert any(word in line for line in lines), word


@pytest.mark.parametrize("kind", ["series", "event", "gates", "reconciliation", "conflicts"])
def test_every_font_of_every_report_is_embedded(demo: Demo, kind: str, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.pdf"
    render_pdf(build_report(demo.store, demo.owner, kind, series="Day 1", event="Northern Lights 2026"), out)
    fonts = pdf_fonts(out)
    assert fonts, "pdffonts listed no font"
    assert [f for f in fonts if not f.embedded] == [], f"not embedded: {fonts}"
    assert not any("Helvetica" in f.name for f in fonts)


def test_series_report_page_one_has_the_summary_and_the_titled_chart(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "series.pdf"
    render_pdf(build_report(demo.store, demo.owner, "series", series="Day 1"), out)
    first = " ".join(pdftotext(out, first=1, last=1).split())
    assert "Summary" in first and "Peak inside" in first
    assert "Scans per hour and gate" in first  # the chart is on page 1, not pushed to page 2
    assert "Scans in the hour" in first  # the y axis' title
    assert "Hour starting on " in first and "(Europe/Amsterdam)" in first  # the x axis' title
    assert "Gates" in first
    gates_report = tmp_path / "gates.pdf"
    render_pdf(build_report(demo.store, demo.owner, "gates", series="Day 1"), gates_report)
    assert "Scans in the hour" in pdftotext(gates_report, first=1, last=1)


def replayed_occupancy(demo: Demo, series: str) -> tuple[int, int]:
    """(peak, now) by replaying the allowed taps one by one in Python, as the gates move presence."""
    sid = _series_id(demo, series)
    with demo.store.read() as session:
        taps = session.execute(
            select(Checkin.occurred_at, Checkin.wristband_id, Checkin.direction)
            .where(Checkin.series_id == sid, Checkin.result == CheckinResult.ALLOWED,
                   Checkin.wristband_id.is_not(None))
            .order_by(Checkin.occurred_at, Checkin.recorded_at, Checkin.id)).all()
    state: dict[object, bool] = {}
    inside = peak = 0
    for i, (at, band, direction) in enumerate(taps):
        now_in = direction.value == "in"
        inside += int(now_in) - int(state.get(band, False))
        state[band] = now_in
        if i + 1 == len(taps) or taps[i + 1][0] != at:  # all taps of one instant counted together
            peak = max(peak, inside)
    return peak, inside


def test_peak_inside_is_what_the_gates_counted(demo: Demo, tmp_path: Path) -> None:
    """Capacity is people inside at once: the report compares the peak of that with it, not the day's entries."""
    peak, now = replayed_occupancy(demo, "Day 1")
    sid = _series_id(demo, "Day 1")
    with demo.store.read() as session:
        found = peak_inside(session, sid)
        kept = session.get_one(SeriesOccupancy, sid).inside  # the counter every entry claims a place from
        capacity = session.get_one(EventSeries, sid).capacity
    assert (found.peak, found.now) == (peak, now)
    assert found.now == kept
    assert 0 < now <= peak <= capacity
    out = tmp_path / "series.pdf"
    render_pdf(build_report(demo.store, demo.owner, "series", series="Day 1"), out)
    text = pdf_text(out)
    assert f"Peak inside {peak:,} of {capacity:,} ({100 * peak / capacity:.1f} %) at " in text
    assert f"Inside now {now:,}" in text
    assert "of capacity)" not in text  # the day's entries are no longer set against the capacity
