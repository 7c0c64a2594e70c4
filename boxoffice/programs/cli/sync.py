"""``boxoffice login`` and ``boxoffice sync``: this station and the central server."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any
from zoneinfo import ZoneInfo

import click

from boxoffice.errors import OrganizationChoiceError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.sync import client as sync_client
from boxoffice.sync.local import scope_notice, superseded, superseded_text
from boxoffice.sync.refused import refused_changes


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True)
    return value


@click.command()
@click.option("--server", "url", required=True, envvar="BOXOFFICE_SERVER",
              help="The central server, e.g. https://boxoffice.example.org")
@click.option("--email", required=True, help="Your e-mail (or the station's device account).")
@click.option("--station", help="This station's name, shown with its changes (e.g. 'Box office 2').")
@click.option("--organization", help="Which organization, when your e-mail is in several (its name or id).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def login(app: App, url: str, email: str, station: str | None, organization: str | None,
          password_stdin: bool) -> None:
    """Log this station in to the central server and fetch the organization's data."""
    try:
        outcome = sync_client.login(app.store, url, email, _password(password_stdin), station=station,
                                    organization=organization)
    except OrganizationChoiceError as exc:
        exc.message += " Give it with --organization."
        raise
    where = (
        f"The login is kept in {outcome.stored.place}."
        if outcome.stored.in_keyring
        else f"No system keyring was found, so the login is kept in {outcome.stored.place}, "
        "readable only by you. Anyone who can read it can act as you until it expires."
    )
    app.emit(
        {"server": outcome.login.url, "email": outcome.login.email, "role": outcome.role,
         "token_in_keyring": outcome.stored.in_keyring, "token_place": outcome.stored.place,
         "pulled": outcome.report.pulled},
        f"Logged in to {outcome.login.url} as {outcome.login.email} ({outcome.role}); "
        f"{outcome.report.pulled:,} rows fetched.\n{where}",
    )


@click.command()
@pass_app
def logout(app: App) -> None:
    """Forget this station's login (and end it on the server when reachable)."""
    gone = sync_client.logout(app.store)
    app.emit({"server": gone.url, "email": gone.email}, f"Logged out of {gone.url}.")


def _report_text(report: sync_client.SyncReport) -> str:
    p = report.pushed
    text = (f"Sent {p.applied + p.duplicate + p.rejected + p.follow_ons} changes"
            + (f" ({p.rejected} refused)" if p.rejected else "")
            + (f", {p.retry} to retry" if p.retry else "")
            + f"; received {report.pulled:,}.")
    if report.number_blocks:
        text += (f"\nReserved {report.number_blocks} block{'s' if report.number_blocks > 1 else ''} "
                 "of band numbers for encoding offline (boxoffice numbers list).")
    for item in report.superseded:
        text += f"\nwarning: {superseded_text(item)}"
    for notice in report.notices:
        text += f"\n{notice}"
    return text


@click.group(invoke_without_command=True)
@click.option("--once", "mode", flag_value="once", default=True, help="Sync now and stop (default).")
@click.option("--watch", "mode", flag_value="watch", help="Keep syncing until Ctrl+C.")
@pass_app
@click.pass_context
def sync(ctx: click.Context, app: App, mode: str) -> None:
    """Send this station's changes to the central server and fetch everyone else's."""
    if ctx.invoked_subcommand is not None:
        return
    with sync_client.SyncClient.from_store(app.store) as client:
        if mode == "once":
            report = client.sync_once()
            app.emit(
                {"pushed": report.pushed.__dict__, "pulled": report.pulled,
                 "superseded": report.superseded, "notices": report.notices,
                 "number_blocks": report.number_blocks},
                _report_text(report),
            )
            rejected = sync_client.rejected_entries(app.store)
            if report.pushed.rejected and rejected:
                click.echo("See the refused changes with: boxoffice sync status", err=True)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        last = [""]

        def show(status: sync_client.SyncStatus) -> None:
            line = status.describe()
            if line != last[0] and not app.json:
                click.echo(line, err=True)
                last[0] = line

        click.echo(f"Syncing with {client.login.url}; Ctrl+C stops.", err=True)
        try:
            client.run(stop, on_status=show)
        except KeyboardInterrupt:
            stop.set()
        click.echo("Stopped.", err=True)


@sync.command("status")
@pass_app
def status(app: App) -> None:
    """Online or not, what is waiting, and the changes the server refused."""
    st = sync_client.sync_status(app.store)
    rejected = sync_client.rejected_entries(app.store)
    words = {c.id: c for c in refused_changes(app.store)}
    gave_way = superseded(app.store)
    removed_for_role = scope_notice(app.store)
    tz = ZoneInfo(st.zone)
    data: dict[str, Any] = {
        "server": st.server, "online": st.online, "checked_at": st.last_attempt,
        "queue_depth": st.queue_depth,
        "oldest_unsent": st.oldest_unsent, "oldest_unsent_age_seconds": st.oldest_unsent_age(),
        "last_success": st.last_success, "last_error": st.last_error, "timezone": st.zone,
        "rejected": [
            {"id": e.id, "kind": e.kind, "entity_id": e.entity_id, "made_at": e.created_at,
             "what": words[e.id].what if e.id in words else e.kind,
             "subject": words[e.id].subject if e.id in words else "", "reason": e.error} for e in rejected
        ],
        "superseded": [{**item, "text": superseded_text(item)} for item in gave_way],
        "removed_for_role": removed_for_role,
    }
    lines = [st.describe()]
    if removed_for_role:
        lines.append(removed_for_role)
    if rejected:
        lines.append(f"Refused by the server (times in {st.zone}):")
        for e in rejected:
            change = words.get(e.id)
            what = f"{change.what} {change.subject}".strip() if change else e.kind
            lines.append(f"  {e.created_at.astimezone(tz):%Y-%m-%d %H:%M}  {what}: {e.error}")
    if gave_way:
        lines.append("Local rows replaced by the server's:")
        lines += [f"  {superseded_text(i)}" for i in gave_way]
    app.emit(data, "\n".join(lines))
