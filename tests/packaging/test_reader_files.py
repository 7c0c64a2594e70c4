"""The Linux reader set-up files agree with the readers the hardware layer supports."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from hardware.readers.diagnose import KERNEL_NFC_DRIVERS, NFCPY_USB_READERS

LINUX = Path(__file__).resolve().parents[2] / "packaging" / "linux"
RULE = re.compile(r'ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})"(.*)$')


def rule_lines() -> list[str]:
    text = (LINUX / "60-boxoffice-nfc.rules").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_udev_rules_cover_exactly_the_usb_readers_nfcpy_drives() -> None:
    ids = {}
    for line in rule_lines():
        match = RULE.search(line)
        if match:
            ids[(int(match[1], 16), int(match[2], 16))] = match[3]
    assert set(ids) == set(NFCPY_USB_READERS)
    for vid_pid, rest in ids.items():
        assert 'TAG+="uaccess"' in rest and 'MODE="0660"' in rest, f"{vid_pid}: {rest}"


def test_udev_rules_only_touch_usb_devices_and_every_goto_has_its_label() -> None:
    lines = rule_lines()
    assert 'SUBSYSTEM!="usb", GOTO="boxoffice_nfc_end"' in lines
    labels = {m for line in lines for m in re.findall(r'LABEL="([^"]+)"', line)}
    gotos = {m for line in lines for m in re.findall(r'GOTO="([^"]+)"', line)}
    assert gotos and gotos <= labels


def test_the_kernel_drivers_that_grab_nfcpy_readers_are_blacklisted() -> None:
    text = (LINUX / "blacklist-boxoffice-nfc.conf").read_text(encoding="utf-8")
    listed = {line.split()[1] for line in text.splitlines() if line.startswith("blacklist ")}
    assert listed == set(KERNEL_NFC_DRIVERS)


def test_desktop_entry_opens_the_window_with_the_shipped_icon(root: Path) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(LINUX / "boxoffice.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[-1] == "gui"
    assert desktop["Terminal"] == "false"
    assert (root / "resources" / "icons" / f"{desktop['Icon']}.png").is_file()
