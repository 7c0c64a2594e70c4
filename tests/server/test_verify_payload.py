"""Signed payloads at /api/verify: a genuine band passes, a forged one is denied and recorded."""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import Role
from boxoffice.services import keys
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Event, Wristband
from tests.helpers.seeding import Live
from tests.helpers.stores import table_counts


def _sign(live: Live, uid: str, *, key: pl.Ed25519PrivateKey | None = None, key_id: bytes | None = None,
          band_uid: str | None = None) -> bytes:
    """The payload the event's encoder would write on tag ``uid`` for the band of ``band_uid``."""
    owner = resolve_actor(live.store, "owner@example.org")
    with live.store.write() as session:
        ev = session.get_one(Event, uuid.UUID(live.ids["event"]))
        row, private = keys.signing_key(session, owner, ev, "test station")
        band = session.scalars(select(Wristband).where(Wristband.uid == (band_uid or uid))).one()
        fields = pl.BandPayload(pl.VERSION, band.id, ev.id, band.category_id,
                                key_id if key_id is not None else bytes.fromhex(row.key_id))
    return pl.sign_payload(fields, bytes.fromhex(uid), key or private)


def _tap(live: Live, uid: str, scan: str, payload: bytes | str | None) -> tuple[int, dict]:
    body: dict[str, object] = {"series_id": live.ids["series"], "gate_id": live.ids["gate:Main"],
                               "uid": uid, "direction": "in", "scan_id": scan, "device_id": "hh-1"}
    if payload is not None:
        body["payload"] = payload if isinstance(payload, str) else base64.b64encode(payload).decode()
    with live.client(Role.GATE) as gate:
        answer = gate.post("/api/verify", json=body)
    return answer.status_code, answer.json()


def test_a_genuine_payload_is_allowed_and_a_replay_counts_once(live: Live) -> None:
    uid = live.bands[0]
    code, first = _tap(live, uid, "p-1", _sign(live, uid))
    assert (code, first["result"], first["reason"]) == (200, "allowed", "ok"), first
    counts = table_counts(live.store)
    code, again = _tap(live, uid, "p-1", _sign(live, uid))
    assert code == 200 and again["replayed"] and again["id"] == first["id"]
    assert table_counts(live.store) == counts


def _forgeries(live: Live) -> dict[str, tuple[str, bytes]]:
    uid, other = live.bands[1], live.bands[2]
    genuine = _sign(live, uid)
    flipped = bytearray(genuine)
    flipped[-10] ^= 0x01  # in the signature
    edited = bytearray(genuine)
    edited[20] ^= 0x80  # in the event id: the fields no longer match
    return {
        "wrong key": (uid, _sign(live, uid, key=pl.new_private_key(), key_id=b"\x01\x02\x03\x04")),
        "event key id, other private key": (uid, _sign(live, uid, key=pl.new_private_key())),
        "other UID's payload": (uid, _sign(live, other)),
        "signed for this band, copied to another tag": (other, _sign(live, other, band_uid=uid)),
        "flipped signature byte": (uid, bytes(flipped)),
        "flipped field byte": (uid, bytes(edited)),
    }


def test_forged_payloads_are_denied_bad_signature_and_recorded(live: Live) -> None:
    for i, (name, (uid, data)) in enumerate(_forgeries(live).items()):
        code, answer = _tap(live, uid, f"forged-{i}", data)
        assert (code, answer["result"], answer["reason"]) == (200, "denied", "bad_signature"), name
        with live.client(Role.OWNER) as owner:
            page = owner.get(f"/api/series/{live.ids['series']}/checkins",
                             params={"reason": "bad_signature"}).json()
        assert any(item["client_scan_id"] == f"forged-{i}" for item in page["items"]), name
    # The band was never let in: its genuine payload still admits it.
    code, answer = _tap(live, live.bands[1], "after-forgeries", _sign(live, live.bands[1]))
    assert (code, answer["reason"]) == (200, "ok")


MALFORMED = [
    ("not base64!", "not base64"),
    ("AQÄ=", "not base64"),
    (base64.b64encode(b"\x01" + bytes(40)).decode(), "cut short"),
    (base64.b64encode(b"\x07" + bytes(pl.PAYLOAD_SIZE - 1)).decode(), "version 7"),
    (base64.b64encode(b"\x01" + bytes(pl.PAYLOAD_SIZE)).decode(), "longer than expected"),
    ("", "holds no data"),
]


def test_a_malformed_payload_is_422_with_a_sentence_and_writes_nothing(live: Live) -> None:
    counts = table_counts(live.store)
    for i, (payload, words) in enumerate(MALFORMED):
        code, answer = _tap(live, live.bands[3], f"malformed-{i}", payload)
        assert code == 422, answer
        assert answer["problems"][0]["field"] == "payload" and words in answer["message"], answer
    assert table_counts(live.store) == counts
