"""Is this band genuine, and why not: every reason of the domain's band check, and that it is the gate's."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from boxoffice.domain import payload as pl
from boxoffice.domain.access import (
    GENUINE_MESSAGE,
    MESSAGES,
    AccessFacts,
    BandCheck,
    BandRecord,
    check_band,
    decide,
    payload_problem,
)
from boxoffice.domain.enums import BandStatus, Direction, GateKind, Reason, ReentryPolicy, SeriesStatus

UID = bytes.fromhex("04A1B2C3D4E5F6")
OTHER_UID = bytes.fromhex("04A1B2C3D4E5F7")
KEY_ID = b"\x01\x02\x03\x04"
EVENT, OTHER_EVENT = uuid.UUID(int=2), uuid.UUID(int=20)
BAND = BandRecord(uuid.UUID(int=1), EVENT, uuid.UUID(int=3), BandStatus.ACTIVE)


@pytest.fixture(scope="module")
def key() -> pl.Ed25519PrivateKey:
    return pl.new_private_key()


def _keys(key: pl.Ed25519PrivateKey) -> dict[bytes, pl.Ed25519PublicKey]:
    return {KEY_ID: key.public_key()}


def _signed(key: pl.Ed25519PrivateKey, band: BandRecord = BAND, uid: bytes = UID,
            key_id: bytes = KEY_ID) -> bytes:
    fields = pl.BandPayload(pl.VERSION, band.id, band.event_id, band.category_id, key_id)
    return pl.sign_payload(fields, uid, key)


def _gate_facts(band: BandRecord | None, signature_valid: bool | None) -> AccessFacts:
    """A first entry at an open gate of a series of EVENT: only the band can be refused."""
    now = datetime(2025, 7, 4, 20, 0, tzinfo=UTC)
    return AccessFacts(
        direction=Direction.IN, now=now, band_status=None if band is None else band.status,
        band_event_id=None if band is None else band.event_id,
        band_category_id=None if band is None else band.category_id, signature_valid=signature_valid,
        series_event_id=EVENT, series_status=SeriesStatus.ACTIVE,
        checkin_opens_at=now.replace(hour=18), checkin_closes_at=now.replace(hour=23), capacity=100,
        reentry_policy=ReentryPolicy.REENTRY, band_assigned=True, gate_kind=GateKind.BOTH,
        gate_in_series=True, gate_categories=frozenset(), band_inside=False, band_has_entered=False,
        occupancy=0, category_inside=0, category_limit=None,
    )


def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_genuine_band_is_ok_with_its_own_sentence(key: pl.Ed25519PrivateKey) -> None:
    check = check_band(BAND, EVENT, UID, _signed(key), _keys(key))
    assert check == BandCheck(Reason.OK) and check.genuine
    assert check.message == GENUINE_MESSAGE != MESSAGES[Reason.OK]  # "Welcome" is the gate's
    # Only the UID read: nothing to check the signature of, as at the gate.
    assert check_band(BAND, EVENT, UID, None, {}) == BandCheck(Reason.OK)


def test_an_unknown_band_is_unknown_whatever_it_carries(key: pl.Ed25519PrivateKey) -> None:
    for data in (_signed(key), b"junk", None):
        check = check_band(None, EVENT, UID, data, _keys(key))
        assert (check.reason, check.detail, check.genuine) == (Reason.UNKNOWN_BAND, None, False)
        assert check.message == MESSAGES[Reason.UNKNOWN_BAND]


@pytest.mark.parametrize(("status", "expected"), [
    (BandStatus.PENDING, Reason.BAND_PENDING),
    (BandStatus.VOID, Reason.BAND_VOID),
    (BandStatus.LOST, Reason.BAND_LOST),
])
def test_the_status_comes_before_the_signature(key: pl.Ed25519PrivateKey, status: BandStatus,
                                               expected: Reason) -> None:
    band = replace(BAND, status=status)
    for data in (_signed(key, band), _flip(_signed(key, band), -1), None):
        check = check_band(band, EVENT, UID, data, _keys(key))
        assert (check.reason, check.detail, check.message) == (expected, None, MESSAGES[expected])


def _forgeries(key: pl.Ed25519PrivateKey) -> dict[str, tuple[bytes, bytes, str]]:
    """name: (UID read, data read, what the detail says)."""
    stranger = pl.new_private_key()
    genuine = _signed(key)
    return {
        "unsigned: a key the event does not know": (
            UID, _signed(stranger, key_id=b"\x09\x09\x09\x09"), "which this event does not know"),
        "the event's key id, another private key": (UID, _signed(stranger), "signature does not match"),
        "flipped signature byte": (UID, _flip(genuine, -10), "signature does not match"),
        "another UID's payload": (UID, _signed(key, uid=OTHER_UID), "signature does not match"),
        "another band's payload": (
            UID, _signed(key, replace(BAND, id=uuid.UUID(int=9))), "belongs to another band"),
        "another category": (
            UID, _signed(key, replace(BAND, category_id=uuid.UUID(int=9))), "another category"),
        "another event": (UID, _signed(key, replace(BAND, event_id=OTHER_EVENT)), "another event"),
        "flipped event byte": (UID, _flip(genuine, 20), "another event"),
        "cut short": (UID, genuine[:60], "cut short"),
        "unknown version": (UID, b"\x07" + genuine[1:], "version 7"),
        "empty": (UID, b"", "holds no data"),
    }


def test_every_forgery_is_a_bad_signature_with_a_detail(key: pl.Ed25519PrivateKey) -> None:
    for name, (uid, data, words) in _forgeries(key).items():
        check = check_band(BAND, EVENT, uid, data, _keys(key))
        assert check.reason is Reason.BAD_SIGNATURE, name
        assert check.message == MESSAGES[Reason.BAD_SIGNATURE], name
        assert check.detail is not None and words in check.detail, (name, check.detail)
        assert payload_problem(data, uid, band_id=BAND.id, event_id=BAND.event_id,
                               category_id=BAND.category_id, public_keys=_keys(key)) == check.detail


def test_a_genuine_band_of_another_event_is_the_wrong_event(key: pl.Ed25519PrivateKey) -> None:
    band = replace(BAND, event_id=OTHER_EVENT)
    check = check_band(band, EVENT, UID, _signed(key, band), _keys(key))
    assert (check.reason, check.detail, check.message) == (Reason.WRONG_EVENT, None,
                                                           MESSAGES[Reason.WRONG_EVENT])
    # Forged comes first: the data of a band of another event is checked against that event's keys.
    check = check_band(band, EVENT, UID, _signed(key, band), {})
    assert check.reason is Reason.BAD_SIGNATURE


def test_the_band_check_and_the_access_decision_agree(key: pl.Ed25519PrivateKey) -> None:
    """For every band and payload above, ``decide`` refuses with the band check's reason (or goes on)."""
    cases: list[tuple[BandRecord | None, bytes | None]] = [(None, _signed(key)), (BAND, None),
                                                            (BAND, _signed(key))]
    cases += [(replace(BAND, status=s), _signed(key)) for s in BandStatus]
    cases += [(replace(BAND, event_id=OTHER_EVENT), _signed(key, replace(BAND, event_id=OTHER_EVENT)))]
    cases += [(BAND, data) for _, data, _ in _forgeries(key).values()]
    for band, data in cases:
        check = check_band(band, EVENT, UID, data, _keys(key))
        valid = None if band is None or data is None else payload_problem(
            data, UID, band_id=band.id, event_id=band.event_id, category_id=band.category_id,
            public_keys=_keys(key)) is None
        decision = decide(_gate_facts(band, valid))
        assert decision.reason == check.reason, (band, data)
        if not check.genuine:
            assert decision.message == check.message
