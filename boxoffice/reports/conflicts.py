"""Sync conflicts: every change the server refused, with station, time and reason; and double uses.

A double use is a band let in twice without leaving in between, which the
server never allows online: two gate scanners, each offline, admitted the
same band (a copied band at two lanes), and both taps were kept as decided
when they were uploaded (``checkins.import_checkin``). The report lists each
such second entry with both lanes.

A station's own database holds the changes it pushed and the server refused (outbox entries in
``rejected``); the central server's holds every station's refused entries (``sync_applied_entries``).
The report lists whichever this database has, so it works on both.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult, Direction, OutboxStatus, ReentryPolicy
from boxoffice.reports.data import as_dict
from boxoffice.reports.model import Facts, Report, Table
from boxoffice.reports.timefmt import local
from boxoffice.services.actor import Actor
from boxoffice.store.models import (
    AppliedEntry,
    Checkin,
    Event,
    EventSeries,
    Gate,
    LocalSetting,
    Member,
    OutboxEntry,
)
from boxoffice.store.types import utcnow
from boxoffice.sync.refused import SEEN_KEY, kind_words
from boxoffice.sync.state import SERVER_KEY

REJECTED = "rejected"
UID_KEYS = ("uid", "new_uid", "old_uid")
# A tag UID as the server's sentences write it ("UID 04C0FFEE001122 is already registered…"): 4, 7 or
# 10 bytes in upper-case hex.
UID_IN_TEXT = re.compile(r"\b((?:[0-9A-F]{2}){10}|(?:[0-9A-F]{2}){7}|(?:[0-9A-F]{2}){4})\b")


def _uid(payload: dict[str, object]) -> str:
    for key in UID_KEYS:
        value = payload.get(key)
        if value:
            return str(value).upper()
    return "–"


def _uid_named(text: str | None) -> str:
    found = UID_IN_TEXT.search(text or "")
    return found.group(1) if found else "–"


def _subject(payload: dict[str, object]) -> str:
    for key in ("name", "to", "email"):  # a band's UID has its own column
        value = payload.get(key)
        if value:
            return str(value)
    return ""


def double_uses(session: Session, actor: Actor, ev: Event | None, tz: ZoneInfo) -> Table:
    """Every allowed entry of a band already inside (its last allowed tap an entry), per series."""
    query = (
        select(Checkin.series_id, Checkin.uid, Checkin.direction, Checkin.occurred_at, Checkin.device_id,
               Gate.name, EventSeries.name)
        .join(EventSeries, EventSeries.id == Checkin.series_id).join(Gate, Gate.id == Checkin.gate_id)
        .where(EventSeries.organization_id == actor.organization_id,
               EventSeries.reentry_policy != ReentryPolicy.UNLIMITED,
               Checkin.result == CheckinResult.ALLOWED, Checkin.uid.is_not(None))
        .order_by(Checkin.series_id, Checkin.uid, Checkin.occurred_at, Checkin.id)
    )
    if ev is not None:
        query = query.where(Checkin.event_id == ev.id)
    rows: list[list[str | int | None]] = []
    last: dict[tuple[object, object], tuple[str, str, str]] = {}
    for series_id, uid, direction, at, device, gate, series in session.execute(query):
        key = (series_id, uid)
        before = last.get(key)
        if direction is Direction.IN and before is not None and before[0] == "in":
            rows.append([local(at, tz), series, uid, f"{before[1]} ({before[2]})", f"{gate} ({device})"])
        last[key] = (direction.value, gate, device)
    return Table("double_uses", "Bands let in twice without leaving (scanners offline at two lanes)",
                 ["Second entry", "Series", "UID", "First in at", "Again in at"], rows,
                 note="" if rows else "No band was let in twice.")


def zone_for(session: Session, actor: Actor, ev: Event | None) -> str:
    """The event's zone; without an event, the one all the organization's events share, else UTC."""
    if ev is not None:
        return ev.timezone
    zones = set(session.scalars(select(Event.timezone).where(Event.organization_id == actor.organization_id)))
    return zones.pop() if len(zones) == 1 else "UTC"


def build(session: Session, actor: Actor, ev: Event | None = None) -> Report:
    zone = zone_for(session, actor, ev)
    tz = ZoneInfo(zone)
    names = as_dict(session.execute(select(Member.id, Member.display_name)))
    login = session.get(LocalSetting, SERVER_KEY)
    here = str((login.value or {}).get("station") or "this station") if login is not None else "this station"
    seen_setting = session.get(LocalSetting, SEEN_KEY)
    seen = dict(seen_setting.value) if seen_setting is not None else {}

    rows: list[list[str | int | None]] = []
    for entry_id, made_at, kind, payload, actor_id, error in session.execute(
        select(OutboxEntry.id, OutboxEntry.created_at, OutboxEntry.kind, OutboxEntry.payload,
               OutboxEntry.actor_id, OutboxEntry.error)
        .where(OutboxEntry.status == OutboxStatus.REJECTED).order_by(OutboxEntry.seq)
    ):
        body = payload or {}
        rows.append([local(made_at, tz), here, names.get(actor_id, "–") if actor_id else "–",
                     kind_words(kind), _uid(body), _subject(body), error or "The server gave no reason.",
                     "yes" if str(entry_id) in seen else "no"])
    local_table = Table("refused_here", "Changes made here that the server refused",
                        ["Made", "Station", "By", "Change", "UID", "About", "Reason", "Seen"], rows,
                        note="" if rows else "The server refused none of this station's changes.")

    server_rows: list[list[str | int | None]] = [
        [local(at, tz), station or "–", names.get(member_id, "–") if member_id else "–", kind_words(kind),
         _uid_named(reason), error or "", reason or ""]
        for at, station, member_id, kind, error, reason in session.execute(
            select(AppliedEntry.applied_at, AppliedEntry.station, AppliedEntry.member_id, AppliedEntry.kind,
                   AppliedEntry.error, AppliedEntry.reason)
            .where(AppliedEntry.organization_id == actor.organization_id, AppliedEntry.status == REJECTED)
            .order_by(AppliedEntry.applied_at)
        )
    ]
    server_table = Table("refused_by_server", "Changes this server refused, from every station",
                         ["Received", "Station", "By", "Change", "UID", "Code", "Reason"], server_rows,
                         note="The server keeps a refused change's reason, not the change: UID is the band "
                              "its reason names (– when it names none; the station that made the change "
                              "lists it with its UID)." if server_rows
                              else "This database has refused no station's change.")
    by_reason = Table(
        "by_code", "Refused changes by code (server)", ["Code", "Refused"],
        [[code or "–", n] for code, n in session.execute(
            select(AppliedEntry.error, func.count())
            .where(AppliedEntry.organization_id == actor.organization_id, AppliedEntry.status == REJECTED)
            .group_by(AppliedEntry.error).order_by(func.count().desc())
        )],
        numeric=frozenset({1}),
    )
    doubles = double_uses(session, actor, ev, tz)
    facts = Facts("Summary", [
        ("Refused here", f"{len(rows):,} ({sum(1 for r in rows if r[-1] == 'no'):,} not yet seen)"),
        ("Refused by this server", f"{len(server_rows):,}"),
        ("Bands let in twice", f"{len(doubles.rows):,}"),
        ("Times in", zone),
    ])
    report = Report("conflicts", "Sync conflicts", "Every station of the organization", zone, utcnow())
    report.blocks.extend([facts, local_table, server_table, doubles])
    if by_reason.rows:
        report.blocks.append(by_reason)
    return report
