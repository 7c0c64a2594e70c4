"""The access decision: every reason, the order of the rules, and gate sequences."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.domain.access import (
    ALLOWED_REASONS,
    MESSAGES,
    AccessFacts,
    Decision,
    decide,
)
from boxoffice.domain.enums import (
    BandStatus,
    Direction,
    GateKind,
    Reason,
    ReentryPolicy,
    SeriesStatus,
)

IN, OUT = Direction.IN, Direction.OUT
OPENS = datetime(2025, 7, 4, 18, 0, tzinfo=UTC)
CLOSES = datetime(2025, 7, 4, 23, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def make_facts(**overrides: object) -> AccessFacts:
    """Facts for a plain first entry that is allowed; override what a test is about."""
    defaults: dict[str, object] = {
        "direction": IN,
        "now": OPENS + timedelta(hours=1),
        "band_status": BandStatus.ACTIVE,
        "band_event_id": "event-1",
        "band_category_id": "regular",
        "signature_valid": True,
        "series_event_id": "event-1",
        "series_status": SeriesStatus.ACTIVE,
        "checkin_opens_at": OPENS,
        "checkin_closes_at": CLOSES,
        "capacity": 100,
        "reentry_policy": ReentryPolicy.REENTRY,
        "band_assigned": True,
        "gate_kind": GateKind.BOTH,
        "gate_in_series": True,
        "gate_categories": frozenset(),
        "band_inside": False,
        "band_has_entered": False,
        "occupancy": 10,
        "category_inside": 2,
        "category_limit": None,
    }
    defaults.update(overrides)
    return AccessFacts(**defaults)  # type: ignore[arg-type]


def reason(**overrides: object) -> Reason:
    return decide(make_facts(**overrides)).reason


def test_the_defaults_are_an_allowed_first_entry() -> None:
    assert decide(make_facts()) == Decision(True, Reason.OK)


# --- every reason ------------------------------------------------------------

INSIDE: dict[str, object] = {"band_inside": True, "band_has_entered": True}
LEFT: dict[str, object] = {"band_inside": False, "band_has_entered": True}

CASES: list[tuple[Reason, dict[str, object]]] = [
    (Reason.OK, {}),
    (Reason.REENTRY, LEFT),
    (Reason.EXIT_OK, {"direction": OUT, **INSIDE}),
    (Reason.UNKNOWN_BAND, {"band_status": None, "band_event_id": None}),
    (Reason.BAND_PENDING, {"band_status": BandStatus.PENDING}),
    (Reason.BAND_VOID, {"band_status": BandStatus.VOID}),
    (Reason.BAND_LOST, {"band_status": BandStatus.LOST}),
    (Reason.BAD_SIGNATURE, {"signature_valid": False}),
    (Reason.WRONG_EVENT, {"band_event_id": "event-2"}),
    (Reason.SERIES_NOT_ACTIVE, {"series_status": SeriesStatus.SCHEDULED}),
    (Reason.WINDOW_NOT_OPEN, {"now": OPENS - TICK}),
    (Reason.WINDOW_CLOSED, {"now": CLOSES}),
    (Reason.NOT_ASSIGNED, {"band_assigned": False}),
    (Reason.GATE_NOT_IN_SERIES, {"gate_in_series": False}),
    (Reason.WRONG_DIRECTION, {"gate_kind": GateKind.EXIT}),
    (Reason.CATEGORY_NOT_ALLOWED, {"gate_categories": frozenset({"vip", "crew"})}),
    (Reason.CATEGORY_FULL, {"category_limit": 2, "category_inside": 2}),
    (Reason.SERIES_FULL, {"occupancy": 100}),
    (Reason.ALREADY_INSIDE, INSIDE),
    (Reason.NO_REENTRY, {"reentry_policy": ReentryPolicy.SINGLE, **LEFT}),
    (Reason.NOT_INSIDE, {"direction": OUT}),
]


@pytest.mark.parametrize(
    ("expected", "overrides"), CASES, ids=[r.value for r, _ in CASES]
)
def test_each_reason(expected: Reason, overrides: dict[str, object]) -> None:
    decision = decide(make_facts(**overrides))
    assert decision.reason == expected
    assert decision.allowed is (expected in ALLOWED_REASONS)


def test_every_reason_is_produced_by_some_facts() -> None:
    assert {expected for expected, _ in CASES} == set(Reason)


def test_allowed_reasons() -> None:
    assert frozenset({Reason.OK, Reason.REENTRY, Reason.EXIT_OK}) == ALLOWED_REASONS


def test_a_uid_only_lookup_has_no_signature_to_check() -> None:
    assert reason(signature_valid=None) == Reason.OK


def test_the_gate_may_be_open_to_the_band_category() -> None:
    assert reason(gate_categories=frozenset({"regular", "vip"})) == Reason.OK


def test_wrong_direction_at_an_entry_gate() -> None:
    assert (
        reason(direction=OUT, gate_kind=GateKind.ENTRY, **INSIDE)
        == Reason.WRONG_DIRECTION
    )
    assert reason(direction=OUT, gate_kind=GateKind.EXIT, **INSIDE) == Reason.EXIT_OK
    assert reason(direction=IN, gate_kind=GateKind.ENTRY) == Reason.OK


@pytest.mark.parametrize(
    "status", [s for s in SeriesStatus if s != SeriesStatus.ACTIVE]
)
def test_entry_needs_an_active_series(status: SeriesStatus) -> None:
    assert reason(series_status=status) == Reason.SERIES_NOT_ACTIVE


# --- messages ---------------------------------------------------------------------


def test_every_reason_has_a_message() -> None:
    assert set(MESSAGES) == set(Reason)
    for r in Reason:
        message = Decision(r in ALLOWED_REASONS, r).message
        assert message.endswith(".") and ": " in message


def test_message_example() -> None:
    decision = decide(make_facts(**INSIDE))
    assert decision.message == "Already inside: this band has not been scanned out."


# --- precedence ------------------------------------------------------------------

PRECEDENCE: list[tuple[Reason, dict[str, object]]] = [
    (
        Reason.UNKNOWN_BAND,
        {"band_status": None, "signature_valid": False, "gate_in_series": False},
    ),
    (
        Reason.BAND_VOID,
        {"band_status": BandStatus.VOID, "gate_in_series": False, "band_event_id": "x"},
    ),
    (
        Reason.BAND_PENDING,
        {"band_status": BandStatus.PENDING, "signature_valid": False},
    ),
    (Reason.BAD_SIGNATURE, {"signature_valid": False, "band_event_id": "event-2"}),
    (Reason.WRONG_EVENT, {"band_event_id": "event-2", "gate_in_series": False}),
    (Reason.GATE_NOT_IN_SERIES, {"gate_in_series": False, "gate_kind": GateKind.EXIT}),
    (
        Reason.WRONG_DIRECTION,
        {"gate_kind": GateKind.EXIT, "series_status": SeriesStatus.CANCELLED},
    ),
    (Reason.SERIES_NOT_ACTIVE, {"series_status": SeriesStatus.DRAFT, "now": CLOSES}),
    (Reason.WINDOW_NOT_OPEN, {"now": OPENS - TICK, "band_assigned": False}),
    (Reason.WINDOW_CLOSED, {"now": CLOSES, "band_assigned": False}),
    (
        Reason.NOT_ASSIGNED,
        {"band_assigned": False, "gate_categories": frozenset({"vip"})},
    ),
    (Reason.CATEGORY_NOT_ALLOWED, {"gate_categories": frozenset({"vip"}), **INSIDE}),
    (Reason.ALREADY_INSIDE, {**INSIDE, "occupancy": 100}),
    (
        Reason.NO_REENTRY,
        {"reentry_policy": ReentryPolicy.SINGLE, **LEFT, "occupancy": 100},
    ),
    (Reason.CATEGORY_FULL, {"category_limit": 0, "occupancy": 100}),
]


@pytest.mark.parametrize(
    ("expected", "overrides"), PRECEDENCE, ids=[r.value for r, _ in PRECEDENCE]
)
def test_the_first_failing_rule_wins(
    expected: Reason, overrides: dict[str, object]
) -> None:
    assert reason(**overrides) == expected


def test_band_checks_apply_to_exits_too() -> None:
    assert (
        reason(direction=OUT, band_status=BandStatus.VOID, **INSIDE) == Reason.BAND_VOID
    )


# --- the window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - TICK, Reason.WINDOW_NOT_OPEN),
        (OPENS, Reason.OK),
        (CLOSES - TICK, Reason.OK),
        (CLOSES, Reason.WINDOW_CLOSED),
    ],
)
def test_window_boundaries(now: datetime, expected: Reason) -> None:
    assert reason(now=now) == expected


def test_window_compares_instants_not_wall_clocks() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert reason(now=OPENS.astimezone(amsterdam)) == Reason.OK  # 20:00 local
    assert reason(now=(OPENS - TICK).astimezone(amsterdam)) == Reason.WINDOW_NOT_OPEN


@pytest.mark.parametrize("field", ["now", "checkin_opens_at", "checkin_closes_at"])
def test_naive_times_are_a_programming_error(field: str) -> None:
    facts = make_facts()
    naive = getattr(facts, field).replace(tzinfo=None)
    with pytest.raises(ValueError, match=field):
        decide(replace(facts, **{field: naive}))


# --- exits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"now": CLOSES + timedelta(hours=3)},
        {"now": OPENS - timedelta(hours=3)},
        {"series_status": SeriesStatus.COMPLETED},
        {"series_status": SeriesStatus.CANCELLED},
        {"band_assigned": False},
        {"gate_categories": frozenset({"vip"})},
        {"occupancy": 500, "category_limit": 0},
    ],
)
def test_people_can_always_leave(overrides: dict[str, object]) -> None:
    assert reason(direction=OUT, **INSIDE, **overrides) == Reason.EXIT_OK


@pytest.mark.parametrize("policy", list(ReentryPolicy))
def test_exit_without_being_inside(policy: ReentryPolicy) -> None:
    expected = (
        Reason.EXIT_OK if policy == ReentryPolicy.UNLIMITED else Reason.NOT_INSIDE
    )
    assert reason(direction=OUT, reentry_policy=policy) == expected


# --- counts -------------------------------------------------------------------------


def test_counts_at_the_limit() -> None:
    assert reason(occupancy=99) == Reason.OK
    assert reason(occupancy=100) == Reason.SERIES_FULL
    assert reason(category_limit=3, category_inside=2) == Reason.OK
    assert reason(category_limit=3, category_inside=3) == Reason.CATEGORY_FULL


def test_an_unlimited_band_already_inside_is_already_counted() -> None:
    facts = {"reentry_policy": ReentryPolicy.UNLIMITED, **INSIDE}
    assert (
        reason(**facts, occupancy=100, category_limit=2, category_inside=2)
        == Reason.REENTRY
    )


# --- sequences at the gate ---------------------------------------------------------


@dataclass
class Venue:
    """Applies decisions to presence and counts the way the server records them."""

    policy: ReentryPolicy
    capacity: int = 100
    occupancy: int = 0

    def __post_init__(self) -> None:
        self.inside: dict[str, bool] = {}
        self.entered: set[str] = set()

    def tap(self, band: str, direction: Direction) -> Reason:
        decision = decide(
            make_facts(
                direction=direction,
                reentry_policy=self.policy,
                capacity=self.capacity,
                band_inside=self.inside.get(band, False),
                band_has_entered=band in self.entered,
                occupancy=self.occupancy,
            )
        )
        if decision.allowed:
            was_inside = self.inside.get(band, False)
            if direction == IN:
                self.occupancy += 0 if was_inside else 1
                self.entered.add(band)
            else:
                self.occupancy -= 1 if was_inside else 0
            self.inside[band] = direction == IN
        return decision.reason


R = Reason
SEQUENCES = {
    ReentryPolicy.SINGLE: [
        (IN, R.OK),
        (IN, R.ALREADY_INSIDE),
        (OUT, R.EXIT_OK),
        (OUT, R.NOT_INSIDE),
        (IN, R.NO_REENTRY),
    ],
    ReentryPolicy.REENTRY: [
        (OUT, R.NOT_INSIDE),
        (IN, R.OK),
        (IN, R.ALREADY_INSIDE),
        (OUT, R.EXIT_OK),
        (OUT, R.NOT_INSIDE),
        (IN, R.REENTRY),
        (OUT, R.EXIT_OK),
        (IN, R.REENTRY),
    ],
    ReentryPolicy.UNLIMITED: [
        (OUT, R.EXIT_OK),
        (IN, R.OK),
        (IN, R.REENTRY),
        (OUT, R.EXIT_OK),
        (OUT, R.EXIT_OK),
        (IN, R.REENTRY),
    ],
}


@pytest.mark.parametrize("policy", list(ReentryPolicy))
def test_policy_sequences(policy: ReentryPolicy) -> None:
    venue = Venue(policy)
    taps = SEQUENCES[policy]
    assert [venue.tap("band-1", d) for d, _ in taps] == [r for _, r in taps]
    assert venue.occupancy == (1 if venue.inside["band-1"] else 0)


def test_capacity_frees_up_when_someone_leaves() -> None:
    venue = Venue(ReentryPolicy.REENTRY, capacity=1)
    assert venue.tap("a", IN) == R.OK
    assert venue.tap("b", IN) == R.SERIES_FULL
    assert venue.tap("a", OUT) == R.EXIT_OK
    assert venue.tap("b", IN) == R.OK
    assert venue.tap("a", IN) == R.SERIES_FULL
    assert venue.occupancy == 1


# --- property -------------------------------------------------------------------------

ZONES = [UTC, ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/New_York")]
moments = st.datetimes(
    min_value=datetime(2025, 7, 4, 12),
    max_value=datetime(2025, 7, 5, 6),
    timezones=st.sampled_from(ZONES),
)
ids = st.sampled_from(["event-1", "event-2", None])
categories = st.sampled_from(["regular", "vip", None])

facts_strategy = st.builds(
    AccessFacts,
    direction=st.sampled_from(list(Direction)),
    now=moments,
    band_status=st.one_of(st.none(), st.sampled_from(list(BandStatus))),
    band_event_id=ids,
    band_category_id=categories,
    signature_valid=st.sampled_from([True, False, None]),
    series_event_id=ids,
    series_status=st.sampled_from(list(SeriesStatus)),
    checkin_opens_at=moments,
    checkin_closes_at=moments,
    capacity=st.integers(0, 5),
    reentry_policy=st.sampled_from(list(ReentryPolicy)),
    band_assigned=st.booleans(),
    gate_kind=st.sampled_from(list(GateKind)),
    gate_in_series=st.booleans(),
    gate_categories=st.frozensets(categories, max_size=2),
    band_inside=st.booleans(),
    band_has_entered=st.booleans(),
    occupancy=st.integers(0, 6),
    category_inside=st.integers(0, 6),
    category_limit=st.one_of(st.none(), st.integers(0, 5)),
)


@given(facts_strategy)
def test_decide_is_total_and_consistent(facts: AccessFacts) -> None:
    decision = decide(facts)
    assert decision.allowed == (decision.reason in ALLOWED_REASONS)
    assert decision.message
    if not decision.allowed:
        return
    # Whatever the direction, the band itself was fine and the gate may be used.
    assert facts.band_status == BandStatus.ACTIVE
    assert facts.signature_valid is not False
    assert facts.band_event_id == facts.series_event_id
    assert facts.gate_in_series
    if facts.direction == IN:
        assert facts.gate_kind != GateKind.EXIT
        assert facts.series_status == SeriesStatus.ACTIVE
        assert facts.checkin_opens_at <= facts.now < facts.checkin_closes_at
        assert facts.band_assigned
        assert (
            not facts.gate_categories or facts.band_category_id in facts.gate_categories
        )
        assert decision.reason in (Reason.OK, Reason.REENTRY)
        assert (decision.reason == Reason.REENTRY) == facts.band_has_entered
        if not facts.band_inside:
            assert facts.occupancy < facts.capacity
        else:
            assert facts.reentry_policy == ReentryPolicy.UNLIMITED
    else:
        assert facts.gate_kind != GateKind.ENTRY
        assert decision.reason == Reason.EXIT_OK
        assert facts.band_inside or facts.reentry_policy == ReentryPolicy.UNLIMITED
