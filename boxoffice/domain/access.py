"""The one access decision: may this band pass this gate, this way, now?

The server's verify endpoint, the desktop lookup and the simulator all call
:func:`decide`, so a gate, a box-office screen and a rehearsal can never
disagree. The caller gathers the facts (which needs the database); deciding
needs nothing but the facts, which keeps it fast, testable and identical
offline and online.

Rules are checked in a fixed order and the first failing one is the answer,
so the reason shown is the most fundamental: a void band is "void", even at
the wrong gate. Exits skip everything about the series (status, window,
assignment, category, counts): people must always be able to leave, also
after check-in has closed or the series was cancelled.

Room (capacity and category limits) is the one rule that depends on other
people's taps. A caller that holds the counts as a snapshot passes them in
``occupancy`` and ``category_inside``; the central server passes ``None``
and, when the decision is an entry that takes a place, claims that place
with one atomic conditional statement on its kept counters
(``services.occupancy``), turning a failed claim into :func:`no_room`. Two
gates can then never both take the last place, which a count read before
deciding cannot promise.

Whether a band is genuine is answered here too, for the gate and the box
office's lookup alike: :func:`payload_problem` checks what was read off the
tag against what the store knows of the band and the event's keys, and
:func:`check_band` applies the band rules of :func:`decide` (unknown,
status, signature, event, in that order) to it. A forged, unsigned,
wrong-event or unknown band therefore has one reason wherever it is asked.

``now`` and the window must be timezone-aware. A naive one is a programming
error, not a gate situation, so it raises ``ValueError`` instead of
producing a denial that would hide the bug.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import (
    BandStatus,
    Direction,
    GateKind,
    Reason,
    ReentryPolicy,
    SeriesStatus,
)
from boxoffice.errors import PayloadError

ALLOWED_REASONS = frozenset({Reason.OK, Reason.REENTRY, Reason.EXIT_OK})

# What the gate display and the lookup screen show, "<headline>: <why>".
MESSAGES: Mapping[Reason, str] = MappingProxyType(
    {
        Reason.OK: "Welcome: entry allowed.",
        Reason.REENTRY: "Welcome back: re-entry allowed.",
        Reason.EXIT_OK: "Goodbye: exit allowed.",
        Reason.UNKNOWN_BAND: "Unknown band: this wristband is not registered.",
        Reason.BAND_PENDING: "Band not finished: encoding was not completed; "
        "send the guest to the box office.",
        Reason.BAND_VOID: "Void band: this wristband has been cancelled.",
        Reason.BAND_LOST: "Lost band: this wristband was reported lost.",
        Reason.BAD_SIGNATURE: "Invalid band: the data on the wristband "
        "is forged or damaged.",
        Reason.WRONG_EVENT: "Wrong event: this wristband is for another event.",
        Reason.SERIES_NOT_ACTIVE: "Not open: this series is not active.",
        Reason.WINDOW_NOT_OPEN: "Too early: check-in has not opened yet.",
        Reason.WINDOW_CLOSED: "Too late: check-in has closed.",
        Reason.NOT_ASSIGNED: "No access: this wristband is not valid for this series.",
        Reason.GATE_NOT_IN_SERIES: "Wrong gate: this gate is not used for this series.",
        Reason.WRONG_DIRECTION: "Wrong way: this gate does not let people through "
        "in this direction.",
        Reason.CATEGORY_NOT_ALLOWED: "Wrong gate for this band: its category "
        "may not use this gate.",
        Reason.CATEGORY_FULL: "Category full: the limit for this band's category "
        "has been reached.",
        Reason.SERIES_FULL: "Full: the series has reached its capacity.",
        Reason.ALREADY_INSIDE: "Already inside: this band has not been scanned out.",
        Reason.NO_REENTRY: "No re-entry: this band has already been used to enter.",
        Reason.NOT_INSIDE: "Not inside: this band has not been scanned in.",
    }
)

# What the lookup screen shows for a band that passes every band rule; the gate's OK is "Welcome".
GENUINE_MESSAGE = "Genuine band: the data on the wristband is signed by its event, for this wristband."

_STATUS_REASONS: Mapping[BandStatus, Reason] = MappingProxyType(
    {
        BandStatus.PENDING: Reason.BAND_PENDING,
        BandStatus.VOID: Reason.BAND_VOID,
        BandStatus.LOST: Reason.BAND_LOST,
    }
)


@dataclass(frozen=True)
class AccessFacts:
    """Everything the decision depends on, as of ``now``; gathered by the caller."""

    direction: Direction
    now: datetime
    # the band (None when the UID/payload is unknown)
    band_status: BandStatus | None
    band_event_id: object | None
    band_category_id: object | None
    signature_valid: bool | None  # None: no payload to check (UID-only lookup)
    # the series the gate is checking for
    series_event_id: object
    series_status: SeriesStatus
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    capacity: int
    reentry_policy: ReentryPolicy
    band_assigned: bool  # active assignment of this band to the series
    # the gate
    gate_kind: GateKind
    gate_in_series: bool
    gate_categories: frozenset[object]  # category ids the gate is open to; empty = all
    # counts and presence, as of now
    band_inside: bool  # last allowed scan of this band in this series was IN
    band_has_entered: bool  # any allowed IN ever in this series
    # None: not counted here; the caller claims the place atomically (see the module docstring)
    occupancy: int | None  # bands currently inside the series
    category_inside: int | None  # bands of the band's category currently inside
    category_limit: int | None  # None = no limit for this category


@dataclass(frozen=True)
class Decision:
    """The answer and its machine-readable reason (stored on the check-in)."""

    allowed: bool
    reason: Reason

    @property
    def message(self) -> str:
        """A short sentence for the gate display and the lookup screen."""
        return MESSAGES[self.reason]


def _deny(reason: Reason) -> Decision:
    return Decision(False, reason)


def _allow(reason: Reason) -> Decision:
    return Decision(True, reason)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def decide(facts: AccessFacts) -> Decision:
    """Apply the rules in order; the first one that fails is the answer."""
    for name in ("now", "checkin_opens_at", "checkin_closes_at"):
        _require_aware(name, getattr(facts, name))

    refusal = _check_band(facts) or _check_gate(facts)
    if refusal is not None:
        return refusal
    if facts.direction == Direction.OUT:
        return _decide_exit(facts)
    return _decide_entry(facts)


def _check_band(facts: AccessFacts) -> Decision | None:
    refusal = band_refusal(facts.band_status, facts.signature_valid, facts.band_event_id,
                           facts.series_event_id)
    return None if refusal is None else _deny(refusal)


def band_refusal(status: BandStatus | None, signature_valid: bool | None, band_event_id: object,
                 event_id: object) -> Reason | None:
    """The band rules, in order: why this band is refused wherever it is checked, or ``None``.

    ``status`` is ``None`` for a UID the store does not know; ``signature_valid``
    is ``None`` when no payload was checked (a UID-only tap); ``event_id`` is the
    event the band is checked for.
    """
    if status is None:
        return Reason.UNKNOWN_BAND
    if status in _STATUS_REASONS:
        return _STATUS_REASONS[status]
    if signature_valid is False:
        return Reason.BAD_SIGNATURE
    if band_event_id != event_id:
        return Reason.WRONG_EVENT
    return None


@dataclass(frozen=True)
class BandRecord:
    """What the store holds of the band a tag's UID belongs to."""

    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    status: BandStatus


