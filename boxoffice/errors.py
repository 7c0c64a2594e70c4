"""Errors a person can be told about.

Every class here is a problem of the input or of the environment, never a
bug: ``str(error)`` is a sentence for someone at a busy counter, and the CLI,
the server and the UI all show it as it is. Anything that is not a
``BoxOfficeError`` is a bug and gets a traceback.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from boxoffice.words import A_or_An


class BoxOfficeError(Exception):
    """Base class; ``code`` is stable and machine-readable, the message is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(BoxOfficeError):
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"No {kind} {key!s} was found.")
        self.kind = kind
        self.key = key


class AmbiguousError(BoxOfficeError):
    code = "ambiguous"

    def __init__(self, kind: str, key: object, candidates: Sequence[str]) -> None:
        listed = ", ".join(candidates[:5])
        super().__init__(f"More than one {kind} matches {key!s} ({listed}); use its id.")
        self.kind = kind
        self.key = key
        self.candidates = list(candidates)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field; ``field`` lets a form put the message next to it."""

    field: str
    message: str


class ValidationError(BoxOfficeError):
    code = "invalid"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")
        super().__init__(" ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([Problem(field, message)])


class DuplicateError(BoxOfficeError):
    code = "duplicate"

    def __init__(self, kind: str, field: str, value: object, where: str = "") -> None:
        place = f" {where}" if where else ""
        super().__init__(f"{A_or_An(kind)} with {field} {value!s} already exists{place}.")
        self.kind = kind
        self.field = field
        self.value = value


class UidTakenError(DuplicateError):
    """The UID is on another band of the event: what a station hears when another got there first."""

    code = "uid_taken"

    def __init__(self, uid: str, event: str, holder: str, station: str | None) -> None:
        super().__init__("wristband", "UID", uid, f"in {event}")
        where = f" at {station}" if station else ""
        self.message = f"UID {uid} is already registered in {event} as {holder}{where}."
        self.args = (self.message,)


class ScanIdTakenError(DuplicateError):
    """A device's scan id already names a different tap in this event: the new one is not kept."""

    code = "scan_id_taken"

    def __init__(self, scan_id: str, recorded: str) -> None:
        super().__init__("check-in", "scan id", scan_id)
        self.message = (f"Scan id {scan_id} is already used by another tap ({recorded}); "
                        "this tap was not kept. The device that made it repeats its scan ids.")
        self.args = (self.message,)


class PermissionDeniedError(BoxOfficeError):
    code = "forbidden"

    def __init__(self, role: str, action: str, allowed_roles: Sequence[str] = ()) -> None:
        who = f"Your role ({role}) may not {action}."
        if allowed_roles:
            who += f" Ask someone with the role {' or '.join(allowed_roles)}."
        super().__init__(who)
        self.role = role
        self.action = action
        self.allowed_roles = list(allowed_roles)


class IllegalTransitionError(BoxOfficeError):
    code = "illegal_transition"

    def __init__(self, current: str, target: str, allowed: Sequence[str]) -> None:
        if allowed:
            nexts = ", ".join(allowed)
            msg = f"{A_or_An(current)} series cannot become {target}; from {current} it can become: {nexts}."
        else:
            msg = f"{A_or_An(current)} series cannot become {target}; {current} is final."
        super().__init__(msg)
        self.current = current
        self.target = target
        self.allowed = list(allowed)


class StaleVersionError(BoxOfficeError):
    code = "stale_version"

    def __init__(self, kind: str, expected: int, actual: int | None) -> None:
        now = f"it is now at version {actual}" if actual is not None else "it has changed since"
        super().__init__(
            f"This {kind} was changed by someone else (you edited version {expected}, "
            f"{now}). Reload it and make your change again."
        )
        self.expected = expected
        self.actual = actual


class LimitExceededError(BoxOfficeError):
    code = "limit_exceeded"


