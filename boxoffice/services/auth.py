"""Passwords, logins and bearer tokens, shared by the central server and the CLI.

Passwords are hashed with Argon2id. Tokens are random and opaque: the
database keeps only their SHA-256, so a leaked backup cannot be replayed.
Failed logins are slowed by the counters of ``boxoffice.domain.login_limits``;
``login`` gathers them, lets that module decide, and records the outcome.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from boxoffice.domain import login_limits as limits
from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import Action
from boxoffice.errors import (
    AuthenticationError,
    MemberRemovedError,
    OrganizationChoiceError,
    TooManyAttemptsError,
    ValidationError,
)
from boxoffice.schemas.member import MemberView
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import ApiToken, LoginThrottle, Member, Organization
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

LOGIN_TTL = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
#: argon2's recommended parameters (RFC 9106, low memory): about 60 ms a hash on this project's
#: machines, which is the point. The test suite swaps in argon2's cheapest profile
#: (``tests/conftest.py``); a hash records its own parameters, so either verifies anywhere.
password_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that "no such user" takes as long as
    "wrong password" and does not reveal which accounts exist. Made on first use: hashing costs
    a noticeable fraction of a second, which every command and the desktop paid at import."""
    return password_hasher.hash("not a real password")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(store: Store, actor: Actor, email: str, password: str) -> MemberView:
    """A member sets their own password; the owner may set anyone's."""
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError.single(
            "password", f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
        )
    with store.write() as session:
        member = session.scalar(
            select(Member).where(Member.organization_id == actor.organization_id, Member.email == email)
        )
        if member is None:
            raise ValidationError.single("email", f"No member {email} in your organization.")
        if member.id != actor.member_id:
            actor.require(Action.MANAGE_MEMBERS)
        member.password_hash = password_hasher.hash(password)
        # A new password ends every session opened with the old one.
        session.execute(
            delete(ApiToken).where(ApiToken.member_id == member.id, ApiToken.kind == "login")
        )
        return MemberView.model_validate(member)


def login(store: Store, email: str, password: str, *, organization: str | None = None,
          source: str | None = None, now: datetime | None = None) -> tuple[str, MemberView]:
    """Check the password and open a 12-hour session; return the bearer token.

    ``source`` is the client's address: the server passes it, the command
    line and this computer pass none. Failures slow further attempts as
    ``boxoffice.domain.login_limits`` says; a waiting attempt is refused with
    ``TooManyAttemptsError`` before the password is looked at.

    ``organization`` (an id or the exact name) says which account an e-mail
    that belongs to several organizations means. Without it the password is
    tried against each of them: if it fits one, that is the account; if it
    fits several, ``OrganizationChoiceError`` names those (and only those),
    and nothing is counted; if it fits none, it is a failure like any other.

    Nothing here differs between an e-mail that exists and one that does
    not: the answer is the same sentence, the counters are keyed by what was
    typed, and every attempt checks the same number of password hashes (one
    with an organization named; without, as many as the e-mail with the most
    organizations in the database has, up to ``MAX_ORGANIZATIONS_PER_LOGIN``).
    """
    now = now or utcnow()
    email = email.strip().lower()
    org_id, candidates, checks = _candidates(store, email, organization)
    keys = limits.counter_keys(limits.account_key(email, org_id), limits.address_key(source))
    _ensure_counters(store, keys, now)
    matched: list[tuple[Member, str]] = []
    with store.write() as session:
        counters = _lock_counters(session, keys, now)
        own = counters[limits.ACCOUNT_FROM_ADDRESS]
        trusted = own.last_success_at is not None and own.last_success_at > now - limits.TRUSTED_FOR
        wait = limits.refusal({lim: _counter(row) for lim, row in counters.items()}, trusted, now)
        if wait is not None:
            log.info("login for %s refused for %d s (%s)", email, wait.seconds, wait.limit.scope)
            raise TooManyAttemptsError(wait.seconds, wait.limit.label)
        matched = _matching(candidates, password, checks)
        if len(matched) > 1:
            raise OrganizationChoiceError(sorted(name for _, name in matched))
        if not matched:
            for lim in limits.applying(trusted):
                row = counters[lim]
                after = limits.after_failure(lim, _counter(row), now)
                row.failures, row.last_failure_at, row.blocked_until = (
                    after.failures, after.last_failure_at, after.blocked_until)
                row.touched_at = now
            log.warning("failed login for %s from %s", email, limits.address_key(source))
        else:
            member = matched[0][0]
            token = secrets.token_urlsafe(32)
            session.add(ApiToken(member_id=member.id, token_hash=token_digest(token), kind="login",
                                 created_at=now, expires_at=now + LOGIN_TTL))
            # The owner is in: their own counter starts again and this address becomes one of
            # theirs; the account's counter too (the address's is other accounts' business).
            own.failures, own.last_failure_at, own.blocked_until = 0, None, None
            own.last_success_at = own.touched_at = now
            account = counters[limits.ACCOUNT]
            account.failures, account.last_failure_at, account.blocked_until = 0, None, None
            account.touched_at = now
            view = MemberView.model_validate(member)
    # Raised only after the block has committed the counted failure:
    # raising inside the transaction would roll the count back.
    if not matched:
        raise AuthenticationError(
            "The e-mail, password or organization is wrong." if organization
            else "The e-mail or password is wrong."
        )
    _sweep(store, now)
    return token, view


