"""The status bar: sync state, reader state, and who is acting with which role.

Sync state is read from the store (``sync_status``) on the database thread
every few seconds and whenever the sync worker reports, so the bar shows the
queue even when no sync runs (a station working offline on purpose).
On a station, the places its leases still hold per product are shown too
("Leases: Day 14 · Weekend 3"), read with the same poll.
Refused changes get a button that opens the list with their reasons: a
change the server refused must never be silently dropped.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QStatusBar, QWidget

from boxoffice.schemas.sales import HeldPlaces
from boxoffice.services import place_leases
from boxoffice.sync.refused import unseen_count
from boxoffice.sync.state import SyncStatus, sync_status
from ui.context import AppContext
from ui.style import ERROR_COLOR, OK_COLOR, WARN_COLOR

REFRESH_MS = 3000


class StatusBar(QStatusBar):
    rejected_clicked = Signal()
    sync_updated = Signal(object)  # SyncStatus

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sync_label = QLabel("Sync: …")
        self.sync_label.setObjectName("syncState")
        self.rejected_button = QPushButton()
        self.rejected_button.setObjectName("rejectedButton")
        self.rejected_button.setFlat(True)
        self.rejected_button.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: 600;")
        self.rejected_button.hide()
        self.rejected_button.clicked.connect(self.rejected_clicked)
        self.lease_label = QLabel()
        self.lease_label.setObjectName("leaseState")
        self.lease_label.hide()
        self.reader_label = QLabel("Reader: not open")
        self.reader_label.setObjectName("readerState")
        self.user_label = QLabel()
        self.user_label.setObjectName("userState")
        self.busy_label = QLabel()
        for label in (self.busy_label, self.lease_label, self.reader_label, self.user_label):
            label.setContentsMargins(10, 0, 4, 0)  # apart, so "Reader: …" and who acts don't run together
        # The sync line gives way on a narrow screen (its whole text is its tooltip) rather than set
        # the window's minimum width: the window must fit an 800-pixel-wide screen.
        self.sync_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.sync_label.setMinimumWidth(160)
        self.addWidget(self.sync_label, 1)
        self.addWidget(self.rejected_button)
        self.addPermanentWidget(self.busy_label)
        self.addPermanentWidget(self.lease_label)
        self.addPermanentWidget(self.reader_label)
        self.addPermanentWidget(self.user_label)
        self.status: SyncStatus | None = None
        self.show_user()
        ctx.ops.busy_changed.connect(lambda busy: self.busy_label.setText("Working…" if busy else ""))
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        QTimer.singleShot(0, self.poll)

    def stop(self) -> None:
        """No more polling: the window is closing."""
        self._timer.stop()

    def show_user(self) -> None:
        a = self.ctx.actor
        station = f" at {self.ctx.station}" if self.ctx.station else ""
        self.user_label.setText(f"{a.email} ({a.role.value}){station}")

    def poll(self) -> None:
        store = self.ctx.store

        def read() -> tuple[SyncStatus, int, list[HeldPlaces] | None]:
            held = place_leases.held(store) if store.mode == "station" else None
            return sync_status(store), unseen_count(store), held

        def show(found: tuple[SyncStatus, int, list[HeldPlaces] | None]) -> None:
            self.show_sync(found[0], found[1])
            self.show_leases(found[2])

        self.ctx.ops.run("sync status", read, show, lambda _e: None, owner=self)

    def show_sync(self, status: SyncStatus, unseen: int | None = None) -> None:
        """``unseen``: refused changes nobody has marked seen yet (defaults to all refused)."""
        self.status = status
        if status.server is None:
            color = WARN_COLOR if status.queue_depth else "#555"
            text = "Working on this computer only"
            if status.queue_depth:
                text += f" · {status.queue_depth} changes kept for the server"
        else:
            color = {True: OK_COLOR, False: ERROR_COLOR, None: WARN_COLOR}[status.online]
            text = status.describe()
        self.sync_label.setText(f"● {text}")
        self.sync_label.setToolTip(text)
        self.sync_label.setStyleSheet(f"color: {color};")
        unseen = status.rejected if unseen is None else unseen
        if unseen:
            self.rejected_button.setText(f"{unseen} refused by the server…")
            self.rejected_button.show()
        else:
            self.rejected_button.hide()
        self.sync_updated.emit(status)

    def show_reader(self, text: str, ok: bool) -> None:
        self.reader_label.setText(f"Reader: {text}")
        self.reader_label.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")

    def show_leases(self, held: list[HeldPlaces] | None) -> None:
        """The places this station still holds per product; hidden off a station (nothing is leased)."""
        if held is None:
            self.lease_label.hide()
            return
        self.lease_label.setText(lease_line(held))
        used_up = [h.product for h in held if h.used_up]
        self.lease_label.setToolTip(
            "Places this station may still sell offline, from the leases the server granted it."
            + (f" Used up: {', '.join(used_up)}." if used_up else ""))
        self.lease_label.setStyleSheet(f"color: {WARN_COLOR if used_up else '#555'};")
        self.lease_label.show()


def lease_line(held: list[HeldPlaces]) -> str:
    """"Leases: Day 14 · Weekend 3" (a product's name shortened to its first word when that is unique)."""
    if not held:
        return "Leases: none"
    firsts = [h.product.split()[0] if h.product.split() else h.product for h in held]
    short = [f if firsts.count(f) == 1 else h.product for f, h in zip(firsts, held, strict=True)]
    return "Leases: " + " · ".join(f"{name} {h.remaining:,}" for name, h in zip(short, held, strict=True))
