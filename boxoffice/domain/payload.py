"""What a wristband carries: one signed NDEF record, and the tag's write password.

The tag UID identifies a band but proves nothing (magic tags and emulators
present any UID), so the record signs the band id, event, category and key
id *together with the UID*: a payload copied onto another tag, or edited to
another category, no longer verifies. Ed25519 lets a gate verify offline
with the public key alone; an HMAC would be smaller but would put the
secret in every scanner.

Layout of the record payload (117 bytes)::

    version (1) | band id (16) | event id (16) | category id (16) | key id (4) | signature (64)

The signature covers everything before it plus the UID. One NFC Forum
external-type record with a short type name keeps the whole NDEF message at
129 bytes, inside NTAG213's 137.

Pure: no I/O, no database. The record is built by the hardware layer with
nfcpy/ndeflib from :data:`RECORD_TYPE` and the bytes made here.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from boxoffice.errors import (
    BadSignatureError,
    PayloadError,
    TruncatedPayloadError,
    UnknownKeyError,
    UnknownVersionError,
)

# ndeflib's spelling of an NFC Forum external type; on the tag the type field is TYPE_NAME.
TYPE_NAME = "bxo.app:b"
RECORD_TYPE = f"urn:nfc:ext:{TYPE_NAME}"
VERSION = 1
KEY_ID_SIZE = 4
SIGNATURE_SIZE = 64
_BODY_SIZE = 1 + 16 * 3 + KEY_ID_SIZE
PAYLOAD_SIZE = _BODY_SIZE + SIGNATURE_SIZE
# NTAG213: 144 bytes of user memory, 137 of them for the NDEF message (nfcpy's capacity).
NTAG213_NDEF_CAPACITY = 137

__all__ = [
    "RECORD_TYPE", "TYPE_NAME", "BadSignatureError", "BandPayload", "PayloadError",
    "TruncatedPayloadError", "UnknownKeyError", "UnknownVersionError", "check_signature", "parse_payload",
    "sign_payload", "tag_password", "verify_payload",
]


@dataclass(frozen=True)
class BandPayload:
    version: int
    band_id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    key_id: bytes

    def body(self) -> bytes:
        """The signed fields in their wire order (without the UID)."""
        if len(self.key_id) != KEY_ID_SIZE:
            raise ValueError(f"a key id is {KEY_ID_SIZE} bytes, got {len(self.key_id)}")
        if not 0 <= self.version <= 255:
            raise ValueError(f"version {self.version} does not fit in a byte")
        return (
            bytes([self.version]) + self.band_id.bytes + self.event_id.bytes
            + self.category_id.bytes + self.key_id
        )


def _signed_message(body: bytes, uid: bytes) -> bytes:
    # The UID's length is part of the message so no (body, uid) split is ambiguous.
    return body + bytes([len(uid)]) + uid


def sign_payload(p: BandPayload, uid: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The record payload to write on the tag with UID ``uid`` (raw bytes, e.g. 7 for NTAG21x)."""
    if not uid:
        raise ValueError("a tag UID is needed to sign a band")
    body = p.body()
    return body + private_key.sign(_signed_message(body, uid))


def parse_payload(data: bytes) -> tuple[BandPayload, bytes]:
    """Split a record payload into its fields and the signature; checks shape, not trust."""
    if not data:
        raise TruncatedPayloadError("The band holds no data.")
    if data[0] != VERSION:
        raise UnknownVersionError(f"The band's data is of version {data[0]}, which this program cannot read.")
    if len(data) < PAYLOAD_SIZE:
        raise TruncatedPayloadError(
            f"The band's data is cut short ({len(data)} of {PAYLOAD_SIZE} bytes)."
        )
    if len(data) > PAYLOAD_SIZE:
        raise TruncatedPayloadError(
            f"The band's data is longer than expected ({len(data)} of {PAYLOAD_SIZE} bytes)."
        )
    p = BandPayload(
        version=data[0],
        band_id=uuid.UUID(bytes=data[1:17]),
        event_id=uuid.UUID(bytes=data[17:33]),
        category_id=uuid.UUID(bytes=data[33:49]),
        key_id=bytes(data[49:53]),
    )
    return p, bytes(data[_BODY_SIZE:])


def verify_payload(
    data: bytes, uid: bytes, public_keys: Mapping[bytes, Ed25519PublicKey]
) -> BandPayload:
    """The band's fields, if they were signed by one of ``public_keys`` for this very UID."""
    p, signature = parse_payload(data)
    check_signature(p, signature, data, uid, public_keys)
    return p


def check_signature(p: BandPayload, signature: bytes, data: bytes, uid: bytes,
                    public_keys: Mapping[bytes, Ed25519PublicKey]) -> None:
    """``verify_payload`` for a payload already parsed (the gate parses once per tap)."""
    key = public_keys.get(p.key_id)
    if key is None:
        raise UnknownKeyError(
            f"The band was signed with key {p.key_id.hex()}, which this event does not know."
        )
    try:
        key.verify(signature, _signed_message(data[:_BODY_SIZE], uid))
    except InvalidSignature:
        raise BadSignatureError("The band's signature does not match its data and UID.") from None


def ndef_message_size(payload_size: int = PAYLOAD_SIZE) -> int:
    """Bytes of the NDEF message holding one short external record of ``payload_size`` bytes."""
    header = 1 + 1 + (1 if payload_size < 256 else 4)  # flags, type length, payload length
    return header + len(TYPE_NAME.encode()) + payload_size


def tag_password(secret: bytes, uid: bytes) -> tuple[bytes, bytes]:
    """PWD (4 bytes) and PACK (2 bytes) of one tag: HMAC-SHA256(secret, UID).

    Per tag, so one band's password read off the air opens no other band;
    derived, so any station holding the organization's secret can open a
    band another station protected without a table of passwords.
    """
    if not secret:
        raise ValueError("an empty secret protects nothing")
    digest = hmac.new(secret, uid, hashlib.sha256).digest()
    return digest[:4], digest[4:6]


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_raw(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def raw_public(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
