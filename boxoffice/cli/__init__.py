"""``boxoffice``: the command line over the core services.

Errors of input or environment (``BoxOfficeError``) are printed as one
sentence on stderr with exit status 1; anything else is a bug and keeps its
traceback. ``--json`` makes every command print machine-readable output.
"""

from __future__ import annotations

import json
import logging
import sys

import click

from boxoffice import __version__
from boxoffice.cli.app import App, env_db
from boxoffice.cli.bands import band, keys, lookup_cmd
from boxoffice.cli.db import db
from boxoffice.cli.demo import demo
from boxoffice.cli.events import category, event, gate
from boxoffice.cli.gates import checkin, metrics
from boxoffice.cli.members import member, org
from boxoffice.cli.series import series
from boxoffice.cli.server import server
from boxoffice.cli.sync import login, logout, sync
from boxoffice.cli.ticket_import import tickets
from boxoffice.errors import BoxOfficeError, ValidationError

log = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="boxoffice")
@click.option(
    "--db",
    default=env_db,
    show_default="the user data directory, or $BOXOFFICE_DB",
    help="Database file (or SQLAlchemy URL).",
)
@click.option("--as", "as_email", envvar="BOXOFFICE_AS", help="Act as this member (e-mail).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, db: str, as_email: str | None, as_json: bool, verbose: int) -> None:
    """Box office: wristbands, event series and gates for festivals."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app = App(db=db, as_email=as_email, json=as_json)
    ctx.obj = app
    ctx.call_on_close(app.close)


for command in (db, org, member, event, gate, category, series, metrics, checkin, demo, server,
                login, logout, sync, lookup_cmd, band, keys, tickets):
    cli.add_command(command)


def _add_plugin_commands() -> None:
    """Commands from layers the core may not import (``hardware``) arrive through entry points.

    Called from ``main`` rather than at import, so importing the core never loads those layers.
    """
    from importlib.metadata import entry_points

    for entry in entry_points(group="boxoffice.commands"):
        try:
            cli.add_command(entry.load(), entry.name)
        except Exception:  # one broken plugin must not take every other command down
            log.warning("The %r command (%s) could not be loaded", entry.name, entry.value, exc_info=True)


def _report(error: BoxOfficeError, as_json: bool) -> None:
    if as_json:
        body: dict[str, object] = {"error": error.code, "message": error.message}
        if isinstance(error, ValidationError):
            body["problems"] = [{"field": p.field, "message": p.message} for p in error.problems]
        click.echo(json.dumps(body, ensure_ascii=False), err=True)
    else:
        click.echo(f"error: {error.message}", err=True)


def main(argv: list[str] | None = None) -> None:
    _add_plugin_commands()
    args = sys.argv[1:] if argv is None else argv
    if not args and "gui" in cli.commands:
        # Plain `boxoffice` is what a desktop shortcut runs: open the window.
        args = ["gui"]
    try:
        status = cli.main(args=args, prog_name="boxoffice", standalone_mode=False)
    except BoxOfficeError as error:
        _report(error, "--json" in args)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    # Without standalone mode click hands back the status of ctx.exit(N) instead of exiting.
    if isinstance(status, int) and status:
        sys.exit(status)
