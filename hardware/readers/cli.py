"""``boxoffice reader``: what is attached, and whether a given reader works.

Plugged into the ``boxoffice`` command through the ``boxoffice.commands``
entry point, because the core may not import this package. nfcpy and
pyscard are imported inside the commands, so every other ``boxoffice``
command starts without them.
"""

from __future__ import annotations

import json
import threading

import click


def _want_json(ctx: click.Context, flag: bool) -> bool:
    """``boxoffice --json reader list`` and ``boxoffice reader list --json`` both work."""
    parent = ctx.find_root().obj
    return flag or bool(getattr(parent, "json", False))


@click.group()
def reader() -> None:
    """NFC readers: list what is attached and check one."""


@reader.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def reader_list(ctx: click.Context, as_json: bool) -> None:
    """Show the readers this station can use, and for the others why not and the fix."""
    from hardware.readers.diagnose import report

    found = report()
    if _want_json(ctx, as_json):
        click.echo(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
        return
    click.echo("Readers:")
    width = max(len(f.path or "-") for f in found.readers)
    for finding in found.readers:
        state = "ready" if finding.ready else "cannot be used"
        where = f" ({finding.where})" if finding.where else ""
        click.echo(f"  {finding.path or '-':<{width}}  {finding.name}{where}: {state}")
        if finding.problem:
            click.echo(f"  {'':<{width}}    {finding.problem}")
        if finding.fix:
            click.echo(f"  {'':<{width}}    fix: {finding.fix}")
    for note in found.notes:
        click.echo(f"Note: {note}")


@reader.command("check")
@click.argument("path")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0, 600), default=3.0, show_default=True,
              help="Seconds to wait for a tag on the reader.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def reader_check(ctx: click.Context, path: str, wait_seconds: float, as_json: bool) -> None:
    """Open the reader at PATH and say what tag is on it (sim, pcsc, usb[:VID:PID], tty:…, udp:HOST:PORT)."""
    from hardware.readers.paths import reader_for

    device = reader_for(path)  # a ReaderPathError is printed by boxoffice as one sentence
    cancel = threading.Event()
    with device:
        session = device.wait_for_tag(cancel, timeout=wait_seconds)
        if session is None:
            result = {"reader": device.name, "ready": True, "tag": None}
            human = f"{device.name}: ready; no tag within {wait_seconds:g} s."
        else:
            with session:
                result = {
                    "reader": device.name,
                    "ready": True,
                    "tag": {"uid": session.uid.hex().upper(), "kind": session.kind.value,
                            "wristband": session.is_wristband, "description": session.description},
                }
                what = "a wristband" if session.is_wristband else "not a wristband"
                human = (f"{device.name}: ready; {session.description} ({what}), "
                         f"UID {session.uid.hex().upper()}.")
    if _want_json(ctx, as_json):
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(human)
