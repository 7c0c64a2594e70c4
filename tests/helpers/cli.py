"""Running the real ``boxoffice`` command in a subprocess, as a person or a script would.

``Cli`` runs it on one database file with an environment of its own
(``make_cli``); ``SCRIPT`` is the installed command beside this interpreter.
``Cli.here`` runs the same command line in this process, for a test's starting
data: the commands are the same, without a Python start-up per line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
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
        cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "boxoffice"]
        if db:
            cmd += ["--db", str(self.db)]
        if as_:
            cmd += ["--as", as_]
        proc = subprocess.run(
            [*cmd, *args], capture_output=True, text=True, env=self.env, timeout=60,
            stdin=subprocess.DEVNULL, check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, as_: str | None = None) -> Result:
        result = self(*args, as_=as_)
        assert result.code == 0, f"{args} failed ({result.code}): {result.err}"
        return result

    def here(self, *args: str, as_: str | None = None) -> Result:
        """The command line run by ``main`` in this process, with this ``Cli``'s environment; it must succeed.

        For fixtures that build data by commands: a subprocess costs a Python start-up
        (about a second on a busy machine) that the command under test does not need.
        """
        from boxoffice.programs.cli import main

        argv = ["--db", str(self.db), *(["--as", as_] if as_ else []), *args]
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with mock.patch.dict(os.environ, self.env, clear=True), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        result = Result(code, out.getvalue(), err.getvalue())
        assert result.code == 0, f"{args} failed ({result.code}): {result.err}"
        return result


def make_cli(folder: Path) -> Cli:
    """A ``Cli`` on ``folder/cli.sqlite3`` with its home in ``folder`` and no ``BOXOFFICE_`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["HOME"] = str(folder / "home")
    env["XDG_DATA_HOME"] = str(folder / "home" / "data")
    return Cli(folder / "cli.sqlite3", env)
