"""``boxoffice gui``: the desktop window, found by the core's command line through an entry point."""

from __future__ import annotations

from pathlib import Path

import click

from boxoffice.programs.cli.app import App, pass_app


def parse_sizes(values: tuple[str, ...]) -> list[tuple[int, int]]:
    """``("1920x1080",)`` to ``[(1920, 1080)]``; a usage error for anything else."""
    sizes = []
    for value in values:
        width, sep, height = value.lower().partition("x")
        if not (sep and width.isdigit() and height.isdigit() and 320 <= int(width) <= 7680
                and 240 <= int(height) <= 4320):
            raise click.BadParameter(f"{value!r} is not a window size such as 1920x1080.")
        sizes.append((int(width), int(height)))
    return sizes


@click.command()
@click.option("--screenshot", "screenshot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save a PNG of every page into this folder, then quit.")
@click.option("--size", "sizes", multiple=True, metavar="WxH", callback=lambda _c, _p, v: parse_sizes(v),
              help="With --screenshot: the window size, e.g. 1920x1080; repeat for several "
                   "(default 1280x800). Files at a second size end in -WxH.png.")
@click.option("--exit-when-ready", is_flag=True, hidden=True,
              help="Print 'ready' once the first page has loaded, then quit (the start-up benchmark).")
@pass_app
def gui(app: App, screenshot_dir: Path | None, sizes: list[tuple[int, int]], exit_when_ready: bool) -> None:
    """Open the desktop window (also what plain `boxoffice` does)."""
    from ui.app import SCREENSHOT_SIZE, offscreen_default, run_gui

    if screenshot_dir is not None or exit_when_ready:
        offscreen_default()
    code = run_gui(app.db, app.as_email, screenshot_dir, exit_when_ready=exit_when_ready,
                   screenshot_sizes=sizes or [SCREENSHOT_SIZE])
    if code:
        raise SystemExit(code)
