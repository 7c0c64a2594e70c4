"""The settings dialog: one row per declared setting (``ui.settings.ALL``), saved on OK."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui import settings as S


class SettingsDialog(QDialog):
    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._store = store
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for setting in S.ALL:
            editor = self._editor(setting)
            editor.setToolTip(setting.help)
            self.editors[setting.key] = editor
            label = QLabel(setting.label)
            label.setBuddy(editor)
            # What the setting does, in full under its field (a placeholder or tooltip alone was cut off).
            # One line each (a wrapped label in a form row gets cut short): the dialog is as wide as they are.
            help_text = QLabel(setting.help)
            help_text.setStyleSheet("color: #666; font-size: 9pt;")
            field = QVBoxLayout()
            field.setSpacing(1)
            field.addWidget(editor)
            field.addWidget(help_text)
            form.addRow(label, field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)


    def _editor(self, setting: S.Setting[Any]) -> QWidget:
        value = setting.read(self._store)
        if isinstance(setting.default, bool):
            box = QCheckBox()
            box.setChecked(bool(value))
            return box
        if isinstance(setting.default, float):
            spin = QDoubleSpinBox()
            # Percentages go to 100; the other float settings are seconds, up to a minute.
            spin.setRange(0.1 if setting.key.endswith("_pct") else 0.0,
                          100.0 if setting.key.endswith("_pct") else 60.0)
            spin.setValue(float(value))
            return spin
        if isinstance(setting.default, int):
            whole = QSpinBox()
            whole.setRange(1, 24 * 60)
            whole.setValue(int(value))
            return whole
        line = QLineEdit(str(value))
        line.setPlaceholderText(setting.example)
        return line

    def value_of(self, setting: S.Setting[Any]) -> Any:
        editor = self.editors[setting.key]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QDoubleSpinBox | QSpinBox):
            return editor.value()
        assert isinstance(editor, QLineEdit)
        return editor.text().strip()

    def _save(self) -> None:
        for setting in S.ALL:
            setting.write(self._store, self.value_of(setting))
        self._store.sync()
        self.accept()
