from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from boxoffice.domain.enums import CheckinResult, Direction
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.cli.timeparse import parse_local
from boxoffice.schemas.metrics import SeriesMetrics
from boxoffice.services import checkins, refs
from boxoffice.services import metrics as metrics_svc
from boxoffice.services import series as series_svc


def metrics_text(name: str, m: SeriesMetrics, zone: str) -> str:
    """The figures as a person reads them: every time in the event's zone ``zone``, said once."""
    tz = ZoneInfo(zone)
    out = [
        f"{name}: metrics of {m.computed_at.astimezone(tz):%Y-%m-%d %H:%M} (times in {zone})",
        f"  bands assigned   {m.assigned_bands:>9,}",
        f"  unique entries   {m.unique_entries:>9,}",
        f"  inside now       {m.inside_now:>9,}",
        f"  scans            {m.total_scans:>9,}  ({m.allowed:,} allowed, {m.denied:,} denied)",
    ]
    if m.peak_hour:
        out.append(f"  peak hour        {m.peak_hour.starts_at_local:%Y-%m-%d %H:00} "
                   f"({m.peak_hour.entries:,} entries)")
    if m.denials_by_reason:
        out.append("  denials")
        out += [f"    {reason:<22}{n:>9,}" for reason, n in m.denials_by_reason.items()]
    if m.by_gate:
        out.append("  gate                     scans   allowed    denied")
        out += [f"    {g.gate:<20}{g.scans:>9,}{g.allowed:>10,}{g.denied:>10,}" for g in m.by_gate]
    out.append("  category       limit  assigned   entered")
    for c in m.by_category:
        limit = f"{c.limit:,}" if c.limit is not None else "-"
        out.append(f"    {c.category:<12}{limit:>7}{c.assigned:>10,}{c.entered:>10,}")
    return "\n".join(out)


@click.command()
@click.argument("series_ref", metavar="SERIES")
@click.option("--event", "event_ref", help="Event name or id (when series names repeat).")
@click.option("--fresh", is_flag=True, help="Recompute now instead of using the 5-minute cache.")
@pass_app
def metrics(app: App, series_ref: str, event_ref: str | None, fresh: bool) -> None:
    """A series' figures: assigned, entries, inside, denials, gates, categories, peak hour."""
    sid = refs.series_id(app.store, app.actor, series_ref, event_ref)
    result = metrics_svc.series_metrics(app.store, app.actor, sid, fresh=fresh)
    detail = series_svc.series_detail(app.store, app.actor, sid)
    app.emit(result, metrics_text(detail.series.name, result, detail.timezone))


@click.command()
@click.option("--series", "series_ref", required=True, help="Series name or id.")
@click.option("--event", "event_ref", help="Event name or id (when series names repeat).")
@click.option("--gate", "gate_ref", required=True, help="Gate name or id.")
@click.option("--uid", required=True, help="The tapped band's UID.")
@click.option("--direction", type=click.Choice([d.value for d in Direction]), default="in",
              show_default=True)
@click.option("--scan-id", help="The device's id for this tap; a repeat returns the first answer.")
@click.option("--device", default="desktop", show_default=True)
@click.option("--at", "at_text", help="When the tap happened, local to the event (default: now).")
@pass_app
def checkin(
    app: App, series_ref: str, event_ref: str | None, gate_ref: str, uid: str, direction: str,
    scan_id: str | None, device: str, at_text: str | None,
) -> None:
    """Record a tap at a gate and print the decision (exit status 3 when denied)."""
    sid = refs.series_id(app.store, app.actor, series_ref, event_ref)
    at = None
    if at_text:
        detail = series_svc.series_detail(app.store, app.actor, sid)
        at = parse_local("at", at_text, ZoneInfo(detail.timezone))
    view = checkins.record_tap(
        app.store, app.actor, sid, gate_ref, uid, Direction(direction),
        client_scan_id=scan_id, device_id=device, now=at,
    )
    word = "ALLOWED" if view.result is CheckinResult.ALLOWED else "DENIED"
    again = " (already recorded)" if view.replayed else ""
    app.emit(view, f"{word}{again}: {view.message} [{view.reason.value}]")
    if view.result is CheckinResult.DENIED:
        raise click.exceptions.Exit(3)


__all__ = ["checkin", "metrics"]
