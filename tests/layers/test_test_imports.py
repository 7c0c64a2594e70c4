"""No test module imports a ``conftest``: shared helpers live in ``tests/helpers/``.

pytest loads each ``conftest.py`` itself, under a name of its own choosing;
a test that also imports one gets a second copy of it (two ``Live``
classes, two module-level counters) and ties itself to another folder's
fixtures. Fixtures stay in the conftest files; the functions, classes and
constants they and the tests share are imported from ``tests/helpers/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _conftest_imports(source: str, filename: str = "<test>") -> list[str]:
    """``line: module`` for each import of a conftest module in ``source`` (at any depth, in any function)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.ImportFrom):  # from a.conftest import x, from a import conftest, from .conftest …
            base = node.module or ""
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        if any("conftest" in m.split(".") for m in modules):
            found.append(f"{node.lineno}: {'.' * getattr(node, 'level', 0)}{modules[0] or modules[1]}")
    return found


def test_no_test_module_imports_a_conftest() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 100  # the walk found the suite
    offenders = {}
    for path in files:
        if hits := _conftest_imports(path.read_text(encoding="utf-8"), str(path)):
            offenders[str(path.relative_to(TESTS.parent))] = hits
    assert offenders == {}, (
        "import shared helpers from tests/helpers/, not from a conftest (fixtures are found by name): "
        f"{offenders}"
    )


def test_the_check_sees_every_form_of_the_import() -> None:
    for source in ("from tests.server.conftest import Live", "import tests.sync.conftest",
                   "from tests import conftest", "from .conftest import seed", "from . import conftest",
                   "from conftest import x", "def f():\n    from tests.conftest import pg_url"):
        assert _conftest_imports(source), source
    for source in ("from tests.helpers.seeding import Live", "import tests.helpers.sync",
                   "from tests.helpers import conftest_free"):
        assert not _conftest_imports(source), source
