"""What a station knows about its sync, read from its own database: no network client needed.

Split from ``client`` so the desktop's status bar and start-up read the
login and the queue without importing httpx: the window is up before the
network code is loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import OutboxStatus
from boxoffice.errors import IdentityError
from boxoffice.store.database import Store
from boxoffice.store.models import Event, LocalSetting, OutboxEntry
from boxoffice.store.types import utcnow

SERVER_KEY = "sync_server"
HEALTH_KEY = "sync_health"
SCOPE_NOTICE_KEY = "sync_scope_notice"  # written by boxoffice.sync.local when the role narrows
# Refused entries that only followed another refusal (a band's activation after its plan was
# refused): entry id -> the id of the refusal it followed. Counted and listed once, with their cause.
FOLLOW_ONS_KEY = "sync_refused_follow_ons"


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
    # When the last sync was tried (``online`` is what it found), and the zone times are shown in.
    last_attempt: datetime | None = None
    zone: str = "UTC"

    def oldest_unsent_age(self, now: datetime | None = None) -> float | None:
        if self.oldest_unsent is None:
            return None
        return ((now or utcnow()) - self.oldest_unsent).total_seconds()

    def describe(self, now: datetime | None = None) -> str:
        """One line for the status bar and ``boxoffice sync status``.

        Online or offline is what the last sync found, never a fresh check:
        the line says when that was ("online at 10:42 Europe/Amsterdam, 3 min
        ago"), and once it is a minute old, that nobody has checked since.
        """
        if self.server is None:
            return "Not connected to a server"
        now = now or utcnow()
        parts = [f"{self._state(now)} ({self.server})"]
        if self.queue_depth:
            age = self.oldest_unsent_age(now) or 0
            parts.append(f"{self.queue_depth} changes waiting, oldest {_ago(age)}")
        else:
            parts.append("nothing waiting")
        if self.rejected:
            parts.append(f"{self.rejected} refused by the server")
        if self.online is False and self.last_error:
            parts.append(self.last_error)
        if self.role_notice:
            parts.append(self.role_notice)
        return " · ".join(parts)


    def _state(self, now: datetime) -> str:
        at = self.last_attempt or (self.last_success if self.online else None)
        if self.online is None or at is None:
            return "not synced yet"
        age = (now - at).total_seconds()
        said = f"{'online' if self.online else 'offline'} at {clock(at, self.zone, now)}, {_ago(age)}"
        if age >= STALE_AFTER:
            said += "; not checked since"
        if self.online is False and self.last_success is not None:
            said += f"; last reached at {clock(self.last_success, self.zone, now)}"
        return said


# How old the last sync's word may be before the status says nobody has checked since.
STALE_AFTER = 60.0


def clock(at: datetime, zone: str, now: datetime | None = None) -> str:
    """A time as a person at the event reads it, with its zone: "18:40 Europe/Amsterdam" (today) or
    "2026-07-03 18:40 Europe/Amsterdam"."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    today = (now or utcnow()).astimezone(tz).date()
    return f"{local:%H:%M} {zone}" if local.date() == today else f"{local:%Y-%m-%d %H:%M} {zone}"


def display_zone(session: Session) -> str:
    """The zone a station shows its times in: the one all its events share, else UTC."""
    zones = set(session.scalars(select(Event.timezone).distinct()))
    return zones.pop() if len(zones) == 1 else "UTC"


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def follow_ons(session: Session) -> dict[str, str]:
    """Refused entries that are a consequence of another refusal: entry id -> the cause's entry id."""
    setting = session.get(LocalSetting, FOLLOW_ONS_KEY)
    return dict(setting.value) if setting is not None else {}


def add_follow_ons(session: Session, found: dict[str, str]) -> None:
    if not found:
        return
    setting = session.get(LocalSetting, FOLLOW_ONS_KEY)
    if setting is None:
        session.add(LocalSetting(key=FOLLOW_ONS_KEY, value=found))
    else:
        setting.value = {**setting.value, **found}


def queue_status(store: Store) -> tuple[int, datetime | None, int]:
    """Changes waiting, the oldest one's time, and the refusals (one per cause: follow-ons not counted)."""
    with store.read() as session:
        depth, oldest = session.execute(
            select(func.count(), func.min(OutboxEntry.created_at))
            .where(OutboxEntry.status == OutboxStatus.PENDING)
        ).one()
        rejected = session.scalar(
            select(func.count()).select_from(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.REJECTED)
        )
        rejected = int(rejected or 0) - _refused_follow_ons(session)
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
        zone = display_zone(session)
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
        last_attempt=datetime.fromisoformat(h["last_attempt"]) if h.get("last_attempt") else None,
        zone=zone,
    )


def _refused_follow_ons(session: Session) -> int:
    ids = [uuid.UUID(i) for i in follow_ons(session)]
    if not ids:
        return 0
    return int(session.scalar(
        select(func.count()).select_from(OutboxEntry)
        .where(OutboxEntry.status == OutboxStatus.REJECTED, OutboxEntry.id.in_(ids))
    ) or 0)


def rejected_entries(store: Store, *, with_follow_ons: bool = False) -> list[OutboxEntry]:
    """The refused changes, oldest first; one per cause unless ``with_follow_ons``."""
    with store.read() as session:
        rows = list(session.scalars(
            select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.REJECTED)
            .order_by(OutboxEntry.seq)
        ))
        if with_follow_ons:
            return rows
        skip = follow_ons(session)
        return [row for row in rows if str(row.id) not in skip]
