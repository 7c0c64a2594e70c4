"""The server's side of a push: each entry in its own transaction, at most once per entry id."""

from __future__ import annotations

import logging

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError

from boxoffice.errors import BoxOfficeError
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import AppliedEntry
from boxoffice.sync.appliers import APPLIERS
from boxoffice.sync.wire import EntryResult, EntryStatus, PushEntry, PushRequest

log = logging.getLogger(__name__)


def apply_batch(store: Store, actor: Actor, request: PushRequest) -> list[EntryResult]:
    """Apply entries in the order the station made them.

    Each entry commits with its ``AppliedEntry`` row, so a push cut off half
    way (the server stopped, the network dropped) leaves every entry either
    applied and remembered or not applied at all; the station sends the
    batch again and the applied ones answer ``duplicate``. Entries after one
    that must be retried get no answer and stay queued at the station.
    """
    results: list[EntryResult] = []
    for entry in request.entries:
        result = apply_entry(store, actor, request.station, entry)
        results.append(result)
        if result.status is EntryStatus.RETRY:
            # Later entries may build on this one: they wait for the next push.
            break
    return results


def apply_entry(store: Store, actor: Actor, station: str | None, entry: PushEntry) -> EntryResult:
    """One entry, applied or refused for good; ``retry`` only while the database is busy.

    A clash with a unique key or a reference (``IntegrityError``) may be a
    concurrent write that a second attempt sees through the use case's own
    checks; when the second attempt clashes too, the entry clashes with data
    the server keeps, and waiting will not change that: it is refused with a
    reason, so it never holds back the station's later entries and its pull.
    So is an entry a use case fails on unexpectedly (a defect on the server):
    answering 500 would make the station send the whole push again for ever.
    """
    try:
        return _apply_once(store, actor, station, entry)
    except IntegrityError:
        pass
    except DataError as exc:  # a value the database refuses that no service check caught: still a sentence
        log.warning("refused %s %s: the database refused a value: %s", entry.kind, entry.id, exc.orig)
        return _refuse(store, actor, station, entry, "invalid",
                       "A value in it is too long or not allowed by the server's database.")
    except OperationalError as exc:
        return _busy(entry, exc)
    except SQLAlchemyError:
        raise  # the database itself failing (a lost connection): the push is answered 5xx and sent again
    except Exception:
        return _failed(store, actor, station, entry)
    try:
        return _apply_once(store, actor, station, entry)
    except (IntegrityError, DataError) as exc:
        log.warning("refused %s %s: it clashes with the server's data: %s", entry.kind, entry.id, exc.orig)
        return _refuse(store, actor, station, entry, "conflict",
                       "It clashes with data the server already has (an id or a unique value taken), "
                       "so it was not applied.")
    except OperationalError as exc:
        return _busy(entry, exc)
    except SQLAlchemyError:
        raise
    except Exception:
        return _failed(store, actor, station, entry)


def _failed(store: Store, actor: Actor, station: str | None, entry: PushEntry) -> EntryResult:
    log.exception("could not apply %s %s: the server failed on it", entry.kind, entry.id)
    return _refuse(store, actor, station, entry, "server_error",
                   "The server failed on this change (its log has the details), so it was not applied.")


def _apply_once(store: Store, actor: Actor, station: str | None, entry: PushEntry) -> EntryResult:
    with store.write() as session:
        seen = session.get(AppliedEntry, entry.id)
        if seen is not None:
            if seen.organization_id != actor.organization_id:
                return EntryResult(id=entry.id, status=EntryStatus.REJECTED, error="not_found",
                                   reason="This change belongs to another organization.")
            if seen.status == EntryStatus.APPLIED:
                return EntryResult(id=entry.id, status=EntryStatus.DUPLICATE)
            return EntryResult(id=entry.id, status=EntryStatus.REJECTED, error=seen.error,
                               reason=seen.reason)
        status, error, reason = EntryStatus.APPLIED, None, None
        fn = APPLIERS.get(entry.kind)
        try:
            if fn is None:
                raise _Unknown(entry.kind)
            with store.write():
                fn(store, actor, entry)
        except BoxOfficeError as exc:
            status, error, reason = EntryStatus.REJECTED, exc.code, exc.message
        except PydanticValidationError as exc:
            status, error = EntryStatus.REJECTED, "malformed"
            reason = unreadable(exc)
        session.add(AppliedEntry(
            id=entry.id, organization_id=actor.organization_id, member_id=actor.member_id,
            station=station, kind=entry.kind, status=status, error=error, reason=reason,
        ))
        if status is EntryStatus.REJECTED:
            log.info("rejected %s %s from %s: %s", entry.kind, entry.id, station, reason)
        return EntryResult(id=entry.id, status=status, error=error, reason=reason)


def unreadable(exc: PydanticValidationError) -> str:
    """Why a change's data could not be read, for the station's list of refused changes: the first
    problem, where it is, and how many more there are."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "the data"
    more = exc.error_count() - 1
    also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"The change could not be read: {where}: {first.get('msg', 'not valid')}{also}."


def _refuse(store: Store, actor: Actor, station: str | None, entry: PushEntry, error: str,
            reason: str) -> EntryResult:
    """Keep a refusal decided outside the entry's own transaction (which rolled back)."""
    try:
        with store.write() as session:
            if session.get(AppliedEntry, entry.id) is None:
                session.add(AppliedEntry(
                    id=entry.id, organization_id=actor.organization_id, member_id=actor.member_id,
                    station=station, kind=entry.kind, status=EntryStatus.REJECTED, error=error, reason=reason,
                ))
    except (IntegrityError, OperationalError) as exc:  # the same entry, pushed twice at once
        log.info("the refusal of %s was kept by a concurrent push: %s", entry.id, exc.orig)
    return EntryResult(id=entry.id, status=EntryStatus.REJECTED, error=error, reason=reason)


def _busy(entry: PushEntry, exc: OperationalError) -> EntryResult:
    # The database busy or locked: nothing was kept, and the same entry may well apply in a moment.
    log.warning("could not apply %s %s now: %s", entry.kind, entry.id, exc.orig)
    return EntryResult(id=entry.id, status=EntryStatus.RETRY, error="busy",
                       reason="The server was busy; the change will be sent again.")


class _Unknown(BoxOfficeError):
    code = "unknown_kind"

    def __init__(self, kind: str) -> None:
        super().__init__(f"This server does not know the change {kind!r}; it may be older than the station.")
