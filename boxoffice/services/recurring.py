"""Recurring series: a parent with a pattern generates its dated children.

Which dates the children take depends on what the parent is:

- a *template* (the usual case, "Festival day" with the pattern "Day {n}"):
  the parent is not itself one of the days; child #1 falls on the parent's
  own date, #2 on the next date of the pattern, and so on;
- the *first day itself*: when the name pattern gives the parent its own
  name for #1 (a parent "Day 1" with "Day {n}"), the parent is #1, and the
  ``count`` children are #2, #3, … on the pattern's dates after it. Nothing
  is generated twice for the parent's date.

Both follow from the parent, the rule and the pattern alone, so a station
and the server that replays its change make the same children.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from boxoffice.domain.enums import RecurrenceKind
from boxoffice.domain.permissions import Action
from boxoffice.domain.recurrence import MAX_COUNT, Instance, RecurrenceRule, instances
from boxoffice.domain.references import (
    New,
    Ref,
)
from boxoffice.domain.validation import SeriesTimes, validate_name, validate_series
from boxoffice.errors import DuplicateError, ValidationError
from boxoffice.schemas.series import SeriesView
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.series import ensure_editable, times_of
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Event, EventSeries, SeriesCategoryLimit, SeriesGate
from boxoffice.store.queries import category_limits

log = logging.getLogger(__name__)

DEFAULT_NAME_PATTERN = "{name} {n}"


def _child_name(pattern: str, parent: str, n: int, local_date: str, weekday: str) -> str:
    try:
        name = pattern.format(name=parent, n=n, date=local_date, weekday=weekday)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError.single(
            "name_pattern",
            f"The name pattern {pattern!r} cannot be used ({exc}); "
            "it may contain {name}, {n}, {date} and {weekday}.",
        ) from None
    return validate_name("series name", name)


def parent_is_first(pattern: str, parent_name: str, times: SeriesTimes, tz: ZoneInfo) -> bool:
    """Whether the pattern's #1 on the parent's date is the parent's own name: then the parent is #1."""
    local = times.starts_at.astimezone(tz)
    try:
        first = pattern.format(name=parent_name, n=1, date=local.date().isoformat(),
                               weekday=local.strftime("%A"))
    except (KeyError, IndexError, ValueError):
        return False  # the pattern is refused with its reason when the children are named
    return first.strip().casefold() == parent_name.strip().casefold()


def planned_children(
    rule: RecurrenceRule, tz: ZoneInfo, times: SeriesTimes, parent_name: str,
    name_pattern: str = DEFAULT_NAME_PATTERN,
) -> list[tuple[str, Instance]]:
    """What ``generate_recurring`` would create (names, times): a preview before anything is written.

    Pure (no store), so a dialog can recompute it on every keystroke. See the module docstring for
    when the parent is a template and when it is #1 itself.
    """
    if parent_is_first(name_pattern, parent_name, times, tz):
        if rule.count >= MAX_COUNT:
            raise ValidationError.single(
                "count", f"At most {MAX_COUNT - 1} series can follow {parent_name}, which is #1 itself.")
        parent_day = times.starts_at.astimezone(tz).date()
        wider = RecurrenceRule(rule.kind, rule.count + 1, rule.interval, rule.weekdays)
        after = [i for i in instances(wider, tz, times) if i.starts_at.astimezone(tz).date() > parent_day]
        planned = [replace(inst, sequence=n) for n, inst in enumerate(after[:rule.count], start=2)]
    else:
        planned = instances(rule, tz, times)
    out = []
    for inst in planned:
        local = inst.starts_at.astimezone(tz)
        out.append((_child_name(name_pattern, parent_name, inst.sequence, local.date().isoformat(),
                                local.strftime("%A")), inst))
    names = [n for n, _ in out]
    if len(set(n.lower() for n in names)) != len(names):
        raise ValidationError.single(
            "name_pattern", "The name pattern gives several series the same name; add {n} or {date}."
        )
    return out


