from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from boxoffice.domain.enums import RecurrenceKind, ReentryPolicy, SeriesStatus
from boxoffice.domain.recurrence import RecurrenceRule, parse_weekdays
from boxoffice.errors import Problem, ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.cli.timeparse import parse_local, show_local
from boxoffice.schemas.series import SeriesDetail, SeriesView
from boxoffice.services import assignments, events, recurring, refs
from boxoffice.services import series as svc
from boxoffice.store.types import utcnow

series_arg = click.argument("series_ref", metavar="SERIES")
event_opt = click.option("--event", "event_ref", help="Event name or id (when series names repeat).")
_POLICIES = [p.value for p in ReentryPolicy]


@click.group()
def series() -> None:
    """Event series: build them, move them through their lifecycle, assign gates and bands."""


def _tz_of(app: App, event_id: Any) -> ZoneInfo:
    return ZoneInfo(events.get_event(app.store, app.actor, str(event_id)).timezone)


def _line(s: SeriesView, tz: ZoneInfo) -> str:
    return (
        f"{s.name:<28} {s.status.value:<10} {show_local(s.starts_at, tz)} → "
        f"{show_local(s.ends_at, tz)}  cap {s.capacity:>7,}  v{s.version}  {s.id}"
    )


CHECKIN_FIELDS = ("checkin_opens_at", "checkin_closes_at")


def _order_in_one_sentence(error: ValidationError, start: datetime, end: datetime, tz: ZoneInfo,
                           derived: set[str]) -> ValidationError:
    """An end at or before the start as one sentence with both times.

    The check-in window not given (``derived``) is taken from the start and end, so it is wrong in
    the same breath; its problems would only repeat this one, and are dropped. Any other problem
    (the capacity, a check-in time that was given) stays.
    """
    if end > start:
        return error
    others = [p for p in error.problems if p.field != "ends_at" and p.field not in derived]
    said = Problem("ends_at", f"The end ({show_local(end, tz)}) must come after the start "
                              f"({show_local(start, tz)}).")
    return ValidationError([said, *others])


def _resolve(app: App, ref: str, event_ref: str | None) -> str:
    return refs.series_id(app.store, app.actor, ref, event_ref)


@series.command("create")
@click.option("--event", "event_ref", required=True, help="Event name or id.")
@click.argument("name")
@click.option("--start", required=True, help="Start, local to the event: 2026-07-03 12:00.")
@click.option("--end", required=True, help="End, local to the event.")
@click.option("--capacity", type=int, required=True, help="People inside at once, at most.")
@click.option("--checkin-opens", help="When the gates open (default: the start).")
@click.option("--checkin-closes", help="When the gates close (default: the end).")
@click.option("--reentry", type=click.Choice(_POLICIES), default="reentry", show_default=True)
@click.option("--gate", "gates", multiple=True, help="Gate open for this series (repeat).")
@click.option("--description")
@pass_app
def series_create(
    app: App, event_ref: str, name: str, start: str, end: str, capacity: int,
    checkin_opens: str | None, checkin_closes: str | None, reentry: str,
    gates: tuple[str, ...], description: str | None,
) -> None:
    """Create a draft series."""
    ev = events.get_event(app.store, app.actor, event_ref)
    tz = ZoneInfo(ev.timezone)
    starts_at, ends_at = parse_local("starts_at", start, tz), parse_local("ends_at", end, tz)
    opens = parse_local("checkin_opens_at", checkin_opens, tz) if checkin_opens else None
    closes = parse_local("checkin_closes_at", checkin_closes, tz) if checkin_closes else None
    try:
        change = svc.create_series(
            app.store, app.actor, str(ev.id), name, starts_at, ends_at, capacity,
            checkin_opens_at=opens, checkin_closes_at=closes,
            reentry_policy=ReentryPolicy(reentry), description=description, gates=list(gates),
        )
    except ValidationError as error:
        derived = {f for f, given in zip(CHECKIN_FIELDS, (checkin_opens, checkin_closes), strict=True)
                   if given is None}
        raise _order_in_one_sentence(error, starts_at, ends_at, tz, derived) from None
    app.warn(change.warnings)
    app.emit(change, f"Created {_line(change.series, tz)}")


@series.command("list")
@click.option("--event", "event_ref", help="Only this event's series.")
@click.option("--status", type=click.Choice([s.value for s in SeriesStatus]))
@click.option("--active-now", is_flag=True, help="Only series active right now.")
@pass_app
def series_list(app: App, event_ref: str | None, status: str | None, active_now: bool) -> None:
    """List series, oldest first."""
    rows = svc.list_series(
        app.store, app.actor, event_ref, SeriesStatus(status) if status else None,
        utcnow() if active_now else None,
    )
    zones: dict[Any, ZoneInfo] = {}
    lines = []
    for s in rows:
        if s.event_id not in zones:
            zones[s.event_id] = _tz_of(app, s.event_id)
        lines.append(_line(s, zones[s.event_id]))
    app.emit(rows, "\n".join(lines) if lines else "No series match.")


