"""The Sales page through the window: keyboard sales, bands for the tickets, refusals, waitlist, refunds.

Real widgets over real SQLite files; the bands go through the simulated
NTAG213 reader with nfcpy's tag code. The station case runs a real central
server on loopback and a station logged in to it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from boxoffice.domain.enums import BandStatus, Role
from boxoffice.schemas.sales import ProductView
from boxoffice.services import products, refunds, sales, waitlist
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Order, Refund, SoldTicket, Ticket, WaitlistEntry, Wristband
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from hardware.readers.sim import SimulatedField, blank_bands
from hardware.readers.sim.device import simulated_reader
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.sync import seeded_server
from tests.helpers.windows import EVENT, TZ, Festival
from ui.app import build_window
from ui.main_window import MainWindow
from ui.pages.sales_page import SalesPage
from ui.status_bar import lease_line


def add_product(store: Store, owner: Actor, name: str = "Day ticket", *, quota: int = 50,
                price_minor: int = 2500, category: str = "GA", event: str = EVENT,
                series: str = "Friday") -> ProductView:
    now = datetime.now(UTC)
    return products.create_product(store, owner, event, name, category, [series], price_minor=price_minor,
                                   currency="EUR", sales_opens_at=now - timedelta(hours=1),
                                   sales_closes_at=now + timedelta(hours=8), quota=quota)


def open_window(qtbot: QtBot, store: Store, actor: Actor, field: SimulatedField | None = None) -> MainWindow:
    field = field or SimulatedField(blank_bands(1, seed=3))
    window, _ctx = build_window(store, actor, station="Desk 1", reader_factory=lambda: simulated_reader(field))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    return window


def sales_page(qtbot: QtBot, window: MainWindow, rows: int = 1) -> SalesPage:
    """The Sales page shown and loaded, the keyboard in its product list (F-keys act within the page)."""
    page = window.page_named("Sales")
    assert isinstance(page, SalesPage)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        if window.stack.currentWidget() is page:  # the last page used, opened with the window
            page.refresh()
        else:
            window.show_page("Sales")
    qtbot.waitUntil(lambda: page.table.rowCount() >= rows, timeout=10_000)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=5_000)
    return page


def closed(dialog: QWidget) -> bool:
    """Closed (a page's dialog deletes itself once finished)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def orders(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def test_a_cash_sale_through_the_keyboard_then_a_band_for_each_ticket(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    add_product(store, owner)
    field = SimulatedField(blank_bands(3, seed=21))
    window = open_window(qtbot, store, owner, field)
    page = sales_page(qtbot, window)
    assert page.table.item(0, 0).text() == "Day ticket" and page.table.item(0, 2).text() == "50"
    qtbot.keyClick(page.table, Qt.Key.Key_Plus)
    qtbot.keyClick(page.table, Qt.Key.Key_Plus)
    assert page.table.item(0, 3).text() == "2"
    assert page.total_label.text().startswith("Total: EUR 50.00")
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(page.holder_name.hasFocus, timeout=2_000)
    qtbot.keyClicks(page.holder_name, "Zoe Visser")  # QTest types ASCII only
    qtbot.keyClick(page.holder_name, Qt.Key.Key_Return)
    qtbot.keyClicks(page.holder_email, "zoe@example.org")
    qtbot.keyClick(page.holder_email, Qt.Key.Key_F2)  # cash, and into its field
    qtbot.waitUntil(page.tendered.hasFocus, timeout=2_000)
    qtbot.keyClicks(page.tendered, "60")
    assert page.change_label.text() == "Change: EUR 10.00"
    with qtbot.waitSignal(page.sold, timeout=20_000) as sold, \
            qtbot.waitSignal(page.encoding_finished, timeout=120_000) as encoded:
        qtbot.keyClick(page.tendered, Qt.Key.Key_Return)
    order = sold.args[0]
    assert page.reference.text() == order.reference and page.reference.font().pointSize() >= 36
    assert "give EUR 10.00 change" in page.order_line.text()
    assert encoded.args[0] and all(r.status == "completed" for r in encoded.args[0])
    assert page.prompt.text().startswith("✓ 2 bands encoded")
    assert page.tones.played == ["ok", "ok"]
    with store.read() as session:
        kept = session.scalar(select(Order).where(Order.reference == order.reference))
        assert kept is not None and (kept.total_minor, kept.change_minor, kept.holder_name) == (5000, 1000,
                                                                                               "Zoe Visser")
        tickets = dict(session.execute(select(Ticket.id, Ticket.code).join(
            SoldTicket, SoldTicket.ticket_id == Ticket.id).where(SoldTicket.order_id == kept.id)).all())
        bands = session.execute(select(Wristband.ticket_id, Wristband.status)
                                .where(Wristband.ticket_id.in_(list(tickets)))).all()
    assert len(tickets) == 2 and sorted(tickets.values()) == [f"{order.reference}-1", f"{order.reference}-2"]
    assert len(bands) == 2 and {t for t, _ in bands} == set(tickets)
    assert all(status is BandStatus.ACTIVE for _, status in bands)
    assert page.table.item(0, 2).text() == "48"  # the list shows what is left after the sale
    assert page.holder_name.text() == "" and page.table.item(0, 3).text() == ""


def test_a_complimentary_sale_without_a_reason_is_refused_and_nothing_is_written(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    add_product(store, owner)
    window = open_window(qtbot, store, owner)
    page = sales_page(qtbot, window)
    qtbot.keyClick(page.table, Qt.Key.Key_3)
    assert page.table.item(0, 3).text() == "3"
    qtbot.keyClick(page.table, Qt.Key.Key_F4)
    assert page.comp.isChecked() and page.total_label.text().startswith("Total: EUR 0.00")
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "reason" in page.note.text().lower(), timeout=10_000)
    assert page.note.text().endswith(".") and page.reference.text() == "–"
    assert orders(store) == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Escape)  # Esc clears the sale
    assert page.table.item(0, 3).text() == "" and page.cash.isChecked()


