"""Sync endpoints: stations push their outbox and pull the change log.

The pull answer is assembled from the log's stored JSON text without
parsing it: a station catching up on a day of check-ins pulls hundreds of
thousands of rows, and re-encoding each on the server would be most of the cost.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from boxoffice.domain.permissions import PULL_CHANGES
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.store.database import Store
from boxoffice.sync import changelog, replay
from boxoffice.sync.position import PATTERN, Position
from boxoffice.sync.replicas import tables_of
from boxoffice.sync.scope import Scope
from boxoffice.sync.wire import (
    DEFAULT_PAGE,
    MAX_PAGE,
    MAX_WAIT_SECONDS,
    PullPage,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/api/sync", tags=["sync"], responses=rq.ERROR_RESPONSES)

# How often a waiting pull looks at the log again. Polling the database
# (rather than a signal inside this process) is what lets several server
# instances behind a load balancer answer each other's changes.
_POLL_SECONDS = 0.2


@router.post("/push")
def push(body: PushRequest, store: StoreDep, actor: ActorDep) -> PushResponse:
    """Apply a station's outbox entries in order; one answer per entry."""
    return PushResponse(results=replay.apply_batch(store, actor, body))


def _page(store: Store, organization_id: uuid.UUID, scope: Scope, after: Position,
          limit: int) -> tuple[str, int]:
    """One page of the log as ``scope`` may receive it, and how many logged changes it stepped over.

    Changes the scope does not admit are read and left out, and the cursor
    still moves past them: a viewer's station follows the same log as
    everyone else, and its next pull does not read them again.
    """
    with store.read() as session:
        rows = changelog.changes_after(session, organization_id, after, limit)
        log = changelog.log_id(session)
        # After the page: a later statement's horizon is never lower, so the head is never behind it.
        head = changelog.head(session, organization_id)
    cursor = rows[-1].position if rows else after
    sent = [c for c in rows if scope.admits(c.table, c.pk)]
    tables = tables_of({c.table for c in sent})
    changes = ",".join(
        f'["{c.position}","{c.table}",{c.pk},{scope.redact(c.table, c.row) if c.row is not None else "null"}]'
        for c in sent
    )
    body = (
        f'{{"log":{json.dumps(log)},"head":"{head}","cursor":"{cursor}",'
        f'"more":{"true" if len(rows) == limit else "false"},'
        f'"scope":{json.dumps(scope.to_wire())},'
        f'"tables":{json.dumps(tables)},"changes":[{changes}]}}'
    )
    return body, len(rows)


@router.get("/changes", response_model=PullPage)
async def changes(
    request: Request,
    store: StoreDep,
    actor: ActorDep,
    after: str = Query("0.0", pattern=PATTERN,
                       description='The cursor of the last page applied, "TXID.SEQ" (a bare integer N '
                                   "is the position 0.N of a log from before transaction ids)."),
    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE),
    wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS,
                        description="Seconds to wait for a change when there is none yet."),
) -> Response:
    """Changes of the caller's organization after ``after``, oldest first: those its role may hold.

    Which tables a role receives is ``HOLD`` in ``boxoffice.domain.permissions``,
    the table the API's routes check; ``scope`` in the answer says what the
    page was cut for, so a station whose role was lowered removes what it may
    no longer hold.
    """
    actor.require(PULL_CHANGES)
    scope = Scope.of(actor.role, actor.member_id)
    position = Position.parse(after)
    deadline = time.monotonic() + wait
    while True:
        body, count = await run_in_threadpool(_page, store, actor.organization_id, scope, position, limit)
        remaining = deadline - time.monotonic()
        if count or remaining <= 0 or await request.is_disconnected():
            return Response(body, media_type="application/json")
        await asyncio.sleep(min(_POLL_SECONDS, remaining))
