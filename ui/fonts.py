"""The fonts the program ships, on screen too: what a report can print, a window can show.

The reports embed DejaVu Sans (Latin, Greek, Cyrillic, Hebrew, Arabic) and
Droid Sans Fallback (Chinese, Japanese, Korean) from ``resources/fonts``. A
desktop with only its base fonts may have neither script, and a ticket
holder's name in it would show as empty boxes in Lookup. So at start-up the
same files are registered with Qt (``QFontDatabase.addApplicationFont``) and
put behind the system's own family as fallbacks, both in the application
font (``QFont.setFamilies``: every widget that inherits it) and as
substitutions of that family (a font built by family name elsewhere). The
system font still draws everything it can, so the window keeps its native
look.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from ui.resources import ResourceMissingError, font

log = logging.getLogger(__name__)

#: The report fonts, in the order a character falls back through them.
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DroidSansFallback.ttf")

_lock = threading.Lock()
_fallbacks: list[str] = []


def install_fonts(app: QGuiApplication | None = None) -> list[str]:
    """Register the shipped fonts once and make them the fallbacks of the application font.

    Returns the fallback families, in order. A missing file is logged, not raised: the window still
    works, only names in that script would show as boxes.
    """
    running = app or QGuiApplication.instance()
    with _lock:
        if not _fallbacks:
            for name in FONT_FILES:
                try:
                    path = font(name)
                except ResourceMissingError as error:
                    log.warning("%s", error)
                    continue
                font_id = QFontDatabase.addApplicationFont(str(path))
                if font_id < 0:
                    log.warning("Qt could not load the font %s", path)
                    continue
                for family in QFontDatabase.applicationFontFamilies(font_id):
                    if family not in _fallbacks:
                        _fallbacks.append(family)
            log.debug("fonts registered: %s", ", ".join(_fallbacks))
        fallbacks = list(_fallbacks)
    if running is not None and fallbacks:
        base = QGuiApplication.font()
        primary = base.family()
        families = [primary, *[f for f in fallbacks if f != primary]]
        if base.families() != families:
            base.setFamilies(families)
            QGuiApplication.setFont(base)
        QFont.insertSubstitutions(primary, [f for f in fallbacks if f != primary])
    return fallbacks
