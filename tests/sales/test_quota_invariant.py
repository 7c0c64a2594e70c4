"""A seeded random walk over sales, refunds, leases, offline sales, syncs in any order and expiries.

After every step the product's kept counters equal a recount (sold: the
tickets not refunded; held: the unused places of open leases and open
offers), and sold + held never passes the quota, so sold + held + free ==
quota with free >= 0. Two stations are modelled as the server sees them:
each holds the leases granted to its login and sells offline from them
(its own count, refused once a lease is used up or expired by its clock);
its sync pushes its orders in the order it made them (through the same
``record_pushed`` the server's applier runs) and then gives back the leases
that are used up or ending. A push that comes after its lease was taken
back is kept only into a free place, else refused: counted, never oversold.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.sales import new_reference, ticket_code
from boxoffice.domain.validation import LEASE_DURATION, LEASE_GRACE, LEASE_RENEW_BEFORE
from boxoffice.errors import SalesStateError, SoldOutError
from boxoffice.services import place_leases, refunds, sales
from boxoffice.services.actor import Actor
from boxoffice.store.models import Order, SoldTicket
from boxoffice.store.types import utcnow
from tests.helpers.sales import Shop, add_product, counters, open_shop, recount_ok

pytestmark = pytest.mark.slow  # a random walk of hundreds of steps per seed, about 4 s each on PostgreSQL

STEPS = 200
QUOTA = 12
CARD = sales.Payment.card("T")


@dataclass
class Lease:
    id: uuid.UUID
    size: int
    expires_at: datetime
    used: int = 0


@dataclass
class Station:
    name: str
    actor: Actor
    leases: list[Lease] = field(default_factory=list)
    queued: list[sales.OrderSellChange] = field(default_factory=list)


def _offline_sale(shop: Shop, box: Station, product_id: uuid.UUID, n: int, now: datetime) -> bool:
    lease = next((lease for lease in box.leases if lease.expires_at > now and lease.size - lease.used >= n), None)
    if lease is None:
        return False
    lease.used += n
    reference = new_reference()
    box.queued.append(sales.OrderSellChange(
        id=uuid.uuid4(), event_id=shop.product.event_id, reference=reference, station=box.name, holder_name=None,
        holder_email=None, currency="EUR", total_minor=n * shop.product.price_minor, payment=PaymentKind.CARD,
        tendered_minor=None, change_minor=None, card_reference="T", comp_reason=None, sold_at=now,
        tickets=[sales.TicketSold(ticket_id=uuid.uuid4(), code=ticket_code(reference, i + 1), product_id=product_id,
                                  price_minor=shop.product.price_minor, lease_id=lease.id) for i in range(n)]))
    return True


def _sync(shop: Shop, box: Station, now: datetime) -> tuple[int, int]:
    kept = refused = 0
    for change in box.queued:
        try:
            sales.record_pushed(shop.store, box.actor, change, now=now)
            kept += 1
        except SoldOutError:
            refused += 1
    box.queued.clear()
    for lease in list(box.leases):
        if lease.used >= lease.size or lease.expires_at <= now + LEASE_RENEW_BEFORE:
            place_leases.settle(shop.store, box.actor, lease.id, now=now)
            box.leases.remove(lease)
    return kept, refused


def _refund_one(shop: Shop, rng: random.Random) -> None:
    with shop.store.read() as session:
        rows = session.execute(select(Order.reference, SoldTicket.ticket_id).join(
            SoldTicket, SoldTicket.order_id == Order.id).where(SoldTicket.refund_id.is_(None))).all()
    if rows:
        reference, _ = rng.choice(rows)
        refunds.refund(shop.store, shop.manager, reference, reason="walk")


def _check(shop: Shop, product_id: uuid.UUID) -> None:
    quota, sold, held = counters(shop.store, product_id)
    free = quota - sold - held
    assert 0 <= sold <= quota and held >= 0 and free >= 0 and sold + held + free == quota
    recount_ok(shop.store)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_quota_holds_at_every_step(target: str, seed: int) -> None:
    rng = random.Random(seed)
    with open_shop(target, quota=QUOTA) as shop:
        now = utcnow()
        product = add_product(shop.store, shop.owner, "Weekend", quota=QUOTA, opens=now - timedelta(hours=1),
                              closes=now + timedelta(days=30))
        boxes = [Station("Box 1", shop.station), Station("Box 2", shop.manager)]
        done: dict[str, int] = {}
        for _ in range(STEPS):
            step = rng.choice(["sell", "sell", "offline", "offline", "lease", "sync", "refund", "time"])
            box = rng.choice(boxes)
            try:
                if step == "sell":
                    sales.sell(shop.store, shop.manager, lines=[("Weekend", rng.randint(1, 3))], payment=CARD, now=now)
                elif step == "offline":
                    if not _offline_sale(shop, box, product.id, rng.randint(1, 3), now):
                        step = "offline, no live lease with room"
                elif step == "lease":
                    lease = place_leases.grant(shop.store, box.actor, "Weekend", rng.randint(1, 6), station=box.name,
                                               now=now)
                    box.leases.append(Lease(lease.id, lease.size, lease.expires_at))
                elif step == "sync":
                    kept, refused = _sync(shop, box, now)
                    done["pushed"] = done.get("pushed", 0) + kept
                    done["push refused"] = done.get("push refused", 0) + refused
                elif step == "refund":
                    _refund_one(shop, rng)
                else:
                    now += rng.choice([timedelta(minutes=20), LEASE_DURATION + LEASE_GRACE + timedelta(minutes=1)])
                    place_leases.reclaim_expired(shop.store, now=now)
            except (SoldOutError, SalesStateError):
                step += " refused"
            done[step] = done.get(step, 0) + 1
            _check(shop, product.id)
        for box in boxes:  # everyone syncs at the end: still within the quota
            _sync(shop, box, now)
            _check(shop, product.id)
        assert done.get("sell", 0) and done.get("offline", 0) and done.get("pushed", 0), done
