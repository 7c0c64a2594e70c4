"""Products: what the box office sells, at what price, when, and how many.

A product admits a category of an event to one or several series, at a
price in minor units (cents) of one currency, inside a sales window, up to
a quota. The quota lives with the kept counters (``services.quotas``), so
raising or lowering it is the same kind of conditional statement as a sale:
it never goes below what is sold and held at that moment.

Products are set up where the counters are: on the central server (or a
database of its own, with no server). A station receives them with its
pull and sells from leases (``services.place_leases``); it does not edit them.

The series' own capacity is not a sales limit: it counts people inside, at
the gates (``services.occupancy``); a product's quota is what bounds sales.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import (
    ensure_aware,
    price_problem,
    quota_problem,
    time_range_problem,
    validate_currency,
    validate_name,
)
from boxoffice.errors import DuplicateError, SalesStateError, ValidationError
from boxoffice.schemas.sales import ProductView
from boxoffice.services import quotas, refs, waitlist
from boxoffice.services.actor import Actor
from boxoffice.services.product_lookup import find, require_authority, view
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Event, Product, ProductCounter, ProductSeries

log = logging.getLogger(__name__)

__all__ = ["FIELDS", "create_product", "find", "get_product", "list_products", "update_product", "view"]

#: What ``update_product`` may change.
FIELDS = ("name", "price_minor", "currency", "sales_opens_at", "sales_closes_at", "quota", "series")


def _window_problems(opens: datetime, closes: datetime) -> list[ValidationError]:
    out = []
    for field, value in (("sales_opens_at", opens), ("sales_closes_at", closes)):
        ensure_aware(field, value)
        problem = time_range_problem(field, value)
        if problem is not None:
            out.append(ValidationError([problem]))
    if not out and closes <= opens:
        out.append(ValidationError.single("sales_closes_at", "Sales must close after they open."))
    return out


def _check(price_minor: int | None, quota: int | None, opens: datetime | None,
           closes: datetime | None) -> None:
    problems = [p for p in (price_problem(price_minor) if price_minor is not None else None,
                            quota_problem(quota) if quota is not None else None) if p is not None]
    if opens is not None and closes is not None:
        for err in _window_problems(opens, closes):
            problems += err.problems
    if problems:
        raise ValidationError(problems)


def _set_series(session: Session, actor: Actor, product: Product, ev: Event,
                series_refs: Sequence[str]) -> None:
    if not series_refs:
        raise ValidationError.single("series", "Say which series the product admits to (one at least).")
    ids = sorted({refs.series(session, actor, ref, ev).id for ref in series_refs})
    session.execute(delete(ProductSeries).where(ProductSeries.product_id == product.id))
    session.add_all(ProductSeries(product_id=product.id, series_id=sid) for sid in ids)


def create_product(store: Store, actor: Actor, event_ref: str, name: str, category_ref: str,
                   series_refs: Sequence[str], *, price_minor: int, currency: str, sales_opens_at: datetime,
                   sales_closes_at: datetime, quota: int, product_id: uuid.UUID | None = None) -> ProductView:
    """A new product with its counters (nothing sold, nothing held)."""
    actor.require(Action.MANAGE_PRODUCTS)
    require_authority(store)
    name = validate_name("name", name)
    currency = validate_currency(currency)
    _check(price_minor, quota, sales_opens_at, sales_closes_at)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat = refs.category(session, actor, ev, category_ref)
        if session.scalar(select(Product.id).where(Product.event_id == ev.id,
                                                   refs.same_name(Product.name, name))) is not None:
            raise DuplicateError("product", "name", name, f"in {ev.name}")
        product = Product(id=product_id or new_id(), event_id=ev.id, category_id=cat.id, name=name,
                          price_minor=price_minor, currency=currency, sales_opens_at=sales_opens_at,
                          sales_closes_at=sales_closes_at)
        session.add(product)
        session.flush()
        _set_series(session, actor, product, ev, series_refs)
        session.add(ProductCounter(product_id=product.id, quota=quota, sold=0, held=0))
        session.flush()
        log.info("product %s (%s, quota %d) added to %s by %s", name, cat.name, quota, ev.name, actor.email)
        return view(session, product)


def update_product(store: Store, actor: Actor, product_ref: str, changes: dict[str, Any], *,
                   event_ref: str | None = None) -> ProductView:
    """Change a product; a quota below what is sold and held now is refused with those figures."""
    actor.require(Action.MANAGE_PRODUCTS)
    require_authority(store)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError.single(sorted(unknown)[0], f"A product has no field {sorted(unknown)[0]}.")
    cleared = sorted(field for field, value in changes.items() if value is None)
    if cleared:
        raise ValidationError.single(cleared[0], f"A product's {cleared[0].replace('_', ' ')} cannot be "
                                                 "left empty; leave the field out to keep it.")
    if "name" in changes:
        changes["name"] = validate_name("name", changes["name"])
    if "currency" in changes:
        changes["currency"] = validate_currency(changes["currency"])
    _check(changes.get("price_minor"), changes.get("quota"), None, None)
    with store.write() as session:
        product = find(session, actor, product_ref, event_ref)
        ev = session.get_one(Event, product.event_id)
        opens = changes.get("sales_opens_at", product.sales_opens_at)
        closes = changes.get("sales_closes_at", product.sales_closes_at)
        if "sales_opens_at" in changes or "sales_closes_at" in changes:
            _check(None, None, opens, closes)
        if "name" in changes and session.scalar(select(Product.id).where(
                Product.event_id == ev.id, refs.same_name(Product.name, changes["name"]),
                Product.id != product.id)) is not None:
            raise DuplicateError("product", "name", changes["name"], f"in {ev.name}")
        for field in ("name", "price_minor", "currency", "sales_opens_at", "sales_closes_at"):
            if field in changes:
                setattr(product, field, changes[field])
        if "series" in changes:
            _set_series(session, actor, product, ev, changes["series"])
        if "quota" in changes:
            quota = int(changes["quota"])
            if not quotas.set_quota(session, product.id, quota):
                _, sold, held = quotas.counters(session, product.id)
                raise SalesStateError(
                    f"{product.name} has {sold:,} sold and {held:,} held by stations' leases and waitlist "
                    f"offers; its quota cannot go below {sold + held:,}. Nothing was changed.")
            waitlist.offer_freed(session, product.id)
        session.flush()
        log.info("product %s changed by %s: %s", product.name, actor.email, ", ".join(sorted(changes)))
        return view(session, product)


def list_products(store: Store, actor: Actor, event_ref: str | None = None) -> list[ProductView]:
    actor.require(Action.VIEW_PRODUCTS)
    with store.read() as session:
        query = select(Product).join(Event, Event.id == Product.event_id).where(
            Event.organization_id == actor.organization_id)
        if event_ref is not None:
            query = query.where(Product.event_id == refs.event(session, actor, event_ref).id)
        found = session.scalars(query.order_by(Product.sales_opens_at, Product.name))
        return [view(session, p) for p in found]


def get_product(store: Store, actor: Actor, product_ref: str, event_ref: str | None = None) -> ProductView:
    actor.require(Action.VIEW_PRODUCTS)
    with store.read() as session:
        return view(session, find(session, actor, product_ref, event_ref))
