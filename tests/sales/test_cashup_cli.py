"""``boxoffice report cashup|sales``, ``boxoffice refund`` and ``boxoffice waitlist``, run as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.reports.csv_export import read_csv_file
from tests.helpers.cli import Cli, make_cli
from tests.helpers.reports import pdf_text
from tests.helpers.seeding import seed
from tests.helpers.stores import migrated_store

pytestmark = pytest.mark.slow

OWNER = "owner@example.org"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = make_cli(tmp_path)
    store = migrated_store(runner.db)
    seed(store, bands=1)
    store.dispose()
    runner.ok("products", "add", "--event", "Gate Fest", "--name", "Day ticket", "--category", "GA", "--series",
              "Today", "--price", "25.00", "--currency", "EUR", "--opens", "2020-01-01 10:00", "--closes",
              "2999-12-31 23:00", "--quota", "3", as_=OWNER)
    return runner


def test_cash_up_refund_and_waitlist_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    order = cli.ok("--json", "sell", "Day ticket=3", "--cash", "80", "--station", "Box 1", as_=OWNER).json
    added = cli.ok("--json", "waitlist", "add", "Day ticket", "--name", "Ana", "--contact", "ana@example.org",
                   as_=OWNER).json
    assert added["status"] == "waiting"
    assert "Ana  ana@example.org  waiting" in cli.ok("waitlist", "list", "Day ticket", as_=OWNER).out
    code = order["tickets"][0]["code"]
    done = cli.ok("refund", order["reference"], "--ticket", code, "--reason", "wrong day", "--station", "Box 1",
                  as_=OWNER).out
    assert done.startswith(f"Refunded 1 ticket of order {order['reference']}: EUR 25.00 back (cash).")
    # The freed place went to Ana at once: she is the one to call.
    to_call = cli.ok("--json", "waitlist", "list", as_=OWNER).json
    assert [(e["name"], e["status"]) for e in to_call] == [("Ana", "offered")]
    again = cli("waitlist", "offer", added["id"], as_=OWNER)
    assert again.code == 1 and again.err.startswith("error: Ana already has an offer")

    out = tmp_path / "cashup.pdf"
    written = cli.ok("--json", "report", "cashup", "--event", "Gate Fest", "--from", "2020-01-01 00:00",
                     "--counted", "EUR=50", "--out", str(out), as_=OWNER).json
    assert written["pages"] == 1
    assert "EUR EUR 50.00 EUR 50.00 EUR 0.00 exact" in pdf_text(out)
    csv = tmp_path / "cashup.csv"
    cli.ok("report", "cashup", "--event", "Gate Fest", "--station", "Box 1", "--out", str(csv), as_=OWNER)
    _, drawer = read_csv_file(csv)["The drawer: expected and counted cash"]
    assert drawer[:2] == ["EUR", "50.00"]
    sales = tmp_path / "sales.pdf"
    cli.ok("report", "sales", "--event", "Gate Fest", "--out", str(sales), as_=OWNER)
    assert "Tickets sold 3" in pdf_text(sales)


@pytest.mark.parametrize(("args", "said"), [
    (("--from", "2026-07-03 18:00", "--to", "2026-07-03 10:00"), "The end of the range must come after its start."),
    (("--counted", "EUR=lots"), "'lots' is not an amount; write it like 25.00."),
    (("--counted", "USD=10"), "Gate Fest sells nothing in USD (it sells in EUR); count the drawer in those."),
    (("--from", "yesterday"), "'yesterday' is not a date and time; write it like 2026-07-03 18:00."),
])
def test_bad_input_is_one_sentence_and_no_file(cli: Cli, tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    for out in (tmp_path / "x.pdf", tmp_path / "x.csv"):
        done = cli("report", "cashup", "--event", "Gate Fest", *args, "--out", str(out), as_=OWNER)
        assert (done.code, done.err.strip()) == (1, f"error: {said}")
        assert not out.exists()


def test_an_unknown_event_or_order(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    done = cli("report", "cashup", "--event", "Nope Fest", "--from", "2026-07-03 10:00", "--out", str(out),
               as_=OWNER)
    assert (done.code, done.err.strip()) == (1, "error: No event Nope Fest was found.")
    done = cli("report", "sales", "--event", "Nope Fest", "--out", str(out), as_=OWNER)
    assert (done.code, done.err.strip()) == (1, "error: No event Nope Fest was found.")
    assert not out.exists()
    done = cli("refund", "ZZZZZZ", "--reason", "x", as_=OWNER)
    assert done.code == 1 and done.err.strip() == "error: No order with booking reference ZZZZZZ was found."
