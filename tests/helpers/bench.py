"""Loading a benchmark script from ``bench/`` for its smoke test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


@contextmanager
def bench_script(name: str, also_loads: tuple[str, ...] = ()) -> Iterator[ModuleType]:
    """bench/ is a folder of scripts, not a package: load one by path, and unload it after.

    ``also_loads`` names the scripts it loads by path itself; those are
    unloaded too unless they were already there.
    """
    names = (name, *also_loads)
    loaded_before = {n for n in names if n in sys.modules}
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for n in names:
            if n not in loaded_before:
                sys.modules.pop(n, None)
