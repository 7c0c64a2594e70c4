"""The window's rotating log file: written at INFO, without making the terminal chattier."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from ui.log_file import LOG_NAME, install_log_file, log_dir, remove_log_file


@pytest.fixture
def stream() -> Iterator[logging.Handler]:
    """A stderr-like handler (level NOTSET, as basicConfig leaves it) on a root logger at WARNING."""
    root = logging.getLogger()
    saved_level = root.level
    handler = logging.StreamHandler()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


def file_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]


def test_info_goes_to_the_file_and_the_stderr_handler_keeps_its_level(
        tmp_path: Path, stream: logging.Handler) -> None:
    path = install_log_file(tmp_path / "logs")
    assert path == tmp_path / "logs" / LOG_NAME
    try:
        assert install_log_file(tmp_path / "logs") == path  # a second window: still one handler
        logging.getLogger("boxoffice.test").info("band 04A1 encoded")
        assert stream.level == logging.WARNING
        assert logging.getLogger().level == logging.INFO
        assert len(file_handlers()) == 1
    finally:
        remove_log_file(path)
    text = path.read_text(encoding="utf-8")
    assert text.count("boxoffice.test: band 04A1 encoded") == 1
    assert "logging to" in text
    assert file_handlers() == []


def test_a_log_folder_that_cannot_be_made_gives_no_file_and_no_error(
        tmp_path: Path, stream: logging.Handler) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert install_log_file(blocker / "logs") is None
    assert file_handlers() == []
    assert blocker.read_text() == ""


def test_the_default_folder_is_the_users_log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert log_dir() == tmp_path / "state" / "boxoffice" / "log"


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_the_log_folder_is_readable_by_its_user_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     stream: logging.Handler) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = log_dir()
    folder.mkdir(parents=True)
    folder.chmod(0o755)  # as an older Box office made it
    path = install_log_file()
    assert path is not None
    try:
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    finally:
        remove_log_file(path)
