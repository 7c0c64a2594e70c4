"""What a station knows about its sync, read from its own database: no network client needed.

Split from ``client`` so the desktop's status bar and start-up read the
login and the queue without importing httpx: the window is up before the
network code is loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from boxoffice.domain.enums import OutboxStatus
from boxoffice.errors import IdentityError
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, OutboxEntry
from boxoffice.store.types import utcnow

SERVER_KEY = "sync_server"
HEALTH_KEY = "sync_health"
SCOPE_NOTICE_KEY = "sync_scope_notice"  # written by boxoffice.sync.local when the role narrows


@dataclass(frozen=True)
class ServerLogin:
    """What ``boxoffice login`` left in the local store: which server, as whom."""

    url: str
    email: str
    member_id: uuid.UUID
    organization_id: uuid.UUID
    station: str | None

    @classmethod
    def load(cls, store: Store) -> ServerLogin:
        with store.read() as session:
            setting = session.get(LocalSetting, SERVER_KEY)
        if setting is None:
            raise IdentityError(
                "This station is not logged in to a server: boxoffice login --server URL --email EMAIL"
            )
        v = setting.value
        return cls(v["url"], v["email"], uuid.UUID(v["member_id"]), uuid.UUID(v["organization_id"]),
                   v.get("station"))


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows."""

    server: str | None
    online: bool | None  # None: not tried yet
    queue_depth: int
    oldest_unsent: datetime | None
    last_success: datetime | None
    last_error: str | None
    rejected: int
    # The last time the role was lowered: what this station removed, in a sentence.
    role_notice: str | None = None

    def oldest_unsent_age(self, now: datetime | None = None) -> float | None:
        if self.oldest_unsent is None:
            return None
        return ((now or utcnow()) - self.oldest_unsent).total_seconds()

    def describe(self) -> str:
        if self.server is None:
            return "Not connected to a server"
        state = {None: "not synced yet", True: "online", False: "offline"}[self.online]
        parts = [f"{state} ({self.server})"]
        if self.queue_depth:
            age = self.oldest_unsent_age() or 0
            parts.append(f"{self.queue_depth} changes waiting, oldest {_ago(age)}")
        else:
            parts.append("nothing waiting")
        if self.rejected:
            parts.append(f"{self.rejected} refused by the server")
        if self.last_success:
            parts.append(f"last sync {_ago((utcnow() - self.last_success).total_seconds())}")
        if self.online is False and self.last_error:
            parts.append(self.last_error)
        if self.role_notice:
            parts.append(self.role_notice)
        return " · ".join(parts)


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def queue_status(store: Store) -> tuple[int, datetime | None, int]:
    with store.read() as session:
        depth, oldest = session.execute(
            select(func.count(), func.min(OutboxEntry.created_at))
            .where(OutboxEntry.status == OutboxStatus.PENDING)
        ).one()
        rejected = session.scalar(
            select(func.count()).select_from(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.REJECTED)
        )
    if isinstance(oldest, str):  # min() over the column comes back untyped on SQLite
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=utcnow().tzinfo)
    return int(depth), oldest, int(rejected or 0)


def sync_status(store: Store) -> SyncStatus:
    """The status from the store alone: works in another process than the one syncing."""
    depth, oldest, rejected = queue_status(store)
    with store.read() as session:
        server = session.get(LocalSetting, SERVER_KEY)
        health = session.get(LocalSetting, HEALTH_KEY)
        notice = session.get(LocalSetting, SCOPE_NOTICE_KEY)
    h = health.value if health else {}
    return SyncStatus(
        server=server.value["url"] if server else None,
        online=h.get("online"),
        queue_depth=depth,
        oldest_unsent=oldest,
        last_success=datetime.fromisoformat(h["last_success"]) if h.get("last_success") else None,
        last_error=h.get("last_error"),
        rejected=rejected,
        role_notice=str(notice.value["text"]) if notice is not None else None,
    )


def rejected_entries(store: Store) -> list[OutboxEntry]:
    with store.read() as session:
        return list(session.scalars(
            select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.REJECTED)
            .order_by(OutboxEntry.seq)
        ))
