"""``lookup``, ``band void|lost|replace``, ``keys show`` and ``tickets import`` as a person types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.services import encoding_bands, encoding_batches
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from tests.cli.test_bad_input import counts
from tests.helpers.cli import Cli

OLD, NEW, GA_BAND = "04000000000001", "04000000000002", "04000000000003"


def _encode(cli: Cli, uids: list[str], category: str = "VIP", ticket: str | None = None) -> None:
    """Bands as ``boxoffice encode`` (the hardware layer's command) leaves them."""
    store = open_store(cli.db)
    try:
        me = resolve_actor(store, "owner@example.org")
        batch = encoding_batches.start_batch(store, me, event_ref="Harbour Days", category_ref=category,
                                             series_refs=["Friday"], requested=None, station="Desk 1").id
        for uid in uids:
            plan = encoding_bands.plan_band(store, me, batch_id=batch, uid=uid, ticket_ref=ticket)
            encoding_bands.activate_band(store, me, batch_id=batch, band_id=plan.band_id)
    finally:
        store.dispose()


@pytest.mark.slow
def test_import_lookup_lost_replace_and_keys(festival_cli: Cli, tmp_path: Path) -> None:
    cli = festival_cli
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text("Order;Name;Type\nHD-1;Ana Souza;VIP\nHD-2;Bo Li;GA\n", encoding="utf-8")
    before = counts(cli)
    dry = cli.ok("tickets", "import", str(csv_file), "--event", "Harbour Days", "--map",
                 "code=Order,name=Name,category=Type", "--dry-run")
    assert "2 tickets" in dry.out and "No problems" in dry.out
    assert counts(cli) == before
    done = cli.ok("--json", "tickets", "import", str(csv_file), "--event", "Harbour Days", "--map",
                  "code=Order,name=Name,category=Type")
    assert done.json["imported"] == 2

    _encode(cli, [OLD], ticket="HD-1")
    _encode(cli, [NEW])
    card = cli.ok("lookup", "HD-1", "--event", "Harbour Days").out
    assert "VIP #0001" in card and OLD in card and "Ana Souza" in card and "Friday" in card
    assert cli.ok("--json", "lookup", "04:00:00:00:00:00:01").json["status"] == "active"

    lost = cli.ok("band", "lost", OLD, "--reason", "lost at the bar")
    assert "reported lost" in lost.out
    replaced = cli.ok("--json", "band", "replace", OLD, NEW)
    assert replaced.json["uid"] == NEW and replaced.json["ticket_id"]
    card = cli.ok("--json", "lookup", "HD-1").json
    assert card["uid"] == NEW and card["replaces_uid"] == OLD and card["ticket"]["code"] == "HD-1"
    assert cli.ok("--json", "lookup", OLD).json["status"] == "lost"

    shown = cli.ok("--json", "keys", "show", "--event", "Harbour Days").json
    assert len(shown) == 1 and len(shown[0]["key_id"]) == 8 and len(shown[0]["public_key"]) == 64
    assert "private" not in cli.ok("keys", "show", "--event", "Harbour Days").out

    cli.ok("band", "void", NEW, "--reason", "torn")
    assert cli.ok("--json", "lookup", NEW).json["status"] == "void"


BAD = [
    (["lookup", "04AAAAAAAAAAAA"], "No wristband or ticket 04AAAAAAAAAAAA was found."),
    (["lookup", "NOPE-1"], "No wristband or ticket NOPE-1 was found."),
    (["band", "void", "zz", "--reason", "x"], "ZZ is not a tag UID"),
    (["band", "void", OLD, "--reason", " "], "Say why"),
    (["band", "lost", "04AAAAAAAAAAAA", "--reason", "x"], "No wristband with UID 04AAAAAAAAAAAA"),
    (["band", "replace", OLD, GA_BAND], "a replacement must be of the same category"),
    (["band", "replace", OLD, OLD], "cannot replace itself"),
    (["keys", "show", "--event", "Nowhere"], "No event Nowhere was found."),
    (["tickets", "import", "missing.csv", "--event", "Harbour Days"], "missing.csv cannot be read"),
    (["tickets", "import", "{empty}", "--event", "Harbour Days"], "The file is empty."),
    (["tickets", "import", "{latin1}", "--event", "Harbour Days"], "not UTF-8 text"),
    (["tickets", "import", "{dupes}", "--event", "Harbour Days"],
     "Nothing was imported: 2 problem(s) in the file: row 3, column code: Code X-1 is also on row 2"),
    (["tickets", "import", "{dupes}", "--event", "Harbour Days", "--map", "seat=Row"], "not a ticket field"),
    (["tickets", "import", "{case}", "--event", "Harbour Days"],
     "row 3, column code: Code a-1 is also on row 2 as A-1, the same code ignoring case."),
    (["tickets", "import", "{nul}", "--event", "Harbour Days"],
     "row 2, column name: The holder's name holds a control character (U+0000); remove it."),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[:2]) + f"-{i}" for i, (a, _) in enumerate(BAD)])
def test_bad_input_is_one_sentence_exit_1_and_writes_nothing(festival_cli: Cli, tmp_path: Path,
                                                              args: list[str], message: str) -> None:
    cli = festival_cli
    _encode(cli, [OLD])
    _encode(cli, [GA_BAND], category="GA")
    files = {
        "{empty}": b"",
        "{latin1}": "code,category\nX-1,caf\xe9\n".encode("latin-1"),
        "{dupes}": b"code,category\nX-1,VIP\nX-1,VIP\nX-2,Backstage\n",
        "{case}": b"code,category\nA-1,VIP\na-1,VIP\n",
        "{nul}": b"code,name,category\nA-1,Ana\x00Bo,VIP\n",
    }
    real = []
    for arg in args:
        if arg in files:
            path = tmp_path / f"{arg.strip('{}')}.csv"
            path.write_bytes(files[arg])
            real.append(str(path))
        elif arg == "missing.csv":
            real.append(str(tmp_path / "missing.csv"))
        else:
            real.append(arg)
    before = counts(cli)
    result = cli(*real)
    assert result.code == 1, result
    assert message in result.err
    assert result.err.startswith("error: ") and len(result.err.strip().splitlines()) == 1
    assert counts(cli) == before
    as_json = cli("--json", *real)
    assert as_json.code == 1 and '"error"' in as_json.err


def test_a_dry_run_with_problems_lists_them_and_exits_1(festival_cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("code,category\nX-1,VIP\nX-1,Backstage\n", encoding="utf-8")
    before = counts(festival_cli)
    result = festival_cli("tickets", "import", str(path), "--event", "Harbour Days", "--dry-run")
    assert result.code == 1
    assert "row 3, column code: Code X-1 is also on row 2" in result.out
    assert "row 3, column category: No category 'Backstage'" in result.out
    assert counts(festival_cli) == before
