"""What a report is, before it is laid out: plain tables, facts and charts.

Every report builder returns a :class:`Report`; the PDF writer and the CSV export both read only
this, so a figure in the PDF and in its CSV come from the same cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from boxoffice.domain.money import Money


class Blank:
    """A cell left for a person to fill in by hand (a counted amount): a line in the PDF, empty in the CSV."""

    def __repr__(self) -> str:
        return "BLANK"


BLANK = Blank()

# A Money cell prints as "EUR 12.50"; its CSV column is the bare amount with a currency column beside it.
Cell = str | int | float | Money | Blank | None


@dataclass
class Table:
    """One table; ``name`` is its CSV file's stem, ``title`` its heading in the PDF."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    # Columns drawn right-aligned (counts, percentages).
    numeric: frozenset[int] = frozenset()
    # The last row is a total (the last ``total_rows`` rows: one per currency): drawn bold.
    has_total: bool = False
    total_rows: int = 1
    # Columns of amounts (Money cells) even where a row leaves them blank: the CSV's shape stays the same.
    money: frozenset[int] = frozenset()
    note: str = ""


@dataclass
class Facts:
    """A short block of label: value lines (the series' window, capacity, totals)."""

    title: str
    items: list[tuple[str, str]]


@dataclass
class BarChart:
    """Counts per hour (``labels``) for several series of bars (one per gate), with both axes titled."""

    title: str
    labels: list[str]
    series: list[tuple[str, list[int]]]
    x_title: str = ""
    y_title: str = ""
    # Said instead of the chart when there is nothing to draw.
    empty: str = "No tap was recorded, so there is nothing to chart."


@dataclass
class Heading:
    text: str


Block = Table | Facts | BarChart | Heading


@dataclass
class Report:
    kind: str
    title: str
    # What it covers, in words: "Day 1 of Summer Fest".
    scope: str
    timezone: str
    generated_at: datetime
    blocks: list[Block] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
