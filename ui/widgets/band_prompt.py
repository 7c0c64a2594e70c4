"""What a person at an encoding counter reads and hears: the big prompt, its colour, and the tones.

Shared by the Encode page (a box of bands) and the Sales page (one band per
ticket just sold): the prompt is meant to be read from a metre away, one
short sentence, large, on a colour that says how the last band went, and
each band gets its tone. ``band_feedback`` is the one mapping from a band's
report to those three.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from boxoffice.domain.enums import EncodeOutcome
from hardware.station.encode_job import BandReport
from ui.resources import sound
from ui.style import ERROR_COLOR, OK_COLOR, WARN_COLOR

if TYPE_CHECKING:  # imported for real in Tones: a Qt build may lack multimedia
    from PySide6.QtMultimedia import QSoundEffect

log = logging.getLogger(__name__)

IDLE_BG = "#34495E"
OUTCOME_COLORS = {
    EncodeOutcome.OK: OK_COLOR,
    EncodeOutcome.DUPLICATE: WARN_COLOR,
}
OUTCOME_WORDS = {
    EncodeOutcome.OK: "Encoded",
    EncodeOutcome.DUPLICATE: "Already encoded",
    EncodeOutcome.FOREIGN_TAG: "Not a wristband",
    EncodeOutcome.LOCKED: "Locked band",
    EncodeOutcome.WRITE_FAILED: "Write failed",
    EncodeOutcome.REMOVED: "Removed too early",
}


class Tones:
    """The three tones, loaded once; silent when sounds are off or the machine has no audio."""

    def __init__(self, parent: QObject) -> None:
        self.enabled = True
        self.played: list[str] = []  # what was asked for, newest last (tests and the log read it)
        self._effects: dict[str, QSoundEffect] = {}
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError:  # a Qt build without multimedia: the colours still tell
            log.info("no QtMultimedia: encoding without sounds")
            return
        for name in ("ok", "error", "duplicate"):
            effect = QSoundEffect(parent)
            effect.setSource(QUrl.fromLocalFile(str(sound(name))))
            effect.setVolume(0.8)
            self._effects[name] = effect

    def play(self, name: str) -> None:
        if not self.enabled:
            return
        self.played.append(name)
        effect = self._effects.get(name)
        if effect is not None:
            effect.play()


class BandPrompt(QLabel):
    """One short sentence, large and centred, on a colour: ``say(text, background)``."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, point_size: int = 30,
                 min_height: int = 150) -> None:
        super().__init__(text, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(min_height)
        font = QFont()
        font.setPointSize(point_size)
        font.setBold(True)
        self.setFont(font)
        self.background = IDLE_BG
        self._paint(IDLE_BG)

    def say(self, text: str, background: str = IDLE_BG) -> None:
        self.setText(text)
        self._paint(background)

    def _paint(self, background: str) -> None:
        self.background = background
        self.setStyleSheet(f"background: {background}; color: white; border-radius: 10px; padding: 16px;")


def band_feedback(band: BandReport, reader_gone_prompt: str = "Reader unplugged — plug it back in",
                  ) -> tuple[str, str, str]:
    """The prompt, its colour and the tone for one tap's report."""
    outcome = band.outcome
    color = OUTCOME_COLORS.get(outcome, ERROR_COLOR)
    if outcome is EncodeOutcome.OK:
        return (f"✓ {band.label or 'Band'} — take it, tap the next", color,
                "ok" if not band.repeat else "duplicate")
    if outcome is EncodeOutcome.DUPLICATE:
        return f"{OUTCOME_WORDS[outcome]}: {band.label or band.uid}", color, "duplicate"
    if outcome is EncodeOutcome.REMOVED and band.reader_gone:
        return reader_gone_prompt, color, "error"
    if outcome is EncodeOutcome.REMOVED:
        return "Removed too early — tap that band again", color, "error"
    return f"{OUTCOME_WORDS.get(outcome, 'Failed')} — put this one aside", color, "error"
