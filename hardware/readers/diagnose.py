"""What is attached, what can be used, and for what cannot, why and the command that fixes it.

Setting up a station fails in a handful of ways that all look like "no
reader" from inside nfcpy: libusb missing, no permission on
``/dev/bus/usb/BBB/DDD`` (no udev rule), a kernel module (``pn533_usb``,
``port100``) or pcscd holding the device, pcscd not running for a PC/SC
reader. USB devices are read from sysfs rather than through libusb, so the
list works even when libusb is the problem. Every input (sysfs, /dev, the
access check, libusb, PC/SC) can be swapped, which is how the tests reach
each case without the hardware.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hardware.readers.errors import HardwareError

log = logging.getLogger(__name__)

SYSFS_USB = Path("/sys/bus/usb/devices")
DEV_USB = Path("/dev/bus/usb")

#: The readers nfcpy drives itself (nfc.clf.device.usb_device_map), with names people know.
NFCPY_USB_READERS = {
    (0x054C, 0x0193): "Sony PN531",
    (0x04CC, 0x0531): "Philips PN531 / SCM SCL3710",
    (0x04CC, 0x2533): "NXP PN533 board",
    (0x04E6, 0x5591): "SCM SCL3711",
    (0x04E6, 0x5593): "SCM SCL3712",
    (0x054C, 0x02E1): "Sony RC-S330/360/370",
    (0x054C, 0x06C1): "Sony RC-S380",
    (0x054C, 0x06C3): "Sony RC-S380",
    (0x072F, 0x2200): "ACS ACR122U",
}
#: Vendors of the PC/SC readers box offices buy; a CCID interface (class 0x0B) also counts.
PCSC_VENDORS = {0x072F: "ACS", 0x076B: "HID Omnikey", 0x04E6: "Identiv", 0x096E: "Feitian", 0x1FC9: "NXP"}
CCID_CLASS = 0x0B
KERNEL_NFC_DRIVERS = ("pn533_usb", "pn533", "port100")


@dataclass
class Finding:
    """One line of ``boxoffice reader list``."""

    kind: str  # "sim", "nfcpy", "pcsc"
    name: str
    path: str | None  # what to pass to --reader
    ready: bool
    problem: str | None = None
    fix: str | None = None
    where: str | None = None  # usb:BUS:DEV, the PC/SC reader name


@dataclass
class Report:
    readers: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"readers": [asdict(f) for f in self.readers], "notes": list(self.notes)}


@dataclass(frozen=True)
class UsbDevice:
    vid: int
    pid: int
    bus: int
    dev: int
    product: str
    drivers: tuple[str, ...]  # drivers bound to its interfaces ("usbfs" = a program via libusb)
    interface_classes: tuple[int, ...]

    @property
    def where(self) -> str:
        return f"usb:{self.bus:03d}:{self.dev:03d}"

    @property
    def vid_pid(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def usb_devices(sysfs: Path = SYSFS_USB) -> list[UsbDevice] | None:
    """Attached USB devices from sysfs; None where there is no sysfs to read (not Linux, a container)."""
    if not sysfs.is_dir():
        return None
    entries = sorted(sysfs.iterdir())
    devices = []
    for entry in entries:
        vid, pid = _read(entry / "idVendor"), _read(entry / "idProduct")
        if not vid or not pid or ":" in entry.name:
            continue
        drivers, classes = [], []
        for interface in entries:
            if interface.name.startswith(entry.name + ":"):
                driver = interface / "driver"
                if driver.exists():
                    drivers.append(driver.resolve().name)
                iclass = _read(interface / "bInterfaceClass")
                if iclass:
                    classes.append(int(iclass, 16))
        try:
            bus, dev = int(_read(entry / "busnum") or 0), int(_read(entry / "devnum") or 0)
            devices.append(UsbDevice(
                int(vid, 16), int(pid, 16), bus, dev, _read(entry / "product"), tuple(drivers), tuple(classes)
            ))
        except ValueError:
            log.debug("unreadable sysfs entry %s", entry)
    return devices


def libusb_problem() -> str | None:
    """None when libusb-1.0 loads; else why not (nfcpy then raises FileNotFoundError on 'usb')."""
    try:
        import usb1

        usb1.getVersion()
    except (ImportError, OSError) as error:
        return str(error)
    return None


def udev_rule(device: UsbDevice) -> str:
    rule = (
        f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{device.vid:04x}", '
        f'ATTRS{{idProduct}}=="{device.pid:04x}", MODE="0660", TAG+="uaccess"'
    )
    # Appended (-a): the file may be the full one packaging/linux/install.sh put there.
    return (
        f"echo '{rule}' | sudo tee -a /etc/udev/rules.d/60-boxoffice-nfc.rules && "
        "sudo udevadm control --reload-rules && sudo udevadm trigger; "
        "then unplug the reader and plug it back in"
    )


def _can_open(node: Path) -> bool:
    return os.access(node, os.R_OK | os.W_OK)


def diagnose_nfcpy_device(device: UsbDevice, *, libusb_error: str | None, dev_root: Path = DEV_USB,
                          can_open: Callable[[Path], bool] = _can_open) -> Finding:
    name = NFCPY_USB_READERS.get((device.vid, device.pid), device.product or "NFC reader")
    finding = Finding("nfcpy", name, f"usb:{device.vid_pid}", ready=False, where=device.where)
    node = dev_root / f"{device.bus:03d}" / f"{device.dev:03d}"
    kernel = [d for d in device.drivers if d in KERNEL_NFC_DRIVERS]
    if libusb_error:
        finding.problem = f"libusb-1.0 is not installed, so nfcpy cannot reach it ({libusb_error})."
        finding.fix = "sudo apt install libusb-1.0-0"
    elif kernel:
        module = kernel[0]
        finding.problem = f"The Linux kernel driver {module} has claimed it, so nfcpy cannot use it."
        finding.fix = (
            f"sudo modprobe -r {module} && echo 'blacklist {module}' | "
            "sudo tee /etc/modprobe.d/boxoffice-nfc.conf"
        )
    elif "usbfs" in device.drivers:
        if (device.vid, device.pid) == (0x072F, 0x2200):
            finding.problem = "pcscd holds it (the PC/SC service claims every ACR122U)."
            finding.fix = (
                "Use it through PC/SC with --reader pcsc, or free it: sudo systemctl stop pcscd.socket pcscd"
            )
        else:
            finding.problem = "Another program has it open."
            finding.fix = "Close the other program that uses the reader (another Box office window?)."
    elif not can_open(node):
        finding.problem = f"This user may not open its USB device {node}."
        finding.fix = udev_rule(device)
    else:
        finding.ready = True
    return finding


def diagnose_pcsc(system: Any = None) -> tuple[list[Finding], list[str]]:
    """PC/SC readers the service lists, or one finding saying why PC/SC cannot be used."""
    from hardware.readers.pcsc import PyscardSystem, framing_for

    try:
        names = (system or PyscardSystem()).readers()
    except HardwareError as error:
        return [Finding("pcsc", "PC/SC readers", "pcsc", False, error.message, error.fix)], []
    findings = [
        Finding("pcsc", name, f"pcsc:{name}", True, where=f"{framing_for(name).name} pass-through")
        for name in names
    ]
    return findings, [] if names else ["The PC/SC service lists no reader."]


def report(*, sysfs: Path = SYSFS_USB, dev_root: Path = DEV_USB, pcsc_system: Any = None,
           libusb: Callable[[], str | None] = libusb_problem,
           can_open: Callable[[Path], bool] = _can_open) -> Report:
    """Everything ``boxoffice reader list`` shows."""
    out = Report()
    out.readers.append(Finding("sim", "Simulated reader with blank NTAG213 bands", "sim", True))
    libusb_error = libusb()
    devices = usb_devices(sysfs)
    if devices is None:
        out.notes.append(f"USB devices cannot be listed here ({sysfs} is missing); nfcpy can still search: "
                         "--reader usb.")
        devices = []
    nfcpy_devices = [d for d in devices if (d.vid, d.pid) in NFCPY_USB_READERS]
    for device in nfcpy_devices:
        out.readers.append(diagnose_nfcpy_device(device, libusb_error=libusb_error, dev_root=dev_root,
                                                 can_open=can_open))
    if libusb_error and not nfcpy_devices:
        out.notes.append(f"libusb-1.0 is not installed, so USB readers would not work through nfcpy "
                         f"({libusb_error}); fix: sudo apt install libusb-1.0-0")
    pcsc_findings, pcsc_notes = diagnose_pcsc(pcsc_system)
    out.readers.extend(pcsc_findings)
    out.notes.extend(pcsc_notes)
    listed = " ".join(f.name for f in pcsc_findings if f.ready).lower()
    for device in devices:
        is_ccid = CCID_CLASS in device.interface_classes or device.vid in PCSC_VENDORS
        if not is_ccid or (device.vid, device.pid) in NFCPY_USB_READERS:
            continue
        if device.product and device.product.lower() not in listed:
            out.notes.append(
                f"{device.product} ({device.vid_pid} at {device.where}) looks like a PC/SC reader but the "
                "PC/SC service does not list it; fix: sudo apt install pcscd libccid && sudo systemctl "
                "restart pcscd"
            )
    if not any(f.kind in ("nfcpy", "pcsc") and f.ready for f in out.readers):
        out.notes.append("No NFC reader is ready; `--reader sim` works without one.")
    return out
