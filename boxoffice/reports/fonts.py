"""Report fonts, and the one helper that writes any name people type.

DejaVu Sans covers Latin, Greek and Cyrillic (Zoë, Łódź, Ørsted) but has no CJK glyphs, so a string
is cut into runs by which font has each character (read from the font's own cmap): DejaVu first,
Droid Sans Fallback for what DejaVu lacks (東京). Every piece of report text goes through
:func:`runs`, both in Paragraph markup (:func:`markup`) and on the canvas (:func:`draw_string`),
so a mixed name renders the same in a heading, a table cell and a chart label.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from boxoffice.errors import BoxOfficeError
from boxoffice.resources import font

log = logging.getLogger(__name__)

REGULAR = "BoxSans"
BOLD = "BoxSans-Bold"
FALLBACK = "BoxSansCJK"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    FALLBACK: "DroidSansFallback.ttf",
}
_lock = threading.Lock()
_cmaps: dict[str, frozenset[int]] = {}


class FontMissingError(BoxOfficeError):
    code = "font_missing"


def register() -> None:
    """Register the three fonts with reportlab once per process (thread-safe: reports render off the GUI)."""
    with _lock:
        if _cmaps:
            return
        for name, file in _FILES.items():
            path = font(file)
            if not path.is_file():
                raise FontMissingError(
                    f"The report font {file} is missing from {path.parent}; reinstall Box office."
                )
            ttf = TTFont(name, str(path))
            pdfmetrics.registerFont(ttf)
            _cmaps[name] = frozenset(ttf.face.charToGlyph)
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        log.debug("report fonts registered")


@dataclass(frozen=True)
class Run:
    text: str
    font: str


@lru_cache(maxsize=65536)
def runs(text: str, base: str = REGULAR) -> tuple[Run, ...]:
    """``text`` cut into runs of one font each: ``base`` where it has the glyph, else the CJK fallback.

    A character neither font has stays in ``base`` (it shows as the font's empty box, which at
    least tells the reader something is there).
    """
    register()
    primary, extra = _cmaps[base], _cmaps[FALLBACK]
    out: list[Run] = []
    current = base
    start = 0
    for i, ch in enumerate(text):
        code = ord(ch)
        want = base if code in primary or code not in extra or ch.isspace() else FALLBACK
        if want != current and i > start:
            out.append(Run(text[start:i], current))
            start = i
        current = want
    if start < len(text):
        out.append(Run(text[start:], current))
    return tuple(out)


def needs_fallback(text: str, base: str = REGULAR) -> bool:
    return any(r.font != base for r in runs(text, base))


def markup(text: str, base: str = REGULAR) -> str:
    """Paragraph markup for ``text``: escaped, with ``<font>`` tags around the runs ``base`` cannot draw."""
    return "".join(
        escape(r.text) if r.font == base else f'<font name="{r.font}">{escape(r.text)}</font>'
        for r in runs(text, base)
    )


def string_width(text: str, size: float, base: str = REGULAR) -> float:
    return sum(pdfmetrics.stringWidth(r.text, r.font, size) for r in runs(text, base))


def draw_string(canvas: Canvas, x: float, y: float, text: str, size: float, base: str = REGULAR,
                anchor: str = "start") -> None:
    """Draw ``text`` on the canvas run by run; ``anchor`` is start, middle or end, like reportlab's."""
    textobj = canvas.beginText()
    write_runs(textobj, x, y, text, size, base, anchor)
    canvas.drawText(textobj)


def write_runs(textobj: PDFTextObject, x: float, y: float, text: str, size: float, base: str = REGULAR,
               anchor: str = "start") -> None:
    """Add ``text`` to an open text object run by run: a table page writes all its cells into one
    text object, which is several times faster than a ``drawString`` per cell."""
    if anchor != "start":
        width = string_width(text, size, base)
        x -= width / 2 if anchor == "middle" else width
    textobj.setTextOrigin(x, y)
    for r in runs(text, base):
        textobj.setFont(r.font, size)
        textobj.textOut(r.text)
