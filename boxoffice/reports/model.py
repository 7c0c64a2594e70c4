"""What a report is, before it is laid out: plain tables, facts and charts.

Every report builder returns a :class:`Report`; the PDF writer and the CSV export both read only
this, so a figure in the PDF and in its CSV come from the same cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

Cell = str | int | float | None


@dataclass
class Table:
    """One table; ``name`` is its CSV file's stem, ``title`` its heading in the PDF."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    # Columns drawn right-aligned (counts, percentages).
    numeric: frozenset[int] = frozenset()
    # The last row is a total: drawn bold.
    has_total: bool = False
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
