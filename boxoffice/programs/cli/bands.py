"""``boxoffice lookup``, ``boxoffice band void|lost|replace`` and ``boxoffice keys show``.

Encoding itself (``boxoffice encode``) needs a reader and lives with the hardware layer.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from boxoffice.programs.cli.app import App, pass_app
from boxoffice.schemas.wristband import WristbandView
from boxoffice.services import band_status, lookup, refs
from boxoffice.services import keys as keys_svc

event_option = click.option("--event", "event_ref", help="Event name or id (when the UID is in several).")


def _local(card: lookup.BandCard, app: App) -> ZoneInfo:
    with app.store.read() as session:
        return ZoneInfo(refs.event(session, app.actor, str(card.event_id)).timezone)


def card_text(card: lookup.BandCard, tz: ZoneInfo) -> str:
    def when(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else "-"

    status = card.status.value.upper()
    if card.status_reason:
        status += f" ({card.status_reason})"
    out = [
        f"{card.label}  UID {card.uid}  {card.event}  (times in {tz.key})",
        f"  status     {status}",
        f"  encoded    {when(card.encoded_at)}" + (f" at {card.station}" if card.station else ""),
    ]
    if card.replaces_uid:
        out.append(f"  replaces   {card.replaces_uid}")
    if card.replaced_by_uid:
        out.append(f"  replaced by {card.replaced_by_uid}")
    if card.ticket:
        holder = f" {card.ticket.holder_name}" if card.ticket.holder_name else ""
        out.append(f"  ticket     {card.ticket.code}{holder}" + (" (void)" if card.ticket.voided else ""))
    out.append("  series     " + (", ".join(s.name for s in card.series) or "none"))
    if card.checkins:
        out.append("  last check-ins")
        out += [
            f"    {when(c.at)}  {c.gate:<16} {c.direction.value:<3} {c.result.value:<7} {c.reason.value}"
            for c in card.checkins
        ]
    else:
        out.append("  no check-ins yet")
    return "\n".join(out)


@click.command("lookup")
@click.argument("ref", metavar="UID-OR-TICKET-CODE")
@event_option
@click.option("--checkins", "last", type=click.IntRange(0, 1000), default=lookup.DEFAULT_CHECKINS,
              show_default=True, help="How many of the latest check-ins to show.")
@pass_app
def lookup_cmd(app: App, ref: str, event_ref: str | None, last: int) -> None:
    """Everything about one band: status, series, ticket and its latest check-ins."""
    card = lookup.band_card(app.store, app.actor, ref, event_ref=event_ref, checkins=last)
    app.emit(card, card_text(card, _local(card, app)))


@click.group()
def band() -> None:
    """Void, report lost and replace wristbands."""


def _done(app: App, view: WristbandView, what: str) -> None:
    app.emit(view, f"Band {view.uid} {what}.")


@band.command("void")
@click.argument("uid")
@event_option
@click.option("--reason", required=True, help="Why, e.g. 'torn'.")
@pass_app
def band_void(app: App, uid: str, event_ref: str | None, reason: str) -> None:
    """Cancel a band for good; gates deny it from now on."""
    view = band_status.void_band(app.store, app.actor, uid, reason=reason, event_ref=event_ref)
    _done(app, view, "is void; gates deny it from now on")


@band.command("lost")
@click.argument("uid")
@event_option
@click.option("--reason", required=True, help="Why, e.g. 'lost at the bar'.")
@pass_app
def band_lost(app: App, uid: str, event_ref: str | None, reason: str) -> None:
    """Report a band lost; gates deny it, and it can be replaced."""
    view = band_status.mark_lost(app.store, app.actor, uid, reason=reason, event_ref=event_ref)
    _done(app, view, "is reported lost; gates deny it from now on")


@band.command("replace")
@click.argument("old_uid")
@click.argument("new_uid")
@event_option
@click.option("--reason", help="Why (kept on the old band when it was still active).")
@pass_app
def band_replace(app: App, old_uid: str, new_uid: str, event_ref: str | None, reason: str | None) -> None:
    """The (already encoded) band NEW_UID takes over OLD_UID's series and ticket."""
    view = band_status.replace_band(app.store, app.actor, old_uid, new_uid, event_ref=event_ref,
                                    reason=reason)
    _done(app, view, f"replaces {refs.normalize_uid(old_uid)}; the old band is denied from now on")


@click.group()
def keys() -> None:
    """The keys that sign an event's wristbands."""


@keys.command("show")
@click.option("--event", "event_ref", required=True, help="Event name or id.")
@pass_app
def keys_show(app: App, event_ref: str) -> None:
    """The event's public keys (key id and Ed25519 public key, hex): what the gates verify with."""
    found = keys_svc.public_keys(app.store, app.actor, event_ref)
    rows = [{"key_id": k.hex(), "public_key": v.hex()} for k, v in sorted(found.items())]
    human = "\n".join(f"{r['key_id']}  {r['public_key']}" for r in rows) or (
        "No keys yet: the first band encoded for the event makes one."
    )
    app.emit(rows, human)


__all__ = ["band", "keys", "lookup_cmd"]
