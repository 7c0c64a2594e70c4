"""Read-only views of one series: its gates, its category figures and its lifecycle history.

Each is its own call (rather than only part of ``series_detail``) so that a
screen or a script asking for one thing does not pay for the others.
"""

from __future__ import annotations

from sqlalchemy import func, select

from boxoffice.domain.permissions import Action
from boxoffice.schemas.event import GateView
from boxoffice.schemas.pages import CategoryFigures
from boxoffice.schemas.series import TransitionView
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.services.events import gate_view
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Gate,
    Member,
    SeriesGate,
    SeriesPresence,
    SeriesStateTransition,
)
from boxoffice.store.queries import assigned_by_category, category_limits


def series_gates(store: Store, actor: Actor, series_ref: str) -> list[GateView]:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        gates = session.scalars(
            select(Gate)
            .join(SeriesGate, SeriesGate.gate_id == Gate.id)
            .where(SeriesGate.series_id == series.id)
            .order_by(Gate.name)
        ).all()
        return [gate_view(session, g) for g in gates]


def series_limits(store: Store, actor: Actor, series_ref: str) -> list[CategoryFigures]:
    """Every category of the event: its limit on this series, bands assigned, bands that entered."""
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        limits = category_limits(session, series.id)
        assigned = assigned_by_category(session, series.id)
        entered = dict(
            session.execute(
                select(SeriesPresence.category_id, func.count())
                .where(SeriesPresence.series_id == series.id, SeriesPresence.has_entered.is_(True))
                .group_by(SeriesPresence.category_id)
            ).all()
        )
        categories = session.scalars(
            select(Category).where(Category.event_id == series.event_id).order_by(Category.name)
        ).all()
        return [
            CategoryFigures(
                category_id=c.id, category=c.name, limit=limits.get(c.id),
                assigned=assigned.get(c.id, 0), entered=entered.get(c.id, 0),
            )
            for c in categories
        ]


def series_transitions(store: Store, actor: Actor, series_ref: str) -> list[TransitionView]:
    """The lifecycle log, oldest first: from, to, who, when and why."""
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        return [
            TransitionView(from_status=t.from_status, to_status=t.to_status, actor=email,
                           reason=t.reason, at=t.at)
            for t, email in session.execute(
                select(SeriesStateTransition, Member.email)
                .outerjoin(Member, Member.id == SeriesStateTransition.actor_id)
                .where(SeriesStateTransition.series_id == series.id)
                .order_by(SeriesStateTransition.at, SeriesStateTransition.id)
            )
        ]
