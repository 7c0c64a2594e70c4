"""What every route needs: the store and the caller, resolved from the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boxoffice.errors import AuthenticationError
from boxoffice.services import auth
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store

_bearer = HTTPBearer(auto_error=False)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_actor(
    store: Annotated[Store, Depends(get_store)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("Log in first: this needs a bearer token.")
    return await run_in_threadpool(auth.actor_for_token, store, credentials.credentials)


StoreDep = Annotated[Store, Depends(get_store)]
ActorDep = Annotated[Actor, Depends(get_actor)]
