"""Each module at the top of the store imports on its own, first thing in a fresh interpreter.

A circle of imports shows up only in some import orders (the module that
starts it finds the other half-made); importing each module first, alone,
tries every order that begins with it. ``pyproject.toml``'s contracts keep
``boxoffice.store.database`` from importing the migrations and the core free
of circles; this checks what the interpreter makes of it. (``models``
imports all its submodules itself, so they are not tried one by one.)
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import boxoffice.store

ROOT = Path(__file__).resolve().parents[2]


def _store_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(boxoffice.store.__path__, "boxoffice.store.")
                  if m.name != "boxoffice.store.migrations")


@pytest.mark.slow
def test_every_store_module_imports_alone() -> None:
    modules = _store_modules()
    assert {"boxoffice.store.database", "boxoffice.store.migrate", "boxoffice.store.opening"} <= set(modules)
    runs = {name: subprocess.Popen([sys.executable, "-c", f"import {name}"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in modules}
    failures = {}
    for name, proc in runs.items():
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            failures[name] = err.strip().splitlines()[-1:]
    assert failures == {}