def test_a_sold_out_product_says_so_and_offers_the_waitlist(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    add_product(store, owner, "Weekend", quota=1)
    sales.sell(store, owner, lines=[("Weekend", 1)], payment=sales.Payment.card("T-1"))
    window = open_window(qtbot, store, owner)
    page = sales_page(qtbot, window)
    assert page.table.item(0, 2).text() == "Sold out"
    assert "sold out" in page.table.item(0, 0).toolTip()
    page.table.setCurrentCell(0, 0)
    assert page.waitlist_button.isEnabled()
    assert "Weekend is sold out" in page.note.text()
    qtbot.keyClick(page.table, Qt.Key.Key_Plus)  # refused: nothing to add
    assert page.table.item(0, 3).text() == ""
    qtbot.mouseClick(page.waitlist_button, Qt.MouseButton.LeftButton)
    dialog = page.waitlist_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.name, "Kwame Haddad")
    qtbot.keyClicks(dialog.contact, "+31 6 1234 5678")
    dialog.accept()
    qtbot.waitUntil(lambda: "on the waitlist" in page.note.text(), timeout=10_000)
    qtbot.waitUntil(lambda: closed(dialog), timeout=5_000)  # success closes it
    assert [e.name for e in waitlist.entries(store, owner, "Weekend")] == ["Kwame Haddad"]
    # A second entry for the same person is refused inside the dialog, which stays open to correct it.
    qtbot.mouseClick(page.waitlist_button, Qt.MouseButton.LeftButton)
    again = page.waitlist_dialog
    assert again is not None and again is not dialog
    qtbot.keyClicks(again.name, "Kwame Haddad")
    qtbot.keyClicks(again.contact, "+31 6 1234 5678")
    qtbot.mouseClick(again.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.message.isVisible() and not again.working, timeout=10_000)
    assert again.isVisible() and again.message.text().endswith(".") and again.ok.isEnabled()
    assert again.ok.text() == "&Add to waitlist"
    assert len(waitlist.entries(store, owner, "Weekend")) == 1
    again.reject()