@dataclass(frozen=True)
class BandCheck:
    """Whether a band is genuine; if not, why (a :class:`Reason`) and what was wrong with its data."""

    reason: Reason  # Reason.OK, or the first band rule that failed
    # Why the data read off the tag did not verify, for logs and a second line on screen;
    # only with Reason.BAD_SIGNATURE.
    detail: str | None = None

    @property
    def genuine(self) -> bool:
        return self.reason is Reason.OK

    @property
    def message(self) -> str:
        """The sentence a person reads: the reason's own, or that the band is genuine."""
        return GENUINE_MESSAGE if self.genuine else MESSAGES[self.reason]


def payload_problem(data: bytes, uid: bytes, *, band_id: uuid.UUID, event_id: uuid.UUID,
                    category_id: uuid.UUID, public_keys: Mapping[bytes, Ed25519PublicKey],
                    parsed: tuple[pl.BandPayload, bytes] | None = None) -> str | None:
    """Why ``data`` read off the tag ``uid`` is not this band's genuine payload, or ``None`` if it is.

    Genuine: of our shape, naming the band, event and category the store holds
    for this UID, and signed by one of ``public_keys`` (the event's) for this
    very UID. A payload copied from another band of ours is as forged as a
    made-up one. ``parsed``: ``pl.parse_payload(data)`` when the caller already
    has it (the gate parses once per tap, to find the key).
    """
    if parsed is None:
        try:
            parsed = pl.parse_payload(data)
        except PayloadError as exc:
            return exc.message
    fields, signature = parsed
    if fields.event_id != event_id:
        return "The band's data is for another event than the wristband's."
    if fields.band_id != band_id:
        return "The band's data belongs to another band: it was copied from another wristband."
    if fields.category_id != category_id:
        return "The band's data names another category than the database's."
    try:
        pl.check_signature(fields, signature, data, uid, public_keys)
    except PayloadError as exc:
        return exc.message
    return None


