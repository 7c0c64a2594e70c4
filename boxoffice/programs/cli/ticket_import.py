"""``boxoffice tickets import``: a ticketing system's CSV export into an event's tickets."""

from __future__ import annotations

from pathlib import Path

import click

from boxoffice.errors import ImportFileError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.services import ticket_import as svc


@click.group()
def tickets() -> None:
    """Tickets of an event."""


def _problems_text(preview: svc.ImportPreview) -> list[str]:
    return [f"  row {p.row}" + (f", column {p.column}" if p.column else "") + f": {p.message}"
            for p in preview.problems]


@tickets.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event", "event_ref", required=True, help="Event name or id.")
@click.option("--map", "mapping",
              help="Which column is which: code=Order,name=Name,category=Type,email=Mail.")
@click.option("--dry-run", is_flag=True, help="Only show the first rows as read and every problem.")
@pass_app
def tickets_import(app: App, file: Path, event_ref: str, mapping: str | None, dry_run: bool) -> None:
    """Import tickets from a CSV file: all of them, or none when the file has a problem."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{file} cannot be read: {exc.strerror or exc}.") from None
    columns = svc.parse_mapping(mapping)
    if dry_run:
        preview = svc.preview_import(app.store, app.actor, event_ref, data, columns)
        lines = [f"{preview.total:,} tickets in {file.name}; columns: "
                 + ", ".join(f"{k}={v}" for k, v in preview.columns.items())]
        lines += [f"  row {r.row}: {r.code}  {r.category}  {r.name or ''}  {r.email or ''}".rstrip()
                  for r in preview.rows]
        if preview.problems:
            lines.append(f"{len(preview.problems)} problem(s); nothing would be imported:")
            lines += _problems_text(preview)
        else:
            lines.append("No problems: run again without --dry-run to import.")
        app.emit(preview, "\n".join(lines))
        if preview.problems:
            raise click.exceptions.Exit(1)
        return
    result = svc.import_tickets(app.store, app.actor, event_ref, data, columns)
    per = ", ".join(f"{n:,} {c}" for c, n in sorted(result.by_category.items()))
    app.emit(result, f"Imported {result.imported:,} tickets into {result.event} ({per}).")


__all__ = ["tickets"]