def test_a_manager_refunds_through_the_page_and_a_station_clerk_sees_why_not(
        qtbot: QtBot, store: Store, owner: Actor, actors: dict[Role, Actor], festival: Festival) -> None:
    add_product(store, owner)
    order = sales.sell(store, owner, lines=[("Day ticket", 2)], payment=sales.Payment.cash(5000))
    clerk = open_window(qtbot, store, actors[Role.STATION])
    page = sales_page(qtbot, clerk)
    assert not page.refund_button.isEnabled()
    assert page.refund_button.toolTip().startswith("Your role (station) may not refund or void a sale")
    clerk.close()
    window = open_window(qtbot, store, actors[Role.MANAGER])
    page = sales_page(qtbot, window)
    assert page.refund_button.isEnabled()
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    dialog = page.refund_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.reference, order.reference.lower())
    qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)  # looks the order up; does not refund
    qtbot.waitUntil(lambda: dialog.tickets.count() == 2, timeout=10_000)
    assert dialog.isVisible() and dialog.codes() == [f"{order.reference}-1", f"{order.reference}-2"]
    dialog.tickets.item(0).setCheckState(Qt.CheckState.Unchecked)  # keep the first ticket
    qtbot.keyClicks(dialog.reason, "Went home ill")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.note.text().startswith("Refunded"), timeout=10_000)
    assert "Refunded 1 ticket" in page.note.text()
    assert "EUR 25.00, give it back in cash" in page.note.text()
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 1
    qtbot.waitUntil(lambda: page.table.item(0, 2).text() == "49", timeout=10_000)


def test_the_receipt_pdf_says_the_reference_the_lines_and_the_change(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival, tmp_path: Path) -> None:
    add_product(store, owner)
    order = sales.sell(store, owner, lines=[("Day ticket", 2)], payment=sales.Payment.cash(6000),
                       holder=sales.Holder(name="Søren Ørsted"))
    window = open_window(qtbot, store, owner)
    page = sales_page(qtbot, window)
    page.show_order(order)
    out = tmp_path / "receipt.pdf"
    page.save_pdf(out)  # painted into memory here, written on the database thread
    qtbot.waitUntil(lambda: page.note.text() == f"Receipt saved: {out}", timeout=10_000)
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in (order.reference, "2 × Day ticket", "EUR 50.00", "change EUR 10.00", "Søren Ørsted",
                     f"{order.reference}-1"):
        assert expected in text, (expected, text)


def test_the_lease_line_is_short() -> None:
    from uuid import uuid4

    from boxoffice.schemas.sales import HeldPlaces

    held = [HeldPlaces(product_id=uuid4(), product="Day ticket", remaining=14, expires_at=None, used_up=False),
            HeldPlaces(product_id=uuid4(), product="Weekend pass", remaining=3, expires_at=None, used_up=False)]
    assert lease_line(held) == "Leases: Day 14 · Weekend 3"
    assert lease_line([]) == "Leases: none"


# -- a station logged in to a server -----------------------------------------------------------


@pytest.fixture
def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    with seeded_server(tmp_path / "server.sqlite3") as state:
        server_owner = resolve_actor(state.store, "owner@example.org")
        add_product(state.store, server_owner, quota=40, event="Gate Fest", series="Today")
        add_product(state.store, server_owner, "Weekend", quota=1, event="Gate Fest", series="Today")
        sales.sell(state.store, server_owner, lines=[("Weekend", 1)], payment=sales.Payment.card("T-9"))
        yield state


@pytest.fixture
def station(tmp_path: Path, live_server: Live) -> Iterator[Store]:
    st = open_store(tmp_path / "station.sqlite3")
    sync_client.login(st, live_server.url, "manager@example.org", PASSWORD, station="Box 1")
    yield st
    st.dispose()


