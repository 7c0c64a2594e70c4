"""The closed vocabularies of the domain.

They are ``StrEnum`` so that the value stored in the database, sent over the
wire and printed by ``--json`` is the same readable word everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class SeriesStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    VIEWER = "viewer"
    # Devices, not people: a gate scanner only verifies taps, a box-office
    # station encodes bands and looks them up.
    GATE = "gate"
    STATION = "station"


class GateKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    BOTH = "both"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class BandStatus(StrEnum):
    # pending: a row reserved before the tag is written; it becomes active
    # only after the tag was read back and verified.
    PENDING = "pending"
    ACTIVE = "active"
    VOID = "void"
    LOST = "lost"


class ReentryPolicy(StrEnum):
    # single: one entry, never again once the band has left.
    SINGLE = "single"
    # reentry: in and out as often as wanted, but strictly alternating
    # (anti-passback: a band that is inside cannot enter again).
    REENTRY = "reentry"
    # unlimited: no presence tracking for entries at all.
    UNLIMITED = "unlimited"


class RecurrenceKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    EVERY_N_DAYS = "every_n_days"


class CheckinResult(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class Reason(StrEnum):
    """Why a tap was allowed or denied; machine-readable, stored on the check-in."""

    # allowed
    OK = "ok"
    REENTRY = "reentry"
    EXIT_OK = "exit_ok"
    # denied: the band
    UNKNOWN_BAND = "unknown_band"
    BAND_PENDING = "band_pending"
    BAND_VOID = "band_void"
    BAND_LOST = "band_lost"
    BAD_SIGNATURE = "bad_signature"
    WRONG_EVENT = "wrong_event"
    # denied: the series
    SERIES_NOT_ACTIVE = "series_not_active"
    WINDOW_NOT_OPEN = "window_not_open"
    WINDOW_CLOSED = "window_closed"
    NOT_ASSIGNED = "not_assigned"
    # denied: the gate
    GATE_NOT_IN_SERIES = "gate_not_in_series"
    WRONG_DIRECTION = "wrong_direction"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    # denied: counts
    CATEGORY_FULL = "category_full"
    SERIES_FULL = "series_full"
    # denied: presence
    ALREADY_INSIDE = "already_inside"
    NO_REENTRY = "no_reentry"
    NOT_INSIDE = "not_inside"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    REJECTED = "rejected"


class BatchStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EncodeOutcome(StrEnum):
    """What became of one tap at the encoder, for the batch's manifest."""

    OK = "ok"
    DUPLICATE = "duplicate"
    FOREIGN_TAG = "foreign_tag"
    LOCKED = "locked"
    WRITE_FAILED = "write_failed"
    REMOVED = "removed"


class PaymentKind(StrEnum):
    """How an order was paid; a refund gives the money back the same way."""

    CASH = "cash"
    CARD = "card"
    COMPLIMENTARY = "complimentary"


class WaitlistStatus(StrEnum):
    """Where a person on a product's waitlist is: waiting, offered a held place, or done."""

    WAITING = "waiting"
    OFFERED = "offered"
    SERVED = "served"
    EXPIRED = "expired"
