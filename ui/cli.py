"""``boxoffice gui``: the desktop window, found by the core's command line through an entry point."""

from __future__ import annotations

from pathlib import Path

import click

from boxoffice.cli.app import App, pass_app


@click.command()
@click.option("--screenshot", "screenshot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save a PNG of every page into this folder, then quit.")
@click.option("--exit-when-ready", is_flag=True, hidden=True,
              help="Print 'ready' once the first page has loaded, then quit (the start-up benchmark).")
@pass_app
def gui(app: App, screenshot_dir: Path | None, exit_when_ready: bool) -> None:
    """Open the desktop window (also what plain `boxoffice` does)."""
    from ui.app import offscreen_default, run_gui

    if screenshot_dir is not None or exit_when_ready:
        offscreen_default()
    code = run_gui(app.db, app.as_email, screenshot_dir, exit_when_ready=exit_when_ready)
    if code:
        raise SystemExit(code)
