"""``boxoffice gui``: the desktop window, found by the core's command line through an entry point."""

from __future__ import annotations

from pathlib import Path

import click

from boxoffice.cli.app import App, pass_app


@click.command()
@click.option("--screenshot", "screenshot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save a PNG of every page into this folder, then quit.")
@pass_app
def gui(app: App, screenshot_dir: Path | None) -> None:
    """Open the desktop window (also what plain `boxoffice` does)."""
    from ui.app import offscreen_default, run_gui

    if screenshot_dir is not None:
        offscreen_default()
    code = run_gui(app.db, app.as_email, screenshot_dir)
    if code:
        raise SystemExit(code)
