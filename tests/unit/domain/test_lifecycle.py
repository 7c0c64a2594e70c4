"""The series lifecycle table, checked cell by cell against the specification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.domain.enums import SeriesStatus
from boxoffice.domain.lifecycle import (
    ALLOWED_TRANSITIONS,
    allowed_next,
    check_transition,
    is_terminal,
)
from boxoffice.errors import IllegalTransitionError

D, SC, A, CO, CA = (
    SeriesStatus.DRAFT,
    SeriesStatus.SCHEDULED,
    SeriesStatus.ACTIVE,
    SeriesStatus.COMPLETED,
    SeriesStatus.CANCELLED,
)

# The specification, written out: row = from, column = to.
#                 draft  scheduled active completed cancelled
SPEC = {
    D: {D: False, SC: True, A: False, CO: False, CA: True},
    SC: {D: False, SC: False, A: True, CO: False, CA: True},
    A: {D: False, SC: False, A: False, CO: True, CA: True},
    CO: {D: False, SC: False, A: False, CO: False, CA: False},
    CA: {D: False, SC: False, A: False, CO: False, CA: False},
}

PAIRS = [(current, target) for current in SeriesStatus for target in SeriesStatus]


def test_spec_covers_every_status() -> None:
    assert set(SPEC) == set(SeriesStatus)
    assert all(set(row) == set(SeriesStatus) for row in SPEC.values())


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_every_pair_matches_the_spec(
    current: SeriesStatus, target: SeriesStatus
) -> None:
    if SPEC[current][target]:
        check_transition(current, target)
        assert target in allowed_next(current)
    else:
        with pytest.raises(IllegalTransitionError):
            check_transition(current, target)
        assert target not in allowed_next(current)


def test_table_is_exact_and_ordered() -> None:
    assert dict(ALLOWED_TRANSITIONS) == {
        D: (SC, CA),
        SC: (A, CA),
        A: (CO, CA),
        CO: (),
        CA: (),
    }


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        ALLOWED_TRANSITIONS[CO] = (D,)  # type: ignore[index]


@pytest.mark.parametrize("status", list(SeriesStatus))
def test_terminal_states(status: SeriesStatus) -> None:
    assert is_terminal(status) == (status in (CO, CA))


def test_message_names_state_and_allowed_next() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition(D, A)
    error = caught.value
    assert str(error) == (
        "A draft series cannot become active; "
        "from draft it can become: scheduled, cancelled."
    )
    assert (error.current, error.target, error.allowed) == (
        "draft",
        "active",
        ["scheduled", "cancelled"],
    )


def test_message_for_a_final_state() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition(CO, A)
    assert (
        str(caught.value)
        == "A completed series cannot become active; completed is final."
    )
    assert caught.value.allowed == []


def test_staying_in_the_same_state_is_refused() -> None:
    with pytest.raises(
        IllegalTransitionError, match="scheduled series cannot become scheduled"
    ):
        check_transition(SC, SC)


def _reachable_from_draft() -> set[SeriesStatus]:
    """Every status reachable from draft, by a search over SPEC (not the code)."""
    seen = {D}
    frontier = [D]
    while frontier:
        current = frontier.pop()
        for target, allowed in SPEC[current].items():
            if allowed and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


REACHABLE = _reachable_from_draft()


def test_every_status_is_reachable_from_draft() -> None:
    assert set(SeriesStatus) == REACHABLE


@given(st.lists(st.sampled_from(list(SeriesStatus)), max_size=40))
def test_random_attempts_stay_within_the_table(attempts: list[SeriesStatus]) -> None:
    state = D
    path = [D]
    for target in attempts:
        try:
            check_transition(state, target)
        except IllegalTransitionError:
            assert not SPEC[state][target], f"{state} -> {target} was refused"
            continue
        assert SPEC[state][target], f"{state} -> {target} was let through"
        assert not is_terminal(state), "a final state changed"
        state = target
        path.append(state)
    assert all(s in REACHABLE for s in path)
    # Once final, always final: nothing follows a terminal state on the path.
    for i, s in enumerate(path):
        if is_terminal(s):
            assert path[i:] == [s]
