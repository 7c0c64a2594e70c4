"""The band payload: round trip, every kind of tampering, the size limit, the tag password."""

from __future__ import annotations

import uuid

import ndef
import pytest

from boxoffice.domain import payload as pl
from boxoffice.errors import (
    BadSignatureError,
    PayloadError,
    TruncatedPayloadError,
    UnknownKeyError,
    UnknownVersionError,
)

UID = bytes.fromhex("04A1B2C3D4E5F6")
KEY_ID = b"\x01\x02\x03\x04"


@pytest.fixture(scope="module")
def key() -> pl.Ed25519PrivateKey:
    return pl.new_private_key()


def _fields(category: uuid.UUID | None = None) -> pl.BandPayload:
    return pl.BandPayload(pl.VERSION, uuid.UUID(int=1), uuid.UUID(int=2), category or uuid.UUID(int=3), KEY_ID)


def _keys(key: pl.Ed25519PrivateKey) -> dict[bytes, pl.Ed25519PublicKey]:
    return {KEY_ID: key.public_key()}


def test_round_trip(key: pl.Ed25519PrivateKey) -> None:
    data = pl.sign_payload(_fields(), UID, key)
    assert len(data) == pl.PAYLOAD_SIZE == 117
    assert pl.verify_payload(data, UID, _keys(key)) == _fields()
    parsed, signature = pl.parse_payload(data)
    assert parsed == _fields() and len(signature) == 64


def test_signing_is_deterministic(key: pl.Ed25519PrivateKey) -> None:
    # A resumed band gets exactly the bytes it got the first time.
    assert pl.sign_payload(_fields(), UID, key) == pl.sign_payload(_fields(), UID, key)


def test_the_whole_ndef_message_fits_ntag213(key: pl.Ed25519PrivateKey) -> None:
    data = pl.sign_payload(_fields(), UID, key)
    message = b"".join(ndef.message_encoder([ndef.Record(pl.RECORD_TYPE, "", data)]))
    assert len(message) == pl.ndef_message_size() == 129
    assert len(message) <= pl.NTAG213_NDEF_CAPACITY
    (record,) = list(ndef.message_decoder(message))
    assert record.type == pl.RECORD_TYPE and record.data == data


def test_a_payload_copied_to_another_uid_fails(key: pl.Ed25519PrivateKey) -> None:
    data = pl.sign_payload(_fields(), UID, key)
    with pytest.raises(BadSignatureError):
        pl.verify_payload(data, bytes.fromhex("04A1B2C3D4E5F7"), _keys(key))
    with pytest.raises(BadSignatureError):
        pl.verify_payload(data, UID[:4], _keys(key))


def test_a_changed_category_fails(key: pl.Ed25519PrivateKey) -> None:
    data = bytearray(pl.sign_payload(_fields(), UID, key))
    data[33:49] = uuid.UUID(int=99).bytes
    with pytest.raises(BadSignatureError):
        pl.verify_payload(bytes(data), UID, _keys(key))


@pytest.mark.parametrize("position", [1, 20, 40, 60, 116])
def test_any_flipped_byte_fails(key: pl.Ed25519PrivateKey, position: int) -> None:
    data = bytearray(pl.sign_payload(_fields(), UID, key))
    data[position] ^= 0x01
    with pytest.raises(PayloadError):
        pl.verify_payload(bytes(data), UID, _keys(key))


def test_an_unknown_key_fails(key: pl.Ed25519PrivateKey) -> None:
    data = pl.sign_payload(_fields(), UID, key)
    with pytest.raises(UnknownKeyError, match="01020304"):
        pl.verify_payload(data, UID, {b"\x09\x09\x09\x09": key.public_key()})
    other = pl.new_private_key()
    with pytest.raises(BadSignatureError):
        pl.verify_payload(data, UID, {KEY_ID: other.public_key()})


def test_truncated_and_empty_and_too_long_fail(key: pl.Ed25519PrivateKey) -> None:
    data = pl.sign_payload(_fields(), UID, key)
    for bad in (b"", data[:1], data[:50], data[:-1]):
        with pytest.raises(TruncatedPayloadError):
            pl.verify_payload(bad, UID, _keys(key))
    with pytest.raises(TruncatedPayloadError):
        pl.verify_payload(data + b"\x00", UID, _keys(key))


def test_an_unknown_version_fails(key: pl.Ed25519PrivateKey) -> None:
    data = b"\x02" + pl.sign_payload(_fields(), UID, key)[1:]
    with pytest.raises(UnknownVersionError, match="version 2"):
        pl.verify_payload(data, UID, _keys(key))


def test_tag_password_is_stable_and_per_tag() -> None:
    secret = bytes(range(32))
    pwd, pack = pl.tag_password(secret, UID)
    assert (len(pwd), len(pack)) == (4, 2)
    # A fixed vector: a change of the derivation would lock every protected band out.
    assert (pwd.hex(), pack.hex()) == ("34ebad1f", "e03d")
    assert pl.tag_password(secret, UID) == (pwd, pack)
    assert pl.tag_password(secret, bytes.fromhex("04A1B2C3D4E5F7")) != (pwd, pack)
    assert pl.tag_password(bytes(32), UID) != (pwd, pack)
    with pytest.raises(ValueError):
        pl.tag_password(b"", UID)
