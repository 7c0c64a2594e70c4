"""``boxoffice report KIND --out FILE.pdf|FILE.csv [--csv DIR]``: the reports managers print.

The cash-up and the sales report cover a time range (``--from``/``--to``, in the event's time zone;
by default from the event's first sale until now); the cash-up compares the drawer with a count
typed in (``--counted EUR=123.45``, once per currency) and may cover one ``--station``. Everything
is read and checked before a file is written, so a bad option leaves no file behind.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.cli.timeparse import parse_local
from boxoffice.reports.build import build_report
from boxoffice.reports.cashup import parse_counted
from boxoffice.reports.csv_export import write_csv, write_csv_file
from boxoffice.reports.kinds import ReportKind
from boxoffice.reports.pdf import render_pdf
from boxoffice.services import refs

RANGED = (ReportKind.CASHUP.value, ReportKind.SALES.value)


def _range(app: App, kind: str, event_ref: str | None, start: str | None,
           end: str | None) -> tuple[datetime | None, datetime | None]:
    if start is None and end is None:
        return None, None
    if kind not in RANGED:
        raise ValidationError.single("from", f"The {kind} report covers no time range; leave out --from and "
                                             "--to.")
    if event_ref is None:
        raise ValidationError.single("event", "Say which event the report is for (--event).")
    with app.store.read() as session:
        tz = ZoneInfo(refs.event(session, app.actor, event_ref).timezone)
    return (parse_local("from", start, tz) if start is not None else None,
            parse_local("to", end, tz) if end is not None else None)


@click.command()
@click.argument("kind", type=click.Choice([k.value for k in ReportKind]))
@click.option("--series", "series_ref",
              help="Series name or id (the series report; narrows the gates report).")
@click.option("--event", "event_ref",
              help="Event name or id (event, gates, reconciliation, cash-up and sales reports).")
@click.option("--from", "start",
              help="Cash-up and sales: from this time (event's local time: 2026-07-03 10:00).")
@click.option("--to", "end", help="Cash-up and sales: until this time (default: now).")
@click.option("--counted", multiple=True,
              help="Cash-up: the cash counted in the drawer, like EUR=123.45 (once per currency).")
@click.option("--station", help="Cash-up: only this station's sales (one drawer).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: a PDF, or every table in one CSV file when it ends in .csv.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write every table as a CSV file into this folder.")
@pass_app
def report(app: App, kind: str, series_ref: str | None, event_ref: str | None, start: str | None,
           end: str | None, counted: tuple[str, ...], station: str | None, out: Path,
           csv_dir: Path | None) -> None:
    """Write a report: series, event, gates, reconciliation (box office), conflicts (sync), cashup, sales."""
    if (counted or station) and kind != ReportKind.CASHUP.value:
        raise ValidationError.single("counted", "--counted and --station are for the cash-up report.")
    amounts = parse_counted(counted)
    begin, finish = _range(app, kind, event_ref, start, end)
    built = build_report(app.store, app.actor, kind, series=series_ref, event=event_ref, start=begin,
                         end=finish, counted=amounts, station=station)
    if out.suffix.lower() == ".csv":
        write_csv_file(built, out)
        pages = 0
        lines = [f"{built.title}: {len(built.tables)} tables written to {out}"]
    else:
        pages = render_pdf(built, out)
        lines = [f"{built.title}: {pages} page{'s' if pages != 1 else ''} written to {out}"]
    files = write_csv(built, csv_dir) if csv_dir is not None else []
    lines += [f"  {f}" for f in files]
    app.emit({"kind": kind, "title": built.title, "pdf": None if pages == 0 else str(out),
              "csv_file": str(out) if pages == 0 else None, "pages": pages,
              "csv": [str(f) for f in files]}, "\n".join(lines))


__all__ = ["report"]
