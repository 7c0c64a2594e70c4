"""The Sales page's two small dialogs: put a person on a waitlist, and refund an order's tickets.

Each only asks; the page does the work (``boxoffice.sync.door`` through
``ui.ops``, a coroutine owned by the dialog). Pressing the dialog's button
emits ``submitted`` and the dialog stays open while the call runs (its
fields and buttons disabled, "Working…"): a refusal comes back as a sentence
in the dialog (``refuse``) so the person can correct what they typed, and
success closes it (``succeed``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from boxoffice.schemas.sales import OrderView
from ui.style import ERROR_COLOR

WORKING = "Working…"


class _Form(QDialog):
    submitted = Signal()

    def __init__(self, title: str, intro: str, ok: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.message = QLabel()
        self.message.setObjectName("dialogMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: 600;")
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_text = ok
        self.ok = self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.intro)
        self.body.addLayout(self.form)
        self.body.addWidget(self.message)
        self.body.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.working = False

    def field(self, label: str, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        caption = QLabel(label)
        caption.setBuddy(edit)
        self.form.addRow(caption, edit)
        return edit

    # -- the page's call: submitted, then refuse or succeed

    def accept(self) -> None:
        """The button (or Enter): ask the page to do it; the dialog stays open until it is done."""
        if not self.working:
            self.submitted.emit()

    def reject(self) -> None:
        if not self.working:  # a call under way is waited for (its button is disabled too)
            super().reject()

    def busy(self, on: bool, text: str = WORKING) -> None:
        self.working = on
        for child in self.findChildren(QWidget):
            if isinstance(child, (QLineEdit, QPushButton, QListWidget)):
                child.setEnabled(not on)
        self.ok.setText(text if on else self.ok_text)
        if on:
            self.message.hide()

    def refuse(self, sentence: str) -> None:
        """The call was refused: say why here, and let the person correct it."""
        self.busy(False)
        self.message.setText(sentence)
        self.message.show()

    def succeed(self) -> None:
        self.busy(False)
        super().accept()


class WaitlistDialog(_Form):
    def __init__(self, product: str, parent: QWidget | None = None) -> None:
        super().__init__("Add to the waitlist", f"{product} is sold out. Whom should we call when a place "
                         "frees up?", "&Add to waitlist", parent)
        self.product = product
        self.name = self.field("&Name", "waitlistName")
        self.contact = self.field("&Contact", "waitlistContact", "Phone number or e-mail")


class RefundDialog(_Form):
    """A booking reference (Enter or Find looks the order up), its tickets to tick, and why.

    ``lookup(reference)`` asks the page to find the order; ``show_order`` lists
    its tickets, all ticked, the refunded ones shown but not to be ticked.
    """

    lookup = Signal(str)

    def __init__(self, reference: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Refund", "Type the booking reference and press Enter: untick the tickets to keep. "
                         "The refunded ones stop working at every gate.", "&Refund", parent)
        self.order: OrderView | None = None
        self.reference = QLineEdit(reference)
        self.reference.setObjectName("refundReference")
        self.reference.setPlaceholderText("e.g. K7QX4M")
        self.find_button = QPushButton("F&ind")
        self.find_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.reference, 1)
        row.addWidget(self.find_button)
        caption = QLabel("Booking r&eference")
        caption.setBuddy(self.reference)
        self.form.addRow(caption, row)
        self.tickets = QListWidget()
        self.tickets.setObjectName("refundTickets")
        self.tickets.setMinimumHeight(120)
        tickets_caption = QLabel("&Tickets")
        tickets_caption.setBuddy(self.tickets)
        self.form.addRow(tickets_caption, self.tickets)
        self.reason = self.field("Re&ason", "refundReason", "Why, for the cash-up")
        self.find_button.clicked.connect(self.look_up)
        self.reference.installEventFilter(self)
        self.reference.textEdited.connect(self._forget_order)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.reference and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.look_up()  # Enter in the reference looks it up, rather than refunding at once
            return True
        return super().eventFilter(watched, event)

    def look_up(self) -> None:
        if not self.working and self.reference.text().strip():
            self.lookup.emit(self.reference.text().strip())

    def _forget_order(self) -> None:
        self.order = None
        self.tickets.clear()

    def show_order(self, order: OrderView) -> None:
        self.busy(False)
        self.message.hide()
        self.order = order
        self.reference.setText(order.reference)
        self.tickets.clear()
        for t in order.tickets:
            item = QListWidgetItem(f"{t.code} · {t.product}" + ("  (refunded)" if t.refunded else ""))
            item.setData(Qt.ItemDataRole.UserRole, t.code)
            if t.refunded:
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable)  # shown, greyed, not to be ticked
                item.setCheckState(Qt.CheckState.Unchecked)
            else:
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                              | Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Checked)
            self.tickets.addItem(item)
        if self.tickets.count():
            self.tickets.setCurrentRow(0)

    def codes(self) -> list[str]:
        """The ticked tickets' codes; empty when no order was looked up (then all of them)."""
        out = []
        for i in range(self.tickets.count()):
            item = self.tickets.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsEnabled and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def nothing_ticked(self) -> bool:
        return self.order is not None and not self.codes()
