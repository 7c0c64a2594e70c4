"""Key material for encoding: an event's signing keys and the organization's tag secret.

Nothing is shipped with the program: both are made on first use, in the
database of the station that first needs them.

How another station gets to sign: it does not borrow a key. Each station
makes its own key pair for an event the first time it encodes for it; the
private half never leaves that station's database (not in the outbox, not
in the change log), and the public half goes to the server through the
outbox and from there to every station and gate. A gate trusts any key of
the event, so bands from every station verify everywhere, and a stolen
laptop is dealt with by dropping its key id, not by re-encoding every band.

The tag secret is different: a band protected at one station must be opened
at another (resuming a pending band, reusing bands at the next event), so
it is shared by the organization and travels like any other row. Two
stations that start offline may each make one; both are kept, new bands use
the oldest, and every band records which one protected it. A band's tag
password (PWD/PACK) is derived from the secret that protected it and its UID
(``password_for``, ``passwords_for``), so it is never stored.
"""

from __future__ import annotations

import logging
import os
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from boxoffice.domain import payload as pl
from boxoffice.domain.permissions import Action, may
from boxoffice.domain.references import (
    NEW,
    EventId,
    New,
)
from boxoffice.errors import DuplicateError, NotFoundError, ValidationError
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.wristbands import check_uid
from boxoffice.store.database import Store
from boxoffice.store.models import Event, EventKey, TagSecret, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_HEX64 = frozenset("0123456789abcdef")

# Parsed Ed25519 keys by their stored hex: parsing is pure, and a batch signs
# every band with the same key. Small, because a station holds a few keys.
_PARSED: dict[str, Ed25519PrivateKey] = {}
_PARSED_MAX = 32

_CURRENT_KEY = (
    select(EventKey.key_id, EventKey.private_key)
    .where(EventKey.event_id == bindparam("event_id"), EventKey.private_key.is_not(None))
    .order_by(EventKey.created_at.desc())
    .limit(1)
)
_OLDEST_SECRET = (
    select(TagSecret.id, TagSecret.secret)
    .where(TagSecret.organization_id == bindparam("organization_id"))
    .order_by(TagSecret.created_at, TagSecret.id)
    .limit(1)
)


def parse_private(private_hex: str) -> Ed25519PrivateKey:
    """The key object of a stored private key, parsed once per process."""
    key = _PARSED.get(private_hex)
    if key is None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        key = _PARSED[private_hex] = pl.private_key_from_raw(bytes.fromhex(private_hex))
    return key


def current_signing_key(session: Session, event_id: uuid.UUID) -> tuple[str, Ed25519PrivateKey] | None:
    """(key id, private key) that ``signing_key`` would return, without loading the row; None if none yet."""
    row = session.connection().execute(_CURRENT_KEY, {"event_id": event_id}).first()  # no autoflush
    if row is None or row.private_key is None:
        return None
    return row.key_id, parse_private(row.private_key)


def current_tag_secret(session: Session, actor: Actor) -> tuple[uuid.UUID, bytes] | None:
    """(id, secret) of the secret ``tag_secret`` would return, without loading the row; None if none yet."""
    row = session.connection().execute(_OLDEST_SECRET, {"organization_id": actor.organization_id}).first()
    return None if row is None else (row.id, bytes.fromhex(row.secret))


