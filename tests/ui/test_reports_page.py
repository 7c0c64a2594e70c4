"""The Reports page over a real SQLite file: generate off the GUI thread, preview, save, print."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import Role
from boxoffice.reports.kinds import ReportKind
from boxoffice.services import products, sales
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.windows import TZ, Festival, WindowFactory, wait_idle
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
    # Said before anyone clicks: Generate is off, and its tooltip says whom to ask.
    page.choose(ReportKind.RECONCILIATION, festival.event_id)
    assert not page.generate.isEnabled()
    assert page.generate.toolTip().startswith("Your role (viewer) may not view wristbands")
    page.choose(ReportKind.EVENT, festival.event_id)
    assert page.generate.isEnabled() and page.generate.toolTip() == ""
    assert page.rendered is None and not page.save.isEnabled()
    wait_idle(qtbot, page.ctx.ops)


def _sell_at_the_door(store: Store, owner: Actor, festival: Festival) -> None:
    """Two Friday tickets at EUR 25.00, paid with EUR 60.00 in cash: EUR 50.00 belongs in the drawer."""
    now = datetime.now(UTC)
    products.create_product(store, owner, festival.event_id, "Friday ticket", festival.categories["GA"],
                            [festival.series_id], price_minor=2_500, currency="EUR",
                            sales_opens_at=now - timedelta(hours=1), sales_closes_at=now + timedelta(days=1),
                            quota=100)
    sales.sell(store, owner, lines=[("Friday ticket", 2)], payment=sales.Payment.cash(6_000), station="Desk 1",
               event_ref=festival.event_id)


def _text(page: ReportsPage) -> str:
    assert page.rendered is not None
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.rendered.pdf)).pages)


def test_the_cash_up_takes_a_shift_a_counted_drawer_and_a_station(
        qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival) -> None:
    _sell_at_the_door(store, owner, festival)
    page = _page(qtbot, make_window, owner)
    page.choose(ReportKind.CASHUP, festival.event_id)
    assert page.options.isVisible() and page.counted.isVisible() and page.zone_note.text() == f"({TZ})"
    # Today in the event's wall clock, from midnight: the sale made a moment ago is inside the shift.
    page.from_on.setChecked(True)
    page.to_on.setChecked(True)
    qtbot.keyClicks(page.counted, "EUR=55.00")
    qtbot.keyClicks(page.station, "Desk 1")
    with qtbot.waitSignal(page.shown, timeout=20_000):
        page.generate.click()
    text = _text(page)
    assert "Cash-up" in text and "OVER by EUR 5.00" in text and "EUR 50.00" in text

    # A count typed wrong is a sentence, and nothing is gathered.
    page.counted.setText("EUR=five")
    page.generate.click()
    assert "five" in page.status.text() and not page.busy.isVisible()
    assert page.rendered is not None and "Cash-up" in _text(page)  # the last good report stays on screen

    # The sales report shares the range, not the drawer's fields.
    page.choose(ReportKind.SALES, festival.event_id)
    assert page.options.isVisible() and not page.counted.isVisible() and not page.station.isVisible()
    page.choose(ReportKind.SERIES, festival.event_id, festival.series_id)
    assert not page.options.isVisible()
    wait_idle(qtbot, page.ctx.ops)


def test_a_station_may_cash_up_but_not_read_the_metrics_reports(
        qtbot: QtBot, make_window: WindowFactory, actors: dict[Role, Actor], festival: Festival) -> None:
    page = _page(qtbot, make_window, actors[Role.STATION])
    page.choose(ReportKind.CASHUP, festival.event_id)
    assert page.generate.isEnabled() and page.generate.toolTip() == ""
    page.choose(ReportKind.EVENT, festival.event_id)
    assert not page.generate.isEnabled()
    assert page.generate.toolTip().startswith("Your role (station) may not")
    wait_idle(qtbot, page.ctx.ops)
