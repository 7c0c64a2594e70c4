"""ISO/IEC 14443-3 type A, as a tag sees it: wake-up, anticollision, select, halt.

Every simulated tag shares this layer so the readers above it (nfcpy's
own sense loop in process, nfcpy's ``udp`` driver, a fake PC/SC reader) go
through the same states a real band does. In particular a NAK or any
command a tag does not understand sends it back to IDLE, and only a new
REQA/WUPA and select brings it back: nfcpy's habit of re-sensing after a
refused command (NFC-NOTES trap 4) is only tested if the tag really stops
answering.

Frames are what nfcpy's drivers exchange: no CRC, the 7-bit REQA/WUPA as one
byte.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from functools import reduce
from operator import xor

log = logging.getLogger(__name__)

REQA = 0x26
WUPA = 0x52
HLTA = b"\x50\x00"
CASCADE_TAG = 0x88
SEL_CL1, SEL_CL2, SEL_CL3 = 0x93, 0x95, 0x97
NVB_ANTICOLLISION = 0x20
NVB_SELECT = 0x70
SAK_CASCADE = 0x04


def bcc(data: bytes) -> int:
    return reduce(xor, data, 0)


def reader_select(transceive: Callable[[bytes], bytes | None], uid: bytes | None = None,
                  wake: int = REQA) -> tuple[bytes, int, bytes] | None:
    """The reader's half of activation: wake-up, then per cascade level SDD (or the known UID) and SEL.

    Returns (ATQA, SAK, UID), or None when nothing (or not that UID) answers. Shared by the
    in-process nfcpy device and test fakes of other readers, so they activate tags alike.
    """
    atqa = transceive(bytes([wake]))
    if atqa is None or len(atqa) != 2:
        return None
    known: list[bytes] = []
    if uid:
        known = [bytes(uid)] if len(uid) == 4 else [bytes([CASCADE_TAG]) + bytes(uid[:3]), bytes(uid[3:7])]
        known = [level + bytes([bcc(level)]) for level in known]
    found = bytearray()
    for index, sel_cmd in enumerate((SEL_CL1, SEL_CL2, SEL_CL3)):
        if uid:
            if index >= len(known):
                return None
            level = known[index]
        else:
            answer = transceive(bytes([sel_cmd, NVB_ANTICOLLISION]))
            if answer is None or len(answer) != 5 or bcc(answer[:4]) != answer[4]:
                return None
            level = answer
        sak = transceive(bytes([sel_cmd, NVB_SELECT]) + level)
        if sak is None or len(sak) != 1:
            return None
        if sak[0] & SAK_CASCADE:
            found += level[1:4]
            continue
        found += level[0:4]
        return atqa, sak[0], bytes(found)
    return None


class State(enum.Enum):
    OFF = "off"  # no field: the next frame powers the tag up
    IDLE = "idle"
    READY1 = "ready1"
    READY2 = "ready2"
    ACTIVE = "active"
    AUTHENTICATED = "authenticated"
    HALT = "halt"


class SimulatedTag:
    """A type A tag: subclasses answer the commands that follow a select in ``command``."""

    #: ATQA as it goes over the air (LSB first), as nfcpy's ``sens_res``.
    atqa = b"\x44\x00"
    #: SAK of the last cascade level.
    sak = 0x00
    #: What a person is told this tag is ("a MIFARE Classic card").
    description = "an unknown tag"

    def __init__(self, uid: bytes) -> None:
        if len(uid) not in (4, 7):
            raise ValueError("a simulated tag has a 4 or 7 byte UID")
        self.uid = bytes(uid)
        self.state = State.OFF
        self._halted = False

    # -- power and the RF layer ---------------------------------------------------

    def power_off(self) -> None:
        """The reader switched its field off or the band left it: volatile state is lost."""
        self.state = State.OFF

    def power_on(self) -> None:
        """Hook for what a tag latches at power-up (NTAG21x: AUTH0 and ACCESS)."""
        self.state = State.IDLE

    def _cascade_levels(self) -> list[bytes]:
        """The UID split the way anticollision sends it, each level with its BCC."""
        levels = [self.uid] if len(self.uid) == 4 else [bytes([CASCADE_TAG]) + self.uid[:3], self.uid[3:7]]
        return [level + bytes([bcc(level)]) for level in levels]

    def process(self, frame: bytes) -> bytes | None:
        """Answer one frame from the reader, or None where a real tag stays silent."""
        if self.state is State.OFF:
            self.power_on()
        frame = bytes(frame)
        state = self.state
        if len(frame) == 1 and frame[0] in (REQA, WUPA):
            if state is State.IDLE or (state is State.HALT and frame[0] == WUPA):
                self.state = State.READY1
                return self.atqa
            # Not expected here: ISO 14443-3 sends the tag back to IDLE (or HALT) silently.
            self._to_idle()
            return None
        if state in (State.READY1, State.READY2):
            return self._anticollision(frame)
        if state in (State.ACTIVE, State.AUTHENTICATED):
            if frame == HLTA:
                self.state = State.HALT
                return None
            return self.command(frame)
        return None

    def _anticollision(self, frame: bytes) -> bytes | None:
        level = 0 if self.state is State.READY1 else 1
        levels = self._cascade_levels()
        sel = (SEL_CL1, SEL_CL2, SEL_CL3)[level]
        if frame == bytes([sel, NVB_ANTICOLLISION]):
            return levels[level]
        if frame == bytes([sel, NVB_SELECT]) + levels[level]:
            if level + 1 < len(levels):
                self.state = State.READY2
                return bytes([SAK_CASCADE])
            self.state = State.ACTIVE
            self.selected()
            return bytes([self.sak])
        self._to_idle()
        return None

    def _to_idle(self) -> None:
        self.state = State.HALT if self.state is State.HALT else State.IDLE

    def selected(self) -> None:
        """Hook: the tag has just become ACTIVE."""

    def command(self, frame: bytes) -> bytes | None:
        """Answer a command in ACTIVE state; the base tag understands none."""
        self._to_idle()
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uid.hex().upper()} {self.state.value}>"


class SimulatedMifareClassic(SimulatedTag):
    """A MIFARE Classic 1K (SAK 0x08) or 4K (0x18): hotel and transit cards that end up on the reader.

    nfcpy takes it for a Type 2 tag (NFC-NOTES trap 8); it never answers a Type 2 command
    because it wants its Crypto-1 authentication first, which is all the simulation needs.
    """

    atqa = b"\x04\x00"
    description = "a MIFARE Classic card (a hotel, transit or access card)"

    def __init__(self, uid: bytes = b"\xde\xad\xbe\xef", sak: int = 0x08) -> None:
        super().__init__(uid)
        self.sak = sak


class SimulatedUltralight(SimulatedTag):
    """A MIFARE Ultralight (MF0ICU1): a Type 2 tag with no GET_VERSION, no password.

    It is the "other Type 2 tag" case: nfcpy recognises it by its silence to
    GET_VERSION and must not be mistaken for a wristband.
    """

    description = "a MIFARE Ultralight tag"
    PAGES = 16

    def __init__(self, uid: bytes) -> None:
        super().__init__(uid)
        levels = self._cascade_levels()
        self.memory = bytearray(self.PAGES * 4)
        self.memory[0:4] = levels[0][1:4] + levels[0][4:5]
        self.memory[4:8] = self.uid[3:7]
        self.memory[8:12] = bytes([levels[1][4], 0x48, 0x00, 0x00])
        self.memory[12:16] = b"\xe1\x10\x06\x00"
        self.memory[16:20] = b"\x03\x00\xfe\x00"

    def command(self, frame: bytes) -> bytes | None:
        if len(frame) == 2 and frame[0] == 0x30 and frame[1] < self.PAGES:
            start = frame[1] * 4
            data = (self.memory + self.memory)[start : start + 16]
            return bytes(data)
        if len(frame) == 6 and frame[0] == 0xA2 and 2 <= frame[1] < self.PAGES:
            self.memory[frame[1] * 4 : frame[1] * 4 + 4] = frame[2:6]
            return b"\x0a"
        if frame[:1] in (b"\x30", b"\xa2"):
            self._to_idle()
            return b"\x00"
        # GET_VERSION, AUTHENTICATE and the rest: an MF0ICU1 does not know them and says nothing.
        self._to_idle()
        return None
