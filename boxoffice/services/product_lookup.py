"""Finding a product by what a person typed, and its view: shared by every sales module.

Apart from ``products`` so that the waitlist, leases and sales can look a
product up without importing the module that edits products (which itself
offers freed places to the waitlist).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.errors import AmbiguousError, NotFoundError, SalesStateError
from boxoffice.schemas.sales import ProductView
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Event, Product, ProductCounter, ProductSeries


def require_authority(store: Store) -> None:
    """Refuse on a station: the counters, and so products and their quotas, are the server's."""
    if store.mode == "station":
        raise SalesStateError("Products, quotas, refunds and the waitlist are kept by the central server; "
                              "do this online, through the server. Nothing was changed here.")


def find(session: Session, actor: Actor, ref: str | uuid.UUID, event_ref: str | None = None) -> Product:
    """A product by id, or by name (within the event when given, else across the organization)."""
    ident = refs.as_uuid(ref)
    query = select(Product).join(Event, Event.id == Product.event_id).where(
        Event.organization_id == actor.organization_id)
    if event_ref is not None:
        query = query.where(Product.event_id == refs.event(session, actor, event_ref).id)
    query = query.where(Product.id == ident) if ident is not None else query.where(
        refs.same_name(Product.name, str(ref)))
    rows = session.scalars(query).all()
    if not rows:
        raise NotFoundError("product", ref)
    if len(rows) > 1:
        raise AmbiguousError("product", ref, [str(p.id) for p in rows])
    return rows[0]


def view(session: Session, product: Product) -> ProductView:
    series_ids = list(session.scalars(
        select(ProductSeries.series_id).where(ProductSeries.product_id == product.id)
        .order_by(ProductSeries.series_id)))
    counter = session.get(ProductCounter, product.id)
    figures: dict[str, Any] = {}
    if counter is not None:
        figures = {"quota": counter.quota, "sold": counter.sold, "held": counter.held,
                   "free": counter.quota - counter.sold - counter.held}
    return ProductView(
        id=product.id, event_id=product.event_id, category_id=product.category_id,
        category=session.get_one(Category, product.category_id).name, name=product.name,
        series_ids=series_ids, price_minor=product.price_minor, currency=product.currency,
        sales_opens_at=product.sales_opens_at, sales_closes_at=product.sales_closes_at, **figures)
