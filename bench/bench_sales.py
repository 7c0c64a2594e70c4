"""Lease grant throughput: 50 stations asking for places at once, against a plain conditional UPDATE.

The question: what does a lease grant (``services.place_leases.grant``: find
the product, lock its counter row, the conditional ``held = held + n``, the
new lease row, one transaction) cost on top of the least a counter can
cost: one conditional ``UPDATE product_counters SET held = held + 1 WHERE
... AND sold + held + 1 <= quota`` in a transaction of its own? Both run in
the same process, on the same PostgreSQL database and connection pool, with
``--clients`` threads (default 50, one per station) hammering one product's
row for ``--seconds`` each; the ratio baseline/grant is the figure to
compare between runs (the machine is shared, absolute figures drift).

Run: ``python bench/bench_sales.py [--pg-url URL] [--clients 50] [--seconds 5]``
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from boxoffice.domain.enums import Role
from boxoffice.domain.validation import MAX_QUOTA
from boxoffice.services import events, organization, place_leases, products
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from boxoffice.sync import changelog

DEFAULT_PG = os.environ.get("BOXOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    name = f"boxoffice_bench_sales_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(store: Store) -> tuple[Actor, uuid.UUID, uuid.UUID]:
    """An organization, a station login, two products of a huge quota: one to lease, one the baseline's."""
    organization.create_organization(store, "Bench Org", "owner@example.org")
    owner = resolve_actor(store, "owner@example.org")
    organization.add_member(store, owner, "station@example.org", Role.STATION)
    events.create_event(store, owner, "Bench Fest", "Europe/Amsterdam")
    events.add_category(store, owner, "Bench Fest", "GA")
    now = datetime.now(UTC)
    series_svc.create_series(store, owner, "Bench Fest", "Today", now - timedelta(hours=1),
                             now + timedelta(hours=8), 1000)
    ids = []
    for name in ("Leased", "Baseline"):
        ids.append(products.create_product(
            store, owner, "Bench Fest", name, "GA", ["Today"], price_minor=2500, currency="EUR",
            sales_opens_at=now - timedelta(hours=1), sales_closes_at=now + timedelta(hours=8),
            quota=MAX_QUOTA).id)
    return resolve_actor(store, "station@example.org"), ids[0], ids[1]


def hammer(clients: int, seconds: float, work: Callable[[int], None]) -> float:
    """Operations per second of ``work(client)`` run by ``clients`` threads for ``seconds``."""
    start = threading.Barrier(clients + 1)
    stop = threading.Event()
    counts = [0] * clients
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            while not stop.is_set():
                work(i)
                counts[i] += 1
        except BaseException as exc:  # reported below: a benchmark that fails must say so
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[0]!r}")
    return sum(counts) / elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with scratch_database(args.pg_url) as url:
        store = open_store(url)
        try:
            station, leased, baseline = prepare(store)
            changelog.become_server(store)
            plain = text("UPDATE product_counters SET held = held + 1 "
                         "WHERE product_id = :p AND sold + held + 1 <= quota RETURNING held")

            def conditional_update(_: int) -> None:
                with store.write_engine.begin() as conn:
                    if conn.execute(plain, {"p": baseline}).first() is None:
                        raise RuntimeError("the baseline's product ran out of places")

            def grant(i: int) -> None:
                place_leases.grant(store, station, str(leased), 1, station=f"Box {i}")

            print(f"PostgreSQL, {args.clients} concurrent clients, {args.seconds:g} s each", file=sys.stderr)
            base_rate = hammer(args.clients, args.seconds, conditional_update)
            grant_rate = hammer(args.clients, args.seconds, grant)
            with store.read() as session:
                held = session.execute(text("SELECT held FROM product_counters WHERE product_id = :p"),
                                       {"p": leased}).scalar_one()
                leases = session.execute(text("SELECT count(*) FROM place_leases")).scalar_one()
            assert held == leases, (held, leases)  # one place a lease: every grant counted once
            print(f"plain conditional UPDATE of one row: {base_rate:8.0f} /s")
            print(f"lease grant (place_leases.grant):    {grant_rate:8.0f} /s")
            print(f"ratio UPDATE/grant:                  {base_rate / grant_rate:8.2f}")
        finally:
            store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
