"""Lay a :class:`Report` out as a PDF: A4, a header on every page, "page X of Y" in the footer.

"Page X of Y" needs the page count before the first page is finished, so the canvas keeps each
page's state and draws the footers once the document is complete (the usual reportlab two-pass
canvas).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as RLTable

from boxoffice import __version__
from boxoffice.errors import BoxOfficeError
from boxoffice.reports import fonts
from boxoffice.reports.charts import BarChartFlowable
from boxoffice.reports.model import BarChart, Facts, Heading, Report, Table
from boxoffice.reports.tables import PagedTable
from boxoffice.reports.timefmt import local

log = logging.getLogger(__name__)

MARGIN = 15 * mm
Progress = Callable[[int], None]


class PdfWriteError(BoxOfficeError):
    code = "pdf_write"


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    return {
        "title": ParagraphStyle("title", fontName=fonts.BOLD, fontSize=16, leading=20, spaceAfter=2),
        "scope": ParagraphStyle("scope", fontName=fonts.REGULAR, fontSize=9.5, leading=12,
                                textColor=colors.HexColor("#4a5a66"), spaceAfter=8),
        "h2": ParagraphStyle("h2", fontName=fonts.BOLD, fontSize=11, leading=14, spaceBefore=10,
                             spaceAfter=4),
        "note": ParagraphStyle("note", fontName=fonts.REGULAR, fontSize=7.5, leading=9.5,
                               textColor=colors.HexColor("#4a5a66"), spaceBefore=3),
        "cell": ParagraphStyle("cell", fontName=fonts.REGULAR, fontSize=8.5, leading=11),
        "label": ParagraphStyle("label", fontName=fonts.BOLD, fontSize=8.5, leading=11),
    }


def _numbered_canvas(report: Report, footer_left: str, progress: Progress | None) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # reportlab starts every page in Helvetica, which it never embeds: start in ours instead,
            # so every font the PDF names is embedded (a printer or archive shows it as we drew it).
            kwargs["initialFontName"] = kwargs.get("initialFontName") or fonts.REGULAR
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            if progress is not None:
                progress(len(self._pages))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own page reset

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                Canvas.showPage(self)
            Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, height = A4
            self.setStrokeColor(colors.HexColor("#2f4858"))
            self.setLineWidth(0.6)
            self.line(MARGIN, height - MARGIN + 4, width - MARGIN, height - MARGIN + 4)
            self.setFillColor(colors.HexColor("#2f4858"))
            fonts.draw_string(self, MARGIN, height - MARGIN + 8, report.title, 8.5, fonts.BOLD)
            fonts.draw_string(self, width - MARGIN, height - MARGIN + 8, "Box office", 8.5, anchor="end")
            self.setFillColor(colors.HexColor("#4a5a66"))
            self.line(MARGIN, MARGIN - 4, width - MARGIN, MARGIN - 4)
            fonts.draw_string(self, MARGIN, MARGIN - 13, footer_left, 7.5)
            page = f"page {self.getPageNumber()} of {total}"
            fonts.draw_string(self, width - MARGIN, MARGIN - 13, page, 7.5, anchor="end")

    return NumberedCanvas


def _facts(block: Facts, styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    rows = [[Paragraph(fonts.markup(k, fonts.BOLD), styles["label"]),
             Paragraph(fonts.markup(v), styles["cell"])] for k, v in block.items]
    table = RLTable(rows, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
    table.setStyle([
        # The cells hold Paragraphs; without this the table still sets its default, Helvetica (unembedded).
        ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dde3e7")),
    ])
    return KeepTogether([Paragraph(fonts.markup(block.title, fonts.BOLD), styles["h2"]), table])


def story(report: Report, width: float) -> list[Flowable]:
    styles = _styles()
    tz = ZoneInfo(report.timezone)
    out: list[Flowable] = [
        Paragraph(fonts.markup(report.title, fonts.BOLD), styles["title"]),
        Paragraph(fonts.markup(f"{report.scope} · times in {report.timezone} · made "
                               f"{local(report.generated_at, tz)}"), styles["scope"]),
    ]
    for block in report.blocks:
        if isinstance(block, Facts):
            out.append(_facts(block, styles, width))
        elif isinstance(block, Heading):
            out.append(Paragraph(fonts.markup(block.text, fonts.BOLD), styles["h2"]))
        elif isinstance(block, BarChart):
            heading = Paragraph(fonts.markup(block.title, fonts.BOLD), styles["h2"])
            if block.series:
                out.append(KeepTogether([heading, BarChartFlowable(block)]))
            else:
                out += [heading,
                        Paragraph(fonts.markup(block.empty), styles["note"])]
        elif isinstance(block, Table):
            # Keep a heading with at least the first rows of its table.
            out.append(CondPageBreak(60))
            out.append(Paragraph(fonts.markup(block.title, fonts.BOLD), styles["h2"]))
            if block.rows:
                out.append(PagedTable(block))
            if block.note:
                out.append(Paragraph(fonts.markup(block.note), styles["note"]))
        out.append(Spacer(1, 4))
    return out


def render_pdf(report: Report, target: str | Path | io.BytesIO, progress: Progress | None = None) -> int:
    """Write ``report`` as a PDF to a path or a byte stream; returns the page count.

    ``progress(pages_done)`` is called as pages are laid out (from the rendering thread).
    """
    fonts.register()
    tz = ZoneInfo(report.timezone)
    footer = f"Box office {__version__} · made {local(report.generated_at, tz)} ({report.timezone})"
    out: Any = str(target) if isinstance(target, Path) else target
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 6,
        bottomMargin=MARGIN + 4, title=report.title, author="Box office", subject=report.scope,
        creator=f"Box office {__version__}", initialFontName=fonts.REGULAR,
    )
    pages = 0

    def count(n: int) -> None:
        nonlocal pages
        pages = n
        if progress is not None:
            progress(n)

    try:
        # The frame pads its content by 6 pt on each side.
        doc.build(story(report, doc.width - 12), canvasmaker=_numbered_canvas(report, footer, count))
    except OSError as exc:
        raise PdfWriteError(f"Could not write the report to {target}: {exc.strerror or exc}.") from exc
    log.info("%s: %d pages", report.title, pages)
    return pages
