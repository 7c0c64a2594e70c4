"""Passwords, logins and bearer tokens, shared by the central server and the CLI.

Passwords are hashed with Argon2id. Tokens are random and opaque: the
database keeps only their SHA-256, so a leaked backup cannot be replayed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import Action
from boxoffice.errors import AuthenticationError, TooManyAttemptsError, ValidationError
from boxoffice.schemas.member import MemberView
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import ApiToken, LoginFailure, Member
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

LOGIN_TTL = timedelta(hours=12)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that "no such user" takes as long as
    "wrong password" and does not reveal which accounts exist. Made on first use: hashing costs
    a noticeable fraction of a second, which every command and the desktop paid at import."""
    return _hasher.hash("not a real password")


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
        member.password_hash = _hasher.hash(password)
        # A new password ends every session opened with the old one.
        session.execute(
            delete(ApiToken).where(ApiToken.member_id == member.id, ApiToken.kind == "login")
        )
        return MemberView.model_validate(member)


def login(store: Store, email: str, password: str, now: datetime | None = None) -> tuple[str, MemberView]:
    """Check the password and open a 12-hour session; return the bearer token."""
    now = now or utcnow()
    email = email.strip().lower()
    with store.write() as session:
        recent = session.scalar(
            select(func.count()).select_from(LoginFailure).where(
                LoginFailure.email == email, LoginFailure.at > now - FAILURE_WINDOW
            )
        ) or 0
        if recent >= MAX_FAILURES:
            raise TooManyAttemptsError(int(FAILURE_WINDOW.total_seconds() // 60))
        member = session.scalar(select(Member).where(Member.email == email, Member.active.is_(True)))
        stored = member.password_hash if member is not None and member.password_hash else _dummy_hash()
        try:
            _hasher.verify(stored, password)
            failed = member is None or member.password_hash is None
        except (VerificationError, InvalidHashError):
            failed = True
        if failed or member is None:
            session.add(LoginFailure(email=email, at=now))
            log.warning("failed login for %s", email)
        else:
            token = secrets.token_urlsafe(32)
            session.add(ApiToken(member_id=member.id, token_hash=token_digest(token), kind="login",
                                 created_at=now, expires_at=now + LOGIN_TTL))
            session.execute(delete(LoginFailure).where(LoginFailure.email == email))
            view = MemberView.model_validate(member)
    # Raised only after the block has committed the recorded failure:
    # raising inside the transaction would roll the count back.
    if failed or member is None:
        raise AuthenticationError("The e-mail or password is wrong.")
    return token, view


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
        if tok.revoked_at is not None or not member.active:
            raise AuthenticationError("This sign-in was revoked; log in again.")
        if tok.expires_at is not None and tok.expires_at <= now:
            raise AuthenticationError("This sign-in has expired; log in again.")
        return Actor.of(member)


def revoke(store: Store, token: str) -> None:
    with store.write() as session:
        tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if tok is not None and tok.revoked_at is None:
            tok.revoked_at = utcnow()
