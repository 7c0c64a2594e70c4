"""The Sales page's two small dialogs: put a person on a waitlist, and refund an order's tickets.

Each only asks; the page does the work (``boxoffice.sync.door`` through
``ui.ops``) and says how it went.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget


class _Form(QDialog):
    def __init__(self, title: str, intro: str, ok: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def field(self, label: str, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        caption = QLabel(label)
        caption.setBuddy(edit)
        self.form.addRow(caption, edit)
        return edit


class WaitlistDialog(_Form):
    def __init__(self, product: str, parent: QWidget | None = None) -> None:
        super().__init__("Add to the waitlist", f"{product} is sold out. Whom should we call when a place "
                         "frees up?", "&Add to waitlist", parent)
        self.product = product
        self.name = self.field("&Name", "waitlistName")
        self.contact = self.field("&Contact", "waitlistContact", "Phone number or e-mail")


class RefundDialog(_Form):
    def __init__(self, reference: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Refund", "Refund all tickets of an order, or only those named. Their bands stop "
                         "working at every gate.", "&Refund", parent)
        self.reference = self.field("Booking r&eference", "refundReference", "e.g. K7QX4M")
        self.reference.setText(reference)
        self.tickets = self.field("&Tickets", "refundTickets", "Empty: all; or codes, e.g. K7QX4M-2")
        self.reason = self.field("Re&ason", "refundReason", "Why, for the cash-up")

    def codes(self) -> list[str]:
        return [c.strip() for c in self.tickets.text().replace(";", ",").split(",") if c.strip()]
