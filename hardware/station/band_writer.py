"""Writing one wristband: record, read-back, password protection, with nfcpy's own NTAG21x code.

The order is what makes a crash or a pulled band recoverable (DESIGN,
"Wristbands"): the caller has already reserved a *pending* row; here the
record is written, read back and compared, and only then is the band
protected; the caller marks the row active after this returns. Every step
can be repeated on the next tap of the same band:

- protection is detected by reading AUTH0 (NFC-NOTES trap 2: nfcpy's
  ``is_writeable`` still says True on a password-protected band); a band
  already protected by us (a resumed band) is unlocked with our password,
  one protected by anybody else is refused before a single write;
- a record already on the band is not written again; an empty message on a
  band we were writing is a torn write (trap 5) and is simply rewritten;
- the configuration is written directly, PWD, PACK, ACCESS (with AUTHLIM,
  which nfcpy never sets) and AUTH0 last (trap 7), so a band pulled half-way
  is never protected with a password that did not land; ``protect()`` would
  write AUTH0 first;
- after a refused WRITE the band is idle and must be selected again before
  anything else is sent to it (trap 4).

Failures come out as ``TagError``s (``hardware.readers.errors`` for what any
reader reports, ``hardware.station.errors`` for what only writing a band can
go wrong with), each with the ``outcome`` an encoding batch records and a
sentence for the person holding the band.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ndef

from hardware.readers.errors import TagRefusedError, TagRemovedError
from hardware.readers.reader import TagKind, TagSession
from hardware.station.errors import (
    LockedTagError,
    RecordTooLargeError,
    TagNotFormattedError,
    TornWriteError,
    WriteVerifyError,
)

if TYPE_CHECKING:
    import nfc.tag.tt2_nxp

log = logging.getLogger(__name__)

#: First page of user memory; protection starts here so the capability container stays readable.
FIRST_USER_PAGE = 4
#: Wrong passwords a band accepts before it refuses PWD_AUTH for good (3 bits, 0 = unlimited).
DEFAULT_AUTHLIM = 7

PROT = 0x80  # ACCESS bit: the password protects reads too (never set: gates must read without it)
CFGLCK = 0x40
AUTHLIM_MASK = 0x07

#: CFG0 page (MIRROR, RFU, MIRROR_PAGE, AUTH0) of each model; CFG1 (ACCESS), PWD and PACK follow it.
CONFIG_PAGES = {TagKind.NTAG213: 0x29, TagKind.NTAG215: 0x83, TagKind.NTAG216: 0xE3}

#: Other (PWD, PACK) pairs a band may carry, looked up only when they are needed.
OlderKeys = Callable[[], Sequence[tuple[bytes, bytes]]]


@dataclass(frozen=True)
class BandContent:
    """What goes on one band: one NDEF record, and the band's own write password."""

    record_type: str  # e.g. "urn:nfc:ext:bxo.app:b"
    payload: bytes
    password: bytes  # PWD, 4 bytes
    pack: bytes  # PACK, 2 bytes: the band's answer that proves it is the band we protected

    def __post_init__(self) -> None:
        if len(self.password) != 4 or len(self.pack) != 2:
            raise ValueError("an NTAG21x password is 4 bytes of PWD and 2 bytes of PACK")

    def message(self) -> bytes:
        """The NDEF message as it is stored on the band (ndeflib's encoding, as nfcpy writes it)."""
        record = ndef.Record(self.record_type, "", self.payload)
        return b"".join(ndef.message_encoder([record]))

    @property
    def key(self) -> bytes:
        """PWD + PACK, the 6-byte form nfcpy's ``authenticate`` takes."""
        return self.password + self.pack


class Found(enum.Enum):
    """What was on the band before this tap wrote anything."""

    EMPTY = "empty"  # an empty message: a fresh band, or one whose earlier write was torn
    SAME = "same"  # exactly our record: written on an earlier tap (a resumed band)
    OTHER = "other"  # some other record, on a band nobody had protected: overwritten


