"""Server-side authentication state: bearer tokens and failed logins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
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


class LoginFailure(Base):
    """One failed login; counted per e-mail over a window to slow down guessing.

    Kept in the database rather than in memory so that every server
    instance behind a load balancer sees the same count.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = created_at_column()
