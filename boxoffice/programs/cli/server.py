from __future__ import annotations

import logging
import os

import click

from boxoffice.programs.cli.app import App, pass_app

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Serve HTTPS with this certificate (PEM, with its chain): phones read NFC only on HTTPS.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The certificate's private key (PEM).")
@pass_app
def server(app: App, host: str, port: int, workers: int, certfile: str | None, keyfile: str | None) -> None:
    """Run the central server on this database (--db: a file, or a postgresql+psycopg:// URL).

    The gate scanner page is served at /scanner/. A phone's browser reads NFC only on an HTTPS page:
    give --certfile and --keyfile, or put the server behind a reverse proxy that serves HTTPS.
    """
    import uvicorn

    from boxoffice import cache_bounds
    from boxoffice.programs.server import taps
    from boxoffice.programs.server.app import DB_VARIABLE, create_app
    from boxoffice.programs.server.startup import preparation_lock

    # The environment's settings, refused with a sentence before the database is touched.
    bounds, tap_threads = cache_bounds.describe(), taps.threads()
    # Migrated and made the server's before the first request or worker, by one
    # process at a time: another server may be starting on the same database.
    if (certfile is None) != (keyfile is None):
        raise click.UsageError("HTTPS needs both --certfile and --keyfile.")
    tls: dict[str, str] = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile and keyfile else {}
    scheme = "https" if certfile else "http"
    with preparation_lock(app.db):
        store = app.store
        web_app = create_app(store)
    click.echo(f"Box office server on {scheme}://{host}:{port} with {store.display_name}"
               + (f", {workers} worker processes" if workers > 1 else ""), err=True)
    # What another process's change may take to be seen here.
    click.echo(f"Per process: {bounds}; gates' taps on {tap_threads} threads.", err=True)
    click.echo(f"Gate scanner page: {scheme}://{host}:{port}/scanner/", err=True)
    if workers == 1:
        uvicorn.run(web_app, host=host, port=port, log_level="warning", ssl_certfile=tls.get("ssl_certfile"),
                    ssl_keyfile=tls.get("ssl_keyfile"))
        return
    store.dispose()  # the change log has started once, here, not in a race between the workers
    os.environ[DB_VARIABLE] = app.db
    uvicorn.run("boxoffice.programs.server.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning", ssl_certfile=tls.get("ssl_certfile"),
                ssl_keyfile=tls.get("ssl_keyfile"))
