"""A gate scanner's login as a QR code: the supervisor makes a device token, the steward's phone scans it.

The token is made by the server (``POST /api/scanner/device-tokens``, through
``boxoffice.monitor.scanners``) on a thread of its own (``Ops.spawn``); the QR
code holds the scanner page's address with the token in its fragment, which
the browser never sends to the server.
"""

from __future__ import annotations

import io

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from boxoffice.monitor import scanners
from ui.context import AppContext
from ui.ops import describe_failure


def qr_pixmap(text: str, scale: int = 8) -> QPixmap:
    """``text`` as a QR code (error correction M), drawn at ``scale`` pixels a module."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=3)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class ScannerLoginDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Log a phone in as a gate scanner")
        self.setObjectName("scannerLoginDialog")
        self.email = QLineEdit()
        self.email.setObjectName("scannerEmail")
        self.email.setPlaceholderText("the gate member's e-mail, e.g. gate@festival.example")
        self.label = QLineEdit()
        self.label.setObjectName("scannerLabel")
        self.label.setPlaceholderText("e.g. Main gate, lane 2")
        self.public_url = QLineEdit()
        self.public_url.setObjectName("scannerPublicUrl")
        self.public_url.setPlaceholderText("https://gates.festival.example (blank: this station's server)")
        self.make = QPushButton("Make login")
        self.make.setObjectName("scannerMake")
        self.qr = QLabel("The QR code appears here.")
        self.qr.setObjectName("scannerQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setMinimumSize(320, 320)
        self.link = QLabel()
        self.link.setObjectName("scannerLink")
        self.link.setWordWrap(True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Gate member", self.email)
        form.addRow("Lane", self.label)
        form.addRow("Address phones use", self.public_url)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Open the phone's camera on the code: Chrome opens the scanner, logged in.\n"
                                "Each code is a login of its own; revoke it like any device token."))
        layout.addLayout(form)
        layout.addWidget(self.make)
        layout.addWidget(self.qr, 1)
        layout.addWidget(self.link)
        layout.addWidget(buttons)
        self.make.clicked.connect(self._make)

    def _make(self) -> None:
        email, label = self.email.text().strip(), self.label.text().strip()
        public = self.public_url.text().strip() or None
        if not email:
            self.link.setText("Give the e-mail of a member with the gate role.")
            return
        self.make.setEnabled(False)
        self.link.setText("Asking the server…")
        store = self.ctx.store
        self.ctx.ops.spawn("scanner login", lambda: scanners.scanner_link(store, email, label, public),
                           self._made, self._failed, owner=self)

    def _made(self, link: scanners.ScannerLink) -> None:
        self.make.setEnabled(True)
        self.qr.setPixmap(qr_pixmap(link.url))
        self.link.setText(link.url)

    def _failed(self, exc: BaseException) -> None:
        self.make.setEnabled(True)
        self.link.setText(describe_failure(exc))
