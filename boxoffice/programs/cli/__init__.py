"""``boxoffice``: the command line over the core services.

Errors of input or environment (``BoxOfficeError``) are printed as one
sentence on stderr with exit status 1; anything else is a bug and keeps its
traceback. ``--json`` makes every command print machine-readable output.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from typing import Any

import click

from boxoffice import __version__
from boxoffice.errors import BoxOfficeError, ValidationError
from boxoffice.programs.cli.app import App, env_db

log = logging.getLogger(__name__)

#: ``boxoffice --self-test``: what a bundle's build script and a support person run first.
SELF_TEST_FLAG = "--self-test"


# Each command's module, imported only when the command runs (or --help lists them): the desktop
# window (`boxoffice` alone) then starts without importing the server, Alembic or argon2.
COMMANDS: dict[str, str] = {
    "db": "boxoffice.programs.cli.db:db",
    "org": "boxoffice.programs.cli.members:org",
    "member": "boxoffice.programs.cli.members:member",
    "event": "boxoffice.programs.cli.events:event",
    "gate": "boxoffice.programs.cli.events:gate",
    "category": "boxoffice.programs.cli.events:category",
    "series": "boxoffice.programs.cli.series:series",
    "metrics": "boxoffice.programs.cli.gates:metrics",
    "checkin": "boxoffice.programs.cli.gates:checkin",
    "gate-sim": "boxoffice.programs.cli.gate_sim:gate_sim",
    "server": "boxoffice.programs.cli.server:server",
    "login": "boxoffice.programs.cli.sync:login",
    "logout": "boxoffice.programs.cli.sync:logout",
    "sync": "boxoffice.programs.cli.sync:sync",
    "lookup": "boxoffice.programs.cli.bands:lookup_cmd",
    "band": "boxoffice.programs.cli.bands:band",
    "keys": "boxoffice.programs.cli.bands:keys",
    "numbers": "boxoffice.programs.cli.numbers:numbers",
    "tickets": "boxoffice.programs.cli.ticket_import:tickets",
    "report": "boxoffice.programs.cli.report:report",
    "products": "boxoffice.programs.cli.sales:products",
    "sell": "boxoffice.programs.cli.sales:sell",
    "refund": "boxoffice.programs.cli.refunds:refund",
    "waitlist": "boxoffice.programs.cli.refunds:waitlist_group",
}


class LazyGroup(click.Group):
    """A group whose subcommands are ``module:attribute`` strings, imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module_name, _, attr = self.lazy[cmd_name].partition(":")
            try:
                command = getattr(importlib.import_module(module_name), attr)
            except Exception:  # one broken command (a plugin) must not take every other one down
                log.warning("The %r command (%s) could not be loaded", cmd_name, self.lazy[cmd_name],
                            exc_info=True)
                return None
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    """Box office: wristbands, event series and gates for festivals.

    `boxoffice --self-test` checks this installation (Qt, database, a simulated band, a PDF).
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app = App(db=db, as_email=as_email, json=as_json)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _add_plugin_commands() -> None:
    """Commands from layers the core may not import (``hardware``, ``ui``) arrive through entry points.

    Called from ``main`` rather than at import, so importing the core never loads those layers;
    like the core's own commands, each is imported only when it runs.
    """
    from importlib.metadata import entry_points

    assert isinstance(cli, LazyGroup)
    for entry in entry_points(group="boxoffice.commands"):
        cli.lazy.setdefault(entry.name, entry.value)


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
    args = list(sys.argv[1:] if argv is None else argv)
    if not args and "gui" in cli.lazy:
        # Plain `boxoffice` is what a desktop shortcut runs: open the window.
        args = ["gui"]
    elif args[:1] == [SELF_TEST_FLAG]:
        # The packaging convention (`app --self-test`) for the `self-test` command, which lives in ui/
        # (it needs Qt): mapped here by name, so the core still imports no Qt.
        args[0] = "self-test"
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