class SoldOutError(LimitExceededError):
    """No room left for what a sale, a lease or an offer asks (the product's quota, or a station's lease)."""

    code = "sold_out"

    def __init__(self, message: str, *, product_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        # Which product had no room, when one did: the seller may free expired leases and try again.
        self.product_id = product_id


class SalesStateError(BoxOfficeError):
    """A sale, refund or waitlist step the current state does not allow (a ticket already refunded,
    an offer to a person already served); nothing was written."""

    code = "sales_state"


class DeleteRefusedError(BoxOfficeError):
    """A delete the current state does not allow; the message says what to do instead."""

    code = "delete_refused"


class InUseError(BoxOfficeError):
    """Something else still depends on it (a gate a series uses, a category bands carry)."""

    code = "in_use"


class IdentityError(BoxOfficeError):
    """Nobody to act as: no member given, or the member is unknown or inactive."""

    code = "identity"


class DatabaseError(BoxOfficeError):
    code = "database"


class ChangeLogMissingError(DatabaseError):
    """A central server's database opened by a program that does not keep its change log."""

    code = "change_log_missing"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is a central server's database, and this program does not keep its change "
            "log: what it wrote would never reach the stations. Make the change through the "
            "server or the boxoffice command; nothing was written."
        )


class DatabaseTooNewError(DatabaseError):
    code = "database_too_new"

    def __init__(self, path: str, revision: str) -> None:
        super().__init__(
            f"The database {path} was written by a newer version of Box office "
            f"(schema {revision}). Update Box office to open it; the file was not changed."
        )
        self.revision = revision


class AuthenticationError(BoxOfficeError):
    """Wrong password, or a token that is unknown, expired or revoked."""

    code = "unauthenticated"


class MemberRemovedError(AuthenticationError):
    """The sign-in was good, but its member has been removed from the organization.

    Set apart from other refusals so a station can tell "log in again" from
    "you no longer belong here", and remove what it holds of the organization.
    """

    code = "member_removed"


class TooManyAttemptsError(BoxOfficeError):
    """Failed logins made this one wait; ``retry_after`` is in seconds (the server's ``Retry-After``)."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int, why: str = "", *, message: str | None = None) -> None:
        reason = f" {why}" if why else ""
        super().__init__(message or f"Too many failed logins{reason}; try again in "
                                    f"{_wait_text(retry_after)}.")
        self.retry_after = retry_after


def _wait_text(seconds: int) -> str:
    """"3 seconds", "2 minutes": how long, for a person (rounded up, never "0")."""
    if seconds < 120:
        return "1 second" if seconds <= 1 else f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


class OrganizationChoiceError(BoxOfficeError):
    """The e-mail and password fit accounts in several organizations: the login must name one.

    Only raised when the password was right, and it names only the
    organizations it was right for, so it tells nobody anything they could
    not see by logging in.
    """

    code = "choose_organization"

    def __init__(self, organizations: Sequence[str]) -> None:
        super().__init__(
            f"This e-mail belongs to several organizations; choose one: {', '.join(organizations)}."
        )
        self.organizations = list(organizations)


class PayloadError(BoxOfficeError):
    """The data read off a band cannot be trusted; ``code`` says why, for gates and logs."""

    code = "bad_payload"


class UnknownVersionError(PayloadError):
    code = "unknown_version"


class TruncatedPayloadError(PayloadError):
    code = "truncated"


class UnknownKeyError(PayloadError):
    code = "unknown_key"


class BadSignatureError(PayloadError):
    code = "bad_signature"


class AlreadyEncodedError(DuplicateError):
    """The tapped tag already is a band of the event (active, void or lost): never encode it twice."""

    code = "already_encoded"

    def __init__(self, uid: str, label: str, when: str | None, station: str | None,
                 status: str = "active") -> None:
        super().__init__("wristband", "UID", uid)
        on = f" on {when}" if when else ""
        at = f" at {station}" if station else ""
        state = "" if status == "active" else f" (now {status})"
        self.message = f"This band is already encoded as {label}{on}{at}{state}."
        self.args = (self.message,)
        self.uid = uid
        self.label = label
        self.status = status


class BandStateError(BoxOfficeError):
    """A band is not in the state the action needs (activating an active band, voiding a pending one)."""

    code = "band_state"


class ReplacementError(BoxOfficeError):
    """A replacement that cannot be made: another event, another category, a band already replaced."""

    code = "replacement"


class BatchClosedError(BoxOfficeError):
    code = "batch_closed"


class ImportFileError(BoxOfficeError):
    """A ticket file that cannot be read at all (encoding, no header, empty)."""

    code = "import_file"


class MonitorSourceError(BoxOfficeError):
    """The gate monitor was pointed at a database it cannot follow incrementally."""

    code = "monitor_source"
