"""``boxoffice gate-sim``: real verify requests from simulated gate handhelds, for a set time."""

from __future__ import annotations

import logging
import threading
from typing import Any

import click

from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.sim.gate_client import Credentials, GateSim, GateSimConfig, SimSummary
from boxoffice.programs.sim.gate_traffic import Mix, Profile, parse_duration, parse_rate

log = logging.getLogger(__name__)


class _Parsed(click.ParamType):
    """A click type over one of the simulator's parsers: a bad value is a usage error with its sentence."""

    def __init__(self, name: str, parse: Any) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ValidationError as exc:
            self.fail(exc.message, param, ctx)


RATE = _Parsed("rate", parse_rate)
DURATION = _Parsed("duration", parse_duration)
MIX = _Parsed("mix", Mix.parse)


def _credentials(token: str | None, email: str | None, password: str | None, what: str) -> Credentials | None:
    if token:
        return Credentials(token=token)
    if email and password:
        return Credentials(email=email, password=password)
    if email:
        raise click.UsageError(f"No password for {what} {email}: set it in the environment (see --help).")
    return None


@click.command("gate-sim")
@click.option("--server", "url", required=True, envvar="BOXOFFICE_SERVER", help="The central server's URL.")
@click.option("--series", "series_id", required=True,
              help="The series, by id, or by name with a --lookup-email or --lookup-token.")
@click.option("--rate", type=RATE, default="30/s", show_default=True,
              help="Peak taps per second across all gates: 30/s, 600/min, 5000/h.")
@click.option("--duration", type=DURATION, default="10m", show_default=True,
              help="How long the run lasts: 90s, 10m, 1h; it stops by itself then.")
@click.option("--profile", type=click.Choice([p.value for p in Profile]), default=Profile.DOORS_OPEN.value,
              show_default=True,
              help="doors-open: a peak soon after the start decaying to a trickle (5% exits); steady: the "
              "peak rate throughout (30% exits); exit-wave: a trickle swelling to a wave near the end (80% "
              "exits).")
@click.option("--gates", help="Comma-separated gate names or ids (default: every gate of the series).")
@click.option("--devices-per-gate", type=click.IntRange(1, 50), default=2, show_default=True)
@click.option("--mix", type=MIX, default=Mix().text(), show_default=True,
              help="Shares of all taps that are re-entries, wrong-gate taps, void or lost bands, forged "
              "payloads (signed with a key the event does not know) and unknown UIDs; the rest are ordinary "
              "entries and exits. Name only those to change, e.g. forged=0.1.")
@click.option("--seed", type=int, help="Repeat a run exactly (default: a new one each time).")
@click.option("--no-offline", is_flag=True,
              help="Keep every device online (by default one goes offline from 30% to 60% of the run "
              "and uploads its queued scans, with their times, when it is back).")
@click.option("--email", help="Log in as this gate device (a member with the gate role).")
@click.option("--password", envvar="BOXOFFICE_GATE_PASSWORD", show_envvar=True,
              help="The device's password (better set in the environment).")
@click.option("--token", envvar="BOXOFFICE_GATE_TOKEN", show_envvar=True, help="A token instead of a login.")
@click.option("--lookup-email", help="A member who may view series, to find the gates by name (a gate "
              "device may not list them; not needed when --gates are ids).")
@click.option("--lookup-password", envvar="BOXOFFICE_LOOKUP_PASSWORD", show_envvar=True)
@click.option("--lookup-token", envvar="BOXOFFICE_LOOKUP_TOKEN", show_envvar=True)
@pass_app
def gate_sim(app: App, url: str, series_id: str, rate: float, duration: float, profile: str,
             gates: str | None, devices_per_gate: int, mix: Mix, seed: int | None, no_offline: bool,
             email: str | None, password: str | None, token: str | None, lookup_email: str | None,
             lookup_password: str | None, lookup_token: str | None) -> None:
    """Send real verify requests as the gates' handhelds would, then print a summary.

    Arrivals follow the profile's curve; several devices per gate send their
    taps in order; Ctrl+C stops early and still prints the summary. The
    summary is overall and per gate (sent, allowed, denied and why, the
    achieved rate, latency p50/p99): figures to set beside the Gates page.
    """
    device = _credentials(token, email, password, "the device")
    if device is None:
        raise click.UsageError("Log in with --email (and BOXOFFICE_GATE_PASSWORD) or give --token.")
    config = GateSimConfig(
        server=url, series_id=series_id, device=device, rate=rate, duration=duration,
        profile=Profile(profile), mix=mix,
        gates=[g.strip() for g in gates.split(",") if g.strip()] if gates else None,
        devices_per_gate=devices_per_gate, seed=seed, offline_device=not no_offline,
        lookup=_credentials(lookup_token, lookup_email, lookup_password, "the lookup member"),
    )
    summary = _run_interruptibly(GateSim(config))
    app.emit(summary.as_dict(), summary.text())


def _run_interruptibly(sim: GateSim) -> SimSummary:
    """Run in a worker thread so that Ctrl+C here only sets the stop event and the summary still comes.

    Waits on an event rather than ``Thread.join``: a join interrupted by Ctrl+C
    can take the thread for finished while it is still sending (CPython 3.11).
    """
    result: list[SimSummary] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            result.append(sim.run())
        except BaseException as exc:  # handed to the main thread, which raises it
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="gate-sim", daemon=True).start()
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            if not sim.stop.is_set():
                click.echo("Stopping…", err=True)
            sim.stop.set()
    if failure:
        raise failure[0]
    return result[0]
