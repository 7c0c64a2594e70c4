"""Problems with readers and bands that the person at the counter can act on.

They are ``BoxOfficeError``s, so the CLI prints them as one sentence and the
UI can show them as they are. Each one says what happened and what to do,
because the person reading it is holding a band with a queue behind them.
A ``fix`` is kept apart from the sentence when it is a command to run, so
``boxoffice reader list`` and a dialog can show it on its own line.

The ``TagError``s only writing a band can raise (locked, torn, not kept, too
large, not formatted) are the station's: ``hardware.station.errors``.
"""

from __future__ import annotations

from boxoffice.errors import BoxOfficeError


class HardwareError(BoxOfficeError):
    """Base class for everything the reader layer reports to a person."""

    code = "hardware"

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


# Readers --------------------------------------------------------------------


class ReaderError(HardwareError):
    """The reader, its driver or its path is the problem, not the band."""

    code = "reader"


class ReaderPathError(ReaderError):
    code = "reader_path"

    def __init__(self, path: str, reason: str | None = None) -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"{path!r} is not a reader path{why}. Use sim, pcsc, usb, usb:VID:PID, "
            "tty:PORT:DRIVER or udp:HOST:PORT; `boxoffice reader list` shows what is attached.",
        )
        self.path = path


class ReaderNotFoundError(ReaderError):
    code = "reader_not_found"

    def __init__(self, path: str, detail: str = "") -> None:
        extra = f" {detail}" if detail else ""
        super().__init__(
            f"No NFC reader answers on {path}.{extra} Check that it is plugged in; "
            "`boxoffice reader list` shows what is attached and why a reader cannot be used.",
        )
        self.path = path


class ReaderUnavailableError(ReaderError):
    """A reader is there but this program may not use it (permissions, another driver)."""

    code = "reader_unavailable"


class ReaderUnpluggedError(ReaderError):
    code = "reader_unplugged"

    def __init__(self, name: str) -> None:
        super().__init__(f"The reader {name} was unplugged. Plug it back in; work goes on where it stopped.")
        self.name = name


class ReaderNotAnsweringError(ReaderUnpluggedError):
    """The reader (over ``udp``: the program at the other end) was answering and has gone silent."""

    code = "reader_not_answering"

    def __init__(self, name: str, seconds: float) -> None:
        ReaderError.__init__(
            self,
            f"The reader {name} stopped answering (nothing for {seconds:.0f} s). Check that it is running "
            "and reachable; work goes on where it stopped when it answers again.",
        )
        self.name = name
        self.seconds = seconds


class ReaderSilence(OSError):
    """Raised inside nfcpy's driver when its peer leaves a poll unanswered.

    An ``OSError``, so nfcpy's ``connect()`` treats it like a pulled cable (it
    returns False) and the reader layer closes the reader and waits for it;
    ``reader_gone`` turns it into ``ReaderNotAnsweringError`` for people.
    """

    def __init__(self, path: str, seconds: float) -> None:
        super().__init__(f"{path} sent nothing for {seconds:.1f} s")
        self.seconds = seconds


def reader_gone(name: str, error: BaseException | None = None) -> ReaderUnpluggedError:
    """What to tell a person when the reader went away with ``error``."""
    if isinstance(error, ReaderSilence):
        return ReaderNotAnsweringError(name, max(error.seconds, 1.0))
    return ReaderUnpluggedError(name)


class BackendMissingError(ReaderError):
    """A library the chosen kind of reader needs is not installed."""

    code = "reader_backend_missing"


class PcscServiceError(ReaderError):
    code = "pcsc_service"

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The PC/SC service is not running{extra}, so PC/SC readers cannot be used.",
            fix="sudo apt install pcscd && sudo systemctl enable --now pcscd.socket",
        )


# Bands ----------------------------------------------------------------------


class TagError(HardwareError):
    """Something about the band on the reader, not the reader itself."""

    code = "tag"
    #: What an encoding batch records for a band that failed this way (see ``hardware.station.encode_job``).
    outcome = "write_failed"

    def __init__(self, message: str, uid: bytes | None = None, fix: str | None = None) -> None:
        super().__init__(message, fix)
        self.uid = uid


class ForeignTagError(TagError):
    """Not a wristband this system writes (NTAG213/215/216)."""

    code = "foreign_tag"
    outcome = "foreign_tag"

    def __init__(self, description: str, uid: bytes | None = None) -> None:
        super().__init__(
            f"This is {description}, not a festival wristband (NTAG213/215/216). "
            "Put it aside and tap a band from the box.",
            uid,
        )
        self.description = description


class TagRemovedError(TagError):
    code = "tag_removed"
    outcome = "removed"

    def __init__(self, uid: bytes | None = None) -> None:
        super().__init__(
            "The band was taken away too early. Tap it again and hold it still until the beep.", uid
        )


class TagCommunicationError(TagError):
    code = "tag_communication"

    def __init__(self, uid: bytes | None = None) -> None:
        super().__init__(
            "The band did not answer properly. Hold it flat on the middle of the reader and tap again.", uid
        )


class TagRefusedError(TagError):
    """The band said no: a locked page, or a password the station does not know."""

    code = "tag_refused"
    outcome = "locked"

    def __init__(self, uid: bytes | None = None) -> None:
        super().__init__(
            "The band refused the change: it is locked or protected with a password this station "
            "does not know. Put it aside and use another band.",
            uid,
        )
