"""The core must run without Qt, nfcpy, pyscard, or the ui and hardware packages.

Checked two ways: every import statement in every file (including ones
inside functions), and a fresh interpreter importing every core module and
looking at what got loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "shiboken6", "qasync", "pyqtgraph", "nfc", "smartcard", "ui", "hardware")


def _imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_no_core_file_imports_a_forbidden_package() -> None:
    files = sorted((ROOT / "boxoffice").rglob("*.py"))
    assert len(files) > 20
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in _imported_modules(path)
        if _forbidden(name)
    ]
    assert offenders == []


def test_the_checker_sees_forbidden_imports(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("def f():\n    from PySide6 import QtCore\n    import nfc.tag\n    import hardware\n")
    assert [n for n in _imported_modules(sample) if _forbidden(n)] == ["PySide6", "nfc.tag", "hardware"]
    assert not _forbidden("nfcpy_helpers") and not _forbidden("uikit")


@pytest.mark.slow
def test_importing_the_whole_core_loads_no_forbidden_module() -> None:
    code = """
import importlib, json, pkgutil, sys
import boxoffice
for mod in pkgutil.walk_packages(boxoffice.__path__, "boxoffice."):
    if ".migrations" in mod.name:
        continue
    importlib.import_module(mod.name)
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "boxoffice.services.series" in loaded
    assert [m for m in loaded if _forbidden(m)] == []
