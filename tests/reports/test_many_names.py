"""100,000 names in mixed scripts: the conflicts report lists one per refused change, over ~2,000 pages."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import insert

from boxoffice.domain.enums import OutboxStatus
from boxoffice.reports.build import build_report
from boxoffice.reports.pdf import render_pdf
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import OutboxEntry

FIRST = ["Zoë", "Łukasz", "Ørsted", "東京", "Ἀθηνᾶ", "Олег", "María José", "Søren", "李小龍", "Ana"]
LAST = ["Łódź", "van der Berg", "山田", "Ø. Jensen", "Дмитриев", "O'Neill", "Müller", "佐藤"]


@pytest.mark.slow
def test_conflicts_report_with_100000_mixed_script_names(store: Store, owner: Actor, tmp_path: Path) -> None:
    rng = random.Random(7)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}" for i in range(100_000)]
    with store.write() as session:
        session.execute(insert(OutboxEntry), [
            {"id": uuid.uuid4(), "kind": "member.create", "entity_id": uuid.uuid4(),
             "payload": {"name": name}, "status": OutboxStatus.REJECTED,
             "error": "A member with e-mail x already exists."}
            for name in names
        ])
    report = build_report(store, owner, "conflicts")
    assert len(report.tables[0].rows) == 100_000
    out = tmp_path / "conflicts.pdf"
    pages = render_pdf(report, out)
    reader = PdfReader(str(out))
    assert len(reader.pages) == pages > 1000
    # Every page repeats the header; the first and the last names are there, CJK and all.
    last_page = reader.pages[-1].extract_text()
    assert "Reason" in last_page and f"page {pages} of {pages}" in last_page
    first_page = " ".join(reader.pages[0].extract_text().split()).replace(" ", "")
    assert names[0].replace(" ", "") in first_page
    assert names[-1].replace(" ", "") in " ".join(last_page.split()).replace(" ", "")