def generate_recurring(
    store: Store,
    actor: Actor,
    series_ref: str,
    rule: RecurrenceRule,
    name_pattern: str = DEFAULT_NAME_PATTERN,
    *,
    child_ids: list[uuid.UUID] | None = None,
) -> list[SeriesView]:
    """Create ``rule.count`` draft children of a series, dated in the event's time zone.

    From the parent's own date when the parent is a template; from the next date after it when the
    parent is #1 itself (module docstring). Each child keeps the parent's local start and end times
    (20:00 stays 20:00 across a DST change), capacity, re-entry policy, gates and category limits,
    and carries ``parent_series_id`` and its sequence number.
    """
    actor.require(Action.GENERATE_RECURRENCE)
    with store.write() as session:
        parent = refs.series(session, actor, series_ref)
        ensure_editable(parent)
        if parent.parent_series_id is not None:
            raise ValidationError.single(
                "series", f"{parent.name} is itself generated from a recurring series; "
                "recur the parent instead."
            )
        has_children = session.scalar(
            select(func.count()).select_from(EventSeries).where(
                EventSeries.parent_series_id == parent.id
            )
        )
        if has_children:
            raise ValidationError.single(
                "series", f"{parent.name} already has {has_children} generated series."
            )
        ev = session.get_one(Event, parent.event_id)
        tz = ZoneInfo(ev.timezone)
        plan = planned_children(rule, tz, times_of(parent), parent.name, name_pattern)
        planned = [inst for _, inst in plan]
        names = [name for name, _ in plan]
        taken = session.scalars(
            select(EventSeries.name).where(
                EventSeries.event_id == ev.id,
                func.lower(EventSeries.name).in_([n.lower() for n in names]),
            )
        ).all()
        if taken:
            raise DuplicateError("series", "name", taken[0], f"in {ev.name}")
        gate_ids = session.scalars(
            select(SeriesGate.gate_id).where(SeriesGate.series_id == parent.id)
        ).all()
        limits = category_limits(session, parent.id).items()

        if child_ids is not None and len(child_ids) != len(planned):
            raise ValidationError.single(
                "children", f"The rule makes {len(planned)} series, but {len(child_ids)} ids were given."
            )
        ids = child_ids or [new_id() for _ in planned]
        children: list[EventSeries] = []
        for inst, name, child_id in zip(planned, names, ids, strict=True):
            times = SeriesTimes(inst.starts_at, inst.ends_at, inst.checkin_opens_at,
                                inst.checkin_closes_at)
            validate_series(times, parent.capacity)
            child = EventSeries(
                id=child_id,
                organization_id=parent.organization_id,
                event_id=parent.event_id,
                name=name,
                description=parent.description,
                starts_at=inst.starts_at,
                ends_at=inst.ends_at,
                checkin_opens_at=inst.checkin_opens_at,
                checkin_closes_at=inst.checkin_closes_at,
                capacity=parent.capacity,
                reentry_policy=parent.reentry_policy,
                parent_series_id=parent.id,
                sequence_number=inst.sequence,
                created_by=actor.member_id,
            )
            session.add(child)
            children.append(child)
        session.flush()
        for child in children:
            session.add_all(SeriesGate(series_id=child.id, gate_id=g) for g in gate_ids)
            session.add_all(
                SeriesCategoryLimit(series_id=child.id, category_id=c, band_limit=n)
                for c, n in limits
            )
        parent.recurrence_kind = rule.kind
        parent.recurrence_interval = rule.interval
        parent.recurrence_weekdays = ",".join(str(d) for d in sorted(rule.weekdays)) or None
        parent.recurrence_count = rule.count
        session.flush()
        views = [SeriesView.model_validate(c) for c in children]
        outbox.record(
            session, actor, "series.generate_recurring", parent.id,
            {
                "rule": {"kind": rule.kind, "count": rule.count, "interval": rule.interval,
                         "weekdays": sorted(rule.weekdays)},
                "name_pattern": name_pattern,
                "children": [{"id": v.id, "name": v.name, "sequence_number": v.sequence_number}
                             for v in views],
            },
        )
        log.info("generated %d series from %s", len(views), parent.name)
        return views


# -- what this module's changes carry to the server (its outbox contracts) --------

class RecurrenceRuleFields(outbox.Payload):
    kind: RecurrenceKind
    count: int
    interval: int = 1
    weekdays: list[int] = []


class RecurringChildFields(outbox.Payload):
    id: New


class RecurringChange(outbox.Payload):
    rule: RecurrenceRuleFields
    name_pattern: str
    children: list[RecurringChildFields]


outbox.declare("series.generate_recurring", RecurringChange, Ref("event_series"))
