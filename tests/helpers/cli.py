"""Running the real ``boxoffice`` command line, as a person or a script would.

``Cli`` runs it on one database file with an environment of its own
(``make_cli``). A call runs the command's ``main`` in this process as a fresh
process would see it: only that environment, an empty stdin, stdout and stderr
captured, logging set up by the command itself, and the exit status it ends
with. That spares a Python start-up per line (about a second of CPU on a busy
machine; the suite runs some three hundred command lines). ``Cli.process``
runs the installed ``SCRIPT`` in a subprocess instead, for what only a real
process shows: the entry point, signals, a command that keeps running.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

SCRIPT = Path(sys.executable).with_name("boxoffice")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    def __init__(self, db: Path, env: dict[str, str]) -> None:
        self.db = db
        self.env = env

    def __call__(self, *args: str, as_: str | None = None, db: bool = True) -> Result:
        return run_here(self._argv(args, as_, db), self.env)

    def process(self, *args: str, as_: str | None = None, db: bool = True) -> Result:
        """The installed command in a subprocess."""
        cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "boxoffice"]
        proc = subprocess.run(
            [*cmd, *self._argv(args, as_, db)], capture_output=True, text=True, env=self.env, timeout=60,
            stdin=subprocess.DEVNULL, check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def _argv(self, args: tuple[str, ...], as_: str | None, db: bool) -> list[str]:
        return [*(["--db", str(self.db)] if db else []), *(["--as", as_] if as_ else []), *args]

    def ok(self, *args: str, as_: str | None = None) -> Result:
        result = self(*args, as_=as_)
        assert result.code == 0, f"{args} failed ({result.code}): {result.err}"
        return result

    def here(self, *args: str, as_: str | None = None) -> Result:
        """The command line run in this process; it must succeed (for a test's starting data)."""
        return self.ok(*args, as_=as_)


def run_here(argv: list[str], env: dict[str, str], stdin: str = "") -> Result:
    """``boxoffice *argv`` run by ``main`` in this process, as a new process with ``env`` would run it.

    The command sets up the root logger as in a process of its own (``main`` calls
    ``logging.basicConfig`` on stderr); its handler takes only this thread's records, and
    pytest's keep every other thread's (a server the test runs in this process logs there,
    as a server process would log elsewhere). The keyring is chosen anew from ``env``, as
    a new process chooses it. All of it is given back afterwards.
    """
    import keyring.core

    from boxoffice import files
    from boxoffice.programs.cli import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    caller = threading.get_ident()
    ours = _Thread(caller, True)
    others = _Thread(caller, False)
    real_basic_config = logging.basicConfig

    def basic_config(**kwargs: Any) -> None:
        real_basic_config(**kwargs)
        for handler in root.handlers:
            handler.addFilter(ours)
        for handler in kept_handlers:
            handler.addFilter(others)
            root.addHandler(handler)

    root.handlers.clear()
    chosen = files.use_folder(None)
    kept_keyring = keyring.core._keyring_backend  # None until something first asked for it
    code = 0
    try:
        with mock.patch.dict(os.environ, env, clear=True), mock.patch.object(sys, "stdin", io.StringIO(stdin)), \
                mock.patch.object(logging, "basicConfig", basic_config), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            keyring.core.init_backend()
            try:
                main(argv)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            if handler not in kept_handlers:
                handler.close()
        for handler in kept_handlers:
            handler.removeFilter(others)
        root.handlers[:] = kept_handlers
        root.setLevel(kept_level)
        files.use_folder(chosen)
        keyring.core._keyring_backend = kept_keyring
    return Result(code, out.getvalue(), err.getvalue())


class _Thread(logging.Filter):
    """Passes the records of one thread (``mine``) or of every other."""

    def __init__(self, thread: int, mine: bool) -> None:
        super().__init__()
        self.thread, self.mine = thread, mine

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.thread == self.thread) is self.mine


def make_cli(folder: Path) -> Cli:
    """A ``Cli`` on ``folder/cli.sqlite3`` with its home in ``folder`` and no ``BOXOFFICE_`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["HOME"] = str(folder / "home")
    env["XDG_DATA_HOME"] = str(folder / "home" / "data")
    return Cli(folder / "cli.sqlite3", env)
