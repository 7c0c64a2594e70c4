"""Where the shipped files (sounds, icons, fonts) are: beside the packages in a checkout or a wheel's
editable install, and under ``sys._MEIPASS`` in a PyInstaller bundle (``packaging/boxoffice.spec``
puts ``resources/`` there)."""

from __future__ import annotations

import sys
from pathlib import Path

from boxoffice.errors import BoxOfficeError
from boxoffice.resources import resources_dir

#: Only a program run from source may borrow the system's copy of a font; a bundle must carry its own.
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


class ResourceMissingError(BoxOfficeError):
    """A file the program ships is not where it should be: a broken install or bundle."""

    code = "resource_missing"

    def __init__(self, what: str, where: Path) -> None:
        super().__init__(f"The {what} is missing from this installation (looked for {where}); "
                         "reinstall Box office.")
        self.where = where


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def sound(name: str) -> Path:
    return resources_dir() / "sounds" / f"{name}.wav"


def app_icon(base: Path | None = None) -> Path:
    """The window icon (a PNG, so no image-format plugin is needed to show it)."""
    return (base or resources_dir()) / "icons" / "boxoffice.png"


def font(name: str, base: Path | None = None) -> Path:
    """A report font: the bundled copy, else (from source only) the system's; ``ResourceMissingError``."""
    bundled = (base or resources_dir()) / "fonts" / name
    if bundled.is_file():
        return bundled
    if not is_frozen():
        for folder in SYSTEM_FONT_DIRS:
            if (folder / name).is_file():
                return folder / name
    raise ResourceMissingError(f"font {name}", bundled)
