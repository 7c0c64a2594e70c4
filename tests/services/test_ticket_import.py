"""Ticket CSV import: mapping, preview, all-or-nothing commit, and every kind of bad file."""

from __future__ import annotations

import re
import uuid

import pytest

from boxoffice.domain.enums import Role
from boxoffice.errors import ImportFileError, PermissionDeniedError, ValidationError
from boxoffice.services import encoding_bands, encoding_batches, events, ticket_import
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Festival
from tests.helpers.stores import table_counts

GOOD = (
    "Order;Name;Type;Mail\n"
    "A-1;Ana Souza;VIP;ana@example.org\n"
    "A-2;Bo Li;ga;\n"
    "A-3;Zoë Ørsted;GA;zoe@example.org\n"
).encode()
MAP = {"code": "Order", "name": "Name", "category": "Type", "email": "Mail"}


def test_a_good_file_previews_then_imports(store: Store, owner: Actor, festival: Festival) -> None:
    before = table_counts(store)
    preview = ticket_import.preview_import(store, owner, "Summer Fest", GOOD, MAP, rows=2)
    assert preview.ok and preview.total == 3 and [r.code for r in preview.rows] == ["A-1", "A-2"]
    assert preview.rows[1].category == "GA"  # matched by name, ignoring case
    assert table_counts(store) == before  # a preview writes nothing
    result = ticket_import.import_tickets(store, owner, "Summer Fest", GOOD, MAP)
    assert result.imported == 3 and result.by_category == {"VIP": 1, "GA": 2}
    assert table_counts(store)["tickets"] == 3
    # An imported ticket links to a band at encode time.
    batch = encoding_batches.start_batch(store, owner, event_ref="Summer Fest", category_ref="VIP", series_refs=[],
                                         requested=None, station=None).id
    plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000001", ticket_ref="A-1")
    assert encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id).ticket_id is not None


def test_default_headers_and_a_utf8_bom_need_no_mapping(store: Store, owner: Actor, festival: Festival) -> None:
    data = "\ufeffCode,Name,Category,Email\nX1,Ana,VIP,ana@example.org\n".encode()
    assert ticket_import.import_tickets(store, owner, "Summer Fest", data).imported == 1


def test_every_problem_is_listed_with_row_and_column_and_nothing_is_written(
    store: Store, owner: Actor, festival: Festival
) -> None:
    ticket_import.import_tickets(store, owner, "Summer Fest", b"code,category\nOLD-1,VIP\n")
    data = (
        b"Order,Name,Type,Mail\n"
        b"B-1,Ana,VIP,ana@example.org\n"
        b"B-1,Bo,VIP,\n"          # duplicate in the file
        b"OLD-1,Cy,GA,\n"         # already in the database
        b"B-3,Di,Backstage,\n"    # unknown category
        b",Ed,GA,not-an-email\n"  # no code, bad e-mail
    )
    before = table_counts(store)
    preview = ticket_import.preview_import(store, owner, "Summer Fest", data, MAP)
    assert [(p.row, p.column) for p in preview.problems] == [
        (3, "Order"), (4, "Order"), (5, "Type"), (6, "Order"), (6, "Mail")]
    assert "also on row 2" in preview.problems[0].message
    assert "already a ticket" in preview.problems[1].message
    assert "No category 'Backstage'" in preview.problems[2].message and "VIP" in preview.problems[2].message
    with pytest.raises(ticket_import.TicketImportError, match=r"Nothing was imported: 5 problem\(s\).*row 3, column Order"):
        ticket_import.import_tickets(store, owner, "Summer Fest", data, MAP)
    assert table_counts(store) == before


@pytest.mark.parametrize("data,message", [
    (b"", "The file is empty"),
    (b"  \n\n", "The file is empty"),
    (b"code,category\n", "header but no tickets"),
    ("code,category\nA-1,VIP caf\xe9\n".encode("latin-1"), "not UTF-8 text .*byte 0xE9"),
    (b"Ref,Name\nA-1,Ana\n", "no column for code, category; its columns are 'Ref', 'Name'"),
])
def test_bad_files_are_refused_with_a_clear_message(store: Store, owner: Actor, festival: Festival,
                                                    data: bytes, message: str) -> None:
    before = table_counts(store)
    with pytest.raises(ImportFileError, match=message):
        ticket_import.preview_import(store, owner, "Summer Fest", data)
    with pytest.raises(ImportFileError, match=message):
        ticket_import.import_tickets(store, owner, "Summer Fest", data)
    assert table_counts(store) == before


