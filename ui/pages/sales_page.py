"""Selling at the door: products and quantities, the payment, the booking reference, then one band per ticket.

Keyboard first. The product list takes the arrows; ``+``/``-`` or digits set
the quantity of the product under the cursor; Enter moves on (name, e-mail,
the payment's field, then sells). F2, F3 and F4 choose cash, card and
complimentary (Alt+A, Alt+D, Alt+Y too); Esc clears the sale. A product
that cannot be sold (sold out, this station's lease used up, not on sale
now) says so in its row, greyed, before anyone asks for it; a sold-out one
offers the waitlist.

A sale is ``services.sales.sell`` on the database thread (a station sells
from the leases the server granted it). Its booking reference is shown
large, to be read aloud, and the sale flows straight into encoding: one
``EncodingSession`` per category in the order, each a batch of as many
bands as it has tickets, each band linked to the next ticket
(``BatchParams.ticket_refs``), with the Encode page's prompt and tones
(``ui.widgets.band_prompt``).

Refunds, the waitlist and more places are the server's to decide on a
station logged in to one: ``boxoffice.sync.door`` sends them there (or to
the services, on a database of its own). When a station's lease of a
product runs out, the page asks the server for more at once. "Products…"
(managers and above) opens ``ui.dialogs.products``: add a product, or change
a price, sales window or quota, through ``door`` the same way.

"Who to call" lists the open waitlist offers, their end in the event's time
zone; selecting one and pressing "Sell to them" (Alt+H, or Enter in the
list) sells the held place to that person with the payment chosen on the
page (``door.accept_offer``), then encodes its band like any sale. The core
has no way to decline an offer early, so there is no "Pass on": an offer
not taken ends by itself and its place goes to the next person.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain import money
from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.permissions import Action
from boxoffice.errors import BoxOfficeError, SoldOutError, ValidationError
from boxoffice.schemas.sales import HeldPlaces, OrderView, ProductView, WaitlistEntryView
from boxoffice.services import events, place_leases, products, sales
from boxoffice.store.types import utcnow
from boxoffice.sync import door
from hardware.readers.reader import Reader
from hardware.station.encode_job import BatchParams, EventKind, JobEvent, JobResult
from ui import receipt
from ui import settings as S
from ui.context import AppContext
from ui.dialogs.door import RefundDialog, WaitlistDialog
from ui.dialogs.products import ProductsDialog
from ui.encoding_session import EncodingSession
from ui.ops import describe_failure
from ui.style import ERROR_COLOR, OK_COLOR, WARN_COLOR
from ui.widgets.band_prompt import IDLE_BG, BandPrompt, Tones, band_feedback

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], Reader]

#: Digits typed within this many seconds on one row make one quantity ("1", "2" -> 12).
TYPING_GAP_S = 1.2
#: A station asks the server for more places of one product at most this often.
ASK_AGAIN_S = 30.0
QTY_COL, LEFT_COL = 3, 2


def parse_money(text: str) -> int | None:
    """Minor units from what a person types ("50", "50.5", "50,50"); None when it is not an amount.

    A comma is read as the decimal point (how much of Europe types it); the
    rest is ``boxoffice.domain.money.parse_money``, the one reading of an amount.
    """
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = money.parse_money("tendered", cleaned)
    except ValidationError:
        return None
    return value if value >= 0 else None


@dataclass(frozen=True)
class Row:
    """One product as the counter sees it: how many are left here, and why it cannot be sold, if so."""

    product: ProductView
    left: int | None
    status: str  # the Left column: a number, or a word ("Sold out", "Lease used up")
    why_not: str | None  # the sentence when it cannot be sold now
    sold_out: bool = False  # the waitlist applies
    lease_out: bool = False  # a station's leases hold none: ask the server for more


def rows_for(found: list[ProductView], held: list[HeldPlaces] | None, now: datetime) -> list[Row]:
    """The product list: ``held`` is this station's leases (None on a database of its own)."""
    by_product = {h.product_id: h for h in held or []}
    out = []
    for p in found:
        if now < p.sales_opens_at:
            out.append(Row(p, None, "Not yet", f"Sales of {p.name} open at {p.sales_opens_at:%H:%M} UTC."))
            continue
        if now >= p.sales_closes_at:
            out.append(Row(p, None, "Closed", f"Sales of {p.name} have closed."))
            continue
        if held is None:
            left = p.free or 0
            if left <= 0:
                out.append(Row(p, 0, "Sold out", f"{p.name} is sold out: add the buyer to the waitlist "
                               "(Alt+W).", sold_out=True))
            else:
                out.append(Row(p, left, f"{left:,}", None))
            continue
        h = by_product.get(p.id)
        left = h.remaining if h is not None else 0
        if left <= 0:
            word = "Lease used up" if h is not None else "None leased"
            out.append(Row(p, 0, word, f"This station holds no place of {p.name} now "
                           "(its lease is used up); asking the server for more.", lease_out=True))
        else:
            out.append(Row(p, left, f"{left:,}", None))
    return out


