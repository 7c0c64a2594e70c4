"""The same reports on PostgreSQL (the central server's database): the SQL differs per dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from boxoffice.programs.sim.demo import EVENT, OWNER, seed_festival
from boxoffice.reports.build import build_report
from boxoffice.reports.kinds import ReportKind
from boxoffice.reports.pdf import render_pdf
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from tests.helpers.reports import pdf_text


@pytest.mark.slow
@pytest.mark.postgres
def test_every_report_on_postgres_matches_sqlite(pg_database: str, tmp_path: Path) -> None:
    pg, lite = open_store(pg_database), open_store(tmp_path / "same.sqlite3")
    try:
        # The demo is seeded with a fixed random seed and clock: both databases hold the same taps.
        now = datetime(2026, 7, 4, 18, 0, tzinfo=UTC)
        for store in (pg, lite):
            seed_festival(store, bands=100, now=now)
        for kind in ReportKind:
            answers = []
            for store in (pg, lite):
                actor = resolve_actor(store, OWNER)
                report = build_report(store, actor, kind.value, series="Day 1", event=EVENT)
                answers.append([(t.name, [r for r in t.rows if kind is not ReportKind.RECONCILIATION
                                          or t.name == "stock"]) for t in report.tables
                                if t.name not in ("manifest", "batches", "transitions")])
            assert answers[0] == answers[1], kind
        out = tmp_path / "pg.pdf"
        render_pdf(build_report(pg, resolve_actor(pg, OWNER), "series", series="Day 1"), out)
        assert "Series report: Day 1" in pdf_text(out)
    finally:
        pg.dispose()
        lite.dispose()
