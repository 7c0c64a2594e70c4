"""The login dialog against the real server, and starting an organization on this computer only."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from boxoffice.sync.state import ServerLogin
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.stores import table_counts
from ui import settings as S
from ui.dialogs.login import LoginDialog
from ui.ops import Ops

# Logging in to the server keeps credentials in a file under tmp_path (this machine has no keyring).
pytestmark = pytest.mark.usefixtures("_no_keyring")


def dialog_over(qtbot: QtBot, path: Path) -> tuple[LoginDialog, Ops]:
    store = open_store(path)
    ops = Ops()
    dialog = LoginDialog(store, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, ops


def test_logging_in_to_the_server_fetches_the_organization(qtbot: QtBot, server: Live,
                                                          tmp_path: Path) -> None:
    dialog, ops = dialog_over(qtbot, tmp_path / "desk.sqlite3")
    dialog.server_url.setText(server.url)
    dialog.server_email.setText("owner@example.org")
    dialog.password.setText("not the password")
    dialog.station.setText("Box office 9")
    before = table_counts(dialog.store)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=20_000)
    assert dialog.result() == 0 and "password" in dialog.message.text().lower()
    assert table_counts(dialog.store) == before

    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.email == "owner@example.org"
    login = ServerLogin.load(dialog.store)
    assert (login.url, login.station) == (server.url, "Box office 9")
    assert resolve_actor(dialog.store, None).email == "owner@example.org"
    assert S.STATION_NAME.read(S.qsettings()) == "Box office 9"
    ops.shutdown()
    dialog.store.dispose()


@pytest.mark.slow
def test_an_email_in_two_organizations_is_asked_which_one(qtbot: QtBot, server: Live,
                                                         tmp_path: Path) -> None:
    from boxoffice.domain.enums import Role
    from boxoffice.services import auth, organization

    organization.create_organization(server.store, "Rival Org", "rival@example.org")
    rival = resolve_actor(server.store, "rival@example.org")
    organization.add_member(server.store, rival, "owner@example.org", Role.VIEWER)
    auth.set_password(server.store, rival, "owner@example.org", PASSWORD)

    dialog, ops = dialog_over(qtbot, tmp_path / "desk.sqlite3")
    assert not dialog.org_choice.isVisible()  # nobody is asked until the server asks
    dialog.server_url.setText(server.url)
    dialog.server_email.setText("owner@example.org")
    dialog.password.setText(PASSWORD)
    before = table_counts(dialog.store)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=20_000)
    assert dialog.message.text() == ("This e-mail belongs to several organizations; choose one: "
                                     "Gate Org, Rival Org.")
    assert dialog.org_choice.isVisible()
    assert [dialog.org_choice.itemText(i) for i in range(dialog.org_choice.count())] == [
        "Gate Org", "Rival Org"]
    assert table_counts(dialog.store) == before

    dialog.org_choice.setCurrentText("Rival Org")
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    actor = resolve_actor(dialog.store, None)
    assert (actor.email, actor.role.value) == ("owner@example.org", "viewer")
    assert ServerLogin.load(dialog.store).organization_id == rival.organization_id
    ops.shutdown()
    dialog.store.dispose()


def test_an_unreachable_server_is_said_plainly(qtbot: QtBot, tmp_path: Path) -> None:
    dialog, ops = dialog_over(qtbot, tmp_path / "desk.sqlite3")
    dialog.server_url.setText("http://127.0.0.1:9")
    dialog.server_email.setText("owner@example.org")
    dialog.password.setText("whatever it is")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=20_000)
    assert "cannot be reached" in dialog.message.text()
    ops.shutdown()
    dialog.store.dispose()


def test_starting_an_organization_on_this_computer_only(qtbot: QtBot, tmp_path: Path) -> None:
    dialog, ops = dialog_over(qtbot, tmp_path / "desk.sqlite3")
    dialog.tabs.setCurrentIndex(1)
    assert dialog.ok.text() == "Start"
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=10_000)
    assert dialog.message.text() == "Name the organization. Give your e-mail."
    dialog.org_name.setText("Harbour Days BV")
    dialog.local_email.setText("Anna@Example.org")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    actor = resolve_actor(dialog.store, None)
    assert (actor.email, actor.role.value) == ("anna@example.org", "owner")
    ops.shutdown()
    dialog.store.dispose()
