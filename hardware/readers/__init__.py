"""NFC readers behind one small interface: nfcpy (USB, serial, udp), PC/SC, simulated NTAG21x.

``reader_for(path)`` gives an unopened ``Reader``; its ``wait_for_tag`` hands out a
``TagSession`` holding nfcpy's own tag object. Importing this package loads
neither nfcpy nor pyscard; the backends do, when they are used.

A room of its own, apart from ``hardware.station``: everything here is about
talking to a reader and a tag, knows nothing of events, batches or the
database, and is what the desktop's Look-up page and ``boxoffice reader`` need
without the encoding station. It must not import ``hardware.station`` (an
import-linter contract); the station builds on it.
"""

from hardware.readers.errors import HardwareError, ReaderError, TagError
from hardware.readers.paths import reader_for
from hardware.readers.reader import Reader, ReaderEvent, ReaderEventKind, TagKind, TagSession

__all__ = [
    "HardwareError",
    "Reader",
    "ReaderError",
    "ReaderEvent",
    "ReaderEventKind",
    "TagError",
    "TagKind",
    "TagSession",
    "reader_for",
]
