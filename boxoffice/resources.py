"""Where the shipped files (report fonts, sounds, icons) are, found without importing the desktop layer.

In a checkout or an editable install ``resources/`` sits beside the packages; a PyInstaller bundle
unpacks it under ``sys._MEIPASS``. The same rule as ``ui.resources``, kept here because the core may
not import ``ui``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def font(name: str) -> Path:
    return resources_dir() / "fonts" / name