@pytest.mark.slow
def test_a_station_shows_its_leases_asks_for_more_when_they_run_out_and_refunds_online(
        qtbot: QtBot, live_server: Live, station: Store) -> None:
    manager = resolve_actor(station, "manager@example.org")
    window = open_window(qtbot, station, manager, SimulatedField(blank_bands(6, seed=5)))
    qtbot.waitUntil(lambda: window.status.lease_label.text() == "Leases: Day 5", timeout=10_000)
    page = sales_page(qtbot, window, rows=2)
    assert [page.table.item(i, 0).text() for i in range(2)] == ["Day ticket", "Weekend"]
    assert page.table.item(0, 2).text() == "5"
    # None of Weekend is leased here; the page asks the server, which has none free: sold out, waitlist.
    qtbot.waitUntil(lambda: page.table.item(1, 2).text() == "Sold out", timeout=20_000)
    assert "no place of Weekend free to lease" in page.note.text()
    page.table.setCurrentCell(1, 0)
    assert page.waitlist_button.isEnabled()
    qtbot.mouseClick(page.waitlist_button, Qt.MouseButton.LeftButton)
    assert page.waitlist_dialog is not None
    qtbot.keyClicks(page.waitlist_dialog.name, "Olu Bakker")
    qtbot.keyClicks(page.waitlist_dialog.contact, "olu@example.org")
    page.waitlist_dialog.accept()
    qtbot.waitUntil(lambda: "on the waitlist" in page.note.text(), timeout=20_000)
    server_owner = resolve_actor(live_server.store, "owner@example.org")
    assert [e.name for e in waitlist.entries(live_server.store, server_owner, "Weekend")] == ["Olu Bakker"]
    page.table.setCurrentCell(0, 0)
    window.activateWindow()  # back from the dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=5_000)
    qtbot.keyClick(page.table, Qt.Key.Key_5)
    qtbot.keyClick(page.table, Qt.Key.Key_F3)
    qtbot.keyClicks(page.card_ref, "TERM-0042")
    assert page.card.isChecked() and page.table.item(0, 3).text() == "5", page.note.text()
    with qtbot.waitSignal(page.encoding_finished, timeout=60_000):
        qtbot.keyClick(page.card_ref, Qt.Key.Key_Return)
    order = page.order
    assert order is not None and len(order.tickets) == 5
    # The lease ran out with that sale: the page asked the server for more at once, and said so.
    qtbot.waitUntil(lambda: "The server leased" in page.note.text(), timeout=20_000)
    qtbot.waitUntil(lambda: page.table.item(0, 2).text() not in ("Lease used up", "0"), timeout=10_000)
    window.status.poll()
    qtbot.waitUntil(lambda: window.status.lease_label.text().startswith("Leases: Day ")
                    and window.status.lease_label.text() != "Leases: Day 0", timeout=10_000)
    # A refund goes to the server (the station may not decide it itself).
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    dialog = page.refund_dialog
    assert dialog is not None and dialog.reference.text() == order.reference
    qtbot.waitUntil(lambda: dialog.tickets.count() == 5, timeout=20_000)  # the server's view of the order
    qtbot.keyClicks(dialog.reason, "Double booking")
    dialog.accept()
    qtbot.waitUntil(lambda: page.note.text().startswith("Refunded"), timeout=20_000)
    assert "EUR 125.00, refund it to the card" in page.note.text()
    with live_server.store.read() as session:  # the server decided it: the order was pushed first
        assert session.scalar(select(func.count()).select_from(Refund)) == 1


