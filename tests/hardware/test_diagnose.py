"""``reader list`` diagnostics on a made-up sysfs: every way a station's reader fails, and its fix."""

from __future__ import annotations

from pathlib import Path

from hardware.readers.diagnose import Finding, report, usb_devices


class NoPcsc:
    def readers(self) -> list[str]:
        return []


class OnePcsc:
    def readers(self) -> list[str]:
        return ["ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00"]


def add_device(sysfs: Path, name: str, vid: int, pid: int, dev: int, product: str,
               driver: str | None = None, iclass: int = 0xFF) -> None:
    entry = sysfs / name
    entry.mkdir(parents=True)
    for key, value in (("idVendor", f"{vid:04x}"), ("idProduct", f"{pid:04x}"), ("busnum", "1"),
                       ("devnum", str(dev)), ("product", product)):
        (entry / key).write_text(value + "\n")
    interface = sysfs / f"{name}:1.0"
    interface.mkdir()
    (interface / "bInterfaceClass").write_text(f"{iclass:02x}\n")
    if driver:
        target = sysfs.parent / "drivers" / driver
        target.mkdir(parents=True, exist_ok=True)
        (interface / "driver").symlink_to(target)


def by_path(findings: list[Finding]) -> dict[str | None, Finding]:
    return {f.path: f for f in findings}


def test_each_failure_has_a_sentence_and_a_fix(tmp_path: Path) -> None:
    sysfs = tmp_path / "devices"
    add_device(sysfs, "1-1", 0x054C, 0x06C3, 4, "RC-S380/P", driver="port100")
    add_device(sysfs, "1-2", 0x04E6, 0x5591, 5, "SCL3711-NFC&RW")
    add_device(sysfs, "1-3", 0x072F, 0x2200, 6, "ACR122U PICC Interface", driver="usbfs", iclass=0x0B)
    add_device(sysfs, "1-4", 0x054C, 0x06C1, 7, "RC-S380/S")
    add_device(sysfs, "1-5", 0x1D6B, 0x0002, 1, "EHCI Host Controller", driver="hub", iclass=0x09)
    closed = {tmp_path / "dev" / "001" / "005"}
    found = report(sysfs=sysfs, dev_root=tmp_path / "dev", pcsc_system=NoPcsc(), libusb=lambda: None,
                   can_open=lambda node: node not in closed)
    readers = by_path(found.readers)

    assert readers["sim"].ready
    sony = readers["usb:054c:06c3"]
    assert not sony.ready and "kernel driver port100" in sony.problem
    assert "modprobe -r port100" in sony.fix and "blacklist port100" in sony.fix
    scm = readers["usb:04e6:5591"]
    assert "may not open its USB device" in scm.problem and str(tmp_path / "dev/001/005") in scm.problem
    assert 'ATTRS{idVendor}=="04e6"' in scm.fix and "udevadm" in scm.fix
    acr = readers["usb:072f:2200"]
    assert "pcscd holds it" in acr.problem and "--reader pcsc" in acr.fix
    assert readers["usb:054c:06c1"].ready and readers["usb:054c:06c1"].where == "usb:001:007"
    assert "usb:1d6b:0002" not in readers  # a hub is no reader
    assert any("PC/SC service lists no reader" in note for note in found.notes)


def test_libusb_missing_marks_every_nfcpy_reader(tmp_path: Path) -> None:
    sysfs = tmp_path / "devices"
    add_device(sysfs, "1-1", 0x054C, 0x06C3, 4, "RC-S380/P")
    found = report(sysfs=sysfs, dev_root=tmp_path, pcsc_system=NoPcsc(),
                   libusb=lambda: "cannot find a suitable libusb-1.0", can_open=lambda node: True)
    sony = by_path(found.readers)["usb:054c:06c3"]
    assert "libusb-1.0 is not installed" in sony.problem and sony.fix == "sudo apt install libusb-1.0-0"


def test_pcsc_readers_listed_and_unlisted(tmp_path: Path) -> None:
    sysfs = tmp_path / "devices"
    add_device(sysfs, "1-1", 0x072F, 0x223B, 4, "ACR1252 Dual Reader", driver="usbfs", iclass=0x0B)
    add_device(sysfs, "1-2", 0x076B, 0x5422, 5, "OMNIKEY 5422", iclass=0x0B)
    found = report(sysfs=sysfs, dev_root=tmp_path, pcsc_system=OnePcsc(), libusb=lambda: None)
    pcsc = [f for f in found.readers if f.kind == "pcsc"]
    assert len(pcsc) == 1 and pcsc[0].ready and pcsc[0].path.startswith("pcsc:ACS ACR1252")
    notes = " ".join(found.notes)
    assert "OMNIKEY 5422" in notes and "does not list it" in notes
    assert "ACR1252 Dual Reader (" not in notes
    assert not any("No NFC reader is ready" in n for n in found.notes)


def test_no_sysfs_is_a_note_not_a_crash(tmp_path: Path) -> None:
    assert usb_devices(tmp_path / "missing") is None
    found = report(sysfs=tmp_path / "missing", pcsc_system=NoPcsc(), libusb=lambda: None)
    assert [f.path for f in found.readers] == ["sim"]
    assert any("cannot be listed" in n for n in found.notes)
    assert found.as_json()["readers"][0]["ready"] is True
