"""NTAG213/215/216 as the NXP datasheet describes them, answering raw Type 2 frames.

Transport-independent on purpose: ``process(frame) -> response`` is all the
in-process nfcpy device, the UDP server and the fake PC/SC reader need, so
nfcpy's real NTAG21x and NDEF code is exercised the same way on each path.

What is modelled, because encoding depends on it:
- the memory map: UID/BCC/static lock pages, the capability container, the
  factory NDEF area, dynamic lock bytes, CFG0 (AUTH0), CFG1 (ACCESS: PROT,
  CFGLCK, NFC_CNT_EN, AUTHLIM), PWD and PACK (both read back as zeros);
- READ (16 bytes, roll-over), FAST_READ, WRITE and COMPATIBILITY_WRITE with
  lock bits OR-ed in, GET_VERSION, READ_SIG, READ_CNT, PWD_AUTH;
- a NAK sends the tag to IDLE, so the reader must select it again;
- AUTH0 and ACCESS take effect at the next power-up, as on a real tag, which is
  why nfcpy's ``protect()`` (AUTH0 written before PWD) works and re-senses
  the tag before it authenticates;
- AUTHLIM: after that many wrong passwords the tag refuses PWD_AUTH for good.

Not modelled: the UID/counter mirror, the originality signature's
cryptography (READ_SIG returns fixed bytes derived from the UID), block-lock
bits (lock bits simply OR in).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from hardware.readers.sim.iso14443a import SimulatedTag, State

log = logging.getLogger(__name__)

ACK = b"\x0a"
NAK_INVALID = b"\x00"  # invalid argument, page out of range, page protected or locked
NAK_CRC = b"\x01"
NAK_AUTHLIM = b"\x04"  # too many wrong passwords
NAK_EEPROM = b"\x05"

GET_VERSION = 0x60
READ = 0x30
FAST_READ = 0x3A
WRITE = 0xA2
COMPATIBILITY_WRITE = 0xA0
READ_CNT = 0x39
PWD_AUTH = 0x1B
READ_SIG = 0x3C

PROT = 0x80
CFGLCK = 0x40
NFC_CNT_EN = 0x10
AUTHLIM_MASK = 0x07


@dataclass(frozen=True)
class NtagModel:
    name: str
    pages: int
    version: bytes
    cc_size: int  # byte 2 of the capability container: data area / 8
    factory_data: bytes  # pages 4 and 5 as shipped
    pages_per_dynamic_lock_bit: int

    @property
    def dynamic_lock_page(self) -> int:
        return self.pages - 5

    @property
    def cfg0(self) -> int:
        return self.pages - 4

    @property
    def cfg1(self) -> int:
        return self.pages - 3

    @property
    def pwd_page(self) -> int:
        return self.pages - 2

    @property
    def pack_page(self) -> int:
        return self.pages - 1


NTAG213 = NtagModel(
    "NTAG213", 45, bytes.fromhex("0004040201000F03"), 0x12, bytes.fromhex("0103A00C340300FE"), 2
)
NTAG215 = NtagModel(
    "NTAG215", 135, bytes.fromhex("0004040201001103"), 0x3E, bytes.fromhex("0300FE0000000000"), 16
)
NTAG216 = NtagModel(
    "NTAG216", 231, bytes.fromhex("0004040201001303"), 0x6D, bytes.fromhex("0300FE0000000000"), 16
)
MODELS_BY_NAME = {m.name.lower(): m for m in (NTAG213, NTAG215, NTAG216)}


class SimulatedNtag(SimulatedTag):
    """One NTAG21x band; ``memory`` is its EEPROM, free for tests to inspect or preset."""

    atqa = b"\x44\x00"
    sak = 0x00

    def __init__(self, uid: bytes, model: NtagModel = NTAG213) -> None:
        if len(uid) != 7 or uid[0] != 0x04:
            raise ValueError("an NTAG21x has a 7-byte UID starting with 04 (NXP)")
        super().__init__(uid)
        self.model = model
        self.description = f"an {model.name}"
        self.memory = bytearray(model.pages * 4)
        levels = self._cascade_levels()
        self.memory[0:4] = levels[0][1:5]
        self.memory[4:8] = self.uid[3:7]
        self.memory[8:12] = bytes([levels[1][4], 0x48, 0x00, 0x00])
        self.memory[12:16] = bytes([0xE1, 0x10, model.cc_size, 0x00])
        self.memory[16:24] = model.factory_data
        self._set_page(model.dynamic_lock_page, b"\x00\x00\x00\xbd")
        self._set_page(model.cfg0, b"\x04\x00\x00\xff")
        self._set_page(model.cfg1, b"\x00\x05\x00\x00")
        self._set_page(model.pwd_page, b"\xff\xff\xff\xff")
        self._set_page(model.pack_page, b"\x00\x00\x00\x00")
        self.nfc_counter = 0
        self.failed_auths = 0  # non-volatile on a real tag, like the counter
        self._auth0 = 0xFF  # what was latched at power-up
        self._access = 0x00
        self._counted_this_power_up = False
        self._pending_compat_write: int | None = None

    # -- configuration -------------------------------------------------------------

    def page(self, number: int) -> bytes:
        return bytes(self.memory[number * 4 : number * 4 + 4])

    def _set_page(self, number: int, data: bytes) -> None:
        self.memory[number * 4 : number * 4 + 4] = data

    @property
    def auth0(self) -> int:
        return self.memory[self.model.cfg0 * 4 + 3]

    @property
    def access(self) -> int:
        return self.memory[self.model.cfg1 * 4]

    @property
    def password(self) -> bytes:
        return self.page(self.model.pwd_page)

    @property
    def pack(self) -> bytes:
        return self.page(self.model.pack_page)[:2]

    def set_password(self, pwd: bytes, pack: bytes, auth0: int = 4, authlim: int = 0) -> None:
        """Preset a password as if another system had protected the band (takes effect at power-up)."""
        self._set_page(self.model.pwd_page, pwd[:4])
        self._set_page(self.model.pack_page, pack[:2] + b"\x00\x00")
        self.memory[self.model.cfg1 * 4] = (self.access & ~AUTHLIM_MASK) | (authlim & AUTHLIM_MASK)
        self.memory[self.model.cfg0 * 4 + 3] = auth0

    def power_on(self) -> None:
        super().power_on()
        self._auth0 = self.auth0
        self._access = self.access
        self._counted_this_power_up = False
        self._pending_compat_write = None

    # -- commands --------------------------------------------------------------------

    def _nak(self, code: bytes = NAK_INVALID) -> bytes:
        self.state = State.IDLE
        self._pending_compat_write = None
        return code

    @property
    def _authenticated(self) -> bool:
        return self.state is State.AUTHENTICATED

    def _write_protected(self, page: int) -> bool:
        return page >= self._auth0 and not self._authenticated

    def _read_protected(self, page: int) -> bool:
        return bool(self._access & PROT) and self._write_protected(page)

    def command(self, frame: bytes) -> bytes | None:
        if self._pending_compat_write is not None:
            return self._compatibility_write_data(frame)
        if not frame:
            return None
        code = frame[0]
        if code == GET_VERSION and len(frame) == 1:
            return self.model.version
        if code == READ and len(frame) == 2:
            return self._read(frame[1])
        if code == FAST_READ and len(frame) == 3:
            return self._fast_read(frame[1], frame[2])
        if code == WRITE and len(frame) == 6:
            return self._write(frame[1], frame[2:6])
        if code == COMPATIBILITY_WRITE and len(frame) == 2:
            if not self._may_write(frame[1]):
                return self._nak()
            self._pending_compat_write = frame[1]
            return ACK
        if code == PWD_AUTH and len(frame) == 5:
            return self._pwd_auth(frame[1:5])
        if code == READ_SIG and len(frame) == 2:
            return self.signature if frame[1] == 0 else self._nak()
        if code == READ_CNT and len(frame) == 2:
            if frame[1] != 0x02 or not self._access & NFC_CNT_EN:
                return self._nak()
            return self.nfc_counter.to_bytes(3, "little")
        # ULC AUTHENTICATE (nfcpy probes it first), HLTA variants, anything else.
        return self._nak()

    def _count_read(self) -> None:
        if self._access & NFC_CNT_EN and not self._counted_this_power_up:
            self.nfc_counter = min(self.nfc_counter + 1, 0xFFFFFF)
            self._counted_this_power_up = True

    def _readable_bytes(self, page: int) -> bytes:
        if page in (self.model.pwd_page, self.model.pack_page) or self._read_protected(page):
            return b"\x00\x00\x00\x00"
        return self.page(page)

    def _read(self, start: int) -> bytes:
        if start >= self.model.pages or self._read_protected(start):
            return self._nak()
        self._count_read()
        pages = [(start + i) % self.model.pages for i in range(4)]  # roll-over to page 0
        return b"".join(self._readable_bytes(p) for p in pages)

    def _fast_read(self, start: int, end: int) -> bytes:
        if start > end or end >= self.model.pages or self._read_protected(start):
            return self._nak()
        self._count_read()
        return b"".join(self._readable_bytes(p) for p in range(start, end + 1))

    def _locked(self, page: int) -> bool:
        """Whether the static or dynamic lock bits forbid writing ``page``."""
        lock0, lock1 = self.memory[10], self.memory[11]
        if page == 3:
            return bool(lock0 & 0x08)
        if 4 <= page <= 7:
            return bool(lock0 & (1 << page))
        if 8 <= page <= 15:
            return bool(lock1 & (1 << (page - 8)))
        dyn = self.model.dynamic_lock_page
        if 16 <= page < dyn:
            bit = (page - 16) // self.model.pages_per_dynamic_lock_bit
            dyn_bytes = self.memory[dyn * 4 : dyn * 4 + 2]
            return bit < 16 and bool(dyn_bytes[bit // 8] & (1 << (bit % 8)))
        if page in (self.model.cfg0, self.model.cfg1):
            return bool(self._access & CFGLCK)
        return False

    def _may_write(self, page: int) -> bool:
        return 2 <= page < self.model.pages and not self._write_protected(page) and not self._locked(page)

    def _write(self, page: int, data: bytes) -> bytes:
        if not self._may_write(page):
            return self._nak()
        if page == 2:  # only the two static lock bytes, and bits can only be set
            self.memory[10] |= data[2]
            self.memory[11] |= data[3]
        elif page == 3:  # capability container: one-time programmable
            for i in range(4):
                self.memory[12 + i] |= data[i]
        elif page == self.model.dynamic_lock_page:
            for i in range(3):
                self.memory[page * 4 + i] |= data[i]
        else:
            self._set_page(page, data)
        return ACK

    def _compatibility_write_data(self, frame: bytes) -> bytes:
        page, self._pending_compat_write = self._pending_compat_write, None
        assert page is not None
        if len(frame) != 16:
            return self._nak()
        return self._write(page, frame[:4])

    def _pwd_auth(self, pwd: bytes) -> bytes:
        authlim = self._access & AUTHLIM_MASK
        if authlim and self.failed_auths >= authlim:
            return self._nak(NAK_AUTHLIM)
        if pwd != self.password:
            if authlim:
                self.failed_auths += 1
            log.debug("simulated %s refused a password", self.model.name)
            return self._nak()
        self.failed_auths = 0
        self.state = State.AUTHENTICATED
        return self.pack

    @property
    def signature(self) -> bytes:
        """Stands in for NXP's ECDSA originality signature: 32 bytes, stable per UID, never zero."""
        return hashlib.sha256(b"sim-originality" + self.uid).digest()
