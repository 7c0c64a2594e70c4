"""A table flowable that splits across any number of pages in linear time, header repeated on each.

reportlab's own ``Table`` rebuilds the whole remainder at every page break, which is quadratic in
the rows: minutes for a 100,000-row table. This one keeps the rows in one list and an offset, wraps
cell text itself (through :mod:`boxoffice.reports.fonts`, so every script renders), and draws only
the rows of the page it is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import Flowable

from boxoffice.domain.money import Money
from boxoffice.reports import fonts
from boxoffice.reports.model import Blank, Cell, Table

SIZE = 7.5
LEADING = 9.2
PAD = 2.5
HEADER_BG = colors.HexColor("#2f4858")
ZEBRA = colors.HexColor("#f1f4f6")
RULE = colors.HexColor("#c5ced4")
# The widest glyph of the fonts is about one em: text shorter than this many ems needs no measuring.
MAX_ADVANCE = 1.0


def cell_text(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, Blank):
        return "_" * 18
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


@lru_cache(maxsize=8192)
def wrap_text(text: str, width: float, base: str = fonts.REGULAR) -> tuple[str, ...]:
    """Greedy line breaking at spaces; a word wider than the column (a CJK name) breaks between characters.

    Cached: a column repeats the same station, reason or status row after row.
    """
    if len(text) * SIZE * MAX_ADVANCE <= width and "\n" not in text:
        return (text,)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if fonts.string_width(candidate, SIZE, base) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:
                if fonts.string_width(line + ch, SIZE, base) > width and line:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
    return tuple(lines)


def column_widths(table: Table, avail: float, sample: int = 300) -> list[float]:
    """Widths proportional to each column's widest text in the header and the first rows, fitted to
    ``avail``.

    A column shrunk to fit keeps at least its longest word, in the header and in its cells (a reason
    code such as ``already_encoded`` or a UID is never broken in two), unless the page is too narrow
    for every column's longest word; then only the header's words are kept whole.
    """
    natural: list[tuple[float, float, float]] = []
    rows = table.rows[:sample]
    word_cap = avail * 0.3  # a longer "word" (a CJK name, a URL) may still break
    for i, name in enumerate(table.columns):
        header_word = max(fonts.string_width(w, SIZE, fonts.BOLD) for w in name.split(" ") or [""])
        texts = [cell_text(r[i]) for r in rows]
        cell_word = max([0.0] + [min(fonts.string_width(w, SIZE), word_cap)
                                 for text in texts for w in text.split()])
        # Total rows are drawn bold, so wider.
        totals = [cell_text(r[i]) for r in table.rows[len(table.rows) - table.total_rows:]] \
            if table.has_total else []
        widest = max([fonts.string_width(name, SIZE, fonts.BOLD)]
                     + [fonts.string_width(text, SIZE) for text in texts]
                     + [fonts.string_width(text, SIZE, fonts.BOLD) for text in totals])
        natural.append((max(widest, 18.0) + 2 * PAD, max(header_word, cell_word) + 2 * PAD,
                        header_word + 2 * PAD))
    total = sum(n for n, _, _ in natural)
    if total <= avail:
        return [n * avail / total if total > avail * 0.75 else n for n, _, _ in natural]
    # Too wide: shrink the wide columns, never below their longest word.
    floors = [m for _, m, _ in natural]
    if sum(floors) > avail:
        floors = [h for _, _, h in natural]
    spare = max(avail - sum(floors), 0.0)
    over = sum(n - m for (n, _, _), m in zip(natural, floors, strict=True)) or 1.0
    return [m + (n - m) * spare / over for (n, _, _), m in zip(natural, floors, strict=True)]


class PagedTable(Flowable):
    """Rows ``start:end`` of ``table``, header on top; ``split`` hands the rest to a new PagedTable.

    Row heights and wrapped lines are shared between the pieces, so each row is measured once.
    """

    def __init__(self, table: Table, widths: Sequence[float] | None = None, start: int = 0,
                 end: int | None = None, cache: dict[int, list[tuple[str, ...]]] | None = None) -> None:
        super().__init__()
        self.table = table
        self.widths = list(widths) if widths is not None else None
        self.start = start
        self.end = len(table.rows) if end is None else end
        self._lines: dict[int, list[tuple[str, ...]]] = cache if cache is not None else {}
        self._count = 0

    def _ensure_widths(self, avail: float) -> list[float]:
        if self.widths is None:
            self.widths = column_widths(self.table, avail)
        return self.widths

    def _row_lines(self, index: int) -> list[tuple[str, ...]]:
        lines = self._lines.get(index)
        if lines is None:
            assert self.widths is not None
            row = self.table.rows[index]
            lines = [wrap_text(cell_text(v), w - 2 * PAD) for v, w in zip(row, self.widths, strict=True)]
            self._lines[index] = lines
        return lines

    def _row_height(self, index: int) -> float:
        return max(len(c) for c in self._row_lines(index)) * LEADING + 2 * PAD

    def _header_lines(self) -> list[tuple[str, ...]]:
        assert self.widths is not None
        return [wrap_text(c, w - 2 * PAD, fonts.BOLD)
                for c, w in zip(self.table.columns, self.widths, strict=True)]

    def _header_height(self) -> float:
        return max(len(c) for c in self._header_lines()) * LEADING + 2 * PAD

    def _fit(self, avail_height: float) -> tuple[int, float]:
        """How many rows from ``start`` fit under the header in ``avail_height``, and the height used."""
        used = self._header_height()
        n = 0
        for i in range(self.start, self.end):
            h = self._row_height(i)
            if used + h > avail_height:
                break
            used += h
            n += 1
        return n, used

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        widths = self._ensure_widths(availWidth)
        self._count, height = self._fit(availHeight)
        if self._count < self.end - self.start:
            # Asking for more than there is room for makes the frame call split().
            height = availHeight + 1
        self.width, self.height = sum(widths), height
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self._ensure_widths(availWidth)
        n, _ = self._fit(availHeight)
        if n == 0:
            return []  # not even one row fits: the frame moves the whole table to the next page
        middle = self.start + n
        return [PagedTable(self.table, self.widths, self.start, middle, self._lines),
                PagedTable(self.table, self.widths, middle, self.end, self._lines)]

    def draw(self) -> None:
        assert self.widths is not None
        canvas = self.canv
        y = self.height
        total_width = sum(self.widths)
        hh = self._header_height()
        canvas.setFillColor(HEADER_BG)
        canvas.rect(0, y - hh, total_width, hh, stroke=0, fill=1)
        # Backgrounds and rules first, then every cell's text in one text object.
        last = len(self.table.rows) - 1
        rows: list[tuple[int, float, bool]] = []
        top = y - hh
        for i in range(self.start, self.start + self._count):
            h = self._row_height(i)
            total = self.table.has_total and i > last - self.table.total_rows
            if i % 2 == 1 and not total:
                canvas.setFillColor(ZEBRA)
                canvas.rect(0, top - h, total_width, h, stroke=0, fill=1)
            if total:
                canvas.setStrokeColor(colors.black)
                canvas.setLineWidth(0.8)
                canvas.line(0, top, total_width, top)
            rows.append((i, top, total))
            top -= h
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(0, top, total_width, top)
        text = canvas.beginText()
        text.setFillColor(colors.white)
        self._write_cells(text, self._header_lines(), y, fonts.BOLD, header=True)
        text.setFillColor(colors.black)
        for i, row_top, total in rows:
            self._write_cells(text, self._row_lines(i), row_top, fonts.BOLD if total else fonts.REGULAR)
        canvas.drawText(text)

    def _write_cells(self, text: PDFTextObject, cells: list[tuple[str, ...]], top: float, base: str,
                     header: bool = False) -> None:
        assert self.widths is not None
        x = 0.0
        for col, (lines, w) in enumerate(zip(cells, self.widths, strict=True)):
            right = col in self.table.numeric and not header
            for k, line in enumerate(lines):
                if not line:
                    continue
                baseline = top - PAD - SIZE - k * LEADING + 1
                if right:
                    fonts.write_runs(text, x + w - PAD, baseline, line, SIZE, base, anchor="end")
                else:
                    fonts.write_runs(text, x + PAD, baseline, line, SIZE, base)
            x += w
