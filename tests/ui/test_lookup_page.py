"""Lookup through the window: type a UID or ticket code, see the card, void and replace with reasons."""

from __future__ import annotations

import uuid
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import BandStatus, CheckinResult, Direction, Role, SeriesStatus
from boxoffice.services import assignments, checkins, wristbands
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Ticket, Wristband
from boxoffice.store.types import utcnow
from tests.helpers.stores import table_counts
from tests.helpers.windows import EVENT, Festival, WindowFactory, wait_idle
from ui.pages.lookup_page import LookupPage

OLD, NEW = "04A1B2C3D4E5F6", "04A1B2C3D4E5F7"


def open_now(store: Store, owner: Actor, festival: Festival) -> None:
    """Friday made to run now, with its entrance, so a tap can be recorded."""
    detail = svc.series_detail(store, owner, festival.series_id)
    now = utcnow()
    svc.update_series(store, owner, festival.series_id, detail.series.version,
                      {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=5),
                       "checkin_opens_at": now - timedelta(hours=1), "checkin_closes_at": now + timedelta(hours=5)})
    svc.assign_gates(store, owner, festival.series_id, [festival.gates["Quay"]])
    for target in (SeriesStatus.SCHEDULED, SeriesStatus.ACTIVE):
        svc.transition_series(store, owner, festival.series_id, target, "test")


def lookup_page(qtbot: QtBot, make_window: WindowFactory, actor: Actor) -> LookupPage:
    window = make_window(actor)
    window.show_page("Lookup")
    page = window.page_named("Lookup")
    assert isinstance(page, LookupPage)
    wait_idle(qtbot, window.ctx.ops)
    return page


def find(qtbot: QtBot, page: LookupPage, text: str) -> None:
    page.query.setText(text)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page.query, Qt.Key.Key_Return)


def test_a_typed_uid_or_ticket_code_shows_the_card_with_recent_check_ins(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    open_now(store, owner, festival)
    band = wristbands.register_band(store, owner, EVENT, "VIP", OLD, station="Desk 1")
    with store.write() as session:
        ticket = Ticket(id=uuid.uuid4(), event_id=uuid.UUID(festival.event_id), code="T-77",
                        category_id=uuid.UUID(festival.categories["VIP"]), holder_name="Zoë Ørsted")
        session.add(ticket)
        session.get_one(Wristband, band.id).ticket_id = ticket.id
    assignments.assign_bands(store, owner, festival.series_id, uids=[OLD])
    checkins.record_tap(store, owner, festival.series_id, festival.gates["Quay"], OLD, Direction.IN)
    page = lookup_page(qtbot, make_window, owner)

    find(qtbot, page, "04:a1:b2:c3:d4:e5:f6")  # as a person might type it
    card = page.card
    assert card is not None and card.uid == OLD and card.status is BandStatus.ACTIVE
    assert "VIP #0001" in page.heading.text() and "ACTIVE" in page.heading.text()
    assert "T-77" in page.facts.text() and "Zoë Ørsted" in page.facts.text()
    assert page.series.text() == "Series: Friday (active)"
    assert page.checkins.rowCount() == 1
    assert (page.checkins.item(0, 1).text(), page.checkins.item(0, 4).text()) == ("Quay", "Allowed")
    assert page.void.isEnabled() and page.lost.isEnabled() and page.replace.isEnabled()

    find(qtbot, page, "t-77")  # the ticket code finds the same band
    assert page.card is not None and page.card.uid == OLD, page.message.text()

    before = table_counts(store)
    find(qtbot, page, "04FFFFFFFFFFFF")
    assert page.card is None and "04FFFFFFFFFFFF" in page.message.text()
    assert not page.void.isEnabled()
    assert table_counts(store) == before


def test_void_asks_why_and_the_gate_then_denies_the_band(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    open_now(store, owner, festival)
    wristbands.register_band(store, owner, EVENT, "GA", OLD)
    assignments.assign_bands(store, owner, festival.series_id, uids=[OLD])
    page = lookup_page(qtbot, make_window, owner)
    find(qtbot, page, OLD)
    qtbot.mouseClick(page.void, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.reason_dialog is not None and page.reason_dialog.isVisible())
    dialog = page.reason_dialog
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.text.setPlainText("Torn at the bar")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert page.card is not None and page.card.status is BandStatus.VOID
    assert "Torn at the bar" in page.facts.text()
    assert not page.void.isEnabled() and page.replace.isEnabled()
    tap = checkins.record_tap(store, owner, festival.series_id, festival.gates["Quay"], OLD, Direction.IN)
    assert (tap.result, tap.reason) == (CheckinResult.DENIED, "band_void")


def test_replace_moves_the_series_to_the_new_band(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    open_now(store, owner, festival)
    wristbands.register_band(store, owner, EVENT, "GA", OLD)
    wristbands.register_band(store, owner, EVENT, "GA", NEW)
    assignments.assign_bands(store, owner, festival.series_id, uids=[OLD])
    page = lookup_page(qtbot, make_window, owner)
    find(qtbot, page, OLD)
    qtbot.mouseClick(page.replace, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.replace_dialog is not None and page.replace_dialog.isVisible())
    dialog = page.replace_dialog
    assert dialog is not None
    dialog.new_uid.setText(NEW)
    dialog.reason.setText("Lost in the crowd")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.card is not None and page.card.uid == NEW, timeout=10_000)
    assert page.series.text() == "Series: Friday (active)"
    assert f"Replaces band {OLD}" in page.facts.text()
    old = checkins.record_tap(store, owner, festival.series_id, festival.gates["Quay"], OLD, Direction.IN)
    new = checkins.record_tap(store, owner, festival.series_id, festival.gates["Quay"], NEW, Direction.IN)
    assert old.result is CheckinResult.DENIED and new.result is CheckinResult.ALLOWED


def test_a_member_can_look_but_not_void_and_a_viewer_is_told_why_not(
    qtbot: QtBot, make_window: WindowFactory, actors: dict[Role, Actor], owner: Actor, store: Store,
    festival: Festival,
) -> None:
    wristbands.register_band(store, owner, EVENT, "GA", OLD)
    page = lookup_page(qtbot, make_window, actors[Role.MEMBER])
    find(qtbot, page, OLD)
    assert page.card is not None, page.message.text()
    for button in (page.void, page.lost, page.replace):
        assert not button.isEnabled()
        assert button.toolTip().startswith("Your role (member) may not void wristbands")
    viewer_page = lookup_page(qtbot, make_window, actors[Role.VIEWER])
    find(qtbot, viewer_page, OLD)
    assert viewer_page.card is None
    assert viewer_page.message.text().startswith("Your role (viewer) may not view wristbands")
