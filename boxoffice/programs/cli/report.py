"""``boxoffice report KIND --out FILE.pdf [--csv DIR]``: the reports managers print."""

from __future__ import annotations

from pathlib import Path

import click

from boxoffice.programs.cli.app import App, pass_app
from boxoffice.reports.build import build_report
from boxoffice.reports.csv_export import write_csv
from boxoffice.reports.kinds import ReportKind
from boxoffice.reports.pdf import render_pdf


@click.command()
@click.argument("kind", type=click.Choice([k.value for k in ReportKind]))
@click.option("--series", "series_ref",
              help="Series name or id (the series report; narrows the gates report).")
@click.option("--event", "event_ref", help="Event name or id (event, gates and reconciliation reports).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF file to write.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write every table as a CSV file into this folder.")
@pass_app
def report(app: App, kind: str, series_ref: str | None, event_ref: str | None, out: Path,
           csv_dir: Path | None) -> None:
    """Write a PDF report: series, event, gates, reconciliation (box office) or conflicts (sync)."""
    built = build_report(app.store, app.actor, kind, series=series_ref, event=event_ref)
    pages = render_pdf(built, out)
    files = write_csv(built, csv_dir) if csv_dir is not None else []
    lines = [f"{built.title}: {pages} page{'s' if pages != 1 else ''} written to {out}"]
    lines += [f"  {f}" for f in files]
    app.emit({"kind": kind, "title": built.title, "pdf": str(out), "pages": pages,
              "csv": [str(f) for f in files]}, "\n".join(lines))


__all__ = ["report"]
