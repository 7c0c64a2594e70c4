"""Names in any script the reports print also show on screen: the shipped fonts are Qt's fallbacks.

On this machine kind Qt sees only the base fonts (DejaVu); without the
program's own fonts registered, 東京 would be drawn as empty boxes. Each
check lays the text out with the widget's own font, as Qt draws it, and looks
at the glyphs of every run: glyph 0 is the font's empty box.
"""

from __future__ import annotations

import uuid

from PySide6.QtGui import QFont, QFontDatabase, QTextLayout
from pytestqt.qtbot import QtBot

from boxoffice.services import wristbands
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Ticket, Wristband
from tests.helpers.windows import EVENT, Festival, WindowFactory
from tests.ui.test_lookup_page import find, lookup_page
from ui.fonts import install_fonts

CJK_NAME = "山田 東京"
ARABIC_NAME = "محمد الأحمد"
NAMES = (CJK_NAME, ARABIC_NAME, "Zoë Łódź Ørsted", "Жанна Ωμέγα", "שלום כהן", "김민수", "さくら")


def missing_glyphs(text: str, font: QFont) -> list[str]:
    """The runs of ``text`` Qt would draw with ``font`` as empty boxes (glyph 0), with their font."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    missing = []
    for run in layout.glyphRuns():
        if 0 in run.glyphIndexes():
            missing.append(run.rawFont().familyName())
    return missing


def test_the_shipped_fonts_are_registered_and_behind_the_system_font(qapp) -> None:
    families = install_fonts()
    assert families[:2] == ["DejaVu Sans", "Droid Sans Fallback"]
    app_font = qapp.font()
    assert app_font.families()[1:] == families or app_font.families() == families  # the system's first
    assert "Droid Sans Fallback" in QFontDatabase.families()
    for text in NAMES:
        assert missing_glyphs(text, app_font) == [], text


def test_droid_sans_fallback_has_no_arabic_and_dejavu_sans_has(qapp) -> None:
    """Why no third font is shipped: DejaVu Sans covers Arabic (and Hebrew); Droid covers CJK."""
    from PySide6.QtGui import QRawFont

    install_fonts()
    dejavu, droid = (QRawFont.fromFont(QFont(name)) for name in ("DejaVu Sans", "Droid Sans Fallback"))
    assert dejavu.familyName() == "DejaVu Sans" and droid.familyName() == "Droid Sans Fallback"
    assert all(dejavu.supportsCharacter(ord(ch)) for ch in ARABIC_NAME if not ch.isspace())
    assert not any(droid.supportsCharacter(ord(ch)) for ch in ARABIC_NAME if not ch.isspace())
    assert all(droid.supportsCharacter(ord(ch)) for ch in CJK_NAME if not ch.isspace())


def test_a_ticket_holders_name_in_chinese_or_arabic_shows_in_lookup(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    uids = {CJK_NAME: "04A1B2C3D4E501", ARABIC_NAME: "04A1B2C3D4E502"}
    for name, uid in uids.items():
        band = wristbands.register_band(store, owner, EVENT, "VIP", uid, station="Desk 1")
        with store.write() as session:
            ticket = Ticket(id=uuid.uuid4(), event_id=uuid.UUID(festival.event_id), code=f"T-{uid[-2:]}",
                            category_id=uuid.UUID(festival.categories["VIP"]), holder_name=name)
            session.add(ticket)
            session.get_one(Wristband, band.id).ticket_id = ticket.id
    page = lookup_page(qtbot, make_window, owner)
    for name, uid in uids.items():
        find(qtbot, page, uid)
        assert name in page.facts.text()
        assert missing_glyphs(name, page.facts.font()) == [], f"{name} shows as boxes in Lookup"
        bold = QFont(page.facts.font())
        bold.setBold(True)
        assert missing_glyphs(name, bold) == []