def offer_left(until: datetime | None, now: datetime, zone: ZoneInfo | None = None) -> str:
    """How long a waitlist offer still holds its place: "25 min left (21:50 CET)" in the event's time
    zone (UTC when it is not known), or that it ended."""
    if until is None:
        return "–"
    local = until.astimezone(zone or ZoneInfo("UTC"))
    clock = f"{local:%H:%M} {local.tzname()}"
    minutes = int((until - now).total_seconds() // 60)
    if minutes < 0:
        return f"ended {clock}"
    return f"{minutes} min left ({clock})"


def zone_of(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def sold_out_row(row: Row) -> Row:
    """A station's row for a product the server said is sold out (it refused to lease any place)."""
    p = row.product
    return Row(p, 0, "Sold out", f"{p.name} is sold out: add the buyer to the waitlist (Alt+W).",
               sold_out=True)


class ProductTable(QTableWidget):
    """The product list: arrows move, ``+``/``-`` and digits set the quantity, Enter moves on."""

    step = Signal(int)
    typed = Signal(str)
    enter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.step.emit(+1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.step.emit(-1)
        elif text.isdigit() and len(text) == 1:
            self.typed.emit(text)
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.typed.emit("")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter.emit()
        else:
            super().keyPressEvent(event)


class CallsTable(QTableWidget):
    """Who to call: Enter sells the selected offer."""

    enter = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter.emit()
        else:
            super().keyPressEvent(event)


class SalesPage(QWidget):
    """Emits ``loaded`` when the products are shown, ``sold(OrderView)``, ``encoding_finished(list)``,
    ``note_changed(str)`` and ``reader_status(text, ok)``."""

    loaded = Signal()
    sold = Signal(object)
    encoding_finished = Signal(object)
    note_changed = Signal(str)
    reader_status = Signal(str, bool)
    title = "Sales"

    def __init__(self, ctx: AppContext, reader_factory: ReaderFactory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("salesPage")
        self.ctx = ctx
        self._reader_factory: ReaderFactory = reader_factory or S.configured_reader
        self.rows: list[Row] = []
        self.quantities: dict[uuid.UUID, int] = {}
        self.order: OrderView | None = None
        self.session: EncodingSession | None = None
        self.results: list[JobResult] = []
        self.tones = Tones(self)
        self.to_call_rows: list[WaitlistEntryView] = []
        self._zones: dict[uuid.UUID, ZoneInfo] = {}  # product -> its event's time zone
        self.waitlist_dialog: WaitlistDialog | None = None
        self.refund_dialog: RefundDialog | None = None
        self.products_dialog: ProductsDialog | None = None
        self._typed_at = 0.0
        self._typed_row = -1
        self._asked: dict[uuid.UUID, float] = {}  # product -> when more places were last asked for
        self._sold_out_at_server: set[uuid.UUID] = set()  # the server had no place to lease
        self._tickets: list[str] = []  # the codes being encoded, in order
        self._done = 0

        # -- products
        self.table = ProductTable(0, 4)
        self.table.setObjectName("salesProducts")
        self.table.setHorizontalHeaderLabels(["Product", "Price", "Left", "Qty"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        products_label = QLabel("&Products  (arrows; + − or digits for how many; Enter)")
        products_label.setBuddy(self.table)
        products_label.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("salesNote")
        self.note.setWordWrap(True)

        # -- holder
        self.holder_name = QLineEdit()
        self.holder_name.setObjectName("salesHolderName")
        self.holder_name.setPlaceholderText("Optional")
        self.holder_email = QLineEdit()
        self.holder_email.setObjectName("salesHolderEmail")
        self.holder_email.setPlaceholderText("Optional")
        holder = QFormLayout()
        for caption, edit in (("&Name", self.holder_name), ("E-&mail", self.holder_email)):
            label = QLabel(caption)
            label.setBuddy(edit)
            holder.addRow(label, edit)

        # -- total and payment
        self.total_label = QLabel("Total: –")
        self.total_label.setObjectName("salesTotal")
        self.total_label.setStyleSheet("font-size: 20pt; font-weight: 700;")
        self.total_label.setWordWrap(True)
        self.cash = QRadioButton("C&ash (F2)")
        self.card = QRadioButton("Car&d (F3)")
        self.comp = QRadioButton("Complimentar&y (F4)")
        self.kinds = QButtonGroup(self)
        for i, button in enumerate((self.cash, self.card, self.comp)):
            self.kinds.addButton(button, i)
        self.cash.setChecked(True)
        kind_row = QGridLayout()  # two rows: the page fits beside the page list on an 800-pixel screen
        kind_row.addWidget(self.cash, 0, 0)
        kind_row.addWidget(self.card, 0, 1)
        kind_row.addWidget(self.comp, 1, 0, 1, 2)
        kind_row.setColumnStretch(2, 1)
        self.tendered = QLineEdit()
        self.tendered.setObjectName("salesTendered")
        self.tendered.setPlaceholderText("What was handed over, e.g. 50")
        self.card_ref = QLineEdit()
        self.card_ref.setObjectName("salesCardReference")
        self.card_ref.setPlaceholderText("The terminal's reference")
        self.reason = QLineEdit()
        self.reason.setObjectName("salesReason")
        self.reason.setPlaceholderText("Required: why these tickets are free")
        self.pay_fields = QStackedWidget()
        self.pay_labels = QStackedWidget()
        for caption, edit in (("&Tendered", self.tendered), ("Card &reference", self.card_ref),
                              ("Reas&on", self.reason)):
            label = QLabel(caption)
            label.setBuddy(edit)
            self.pay_labels.addWidget(label)
            self.pay_fields.addWidget(edit)
        pay_form = QFormLayout()
        pay_form.addRow(self.pay_labels, self.pay_fields)
        self.change_label = QLabel()
        self.change_label.setObjectName("salesChange")
        self.change_label.setStyleSheet(f"font-size: 20pt; font-weight: 700; color: {OK_COLOR};")
        self.change_label.setWordWrap(True)

        self.sell_button = QPushButton("&Sell")
        self.sell_button.setObjectName("salesSell")
        self.sell_button.setDefault(False)
        self.sell_button.setMinimumHeight(40)
        self.clear_button = QPushButton("&Clear (Esc)")
        self.waitlist_button = QPushButton("Add to &waitlist…")
        self.waitlist_button.setObjectName("salesWaitlist")
        self.refund_button = QPushButton("Re&fund…")
        self.refund_button.setObjectName("salesRefund")
        self.products_button = QPushButton("Prod&ucts…")
        self.products_button.setObjectName("salesProductsButton")
        actions = QGridLayout()
        actions.addWidget(self.sell_button, 0, 0, 1, 2)
        actions.addWidget(self.clear_button, 1, 0)
        actions.addWidget(self.waitlist_button, 1, 1)
        actions.addWidget(self.refund_button, 2, 0)
        actions.addWidget(self.products_button, 2, 1)

        left = QVBoxLayout()
        left.addWidget(products_label)
        left.addWidget(self.table, 1)
        left.addWidget(self.note)
        left.addLayout(holder)
        left.addWidget(self.total_label)
        left.addLayout(kind_row)
        left.addLayout(pay_form)
        left.addWidget(self.change_label)
        left.addLayout(actions)

        # -- the order and its bands
        ref_caption = QLabel("Booking reference")
        ref_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reference = QLabel("–")
        self.reference.setObjectName("salesReference")
        self.reference.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        big = QFont()
        big.setPointSize(40)
        big.setBold(True)
        big.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.reference.setFont(big)
        self.order_line = QLabel()
        self.order_line.setObjectName("salesOrderLine")
        self.order_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.order_line.setWordWrap(True)
        self.prompt = BandPrompt("Sell, then tap one band per ticket.", min_height=120)
        self.prompt.setObjectName("salesPrompt")
        self.detail = QLabel()
        self.detail.setObjectName("salesDetail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.print_button = QPushButton("Pr&int receipt…")
        self.pdf_button = QPushButton("Sa&ve as PDF…")
        self.pdf_button.setToolTip("Save the receipt as a PDF file")
        self.stop_button = QPushButton("Stop encodin&g")
        order_buttons = QGridLayout()
        order_buttons.addWidget(self.print_button, 0, 0)
        order_buttons.addWidget(self.pdf_button, 0, 1)
        order_buttons.addWidget(self.stop_button, 1, 0, 1, 2)
        self.calls = CallsTable(0, 4)
        self.calls.setObjectName("salesToCall")
        self.calls.setHorizontalHeaderLabels(["Name", "Contact", "Product", "Offer ends"])
        self.calls.verticalHeader().setVisible(False)
        self.calls.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.calls.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.calls.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.calls.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        calls_label = QLabel("Who to ca&ll  (waitlist offers, soonest to end first; Enter sells)")
        calls_label.setBuddy(self.calls)
        calls_label.setWordWrap(True)
        self.offer_button = QPushButton("Sell to t&hem")
        self.offer_button.setObjectName("salesSellOffer")
        self.offer_button.setToolTip("Sell the selected offer's place to that person, paid as chosen")
        self.offer_button.setEnabled(False)

        right = QVBoxLayout()
        right.addWidget(ref_caption)
        right.addWidget(self.reference)
        right.addWidget(self.order_line)
        right.addWidget(self.prompt)
        right.addWidget(self.detail)
        right.addLayout(order_buttons)
        right.addWidget(calls_label)
        right.addWidget(self.calls, 1)
        right.addWidget(self.offer_button)

        layout = QHBoxLayout(self)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(620)
        layout.addWidget(left_box, 5)
        layout.addLayout(right, 6)

        ctx.guard(self.sell_button, Action.SELL)
        ctx.guard(self.refund_button, Action.REFUND)
        ctx.guard(self.products_button, Action.MANAGE_PRODUCTS,
                  "Add a product, or change a price, sales window or quota")
        self.table.step.connect(self.step_quantity)
        self.table.typed.connect(self.type_quantity)
        self.table.enter.connect(self.holder_name.setFocus)
        self.table.currentCellChanged.connect(lambda *_: self._show_row_note())
        self.holder_name.returnPressed.connect(self.holder_email.setFocus)
        self.holder_email.returnPressed.connect(self._focus_payment)
        for edit in (self.tendered, self.card_ref, self.reason):
            edit.returnPressed.connect(self.sell)
        self.tendered.textChanged.connect(self._show_total)
        self.kinds.idToggled.connect(self._kind_toggled)
        self.sell_button.clicked.connect(self.sell)
        self.clear_button.clicked.connect(self.clear)
        self.waitlist_button.clicked.connect(self.ask_waitlist)
        self.refund_button.clicked.connect(self.ask_refund)
        self.products_button.clicked.connect(self.open_products)
        self.print_button.clicked.connect(self.print_receipt)
        self.pdf_button.clicked.connect(self.ask_save_pdf)
        self.stop_button.clicked.connect(self.stop_encoding)
        self.offer_button.clicked.connect(self.sell_offer)
        self.calls.enter.connect(self.sell_offer)
        self.calls.itemSelectionChanged.connect(self._offer_chosen)
        keys = ((Qt.Key.Key_F2, self.cash), (Qt.Key.Key_F3, self.card), (Qt.Key.Key_F4, self.comp))
        for key, button in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda b=button: self.choose_payment(b))
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.clear)
        self._set_encoding(False)
        self._kind_toggled(0, True)

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        self.ctx.ops.launch("sales products", self._load(), owner=self)

    async def _load(self) -> None:
        ctx = self.ctx
        station = door.through_server(ctx.store)

        def read() -> tuple[list[ProductView], list[HeldPlaces] | None, dict[uuid.UUID, str]]:
            found = products.list_products(ctx.store, ctx.actor)
            zones = {ev.id: ev.timezone for ev in events.list_events(ctx.store, ctx.actor)}
            return found, place_leases.held(ctx.store) if station else None, zones

        try:
            found, held, zone_names = await ctx.ops.call("sales products", read)
        except Exception as exc:
            self.say(describe_failure(exc), ERROR_COLOR)
            self.loaded.emit()
            return
        for p in found:
            zone = zone_of(zone_names.get(p.event_id, ""))
            if zone is not None:
                self._zones[p.id] = zone
        rows = rows_for(found, held, utcnow())
        self.show_rows(rows)
        self.loaded.emit()
        for row in rows:
            if row.lease_out:
                self.ask_for_more(row.product)
        if ctx.may(Action.SELL):
            ctx.ops.launch("who to call", self._load_to_call(), owner=self)

    def show_rows(self, rows: list[Row]) -> None:
        current = self.table.currentRow()
        rows = [sold_out_row(r) if r.lease_out and r.product.id in self._sold_out_at_server else r
                for r in rows]
        self.rows = rows
        known = {r.product.id for r in rows}
        self.quantities = {k: v for k, v in self.quantities.items() if k in known}
        self.table.setRowCount(len(rows))
        grey = QBrush(QColor("#8A8A8A"))
        for i, row in enumerate(rows):
            p = row.product
            cells = (p.name, money.format_money(p.price_minor, p.currency), row.status,
                     str(self.quantities.get(p.id, 0) or ""))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row.why_not is not None:
                    item.setForeground(grey)
                    item.setToolTip(row.why_not)
                    if col == LEFT_COL:
                        item.setForeground(QBrush(QColor(ERROR_COLOR)))
                        bold = item.font()
                        bold.setBold(True)
                        item.setFont(bold)
                self.table.setItem(i, col, item)
        if rows:
            self.table.setCurrentCell(min(max(current, 0), len(rows) - 1), 0)
        self._show_total()
        self._show_row_note()

    async def _load_to_call(self) -> None:
        ctx = self.ctx
        online = door.through_server(ctx.store)
        try:
            found = await ctx.ops.call("who to call", lambda: door.to_call(ctx.store, ctx.actor),
                                       own_thread=online)
        except BoxOfficeError as exc:
            log.info("who to call: %s", exc.message)
            return
        self.show_to_call(found)

    def show_to_call(self, found: list[WaitlistEntryView]) -> None:
        chosen = self.chosen_offer()
        self.to_call_rows = found
        self.calls.setRowCount(len(found))
        now = utcnow()
        for i, entry in enumerate(found):
            ends = offer_left(entry.offer_expires_at, now, self._zones.get(entry.product_id))
            for col, text in enumerate((entry.name, entry.contact, entry.product, ends)):
                self.calls.setItem(i, col, QTableWidgetItem(text))
            if chosen is not None and entry.id == chosen.id:
                self.calls.selectRow(i)
        self._offer_chosen()

    def chosen_offer(self) -> WaitlistEntryView | None:
        rows = self.calls.selectionModel().selectedRows() if self.calls.selectionModel() else []
        i = rows[0].row() if rows else -1
        return self.to_call_rows[i] if 0 <= i < len(self.to_call_rows) else None

    def _offer_chosen(self) -> None:
        self.offer_button.setEnabled(self.chosen_offer() is not None and self.session is None
                                     and self.ctx.may(Action.SELL))

    # ------------------------------------------------------------------ quantities

    def current_row(self) -> Row | None:
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def step_quantity(self, delta: int) -> None:
        row = self.current_row()
        if row is not None:
            self.set_quantity(row, self.quantities.get(row.product.id, 0) + delta)

    def type_quantity(self, digit: str) -> None:
        row = self.current_row()
        if row is None:
            return
        now = time.monotonic()
        before = self.quantities.get(row.product.id, 0)
        if digit and now - self._typed_at < TYPING_GAP_S and self._typed_row == self.table.currentRow():
            wanted = before * 10 + int(digit)
        else:
            wanted = int(digit) if digit else 0
        self._typed_at, self._typed_row = now, self.table.currentRow()
        self.set_quantity(row, wanted)

    def set_quantity(self, row: Row, wanted: int) -> None:
        wanted = max(0, wanted)
        if wanted and row.why_not is not None:
            self.note_text(row.why_not, ERROR_COLOR)
            return
        if row.left is not None and wanted > row.left:
            self.note_text(f"Only {row.left:,} of {row.product.name} left here; {wanted} is too many.",
                           WARN_COLOR)
            wanted = row.left
        self.quantities[row.product.id] = wanted
        i = self.rows.index(row)
        item = self.table.item(i, QTY_COL)
        if item is not None:
            item.setText(str(wanted) if wanted else "")
        self._show_total()

    def lines(self) -> list[tuple[Row, int]]:
        return [(r, self.quantities[r.product.id]) for r in self.rows if self.quantities.get(r.product.id)]

    def _total(self) -> tuple[int, str] | None:
        chosen = self.lines()
        if not chosen:
            return None
        total = 0 if self.comp.isChecked() else sum(r.product.price_minor * q for r, q in chosen)
        return total, chosen[0][0].product.currency

    def _show_total(self, *_: object) -> None:
        got = self._total()
        if got is None:
            self.total_label.setText("Total: –")
            self.change_label.setText("")
            return
        total, currency = got
        count = sum(q for _, q in self.lines())
        self.total_label.setText(
            f"Total: {money.format_money(total, currency)}  ({count} ticket{'s' * (count != 1)})")
        tendered = parse_money(self.tendered.text())
        if self.cash.isChecked() and tendered is not None:
            if tendered >= total:
                self.change_label.setText(f"Change: {money.format_money(tendered - total, currency)}")
                self.change_label.setStyleSheet(f"font-size: 20pt; font-weight: 700; color: {OK_COLOR};")
            else:
                self.change_label.setText(f"{money.format_money(total - tendered, currency)} more is due")
                self.change_label.setStyleSheet(f"font-size: 14pt; font-weight: 700; color: {ERROR_COLOR};")
        else:
            self.change_label.setText("")

    def _show_row_note(self) -> None:
        row = self.current_row()
        self.waitlist_button.setEnabled(row is not None and row.sold_out and self.ctx.may(Action.SELL))
        if row is not None and row.why_not is not None:
            self.note_text(row.why_not, ERROR_COLOR if row.sold_out or row.lease_out else WARN_COLOR)
        elif not self.note.property("sticky"):
            self.note_text("")

    # ------------------------------------------------------------------ payment

    def choose_payment(self, button: QRadioButton) -> None:
        button.setChecked(True)
        self._focus_payment()

    def _kind_toggled(self, kind: int, on: bool) -> None:
        if not on:
            return
        self.pay_fields.setCurrentIndex(kind)
        self.pay_labels.setCurrentIndex(kind)
        self._show_total()

    def _focus_payment(self) -> None:
        field = self.pay_fields.currentWidget()
        if field is None:
            return
        field.setFocus()
        if isinstance(field, QLineEdit):
            field.selectAll()

    def payment(self) -> sales.Payment:
        """What the form says, as the service takes it; the service checks it (a sentence if not)."""
        if self.card.isChecked():
            return sales.Payment(kind=PaymentKind.CARD, card_reference=self.card_ref.text())
        if self.comp.isChecked():
            return sales.Payment(kind=PaymentKind.COMPLIMENTARY, reason=self.reason.text())
        typed = self.tendered.text().strip()
        amount = parse_money(typed)
        if typed and amount is None:
            raise _FormError(f"{typed!r} is not an amount of money; type what was handed over, e.g. 50.")
        return sales.Payment(kind=PaymentKind.CASH, tendered_minor=amount)

    # ------------------------------------------------------------------ selling

    def sell(self) -> None:
        if self.session is not None or not self.sell_button.isEnabled():
            return
        chosen = self.lines()
        if not chosen:
            self.note_text("Choose a product and how many first (arrows, then + or a digit).", ERROR_COLOR)
            self.table.setFocus()
            return
        try:
            payment = self.payment()
        except _FormError as exc:
            self.note_text(str(exc), ERROR_COLOR)
            return
        lines = [(str(r.product.id), q) for r, q in chosen]
        self.ctx.ops.launch("sell", self._sell(lines, payment), owner=self)

    async def _sell(self, lines: list[tuple[str, int]], payment: sales.Payment) -> None:
        ctx = self.ctx
        holder = sales.Holder(name=self.holder_name.text() or None, email=self.holder_email.text() or None)
        self.sell_button.setEnabled(False)
        try:
            order = await ctx.ops.call("sell", lambda: sales.sell(ctx.store, ctx.actor, lines=lines,
                                                                  payment=payment, holder=holder,
                                                                  station=ctx.station))
        except Exception as exc:
            self.sell_button.setEnabled(ctx.allowed(self.sell_button))
            self.note_text(describe_failure(exc), ERROR_COLOR, sticky=True)
            self.refresh()
            return
        self.show_order(order)
        self.sold.emit(order)
        self.clear_form()
        self.refresh()
        await self._encode(order)

    def sell_offer(self) -> None:
        """Sell the selected offer's place to its person, paid as the page's payment says."""
        entry = self.chosen_offer()
        if entry is None or self.session is not None or not self.offer_button.isEnabled():
            if entry is None:
                self.note_text("Select an offer in \"Who to call\" first.", ERROR_COLOR)
            return
        try:
            payment = self.payment()
        except _FormError as exc:
            self.note_text(str(exc), ERROR_COLOR)
            return
        self.ctx.ops.launch("sell offer", self._sell_offer(entry, payment), owner=self)

    async def _sell_offer(self, entry: WaitlistEntryView, payment: sales.Payment) -> None:
        ctx = self.ctx
        self.offer_button.setEnabled(False)
        self.sell_button.setEnabled(False)
        self.note_text(f"Selling {entry.product} to {entry.name}…", WARN_COLOR)
        try:
            order = await ctx.ops.call("sell offer", lambda: door.accept_offer(
                ctx.store, ctx.actor, entry.id, payment, station=ctx.station),
                own_thread=door.through_server(ctx.store))
        except Exception as exc:
            self.sell_button.setEnabled(ctx.allowed(self.sell_button))
            self.note_text(describe_failure(exc), ERROR_COLOR, sticky=True)
            ctx.ops.launch("who to call", self._load_to_call(), owner=self)
            return
        self.show_order(order)
        self.note_text(f"Sold to {entry.name}: booking reference {order.reference}. Read it out; "
                       "now the band.", OK_COLOR)
        self.sold.emit(order)
        self.clear_form()
        self.refresh()  # the products, and who to call now
        await self._encode(order)

    def show_order(self, order: OrderView) -> None:
        self.order = order
        self.reference.setText(order.reference)
        count = len(order.tickets)
        line = f"{count} ticket{'s' * (count != 1)} · {money.format_money(order.total_minor, order.currency)}"
        if order.payment is PaymentKind.CASH and order.change_minor is not None:
            line += f" · give {money.format_money(order.change_minor, order.currency)} change"
            self.change_label.setText(f"Change: {money.format_money(order.change_minor, order.currency)}")
        elif order.payment is PaymentKind.CARD:
            line += " · card"
        else:
            line += " · complimentary"
        self.order_line.setText(line)
        self.print_button.setEnabled(True)
        self.pdf_button.setEnabled(True)
        self.note_text(f"Sold: booking reference {order.reference}. Read it out; now the bands.", OK_COLOR)

    # ------------------------------------------------------------------ encoding

    def _groups(self, order: OrderView) -> list[BatchParams]:
        """One batch per category and series of the order's products, each band linked to a ticket."""
        by_id = {r.product.id: r.product for r in self.rows}
        groups: dict[tuple[uuid.UUID, tuple[uuid.UUID, ...]], list[str]] = {}
        for t in order.tickets:
            p = by_id.get(t.product_id)
            if p is None:
                continue
            groups.setdefault((p.category_id, tuple(p.series_ids)), []).append(t.code)
        return [BatchParams(event_ref=str(order.event_id), category_ref=str(cat),
                            series_refs=tuple(str(s) for s in series), count=len(codes),
                            station=self.ctx.station, ticket_refs=tuple(codes))
                for (cat, series), codes in groups.items()]

    async def _encode(self, order: OrderView) -> None:
        self._tickets = [t.code for t in order.tickets]
        self._done = 0
        self.results = []
        self.tones.enabled = S.SOUNDS.read(S.qsettings())
        self._set_encoding(True)
        stopped = False
        try:
            for params in self._groups(order):
                session = EncodingSession(self.ctx.ops, self._reader_factory, self.ctx.store, self.ctx.actor,
                                          params, self)
                session.job_event.connect(self._on_job_event)
                session.reader_state.connect(self.reader_status)
                self.session = session
                self.say("Opening the reader…", IDLE_BG)
                session.start()
                try:
                    result = await session
                except Exception as exc:
                    self.say("The bands could not be encoded", ERROR_COLOR)
                    self.detail.setText(describe_failure(exc))
                    stopped = True
                    break
                finally:
                    session.deleteLater()
                self.results.append(result)
                if result.status != "completed":
                    stopped = True
                    break
        finally:
            self.session = None
            self._set_encoding(False)
        if stopped:
            if self.results:
                self.say(f"Stopped: {self._done} of {len(self._tickets)} bands encoded", WARN_COLOR)
            self.detail.setText(f"Tickets without a band: {', '.join(self._tickets[self._done:])}. "
                                "Encode them on the Encode page (scan the ticket code).")
        else:
            self.say(f"✓ {len(self._tickets)} band{'s' * (len(self._tickets) != 1)} encoded — next sale",
                     OK_COLOR)
            self.detail.setText(f"Order {order.reference}: every ticket has its band.")
        self.encoding_finished.emit(list(self.results))
        self.table.setFocus()

    def _band_prompt(self) -> str:
        n = len(self._tickets)
        return f"Tap band {self._done + 1} of {n} — ticket {self._tickets[self._done]}"

    def _on_job_event(self, event: JobEvent) -> None:
        if event.kind is EventKind.STARTED:
            self.say(self._band_prompt(), IDLE_BG)
        elif event.kind is EventKind.BAND and event.band is not None:
            band = event.band
            text, color, tone = band_feedback(band)
            self.tones.play(tone)
            if band.outcome.value == "ok" and not band.repeat:
                self._done += 1
                if self._done < len(self._tickets):
                    text = f"✓ {band.label or 'Band'} — now band {self._done + 1} of {len(self._tickets)}"
            self.say(text, color)
            self.detail.setText(band.message)
        elif event.kind is EventKind.READER:
            self.detail.setText(event.message)

    def stop_encoding(self) -> None:
        if self.session is not None:
            self.say("Stopping after this band…", IDLE_BG)
            self.session.cancel()

    def _set_encoding(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.offer_button.setEnabled(not running and self.chosen_offer() is not None
                                     and self.ctx.may(Action.SELL))
        self.sell_button.setEnabled(self.ctx.allowed(self.sell_button) and not running)
        has_order = self.order is not None
        self.print_button.setEnabled(has_order)
        self.pdf_button.setEnabled(has_order)

    # ------------------------------------------------------------------ more places

    def ask_for_more(self, product: ProductView) -> None:
        """A station's lease of ``product`` ran out: ask the server now, not at the next sync."""
        if not door.through_server(self.ctx.store) or not self.ctx.may(Action.SELL):
            return
        now = time.monotonic()
        if now - self._asked.get(product.id, -ASK_AGAIN_S) < ASK_AGAIN_S:
            return
        self._asked[product.id] = now
        self.ctx.ops.launch("lease more", self._lease_more(product), owner=self)

    async def _lease_more(self, product: ProductView) -> None:
        store = self.ctx.store
        self.note_text(f"This station's places of {product.name} ran out: asking the server for more…",
                       WARN_COLOR, sticky=True)
        try:
            lease = await self.ctx.ops.call("lease more", lambda: door.lease_more(store, product.id),
                                            own_thread=True)
        except SoldOutError as exc:  # sold out everywhere: say so in its row, and offer the waitlist
            self._sold_out_at_server.add(product.id)
            self.show_rows(self.rows)
            log.info("no lease of %s: %s", product.name, exc.message)
            self.note_text(f"The server has no place of {product.name} free to lease (sold out, or held by "
                           "other stations): add the buyer to the waitlist (Alt+W).", ERROR_COLOR,
                           sticky=True)
            return
        except Exception as exc:
            self.note_text(describe_failure(exc), ERROR_COLOR, sticky=True)
            return
        self._sold_out_at_server.discard(product.id)
        self.note_text(f"The server leased {lease.size:,} more place{'s' * (lease.size != 1)} of "
                       f"{product.name} to this station.", OK_COLOR, sticky=True)
        self.refresh()

    # ------------------------------------------------------------------ waitlist and refunds

    def ask_waitlist(self) -> None:
        row = self.current_row()
        if row is None or not row.sold_out:
            return
        dialog = WaitlistDialog(row.product.name, self)
        self.waitlist_dialog = dialog
        dialog.submitted.connect(lambda: self.ctx.ops.launch("waitlist", self._add_to_waitlist(
            dialog, row.product), owner=dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    async def _add_to_waitlist(self, dialog: WaitlistDialog, product: ProductView) -> None:
        ctx = self.ctx
        name, contact = dialog.name.text(), dialog.contact.text()
        dialog.busy(True)
        try:
            entry = await ctx.ops.call("waitlist", lambda: door.add_to_waitlist(
                ctx.store, ctx.actor, product.id, name, contact), own_thread=door.through_server(ctx.store))
        except Exception as exc:
            dialog.refuse(describe_failure(exc))
            return
        dialog.succeed()
        self.note_text(f"{entry.name} is on the waitlist for {entry.product}; we call {entry.contact} when a "
                       "place frees up.", OK_COLOR, sticky=True)
        ctx.ops.launch("who to call", self._load_to_call(), owner=self)

    def ask_refund(self) -> None:
        if not self.ctx.may(Action.REFUND):
            self.note_text(self.ctx.why_not(Action.REFUND), ERROR_COLOR, sticky=True)
            return
        dialog = RefundDialog(self.order.reference if self.order is not None else "", self)
        self.refund_dialog = dialog
        dialog.lookup.connect(lambda reference: self.ctx.ops.launch(
            "refund lookup", self._find_order(dialog, reference), owner=dialog))
        dialog.submitted.connect(lambda: self.ctx.ops.launch("refund", self._refund(dialog), owner=dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        if self.order is not None:
            dialog.look_up()  # the order just sold: its tickets at once

    async def _find_order(self, dialog: RefundDialog, reference: str) -> None:
        ctx = self.ctx
        dialog.busy(True, "Looking it up…")
        try:
            order = await ctx.ops.call("refund lookup", lambda: door.get_order(
                ctx.store, ctx.actor, reference), own_thread=door.through_server(ctx.store))
        except Exception as exc:
            dialog.refuse(describe_failure(exc))
            return
        dialog.show_order(order)
        dialog.tickets.setFocus()

    async def _refund(self, dialog: RefundDialog) -> None:
        ctx = self.ctx
        if dialog.nothing_ticked():
            dialog.refuse("Tick at least one ticket to refund; nothing was refunded.")
            return
        reference, codes, reason = dialog.reference.text(), dialog.codes(), dialog.reason.text()
        dialog.busy(True)
        try:
            done = await ctx.ops.call("refund", lambda: door.refund(
                ctx.store, ctx.actor, reference, reason=reason, ticket_codes=codes, station=ctx.station),
                own_thread=door.through_server(ctx.store))
        except Exception as exc:
            dialog.refuse(describe_failure(exc))
            if dialog.order is not None:  # show what is refundable now (another desk may have refunded)
                sentence = dialog.message.text()
                await self._find_order(dialog, reference)
                dialog.refuse(sentence)
            return
        dialog.succeed()
        n = len(done.ticket_codes)
        how = {PaymentKind.CASH: "give it back in cash", PaymentKind.CARD: "refund it to the card",
               PaymentKind.COMPLIMENTARY: "nothing to give back"}[done.payment]
        amount = money.format_money(done.amount_minor, done.currency)
        self.note_text(f"Refunded {n} ticket{'s' * (n != 1)} of {done.reference}: {amount}, {how}. Their "
                       "bands no longer open any gate.", OK_COLOR, sticky=True)
        self.refresh()

    # ------------------------------------------------------------------ products

    def open_products(self) -> None:
        """The Products dialog, on the event of the product under the cursor; a save refreshes the list."""
        if not self.ctx.may(Action.MANAGE_PRODUCTS):
            self.note_text(self.ctx.why_not(Action.MANAGE_PRODUCTS), ERROR_COLOR, sticky=True)
            return
        row = self.current_row()
        dialog = ProductsDialog(self.ctx, row.product.event_id if row is not None else None, self)
        self.products_dialog = dialog
        dialog.saved.connect(lambda _product: self.refresh())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        dialog.refresh()

    # ------------------------------------------------------------------ receipt

    def print_receipt(self) -> None:
        if self.order is not None:
            receipt.print_receipt(self.order, self)

    def ask_save_pdf(self) -> None:
        if self.order is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the receipt", f"receipt-{self.order.reference}.pdf",
                                              "PDF (*.pdf)")
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> None:
        """Write the last order's receipt as a PDF: painted here, into memory (Qt's painter belongs to the
        GUI thread; one page, a few milliseconds), written to the file on the database thread."""
        assert self.order is not None
        data = receipt.pdf_bytes(self.order)
        self.ctx.ops.launch("save receipt", self._write_pdf(path, data), owner=self)

    async def _write_pdf(self, path: Path, data: bytes) -> None:
        try:
            await self.ctx.ops.call("save receipt", lambda: path.write_bytes(data))
        except OSError as exc:
            self.note_text(f"The receipt could not be saved to {path}: {exc.strerror or exc}.", ERROR_COLOR,
                           sticky=True)
            return
        self.note_text(f"Receipt saved: {path}", OK_COLOR, sticky=True)

    # ------------------------------------------------------------------ display

    def say(self, text: str, background: str) -> None:
        self.prompt.say(text, background)

    def note_text(self, text: str, color: str = "#555", *, sticky: bool = False) -> None:
        """The line under the products; ``sticky`` keeps it when the cursor moves (a result, a refusal)."""
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.note.setProperty("sticky", sticky and bool(text))
        self.note_changed.emit(text)

    def clear_form(self) -> None:
        self.quantities.clear()
        for i in range(self.table.rowCount()):
            item = self.table.item(i, QTY_COL)
            if item is not None:
                item.setText("")
        for edit in (self.holder_name, self.holder_email, self.tendered, self.card_ref, self.reason):
            edit.clear()
        self.cash.setChecked(True)
        self._show_total()

    def clear(self) -> None:
        """Esc: start the sale again (an order already sold and its bands stay as they are)."""
        self.clear_form()
        self.note_text("")
        self.table.setFocus()

    screenshot_settle_ms = 2500

    def prepare_screenshot(self) -> None:
        """For the screenshot command: two of the first product on sale, paid in cash, not sold."""
        for i, row in enumerate(self.rows):
            if row.why_not is None:
                self.table.setCurrentCell(i, 0)
                self.set_quantity(row, min(2, row.left or 2))
                self.tendered.setText(f"{(row.product.price_minor * 2 + 999) // 1000 * 10:d}")
                self.holder_name.setText("Sanne de Vries")
                break


class _FormError(BoxOfficeError):
    code = "sales_form"
