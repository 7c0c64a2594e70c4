"""Encoding at two stations: the server decides the UID, keys travel without their private half."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus
from boxoffice.errors import ValidationError
from boxoffice.services import encoding_bands, encoding_batches, encoding_manifest
from boxoffice.services import keys as keys_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import EncodeLogEntry, EventKey, OutboxEntry, SeriesWristbandAssignment, Wristband
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, sync

UID = "04C0FFEE001122"


def _encode(store, name: str, category: str, uid: str = UID):  # type: ignore[no-untyped-def]
    me = resolve_actor(store, None)
    batch = encoding_batches.start_batch(store, me, event_ref="Gate Fest", category_ref=category,
                                         series_refs=["Today"], requested=None, station=name)
    plan = encoding_bands.plan_band(store, me, batch_id=batch.id, uid=uid)
    encoding_bands.activate_band(store, me, batch_id=batch.id, band_id=plan.band_id)
    return plan


def test_the_server_keeps_the_first_stations_band_and_tells_the_second_why(
    server: Live, station: Station
) -> None:
    a, b = station("Box office A"), station("Box office B")
    won = _encode(a, "Box office A", "VIP")
    lost = _encode(b, "Box office B", "GA")
    assert sync(a).pushed.rejected == 0
    report = sync(b)
    refused = sync_client.rejected_entries(b)
    assert [e.kind for e in refused] == ["wristband.plan"]  # its activation follows from it: one clash
    assert report.pushed.rejected == 1
    assert refused[0].error is not None
    assert "already encoded as VIP #0001" in refused[0].error and "at Box office A" in refused[0].error

    with server.store.read() as session:
        (band,) = session.scalars(select(Wristband).where(Wristband.uid == UID)).all()
        assert band.id == won.band_id and band.status is BandStatus.ACTIVE
        assert session.scalar(select(SeriesWristbandAssignment.active).where(
            SeriesWristbandAssignment.wristband_id == band.id)) is True
        # Public halves only: no private key ever reaches the server.
        server_keys = session.scalars(select(EventKey)).all()
        assert len(server_keys) == 2 and all(k.private_key is None for k in server_keys)

    with b.read() as session:
        held = session.scalars(select(Wristband).where(Wristband.uid == UID)).all()
        assert [w.id for w in held] == [won.band_id] and held[0].id != lost.band_id
        own = session.scalars(select(EventKey).where(EventKey.private_key.is_not(None))).all()
        assert len(own) == 1 and own[0].station == "Box office B"  # the pull kept B's private key
    # B now knows A's public key: A's band verifies at B.
    me_b = resolve_actor(b, None)
    keys = {k: pl.public_key_from_raw(v) for k, v in keys_svc.public_keys(b, me_b, "Gate Fest").items()}
    assert len(keys) == 2
    assert pl.verify_payload(won.record_payload, bytes.fromhex(UID), keys).band_id == won.band_id
    # And B can open the band A protected (the tag secret travelled too).
    assert keys_svc.password_for(b, me_b, UID) == (won.password, won.pack)


@pytest.mark.slow
def test_a_pending_band_planned_at_one_station_is_resumed_at_another(server: Live, station: Station) -> None:
    a, b = station("Box office A"), station("Box office B")
    me_a = resolve_actor(a, None)
    batch_a = encoding_batches.start_batch(a, me_a, event_ref="Gate Fest", category_ref="VIP",
                                           series_refs=["Today"], requested=None, station="Box office A")
    first = encoding_bands.plan_band(a, me_a, batch_id=batch_a.id, uid=UID)  # A's reader dies here
    sync(a)
    sync(b)
    me_b = resolve_actor(b, None)
    batch_b = encoding_batches.start_batch(b, me_b, event_ref="Gate Fest", category_ref="VIP",
                                           series_refs=["Today"], requested=None, station="Box office B")
    again = encoding_bands.plan_band(b, me_b, batch_id=batch_b.id, uid=UID)
    assert again.resumed and again.band_id == first.band_id
    assert (again.record_payload, again.password, again.pack) == (first.record_payload, first.password, first.pack)
    encoding_bands.activate_band(b, me_b, batch_id=batch_b.id, band_id=again.band_id)
    assert sync(b).pushed.rejected == 0
    with server.store.read() as session:
        band = session.get(Wristband, first.band_id)
        assert band is not None and band.status is BandStatus.ACTIVE and band.batch_id == batch_b.id


def test_tickets_lost_and_replaced_bands_reach_the_server(server: Live, station: Station) -> None:
    from boxoffice.services import band_status, ticket_import
    from boxoffice.store.models import Ticket
    from tests.helpers.sync import snapshot

    a = station("Box office A")
    me = resolve_actor(a, None)
    ticket_import.import_tickets(a, me, "Gate Fest", b"code,name,category\nGF-1,Ana,VIP\nGF-2,Bo,GA\n")
    old = _encode(a, "Box office A", "VIP", "04000000000001")
    new = _encode(a, "Box office A", "VIP", "04000000000002")
    band_status.mark_lost(a, me, "04000000000001", reason="lost")
    band_status.replace_band(a, me, "04000000000001", "04000000000002")
    report = sync(a)
    assert report.pushed.rejected == 0, sync_client.rejected_entries(a)
    with server.store.read() as session:
        assert session.get(Wristband, old.band_id).status is BandStatus.LOST  # type: ignore[union-attr]
        replacement = session.get(Wristband, new.band_id)
        assert replacement is not None and replacement.replaces_id == old.band_id
        assert sorted(session.scalars(select(Ticket.code))) == ["GF-1", "GF-2"]
    tables = ("wristbands", "tickets", "series_wristband_assignments", "event_keys", "tag_secrets")
    assert snapshot(a, tables) == snapshot(server.store, tables)


def _planned(store, name: str, uid: str = UID):  # type: ignore[no-untyped-def]
    me = resolve_actor(store, None)
    batch = encoding_batches.start_batch(store, me, event_ref="Gate Fest", category_ref="VIP",
                                         series_refs=["Today"], requested=None, station=name)
    return me, batch, encoding_bands.plan_band(store, me, batch_id=batch.id, uid=uid)


def _encoded_at(store, band_id):  # type: ignore[no-untyped-def]
    with store.read() as session:
        band = session.get_one(Wristband, band_id)
        return band.status, band.encoded_at


def test_the_time_a_band_was_encoded_is_the_stations_tap_not_the_sync(server: Live, station: Station) -> None:
    a = station("Box office A")
    me, batch, plan = _planned(a, "Box office A")
    tapped = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=250_000)
    encoding_bands.activate_band(a, me, batch_id=batch.id, band_id=plan.band_id, ok_message="ok", encoded_at=tapped)
    assert sync(a).pushed.rejected == 0, sync_client.rejected_entries(a)
    assert _encoded_at(server.store, plan.band_id) == (BandStatus.ACTIVE, tapped)
    assert _encoded_at(a, plan.band_id) == (BandStatus.ACTIVE, tapped)  # the pull brought the same time back
    with server.store.read() as session:
        assert session.scalar(select(EncodeLogEntry.at).where(EncodeLogEntry.uid == UID)) == tapped
        assert session.scalar(select(SeriesWristbandAssignment.assigned_at).where(
            SeriesWristbandAssignment.wristband_id == plan.band_id)) == tapped
    manifest = encoding_manifest.batch_manifest(server.store, resolve_actor(server.store, "owner@example.org"), batch.id)
    assert manifest.clock == "station time" and manifest.lines[0].at == tapped


def _set_payload(store, kind: str, **changes):  # type: ignore[no-untyped-def]
    with store.write() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.kind == kind)).one()
        payload = {k: v for k, v in entry.payload.items() if k not in changes}
        entry.payload = payload | {k: v for k, v in changes.items() if v is not None}


def test_an_encoding_time_from_a_clock_running_ahead_is_refused_with_a_sentence(
    server: Live, station: Station
) -> None:
    a = station("Box office A")
    me, batch, plan = _planned(a, "Box office A")
    encoding_bands.activate_band(a, me, batch_id=batch.id, band_id=plan.band_id)
    ahead = datetime.now(UTC) + timedelta(hours=2)
    _set_payload(a, "wristband.activate", encoded_at=ahead.isoformat())  # this station's clock ran ahead
    assert sync(a).pushed.rejected == 1
    (refused,) = sync_client.rejected_entries(a)
    assert refused.kind == "wristband.activate"
    assert refused.error == (
        f"The encoding time ({ahead.isoformat(sep=' ', timespec='seconds')[:19]} UTC) is in the future by "
        "more than 5 minutes: the station's clock is wrong; set it right."
    )
    assert _encoded_at(server.store, plan.band_id) == (BandStatus.PENDING, None)  # nothing written
    # And the station itself never makes one: the same rule, against its own clock.
    me2, batch2, plan2 = _planned(a, "Box office A", "04000000000009")
    with pytest.raises(ValidationError, match="before the year 2000"):
        encoding_bands.activate_band(a, me2, batch_id=batch2.id, band_id=plan2.band_id,
                                     encoded_at=datetime(1999, 12, 31, tzinfo=UTC))
    assert _encoded_at(a, plan2.band_id) == (BandStatus.PENDING, None)


def test_an_older_station_that_sends_no_encoding_time_gets_the_servers(server: Live, station: Station) -> None:
    a = station("Box office A")
    me, batch, plan = _planned(a, "Box office A")
    encoding_bands.activate_band(a, me, batch_id=batch.id, band_id=plan.band_id)
    _set_payload(a, "wristband.activate", encoded_at=None)
    before = datetime.now(UTC)
    assert sync(a).pushed.rejected == 0
    status, at = _encoded_at(server.store, plan.band_id)
    assert status is BandStatus.ACTIVE and at is not None and before <= at <= datetime.now(UTC)


def _status_text(store) -> str:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from boxoffice.programs.cli import cli

    result = CliRunner().invoke(cli, ["--db", str(store.path), "sync", "status"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_three_clashes_are_three_refusals_each_said_once_in_words(server: Live, station: Station) -> None:
    from boxoffice.sync.local import superseded, superseded_text
    from boxoffice.sync.refused import refused_changes

    a, b = station("Box office A"), station("Box office B")
    uids = [f"04C0FFEE00112{i}" for i in range(3)]
    for uid in uids:  # both stations offline, the same three tags
        _encode(a, "Box office A", "VIP", uid)
    lost = [_encode(b, "Box office B", "GA", uid) for uid in uids]
    assert sync(a).pushed.rejected == 0
    report = sync(b)
    assert report.pushed.rejected == 3 and report.pushed.follow_ons == 3
    assert [e.kind for e in sync_client.rejected_entries(b)] == ["wristband.plan"] * 3
    status = sync_client.sync_status(b)
    assert status.rejected == 3
    changes = refused_changes(b)
    assert [(c.what, c.subject) for c in changes] == [
        ("Band encoding", f"{uid} ({plan.label})") for uid, plan in zip(uids, lost, strict=True)]
    assert all(p.label.startswith("GA #") for p in lost)
    assert all(f"already encoded as VIP #{n:04d}" in c.reason and "Europe/Amsterdam at Box office A" in c.reason
               for n, c in enumerate(changes, 1)), [c.reason for c in changes]
    # The activations are kept, with their own reason, under the refusal they follow from.
    follow = [e for e in sync_client.rejected_entries(b, with_follow_ons=True) if e.kind == "wristband.activate"]
    assert [e.error for e in follow] == [
        f"Not applied: band {uid} was refused, so it could not be activated." for uid in uids]
    # B's own bands gave way to A's, said in words.
    assert [superseded_text(i) for i in superseded(b)] == [
        f"Wristband {uid} ({plan.label}) was replaced by the server's: it was registered first at "
        f"Box office A as VIP #{n:04d}." for n, (uid, plan) in enumerate(zip(uids, lost, strict=True), 1)]
    assert {i["local"]["id"] for i in superseded(b)} == {p.band_id.hex for p in lost}
    shown = _status_text(b)
    assert "3 refused by the server" in shown
    assert "Refused by the server (times in Europe/Amsterdam):" in shown
    assert f"Band encoding {uids[0]} ({lost[0].label}): This band is already encoded as VIP #0001" in shown
    assert "No wristband" not in shown and "{" not in shown and "wristband.activate" not in shown
    assert f"Wristband {uids[2]} ({lost[2].label}) was replaced by the server's" in shown
    # A second sync neither repeats nor recounts them.
    assert sync(b).pushed.rejected == 0 and sync_client.sync_status(b).rejected == 3
