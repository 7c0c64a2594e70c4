"""The one reader interface the rest of the application sees, whatever is plugged in.

A station does the same thing with every reader: open it, wait for a band
(and let the person press Cancel at any time), work with the band, say it is
done (the beep), wait until it is taken away, and hear about the reader being
unplugged and plugged back in. Backends (nfcpy, PC/SC, the simulator)
differ only below this line.

The band is handed out as nfcpy's own tag object, so encoding uses nfcpy's
NTAG21x and NDEF code on every backend instead of a second implementation.
Sessions run outside nfcpy's ``connect()`` callback on purpose: ``connect()``
swallows any ``OSError`` raised in ``on-connect`` (NFC-NOTES trap 1), which
would hide a pulled cable or a refused write.

Threading: every method blocks and is meant for one worker thread per
reader; event callbacks run in that thread too, so a GUI must hand them on
to its own thread (a Qt signal) rather than touch widgets from them.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from boxoffice.words import a_or_an
from hardware.readers.errors import (
    ForeignTagError,
    TagCommunicationError,
    TagRefusedError,
    TagRemovedError,
    reader_gone,
)

if TYPE_CHECKING:
    import nfc.tag
    import nfc.tag.tt2_nxp

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often waiting loops look at their cancel event; Cancel must answer well within a second.
POLL_SECONDS = 0.1


class ReaderEventKind(enum.Enum):
    UNPLUGGED = "unplugged"
    NOT_ANSWERING = "not answering"  # it was answering and went silent (a udp peer); waited for like a cable
    REPLUGGED = "replugged"

    @property
    def gone(self) -> bool:
        return self is not ReaderEventKind.REPLUGGED


@dataclass(frozen=True)
class ReaderEvent:
    kind: ReaderEventKind
    reader: str
    message: str


EventCallback = Callable[[ReaderEvent], None]


class TagKind(enum.Enum):
    """What is on the reader, as far as encoding cares."""

    NTAG213 = "NTAG213"
    NTAG215 = "NTAG215"
    NTAG216 = "NTAG216"
    OTHER_TYPE2 = "other Type 2 tag"
    MIFARE_CLASSIC = "MIFARE Classic"
    OTHER = "other"

    @property
    def is_wristband(self) -> bool:
        return self in (TagKind.NTAG213, TagKind.NTAG215, TagKind.NTAG216)


MIFARE_CLASSIC_DESCRIPTION = "a MIFARE Classic card (a hotel, transit or access card)"


def is_mifare_classic_sak(sak: int) -> bool:
    """SAK 0x08 (1K), 0x18 (4K), 0x09 (Mini), 0x88 (Infineon 1K), 0x28/0x38 (Classic emulated on a card)."""
    return sak in (0x08, 0x09, 0x18, 0x28, 0x38, 0x88)


def classify_tag(tag: nfc.tag.Tag) -> tuple[TagKind, str]:
    """nfcpy's activated tag to our kind and the words for a person ("an NXP NTAG203 tag")."""
    import nfc.tag.tt2
    import nfc.tag.tt2_nxp

    for kind, cls in (
        (TagKind.NTAG213, nfc.tag.tt2_nxp.NTAG213),
        (TagKind.NTAG215, nfc.tag.tt2_nxp.NTAG215),
        (TagKind.NTAG216, nfc.tag.tt2_nxp.NTAG216),
    ):
        if type(tag) is cls:
            return kind, f"{a_or_an(kind.value)} band"
    product = str(tag.product)
    if isinstance(tag, nfc.tag.tt2.Type2Tag):
        return TagKind.OTHER_TYPE2, f"{a_or_an(product)} tag"
    return TagKind.OTHER, f"{a_or_an(product)} tag"


class SessionLink(Protocol):
    """What a ``TagSession`` needs from its backend."""

    def present(self, uid: bytes) -> bool: ...

    def beep(self) -> None: ...

    def release(self) -> None: ...

    def lost(self, error: BaseException | None = None) -> None: ...