@dataclass(frozen=True)
class WriteResult:
    uid: bytes
    found: Found
    was_protected: bool  # already password-protected when tapped, and opened with one of our keys
    wrote_record: bool
    wrote_config: bool
    size: int  # bytes of the NDEF message


@dataclass(frozen=True)
class TagConfig:
    """CFG0 and CFG1 as read from the band (PWD and PACK always read back as zeros)."""

    cfg0: bytes
    cfg1: bytes

    @property
    def auth0(self) -> int:
        return self.cfg0[3]

    @property
    def access(self) -> int:
        return self.cfg1[0]

    def protects_writes(self, config_page: int) -> bool:
        """Whether some page we write (user memory or the configuration itself) needs the password."""
        return self.auth0 <= config_page + 3


def read_config(tag: nfc.tag.tt2_nxp.NTAG21x, config_page: int) -> TagConfig:
    data = bytes(tag.read(config_page))
    return TagConfig(data[0:4], data[4:8])


class BandWriter:
    """Writes, verifies and protects one band per ``write`` call; holds no state between bands."""

    def __init__(self, authlim: int = DEFAULT_AUTHLIM) -> None:
        if not 0 <= authlim <= AUTHLIM_MASK:
            raise ValueError("AUTHLIM is 0 (unlimited) to 7")
        self.authlim = authlim

    def write(self, session: TagSession, content: BandContent,
              older_keys: OlderKeys | None = None) -> WriteResult:
        """Put ``content`` on the band in ``session``, read it back and protect it.

        ``older_keys()`` gives the (PWD, PACK) pairs the band may have been
        protected with before (a band reused from an earlier event, an older
        tag secret); it is only called when our key does not open the band,
        and a band opened with an older key gets ours.

        Raises a ``TagError`` (``ForeignTagError``, ``LockedTagError``,
        ``TagRemovedError``, ``TornWriteError``, ``WriteVerifyError``,
        ``RecordTooLargeError``, ``TagNotFormattedError``,
        ``TagCommunicationError``) or ``ReaderUnpluggedError``; in every case
        the same call on the next tap of the band finishes the job.
        """
        session.wristband()  # ForeignTagError for anything but an NTAG213/215/216
        uid = session.uid
        config_page = CONFIG_PAGES[session.kind]
        message = content.message()

        try:
            config = session.run(lambda t: read_config(t, config_page))
        except TagRefusedError as error:  # PROT set by another system: even reading needs its password
            raise LockedTagError(uid) from error
        was_protected = config.protects_writes(config_page)
        key_is_ours = False  # PWD and PACK on the band are known to be ours already
        if was_protected:
            key_is_ours = self._open(session, content, older_keys)

        found, wrote_record = self._write_record(session, content, message)
        if wrote_record:  # SAME was itself just read from the band in this session
            self._verify_record(session, message)
        wrote_config = self._protect(session, content, config, config_page, key_is_ours)
        self._confirm_protection(session, content, config_page)
        log.debug("band %s written (%s before, %d bytes, protected before: %s)",
                  uid.hex().upper(), found.value, len(message), was_protected)
        return WriteResult(uid, found, was_protected, wrote_record, wrote_config, len(message))

    # -- steps ------------------------------------------------------------------------

    def _open(self, session: TagSession, content: BandContent, older_keys: OlderKeys | None) -> bool:
        """Authenticate a protected band: True with our key, False with an older one; else locked."""
        if self._try_key(session, content.key):
            return True
        for pwd, pack in older_keys() if older_keys is not None else ():
            if pwd + pack != content.key and self._try_key(session, pwd + pack):
                log.info("band %s opened with an older password; it gets the current one",
                         session.uid.hex().upper())
                return False
        raise LockedTagError(session.uid)

    def _try_key(self, session: TagSession, key: bytes) -> bool:
        if session.run(lambda t: t.authenticate(key)):
            return True
        # nfcpy's authenticate() turns a timeout into False too: a band gone is not a wrong password.
        if not session.is_present():  # also selects the band again after its NAK (trap 4)
            raise TagRemovedError(session.uid)
        return False

    def _authenticate(self, session: TagSession, content: BandContent, refused: Exception) -> None:
        """PWD_AUTH with our password; ``refused`` is raised when the band does not take it."""
        if not self._try_key(session, content.key):
            raise refused

    def _write_record(self, session: TagSession, content: BandContent, message: bytes) -> tuple[Found, bool]:
        uid = session.uid

        def current(tag: nfc.tag.tt2_nxp.NTAG21x) -> tuple[bytes, int, bool] | None:
            area = tag.ndef
            if area is None:
                return None
            return area.octets, area.capacity, area.is_writeable

        state = session.run(current)
        if state is None:  # nfcpy says "no NDEF" both for a failed read and for an unformatted tag
            if not session.is_present():
                raise TagRemovedError(uid)
            raise TagNotFormattedError(uid)
        octets, capacity, writeable = state
        if octets == message:
            return Found.SAME, False
        if not writeable:  # the capability container or lock bits say read-only: locked for good
            raise LockedTagError(uid, permanent=True)
        if len(message) > capacity:
            raise RecordTooLargeError(len(message), capacity, uid)
        found = Found.EMPTY if not octets else Found.OTHER

        def put(tag: nfc.tag.tt2_nxp.NTAG21x) -> None:
            tag.ndef.octets = message

        try:
            session.run(put)
        except TagRemovedError as error:  # nfcpy zeroes the TLV length first: the band shows an empty message
            raise TornWriteError(uid) from error
        except TagRefusedError as error:
            session.is_present()  # a refused WRITE leaves the band idle: select it again (trap 4)
            raise LockedTagError(uid, permanent=True) from error
        return found, True

    def _verify_record(self, session: TagSession, message: bytes) -> None:
        """Read the message back from the band itself (``has_changed`` re-reads it) and compare."""

        def reread(tag: nfc.tag.tt2_nxp.NTAG21x) -> bytes | None:
            area = tag.ndef
            if area is None:
                return None
            area.has_changed  # noqa: B018 - the property re-reads the band; its value is not the point
            area = tag.ndef
            return None if area is None else area.octets

        back = session.run(reread)
        if back == message:
            return
        if back is None and not session.is_present():
            raise TagRemovedError(session.uid)
        raise WriteVerifyError(session.uid)

    def _protect(self, session: TagSession, content: BandContent, config: TagConfig, config_page: int,
                 key_is_ours: bool) -> bool:
        """PWD, PACK, ACCESS, then AUTH0: AUTH0 last, so no band is ever protected by a half-written key."""
        access = (config.access & ~(PROT | AUTHLIM_MASK)) | self.authlim
        cfg1 = bytes([access]) + config.cfg1[1:4]
        cfg0 = config.cfg0[0:3] + bytes([FIRST_USER_PAGE])
        pages: list[tuple[int, bytes]] = []
        if not key_is_ours:  # PWD and PACK read back as zeros: write them unless our password opened it
            pages += [(config_page + 2, content.password), (config_page + 3, content.pack + b"\x00\x00")]
        if cfg1 != config.cfg1:
            pages.append((config_page + 1, cfg1))
        if cfg0 != config.cfg0:
            pages.append((config_page, cfg0))
        if not pages:
            return False

        def write_pages(tag: nfc.tag.tt2_nxp.NTAG21x) -> None:
            for page, data in pages:
                tag.write(page, data)

        try:
            session.run(write_pages)
        except TagRefusedError as error:  # CFGLCK: the configuration was locked for good
            session.is_present()  # trap 4
            raise LockedTagError(session.uid, permanent=True) from error
        return True

    def _confirm_protection(self, session: TagSession, content: BandContent, config_page: int) -> None:
        """Read the configuration back, and prove PWD and PACK with a PWD_AUTH that must answer our PACK."""
        after = session.run(lambda t: read_config(t, config_page))
        if after.auth0 != FIRST_USER_PAGE or after.access & (PROT | AUTHLIM_MASK) != self.authlim:
            raise WriteVerifyError(session.uid, "its write protection")
        self._authenticate(session, content, WriteVerifyError(session.uid, "its password"))
