"""NFC readers behind one small interface: nfcpy (USB, serial, udp), PC/SC, simulated NTAG21x.

``reader_for(path)`` gives an unopened ``Reader``; its ``wait_for_tag`` hands out a
``TagSession`` holding nfcpy's own tag object. Importing this package loads
neither nfcpy nor pyscard; the backends do, when they are used.
"""

from hardware.errors import HardwareError, ReaderError, TagError
from hardware.paths import reader_for
from hardware.reader import Reader, ReaderEvent, ReaderEventKind, TagKind, TagSession

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
