"""Reading the PDFs the reports write, and the names in several scripts the report tests' demo festival holds.

``Demo`` is what the ``tests/reports`` ``demo`` fixture yields; ``pdf_text``,
``page_count``, ``pdftotext`` and ``pdf_fonts`` read a written PDF (the last
two with poppler's tools).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from boxoffice.services.actor import Actor
from boxoffice.store.database import Store

MIXED_GATE = "東京 Gate"
MIXED_CATEGORY = "Ørsted"
MIXED_MEMBER = "Zoë from Łódź"


@dataclass
class Demo:
    store: Store
    owner: Actor
    viewer: Actor
    path: Path


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