def _detail_text(d: SeriesDetail) -> str:
    tz = ZoneInfo(d.timezone)
    s = d.series
    out = [
        f"{s.name}  ({d.event_name}, {s.status.value}, version {s.version})",
        f"  id            {s.id}",
        f"  runs          {show_local(s.starts_at, tz)} → {show_local(s.ends_at, tz)} ({d.timezone})",
        f"  check-in      {show_local(s.checkin_opens_at, tz)} → {show_local(s.checkin_closes_at, tz)}",
        f"  capacity      {s.capacity:,}   re-entry: {s.reentry_policy.value}",
        f"  gates         {', '.join(d.gates) or 'none'}",
        f"  bands         {d.assigned_bands:,} assigned",
    ]
    if s.parent_series_id:
        out.append(f"  generated     #{s.sequence_number} of {d.parent_name}")
    if s.description:
        out.append(f"  description   {s.description}")
    out.append("  categories    limit      assigned")
    for lim in d.limits:
        limit = f"{lim.limit:,}" if lim.limit is not None else "-"
        out.append(f"    {lim.category:<12}{limit:>7}   {lim.assigned:>9,}")
    if d.transitions:
        out.append("  history")
        for t in d.transitions:
            out.append(
                f"    {show_local(t.at, tz)}  {t.from_status.value} → {t.to_status.value}"
                f"  by {t.actor or '?'}: {t.reason}"
            )
    if d.children:
        out.append("  generated series")
        for c in d.children:
            out.append(f"    #{c.sequence_number:<3} {_line(c, tz)}")
    return "\n".join(out)


@series.command("show")
@series_arg
@event_opt
@pass_app
def series_show(app: App, series_ref: str, event_ref: str | None) -> None:
    """Everything about one series: window, gates, limits, history, children."""
    detail = svc.series_detail(app.store, app.actor, series_ref, event_ref)
    app.emit(detail, _detail_text(detail))


@series.command("update")
@series_arg
@event_opt
@click.option("--version", "expected_version", type=int, required=True,
              help="The version you looked at (series show); stale edits are refused.")
@click.option("--name")
@click.option("--description")
@click.option("--start")
@click.option("--end")
@click.option("--checkin-opens")
@click.option("--checkin-closes")
@click.option("--capacity", type=int)
@click.option("--reentry", type=click.Choice(_POLICIES))
@pass_app
def series_update(
    app: App, series_ref: str, event_ref: str | None, expected_version: int, name: str | None,
    description: str | None, start: str | None, end: str | None, checkin_opens: str | None,
    checkin_closes: str | None, capacity: int | None, reentry: str | None,
) -> None:
    """Change a series' fields."""
    sid = _resolve(app, series_ref, event_ref)
    detail = svc.series_detail(app.store, app.actor, sid)
    tz = ZoneInfo(detail.timezone)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    for key, text in (("starts_at", start), ("ends_at", end),
                      ("checkin_opens_at", checkin_opens), ("checkin_closes_at", checkin_closes)):
        if text is not None:
            changes[key] = parse_local(key, text, tz)
    if capacity is not None:
        changes["capacity"] = capacity
    if reentry is not None:
        changes["reentry_policy"] = ReentryPolicy(reentry)
    try:
        change = svc.update_series(app.store, app.actor, sid, expected_version, changes)
    except ValidationError as error:
        derived = {f for f in CHECKIN_FIELDS if f not in changes}
        raise _order_in_one_sentence(error, changes.get("starts_at", detail.series.starts_at),
                                     changes.get("ends_at", detail.series.ends_at), tz, derived) from None
    app.warn(change.warnings)
    app.emit(change, f"Updated {_line(change.series, tz)}")


@series.command("transition")
@series_arg
@click.argument("target", type=click.Choice([s.value for s in SeriesStatus]))
@event_opt
@click.option("--reason", required=True, help="Why (kept in the series' history).")
@click.option("--version", "expected_version", type=int, help="Refuse if the series changed since.")
@pass_app
def series_transition(
    app: App, series_ref: str, target: str, event_ref: str | None, reason: str,
    expected_version: int | None,
) -> None:
    """Move a series to scheduled, active, completed or cancelled."""
    sid = _resolve(app, series_ref, event_ref)
    change = svc.transition_series(
        app.store, app.actor, sid, SeriesStatus(target), reason, expected_version
    )
    app.emit(change, f"{change.series.name} is now {change.series.status.value}.")


@series.command("recur")
@series_arg
@event_opt
@click.option("--pattern", type=click.Choice([k.value for k in RecurrenceKind]), required=True)
@click.option("--count", type=int, required=True, help="How many series to generate (besides SERIES).")
@click.option("--interval", type=int, default=1, show_default=True,
              help="Every N days (every_n_days) or every N weeks (weekly).")
