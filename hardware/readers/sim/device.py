"""A simulated reader under nfcpy's ``ContactlessFrontend``, in this process.

It sits where nfcpy's USB drivers sit (``nfc.clf.device.Device``), so every
layer above it is nfcpy's own: the ``connect()`` loop, ``sense``, tag
activation (which picks ``nfc.tag.tt2_nxp.NTAG213`` from GET_VERSION), the
NDEF code and ``protect()``. Nothing in the code under test knows it is not
talking to a USB reader; that is the point.

An unplugged field behaves like a pulled USB cable: every call raises
``IOError(ENODEV)``, which is what nfcpy's USB transport raises, and
``SimulatedFrontend.open`` finds no reader until the field is plugged again.
"""

from __future__ import annotations

import errno
import logging
import os
from typing import Any

import nfc
import nfc.clf
import nfc.clf.device

from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.sim.field import SimulatedField
from hardware.readers.sim.iso14443a import REQA, reader_select

log = logging.getLogger(__name__)

SIM_PATH = "sim"


class SimulatedDevice(nfc.clf.device.Device):
    """nfcpy driver interface served by a ``SimulatedField``; only type A reader mode."""

    def __init__(self, field: SimulatedField) -> None:
        # nfc.clf.device.Device.__init__ only raises NotImplementedError; drivers set these instead.
        self.field = field
        self._vendor_name = "Box office"
        self._device_name = "Simulated reader"
        self._chipset_name = "NTAG21x simulator"
        self._path = SIM_PATH

    def _check(self) -> None:
        if not self.field.plugged:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))

    def close(self) -> None:
        self.field.rf_off()

    def mute(self) -> None:
        self._check()
        self.field.rf_off()

    def sense_tta(self, target: nfc.clf.RemoteTarget) -> nfc.clf.RemoteTarget | None:
        """REQA and anticollision as a PN533 does it; direct select when ``sel_req`` names a UID."""
        self._check()
        if target.brty != "106A":
            raise nfc.clf.UnsupportedTargetError(f"{self} does not support {target.brty}")
        wake = bytes(target.sens_req)[0] if target.sens_req else REQA
        uid = bytes(target.sel_req) if target.sel_req else None
        found = reader_select(self.field.transceive, uid, wake)
        if found is None:
            return None
        atqa, sak, nfcid = found
        return nfc.clf.RemoteTarget(
            "106A", sens_res=bytearray(atqa), sel_res=bytearray([sak]), sdd_res=bytearray(nfcid)
        )

    def sense_ttb(self, target: nfc.clf.RemoteTarget) -> None:
        self._check()

    def sense_ttf(self, target: nfc.clf.RemoteTarget) -> None:
        self._check()

    def sense_dep(self, target: nfc.clf.RemoteTarget) -> None:
        raise nfc.clf.UnsupportedTargetError(f"{self} does not support peer-to-peer")

    def _no_listen(self, *args: Any) -> None:
        raise nfc.clf.UnsupportedTargetError(f"{self} cannot emulate a card")

    listen_tta = listen_ttb = listen_ttf = listen_dep = _no_listen

    def send_cmd_recv_rsp(self, target: nfc.clf.RemoteTarget, data: bytes, timeout: float) -> bytearray:
        self._check()
        response = self.field.transceive(bytes(data))
        if response is None:
            raise nfc.clf.TimeoutError("no answer from the tag")
        return bytearray(response)

    def send_rsp_recv_cmd(self, target: Any, data: bytes, timeout: float | None = None) -> None:
        raise nfc.clf.UnsupportedTargetError(f"{self} cannot emulate a card")

    def get_max_send_data_size(self, target: Any) -> int:
        return 252

    def get_max_recv_data_size(self, target: Any) -> int:
        return 252

    def turn_on_led_and_buzzer(self) -> None:
        self.field.beep()

    def turn_off_led_and_buzzer(self) -> None:
        pass


class SimulatedFrontend(nfc.ContactlessFrontend):
    """nfcpy's own frontend; only ``open('sim')`` differs, attaching the simulated device."""

    def __init__(self, field: SimulatedField) -> None:
        super().__init__()
        self.field = field

    def open(self, path: str) -> bool:
        if path != SIM_PATH:
            return bool(super().open(path))
        self.close()
        with self.lock:
            self.device = SimulatedDevice(self.field) if self.field.plugged else None
            return self.device is not None


def simulated_reader(field: SimulatedField, name: str = "Simulated reader") -> NfcpyReader:
    """The ``sim`` reader: nfcpy's frontend and the real nfcpy backend over ``field``."""
    return NfcpyReader(SIM_PATH, frontend=SimulatedFrontend(field), name=name)
