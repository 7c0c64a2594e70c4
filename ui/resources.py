"""Where the shipped files (sounds, icons, fonts) are: beside the packages in a checkout or a wheel's
editable install, and under ``sys._MEIPASS`` in a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def sound(name: str) -> Path:
    return resources_dir() / "sounds" / f"{name}.wav"
