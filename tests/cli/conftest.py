"""Run the real ``boxoffice`` command in a subprocess, as a person or a script would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import Cli, make_cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


@pytest.fixture(scope="session")
def _festival_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per test process by commands (run in process: the commands under test run
    as subprocesses in the tests); each test gets its own copy of the file."""
    cli = make_cli(tmp_path_factory.mktemp("festival"))
    cli.here("org", "create", "Fest Org", "--owner", "owner@example.org")
    cli.here("member", "add", "viewer@example.org", "--role", "viewer")
    cli.here("member", "add", "manager@example.org", "--role", "manager")
    cli.here("member", "use", "owner@example.org")
    cli.here("event", "create", "Harbour Days", "--timezone", "Europe/Amsterdam",
           "--starts-on", "2027-08-06", "--ends-on", "2027-08-08")
    for name in ("GA", "VIP"):
        cli.here("category", "add", "--event", "Harbour Days", name)
    cli.here("gate", "add", "--event", "Harbour Days", "Quay", "--kind", "entry")
    cli.here("gate", "add", "--event", "Harbour Days", "VIP Deck", "--kind", "entry", "--category", "VIP")
    cli.here("gate", "add", "--event", "Harbour Days", "Way Out", "--kind", "exit")
    cli.here("series", "create", "--event", "Harbour Days", "Friday", "--start", "2027-08-06 14:00",
           "--end", "2027-08-06 23:30", "--capacity", "5000", "--checkin-opens", "2027-08-06 13:00",
           "--gate", "Quay", "--gate", "Way Out")
    return cli.db


@pytest.fixture
def festival_cli(cli: Cli, _festival_template: Path) -> Cli:
    """An organization, an event with categories and gates, and a draft series, made by commands."""
    for suffix in ("", "-wal"):
        source = _festival_template.with_name(_festival_template.name + suffix)
        if source.exists():
            shutil.copy(source, cli.db.with_name(cli.db.name + suffix))
    return cli
