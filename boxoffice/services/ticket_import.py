"""Importing tickets from a ticketing system's CSV export: map the columns, preview, commit all or nothing.

Every ticketing system names its columns differently ("Order", "Barcode",
"Ticket type"), so the person says which column is which; the preview shows
the first rows as they will be read and *every* problem with its row and
column, so a file is fixed in one go rather than one error at a time. The
commit writes all tickets or none: a half-imported file is worse than none,
because importing it again would then clash with itself.

Each cell is held to the same rules as a ticket made one at a time
(``domain.validation``), with the same sentences, and codes are compared
ignoring case as the database compares them: "A-1" on one line and "a-1" on
another are one code twice, and the file is refused naming both lines.

Ticket CRUD lives in ``services.tickets``; this module only reads files.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    CategoryId,
    New,
    Ref,
)
from boxoffice.domain.validation import (
    MAX_EMAIL,
    MAX_HOLDER_NAME,
    MAX_TICKET_CODE,
    code_key,
    validate_holder_email,
    validate_holder_name,
    validate_ticket_code,
)
from boxoffice.errors import ImportFileError, Problem, ValidationError
from boxoffice.schemas.base import View
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Ticket
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

FIELDS = ("code", "name", "category", "email")
REQUIRED = ("code", "category")
# Header names tried when the person gives no mapping for a field (compared case-insensitively).
DEFAULT_HEADERS: Mapping[str, tuple[str, ...]] = {
    "code": ("code", "ticket", "ticket code", "barcode", "order"),
    "name": ("name", "holder", "holder name", "holder_name", "full name"),
    "category": ("category", "type", "ticket type"),
    "email": ("email", "e-mail", "holder_email", "mail"),
}
_MAX = {"code": MAX_TICKET_CODE, "name": MAX_HOLDER_NAME, "email": MAX_EMAIL}
PREVIEW_ROWS = 5


class ImportProblem(View):
    row: int  # the line in the file, the header being line 1 (what a spreadsheet shows)
    column: str  # the file's column name ("" for the whole row)
    message: str


class ImportRow(View):
    row: int
    code: str
    name: str | None
    category: str
    email: str | None


class ImportPreview(View):
    columns: dict[str, str]  # field -> the file's column
    rows: list[ImportRow]  # the first rows, as they would be imported
    total: int
    problems: list[ImportProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportedTicket(View):
    """One ticket as a station imported it: what the server replays."""

    id: uuid.UUID
    code: str
    category_id: uuid.UUID
    holder_name: str | None = None
    holder_email: str | None = None


class ImportResult(View):
    event: str
    imported: int
    by_category: dict[str, int]


class TicketImportError(ValidationError):
    """The file has problems; ``problems`` lists every one, with its row and column. Nothing was imported."""

    code = "import_invalid"

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__([Problem(f"row {p.row}" + (f", {p.column}" if p.column else ""), p.message)
                          for p in problems])
        shown = "; ".join(
            f"row {p.row}{', column ' + p.column if p.column else ''}: {p.message.rstrip('.')}"
            for p in problems[:3]
        )
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        self.message = f"Nothing was imported: {len(problems)} problem(s) in the file: {shown}{more}."
        self.args = (self.message,)
        self.import_problems = problems


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"code=Order,name=Name,category=Type"`` -> {"code": "Order", ...}."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        key = key.strip().lower()
        if not sep or not column.strip():
            raise ValidationError.single("map", f"{part.strip()!r} is not FIELD=COLUMN.")
        if key not in FIELDS:
            raise ValidationError.single("map", f"{key} is not a ticket field; use {', '.join(FIELDS)}.")
        out[key] = column.strip()
    return out


@dataclass
class _Parsed:
    columns: dict[str, str]
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportFileError("The file is empty.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02X} at position {exc.start}); "
            "export or save it as CSV UTF-8 and import it again."
        ) from None


def _rows(text: str) -> list[list[str]]:
    """Cells of every line; the delimiter (comma, semicolon, tab) is guessed from the start of the file."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise ImportFileError(f"The file cannot be read as CSV ({exc}).") from None


