"""The series builder: create, edit, move through the lifecycle, gates and limits.

Each function is one transaction that checks the actor's role first, validates
everything before it writes, and records its outbox entry with the change.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from boxoffice.domain.enums import ReentryPolicy, SeriesStatus
from boxoffice.domain.lifecycle import check_transition, is_terminal
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    CategoryId,
    EventId,
    New,
    Ref,
)
from boxoffice.domain.validation import (
    MAX_DESCRIPTION,
    MAX_SERIES_GATES,
    MAX_TRANSITION_REASON,
    SeriesTimes,
    check_category_limits,
    check_gates_belong,
    default_checkin_window,
    text_problem,
    validate_name,
    validate_optional_text,
    validate_series,
)
from boxoffice.errors import DuplicateError, StaleVersionError, ValidationError
from boxoffice.schemas.fields import Description, Int32, Name, TransitionReason
from boxoffice.schemas.series import (
    CategoryLimitView,
    SeriesChange,
    SeriesDetail,
    SeriesView,
    TransitionView,
)
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Event,
    EventSeries,
    Gate,
    Member,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesStateTransition,
)
from boxoffice.store.queries import assigned_by_category, category_limits
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def validate_description(description: str | None) -> str | None:
    """A description as typed, stripped; blank is none."""
    return validate_optional_text("description", "description", description, MAX_DESCRIPTION)


def check_gate_count(gates: list[str]) -> None:
    if len(gates) > MAX_SERIES_GATES:
        raise ValidationError.single(
            "gates", f"A series uses at most {MAX_SERIES_GATES} gates; {len(gates):,} were given.")


def times_of(series: EventSeries) -> SeriesTimes:
    return SeriesTimes(
        starts_at=series.starts_at,
        ends_at=series.ends_at,
        checkin_opens_at=series.checkin_opens_at,
        checkin_closes_at=series.checkin_closes_at,
    )


def ensure_editable(series: EventSeries) -> None:
    check_editable(series.name, series.status)


def check_editable(name: str, status: SeriesStatus) -> None:
    """``ensure_editable`` for a series read as columns rather than loaded."""
    if is_terminal(status):
        raise ValidationError.single(
            "status", f"The series {name} is {status.value} and can no longer be changed."
        )


def ensure_unique_name(session: Session, event: Event, name: str, own_id: uuid.UUID | None) -> None:
    clash = session.scalar(
        select(EventSeries.id).where(
            EventSeries.event_id == event.id, refs.same_name(EventSeries.name, name)
        )
    )
    if clash is not None and clash != own_id:
        raise DuplicateError("series", "name", name, f"in {event.name}")


def limits_by_name(session: Session, series_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(Category.name, SeriesCategoryLimit.band_limit)
        .join(Category, Category.id == SeriesCategoryLimit.category_id)
        .where(SeriesCategoryLimit.series_id == series_id)
    ).all()
    return {name: limit for name, limit in rows}


def flush_versioned(session: Session, series: EventSeries) -> None:
    """Flush, turning a lost optimistic-locking race into the person-facing error."""
    expected = series.version
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersionError("series", expected, None) from None


def create_series(
    store: Store,
    actor: Actor,
    event_ref: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    *,
    checkin_opens_at: datetime | None = None,
    checkin_closes_at: datetime | None = None,
    reentry_policy: ReentryPolicy = ReentryPolicy.REENTRY,
    description: str | None = None,
    gates: list[str] | None = None,
    series_id: uuid.UUID | None = None,
) -> SeriesChange:
    actor.require(Action.CREATE_SERIES)
    name = validate_name("series name", name)
    description = validate_description(description)
    check_gate_count(gates or [])
    if checkin_opens_at is None or checkin_closes_at is None:
        default_open, default_close = default_checkin_window(starts_at, ends_at)
        checkin_opens_at = checkin_opens_at or default_open
        checkin_closes_at = checkin_closes_at or default_close
    times = SeriesTimes(starts_at, ends_at, checkin_opens_at, checkin_closes_at)
    validate_series(times, capacity)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        ensure_unique_name(session, ev, name, None)
        gate_rows = [refs.gate(session, actor, ev, g) for g in gates or []]
        series = EventSeries(
            id=series_id or new_id(),
            organization_id=actor.organization_id,
            event_id=ev.id,
            name=name,
            description=description,
            starts_at=times.starts_at,
            ends_at=times.ends_at,
            checkin_opens_at=times.checkin_opens_at,
            checkin_closes_at=times.checkin_closes_at,
            capacity=capacity,
            status=SeriesStatus.DRAFT,
            reentry_policy=reentry_policy,
            created_by=actor.member_id,
        )
        session.add(series)
        session.flush()
        for gate in {g.id: g for g in gate_rows}.values():
            session.add(SeriesGate(series_id=series.id, gate_id=gate.id))
        session.flush()
        view = SeriesView.model_validate(series)
        outbox.record(
            session, actor, "series.create", series.id,
            {**view.model_dump(), "gate_ids": [g.id for g in gate_rows]},
        )
        log.info("series %s created in %s by %s", name, ev.name, actor.email)
        return SeriesChange(series=view)


def update_series(
    store: Store,
    actor: Actor,
    series_ref: str,
    expected_version: int,
    changes: dict[str, Any],
) -> SeriesChange:
    """Edit a series the caller loaded at ``expected_version``.

    If someone else saved in between, nothing is written and the caller is
    told to reload: their edit was made on data that no longer exists.
    """
    actor.require(Action.UPDATE_SERIES)
    SeriesChangedFields.check(changes)
    changes = outbox.as_stored(
        changes, name=validate_name("series name", changes["name"]) if "name" in changes else None,
        description=validate_description(changes.get("description")))
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        if series.version != expected_version:
            raise StaleVersionError("series", expected_version, series.version)
        ensure_editable(series)
        ev = session.get_one(Event, series.event_id)
        old = times_of(series)
        name = changes.get("name", series.name)
        if name != series.name:
            ensure_unique_name(session, ev, name, series.id)
        starts_at = changes.get("starts_at", old.starts_at)
        ends_at = changes.get("ends_at", old.ends_at)
        followed_default = (old.checkin_opens_at, old.checkin_closes_at) == default_checkin_window(
            old.starts_at, old.ends_at
        )
        default_open, default_close = default_checkin_window(starts_at, ends_at)
        opens = changes.get("checkin_opens_at") or (
            default_open if followed_default else old.checkin_opens_at
        )
        closes = changes.get("checkin_closes_at") or (
            default_close if followed_default else old.checkin_closes_at
        )
        times = SeriesTimes(starts_at, ends_at, opens, closes)
        capacity = int(changes.get("capacity", series.capacity))
        validate_series(times, capacity)
        warnings = check_category_limits(capacity, limits_by_name(session, series.id))
        series.name = name
        series.starts_at, series.ends_at = times.starts_at, times.ends_at
        series.checkin_opens_at, series.checkin_closes_at = opens, closes
        series.capacity = capacity
        if "description" in changes:
            series.description = changes["description"]
        if "reentry_policy" in changes:
            series.reentry_policy = ReentryPolicy(changes["reentry_policy"])
        flush_versioned(session, series)
        view = SeriesView.model_validate(series)
        outbox.record(
            session, actor, "series.update", series.id,
            {"expected_version": expected_version, "changes": changes},
        )
        return SeriesChange(series=view, warnings=warnings)


def list_series(
    store: Store,
    actor: Actor,
    event_ref: str | None = None,
    status: SeriesStatus | None = None,
    active_at: datetime | None = None,
) -> list[SeriesView]:
    """Series of the organization or of one event; ``active_at`` keeps those active then."""
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        query = select(EventSeries).where(EventSeries.organization_id == actor.organization_id)
        if event_ref is not None:
            ev = refs.event(session, actor, event_ref)
            query = query.where(EventSeries.event_id == ev.id)
        if status is not None:
            query = query.where(EventSeries.status == status)
        if active_at is not None:
            query = query.where(
                EventSeries.status == SeriesStatus.ACTIVE,
                EventSeries.starts_at <= active_at,
                EventSeries.ends_at > active_at,
            )
        query = query.order_by(EventSeries.starts_at, EventSeries.name)
        return [SeriesView.model_validate(s) for s in session.scalars(query)]


def series_detail(
    store: Store, actor: Actor, series_ref: str, event_ref: str | None = None
) -> SeriesDetail:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        ev_filter = refs.event(session, actor, event_ref) if event_ref else None
        series = refs.series(session, actor, series_ref, ev_filter)
        ev = session.get_one(Event, series.event_id)
        gates = session.scalars(
            select(Gate.name)
            .join(SeriesGate, SeriesGate.gate_id == Gate.id)
            .where(SeriesGate.series_id == series.id)
            .order_by(Gate.name)
        ).all()
        assigned_by_cat = assigned_by_category(session, series.id)
        limit_rows = category_limits(session, series.id)
        categories = session.scalars(
            select(Category).where(Category.event_id == ev.id).order_by(Category.name)
        ).all()
        limits = [
            CategoryLimitView(
                category_id=c.id,
                category=c.name,
                limit=limit_rows.get(c.id),
                assigned=assigned_by_cat.get(c.id, 0),
            )
            for c in categories
        ]
        transitions = [
            TransitionView(
                from_status=t.from_status, to_status=t.to_status, actor=email,
                reason=t.reason, at=t.at,
            )
            for t, email in session.execute(
                select(SeriesStateTransition, Member.email)
                .outerjoin(Member, Member.id == SeriesStateTransition.actor_id)
                .where(SeriesStateTransition.series_id == series.id)
                .order_by(SeriesStateTransition.at)
            )
        ]
        children = session.scalars(
            select(EventSeries)
            .where(EventSeries.parent_series_id == series.id)
            .order_by(EventSeries.sequence_number)
        ).all()
        return SeriesDetail(
            series=SeriesView.model_validate(series),
            event_name=ev.name,
            timezone=ev.timezone,
            gates=list(gates),
            limits=limits,
            assigned_bands=sum(assigned_by_cat.values()),
            transitions=transitions,
            children=[SeriesView.model_validate(c) for c in children],
            parent_name=(
                session.get_one(EventSeries, series.parent_series_id).name
                if series.parent_series_id
                else None
            ),
        )


def transition_series(
    store: Store,
    actor: Actor,
    series_ref: str,
    target: SeriesStatus,
    reason: str,
    expected_version: int | None = None,
    *,
    transition_id: uuid.UUID | None = None,
) -> SeriesChange:
    """Move a series through its lifecycle; every move is logged with who and why."""
    actor.require(Action.TRANSITION_SERIES)
    reason = reason.strip()
    if not reason:
        raise ValidationError.single("reason", "Say why the series changes state (a reason is required).")
    problem = text_problem("reason", "reason", reason, MAX_TRANSITION_REASON)
    if problem is not None:
        raise ValidationError([problem])
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        if expected_version is not None and series.version != expected_version:
            raise StaleVersionError("series", expected_version, series.version)
        current = series.status
        check_transition(current, target)
        if target is SeriesStatus.ACTIVE:
            gate_count = session.scalar(
                select(func.count()).select_from(SeriesGate).where(SeriesGate.series_id == series.id)
            )
            if not gate_count:
                raise ValidationError.single(
                    "gates", f"Add at least one gate to {series.name} before activating it."
                )
        series.status = target
        record = SeriesStateTransition(
                id=transition_id or new_id(),
                series_id=series.id,
                from_status=current,
                to_status=target,
                actor_id=actor.member_id,
                reason=reason,
        )
        session.add(record)
        flush_versioned(session, series)
        view = SeriesView.model_validate(series)
        outbox.record(
            session, actor, "series.transition", series.id,
            {"from": current, "to": target, "reason": reason, "transition_id": record.id,
             "expected_version": expected_version},
        )
        log.info("series %s: %s -> %s by %s (%s)", series.name, current, target, actor.email, reason)
        return SeriesChange(series=view)


def _touch(series: EventSeries) -> None:
    # Gates and limits are part of what a person edits on the series form, so
    # changing them moves the version on too.
    series.updated_at = utcnow()


def assign_gates(
    store: Store, actor: Actor, series_ref: str, gate_refs: list[str], *, remove: bool = False
) -> SeriesChange:
    actor.require(Action.ASSIGN_SERIES_GATES)
    if not gate_refs:
        raise ValidationError.single("gates", "Name at least one gate.")
    check_gate_count(gate_refs)
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        ensure_editable(series)
        ev = session.get_one(Event, series.event_id)
        gates: list[Gate] = []
        for ref in gate_refs:
            ident = refs.as_uuid(ref)
            gate = session.get(Gate, ident) if ident else None
            gates.append(gate if gate is not None else refs.gate(session, actor, ev, ref))
        check_gates_belong(series.event_id, [(g.name, g.event_id) for g in gates])
        current = set(
            session.scalars(select(SeriesGate.gate_id).where(SeriesGate.series_id == series.id))
        )
        if remove:
            for gate in gates:
                if gate.id in current:
                    session.delete(session.get_one(SeriesGate, (series.id, gate.id)))
        else:
            for gate in {g.id: g for g in gates}.values():
                if gate.id not in current:
                    session.add(SeriesGate(series_id=series.id, gate_id=gate.id))
        _touch(series)
        flush_versioned(session, series)
        outbox.record(
            session, actor, "series.remove_gates" if remove else "series.assign_gates", series.id,
            {"gate_ids": [g.id for g in gates]},
        )
        return SeriesChange(series=SeriesView.model_validate(series))


def set_category_limit(
    store: Store, actor: Actor, series_ref: str, category_ref: str, limit: int | None
) -> SeriesChange:
    """Set (or with ``None`` remove) how many bands of a category the series takes."""
    actor.require(Action.SET_CATEGORY_LIMITS)
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        ensure_editable(series)
        ev = session.get_one(Event, series.event_id)
        cat = refs.category(session, actor, ev, category_ref)
        limits = limits_by_name(session, series.id)
        if limit is None:
            limits.pop(cat.name, None)
        else:
            limits[cat.name] = limit
        warnings = check_category_limits(series.capacity, limits)
        row = session.get(SeriesCategoryLimit, (series.id, cat.id))
        if limit is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(SeriesCategoryLimit(series_id=series.id, category_id=cat.id, band_limit=limit))
        else:
            row.band_limit = limit
        if limit is not None:
            assigned = assigned_by_category(session, series.id, [cat.id]).get(cat.id, 0)
            if assigned > limit:
                warnings.append(
                    f"{assigned:,} {cat.name} bands are already assigned, more than the new limit "
                    f"of {limit:,}; no more will be assigned until some are removed."
                )
        _touch(series)
        flush_versioned(session, series)
        outbox.record(
            session, actor, "series.set_limit", series.id,
            {"category_id": cat.id, "limit": limit},
        )
        return SeriesChange(series=SeriesView.model_validate(series), warnings=warnings)


# -- what this module's changes carry to the server (its outbox contracts) --------

class SeriesFields(outbox.Payload):
    """A new series: the pushed ``series.create`` and the API's POST body. A check-in bound left out
    is the default window (the series' run); a station always sends both."""

    event_id: EventId
    name: Name
    description: Description | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    checkin_opens_at: AwareDatetime | None = None
    checkin_closes_at: AwareDatetime | None = None
    capacity: Int32
    reentry_policy: ReentryPolicy = ReentryPolicy.REENTRY
    gate_ids: Annotated[list[uuid.UUID], Ref("gates"), Field(max_length=MAX_SERIES_GATES)] = []


class SeriesCreateChange(SeriesFields):
    id: New


class SeriesChangedFields(outbox.Edit):
    """What an edit of a series may change: the pushed ``series.update`` and the API's PATCH body alike.

    A check-in bound sent as null goes back to the default window.
    """

    clearable: ClassVar[frozenset[str]] = frozenset({"description", "checkin_opens_at", "checkin_closes_at"})

    name: Name | None = None
    description: Description | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    checkin_opens_at: AwareDatetime | None = None
    checkin_closes_at: AwareDatetime | None = None
    capacity: Int32 | None = None
    reentry_policy: ReentryPolicy | None = None


class SeriesUpdateChange(outbox.Payload):
    expected_version: int
    changes: SeriesChangedFields


class SeriesTransitionFields(outbox.Payload):
    """A move along the lifecycle and why: the pushed ``series.transition`` and the API's POST body."""

    to: SeriesStatus
    reason: TransitionReason


class SeriesTransitionChange(SeriesTransitionFields):
    transition_id: Annotated[uuid.UUID | None, NEW] = None


class SeriesGatesChange(outbox.Payload):
    """Gates assigned to or taken off a series: pushed, and the API's POST body."""

    gate_ids: Annotated[list[uuid.UUID], Ref("gates"), Field(min_length=1, max_length=MAX_SERIES_GATES)]


class SeriesLimitChange(outbox.Payload):
    """A category's band limit in a series (``None``: no limit): pushed, and the API's PUT body."""

    category_id: CategoryId
    limit: Int32 | None


outbox.declare("series.create", SeriesCreateChange, NEW)
outbox.declare("series.update", SeriesUpdateChange, Ref("event_series"))
outbox.declare("series.transition", SeriesTransitionChange, Ref("event_series"))
outbox.declare("series.assign_gates", SeriesGatesChange, Ref("event_series"))
outbox.declare("series.remove_gates", SeriesGatesChange, Ref("event_series"))
outbox.declare("series.set_limit", SeriesLimitChange, Ref("event_series"))