def test_a_mapping_to_a_missing_column_is_named(store: Store, owner: Actor, festival: Festival) -> None:
    with pytest.raises(ImportFileError, match="code \\(column 'Barcode'\\)"):
        ticket_import.import_tickets(store, owner, "Summer Fest", GOOD, {**MAP, "code": "Barcode"})


def test_mapping_text_is_parsed_and_checked() -> None:
    assert ticket_import.parse_mapping("code=Order, name=Name ,category=Type") == {
        "code": "Order", "name": "Name", "category": "Type"}
    with pytest.raises(ValidationError, match="not a ticket field"):
        ticket_import.parse_mapping("seat=Row")
    with pytest.raises(ValidationError, match="FIELD=COLUMN"):
        ticket_import.parse_mapping("code")


def test_only_ticket_managers_import(store: Store, actors: dict[Role, Actor], festival: Festival) -> None:
    before = table_counts(store)
    with pytest.raises(PermissionDeniedError):
        ticket_import.import_tickets(store, actors[Role.MEMBER], "Summer Fest", GOOD, MAP)
    assert table_counts(store) == before
    assert ticket_import.import_tickets(store, actors[Role.STATION], "Summer Fest", GOOD, MAP).imported == 3


def test_codes_that_differ_only_in_case_refuse_the_file_naming_both_lines(
    store: Store, owner: Actor, festival: Festival
) -> None:
    data = b"code,category\nA-1,VIP\nB-1,GA\na-1,GA\n"
    before = table_counts(store)
    preview = ticket_import.preview_import(store, owner, "Summer Fest", data)
    assert [(p.row, p.message) for p in preview.problems] == [
        (4, "Code a-1 is also on row 2 as A-1, the same code ignoring case.")]
    with pytest.raises(ticket_import.TicketImportError, match="row 4, column code: Code a-1 is also on row 2"):
        ticket_import.import_tickets(store, owner, "Summer Fest", data)
    assert table_counts(store) == before
    # A code already in the event is the same ticket in any case too.
    ticket_import.import_tickets(store, owner, "Summer Fest", b"code,category\nZ-9,VIP\n")
    later = ticket_import.preview_import(store, owner, "Summer Fest", b"code,category\nz-9,VIP\n")
    assert [p.message for p in later.problems] == ["Code z-9 is already a ticket of this event."]


HOLDER_NUL = "The holder's name holds a control character (U+0000); remove it."


@pytest.mark.parametrize("name", ["Ana\x00Bo", "Ana\x1bBo", "Ana\nBo"])
def test_a_control_character_in_a_holder_name_is_refused_on_every_path(
    store: Store, owner: Actor, festival: Festival, name: str
) -> None:
    from boxoffice.services import tickets

    code = f"U+{ord(next(c for c in name if not c.isalpha())):04X}"
    sentence = HOLDER_NUL.replace("U+0000", code)
    before = table_counts(store)
    csv_file = f"code,name,category\nA-1,{name},VIP\n".encode()
    preview = ticket_import.preview_import(store, owner, "Summer Fest", csv_file)
    if name != "Ana\nBo":  # a bare line break ends the CSV row instead; quoted, it stays in the cell
        assert [p.message for p in preview.problems] == [sentence]
    quoted = f'code,name,category\nA-1,"{name}",VIP\n'.encode()
    with pytest.raises(ticket_import.TicketImportError, match=re.escape(sentence[:-1])):
        ticket_import.import_tickets(store, owner, "Summer Fest", quoted)
    with pytest.raises(ValidationError) as one:
        tickets.create_ticket(store, owner, "Summer Fest", "A-1", "VIP", name)
    assert one.value.message == sentence
    vip = next(c.id for c in events.list_categories(store, owner, "Summer Fest") if c.name == "VIP")
    pushed = ticket_import.ImportedTicket(id=uuid.uuid4(), code="A-1", category_id=vip, holder_name=name)
    with pytest.raises(ValidationError) as many:
        ticket_import.add_imported(store, owner, "Summer Fest", [pushed])
    assert many.value.message == f"Ticket 'A-1': {sentence}"
    assert table_counts(store) == before
