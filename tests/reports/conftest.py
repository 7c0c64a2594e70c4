"""One demo festival for every report test: seeded once per module (reports only read it).

The demo's own gates and categories, plus names in several scripts (a gate called 東京 Gate, a
category Ørsted, a member Zoë from Łódź) with taps at that gate, so every report has a name to
render that DejaVu alone cannot.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from boxoffice.domain.enums import Direction, GateKind, Role
from boxoffice.services import checkins, events, organization, series
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.sim.demo import EVENT, OWNER, seed_festival
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store

MIXED_GATE = "東京 Gate"
MIXED_CATEGORY = "Ørsted"
MIXED_MEMBER = "Zoë from Łódź"


@dataclass
class Demo:
    store: Store
    owner: Actor
    viewer: Actor
    path: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("reports") / "demo.sqlite3"
    store = open_store(path)
    seed_festival(store, bands=300)
    owner = resolve_actor(store, OWNER)
    events.add_category(store, owner, EVENT, MIXED_CATEGORY)
    events.add_gate(store, owner, EVENT, MIXED_GATE, GateKind.ENTRY)
    organization.add_member(store, owner, "zoe@example.org", Role.ADMIN, MIXED_MEMBER)
    zoe = resolve_actor(store, "zoe@example.org")
    # Day 1 does not use the new gate: each tap there is denied (gate_not_in_series), and counted.
    for i in range(3):
        checkins.record_tap(store, owner, "Day 1", MIXED_GATE, f"04AABBCCDDEE{i:02X}", Direction.IN,
                            client_scan_id=str(uuid.uuid4()), device_id="Zoë's scanner")
    series.transition_series(store, zoe, "Day 3", "cancelled", "Storm warning for Łódź and 東京")
    yield Demo(store, owner, resolve_actor(store, "viewer@example.org"), path)
    store.dispose()


def pdf_text(path: Path) -> str:
    """All pages' text with whitespace collapsed (pypdf puts each table cell on its own line)."""
    reader = PdfReader(str(path))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_count(path: Path) -> int:
    return len(PdfReader(str(path)).pages)


def pdftotext(path: Path, first: int | None = None, last: int | None = None) -> str:
    """poppler's text of the PDF (layout kept), pages ``first`` to ``last``."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@dataclass(frozen=True)
class PdfFont:
    name: str
    embedded: bool


def pdf_fonts(path: Path) -> list[PdfFont]:
    """Every font the PDF uses, as poppler's ``pdffonts`` lists them (name … emb sub uni object ID)."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        words = line.split()
        if len(words) >= 7:
            fonts.append(PdfFont(words[0], words[-5] == "yes"))
    return fonts
