"""The series builder driven by clicks: create, give gates, walk the lifecycle, repeat, refuse bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import Role, SeriesStatus
from boxoffice.domain.permissions import Action, describe
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.stores import table_counts
from tests.helpers.windows import EVENT, Festival, WindowFactory, wait_idle
from ui.pages.series_page import SeriesPage


def series_page(qtbot: QtBot, make_window: WindowFactory, actor: Actor) -> SeriesPage:
    window = make_window(actor)
    page = window.page_named("Series")
    assert isinstance(page, SeriesPage)
    wait_idle(qtbot, window.ctx.ops)
    return page


def open_series(qtbot: QtBot, page: SeriesPage, series_id: str) -> None:
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.tree.select(uuid.UUID(series_id))
    wait_idle(qtbot, page.ctx.ops)


def answer_reason(qtbot: QtBot, page: SeriesPage, reason: str) -> None:
    qtbot.waitUntil(lambda: page.reason_dialog is not None and page.reason_dialog.isVisible())
    dialog = page.reason_dialog
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled(), "a blank reason must not be accepted"
    dialog.text.setPlainText(reason)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)


def test_build_a_series_and_walk_it_through_its_lifecycle_by_clicking(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    page = series_page(qtbot, make_window, owner)
    # New series in the selected event.
    page.tree.select(uuid.UUID(festival.event_id))
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.save_button.text() == "&Create series"
    assert not page.save_button.isEnabled(), "an unnamed series cannot be saved"
    assert page.form.problem_labels["name"].isVisible()
    qtbot.keyClicks(page.form.name, "Saturday")
    page.form.capacity.setValue(1200)
    assert page.save_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page.ctx.ops)
    assert page.series_screen is not None and page.series_screen.detail.series.name == "Saturday"
    assert "created as a draft" in page.banner.text()
    sid = str(page.series_screen.detail.series.id)
    created = svc.series_detail(store, owner, sid).series
    assert (created.capacity, created.status) == (1200, SeriesStatus.DRAFT)

    # Gates: tick Quay and apply.
    page.gates.set_tick("Quay", True)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.gates.apply, Qt.MouseButton.LeftButton)
    assert svc.series_detail(store, owner, sid).gates == ["Quay"]

    # Only the allowed transitions are offered: draft -> scheduled or cancelled.
    assert set(page.lifecycle.buttons) == {SeriesStatus.SCHEDULED, SeriesStatus.CANCELLED}
    for target, reason in ((SeriesStatus.SCHEDULED, "Line-up announced"),
                           (SeriesStatus.ACTIVE, "Doors open")):
        qtbot.mouseClick(page.lifecycle.buttons[target], Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            answer_reason(qtbot, page, reason)
        wait_idle(qtbot, page.ctx.ops)
        assert page.series_screen is not None and page.series_screen.detail.series.status is target
    assert set(page.lifecycle.buttons) == {SeriesStatus.COMPLETED, SeriesStatus.CANCELLED}
    history = page.lifecycle.history
    assert history.rowCount() == 2
    assert history.item(0, 4).text() == "Doors open"  # newest first
    assert history.item(1, 4).text() == "Line-up announced"
    assert history.item(0, 3).text() == owner.email
    detail = svc.series_detail(store, owner, sid)
    assert detail.series.status is SeriesStatus.ACTIVE
    assert [t.reason for t in detail.transitions] == ["Line-up announced", "Doors open"]
    # The tree shows the new status in words.
    item = page.tree.selectedItems()[0]
    assert (item.text(0), item.text(1)) == ("Saturday", "Active")


def test_inline_validation_blocks_a_bad_save_and_writes_nothing(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    page = series_page(qtbot, make_window, owner)
    open_series(qtbot, page, festival.series_id)
    before = table_counts(store)
    starts = page.form.times["starts_at"].dateTime()
    page.form.times["ends_at"].setDateTime(starts.addSecs(-3600))
    label = page.form.problem_labels["ends_at"]
    assert label.isVisible() and label.text() == "The series must end after it starts."
    assert not page.save_button.isEnabled()
    page.form.capacity.setValue(0)
    assert page.form.problem_labels["capacity"].text() == "The capacity must be at least 1."
    page.save()  # even if called directly, the form refuses
    wait_idle(qtbot, page.ctx.ops)
    assert table_counts(store) == before


def test_a_stale_edit_is_refused_with_the_reason_and_nothing_is_overwritten(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    page = series_page(qtbot, make_window, owner)
    open_series(qtbot, page, festival.series_id)
    # Someone else saves first.
    svc.update_series(store, owner, festival.series_id, 1, {"capacity": 777})
    page.form.capacity.setValue(900)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page.ctx.ops)
    assert "changed by someone else" in page.banner.text()
    assert svc.series_detail(store, owner, festival.series_id).series.capacity == 777


def test_a_category_limit_over_the_capacity_is_refused_and_a_good_one_saved(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    page = series_page(qtbot, make_window, owner)
    open_series(qtbot, page, festival.series_id)
    vip = uuid.UUID(festival.categories["VIP"])
    spin = page.limits.spins[vip]
    spin.setValue(501)
    qtbot.mouseClick(page.limits.save_buttons[vip], Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page.ctx.ops)
    assert "capacity" in page.banner.text().lower()
    assert svc.series_detail(store, owner, festival.series_id).limits[1].limit is None
    page.limits.spins[vip].setValue(120)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.limits.save_buttons[vip], Qt.MouseButton.LeftButton)
    limits = {lv.category: lv.limit for lv in svc.series_detail(store, owner, festival.series_id).limits}
    assert limits == {"GA": None, "VIP": 120}
    assert page.limits.spins[vip].value() == 120


def test_repeat_previews_the_dates_in_the_event_zone_and_creates_them(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    page = series_page(qtbot, make_window, owner)
    open_series(qtbot, page, festival.series_id)
    qtbot.mouseClick(page.recur_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recurring_dialog is not None and page.recurring_dialog.isVisible())
    dialog = page.recurring_dialog
    assert dialog is not None
    dialog.pattern.setText("Day {n}")
    dialog.count.setValue(4)
    assert dialog.preview.rowCount() == 4
    assert [dialog.preview.item(r, 0).text() for r in range(4)] == ["Day 1", "Day 2", "Day 3", "Day 4"]
    assert dialog.role.text().startswith("Friday is the template: copy #1 falls on its own date.")
    parent = svc.series_detail(store, owner, festival.series_id).series
    first_local = parent.starts_at.astimezone(dialog._tz)
    assert dialog.preview.item(1, 1).text() == (first_local + timedelta(days=1)).strftime("%a %d %b %Y %H:%M")
    # A pattern that names every copy the same is refused before anything is written.
    dialog.pattern.setText("Same")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "same name" in dialog.problem.text()
    dialog.pattern.setText("Day {n}")
    assert ok.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page.ctx.ops)
    children = svc.series_detail(store, owner, festival.series_id).children
    assert [c.name for c in children] == ["Day 1", "Day 2", "Day 3", "Day 4"]
    assert "4 series created" in page.banner.text()


def test_repeat_a_series_that_is_day_one_itself(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor, store: Store, festival: Festival
) -> None:
    friday = svc.series_detail(store, owner, festival.series_id).series
    night = svc.create_series(store, owner, EVENT, "Night 1", friday.starts_at + timedelta(days=7),
                              friday.ends_at + timedelta(days=7), 200).series
    page = series_page(qtbot, make_window, owner)
    open_series(qtbot, page, str(night.id))
    qtbot.mouseClick(page.recur_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recurring_dialog is not None and page.recurring_dialog.isVisible())
    dialog = page.recurring_dialog
    assert dialog is not None
    dialog.pattern.setText("Night {n}")
    dialog.count.setValue(2)
    assert dialog.role.text() == "Night 1 is #1 itself (the names continue from it): the copies follow it."
    assert [dialog.preview.item(r, 0).text() for r in range(dialog.preview.rowCount())] == ["Night 2", "Night 3"]
    first_local = night.starts_at.astimezone(dialog._tz)
    assert dialog.preview.item(0, 1).text() == (first_local + timedelta(days=1)).strftime("%a %d %b %Y %H:%M")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page.ctx.ops)
    children = svc.series_detail(store, owner, str(night.id)).children
    assert [(c.name, c.sequence_number) for c in children] == [("Night 2", 2), ("Night 3", 3)]


def test_a_viewer_sees_every_action_disabled_with_the_reason(
    qtbot: QtBot, make_window: WindowFactory, actors: dict[Role, Actor], store: Store, festival: Festival
) -> None:
    viewer = actors[Role.VIEWER]
    page = series_page(qtbot, make_window, viewer)
    open_series(qtbot, page, festival.series_id)
    for button in (page.new_button, page.save_button, page.recur_button, page.gates.apply, page.bands.assign):
        assert not button.isEnabled(), button.text()
    assert page.new_button.toolTip() == (
        f"Your role (viewer) may not {describe(Action.CREATE_SERIES)}; ask an owner, admin or manager."
    )
    for button in page.lifecycle.buttons.values():
        assert not button.isEnabled()
        assert button.toolTip().startswith("Your role (viewer) may not change a series' lifecycle")
    assert all(not b.isEnabled() for b in page.limits.save_buttons.values())
    assert not page.form.name.isEnabled()


def test_a_manager_may_repeat_but_not_reshape_the_event(
    qtbot: QtBot, make_window: WindowFactory, actors: dict[Role, Actor], festival: Festival
) -> None:
    page = series_page(qtbot, make_window, actors[Role.MANAGER])
    open_series(qtbot, page, festival.series_id)
    assert page.recur_button.isEnabled()
    assert not page.gates.apply.isEnabled()
    assert "manager" in page.gates.apply.toolTip()
    assert all(not b.isEnabled() for b in page.lifecycle.buttons.values())
