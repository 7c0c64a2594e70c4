"""The role x action matrix, against a table written out independently of the code."""

from __future__ import annotations

import pytest

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import (
    PERMISSIONS,
    Action,
    describe,
    may,
    require,
    roles_allowed,
)
from boxoffice.errors import PermissionDeniedError

# Columns:  owner admin manager member viewer gate station
ROLES = (
    Role.OWNER,
    Role.ADMIN,
    Role.MANAGER,
    Role.MEMBER,
    Role.VIEWER,
    Role.GATE,
    Role.STATION,
)
Y, N = True, False
EXPECTED: dict[str, tuple[bool, ...]] = {
    #                       own adm man mem vie gate sta
    "view_series":          (Y, Y, Y, Y, Y, N, Y),
    "view_checkins":        (Y, Y, Y, Y, N, N, Y),
    "view_bands":           (Y, Y, Y, Y, N, N, Y),
    "view_metrics":         (Y, Y, Y, Y, Y, N, N),
    "manage_members":       (Y, N, N, N, N, N, N),
    "manage_events":        (Y, Y, N, N, N, N, N),
    "manage_gates":         (Y, Y, N, N, N, N, N),
    "manage_categories":    (Y, Y, N, N, N, N, N),
    "manage_tickets":       (Y, Y, Y, N, N, N, Y),
    "create_series":        (Y, Y, Y, N, N, N, N),
    "update_series":        (Y, Y, N, N, N, N, N),
    "delete_series":        (Y, Y, N, N, N, N, N),
    "transition_series":    (Y, Y, N, N, N, N, N),
    "assign_series_gates":  (Y, Y, N, N, N, N, N),
    "set_category_limits":  (Y, Y, N, N, N, N, N),
    "generate_recurrence":  (Y, Y, Y, N, N, N, N),
    "assign_bands":         (Y, Y, Y, N, N, N, N),
    "encode_bands":         (Y, Y, Y, N, N, N, Y),
    "void_bands":           (Y, Y, Y, N, N, N, Y),
    "verify":               (Y, Y, N, N, N, Y, N),
    "view_tickets":         (Y, Y, Y, Y, N, N, Y),
    "view_scannables":      (Y, Y, Y, Y, N, Y, Y),
    "view_products":        (Y, Y, Y, Y, Y, N, Y),
    "manage_products":      (Y, Y, Y, N, N, N, N),
    "sell":                 (Y, Y, Y, N, N, N, Y),
    "refund":               (Y, Y, Y, N, N, N, N),
    "view_sales":           (Y, Y, Y, N, N, N, N),
    "view_own_sales":       (Y, Y, Y, N, N, N, Y),
}  # fmt: skip


def test_actions_are_exactly_the_specified_ones() -> None:
    assert [a.value for a in Action] == list(EXPECTED)


def test_table_covers_every_role() -> None:
    assert set(PERMISSIONS) == set(Role) == set(ROLES)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(role: Role, action: Action) -> None:
    expected = EXPECTED[action.value][ROLES.index(role)]
    assert may(role, action) is expected


@pytest.mark.parametrize("action", list(Action))
def test_roles_allowed_in_declaration_order(action: Action) -> None:
    expected = tuple(
        r for r, ok in zip(ROLES, EXPECTED[action.value], strict=True) if ok
    )
    assert roles_allowed(action) == expected


@pytest.mark.parametrize("action", list(Action))
def test_every_action_is_described(action: Action) -> None:
    phrase = describe(action)
    assert phrase and phrase == phrase.strip() and not phrase.endswith(".")


def test_describe_phrases() -> None:
    assert describe(Action.CREATE_SERIES) == "create series"
    assert describe(Action.ASSIGN_BANDS) == "assign wristbands to series"
    assert describe(Action.TRANSITION_SERIES) == "change a series' lifecycle"


def test_require_passes_silently_when_allowed() -> None:
    require(Role.MANAGER, Action.ASSIGN_BANDS)


def test_require_message_names_role_action_and_whom_to_ask() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        require(Role.MEMBER, Action.TRANSITION_SERIES)
    error = caught.value
    assert str(error) == (
        "Your role (member) may not change a series' lifecycle. "
        "Ask someone with the role owner or admin."
    )
    assert error.role == "member"
    assert error.allowed_roles == ["owner", "admin"]


def test_require_never_suggests_a_device_role() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        require(Role.VIEWER, Action.ENCODE_BANDS)
    assert caught.value.allowed_roles == ["owner", "admin", "manager"]
    assert "station" not in str(caught.value)


def test_require_for_verify_suggests_people_only() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        require(Role.STATION, Action.VERIFY)
    assert caught.value.allowed_roles == ["owner", "admin"]
    assert "gate" not in caught.value.allowed_roles


def test_the_owner_is_the_only_one_who_manages_members() -> None:
    assert roles_allowed(Action.MANAGE_MEMBERS) == (Role.OWNER,)
