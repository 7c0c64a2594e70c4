from __future__ import annotations

import tempfile
from pathlib import Path

import click

from boxoffice.cli.app import App, pass_app
from boxoffice.cli.gates import metrics_text
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.services.metrics import series_metrics
from boxoffice.sim.demo import OWNER, seed_festival
from boxoffice.store.database import open_store


@click.command()
@click.option("--demo-db", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to put the demo database (default: a new temporary file).")
@click.option("--bands", type=click.IntRange(10, 1_000_000), default=2000, show_default=True)
@pass_app
def demo(app: App, demo_db: Path | None, bands: int) -> None:
    """Seed a three-day festival in a fresh database and show what it looks like."""
    path = demo_db or Path(tempfile.mkdtemp(prefix="boxoffice-demo-")) / "demo.sqlite3"
    if path.exists():
        raise click.UsageError(f"{path} already exists; the demo only writes a fresh database.")
    store = open_store(path)
    try:
        summary = seed_festival(store, bands=bands)
        actor = resolve_actor(store, OWNER)
        days = series_svc.list_series(store, actor, summary.event)
        day1 = next(s for s in days if s.name == summary.series[0])
        figures = series_metrics(store, actor, str(day1.id), fresh=True)
    finally:
        store.dispose()
    text = "\n".join([
        f"Demo database: {path}",
        f"{summary.organization} / {summary.event}: {summary.bands:,} bands, "
        f"series {', '.join(summary.series)}",
        f"{summary.taps:,} taps on {summary.series[0]} ({summary.allowed:,} allowed, "
        f"{summary.denied:,} denied)",
        "",
        metrics_text(day1.name, figures),
        "",
        "Look around:",
        f"  boxoffice --db {path} series list",
        f"  boxoffice --db {path} series show 'Day 1'",
        f"  boxoffice --db {path} metrics 'Day 1'",
    ])
    app.emit({"database": str(path), "summary": summary.__dict__, "metrics": figures}, text)