def signing_key(session: Session, actor: Actor, ev: Event,
                station: str | None) -> tuple[EventKey, Ed25519PrivateKey]:
    """This database's private key for ``ev``, made (and its public half queued) on first use."""
    row = session.scalars(
        select(EventKey)
        .where(EventKey.event_id == ev.id, EventKey.private_key.is_not(None))
        .order_by(EventKey.created_at.desc())
        .limit(1)
    ).first()
    if row is not None and row.private_key is not None:
        return row, parse_private(row.private_key)
    taken = set(session.scalars(select(EventKey.key_id).where(EventKey.event_id == ev.id)))
    key_id = os.urandom(pl.KEY_ID_SIZE).hex()
    while key_id in taken:  # four random bytes: a clash is a once-in-a-lifetime event
        key_id = os.urandom(pl.KEY_ID_SIZE).hex()
    private = pl.new_private_key()
    row = EventKey(
        event_id=ev.id, key_id=key_id, public_key=pl.raw_public(private.public_key()).hex(),
        private_key=pl.raw_private(private).hex(), station=station, created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    outbox.record(session, actor, "event_key.create", row.id, {
        "id": row.id, "event_id": ev.id, "key_id": row.key_id, "public_key": row.public_key,
        "station": station,
    })
    log.info("made signing key %s for %s at %s", key_id, ev.name, station or "this station")
    return row, private


def add_public_key(store: Store, actor: Actor, *, key_row_id: uuid.UUID, event_ref: str, key_id: str,
                   public_key: str, station: str | None) -> None:
    """Keep another station's public key (the server's side of ``event_key.create``)."""
    actor.require(Action.ENCODE_BANDS)
    key_id, public_key = key_id.lower(), public_key.lower()
    if len(key_id) != 2 * pl.KEY_ID_SIZE or len(public_key) != 64 or not set(key_id + public_key) <= _HEX64:
        raise ValidationError.single("public_key", "A signing key is a 4-byte id and a 32-byte public key.")
    pl.public_key_from_raw(bytes.fromhex(public_key))
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        if session.get(EventKey, key_row_id) is not None:
            return
        clash = session.scalar(select(EventKey).where(EventKey.event_id == ev.id, EventKey.key_id == key_id))
        if clash is not None:
            raise DuplicateError("signing key", "id", key_id, f"in {ev.name}")
        session.add(EventKey(id=key_row_id, event_id=ev.id, key_id=key_id, public_key=public_key,
                             station=station, created_at=utcnow()))


def tag_secret(session: Session, actor: Actor) -> TagSecret:
    """The organization's tag secret for new bands (the oldest), made on first use."""
    row = session.scalars(
        select(TagSecret)
        .where(TagSecret.organization_id == actor.organization_id)
        .order_by(TagSecret.created_at, TagSecret.id)
        .limit(1)
    ).first()
    if row is not None:
        return row
    row = TagSecret(organization_id=actor.organization_id, secret=os.urandom(32).hex(), created_at=utcnow())
    session.add(row)
    session.flush()
    outbox.record(session, actor, "tag_secret.create", row.id, {"id": row.id, "secret": row.secret})
    log.info("made the organization's tag-password secret")
    return row


def add_tag_secret(store: Store, actor: Actor, *, secret_id: uuid.UUID, secret: str) -> None:
    """Keep a secret a station made (the server's side of ``tag_secret.create``)."""
    actor.require(Action.ENCODE_BANDS)
    secret = secret.lower()
    if len(secret) != 64 or not set(secret) <= _HEX64:
        raise ValidationError.single("secret", "A tag secret is 32 bytes.")
    with store.write() as session:
        if session.get(TagSecret, secret_id) is None:
            session.add(TagSecret(id=secret_id, organization_id=actor.organization_id, secret=secret,
                                  created_at=utcnow()))


def secret_bytes(session: Session, actor: Actor, secret_id: uuid.UUID) -> bytes:
    row = session.get(TagSecret, secret_id)
    if row is None or row.organization_id != actor.organization_id:
        # The secret has not reached this station yet: sync, then try again.
        raise NotFoundError("tag secret", f"{secret_id} (sync this station and try again)")
    return bytes.fromhex(row.secret)


def event_public_keys(session: Session, event_id: uuid.UUID) -> dict[bytes, bytes]:
    return {
        bytes.fromhex(k): bytes.fromhex(p)
        for k, p in session.execute(
            select(EventKey.key_id, EventKey.public_key).where(EventKey.event_id == event_id)
        )
    }


def public_keys(store: Store, actor: Actor, event_ref: str) -> dict[bytes, bytes]:
    """Key id -> raw Ed25519 public key of every key that signs the event's bands: what gates get."""
    if not may(actor.role, Action.VERIFY):
        actor.require(Action.VIEW_BANDS)
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        return event_public_keys(session, ev.id)


# -- tag passwords ------------------------------------------------------------------------------


def password_for(store: Store, actor: Actor, uid: str) -> tuple[bytes, bytes]:
    """PWD/PACK of the newest band of this UID in the organization (the password it was protected with)."""
    candidates = passwords_for(store, actor, uid)
    if not candidates:
        raise NotFoundError("protected band with UID", uid)
    return candidates[0]


def passwords_for(store: Store, actor: Actor, uid: str) -> list[tuple[bytes, bytes]]:
    """Every PWD/PACK this UID may be protected with, most likely first.

    A band reused from an earlier event, or protected by a station that had
    made its own secret offline, may carry an older password than the
    current one; the encoder tries these in order.
    """
    actor.require(Action.ENCODE_BANDS)
    uid = check_uid(uid)
    with store.read() as session:
        secret_ids = session.scalars(
            select(Wristband.tag_secret_id)
            .join(Event, Event.id == Wristband.event_id)
            .where(Wristband.uid == uid, Event.organization_id == actor.organization_id,
                   Wristband.tag_secret_id.is_not(None))
            .order_by(Wristband.created_at.desc())
        ).all()
        out: list[tuple[bytes, bytes]] = []
        for sid in dict.fromkeys(s for s in secret_ids if s is not None):
            pair = pl.tag_password(secret_bytes(session, actor, sid), bytes.fromhex(uid))
            if pair not in out:
                out.append(pair)
        return out


# -- what this module's changes carry to the server (its outbox contracts) --------

class EventKeyChange(outbox.Payload):
    id: New
    event_id: EventId
    key_id: str
    public_key: str
    station: str | None = None


class TagSecretChange(outbox.Payload):
    id: New
    secret: str


outbox.declare("event_key.create", EventKeyChange, NEW)
outbox.declare("tag_secret.create", TagSecretChange, NEW)
