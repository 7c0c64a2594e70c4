"""The gate's check of the data read off a band: is it signed by the event, for this very band?

The verify endpoint runs this on every tap that carries a payload, so it
must stay cheap: the event's public keys are parsed once per process and
kept for ``cache_bounds.EVENT_KEYS`` seconds (a minute unless
``BOXOFFICE_KEY_CACHE_SECONDS`` says otherwise). A key added by a new
station, through any server process, is looked up on first sight, since a
key that is not found is not remembered; a key dropped or replaced through
another process stops being trusted here within the bound. The check is one
Ed25519 verification on top of the tap's own statements.

A payload whose *shape* is wrong (not our version, cut short) is refused
before anything is written: that is a reader or client fault, not a band at
the gate. A payload of the right shape that does not verify (another key,
another UID, a flipped byte, another band's fields) is a forged or damaged
band: it is decided and recorded as ``bad_signature``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from boxoffice import cache_bounds
from boxoffice.domain import payload as pl
from boxoffice.domain.access import payload_problem
from boxoffice.errors import PayloadError, ValidationError
from boxoffice.store.models import EventKey

log = logging.getLogger(__name__)

_CACHE_MAX = 256

_KEY = select(EventKey.public_key).where(
    EventKey.event_id == bindparam("event_id"), EventKey.key_id == bindparam("key_id")
)
_cache: dict[tuple[uuid.UUID, bytes], tuple[float, Ed25519PublicKey]] = {}
_lock = threading.Lock()


class BandLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def category_id(self) -> uuid.UUID: ...


def check_shape(data: bytes) -> pl.BandPayload:
    """The payload's fields, or a ValidationError (422) saying what is wrong with its shape."""
    try:
        return pl.parse_payload(data)[0]
    except PayloadError as exc:
        raise ValidationError.single("payload", exc.message) from None


def _public_key(session: Session, event_id: uuid.UUID, key_id: bytes) -> Ed25519PublicKey | None:
    now = time.monotonic()
    with _lock:
        hit = _cache.get((event_id, key_id))
    # Read per lookup (an environment lookup, well under a microsecond) so that a
    # test can set it for this process without reloading the module.
    if hit is not None and now - hit[0] < cache_bounds.EVENT_KEYS.seconds():
        return hit[1]
    raw = session.scalar(_KEY, {"event_id": event_id, "key_id": key_id.hex()})
    if raw is None:
        return None  # not cached: the key may reach the server later
    key = pl.public_key_from_raw(bytes.fromhex(raw))
    with _lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[(event_id, key_id)] = (now, key)
    return key


def clear_cache() -> None:
    """Forget every parsed key (tests, or after keys were dropped)."""
    with _lock:
        _cache.clear()


def signature_valid(session: Session, event_id: uuid.UUID, band: BandLike, uid: str, data: bytes) -> bool:
    """Whether ``data`` read off the tag ``uid`` was signed by a key of the event for ``band``.

    The domain decides (:func:`boxoffice.domain.access.payload_problem`, as the
    box office's lookup does); this fetches the one key the payload names.
    """
    try:
        parsed = pl.parse_payload(data)
        uid_bytes = bytes.fromhex(uid)
    except (PayloadError, ValueError):
        return False
    key_id = parsed[0].key_id
    key = _public_key(session, event_id, key_id)
    problem = payload_problem(data, uid_bytes, band_id=band.id, event_id=event_id,
                              category_id=band.category_id,
                              public_keys={} if key is None else {key_id: key}, parsed=parsed)
    if problem is not None:
        log.info("payload of tag %s refused: %s", uid, problem)
        return False
    return True
