"""The desktop app's log file: what a support person asks for after "it did something odd at gate 3".

The command line logs to stderr only, where its user sees it; the window has
no stderr anyone reads, so ``run_gui`` also writes INFO and above to a
rotating file in the user's log folder (platformdirs: ``~/.local/state/boxoffice/log`` on Linux,
``%LOCALAPPDATA%\\boxoffice\\Logs`` on Windows, ``~/Library/Logs/boxoffice`` on macOS).
Five files of 2 MB at most, so a festival weekend fits and a full disk never comes of it.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from boxoffice.files import log_dir, private_folder

__all__ = ["BACKUPS", "FORMAT", "LOG_NAME", "MAX_BYTES", "install_log_file", "log_dir", "remove_log_file"]

log = logging.getLogger(__name__)

LOG_NAME = "boxoffice.log"
MAX_BYTES = 2_000_000
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"


def install_log_file(folder: Path | None = None, level: int = logging.INFO) -> Path | None:
    """Add the rotating file handler to the root logger; the file's path, or None if it cannot be written.

    The stderr handler keeps its own level (WARNING unless ``-v``), so lowering the root
    logger's level for the file does not make the terminal chattier. A log folder that
    cannot be written is said on stderr and the app starts anyway.
    """
    path = (folder or log_dir()) / LOG_NAME
    root = logging.getLogger()
    # A second window in the same process: still one handler, or every line would be written twice.
    if any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path.resolve()
           for h in root.handlers):
        return path
    try:
        private_folder(path.parent)  # the log names members and bands: for this user only
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                                      delay=False)
    except OSError as error:
        log.warning("No log file: %s cannot be written (%s).", path, error)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    for existing in root.handlers:
        if existing.level == logging.NOTSET:
            existing.setLevel(root.level)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    root.addHandler(handler)
    log.info("Box office started; logging to %s", path)
    return path


def remove_log_file(path: Path) -> None:
    """Close and detach the handler ``install_log_file`` added for ``path`` (tests, and a clean exit)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
            root.removeHandler(handler)
            handler.close()
