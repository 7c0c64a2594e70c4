"""Stations (real SQLite files) syncing with a real central server over loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.sync import no_keyring
from tests.helpers.sync_fixtures import server, station  # noqa: F401  (fixtures, shared by name)


@pytest.fixture(autouse=True)
def _no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_keyring(tmp_path, monkeypatch)
