"""``boxoffice login`` and ``boxoffice sync`` as a person at a station runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from boxoffice.services import series as svc
from boxoffice.services import wristbands
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from tests.helpers.cli import run_here
from tests.helpers.seeding import PASSWORD, Live


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command line at a station with no system keyring (run in this process: ``helpers.cli``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    argv = ["--db", str(tmp_path / "desk.sqlite3"), *args]
    done = run_here(argv, env, stdin)
    return subprocess.CompletedProcess(["boxoffice", *argv], done.code, done.out, done.err)


@pytest.mark.slow
def test_login_sync_and_status_from_the_command_line(server: Live, tmp_path: Path) -> None:
    bad = _run(tmp_path, "login", "--server", server.url, "--email", "owner@example.org",
               "--password-stdin", stdin="nope\n")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "password" in bad.stderr.lower()

    not_yet = _run(tmp_path, "sync", "--once")
    assert not_yet.returncode == 1
    assert "not logged in to a server" in not_yet.stderr

    done = _run(tmp_path, "login", "--server", server.url, "--email", "owner@example.org",
                "--station", "Desk 2", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {server.url} as owner@example.org (owner)" in done.stdout
    creds = tmp_path / "home" / "config" / "boxoffice" / "credentials.json"
    assert f"No system keyring was found, so the login is kept in {creds}" in done.stdout
    assert creds.exists()

    status = _run(tmp_path, "sync", "status")
    assert status.returncode == 0
    assert re.match(rf"online at \d\d:\d\d Europe/Amsterdam, \d+ s ago \({re.escape(server.url)}\) · "
                    "nothing waiting", status.stdout), status.stdout

    # Edit a series here while the office edits it on the server: this desk's edit is refused.
    sid = server.ids["series"]
    desk = open_store(tmp_path / "desk.sqlite3")
    try:
        me = resolve_actor(desk, None)
        wristbands.register_band(desk, me, "Gate Fest", "VIP", "04FFEEDDCCBBAA")
        version = svc.series_detail(desk, me, sid).series.version
        svc.update_series(desk, me, sid, version, {"capacity": 1_234})
    finally:
        desk.dispose()
    office = resolve_actor(server.store, "owner@example.org")
    svc.update_series(server.store, office, sid, version, {"capacity": 4_321})
    waiting = _run(tmp_path, "--json", "sync", "status")
    assert json.loads(waiting.stdout)["queue_depth"] == 2

    once = _run(tmp_path, "sync", "--once")
    assert once.returncode == 0, once.stderr
    assert once.stdout.startswith("Sent 2 changes (1 refused)")
    assert "boxoffice sync status" in once.stderr

    shown = _run(tmp_path, "sync", "status")
    assert "1 refused by the server" in shown.stdout
    assert "Refused by the server (times in Europe/Amsterdam):" in shown.stdout
    assert "Series edit" in shown.stdout and ": This series was changed by someone else" in shown.stdout
    data = json.loads(_run(tmp_path, "--json", "sync", "status").stdout)
    assert data["queue_depth"] == 0 and data["online"] is True
    assert [r["kind"] for r in data["rejected"]] == ["series.update"]

    out = _run(tmp_path, "logout")
    assert out.returncode == 0 and f"Logged out of {server.url}" in out.stdout
    assert json.loads(creds.read_text()) == {}
    after = _run(tmp_path, "sync", "--once")
    assert after.returncode == 1 and "run boxoffice login again" in after.stderr


@pytest.mark.parametrize("args", [["login", "--email", "x@example.org"], ["sync", "--once", "--bogus"]])
def test_sync_commands_explain_bad_usage(tmp_path: Path, args: list[str]) -> None:
    result = _run(tmp_path, *args)
    assert result.returncode == 2
    assert "Error:" in result.stderr


@pytest.mark.slow
def test_an_email_in_two_organizations_logs_in_with_the_one_it_names(server: Live, tmp_path: Path) -> None:
    from boxoffice.domain.enums import Role
    from boxoffice.services import auth, organization

    organization.create_organization(server.store, "Rival Org", "rival@example.org")
    rival = resolve_actor(server.store, "rival@example.org")
    organization.add_member(server.store, rival, "owner@example.org", Role.VIEWER)
    auth.set_password(server.store, rival, "owner@example.org", PASSWORD)

    asked = _run(tmp_path, "login", "--server", server.url, "--email", "owner@example.org",
                 "--password-stdin", stdin=PASSWORD + "\n")
    assert asked.returncode == 1 and "Traceback" not in asked.stderr
    assert asked.stderr == ("error: This e-mail belongs to several organizations; choose one: Gate Org, "
                            "Rival Org. Give it with --organization.\n")
    done = _run(tmp_path, "login", "--server", server.url, "--email", "owner@example.org",
                "--organization", "Rival Org", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {server.url} as owner@example.org (viewer)" in done.stdout


@pytest.mark.slow
def test_numbers_list_and_reserve_from_the_command_line(server: Live, tmp_path: Path) -> None:
    alone = _run(tmp_path, "numbers", "list")
    assert alone.returncode == 0 and "not logged in to a server: it numbers its bands itself" in alone.stdout
    done = _run(tmp_path, "login", "--server", server.url, "--email", "owner@example.org",
                "--station", "Desk 2", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    held = _run(tmp_path, "numbers", "list")
    assert held.returncode == 0, held.stderr
    assert "Gate Fest  GA: 200 left (#0001-#0200)" in held.stdout
    assert "Gate Fest  VIP: 200 left (#0001-#0200)" in held.stdout

    more = _run(tmp_path, "numbers", "reserve", "--event", "Gate Fest", "--category", "GA", "--count", "1000")
    assert more.returncode == 0, more.stderr
    assert more.stdout.strip() == "Reserved GA #0201-#1200 of Gate Fest for this station."
    listed = json.loads(_run(tmp_path, "--json", "numbers", "list").stdout)
    assert {(h["category"], h["free"]) for h in listed} == {("GA", 1200), ("VIP", 200)}

    for args, says in [
        (("--count", "0"), "A block is at least one number."),
        (("--count", "5001"), "The block size can be at most 5,000; it is 5,001."),
        (("--count", "99999999999999999999"), "The block size can be at most 5,000"),
        (("--count", "many"), "'many' is not a valid integer"),
    ]:
        bad = _run(tmp_path, "numbers", "reserve", "--event", "Gate Fest", "--category", "GA", *args)
        assert bad.returncode != 0 and says in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    unknown = _run(tmp_path, "numbers", "reserve", "--event", "Gate Fest", "--category", "Backstage")
    assert unknown.returncode == 1 and "No category Backstage in Gate Fest was found." in unknown.stderr
    # Nothing of the refused requests was reserved.
    after = json.loads(_run(tmp_path, "--json", "numbers", "list").stdout)
    assert {(h["category"], h["free"]) for h in after} == {("GA", 1200), ("VIP", 200)}