def check_band(band: BandRecord | None, event_id: uuid.UUID, uid: bytes, data: bytes | None,
               public_keys: Mapping[bytes, Ed25519PublicKey]) -> BandCheck:
    """Is the band with UID ``uid`` genuine for ``event_id``, with ``data`` read off it? The gate's rules.

    ``band`` is what the store holds for the UID (``None``: not registered),
    ``data`` the payload read off the tag (``None``: only the UID was read),
    ``public_keys`` the event's keys by key id. As at the gate, a payload is
    checked only for a band the store knows and the band's status comes
    before its signature: a void band is "void", forged or not.
    """
    detail = None
    if band is not None and data is not None:
        detail = payload_problem(data, uid, band_id=band.id, event_id=band.event_id,
                                 category_id=band.category_id, public_keys=public_keys)
    refusal = band_refusal(
        None if band is None else band.status,
        None if data is None or band is None else detail is None,
        None if band is None else band.event_id,
        event_id,
    )
    if refusal is None:
        return BandCheck(Reason.OK)
    return BandCheck(refusal, detail if refusal is Reason.BAD_SIGNATURE else None)


def _check_gate(facts: AccessFacts) -> Decision | None:
    if not facts.gate_in_series:
        return _deny(Reason.GATE_NOT_IN_SERIES)
    wrong_way = (
        facts.direction == Direction.IN and facts.gate_kind == GateKind.EXIT
    ) or (facts.direction == Direction.OUT and facts.gate_kind == GateKind.ENTRY)
    if wrong_way:
        return _deny(Reason.WRONG_DIRECTION)
    return None


def _decide_exit(facts: AccessFacts) -> Decision:
    # Unlimited series do not track presence, so there is nothing to check.
    if facts.reentry_policy != ReentryPolicy.UNLIMITED and not facts.band_inside:
        return _deny(Reason.NOT_INSIDE)
    return _allow(Reason.EXIT_OK)


def _decide_entry(facts: AccessFacts) -> Decision:
    if facts.series_status != SeriesStatus.ACTIVE:
        return _deny(Reason.SERIES_NOT_ACTIVE)
    # The window is half-open: open at checkin_opens_at, closed at checkin_closes_at.
    if facts.now < facts.checkin_opens_at:
        return _deny(Reason.WINDOW_NOT_OPEN)
    if facts.now >= facts.checkin_closes_at:
        return _deny(Reason.WINDOW_CLOSED)
    if not facts.band_assigned:
        return _deny(Reason.NOT_ASSIGNED)
    if facts.gate_categories and facts.band_category_id not in facts.gate_categories:
        return _deny(Reason.CATEGORY_NOT_ALLOWED)

    policy = facts.reentry_policy
    if policy != ReentryPolicy.UNLIMITED and facts.band_inside:
        return _deny(Reason.ALREADY_INSIDE)
    if policy == ReentryPolicy.SINGLE and facts.band_has_entered:
        return _deny(Reason.NO_REENTRY)

    # A band already inside (only possible when unlimited) is already counted.
    if not facts.band_inside:
        if (
            facts.category_limit is not None
            and facts.category_inside is not None
            and facts.category_inside >= facts.category_limit
        ):
            return no_room(category=True)
        if facts.occupancy is not None and facts.occupancy >= facts.capacity:
            return no_room(category=False)

    return _allow(Reason.REENTRY if facts.band_has_entered else Reason.OK)


def no_room(*, category: bool) -> Decision:
    """The refusal of an entry for want of a place: its category's limit, or the series' capacity.

    The category is checked first, so a band refused by both is told the
    narrower reason; a caller claiming places atomically claims them in the
    same order.
    """
    return _deny(Reason.CATEGORY_FULL if category else Reason.SERIES_FULL)