def test_every_label_on_the_page_has_a_buddy_for_its_accelerator(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    from PySide6.QtWidgets import QLabel

    add_product(store, owner)
    page = sales_page(qtbot, open_window(qtbot, store, owner))
    labelled = [label for label in page.findChildren(QLabel) if "&" in label.text()]
    assert len(labelled) >= 7
    for label in labelled:
        assert label.buddy() is not None, f"{label.text()!r} shows its ampersand"


def test_money_as_typed_rows_and_offer_times() -> None:
    from uuid import uuid4

    from boxoffice.schemas.sales import HeldPlaces
    from ui.pages.sales_page import offer_left, parse_money, rows_for

    assert [parse_money(t) for t in ("50", "50.5", "50,50", " 7 ", "", "abc", "-3")] == [
        5000, 5050, 5050, 700, None, None, None]
    now = datetime.now(UTC)
    product = ProductView(id=uuid4(), event_id=uuid4(), category_id=uuid4(), category="GA", name="Day",
                          series_ids=[], price_minor=100, currency="EUR", sales_opens_at=now - timedelta(hours=1),
                          sales_closes_at=now + timedelta(hours=1), quota=5, sold=5, held=0, free=0)
    later = product.model_copy(update={"id": uuid4(), "name": "Late", "sales_opens_at": now + timedelta(hours=2),
                                       "sales_closes_at": now + timedelta(hours=3)})
    own = rows_for([product, later], None, now)
    assert [(r.status, r.sold_out) for r in own] == [("Sold out", True), ("Not yet", False)]
    held = [HeldPlaces(product_id=product.id, product="Day", remaining=0, expires_at=None, used_up=True)]
    station = rows_for([product], held, now)
    assert (station[0].status, station[0].lease_out) == ("Lease used up", True)
    assert offer_left(now + timedelta(minutes=25, seconds=30), now).startswith("25 min left")
    assert offer_left(now - timedelta(minutes=1), now).startswith("ended")
    from zoneinfo import ZoneInfo

    winter = datetime(2026, 12, 5, 20, 50, tzinfo=UTC)
    assert offer_left(winter, winter - timedelta(minutes=25), ZoneInfo("Europe/Amsterdam")) == \
        "25 min left (21:50 CET)"
    assert offer_left(winter, winter + timedelta(minutes=1), ZoneInfo("Europe/Amsterdam")) == "ended 21:50 CET"
    assert offer_left(winter, winter - timedelta(minutes=5)) == "5 min left (20:50 UTC)"



# -- waitlist offers sold from the page; refusals kept in the dialogs ------------------------------


def offered(store: Store, owner: Actor, name: str = "Kwame Haddad") -> WaitlistEntry:
    """A sold-out Weekend, one person waiting, then a refund frees the place: an open offer for them."""
    add_product(store, owner, "Weekend", quota=1, price_minor=4000)
    first = sales.sell(store, owner, lines=[("Weekend", 1)], payment=sales.Payment.card("T-1"))
    waitlist.add(store, owner, "Weekend", name, "+31 6 1234 5678")
    refunds.refund(store, owner, first.reference, reason="Cannot come")
    with store.read() as session:
        entry = session.scalar(select(WaitlistEntry))
        assert entry is not None and entry.offer_expires_at is not None
        session.expunge(entry)
    return entry


def test_an_offer_is_sold_from_who_to_call_with_the_pages_payment_then_its_band(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    entry = offered(store, owner)
    window = open_window(qtbot, store, owner, SimulatedField(blank_bands(2, seed=8)))
    page = sales_page(qtbot, window)
    qtbot.waitUntil(lambda: page.calls.rowCount() == 1, timeout=10_000)
    ends = page.calls.item(0, 3).text()
    from zoneinfo import ZoneInfo

    local = entry.offer_expires_at.replace(tzinfo=UTC).astimezone(ZoneInfo(TZ))  # type: ignore[union-attr]
    assert ends.endswith(f"({local:%H:%M} {local.tzname()})") and "min left" in ends, ends
    assert not page.offer_button.isEnabled()  # nothing selected yet
    qtbot.keyClick(page.table, Qt.Key.Key_F2)
    qtbot.keyClicks(page.tendered, "50")
    page.calls.setFocus()
    page.calls.selectRow(0)
    assert page.offer_button.isEnabled()
    with qtbot.waitSignal(page.sold, timeout=20_000) as sold, \
            qtbot.waitSignal(page.encoding_finished, timeout=60_000) as encoded:
        qtbot.keyClick(page.calls, Qt.Key.Key_Return)  # Enter in the list sells to them
    order = sold.args[0]
    assert [t.product for t in order.tickets] == ["Weekend"] and order.change_minor == 1000
    assert order.holder_name == "Kwame Haddad" and page.reference.text() == order.reference
    assert encoded.args[0] and all(r.status == "completed" for r in encoded.args[0])
    assert page.prompt.text().startswith("✓ 1 band encoded")
    assert waitlist.entries(store, owner, "Weekend")[0].status.value == "served"
    qtbot.waitUntil(lambda: page.calls.rowCount() == 0, timeout=10_000)  # served: no one left to call


def test_an_expired_offer_is_refused_with_its_sentence_and_nothing_is_written(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    entry = offered(store, owner)
    window = open_window(qtbot, store, owner)
    page = sales_page(qtbot, window)
    qtbot.waitUntil(lambda: page.calls.rowCount() == 1, timeout=10_000)
    with store.write() as session:  # the offer ends while the row is on screen
        session.get_one(WaitlistEntry, entry.id).offer_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    before = orders(store)
    page.calls.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_F3)
    qtbot.keyClicks(page.card_ref, "T-77")
    qtbot.mouseClick(page.offer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "nothing was sold" in page.note.text(), timeout=10_000)
    assert page.note.text() == "Kwame Haddad has no open offer (it is expired); nothing was sold."
    assert orders(store) == before and page.reference.text() == "–"
    qtbot.waitUntil(lambda: page.calls.rowCount() == 0, timeout=10_000)  # the list drops the ended offer


def test_a_refund_refused_inside_the_dialog_keeps_it_open_then_the_rest_is_refunded(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival) -> None:
    add_product(store, owner)
    order = sales.sell(store, owner, lines=[("Day ticket", 2)], payment=sales.Payment.cash(5000))
    window = open_window(qtbot, store, owner)
    page = sales_page(qtbot, window)
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    dialog = page.refund_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.reference, order.reference)
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.tickets.count() == 2, timeout=10_000)
    refunds.refund(store, owner, order.reference, reason="At the other desk", ticket_codes=[f"{order.reference}-2"])
    qtbot.keyClicks(dialog.reason, "Double booking")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible() and not dialog.working, timeout=10_000)
    assert dialog.isVisible() and f"Ticket {order.reference}-2" in dialog.message.text()
    assert "already refunded" in dialog.message.text()
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 1  # only the other desk's
    # The list now shows the refunded ticket greyed, not ticked; the other one still ticked.
    second = dialog.tickets.item(1)
    assert "(refunded)" in second.text() and not second.flags() & Qt.ItemFlag.ItemIsEnabled
    assert dialog.codes() == [f"{order.reference}-1"]
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.note.text().startswith("Refunded 1 ticket"), timeout=10_000)
    qtbot.waitUntil(lambda: closed(dialog), timeout=5_000)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 2


