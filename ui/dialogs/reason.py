"""Asking why: every lifecycle change is logged with a reason someone will read in a report."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

MAX_REASON = 1000


class ReasonDialog(QDialog):
    """A sentence of reason; OK stays disabled until there is one (the service refuses a blank one)."""

    def __init__(self, title: str, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("For example: line-up announced, tickets on sale")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.text)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._update)
        self._update()

    def reason(self) -> str:
        return self.text.toPlainText().strip()[:MAX_REASON]

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.reason()))
