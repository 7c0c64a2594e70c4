"""Why a band could not be encoded: the ``TagError``s only the band writer raises.

Each one maps to one outcome of an encoding batch (``outcome``), so the job, the
CLI and the manifest agree on what happened without parsing messages. They
extend the reader layer's ``TagError`` (``hardware.readers.errors``), which also
holds the band problems any reader reports (taken away, not answering, refused,
not a wristband); the ones here are about writing a record, so they live with
the station.
"""

from __future__ import annotations

from hardware.readers.errors import TagError


class LockedTagError(TagError):
    """The band is protected with a password this station does not know, or locked for good."""

    code = "tag_locked"
    outcome = "locked"

    def __init__(self, uid: bytes | None = None, *, permanent: bool = False) -> None:
        why = ("its memory is locked for good" if permanent
               else "it is protected with a password this station does not know")
        super().__init__(f"This band cannot be written: {why}. Put it aside and use another band.", uid)
        self.permanent = permanent


class TornWriteError(TagError):
    """The band left the field while its record was being written: the record may be half there."""

    code = "tag_torn"
    outcome = "removed"

    def __init__(self, uid: bytes | None = None) -> None:
        super().__init__(
            "The band was pulled away while it was being written. Tap the same band again and hold it "
            "still; the write will be finished.", uid,
        )


class WriteVerifyError(TagError):
    """What the band gives back is not what was written."""

    code = "tag_verify"
    outcome = "write_failed"

    def __init__(self, uid: bytes | None = None, what: str = "the record") -> None:
        super().__init__(
            f"The band did not keep {what}. Tap it again; if it fails twice, put it aside and use "
            "another band.", uid,
        )


class RecordTooLargeError(TagError):
    """The signed record does not fit in this band's memory."""

    code = "tag_too_small"
    outcome = "write_failed"

    def __init__(self, size: int, capacity: int, uid: bytes | None = None) -> None:
        super().__init__(
            f"The band's record needs {size} bytes but this band holds only {capacity}. "
            "Use bands with more memory (NTAG215 or NTAG216).", uid,
        )
        self.size = size
        self.capacity = capacity


class TagNotFormattedError(TagError):
    """An NTAG21x without an NDEF capability container: not a band from a festival box."""

    code = "tag_not_formatted"
    outcome = "foreign_tag"

    def __init__(self, uid: bytes | None = None) -> None:
        super().__init__(
            "This tag is not formatted for NFC records, so it is not a festival wristband. "
            "Put it aside and tap a band from the box.", uid,
        )
