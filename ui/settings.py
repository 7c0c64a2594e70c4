"""The desktop's settings, each declared once with its type, default and label (Picard's habit).

They live in QSettings (the platform's own place: an INI file on Linux, the
registry on Windows, a plist on macOS), or in the INI file ``boxoffice.files``
names when a folder was chosen with ``files.use_folder`` (the demo's). UI state
that is not a setting a person chooses — window geometry, the last page — is
kept apart under ``state/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QSettings

from boxoffice import files
from boxoffice.monitor.alerts import Thresholds

if TYPE_CHECKING:
    from hardware.readers.reader import Reader

T = TypeVar("T", str, int, bool, float)

ORGANIZATION = "Box office"
APPLICATION = "boxoffice"


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T
    label: str
    help: str = ""
    example: str = ""  # shown in an empty text field

    def read(self, store: QSettings) -> T:
        raw: Any = store.value(self.key, self.default)
        kind = type(self.default)
        if kind is bool:
            if isinstance(raw, str):
                return raw.strip().lower() in ("1", "true", "yes", "on")
            return bool(raw)
        try:
            return kind(raw)
        except (TypeError, ValueError):
            return self.default

    def write(self, store: QSettings, value: T) -> None:
        store.setValue(self.key, value)


SERVER_URL = Setting("sync/server_url", "", "Central server",
                     "The address of the central server, e.g. http://central:8750. Empty: work on this "
                     "computer only.", "http://central:8750")
STATION_NAME = Setting("sync/station", "", "Station name",
                       "How this computer is named in batch manifests and sync conflicts, e.g. Box office 2.",
                       "Box office 2")
READER = Setting("reader/path", "sim", "Reader",
                 "sim, usb, usb:VID:PID, tty:USB0:pn532, pcsc or udp:HOST:PORT.")
SOUNDS = Setting("encode/sounds", True, "Sounds", "A tone for each tap at the encoding station.")
SYNC_WAIT = Setting("sync/wait_seconds", 5.0, "Long-poll wait (s)",
                    "How long a pull waits for new changes before asking again.")
# The Gates page's alert thresholds: their defaults are boxoffice.monitor.alerts.Thresholds' own
# (declared there once). The minutes are edited whole, as before; tests/ui/test_settings_homes.py
# fails if a default there stops being what the setting offers.
_LIMITS = Thresholds()
GATE_IDLE = Setting("monitor/idle_minutes", int(_LIMITS.idle_minutes), "Gate idle alert (min)",
                    "Warn when a gate has no scan for this many minutes while its series is open.")
DENIAL_RATE = Setting("monitor/denial_rate_pct", float(_LIMITS.denial_rate_pct), "Denial rate alert (%)",
                      "Alert when a gate denies more than this share of its scans in the last 5 minutes.")
DENIAL_MIN_SCANS = Setting("monitor/denial_min_scans", _LIMITS.denial_min_scans, "Denial alert minimum scans",
                           "The denial-rate alert waits for at least this many scans in the 5 minutes.")
OCCUPANCY = Setting("monitor/occupancy_pct", float(_LIMITS.occupancy_pct), "Occupancy alert (%)",
                    "Warn when a series holds more than this share of its capacity.")
DEVICE_SILENT = Setting("monitor/device_silent_minutes", int(_LIMITS.device_silent_minutes),
                        "Silent device alert (min)",
                        "Warn when a scanner at an open gate has not been heard from for this long.")

MONITOR: tuple[Setting[Any], ...] = (GATE_IDLE, DENIAL_RATE, DENIAL_MIN_SCANS, OCCUPANCY, DEVICE_SILENT)
ALL: tuple[Setting[Any], ...] = (SERVER_URL, STATION_NAME, READER, SOUNDS, SYNC_WAIT, *MONITOR)

GEOMETRY_KEY = "state/geometry"
WINDOW_STATE_KEY = "state/window"
LAST_PAGE_KEY = "state/last_page"


def qsettings() -> QSettings:
    """The settings: the platform's place, or the INI file in the folder ``files.use_folder`` chose."""
    ini = files.settings_file()
    if ini is not None:
        return QSettings(str(ini), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def configured_reader() -> Reader:
    """The reader the settings name (unopened): what the Encode and Lookup pages use unless given one."""
    from hardware.readers.paths import reader_for

    return reader_for(READER.read(qsettings()))
