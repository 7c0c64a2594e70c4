"""The app's places, named once in ``boxoffice.files``, and its one override, ``files.use_folder``.

The demo chooses its own folder for the login token and the window's settings;
nothing goes through the environment, and letting go gives the platform's places back.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from boxoffice import files
from boxoffice.sync import credentials


@pytest.fixture(autouse=True)
def _no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(files.CREDENTIALS_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(Path(os.environ["HOME"]) / "config"))


def test_without_a_choice_the_places_are_platformdirs_and_qsettings_own() -> None:
    assert files.credentials_file() == files.config_dir() / "credentials.json"
    assert files.settings_file() is None
    assert not files.credentials_file_chosen()


def test_a_chosen_folder_takes_the_token_and_settings_and_is_given_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(files.CREDENTIALS_VARIABLE, str(tmp_path / "named.json"))
    environment = dict(os.environ)
    before = files.use_folder(tmp_path / "demo")
    try:
        assert before is None
        # The chosen folder wins over the variable, as the demo's folder always did.
        assert files.credentials_file() == tmp_path / "demo" / "credentials.json"
        assert files.settings_file() == tmp_path / "demo" / "settings.ini"
        assert files.credentials_file_chosen()
        assert dict(os.environ) == environment  # no variable written
        stored = credentials.save_token("http://central:8750", "owner@example.org", "a-token")
        assert not stored.in_keyring and Path(stored.place) == tmp_path / "demo" / "credentials.json"
        assert credentials.load_token("http://central:8750", "owner@example.org") == "a-token"
    finally:
        assert files.use_folder(before) == tmp_path / "demo"
    assert files.settings_file() is None
    assert files.credentials_file() == tmp_path / "named.json"


def test_the_variable_names_a_tests_token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(files.CREDENTIALS_VARIABLE, str(tmp_path / "named.json"))
    assert files.credentials_file() == tmp_path / "named.json" and files.credentials_file_chosen()
