"""Server-side authentication state: bearer tokens and the counters that slow failed logins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.store.base import Base, created_at_column, uuid_pk


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a copied database grants nothing."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "login" for a person's session, "device" for a gate or station token.
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginThrottle(Base):
    """One counter of failed logins (see ``boxoffice.domain.login_limits``).

    ``key`` is a SHA-256 of what the counter is for (an account from an
    address, an address, an account), so no e-mail or address is kept here.
    In the database rather than in memory so that every server process
    behind a load balancer counts together; each login locks its counters
    (``SELECT … FOR UPDATE``) from the check to the record, so two processes
    cannot both take the last free attempt.
    """

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)
    # On an account-from-address counter: the last login that succeeded there.
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    # When anything last happened to it; old counters are swept by it.
    touched_at: Mapped[datetime] = mapped_column(index=True)
