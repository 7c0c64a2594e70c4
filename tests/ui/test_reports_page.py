"""The Reports page over a real SQLite file: generate off the GUI thread, preview, save, print."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import Role
from boxoffice.reports.kinds import ReportKind
from boxoffice.services.actor import Actor
from tests.helpers.windows import Festival, WindowFactory, wait_idle
from ui.pages.reports_page import ReportsPage


def _page(qtbot: QtBot, make_window: WindowFactory, actor: Actor) -> ReportsPage:
    window = make_window(actor)
    with qtbot.waitSignal(window.page_named("Reports").loaded, timeout=10_000):
        window.show_page("Reports")
    page = window.page_named("Reports")
    assert isinstance(page, ReportsPage)
    return page


def test_generate_preview_save_and_print(qtbot: QtBot, make_window: WindowFactory, owner: Actor,
                                         festival: Festival, tmp_path: Path) -> None:
    page = _page(qtbot, make_window, owner)
    page.choose(ReportKind.SERIES, festival.event_id, festival.series_id)
    assert page.generate.isEnabled() and not page.save.isEnabled()
    with qtbot.waitSignal(page.shown, timeout=20_000):
        page.generate.click()
        # The work runs on its own thread: the GUI shows the busy bar meanwhile.
        assert page.busy.isVisible() and not page.generate.isEnabled()
    assert page.rendered is not None
    assert page.document.pageCount() == page.rendered.pages >= 1
    assert "Series report: Friday" in page.status.text()
    assert page.save.isEnabled() and page.print_button.isEnabled()

    out = tmp_path / "friday.pdf"
    with qtbot.waitSignal(page.saved, timeout=10_000):
        page.save_to(out, tmp_path / "csv")
    reader = PdfReader(str(out))
    assert len(reader.pages) == page.document.pageCount()
    assert "Series report: Friday" in reader.pages[0].extract_text()
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "series-categories.csv", "series-denials.csv", "series-gates.csv", "series-transitions.csv"]

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    assert page.print_to(printer) == page.document.pageCount()
    assert len(PdfReader(str(printed)).pages) == page.document.pageCount()
    wait_idle(qtbot, page.ctx.ops)


def test_every_kind_is_offered_and_errors_are_sentences(qtbot: QtBot, make_window: WindowFactory,
                                                        actors: dict[Role, Actor], festival: Festival) -> None:
    page = _page(qtbot, make_window, actors[Role.VIEWER])
    assert [page.kind.itemData(i) for i in range(page.kind.count())] == [k.value for k in ReportKind]
    # A viewer sees figures, but the reconciliation names operators: refused with who to ask.
    page.choose(ReportKind.RECONCILIATION, festival.event_id)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.generate.click()
    assert page.status.text().startswith("Your role (viewer) may not view wristbands")
    assert page.rendered is None and not page.save.isEnabled()
    wait_idle(qtbot, page.ctx.ops)