@click.option("--weekdays", help="For weekly: e.g. fri,sat,sun.")
@click.option("--name-pattern", default=recurring.DEFAULT_NAME_PATTERN, show_default=True,
              help="Names of the generated series: {name} (of SERIES), {n} (its number), {date}, "
                   "{weekday}.")
@pass_app
def series_recur(
    app: App, series_ref: str, event_ref: str | None, pattern: str, count: int, interval: int,
    weekdays: str | None, name_pattern: str,
) -> None:
    """Generate dated copies of SERIES (its gates and limits too), in the event's time zone.

    \b
    SERIES is a template, and copy #1 falls on its own date:
      "Festival day" with "Day {n}" makes Day 1, Day 2, Day 3 from its date on.
    Unless the pattern gives SERIES its own name for #1: then SERIES is day #1
    and the copies are #2, #3, … on the pattern's dates after it:
      "Day 1" with "Day {n}" and --count 2 makes Day 2 and Day 3.
    """
    rule = RecurrenceRule(
        kind=RecurrenceKind(pattern), count=count, interval=interval,
        weekdays=parse_weekdays(weekdays) if weekdays else frozenset(),
    )
    sid = _resolve(app, series_ref, event_ref)
    children = recurring.generate_recurring(app.store, app.actor, sid, rule, name_pattern)
    tz = _tz_of(app, children[0].event_id)
    lines = [f"#{c.sequence_number:<3} {_line(c, tz)}" for c in children]
    if children[0].sequence_number == 2:
        parent = svc.series_detail(app.store, app.actor, sid).series
        lines.insert(0, f"#1   {_line(parent, tz)}  (the series itself)")
    app.emit(children, "\n".join(lines))


@series.command("assign-gates")
@series_arg
@click.argument("gates", nargs=-1, required=True)
@event_opt
@click.option("--remove", is_flag=True, help="Take these gates off the series instead.")
@pass_app
def series_assign_gates(
    app: App, series_ref: str, gates: tuple[str, ...], event_ref: str | None, remove: bool
) -> None:
    """Open gates for a series (or, with --remove, close them)."""
    sid = _resolve(app, series_ref, event_ref)
    svc.assign_gates(app.store, app.actor, sid, list(gates), remove=remove)
    detail = svc.series_detail(app.store, app.actor, sid)
    app.emit(detail, f"{detail.series.name} gates: {', '.join(detail.gates) or 'none'}.")


@series.command("set-limit")
@series_arg
@click.argument("category_ref", metavar="CATEGORY")
@click.argument("limit", metavar="LIMIT|none")
@event_opt
@pass_app
def series_set_limit(
    app: App, series_ref: str, category_ref: str, limit: str, event_ref: str | None
) -> None:
    """Set how many bands of a category the series takes (none removes the limit)."""
    if limit.lower() == "none":
        value = None
    else:
        try:
            value = int(limit.replace(",", "").replace("_", ""))
        except ValueError:
            raise ValidationError.single(
                "limit", f"{limit!r} is not a whole number (or 'none')."
            ) from None
    sid = _resolve(app, series_ref, event_ref)
    change = svc.set_category_limit(app.store, app.actor, sid, category_ref, value)
    app.warn(change.warnings)
    shown = "no limit" if value is None else f"a limit of {value:,}"
    app.emit(change, f"{category_ref} in {change.series.name}: {shown}.")


@series.command("assign-bands")
@series_arg
@event_opt
@click.option("--category", "category_ref", help="Every active band of this category.")
@click.option("--uid", "uids", multiple=True, help="A band's UID (repeat).")
@click.option("--uids-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file with one UID per line.")
@click.option("--remove", is_flag=True, help="Take the listed bands off the series instead.")
@pass_app
def series_assign_bands(
    app: App, series_ref: str, event_ref: str | None, category_ref: str | None,
    uids: tuple[str, ...], uids_file: Path | None, remove: bool,
) -> None:
    """Assign wristbands to a series by category or by UID (all or nothing)."""
    listed = list(uids)
    if uids_file is not None:
        listed += [line.strip() for line in uids_file.read_text().splitlines() if line.strip()]
    if category_ref and listed:
        raise ValidationError.single("bands", "Give either --category or UIDs, not both.")
    if not category_ref and not listed:
        raise ValidationError.single("bands", "Say which bands: --category, --uid or --uids-file.")
    sid = _resolve(app, series_ref, event_ref)
    if remove:
        if category_ref:
            raise ValidationError.single("bands", "--remove takes UIDs, not a category.")
        result = assignments.remove_bands(app.store, app.actor, sid, listed)
        app.emit(result, f"Removed {result.removed:,} bands.")
        return
    result = assignments.assign_bands(
        app.store, app.actor, sid, category_ref=category_ref, uids=listed or None
    )
    app.emit(result, f"Assigned {result.assigned:,} bands "
                     f"({result.already_assigned:,} were already assigned).")
