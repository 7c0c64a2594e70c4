"""Where Box office keeps its files, each folder named once, and kept readable by its user only.

The one home of the app's places: the data folder (the station's database),
the configuration folder (the login token's file when there is no keyring), the
log folder (the window's log file), and the desktop's settings (QSettings' own
place, which ``ui.settings`` opens). All come from platformdirs, with one
explicit override: ``use_folder(path)`` keeps the login token file and the
settings in ``path`` instead (the demo's folder), and changes no environment
variable. The ``BOXOFFICE_CREDENTIALS_FILE`` variable, read here only, names
the token file for a test (a subprocess inherits it).

A station's database holds its private signing keys and the secret its tag
passwords are derived from; the credentials file holds a login token; the
log names members and bands. So Box office's own folders are made ``0700``
and its database files (with SQLite's ``-wal``, ``-shm`` and ``-journal``
beside them, and the backups a migration makes) ``0600``, and existing ones
are tightened when opened, with one log line saying what was.

A folder is tightened only when it is one of Box office's own (the data,
configuration and log folders, or one Box office made): a database put in a
folder of the person's own (``--db ~/festival/desk.sqlite3``) leaves that
folder's mode alone, and only its files are made private.

On Windows, modes mean little (``os.chmod`` sets only the read-only flag);
files there are guarded by the user profile's access lists, and nothing is
changed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "boxoffice"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_CHMOD_WORKS = os.name != "nt"
# What SQLite keeps beside a database file while it is open, or after a crash.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def data_dir() -> Path:
    """The station's database lives here unless ``--db`` says otherwise."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "boxoffice.sqlite3"


def config_dir() -> Path:
    """The login token's file, when there is no system keyring."""
    return platformdirs.user_config_path(APP_NAME)


def log_dir() -> Path:
    """The desktop's log file (``~/.local/state/boxoffice/log`` on Linux)."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


#: Names the login token's file (tests, benchmarks); read here only.
CREDENTIALS_VARIABLE = "BOXOFFICE_CREDENTIALS_FILE"
CREDENTIALS_NAME = "credentials.json"
#: The desktop's settings file in a folder chosen with ``use_folder``.
SETTINGS_NAME = "settings.ini"

_chosen: list[Path] = []  # use_folder's folder; empty: the platform's places


def use_folder(path: Path | None) -> Path | None:
    """Keep the login token file and the desktop's settings in ``path`` (None: back to the platform's places).

    Returns the folder chosen before (None if none), to give back when done. The
    demo keeps its own in its folder, so trying it never changes the server,
    reader, station name or login of the real installation; nothing goes through
    the environment. The database (``--db``) and the log file keep their places.
    """
    before = _chosen[0] if _chosen else None
    _chosen[:] = [Path(path)] if path is not None else []
    return before


def credentials_file() -> Path:
    """The login token's file when the keyring is not used: in the chosen folder, else
    ``$BOXOFFICE_CREDENTIALS_FILE``, else in the configuration folder."""
    if _chosen:
        return _chosen[0] / CREDENTIALS_NAME
    named = os.environ.get(CREDENTIALS_VARIABLE)
    return Path(named) if named else config_dir() / CREDENTIALS_NAME


def credentials_file_chosen() -> bool:
    """True when the token's file was put somewhere on purpose: tokens go there, keyring or not."""
    return bool(_chosen) or bool(os.environ.get(CREDENTIALS_VARIABLE))


def settings_file() -> Path | None:
    """The desktop's settings as an INI file in the chosen folder; None: QSettings' platform place."""
    return _chosen[0] / SETTINGS_NAME if _chosen else None


def own_folders() -> tuple[Path, ...]:
    return data_dir(), config_dir(), log_dir()


def private_folder(path: Path, *, ours: bool | None = None) -> Path:
    """Make ``path`` (mode 0700) if missing; tighten it if it exists and is ours.

    ``ours`` None: one of ``own_folders()``. Missing parents are made as
    the system makes them: they are not Box office's.
    """
    report(_folder(Path(path), ours))
    return Path(path)


def private_database(path: Path) -> None:
    """Before SQLite opens ``path``: its folder as ``private_folder``, the file made 0600 if new,
    and the file, its companions and its backups tightened if they exist (one log line)."""
    changed = _folder(path.parent, None)
    # Not ours to make in a read-only place: SQLite says so, in its words, when it opens it.
    with contextlib.suppress(OSError):
        create_private_file(path)
    # Files only: a folder named as a database is refused by SQLite, not chmod-ed here.
    report(changed + tighten(p for p in sqlite_files(path) if p.is_file()))


def _folder(path: Path, ours: bool | None) -> list[Path]:
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            pass  # made by another process just now; looked at below like any other
        else:
            return []
    if ours is None:
        ours = path.resolve() in {p.resolve() for p in own_folders()}
    return tighten([path]) if ours else []


def create_private_file(path: Path) -> bool:
    """Make an empty file readable by its user only, unless it exists; True when it was made.

    Made so from the start (not chmod-ed after), so there is no moment others could open it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten(paths: Iterable[Path]) -> list[Path]:
    """Remove the group's and others' access from each existing path; the ones that had some."""
    if not _CHMOD_WORKS:
        return []
    changed: list[Path] = []
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if not mode & (stat.S_IRWXG | stat.S_IRWXO):
            continue
        try:
            path.chmod(stat.S_IMODE(mode) & stat.S_IRWXU)
        except OSError as exc:  # not the owner: said, and the file is used as it is
            log.warning("could not make %s private (%s); others may read it", path, exc.strerror)
            continue
        changed.append(path)
    return changed


def report(changed: list[Path]) -> None:
    """One line for everything one open tightened (nothing when nothing was)."""
    if changed:
        log.warning("made readable by you only (others could read them before): %s",
                    ", ".join(str(p) for p in changed))


def sqlite_files(database: Path) -> list[Path]:
    """A SQLite database file, what SQLite keeps beside it, and the backups made before upgrades."""
    companions = [database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS]
    backups = sorted(database.parent.glob(f"{database.name}.*.bak")) if database.parent.is_dir() else []
    return [database, *companions, *backups]