class TagSession:
    """One band on the reader, from discovery until it is taken away.

    ``tag`` is nfcpy's tag object (``nfc.tag.tt2_nxp.NTAG213`` and so on) or
    None for a tag nfcpy cannot work with (a MIFARE Classic card).
    """

    def __init__(self, link: SessionLink, reader: str, uid: bytes, kind: TagKind,
                 tag: nfc.tag.Tag | None, description: str) -> None:
        self._link = link
        self.reader = reader
        self.uid = bytes(uid)
        self.kind = kind
        self.tag = tag
        self.description = description
        self._done = False
        self._closed = False

    @property
    def is_wristband(self) -> bool:
        return self.kind.is_wristband

    def __repr__(self) -> str:
        return f"<TagSession {self.uid.hex().upper()} {self.kind.value} on {self.reader}>"

    def wristband(self) -> nfc.tag.tt2_nxp.NTAG21x:
        """The NTAG21x to encode, or ``ForeignTagError`` saying what the thing on the reader is."""
        if not self.is_wristband or self.tag is None:
            raise ForeignTagError(self.description, self.uid)
        return self.tag

    def run(self, work: Callable[[nfc.tag.Tag], T]) -> T:
        """Run ``work(tag)`` and turn nfcpy's failures into errors a person can act on.

        A timeout is a band taken away (``TagRemovedError``) if the band is really
        gone, else a bad read (``TagCommunicationError``); a NAK is a refusal
        (``TagRefusedError``); an ``OSError`` is the reader going away
        (``ReaderUnpluggedError``, or ``ReaderNotAnsweringError`` when it fell silent).
        """
        import nfc.clf
        import nfc.tag
        import nfc.tag.tt2

        if self.tag is None:
            raise ForeignTagError(self.description, self.uid)
        try:
            return work(self.tag)
        except nfc.tag.tt2.Type2TagCommandError as error:
            if error.errno == nfc.tag.tt2.INVALID_PAGE_ERROR:  # a NAK: locked or password-protected
                raise TagRefusedError(self.uid) from error
            raise self._lost_or_garbled() from error
        except nfc.tag.TagCommandError as error:
            raise self._lost_or_garbled() from error
        except nfc.clf.CommunicationError as error:
            raise self._lost_or_garbled() from error
        except OSError as error:
            self._link.lost(error)
            raise reader_gone(self.reader, error) from error

    def _lost_or_garbled(self) -> Exception:
        try:
            present = self._link.present(self.uid)
        except OSError as error:
            self._link.lost(error)
            return reader_gone(self.reader, error)
        return TagCommunicationError(self.uid) if present else TagRemovedError(self.uid)

    def is_present(self) -> bool:
        """Whether this band still answers (selects it again, which resets a NAKed band)."""
        try:
            return self._link.present(self.uid)
        except OSError as error:
            self._link.lost(error)
            raise reader_gone(self.reader, error) from error

    def done(self) -> None:
        """Tell the person the reader is finished with this band (the reader beeps, once)."""
        if not self._done:
            self._done = True
            try:
                self._link.beep()
            except OSError:
                log.debug("could not beep on %s", self.reader, exc_info=True)

    def wait_removed(self, cancel: threading.Event, timeout: float | None = None) -> bool:
        """Beep, then wait until the band leaves the field; False if cancelled or timed out first."""
        self.done()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not cancel.is_set():
            if not self.is_present():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            cancel.wait(POLL_SECONDS)
        return False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.done()
            self._link.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Reader(ABC):
    """A reader the station can wait on. Use as a context manager, or open() and close()."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[EventCallback] = []

    def on_event(self, callback: EventCallback) -> None:
        """Call ``callback(event)`` when the reader is unplugged or comes back (in the reader's thread)."""
        self._callbacks.append(callback)

    def _emit(self, kind: ReaderEventKind, message: str) -> None:
        event = ReaderEvent(kind, self.name, message)
        log.info("%s: %s", self.name, message)
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:  # a broken listener must not stop the reader loop
                log.exception("reader event callback failed")

    @abstractmethod
    def open(self) -> None:
        """Claim the reader; raises a ``ReaderError`` saying why it cannot be used."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def wait_for_tag(self, cancel: threading.Event, timeout: float | None = None) -> TagSession | None:
        """Block until a tag is on the reader; None once ``cancel`` is set or ``timeout`` passes.

        Answers a set ``cancel`` within a second. An unplugged reader is waited
        for (with UNPLUGGED and REPLUGGED events), not raised.
        """

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
