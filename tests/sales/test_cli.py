"""``boxoffice products list|add|edit`` and ``boxoffice sell``, run as a person would, with and without --json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import Cli, make_cli
from tests.helpers.seeding import seed
from tests.helpers.stores import migrated_store

pytestmark = pytest.mark.slow


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = make_cli(tmp_path)
    store = migrated_store(runner.db)
    seed(store, bands=1)
    store.dispose()
    return runner


def test_products_and_a_sale_from_the_command_line(cli: Cli) -> None:
    owner = "owner@example.org"
    added = cli.ok("--json", "products", "add", "--event", "Gate Fest", "--name", "Day ticket", "--category", "GA",
                   "--series", "Today", "--price", "25.00", "--currency", "eur", "--opens", "2020-01-01 10:00",
                   "--closes", "2999-12-31 23:00", "--quota", "5", as_=owner).json
    assert (added["price_minor"], added["currency"], added["quota"], added["free"]) == (2500, "EUR", 5, 5)
    edited = cli.ok("--json", "products", "edit", "Day ticket", "--quota", "4", "--price", "20", as_=owner).json
    assert (edited["quota"], edited["price_minor"]) == (4, 2000)
    sold = cli.ok("sell", "Day ticket=2", "--cash", "50", "--holder", "Ana", "--station", "Box 1", as_=owner).out
    assert "2 tickets, EUR 40.00 (cash)" in sold and "Change due: EUR 10.00" in sold
    listed = cli.ok("products", "list", as_=owner).out
    assert "Day ticket  (GA)  EUR 20.00" in listed and "2/4 sold, 0 held, 2 free" in listed
    order = cli.ok("--json", "sell", "Day ticket", "--comp", "press", as_=owner).json
    assert order["payment"] == "complimentary" and order["total_minor"] == 0 and len(order["tickets"]) == 1


def test_bad_input_on_the_command_line_is_one_sentence(cli: Cli) -> None:
    owner = "owner@example.org"
    cli.ok("products", "add", "--event", "Gate Fest", "--name", "Day ticket", "--category", "GA", "--series",
           "Today", "--price", "25", "--currency", "EUR", "--opens", "2020-01-01 10:00", "--closes",
           "2999-12-31 23:00", "--quota", "1", as_=owner)
    cases = [
        (("sell", "Day ticket=2", "--card", "T1"), "Only 1 place of Day ticket is left; 2 were asked for."),
        (("sell", "Day ticket", "--cash", "10"), "Cash tendered (EUR 10.00) is less than the total (EUR 25.00)"),
        (("sell", "Day ticket"), "Say how it is paid"),
        (("sell", "Night ticket", "--card", "T1"), "No product Night ticket was found."),
        (("products", "edit", "Day ticket", "--price", "-3"), "A price cannot be negative"),
        (("products", "edit", "Day ticket", "--price", "2.505"), "is not an amount in cents"),
    ]
    for args, said in cases:
        result = cli(*args, as_=owner)
        assert result.code == 1 and said in result.err and "Traceback" not in result.err, (args, result.err)