def _resolve_columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    by_lower = {h.strip().lower(): h.strip() for h in header}
    columns: dict[str, str] = {}
    missing: list[str] = []
    for fld in FIELDS:
        if fld in mapping:
            wanted = mapping[fld].strip()
            if wanted.lower() not in by_lower:
                missing.append(f"{fld} (column {wanted!r})")
                continue
            columns[fld] = by_lower[wanted.lower()]
            continue
        for guess in DEFAULT_HEADERS[fld]:
            if guess in by_lower:
                columns[fld] = by_lower[guess]
                break
        else:
            if fld in REQUIRED:
                missing.append(fld)
    if missing:
        have = ", ".join(repr(h.strip()) for h in header if h.strip()) or "none"
        raise ImportFileError(
            f"The file has no column for {', '.join(missing)}; its columns are {have}. "
            "Say which is which with --map, e.g. code=Order,category=Type."
        )
    return columns


def _parse(data: bytes, mapping: Mapping[str, str], categories: Mapping[str, str],
           taken: set[str]) -> _Parsed:
    text = _decode(data)
    rows = _rows(text)
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportFileError("The file is empty.")
    header = [h.strip() for h in rows[0]]
    columns = _resolve_columns(header, mapping)
    index = {fld: header.index(col) for fld, col in columns.items()}
    parsed = _Parsed(columns)
    first_row: dict[str, tuple[int, str]] = {}  # code_key -> (line, the code as written there)
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        def cell(fld: str, cells: list[str] = cells) -> str:
            i = index.get(fld)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        def problem(fld: str, message: str, line: int = line) -> None:
            parsed.problems.append(ImportProblem(row=line, column=columns.get(fld, fld), message=message))

        if len(cells) > len(header):
            parsed.problems.append(ImportProblem(
                row=line, column="", message=f"{len(cells)} cells in a file of {len(header)} columns."))
        code, name, cat, email = cell("code"), cell("name"), cell("category"), cell("email")
        key = code_key(code)
        if not code:
            problem("code", "No ticket code.")
        elif key in first_row:
            first_line, first_code = first_row[key]
            same = "" if first_code == code else f" as {first_code}, the same code ignoring case"
            problem("code", f"Code {code} is also on row {first_line}{same}.")
        elif key in taken:
            problem("code", f"Code {code} is already a ticket of this event.")
        else:
            first_row[key] = (line, code)
        for fld, value, check in (("code", code, validate_ticket_code), ("name", name, validate_holder_name),
                                  ("email", email, validate_holder_email)):
            if not value:
                continue
            if len(value) > _MAX[fld]:
                problem(fld, f"Longer than {_MAX[fld]} characters.")
                continue
            try:
                check(value)
            except ValidationError as exc:
                problem(fld, exc.message)
        if not cat:
            problem("category", "No category.")
        elif cat.lower() not in categories:
            known = ", ".join(sorted(categories.values())) or "none yet"
            problem("category", f"No category {cat!r} in this event (it has {known}).")
        parsed.rows.append(ImportRow(row=line, code=code, name=name or None,
                                     category=categories.get(cat.lower(), cat), email=email or None))
    if not parsed.rows:
        raise ImportFileError("The file has a header but no tickets.")
    return parsed


def preview_import(store: Store, actor: Actor, event_ref: str, data: bytes,
                   mapping: Mapping[str, str] | None = None, *, rows: int = PREVIEW_ROWS) -> ImportPreview:
    """The first ``rows`` tickets as they would be imported, and every problem in the file."""
    actor.require(Action.MANAGE_TICKETS)
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        cats = {c.name.lower(): c.name
                for c in session.scalars(select(Category).where(Category.event_id == ev.id))}
        taken = {code_key(c) for c in session.scalars(select(Ticket.code).where(Ticket.event_id == ev.id))}
    parsed = _parse(data, mapping or {}, cats, taken)
    return ImportPreview(columns=parsed.columns, rows=parsed.rows[:rows], total=len(parsed.rows),
                         problems=parsed.problems)


