"""The Sales page's Products dialog: an event's products, and a form to add one or change the selected one.

Managers and above set products up here (``Action.MANAGE_PRODUCTS``; the
page's button is guarded). The list shows each product's price
(``domain.money.format_money``), quota, sold and held; the form reads the
price with ``domain.money.parse_money`` and the sales window as wall-clock
times in the event's time zone.

Saving goes through ``boxoffice.sync.door`` (the server's REST routes on a
station logged in to one, the services on a database of its own) in a
coroutine owned by the dialog (``ui.ops``). The dialog stays open while it
runs, its form disabled ("Working…"); a refusal (a quota below what is sold
and held, sales closing before they open) is the service's sentence shown
here, nothing written; success reloads the list and emits ``saved`` so the
page refreshes its products.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain import money
from boxoffice.domain.validation import MAX_QUOTA
from boxoffice.errors import BoxOfficeError, ValidationError
from boxoffice.schemas.event import CategoryView, EventView
from boxoffice.schemas.sales import ProductView
from boxoffice.schemas.series import SeriesView
from boxoffice.services import events
from boxoffice.services import series as series_svc
from boxoffice.store.types import utcnow
from boxoffice.sync import door
from ui.context import AppContext
from ui.ops import describe_failure
from ui.style import ERROR_COLOR, OK_COLOR

WORKING = "Working…"
COLUMNS = ["Product", "Category", "Price", "Quota", "Sold", "Held"]


def wall(moment: datetime) -> QDateTime:
    """A naive wall-clock time as the date-time field shows it (to the minute)."""
    return QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute))


def zone_of(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


class ProductsDialog(QDialog):
    """Emits ``saved(ProductView)`` when a product was added or changed, ``loaded`` when the list is shown."""

    saved = Signal(object)
    loaded = Signal()

    def __init__(self, ctx: AppContext, event_id: uuid.UUID | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Products")
        self.setObjectName("productsDialog")
        self.ctx = ctx
        self.wanted_event = event_id
        self.events: list[EventView] = []
        self.products: list[ProductView] = []
        self.categories: list[CategoryView] = []
        self.series: list[SeriesView] = []
        self.editing: ProductView | None = None
        self.working = False

        self.event_choice = QComboBox()
        self.event_choice.setObjectName("productsEvent")
        event_label = QLabel("&Event")
        event_label.setBuddy(self.event_choice)
        self.zone_note = QLabel()
        top = QHBoxLayout()
        top.addWidget(event_label)
        top.addWidget(self.event_choice, 1)
        top.addWidget(self.zone_note)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("productsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setMinimumHeight(150)  # four or five products in view, not two and a half
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        table_label = QLabel("&Products  (select one to change it)")
        table_label.setBuddy(self.table)
        self.new_button = QPushButton("&New product")
        self.new_button.setObjectName("productsNew")
        self.new_button.setAutoDefault(False)

        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: 600;")
        self.name = QLineEdit()
        self.name.setObjectName("productName")
        self.name.setPlaceholderText("e.g. Day ticket")
        self.category = QComboBox()
        self.category.setObjectName("productCategory")
        self.series_list = QListWidget()
        self.series_list.setObjectName("productSeries")
        self.series_list.setMaximumHeight(90)
        self.price = QLineEdit()
        self.price.setObjectName("productPrice")
        self.price.setPlaceholderText("e.g. 45.00")
        self.currency = QLineEdit("EUR")
        self.currency.setObjectName("productCurrency")
        self.currency.setMaxLength(3)
        self.currency.setMaximumWidth(70)
        price_row = QHBoxLayout()
        price_row.addWidget(self.price, 1)
        price_row.addWidget(self.currency)
        self.opens = QDateTimeEdit()
        self.opens.setObjectName("productOpens")
        self.closes = QDateTimeEdit()
        self.closes.setObjectName("productCloses")
        for edit in (self.opens, self.closes):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
        self.quota = QSpinBox()
        self.quota.setObjectName("productQuota")
        self.quota.setRange(0, MAX_QUOTA)
        self.quota.setGroupSeparatorShown(True)
        form = QFormLayout()
        for caption, widget in (("Na&me", self.name), ("C&ategory", self.category),
                                ("Ser&ies", self.series_list), ("P&rice", price_row),
                                ("Sales &open", self.opens), ("Sales c&lose", self.closes),
                                ("&Quota", self.quota)):
            label = QLabel(caption)
            label.setBuddy(widget if isinstance(widget, QWidget) else self.price)
            form.addRow(label, widget)

        self.message = QLabel()
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.addButton("&Add product", QDialogButtonBox.ButtonRole.ApplyRole)
        self.save_button.setObjectName("productsSave")
        self.save_text = self.save_button.text()
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)

        body = QVBoxLayout(self)
        body.addLayout(top)
        body.addWidget(table_label)
        body.addWidget(self.table, 1)
        body.addWidget(self.new_button)
        body.addWidget(self.heading)
        body.addLayout(form)
        body.addWidget(self.message)
        body.addWidget(self.buttons)
        self.setMinimumWidth(560)

        self.event_choice.currentIndexChanged.connect(lambda _: self._event_chosen())
        self.table.itemSelectionChanged.connect(self._selected)
        self.new_button.clicked.connect(self.start_new)
        self._clear_form()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        self.ctx.ops.launch("products", self._load_events(), owner=self)

    def _event_id(self) -> uuid.UUID | None:
        data = self.event_choice.currentData()
        return uuid.UUID(str(data)) if data else None

    def _zone(self) -> ZoneInfo | None:
        ident = self._event_id()
        ev = next((e for e in self.events if e.id == ident), None)
        return zone_of(ev.timezone) if ev is not None else None

    async def _load_events(self) -> None:
        ctx = self.ctx
        try:
            found = await ctx.ops.call("events", lambda: events.list_events(ctx.store, ctx.actor))
        except Exception as exc:
            self.refuse(describe_failure(exc))
            self.loaded.emit()
            return
        self.events = found
        self.event_choice.blockSignals(True)
        self.event_choice.clear()
        for ev in found:
            self.event_choice.addItem(ev.name, str(ev.id))
        index = next((i for i, ev in enumerate(found) if ev.id == self.wanted_event), 0)
        self.event_choice.setCurrentIndex(index)
        self.event_choice.blockSignals(False)
        if not found:
            self.refuse("There is no event yet: add one before its products.")
            self.loaded.emit()
            return
        await self._load_event(select=None)

    def _event_chosen(self) -> None:
        self.ctx.ops.launch("products", self._load_event(select=None), owner=self)

    async def _load_event(self, select: uuid.UUID | None) -> None:
        ctx = self.ctx
        event_id = self._event_id()
        if event_id is None:
            return
        ref = str(event_id)
        zone = self._zone()
        self.zone_note.setText(f"Times in {zone.key}" if zone is not None else "")

        def read() -> tuple[list[CategoryView], list[SeriesView]]:
            return (events.list_categories(ctx.store, ctx.actor, ref),
                    series_svc.list_series(ctx.store, ctx.actor, ref))

        try:
            self.categories, self.series = await ctx.ops.call("product choices", read)
            found = await ctx.ops.call("products", lambda: door.list_products(ctx.store, ctx.actor, event_id),
                                       own_thread=door.through_server(ctx.store))
        except Exception as exc:
            self.refuse(describe_failure(exc))
            self.loaded.emit()
            return
        self.show_products(found, select)
        self.loaded.emit()

    def show_products(self, found: list[ProductView], select: uuid.UUID | None = None) -> None:
        self.products = found
        self.category.clear()
        for cat in self.categories:
            self.category.addItem(cat.name, str(cat.id))
        self.series_list.clear()
        for s in self.series:
            entry = QListWidgetItem(s.name)
            entry.setData(Qt.ItemDataRole.UserRole, str(s.id))
            entry.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.series_list.addItem(entry)
        self.table.blockSignals(True)
        self.table.setRowCount(len(found))
        for r, p in enumerate(found):
            cells = [p.name, p.category, money.format_money(p.price_minor, p.currency), _count(p.quota),
                     _count(p.sold), _count(p.held)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(Qt.ItemDataRole.UserRole, str(p.id))
                self.table.setItem(r, c, item)
        self.table.clearSelection()
        self.table.blockSignals(False)
        row = next((i for i, p in enumerate(found) if p.id == select), None)
        if row is not None:
            self.table.selectRow(row)  # shows it in the form
        else:
            self.start_new()

    # ------------------------------------------------------------------ the form

    def _clear_form(self) -> None:
        self.editing = None
        self.heading.setText("New product")
        self.save_text = "&Add product"
        self.save_button.setText(self.save_text)
        self.category.setEnabled(not self.working)
        self.name.clear()
        self.price.clear()
        currencies = [p.currency for p in self.products]
        self.currency.setText(currencies[0] if currencies else "EUR")
        self.quota.setValue(0)
        for i in range(self.series_list.count()):
            self.series_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        zone = self._zone()
        now = (datetime.now(zone) if zone is not None else datetime.now()).replace(second=0, microsecond=0)
        ends = [s.ends_at for s in self.series if s.ends_at > utcnow()]
        closes = max(ends).astimezone(zone) if ends and zone is not None else now + timedelta(days=1)
        self.opens.setDateTime(wall(now))
        self.closes.setDateTime(wall(closes))

    def start_new(self) -> None:
        if self.working:
            return
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)
        self._clear_form()
        self.message.hide()
        self.name.setFocus()

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        product = self.products[rows[0].row()]
        self.editing = product
        self.heading.setText(f"Change {product.name}")
        self.save_text = "&Save changes"
        self.save_button.setText(self.save_text)
        self.name.setText(product.name)
        index = self.category.findData(str(product.category_id))
        self.category.setCurrentIndex(index)
        self.category.setEnabled(False)  # a product's category is fixed: add another product instead
        self.category.setToolTip("A product's category cannot be changed; add a new product instead.")
        self.price.setText(money.plain_amount(product.price_minor))
        self.currency.setText(product.currency)
        self.quota.setValue(product.quota or 0)
        chosen = {str(s) for s in product.series_ids}
        for i in range(self.series_list.count()):
            item = self.series_list.item(i)
            on = str(item.data(Qt.ItemDataRole.UserRole)) in chosen
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        zone = self._zone()
        for edit, moment in ((self.opens, product.sales_opens_at), (self.closes, product.sales_closes_at)):
            edit.setDateTime(wall(moment.astimezone(zone) if zone is not None else moment.astimezone()))
        self.message.hide()

    def checked_series(self) -> list[str]:
        out = []
        for i in range(self.series_list.count()):
            item = self.series_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _instant(self, edit: QDateTimeEdit) -> datetime:
        moment = edit.dateTime().toPython()
        assert isinstance(moment, datetime)
        zone = self._zone()
        return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()

    def read_form(self) -> dict[str, Any]:
        """What the form says, as the service's fields; a sentence (ValidationError) for a bad price."""
        text = self.price.text().strip().replace(",", ".")
        if not text:
            raise ValidationError.single("price", "Type the price, like 45.00 (0 for a free ticket).")
        return {"name": self.name.text().strip(), "price_minor": money.parse_money("price", text),
                "currency": self.currency.text().strip().upper(), "sales_opens_at": self._instant(self.opens),
                "sales_closes_at": self._instant(self.closes), "quota": self.quota.value(),
                "series": self.checked_series()}

    def changes(self, product: ProductView, fields: dict[str, Any]) -> dict[str, Any]:
        """Only what differs from ``product``: the rest is left as it is."""
        out = {}
        for key in ("name", "price_minor", "currency", "quota"):
            if fields[key] != getattr(product, key):
                out[key] = fields[key]
        for key in ("sales_opens_at", "sales_closes_at"):  # the form shows minutes: seconds are kept
            if fields[key] != getattr(product, key).replace(second=0, microsecond=0):
                out[key] = fields[key]
        if set(fields["series"]) != {str(s) for s in product.series_ids}:
            out["series"] = fields["series"]
        return out

    # ------------------------------------------------------------------ saving

    def busy(self, on: bool, text: str = WORKING) -> None:
        self.working = on
        for widget in (self.event_choice, self.table, self.new_button, self.name, self.series_list,
                       self.price, self.currency, self.opens, self.closes, self.quota, self.save_button,
                       self.buttons.button(QDialogButtonBox.StandardButton.Close)):
            widget.setEnabled(not on)
        self.category.setEnabled(not on and self.editing is None)
        self.save_button.setText(text if on else self.save_text)
        if on:
            self.message.hide()

    def refuse(self, sentence: str) -> None:
        """Refused: say why here, and let the person correct it."""
        self.busy(False)
        self.say(sentence, ERROR_COLOR)

    def say(self, sentence: str, color: str) -> None:
        self.message.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.message.setText(sentence)
        self.message.show()

    def reject(self) -> None:
        if not self.working:  # a save under way is waited for
            super().reject()

    def save(self) -> None:
        if not self.working:
            self.ctx.ops.launch("save product", self._save(), owner=self)

    async def _save(self) -> None:
        ctx = self.ctx
        event_id = self._event_id()
        if event_id is None:
            return
        editing = self.editing
        try:
            fields = self.read_form()
        except BoxOfficeError as exc:
            self.refuse(exc.message)
            return
        if editing is not None:
            changes = self.changes(editing, fields)
            if not changes:
                self.say(f"Nothing to save: {editing.name} is as the form shows it.", ERROR_COLOR)
                return

            def work() -> ProductView:
                assert editing is not None
                return door.update_product(ctx.store, ctx.actor, editing.id, changes)
        else:
            category = str(self.category.currentData() or "")
            if not category:
                self.refuse("Choose the category the product admits.")
                return

            def work() -> ProductView:
                return door.create_product(
                    ctx.store, ctx.actor, event_id, fields["name"], category, fields["series"],
                    price_minor=fields["price_minor"], currency=fields["currency"],
                    sales_opens_at=fields["sales_opens_at"], sales_closes_at=fields["sales_closes_at"],
                    quota=fields["quota"])

        self.busy(True)
        try:
            done = await ctx.ops.call("save product", work, own_thread=door.through_server(ctx.store))
        except Exception as exc:
            self.refuse(describe_failure(exc))
            return
        self.busy(False)
        self.saved.emit(done)
        await self._load_event(select=done.id)
        what = "Changed" if editing is not None else "Added"
        self.say(f"{what} {done.name}: {money.format_money(done.price_minor, done.currency)}, quota "
                 f"{_count(done.quota)}.", OK_COLOR)
