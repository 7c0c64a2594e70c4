"""Gather a report from the store: the one entry point the CLI, the desktop and the benchmark call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from boxoffice.errors import ValidationError
from boxoffice.reports import cashup, conflicts, gates, reconciliation
from boxoffice.reports import event as event_report
from boxoffice.reports import sales as sales_report
from boxoffice.reports import series as series_report
from boxoffice.reports.kinds import PERMISSION, TITLES, ReportKind
from boxoffice.reports.model import Report
from boxoffice.services import cashup as cashup_service
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Event


def build_report(store: Store, actor: Actor, kind: str, *, series: str | None = None,
                 event: str | None = None, start: datetime | None = None, end: datetime | None = None,
                 counted: Mapping[str, int] | None = None, station: str | None = None) -> Report:
    """Gather one report. ``series`` is needed for the series report; ``event`` for the event, gates,
    reconciliation, cash-up and sales reports (or found from ``series``); the conflicts report needs
    neither. The cash-up and sales reports cover ``[start, end)`` (by default from the event's first
    sale until now); the cash-up compares the drawer with ``counted`` (minor units per currency, from
    ``cashup.parse_counted``) and may cover one ``station``."""
    try:
        which = ReportKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in ReportKind)
        raise ValidationError.single(
            "kind", f"There is no {kind!r} report; choose one of {choices}.") from None
    actor.require(PERMISSION[which])
    dialect = store.read_engine.dialect.name
    with store.read() as session:
        ev = refs.event(session, actor, event) if event else None
        found = refs.series(session, actor, series, ev) if series else None
        if ev is None and found is not None:
            ev = session.get_one(Event, found.event_id)
        if which is ReportKind.SERIES:
            if found is None:
                raise ValidationError.single("series", "Say which series the report is for.")
            return series_report.build(session, dialect, actor, found)
        if which is ReportKind.CONFLICTS:
            return conflicts.build(session, actor, ev)
        if ev is None:
            raise ValidationError.single("event", f"Say which event the {TITLES[which].lower()} is for.")
        if which is ReportKind.EVENT:
            return event_report.build(session, ev)
        if which is ReportKind.GATES:
            return gates.build(session, dialect, ev, found)
        if which is ReportKind.RECONCILIATION:
            return reconciliation.build(session, dialect, ev)
        start, end = cashup.default_range(session, ev, start, end)
        if which is ReportKind.CASHUP:
            cashup.check_counted(counted or {}, cashup.currencies(session, ev), ev)
    # The sales themselves are the service's to gather (and to decide whose the caller may see).
    view = cashup_service.cash_up(store, actor, start=start, end=end, event_ref=str(ev.id),
                                  station=station if which is ReportKind.CASHUP else None)
    with store.read() as session:
        ev = session.get_one(Event, ev.id)
        if which is ReportKind.CASHUP:
            return cashup.build(session, ev, view, counted=counted, station=station)
        return sales_report.build(ev, view)
