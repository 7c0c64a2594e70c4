"""The Sales page's Products dialog: a manager adds and changes products; a refusal stays in the dialog.

Real widgets over a real SQLite file (the ``store`` and ``festival`` fixtures).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from boxoffice.domain.enums import Role
from boxoffice.services import products, sales
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import ProductCounter
from tests.helpers.windows import Festival
from tests.ui.test_sales_page import add_product, open_window, sales_page
from ui.dialogs.products import ProductsDialog, wall
from ui.pages.sales_page import SalesPage


def open_products(qtbot: QtBot, page: SalesPage, rows: int = 0) -> ProductsDialog:
    qtbot.mouseClick(page.products_button, Qt.MouseButton.LeftButton)
    dialog = page.products_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= rows and dialog.category.count() > 0, timeout=10_000)
    qtbot.waitUntil(lambda: page.ctx.ops.pending == 0, timeout=10_000)
    return dialog


def test_a_manager_adds_a_product_and_the_sales_page_sells_it_at_its_price(
        qtbot: QtBot, store: Store, actors: dict[Role, Actor], festival: Festival) -> None:
    window = open_window(qtbot, store, actors[Role.MANAGER])
    page = sales_page(qtbot, window, rows=0)
    assert page.products_button.isEnabled()
    dialog = open_products(qtbot, page)
    assert dialog.table.rowCount() == 0 and dialog.currency.text() == "EUR"
    assert "Europe/Amsterdam" in dialog.zone_note.text()
    qtbot.keyClicks(dialog.name, "Evening pass")
    dialog.category.setCurrentIndex(dialog.category.findText("VIP"))
    dialog.series_list.item(0).setCheckState(Qt.CheckState.Checked)  # Friday
    qtbot.keyClicks(dialog.price, "45.00")
    opens = datetime.now(UTC) - timedelta(hours=1)
    zone = dialog._zone()
    assert zone is not None
    dialog.opens.setDateTime(wall(opens.astimezone(zone)))
    dialog.closes.setDateTime(wall((opens + timedelta(days=2)).astimezone(zone)))
    dialog.quota.setValue(120)
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    made = saved.args[0]
    assert (made.name, made.category, made.price_minor, made.currency, made.quota) == (
        "Evening pass", "VIP", 4500, "EUR", 120)
    assert made.sales_opens_at == opens.replace(second=0, microsecond=0)  # typed in Amsterdam's wall clock
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1 and dialog.message.isVisible(), timeout=10_000)
    assert [dialog.table.item(0, c).text() for c in range(6)] == ["Evening pass", "VIP", "EUR 45.00", "120",
                                                                  "0", "0"]
    assert dialog.message.text().startswith("Added Evening pass: EUR 45.00")
    assert dialog.editing is not None and dialog.editing.id == made.id  # selected, ready to change
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    assert page.table.item(0, 0).text() == "Evening pass" and page.table.item(0, 1).text() == "EUR 45.00"
    assert page.table.item(0, 2).text() == "120"
    dialog.reject()


def test_a_quota_below_what_is_sold_is_refused_inside_the_dialog_and_nothing_changes(
        qtbot: QtBot, store: Store, owner: Actor, actors: dict[Role, Actor], festival: Festival) -> None:
    product = add_product(store, owner, quota=10)
    sales.sell(store, owner, lines=[("Day ticket", 4)], payment=sales.Payment.cash(10_000))
    window = open_window(qtbot, store, actors[Role.MANAGER])
    page = sales_page(qtbot, window)
    dialog = open_products(qtbot, page, rows=1)
    assert [dialog.table.item(0, c).text() for c in (2, 3, 4)] == ["EUR 25.00", "10", "4"]
    dialog.table.selectRow(0)
    assert dialog.editing is not None and dialog.name.text() == "Day ticket" and dialog.quota.value() == 10
    assert dialog.price.text() == "25.00" and not dialog.category.isEnabled()
    dialog.quota.setValue(3)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible() and not dialog.working, timeout=10_000)
    sentence = dialog.message.text()
    assert "4 sold" in sentence and "cannot go below 4" in sentence and sentence.endswith(".")
    assert dialog.isVisible() and dialog.save_button.isEnabled() and dialog.quota.isEnabled()
    assert dialog.quota.value() == 3  # what was typed stays, to be corrected
    with store.read() as session:
        counter = session.scalar(select(ProductCounter).where(ProductCounter.product_id == product.id))
        assert counter is not None and (counter.quota, counter.sold) == (10, 4)
    # a closing time before the opening is the service's sentence too, and nothing is written
    dialog.quota.setValue(10)
    dialog.closes.setDateTime(dialog.opens.dateTime().addSecs(-3600))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "close after they open" in dialog.message.text() and not dialog.working,
                    timeout=10_000)
    kept = products.get_product(store, owner, str(product.id))
    assert kept.sales_closes_at == product.sales_closes_at and kept.quota == 10
    dialog.reject()


def test_a_station_clerk_sees_the_products_button_disabled_with_the_reason(
        qtbot: QtBot, store: Store, owner: Actor, actors: dict[Role, Actor], festival: Festival) -> None:
    add_product(store, owner)
    window = open_window(qtbot, store, actors[Role.STATION])
    page = sales_page(qtbot, window)
    assert not page.products_button.isEnabled()
    assert page.products_button.toolTip().startswith(
        "Your role (station) may not set up products, prices and quotas; ask")
    page.open_products()  # the shortcut's way in is refused the same
    assert page.products_dialog is None
    assert "may not set up products" in page.note.text()
