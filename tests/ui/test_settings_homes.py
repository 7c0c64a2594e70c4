"""Settings declared in one place: the alert defaults are the monitor's, the reader is the settings'.

The Gates page's thresholds are ``boxoffice.monitor.alerts.Thresholds``; the
settings offer its defaults, so a default changed there is what the settings
dialog shows (and a copy here that drifted fails). Each setting's key ends in
the field's name.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from boxoffice import files
from boxoffice.monitor.alerts import Thresholds
from hardware.readers.errors import ReaderPathError
from ui import settings as S


def test_every_alert_threshold_has_a_setting_whose_default_is_the_monitors() -> None:
    defaults = Thresholds()
    by_field = {setting.key.removeprefix("monitor/"): setting for setting in S.MONITOR}
    assert set(by_field) == {f.name for f in dataclasses.fields(Thresholds)}
    for name, setting in by_field.items():
        assert setting.default == getattr(defaults, name), name


def test_minutes_and_counts_are_whole_numbers_and_shares_are_fractions() -> None:
    # The dialog's editors follow the default's type (a spin box for int, a double one for float).
    assert [type(s.default) for s in S.MONITOR] == [int, float, int, float, int]


def test_the_configured_reader_is_the_one_the_settings_name() -> None:
    qs = S.qsettings()
    S.READER.write(qs, "sim:ntag215")
    qs.sync()
    assert S.configured_reader().name == "Simulated reader"
    S.READER.write(qs, "nonsense")
    qs.sync()
    with pytest.raises(ReaderPathError, match="nonsense"):
        S.configured_reader()


def test_a_chosen_folder_holds_the_settings_and_letting_go_gives_the_platforms_back(tmp_path: Path) -> None:
    platform_file = S.qsettings().fileName()
    before = files.use_folder(tmp_path)
    try:
        qs = S.qsettings()
        S.STATION_NAME.write(qs, "Demo desk")
        qs.sync()
        assert Path(qs.fileName()) == tmp_path / files.SETTINGS_NAME
        assert "Demo desk" in (tmp_path / files.SETTINGS_NAME).read_text(encoding="utf-8")
    finally:
        files.use_folder(before)
    assert S.qsettings().fileName() == platform_file
    assert S.STATION_NAME.read(S.qsettings()) == ""
