"""``boxoffice encode``: a batch of wristbands on one reader, from the command line.

One line per tap as it happens, then a summary; ``--json`` prints the same
as JSON lines (one object per tap, then one ``finished`` object), so a
script can follow a batch while it runs. The job runs in a worker thread and
the main thread only waits, so Ctrl+C (or SIGTERM) reaches it at once: the
band on the reader is finished, the batch is closed as cancelled, the
manifest is still written, and the exit status is 130.

Plugged into ``boxoffice`` through the ``boxoffice.commands`` entry point,
like ``boxoffice reader``.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import types
from pathlib import Path

import click

from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App
from hardware.readers.reader import Reader
from hardware.station.encode_job import BatchParams, EncodeJob, EventKind, JobEvent, JobResult

log = logging.getLogger(__name__)

#: Exit status of a batch stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).
CANCELLED_STATUS = 130


def _reader(path: str, sim_bands: int | None, sim_seed: int | None) -> Reader:
    """The reader for ``--reader``; ``sim`` gets a box of ``--sim-bands`` blank bands."""
    if path == "sim" and (sim_bands is not None or sim_seed is not None):
        from hardware.readers.sim import SimulatedField, blank_bands
        from hardware.readers.sim.device import simulated_reader

        return simulated_reader(SimulatedField(blank_bands(sim_bands or 1000, seed=sim_seed)))
    from hardware.readers.paths import reader_for

    return reader_for(path)


class Printer:
    """Turns job events into lines on stdout (called in the job's thread, so it only prints)."""

    def __init__(self, as_json: bool, requested: int | None) -> None:
        self.as_json = as_json
        self.width = len(str(requested)) if requested else 4
        self._lock = threading.Lock()

    def __call__(self, event: JobEvent) -> None:
        with self._lock:
            if self.as_json:
                self._json(event)
            else:
                self._human(event)

    def _human(self, event: JobEvent) -> None:
        band = event.band
        if band is None:
            if event.kind is not EventKind.FINISHED:  # the summary is printed with the manifest
                click.echo(event.message, err=event.kind is EventKind.READER)
            return
        count = f"{event.progress.done:>{self.width}}"
        click.echo(f"{count}  {band.uid:<14}  {band.outcome.value:<12}  {band.message}")

    def _json(self, event: JobEvent) -> None:
        if event.kind is EventKind.FINISHED:
            return
        body: dict[str, object] = {"event": event.kind.value, "done": event.progress.done,
                                   "failed": event.progress.failed, "duplicates": event.progress.duplicates}
        if event.band is not None:
            band = event.band
            body.update(uid=band.uid, outcome=band.outcome.value, label=band.label,
                        band_id=str(band.band_id) if band.band_id else None, resumed=band.resumed,
                        repeat=band.repeat, seconds=round(band.seconds, 4), message=band.message)
        else:
            body["message"] = event.message
        click.echo(json.dumps(body, ensure_ascii=False))


def _run_until_done(job: EncodeJob) -> tuple[JobResult, bool]:
    """Run ``job`` in its thread until it ends; Ctrl+C or SIGTERM cancel it. Returns its result and
    whether it was stopped that way.

    The signals are handled, not left to raise KeyboardInterrupt: an exception
    landing in the middle of the wait could skip closing the batch.
    """
    stopped = threading.Event()

    def on_signal(signum: int, frame: types.FrameType | None) -> None:
        stopped.set()
        job.cancel()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    job.start()
    try:
        while True:
            try:
                return job.join(timeout=0.2), stopped.is_set()
            except TimeoutError:
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("encode")
@click.option("--event", "event_ref", required=True, help="Event (name or id).")
@click.option("--category", "category_ref", required=True, help="Category the bands are for (VIP, GA…).")
@click.option("--series", "series_refs", multiple=True,
              help="Series the bands are admitted to (name or id); repeat for several.")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many bands are encoded.")
@click.option("--open", "open_ended", is_flag=True, help="Keep encoding until Ctrl+C.")
@click.option("--reader", "reader_path", default="sim", show_default=True,
              help="sim, usb, usb:VID:PID, pcsc[:NAME], tty:PORT:DRIVER or udp:HOST:PORT.")
@click.option("--station", default=None, help="This station's name (default: the host name).")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the batch's manifest here (.json for JSON, anything else CSV).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of text.")
@click.option("--sim-bands", type=click.IntRange(min=0), default=None,
              help="With --reader sim: how many blank bands are in the box (default 1000).")
@click.option("--sim-seed", type=int, default=None, help="With --reader sim: make the band UIDs repeatable.")
@click.pass_context
def encode(ctx: click.Context, event_ref: str, category_ref: str, series_refs: tuple[str, ...],
           count: int | None, open_ended: bool, reader_path: str, station: str | None,
           manifest_path: Path | None, as_json: bool, sim_bands: int | None, sim_seed: int | None) -> None:
    """Encode a batch of wristbands: tap one band after another on the reader."""
    app = ctx.find_object(App)
    assert app is not None, "boxoffice encode runs under the boxoffice command"
    as_json = as_json or app.json
    if (count is None) == (not open_ended):
        raise ValidationError.single("count", "Say how many bands with --count N, or --open to go on "
                                     "until Ctrl+C (not both).")
    params = BatchParams(event_ref, category_ref, tuple(series_refs), count,
                         station or socket.gethostname())
    store, actor = app.store, app.actor
    device = _reader(reader_path.strip(), sim_bands, sim_seed)
    printer = Printer(as_json, count)
    with device:
        job = EncodeJob(device, store, actor, params, on_event=printer)
        if not as_json:
            click.echo(f"Reader: {device.name}. Tap the first band.")
        result, stopped = _run_until_done(job)
    manifest = result.manifest
    if manifest_path is not None:
        text = manifest.to_json() if manifest_path.suffix.lower() == ".json" else manifest.to_csv()
        manifest_path.write_text(text, encoding="utf-8")
    progress = result.progress
    if as_json:
        click.echo(json.dumps({
            "event": "finished", "batch_id": str(result.batch_id), "status": result.status,
            "done": progress.done, "failed": progress.failed, "duplicates": progress.duplicates,
            "requested": progress.requested, "counts": manifest.counts,
            "manifest": str(manifest_path) if manifest_path else None,
        }, ensure_ascii=False))
    else:
        how = "completed" if result.status == "completed" else "cancelled"
        click.echo(f"Batch {how}: {progress.done} encoded, {progress.failed} failed, "
                   f"{progress.duplicates} duplicate{'s' if progress.duplicates != 1 else ''}"
                   f" (batch {result.batch_id}).")
        if manifest_path is not None:
            click.echo(f"Manifest: {manifest_path}")
    if stopped or result.status != "completed":
        ctx.exit(CANCELLED_STATUS)
