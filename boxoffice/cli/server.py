from __future__ import annotations

import logging

import click

from boxoffice.cli.app import App, pass_app

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@pass_app
def server(app: App, host: str, port: int, workers: int) -> None:
    """Run the central server on this database (--db: a file, or a postgresql+psycopg:// URL)."""
    import uvicorn

    from boxoffice.server.app import create_app

    store = app.store  # migrates before the first request
    click.echo(f"Box office server on http://{host}:{port} with {store.display_name}", err=True)
    uvicorn.run(create_app(store), host=host, port=port, workers=workers, log_level="warning")
