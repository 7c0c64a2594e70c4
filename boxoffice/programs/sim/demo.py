"""A seeded three-day festival, so every screen and report has real data at once.

Bands and tickets are written to the store in bulk, as two box-office
stations would have left them after three days of encoding: numbered per
category, signed with the event's key over their UID, in finished batches,
a few voided, lost or replaced with a reason. Everything else goes through
the same services a person's clicks do, and the day of check-ins goes
through the real access decision.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import (
    BandStatus,
    BatchStatus,
    Direction,
    GateKind,
    RecurrenceKind,
    ReentryPolicy,
    Role,
    SeriesStatus,
)
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.services import (
    assignments,
    events,
    keys,
    organization,
    products,
    recurring,
    refs,
    refunds,
    sales,
    waitlist,
)
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor
from boxoffice.services.checkins import decide_and_record
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import EncodeBatch, Event, EventSeries, Gate, Member, Ticket, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

ORGANIZATION = "Northern Lights Festival"
EVENT = "Northern Lights 2026"
TIMEZONE = "Europe/Amsterdam"
OWNER = "owner@example.org"
CATEGORIES = (("GA", "#2E86DE", 0.80), ("VIP", "#F5B041", 0.10), ("Staff", "#58D68D", 0.07),
              ("Press", "#AF7AC5", 0.03))
GATES = (("Main Entrance", GateKind.ENTRY, ()), ("VIP Entrance", GateKind.ENTRY, ("VIP", "Staff", "Press")),
         ("South Gate", GateKind.BOTH, ()), ("Exit", GateKind.EXIT, ()))
MEMBERS = (("admin@example.org", Role.ADMIN), ("manager@example.org", Role.MANAGER),
           ("box@example.org", Role.MEMBER), ("viewer@example.org", Role.VIEWER),
           ("gate-1@example.org", Role.GATE), ("station-1@example.org", Role.STATION))
STATIONS = (("Box office 1", "box@example.org"), ("Box office 2", "manager@example.org"))
# The door's products: (name, category, the festival days it admits to, price in cents, quota).
DOOR_PRODUCTS = (("Day ticket", "GA", (0,), 4500, 400), ("Weekend", "GA", (0, 1, 2), 11500, 150),
                 ("VIP day", "VIP", (0,), 9500, 12))
# Holders' names as people type them: the reports and the lookup must show every one.
FIRST_NAMES = ("Anna", "Zoë", "Łukasz", "Søren", "Amélie", "João", "Nguyễn", "Mehmet", "Fatima", "Olu",
               "Jan", "Sanne", "Yuki", "Wei", "Priya", "Ørjan", "Siobhán", "Dmitri", "Chloé", "Kwame")
LAST_NAMES = ("de Vries", "Jansen", "Kowalczyk", "Ørsted", "Müller", "García", "Ó Briain", "Öztürk",
              "Nakamura", "山田", "李", "Smith", "Dubois", "Bakker", "Novák", "Łódź-Wiśniewska", "Silva",
              "Иванова", "Haddad", "Visser")


@dataclass(frozen=True)
class DemoSummary:
    organization: str
    event: str
    owner: str
    series: list[str]
    bands: int
    taps: int
    allowed: int
    denied: int


def random_uid(rng: random.Random) -> str:
    """A 7-byte NXP UID (manufacturer byte 0x04)."""
    return "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6))


def seed_festival(store: Store, *, bands: int = 2000, seed: int = 2026,
                  now: datetime | None = None) -> DemoSummary:
    rng = random.Random(seed)
    now = now or utcnow()
    tz = ZoneInfo(TIMEZONE)
    _, owner_view = organization.create_organization(store, ORGANIZATION, OWNER, "Olivia Owner")
    organization.use_member(store, OWNER)
    owner = Actor(owner_view.id, owner_view.organization_id, Role.OWNER, owner_view.email)
    for email, role in MEMBERS:
        organization.add_member(store, owner, email, role)

    local_now = now.astimezone(tz)
    day1_start = (local_now - timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    ev = events.create_event(store, owner, EVENT, TIMEZONE, "Hollandse Velden",
                             day1_start.date(), (day1_start + timedelta(days=2)).date())
    for name, color, _ in CATEGORIES:
        events.add_category(store, owner, str(ev.id), name, color)
    for name, kind, only in GATES:
        events.add_gate(store, owner, str(ev.id), name, kind, list(only))

    template = series_svc.create_series(
        store, owner, str(ev.id), "Festival day",
        day1_start, day1_start + timedelta(hours=14), capacity=max(100, int(bands * 0.9)),
        checkin_opens_at=day1_start - timedelta(hours=1),
        reentry_policy=ReentryPolicy.REENTRY,
        description="Template for the three festival days.",
        gates=[g[0] for g in GATES],
    ).series
    series_svc.set_category_limit(store, owner, str(template.id), "VIP", int(bands * 0.12))
    days = recurring.generate_recurring(
        store, owner, str(template.id), RecurrenceRule(RecurrenceKind.DAILY, 3), "Day {n}"
    )

    band_rows, retired = _encode_bands(store, owner, ev.id, bands, rng, now)
    for name, _, _ in CATEGORIES:
        for day in days:
            assignments.assign_bands(store, owner, str(day.id), category_ref=name)
    _retire_bands(store, retired)

    for day in days:
        series_svc.transition_series(store, owner, str(day.id), SeriesStatus.SCHEDULED,
                                     "Programme published")
    series_svc.transition_series(store, owner, str(days[0].id), SeriesStatus.ACTIVE, "Doors open")
    allowed, denied, taps = _day_of_checkins(store, days[0].id, band_rows, rng, now)
    _door_sales(store, owner, str(ev.id), [str(d.id) for d in days], rng, now)
    return DemoSummary(ORGANIZATION, EVENT, OWNER, [d.name for d in days], bands, taps, allowed, denied)


def _door_sales(store: Store, owner: Actor, event_id: str, day_ids: list[str], rng: random.Random,
                now: datetime) -> None:
    """Products on sale at the door, a morning of sales at the other box office, a sold-out VIP day
    with its waitlist and one offer to call: the Sales page and the cash-up show real figures."""
    opens, closes = now - timedelta(hours=6), now + timedelta(hours=10)
    for name, category, days, price, quota in DOOR_PRODUCTS:
        products.create_product(store, owner, event_id, name, category, [day_ids[d] for d in days],
                                price_minor=price, currency="EUR", sales_opens_at=opens,
                                sales_closes_at=closes, quota=quota)
    for _ in range(14):
        n = rng.choice((1, 1, 2, 2, 3, 4))
        product = rng.choice(("Day ticket", "Day ticket", "Day ticket", "Weekend"))
        price = next(p[3] for p in DOOR_PRODUCTS if p[0] == product)
        payment = (sales.Payment.card(f"T-{rng.randrange(10**6):06d}") if rng.random() < 0.6
                   else sales.Payment.cash((n * price + 999) // 1000 * 1000))
        holder = sales.Holder(name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
        sales.sell(store, owner, lines=[(product, n)], payment=payment, holder=holder,
                   station=STATIONS[1][0], event_ref=event_id, now=now)
    vip_quota = next(p[4] for p in DOOR_PRODUCTS if p[0] == "VIP day")
    sold = [sales.sell(store, owner, lines=[("VIP day", 2)], payment=sales.Payment.card(f"V-{i}"),
                       station=STATIONS[1][0], event_ref=event_id, now=now) for i in range(vip_quota // 2)]
    for name, contact in (("Priya Nakamura", "+31 6 2345 6789"), ("Olu Bakker", "olu.bakker@example.org"),
                          ("Chloé Dubois", "+31 6 8765 4321")):
        waitlist.add(store, owner, "VIP day", name, contact, event_ref=event_id)
    # A refund frees a place: it is offered to the first person on the waitlist, who is to be called.
    refunds.refund(store, owner, sold[0].reference, reason="Could not come",
                   ticket_codes=[sold[0].tickets[0].code], station=STATIONS[1][0], now=now)


def _encode_bands(store: Store, owner: Actor, event_id: uuid.UUID, count: int, rng: random.Random,
                  now: datetime) -> tuple[list[tuple[uuid.UUID, str, str]], list[dict[str, object]]]:
    """(id, uid, category) of ``count`` active bands with their tickets and batches, and which to retire.

    Retiring (void, lost) comes after the series assignments, as it does at
    a festival: a retired band stays assigned, so gates list it and deny it.

    Encoded over the three days before, at two stations, one batch per
    station, category and day; about one band in a hundred voided or lost,
    a few of those replaced; a ticket for most bands and some tickets still
    waiting for a band at the box office.
    """
    with store.write() as session:
        ev = session.get_one(Event, event_id)
        cats = {name: refs.category(session, owner, ev, name).id for name, _, _ in CATEGORIES}
        operators = {email: session.scalars(select(Member.id).where(
            Member.organization_id == ev.organization_id, Member.email == email)).one()
            for _, email in STATIONS}
        key_row, private = keys.signing_key(session, owner, ev, STATIONS[0][0])
        key_id = bytes.fromhex(key_row.key_id)
        band_rows: list[dict[str, object]] = []
        ticket_rows: list[dict[str, object]] = []
        batches: dict[tuple[str, str, int], dict[str, Any]] = {}
        out: list[tuple[uuid.UUID, str, str]] = []
        retired: list[dict[str, object]] = []
        numbers = {name: 0 for name in cats}
        seen: set[str] = set()

        def new_uid() -> str:
            uid = random_uid(rng)
            while uid in seen:
                uid = random_uid(rng)
            seen.add(uid)
            return uid

        def band(name: str, uid: str, at: datetime, station: str, email: str, day: int,
                 **extra: object) -> dict[str, object]:
            batch = batches.setdefault((station, name, day), {
                "id": new_id(), "event_id": event_id, "category_id": cats[name], "series_ids": [],
                "operator_id": operators[email], "station": station, "requested": None,
                "status": BatchStatus.COMPLETED, "started_at": at, "finished_at": at, "encoded": 0,
                "counts": {},
            })
            batch["encoded"] += 1
            batch["finished_at"] = max(batch["finished_at"], at)
            numbers[name] += 1
            band_id = new_id()
            fields = pl.BandPayload(pl.VERSION, band_id, event_id, cats[name], key_id)
            row: dict[str, object] = {
                "id": band_id, "event_id": event_id, "category_id": cats[name], "uid": uid,
                "status": BandStatus.ACTIVE, "number": numbers[name], "batch_id": batch["id"],
                "station": station, "encoded_by": operators[email], "encoded_at": at,
                "payload": pl.sign_payload(fields, bytes.fromhex(uid), private).hex(),
                "created_at": at, "updated_at": at,
            }
            row.update(extra)
            band_rows.append(row)
            return row

        for i in range(count):
            name = rng.choices([c[0] for c in CATEGORIES], [c[2] for c in CATEGORIES])[0]
            day = rng.randrange(3)
            station, email = STATIONS[0] if rng.random() < 0.6 else STATIONS[1]
            at = now - timedelta(days=3 - day, hours=rng.uniform(0, 8))
            ticket_id = None
            if rng.random() < 0.85:
                ticket_id = new_id()
                ticket_rows.append(_ticket(ticket_id, event_id, cats[name], len(ticket_rows) + 1, rng, at))
            uid = new_uid()
            row = band(name, uid, at, station, email, day, ticket_id=ticket_id)
            if i % 97 == 13:
                retired.append({"id": row["id"], "status": BandStatus.VOID,
                                "voided_at": at + timedelta(hours=1), "lost_at": None,
                                "void_reason": "Printed on the wrong category"})
            elif i % 131 == 7:
                retired.append({"id": row["id"], "status": BandStatus.LOST, "voided_at": None,
                                "lost_at": at + timedelta(days=1), "void_reason": "Holder reported it lost"})
                if i % 2:  # the holder came back to the box office: a new band takes over
                    replacement = band(name, new_uid(), at + timedelta(days=1, minutes=5), station, email,
                                       min(day + 1, 2), ticket_id=ticket_id, replaces_id=row["id"])
                    row["ticket_id"] = None
                    out.append((replacement["id"], replacement["uid"], name))  # type: ignore[arg-type]
                    continue
            out.append((row["id"], uid, name))  # type: ignore[arg-type]
        for _ in range(max(20, count // 10)):  # bought online, not collected yet
            name = rng.choices([c[0] for c in CATEGORIES], [c[2] for c in CATEGORIES])[0]
            ticket_rows.append(_ticket(new_id(), event_id, cats[name], len(ticket_rows) + 1, rng, now))
        for batch in batches.values():
            batch["counts"] = {"ok": batch["encoded"]}
        # Batches stay with the station that ran them (they travel by outbox, not the change log).
        session.execute(insert(EncodeBatch), list(batches.values()))
        session.execute(insert(Ticket), ticket_rows)
        session.execute(insert(Wristband), [r for r in band_rows if "replaces_id" not in r])
        replacements = [r for r in band_rows if "replaces_id" in r]
        if replacements:
            session.execute(insert(Wristband), replacements)
    return out, retired


def _retire_bands(store: Store, retired: list[dict[str, object]]) -> None:
    if not retired:
        return
    with store.write() as session:
        session.execute(update(Wristband), retired)


def _ticket(ticket_id: uuid.UUID, event_id: uuid.UUID, category_id: uuid.UUID, n: int,
            rng: random.Random, at: datetime) -> dict[str, object]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "id": ticket_id, "event_id": event_id, "category_id": category_id, "code": f"NL26-{n:06d}",
        "holder_name": f"{first} {last}",
        "holder_email": f"guest{n}@example.org", "created_at": at - timedelta(days=30),
    }


def _day_of_checkins(store: Store, series_id: uuid.UUID, bands: list[tuple[uuid.UUID, str, str]],
                     rng: random.Random, now: datetime) -> tuple[int, int, int]:
    """Taps from doors-open until now, through the real access decision."""
    with store.write() as session:
        series = session.get_one(EventSeries, series_id)
        gates = {g.name: g for g in session.scalars(select(Gate).where(Gate.event_id == series.event_id))}
        opens = series.checkin_opens_at
        span = max((now - opens).total_seconds(), 60.0)
        plan: list[tuple[datetime, str, str, Direction]] = []
        for _, uid, category in bands:
            if rng.random() > 0.75:
                continue
            # A doors-open peak: most people arrive in the first third of the day so far.
            t = opens + timedelta(seconds=span * min(rng.betavariate(1.6, 4.0), 0.98))
            entry_gate = "VIP Entrance" if category != "GA" and rng.random() < 0.7 else rng.choice(
                ["Main Entrance", "Main Entrance", "South Gate"])
            if category == "GA" and rng.random() < 0.02:
                entry_gate = "VIP Entrance"  # wrong gate: denied, then they walk round
                plan.append((t, uid, entry_gate, Direction.IN))
                t += timedelta(minutes=4)
                entry_gate = "Main Entrance"
            plan.append((t, uid, entry_gate, Direction.IN))
            if rng.random() < 0.03:  # taps twice: the second is "already inside"
                plan.append((t + timedelta(seconds=20), uid, entry_gate, Direction.IN))
            if rng.random() < 0.3:
                out_at = t + timedelta(seconds=(now - t).total_seconds() * rng.uniform(0.2, 0.9))
                plan.append((out_at, uid, rng.choice(["Exit", "South Gate"]), Direction.OUT))
                if rng.random() < 0.5:
                    back = out_at + timedelta(seconds=(now - out_at).total_seconds() * rng.uniform(0.1, 0.9))
                    plan.append((back, uid, "South Gate", Direction.IN))
        for _ in range(max(3, len(bands) // 200)):  # bands from another event, or forged
            t = opens + timedelta(seconds=span * rng.random())
            plan.append((t, random_uid(rng), "Main Entrance", Direction.IN))
        plan.sort(key=lambda p: p[0])
        allowed = denied = 0
        for at, uid, gate_name, direction in plan:
            view, _ = decide_and_record(
                session, series, gates[gate_name], uid, direction,
                client_scan_id=str(uuid.uuid4()), device_id=f"{gate_name} #1", now=at,
            )
            if view.result.value == "allowed":
                allowed += 1
            else:
                denied += 1
    return allowed, denied, len(plan)
