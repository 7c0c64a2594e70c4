"""CSV export: one file per table of a report, named after the report and the table, or one file for all.

UTF-8 with a byte-order mark, because that is what makes a spreadsheet program on Windows read
Zoë and 東京 correctly; numbers are written bare (no thousands separators) so they stay numbers.
An amount of money (a :class:`~boxoffice.domain.money.Money` cell, "EUR 12.50" in the PDF) is
written as its bare amount ("12.50") with a column "<name> currency" beside it.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from boxoffice.domain.money import Money, plain_amount
from boxoffice.errors import BoxOfficeError
from boxoffice.reports.model import Blank, Cell, Report, Table

log = logging.getLogger(__name__)


class ExportError(BoxOfficeError):
    code = "export"


def _money_columns(table: Table) -> set[int]:
    return set(table.money) | {i for row in table.rows for i, v in enumerate(row) if isinstance(v, Money)}


def _value(value: Cell) -> Any:
    if value is None or isinstance(value, Blank):
        return ""
    if isinstance(value, Money):
        return plain_amount(value.minor)
    return value


def table_rows(table: Table) -> Iterator[Sequence[Any]]:
    """The header and the rows of ``table`` as CSV cells (money split into amount and currency)."""
    money = _money_columns(table)
    header: list[str] = []
    for i, name in enumerate(table.columns):
        header += [name, f"{name} currency"] if i in money else [name]
    yield header
    for row in table.rows:
        cells: list[Any] = []
        for i, value in enumerate(row):
            cells.append(_value(value))
            if i in money:
                cells.append(value.currency if isinstance(value, Money) else "")
        yield cells


def write_csv(report: Report, directory: str | Path) -> list[Path]:
    """Write every table of ``report`` to ``directory`` (made if missing); returns the files."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Could not make the folder {folder} for the CSV files: {exc.strerror}.") from exc
    written: list[Path] = []
    for table in report.tables:
        path = folder / f"{report.kind}-{table.name}.csv"
        try:
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerows(table_rows(table))
        except OSError as exc:
            raise ExportError(f"Could not write {path}: {exc.strerror}.") from exc
        written.append(path)
    log.info("wrote %d CSV files to %s", len(written), folder)
    return written


def write_csv_file(report: Report, path: str | Path) -> Path:
    """Every table of ``report`` in one CSV file: each table's title on a row of its own, then its
    header and rows, a blank row between tables (what ``boxoffice report … --out FILE.csv`` writes)."""
    target = Path(path)
    try:
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            for n, table in enumerate(report.tables):
                if n:
                    writer.writerow([])
                writer.writerow([table.title])
                writer.writerows(table_rows(table))
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise ExportError(f"Could not write {target}: {exc.strerror or exc}.") from exc
    log.info("wrote %s (%d tables)", target, len(report.tables))
    return target


def read_csv_file(path: str | Path) -> dict[str, list[list[str]]]:
    """A file written by :func:`write_csv_file` back as {table title: [header, *rows]}."""
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if not row:
                current = None
            elif current is None:
                current = tables.setdefault(row[0], [])
            else:
                current.append(row)
    return tables