@pytest.mark.slow
def test_a_station_sells_a_waitlist_offer_through_the_server_then_its_band(
        qtbot: QtBot, live_server: Live, station: Store) -> None:
    server_owner = resolve_actor(live_server.store, "owner@example.org")
    with live_server.store.read() as session:
        weekend = session.scalar(select(Order.reference))
    assert weekend is not None
    waitlist.add(live_server.store, server_owner, "Weekend", "Olu Bakker", "olu@example.org")
    refunds.refund(live_server.store, server_owner, weekend, reason="Cannot come")  # the place is offered
    manager = resolve_actor(station, "manager@example.org")
    window = open_window(qtbot, station, manager, SimulatedField(blank_bands(2, seed=9)))
    page = sales_page(qtbot, window, rows=2)
    qtbot.waitUntil(lambda: page.calls.rowCount() == 1, timeout=20_000)
    assert page.calls.item(0, 0).text() == "Olu Bakker" and "min left" in page.calls.item(0, 3).text()
    qtbot.keyClick(page.table, Qt.Key.Key_F3)
    qtbot.keyClicks(page.card_ref, "TERM-7")
    page.calls.selectRow(0)
    with qtbot.waitSignal(page.sold, timeout=30_000) as sold, \
            qtbot.waitSignal(page.encoding_finished, timeout=60_000) as encoded:
        qtbot.mouseClick(page.offer_button, Qt.MouseButton.LeftButton)
    order = sold.args[0]
    assert [t.product for t in order.tickets] == ["Weekend"] and order.payment.value == "card"
    assert encoded.args[0] and all(r.status == "completed" for r in encoded.args[0]), page.detail.text()
    assert waitlist.entries(live_server.store, server_owner, "Weekend")[0].status.value == "served"
