"""Band numbers ("GA #0007") that no two stations print twice, online or offline.

The number on a band is what staff and holders read aloud, so within an
event and category it must name one band. Each station used to number its
bands ``max + 1`` in its own database: two stations encoding offline both
printed GA #7 to #11. The server is now the only one that hands numbers
out, and a station that may go offline holds numbers in advance:

- **The server's counter.** ``band_number_counters`` keeps the next free
  number per event and category. Every number leaves it through one
  ``UPDATE ... SET next_number = next_number + :n RETURNING next_number``:
  the row is locked until the transaction ends, so concurrent requests (in
  one server process or several, on SQLite or PostgreSQL) each get their
  own range. The row is made on first use from the highest number already
  given, so databases from before need no data migration.
- **Blocks for stations.** While online, a station's sync reserves a block
  (``NUMBER_BLOCK`` numbers, or what its open batch still asks for) for
  each category it is encoding, and tops it up when half is used;
  ``boxoffice numbers reserve`` reserves ahead before a night offline. The
  station prints numbers from its blocks in order (``band_number_blocks``,
  ``next``); the server remembers each block and whose it is.
- **Kept or renumbered at push.** A pushed band keeps its number when it
  lies in a block of the pushing login and no other band of the category
  has it. Otherwise (a station that ran out of numbers offline, an older
  station, a copied database) the server gives the band the next number
  off the counter; the station receives it with its next pull. The signed
  record on the tag does not contain the number, so nothing is rewritten.
- **A station with no server** (never logged in) is its own authority and
  takes numbers off its own counter.

Numbers of a block a station never uses stay unused: the numbers of a
category can have gaps, never repeats. A station that runs out offline
encodes on; its bands show "number at next sync" until the server numbers
them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, Uuid, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from boxoffice.domain.enums import BatchStatus
from boxoffice.domain.permissions import Action, may
from boxoffice.domain.validation import MAX_NUMBER_BLOCK, NUMBER_BLOCK, Problem, integer_problem
from boxoffice.errors import ValidationError
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    BandNumberBlock,
    BandNumberCounter,
    Category,
    EncodeBatch,
    Event,
    Member,
    Wristband,
)
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_COUNTERS = cast(Table, BandNumberCounter.__table__)
_BLOCKS = cast(Table, BandNumberBlock.__table__)


def _make_counter(dialect: Any) -> Any:
    """The counter row, made from the highest number given so far; nothing when it exists."""
    event_id, category_id = bindparam("n_event", type_=Uuid()), bindparam("n_category", type_=Uuid())
    top = (
        select(event_id, category_id, func.coalesce(func.max(Wristband.number), 0) + 1)
        .where(Wristband.event_id == event_id, Wristband.category_id == category_id)
    )
    return (dialect.insert(_COUNTERS)
            .from_select(["event_id", "category_id", "next_number"], top)
            .on_conflict_do_nothing(index_elements=["event_id", "category_id"]))


_MAKE_COUNTER = {"sqlite": _make_counter(sqlite), "postgresql": _make_counter(postgresql)}
_ADVANCE = (
    update(_COUNTERS)
    .where(_COUNTERS.c.event_id == bindparam("n_event"), _COUNTERS.c.category_id == bindparam("n_category"))
    .values(next_number=_COUNTERS.c.next_number + bindparam("n_count"))
    .returning(_COUNTERS.c.next_number)
)
_OWN_FREE = (
    select(_BLOCKS.c.id, _BLOCKS.c.next)
    .where(_BLOCKS.c.event_id == bindparam("n_event"), _BLOCKS.c.category_id == bindparam("n_category"),
           _BLOCKS.c.next <= _BLOCKS.c.last)
    .order_by(_BLOCKS.c.first).limit(1)
)
_USE = update(_BLOCKS).where(_BLOCKS.c.id == bindparam("n_block")).values(next=_BLOCKS.c.next + 1)
_IN_BLOCK_OF = (
    select(_BLOCKS.c.id)
    .where(_BLOCKS.c.event_id == bindparam("n_event"), _BLOCKS.c.category_id == bindparam("n_category"),
           _BLOCKS.c.member_id == bindparam("n_member"),
           _BLOCKS.c.first <= bindparam("n_number"), _BLOCKS.c.last >= bindparam("n_number"))
    .limit(1)
)
_HELD_BY_OTHER = (
    select(Wristband.id)
    .where(Wristband.event_id == bindparam("n_event"), Wristband.category_id == bindparam("n_category"),
           Wristband.number == bindparam("n_number"), Wristband.id != bindparam("n_band"))
    .limit(1)
)


class NumberBlockView(BaseModel):
    """A block of band numbers as the server hands it to a station (the API's answer)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    first: int
    last: int
    station: str | None = None


def block_size_problem(size: int) -> Problem | None:
    """A block size the server refuses, in a sentence (API body, CLI option and sync ask alike)."""
    if size < 1:
        return Problem("size", "A block is at least one number.")
    return integer_problem("size", "block size", size, (1, MAX_NUMBER_BLOCK))


def take(session: Session, event_id: uuid.UUID, category_id: uuid.UUID, count: int = 1) -> int:
    """``count`` numbers off the counter: the first of them (the rest follow it)."""
    keys = {"n_event": event_id, "n_category": category_id}
    after = session.execute(_ADVANCE, {**keys, "n_count": count}).scalar_one_or_none()
    if after is None:  # the category's first number: its counter starts past the highest given so far
        session.execute(_MAKE_COUNTER[session.get_bind().dialect.name], keys)
        after = session.execute(_ADVANCE, {**keys, "n_count": count}).scalar_one()
    return int(after) - count


def next_number(session: Session, mode: str, event_id: uuid.UUID, category_id: uuid.UUID) -> int | None:
    """The number the next band of a category gets here; ``None``: the server numbers it at sync.

    A station logged in to a server prints only numbers of its blocks; the
    server and a station of its own take them off the counter.
    """
    if mode != "station":
        return take(session, event_id, category_id)
    keys = {"n_event": event_id, "n_category": category_id}
    row = session.execute(_OWN_FREE, keys).first()
    if row is None:
        log.warning("no reserved band numbers left for category %s: the server numbers the band", category_id)
        return None
    session.execute(_USE, {"n_block": row.id})
    return int(row.next)


def settle(session: Session, actor: Actor, *, event_id: uuid.UUID, category_id: uuid.UUID,
           band_id: uuid.UUID, current: int | None, pushed: int | None) -> int:
    """The number the server keeps for a band a station pushed with ``pushed``.

    Kept when it is already the band's, or lies in a block of the pushing
    login and no other band of the category has it; otherwise the band
    keeps the number it has here, or gets the next one off the counter.
    """
    keys = {"n_event": event_id, "n_category": category_id}
    if pushed is not None:
        if pushed == current:
            return pushed
        if (session.execute(_IN_BLOCK_OF, {**keys, "n_member": actor.member_id, "n_number": pushed}).first()
                is not None
                and session.execute(_HELD_BY_OTHER, {**keys, "n_number": pushed, "n_band": band_id}).first()
                is None):
            return pushed
    if current is not None:
        return current
    number = take(session, event_id, category_id)
    if pushed is not None:
        log.info("band %s came numbered %d outside its station's blocks: now %d", band_id, pushed, number)
    return number


def lease(store: Store, actor: Actor, *, event_ref: str, category_ref: str, size: int,
          station: str | None) -> NumberBlockView:
    """Hand the caller's station ``size`` numbers of a category, none of which anyone else gets."""
    actor.require(Action.ENCODE_BANDS)
    problem = block_size_problem(size)
    if problem is not None:
        raise ValidationError([problem])
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat = refs.category(session, actor, ev, category_ref)
        first = take(session, ev.id, cat.id, size)
        block = BandNumberBlock(id=new_id(), event_id=ev.id, category_id=cat.id, first=first,
                                last=first + size - 1, next=first, member_id=actor.member_id, station=station)
        session.add(block)
        session.flush()
        log.info("numbers %d-%d of %s %s reserved for %s", block.first, block.last, ev.name, cat.name,
                 station or actor.member_id)
        return NumberBlockView.model_validate(block)


def keep(store: Store, block: NumberBlockView, member_id: uuid.UUID | None) -> None:
    """Keep a block the server handed this station (once, whatever the number of calls)."""
    with store.write() as session:
        if session.get(BandNumberBlock, block.id) is None:
            session.add(BandNumberBlock(id=block.id, event_id=block.event_id, category_id=block.category_id,
                                        first=block.first, last=block.last, next=block.first,
                                        member_id=member_id, station=block.station))


class HeldNumbers(BaseModel):
    """What a station holds of one category: for ``numbers list`` and for deciding to top up."""

    event_id: uuid.UUID
    category_id: uuid.UUID
    category: str
    free: int
    ranges: list[tuple[int, int]]


def held(store: Store) -> list[HeldNumbers]:
    """The numbers this station may still print, per category (blocks with none left are left out)."""
    out: dict[tuple[uuid.UUID, uuid.UUID], HeldNumbers] = {}
    with store.read() as session:
        rows = session.execute(
            select(_BLOCKS.c.event_id, _BLOCKS.c.category_id, Category.name, _BLOCKS.c.next, _BLOCKS.c.last)
            .join(Category, Category.id == _BLOCKS.c.category_id)
            .where(_BLOCKS.c.next <= _BLOCKS.c.last).order_by(Category.name, _BLOCKS.c.first)
        ).all()
    for event_id, category_id, name, nxt, last in rows:
        entry = out.setdefault((event_id, category_id), HeldNumbers(
            event_id=event_id, category_id=category_id, category=name, free=0, ranges=[]))
        entry.free += last - nxt + 1
        if entry.ranges and entry.ranges[-1][1] + 1 == nxt:  # blocks that follow on read as one
            entry.ranges[-1] = (entry.ranges[-1][0], last)
        else:
            entry.ranges.append((nxt, last))
    return list(out.values())


def wanted(store: Store, member_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """The blocks this station should reserve now: (event, category, size).

    Every category of every event not yet over, for a login that may encode,
    is kept at least half a block ahead; an open batch that asks for more
    bands than are held gets what it still needs. Reserved while online, so
    a station that loses the network keeps printing numbers nobody else has.
    """
    yesterday = (utcnow() - timedelta(days=1)).date()
    with store.read() as session:
        me = session.get(Member, member_id)
        if me is None or not may(me.role, Action.ENCODE_BANDS):
            return []
        categories = session.execute(
            select(Category.event_id, Category.id).join(Event, Event.id == Category.event_id)
            .where(Event.organization_id == me.organization_id,
                   or_(Event.ends_on.is_(None), Event.ends_on >= yesterday))
        ).all()
        need: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        batches = session.execute(
            select(EncodeBatch.event_id, EncodeBatch.category_id, EncodeBatch.requested, EncodeBatch.encoded)
            .where(EncodeBatch.status == BatchStatus.OPEN, EncodeBatch.requested.is_not(None)))
        for event_id, category_id, requested, encoded in batches:
            key = (event_id, category_id)
            need[key] = need.get(key, 0) + max(0, (requested or 0) - encoded)
    free = {(h.event_id, h.category_id): h.free for h in held(store)}
    out = []
    for event_id, category_id in sorted({(e, c) for e, c in categories} | set(need)):
        key = (event_id, category_id)
        have = free.get(key, 0)
        short = need.get(key, 0) - have
        if short > 0:
            out.append((event_id, category_id, min(MAX_NUMBER_BLOCK, max(NUMBER_BLOCK, short))))
        elif have < NUMBER_BLOCK // 2:
            out.append((event_id, category_id, NUMBER_BLOCK))
    return out
