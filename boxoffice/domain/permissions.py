"""Who may do what: one table, one function that answers.

Every layer (CLI, server, desktop) asks :func:`may` or :func:`require`
instead of comparing roles itself, so a change of policy is a change of
:data:`PERMISSIONS` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from boxoffice.domain.enums import Role
from boxoffice.errors import PermissionDeniedError


class Action(StrEnum):
    VIEW_SERIES = "view_series"
    VIEW_CHECKINS = "view_checkins"
    VIEW_BANDS = "view_bands"
    VIEW_METRICS = "view_metrics"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_EVENTS = "manage_events"
    MANAGE_GATES = "manage_gates"
    MANAGE_CATEGORIES = "manage_categories"
    MANAGE_TICKETS = "manage_tickets"
    CREATE_SERIES = "create_series"
    UPDATE_SERIES = "update_series"
    DELETE_SERIES = "delete_series"
    TRANSITION_SERIES = "transition_series"
    ASSIGN_SERIES_GATES = "assign_series_gates"
    SET_CATEGORY_LIMITS = "set_category_limits"
    GENERATE_RECURRENCE = "generate_recurrence"
    ASSIGN_BANDS = "assign_bands"
    ENCODE_BANDS = "encode_bands"
    VOID_BANDS = "void_bands"
    VERIFY = "verify"
    VIEW_TICKETS = "view_tickets"
    VIEW_SCANNABLES = "view_scannables"
    VIEW_PRODUCTS = "view_products"
    MANAGE_PRODUCTS = "manage_products"
    SELL = "sell"
    REFUND = "refund"
    VIEW_SALES = "view_sales"
    VIEW_OWN_SALES = "view_own_sales"


_A = Action
_VIEW_ALL = frozenset(
    {_A.VIEW_SERIES, _A.VIEW_CHECKINS, _A.VIEW_BANDS, _A.VIEW_METRICS, _A.VIEW_TICKETS,
     _A.VIEW_SCANNABLES, _A.VIEW_PRODUCTS}
)

# The policy. Read a row as "a <role> may ...".
PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        # The owner is the only one who can hand out (or take away) roles,
        # so an organisation can never lock its owner out.
        Role.OWNER: frozenset(Action),
        # Admins run the event but cannot change who is an admin.
        Role.ADMIN: frozenset(Action) - {_A.MANAGE_MEMBERS},
        # Managers run the box office on the day: they can add series from a
        # pattern and deal with bands and tickets, but not reshape the event
        # (gates, categories, limits, lifecycle) that others have planned.
        Role.MANAGER: _VIEW_ALL
        | {
            _A.CREATE_SERIES,
            _A.GENERATE_RECURRENCE,
            _A.ASSIGN_BANDS,
            _A.MANAGE_TICKETS,
            _A.ENCODE_BANDS,
            _A.VOID_BANDS,
            # The door sales: products and their quotas, selling, refunds and the cash-up.
            _A.MANAGE_PRODUCTS,
            _A.SELL,
            _A.REFUND,
            _A.VIEW_SALES,
            _A.VIEW_OWN_SALES,
        },
        # Members can see everything, including who came in, but change nothing.
        Role.MEMBER: _VIEW_ALL,
        # Viewers (sponsors, the municipality) see figures, never per-person data.
        Role.VIEWER: frozenset({_A.VIEW_SERIES, _A.VIEW_METRICS, _A.VIEW_PRODUCTS}),
        # A gate scanner is a device on a pole: it only answers "may this band pass?",
        # online or, from the list of bands it may admit that it keeps, offline.
        Role.GATE: frozenset({_A.VERIFY, _A.VIEW_SCANNABLES}),
        # A box-office station encodes, voids and looks up bands and sells tickets.
        Role.STATION: frozenset(
            {
                _A.VIEW_SERIES,
                _A.VIEW_BANDS,
                _A.VIEW_CHECKINS,
                _A.VIEW_TICKETS,
                _A.VIEW_SCANNABLES,
                _A.ENCODE_BANDS,
                _A.VOID_BANDS,
                _A.MANAGE_TICKETS,
                # Sells at the door (and from a lease of places while offline); refunds
                # and the whole cash-up are a manager's; it cashes up its own sales.
                _A.VIEW_PRODUCTS,
                _A.SELL,
                _A.VIEW_OWN_SALES,
            }
        ),
    }
)

# What a station may hold: each replicated table, and the action whose API
# routes serve its rows. A pull sends a table only to a role that may do that
# action, so the API and the sync channel answer from this one table and
# cannot disagree (``boxoffice.sync.scope`` reads it; a replicated table not
# named here stops the server from starting). Per-person data (holders,
# bands, check-ins), the tag-password secret and members' details are what
# viewers and members must never receive.
HOLD: Mapping[str, Action] = MappingProxyType(
    {
        "organizations": _A.VIEW_SERIES,
        "events": _A.VIEW_SERIES,
        "event_series": _A.VIEW_SERIES,
        "gates": _A.VIEW_SERIES,
        "categories": _A.VIEW_SERIES,
        "gate_categories": _A.VIEW_SERIES,
        "series_gates": _A.VIEW_SERIES,
        "series_category_limits": _A.VIEW_SERIES,
        "series_state_transitions": _A.VIEW_SERIES,
        # Public keys only (the private half never leaves the server): they check a band's signature.
        "event_keys": _A.VIEW_SERIES,
        # Every band's write password is derived from it: only who may encode.
        "tag_secrets": _A.ENCODE_BANDS,
        "tickets": _A.VIEW_TICKETS,
        "series_tickets": _A.VIEW_TICKETS,
        "wristbands": _A.VIEW_BANDS,
        "series_wristband_assignments": _A.VIEW_BANDS,
        "checkins": _A.VIEW_CHECKINS,
        "series_presence": _A.VIEW_CHECKINS,
        # What the box office sells, and the series each admits to: prices, no per-person data.
        "products": _A.VIEW_PRODUCTS,
        "product_series": _A.VIEW_PRODUCTS,
        # Who is who, with e-mails and roles: who manages members. Everyone else
        # holds one row of it, their own, which a station needs to know who is working.
        "members": _A.MANAGE_MEMBERS,
    }
)
#: Tables of which a role without the action still holds its own row (the member it logged in as).
OWN_ROW_ONLY = frozenset({"members"})

#: Reading the change log at all (a gate device's list of bands comes from its own route).
PULL_CHANGES = _A.VIEW_SERIES


def may_hold(role: Role) -> frozenset[str]:
    """The replicated tables a station logged in with ``role`` holds in full."""
    return frozenset(table for table, action in HOLD.items() if may(role, action))


_DESCRIPTIONS: Mapping[Action, str] = MappingProxyType(
    {
        _A.VIEW_SERIES: "view series",
        _A.VIEW_CHECKINS: "view check-ins",
        _A.VIEW_BANDS: "view wristbands",
        _A.VIEW_METRICS: "view figures and metrics",
        _A.MANAGE_MEMBERS: "manage members and their roles",
        _A.MANAGE_EVENTS: "manage events",
        _A.MANAGE_GATES: "manage gates",
        _A.MANAGE_CATEGORIES: "manage wristband categories",
        _A.MANAGE_TICKETS: "manage tickets",
        _A.CREATE_SERIES: "create series",
        _A.UPDATE_SERIES: "change series",
        _A.DELETE_SERIES: "delete series",
        _A.TRANSITION_SERIES: "change a series' lifecycle",
        _A.ASSIGN_SERIES_GATES: "assign gates to series",
        _A.SET_CATEGORY_LIMITS: "set category limits on series",
        _A.GENERATE_RECURRENCE: "generate recurring series",
        _A.ASSIGN_BANDS: "assign wristbands to series",
        _A.ENCODE_BANDS: "encode wristbands",
        _A.VOID_BANDS: "void wristbands",
        _A.VERIFY: "verify wristbands at a gate",
        _A.VIEW_TICKETS: "view tickets and their holders",
        _A.VIEW_SCANNABLES: "download the wristbands a gate may admit",
        _A.VIEW_PRODUCTS: "view the products the box office sells",
        _A.MANAGE_PRODUCTS: "set up products, prices and quotas",
        _A.SELL: "sell tickets",
        _A.REFUND: "refund or void a sale",
        _A.VIEW_SALES: "see the sales and the cash-up",
        _A.VIEW_OWN_SALES: "cash up its own sales",
    }
)

# Devices are never the answer to "who can do this for me?".
_DEVICE_ROLES = frozenset({Role.GATE, Role.STATION})


def may(role: Role, action: Action) -> bool:
    """The single answer to "may this role do this?"."""
    return action in PERMISSIONS.get(role, frozenset())


def roles_allowed(action: Action) -> tuple[Role, ...]:
    """Roles that may do ``action``, in declaration order so messages are stable."""
    return tuple(role for role in Role if may(role, action))


def people_allowed(action: Action) -> list[str]:
    """Roles of people (not devices) that may do ``action``: whom to ask, in refusals and tooltips."""
    return [r.value for r in roles_allowed(action) if r not in _DEVICE_ROLES]


def describe(action: Action) -> str:
    """A phrase that completes "Your role may not ..."."""
    return _DESCRIPTIONS[action]


def sales_seen(role: Role) -> str | None:
    """Whose sales a role sees in a cash-up: "all" (``VIEW_SALES``), "own" (``VIEW_OWN_SALES``: the
    orders and refunds the login itself made), or None (none at all)."""
    if may(role, _A.VIEW_SALES):
        return "all"
    if may(role, _A.VIEW_OWN_SALES):
        return "own"
    return None


def require(role: Role, action: Action) -> None:
    """Refuse with a message that tells a person whom to ask instead."""
    if not may(role, action):
        people = people_allowed(action)
        raise PermissionDeniedError(role.value, describe(action), people)
