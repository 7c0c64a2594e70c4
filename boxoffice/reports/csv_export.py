"""CSV export: one file per table of a report, named after the report and the table.

UTF-8 with a byte-order mark, because that is what makes a spreadsheet program on Windows read
Zoë and 東京 correctly; numbers are written bare (no thousands separators) so they stay numbers.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from boxoffice.errors import BoxOfficeError
from boxoffice.reports.model import Report

log = logging.getLogger(__name__)


class ExportError(BoxOfficeError):
    code = "export"


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
                writer = csv.writer(handle)
                writer.writerow(table.columns)
                writer.writerows(["" if v is None else v for v in row] for row in table.rows)
        except OSError as exc:
            raise ExportError(f"Could not write {path}: {exc.strerror}.") from exc
        written.append(path)
    log.info("wrote %d CSV files to %s", len(written), folder)
    return written