def import_tickets(store: Store, actor: Actor, event_ref: str, data: bytes,
                   mapping: Mapping[str, str] | None = None) -> ImportResult:
    """Import every ticket of the file, or none: any problem raises ``TicketImportError``."""
    actor.require(Action.MANAGE_TICKETS)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cats = {c.name.lower(): c
                for c in session.scalars(select(Category).where(Category.event_id == ev.id))}
        taken = {code_key(c) for c in session.scalars(select(Ticket.code).where(Ticket.event_id == ev.id))}
        parsed = _parse(data, mapping or {}, {k: c.name for k, c in cats.items()}, taken)
        if parsed.problems:
            raise TicketImportError(parsed.problems)
        now = utcnow()
        tickets = [
            Ticket(id=new_id(), event_id=ev.id, category_id=cats[r.category.lower()].id, code=r.code,
                   holder_name=r.name, holder_email=r.email, created_at=now)
            for r in parsed.rows
        ]
        session.add_all(tickets)
        session.flush()
        outbox.record(session, actor, "tickets.import", ev.id, {"tickets": [
            {"id": t.id, "code": t.code, "category_id": t.category_id, "holder_name": t.holder_name,
             "holder_email": t.holder_email} for t in tickets
        ]})
        by_category: dict[str, int] = {}
        for r in parsed.rows:
            by_category[r.category] = by_category.get(r.category, 0) + 1
        log.info("imported %d tickets into %s", len(tickets), ev.name)
        return ImportResult(event=ev.name, imported=len(tickets), by_category=by_category)


def add_imported(store: Store, actor: Actor, event_ref: str, tickets: list[ImportedTicket]) -> int:
    """Keep the tickets a station imported, with their ids (the server's ``tickets.import``).

    All or nothing again: a code the server already has under another id
    refuses the whole import with the codes that clash.
    """
    actor.require(Action.MANAGE_TICKETS)
    tickets = [_checked(t) for t in tickets]
    seen: dict[str, str] = {}
    for t in tickets:
        first = seen.get(code_key(t.code))
        if first is not None:
            raise ValidationError.single(
                "code", f"The import holds the code {first} twice ({first} and {t.code}; codes are the "
                        "same ignoring case); nothing was imported.")
        seen[code_key(t.code)] = t.code
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat_ids = set(session.scalars(select(Category.id).where(Category.event_id == ev.id)))
        existing = {code_key(code): (code, ticket_id) for code, ticket_id in
                    session.execute(select(Ticket.code, Ticket.id).where(Ticket.event_id == ev.id)).all()}
        # The same id is this import pushed again (a retry): kept once, not a clash.
        clashes = [existing[code_key(t.code)][0] for t in tickets
                   if code_key(t.code) in existing and existing[code_key(t.code)][1] != t.id]
        if clashes:
            raise ValidationError.single(
                "code", f"{len(clashes)} ticket code(s) already exist in {ev.name}: {', '.join(clashes[:5])}."
            )
        added = 0
        for t in tickets:
            if code_key(t.code) in existing:
                continue
            if t.category_id not in cat_ids:
                raise ValidationError.single("category", f"Ticket {t.code} has a category {ev.name} lacks.")
            session.add(Ticket(id=t.id, event_id=ev.id, category_id=t.category_id, code=t.code,
                               holder_name=t.holder_name, holder_email=t.holder_email))
            added += 1
        session.flush()
        return added


def _checked(ticket: ImportedTicket) -> ImportedTicket:
    """A pushed ticket held to the rules its file was: the same sentence, naming the ticket."""
    try:
        return ticket.model_copy(update={
            "code": validate_ticket_code(ticket.code),
            "holder_name": validate_holder_name(ticket.holder_name),
            "holder_email": validate_holder_email(ticket.holder_email),
        })
    except ValidationError as exc:
        problem = exc.problems[0]
        raise ValidationError.single(
            problem.field, f"Ticket {ticket.code.strip()[:64]!r}: {problem.message}") from None


# -- what this module's changes carry to the server (its outbox contracts) --------

class ImportedTicketIds(outbox.Payload):
    """The ids of one imported ticket (``ticket_import.ImportedTicket``), as the contract declares them."""

    id: New
    category_id: CategoryId


class TicketImportChange(outbox.Payload):
    tickets: list[ImportedTicketIds]


outbox.declare("tickets.import", TicketImportChange, Ref("events"))