def _candidates(store: Store, email: str,
                organization: str | None) -> tuple[uuid.UUID | None, list[tuple[Member, str]], int]:
    """The named organization's id, the accounts the password is tried on, and how many checks to make."""
    active = (Member.email == email, Member.active.is_(True), Member.password_hash.is_not(None))
    with_org = select(Member, Organization.name).join(Organization, Organization.id == Member.organization_id)
    with store.read() as session:
        if organization is not None and organization.strip():
            ref = organization.strip()
            as_id = refs.as_uuid(ref)
            org_id = session.scalar(select(Organization.id).where(
                Organization.id == as_id if as_id is not None else Organization.name == ref))
            # Looked up even for no organization, so that an unknown name costs the same as a known one.
            found = session.execute(with_org.where(*active, Member.organization_id == org_id)).all()
            return org_id, [(m, name) for m, name in found], 1
        rows = session.execute(
            with_org.where(*active).order_by(Organization.name).limit(limits.MAX_ORGANIZATIONS_PER_LOGIN)
        ).all()
        per_email = (
            select(func.count().label("n")).select_from(Member)
            .where(Member.active.is_(True), Member.password_hash.is_not(None))
            .group_by(Member.email).subquery()
        )
        most = session.scalar(select(func.max(per_email.c.n))) or 1
    return None, [(m, name) for m, name in rows], max(1, min(most, limits.MAX_ORGANIZATIONS_PER_LOGIN))


def _matching(candidates: list[tuple[Member, str]], password: str, checks: int) -> list[tuple[Member, str]]:
    """The accounts the password fits, after exactly ``checks`` hash checks whatever the candidates."""
    matched = []
    for member, org_name in candidates:
        if _verifies(member.password_hash or _dummy_hash(), password):
            matched.append((member, org_name))
    for _ in range(checks - len(candidates)):
        _verifies(_dummy_hash(), password)
    return matched


def _verifies(stored: str, password: str) -> bool:
    try:
        return password_hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _dialect_insert(store: Store) -> Any:
    return sqlite.insert if store.is_sqlite else postgresql.insert


def _ensure_counters(store: Store, keys: dict[limits.Limit, str], now: datetime) -> None:
    """Make the attempt's counters exist, committed, so the next step can lock all three.

    In its own transaction and in key order: two logins that make the same
    counters at once then wait for each other instead of each holding one
    and waiting for the other's.
    """
    rows = sorted(({"scope": lim.scope, "key": key, "failures": 0, "touched_at": now}
                   for lim, key in keys.items()), key=lambda r: (r["scope"], r["key"]))
    with store.write() as session:
        session.execute(_dialect_insert(store)(LoginThrottle).values(rows).on_conflict_do_nothing())


def _lock_counters(session: Session, keys: dict[limits.Limit, str],
                   now: datetime) -> dict[limits.Limit, LoginThrottle]:
    """The attempt's counters, locked until the attempt is recorded (PostgreSQL; SQLite has one writer)."""
    wanted = or_(*(and_(LoginThrottle.scope == lim.scope, LoginThrottle.key == key)
                   for lim, key in keys.items()))
    found = session.scalars(select(LoginThrottle).where(wanted)
                            .order_by(LoginThrottle.scope, LoginThrottle.key).with_for_update()).all()
    by_scope = {row.scope: row for row in found}
    out = {}
    for lim, key in keys.items():
        row = by_scope.get(lim.scope)
        if row is None:  # swept between making and locking it: a fresh one does
            row = LoginThrottle(scope=lim.scope, key=key, failures=0, touched_at=now)
            session.add(row)
        out[lim] = row
    return out


def _counter(row: LoginThrottle) -> limits.Counter:
    return limits.Counter(row.failures, row.last_failure_at, row.blocked_until)


def _sweep(store: Store, now: datetime) -> None:
    """Forget counters nobody has touched for ``KEEP_FOR``: they have leaked away long ago."""
    with store.write() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.touched_at < now - limits.KEEP_FOR))


def issue_device_token(store: Store, actor: Actor, email: str, label: str) -> str:
    """A long-lived token for a gate scanner or box-office station (a member with that role)."""
    actor.require(Action.MANAGE_MEMBERS)
    email = email.strip().lower()
    with store.write() as session:
        member = session.scalar(
            select(Member).where(Member.organization_id == actor.organization_id, Member.email == email)
        )
        if member is None:
            raise ValidationError.single("email", f"No member {email} in your organization.")
        if member.role not in (Role.GATE, Role.STATION):
            raise ValidationError.single(
                "email", f"{email} is a {member.role.value}; device tokens are for gate and station members."
            )
        token = secrets.token_urlsafe(32)
        session.add(ApiToken(member_id=member.id, token_hash=token_digest(token), kind="device",
                             label=label.strip() or None))
        return token


def actor_for_token(store: Store, token: str, now: datetime | None = None) -> Actor:
    now = now or utcnow()
    with store.read() as session:
        row = session.execute(
            select(ApiToken, Member)
            .join(Member, Member.id == ApiToken.member_id)
            .where(ApiToken.token_hash == token_digest(token))
        ).first()
        if row is None:
            raise AuthenticationError("This sign-in is not valid; log in again.")
        tok, member = row
        if not member.active:
            raise MemberRemovedError(f"{member.email} is no longer a member of this organization.")
        if tok.revoked_at is not None:
            raise AuthenticationError("This sign-in was revoked; log in again.")
        if tok.expires_at is not None and tok.expires_at <= now:
            raise AuthenticationError("This sign-in has expired; log in again.")
        return Actor.of(member)


def revoke(store: Store, token: str) -> None:
    with store.write() as session:
        tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if tok is not None and tok.revoked_at is None:
            tok.revoked_at = utcnow()
