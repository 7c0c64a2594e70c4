"""What every route needs: the store and the caller, resolved from the bearer token."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boxoffice import cache_bounds
from boxoffice.errors import AuthenticationError
from boxoffice.services import auth
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store

_bearer = HTTPBearer(auto_error=False)

_MAX_CACHED = 10_000


class TokenCache:
    """The member each bearer token stands for, remembered for ``cache_bounds.TOKENS`` seconds.

    A gate taps several times a second with the same token; looking it up in
    the database each time was a fifth of a verify. A revocation made through
    another process (a logout, a password change, a deactivated member)
    therefore reaches this one within the bound (5 s unless
    ``BOXOFFICE_TOKEN_CACHE_SECONDS`` says otherwise): an entry is dropped
    that long after it was read from the database, which was before the
    change. A logout through this process takes effect at once.
    """

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = cache_bounds.TOKENS.seconds() if ttl is None else ttl
        self._items: dict[str, tuple[Actor, float]] = {}

    def get(self, token: str) -> Actor | None:
        found = self._items.get(token)
        if found is None:
            return None
        if found[1] < time.monotonic():
            self._items.pop(token, None)
            return None
        return found[0]

    def put(self, token: str, actor: Actor) -> None:
        if self.ttl <= 0:
            return
        if len(self._items) >= _MAX_CACHED:
            self._items.clear()
        self._items[token] = (actor, time.monotonic() + self.ttl)

    def forget(self, token: str) -> None:
        self._items.pop(token, None)


async def get_token_cache(request: Request) -> TokenCache:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request for a read.
    cache: TokenCache = request.app.state.token_cache
    return cache


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_actor(
    store: Annotated[Store, Depends(get_store)],
    cache: Annotated[TokenCache, Depends(get_token_cache)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("Log in first: this needs a bearer token.")
    token = credentials.credentials
    actor = cache.get(token)
    if actor is None:
        actor = await run_in_threadpool(auth.actor_for_token, store, token)
        cache.put(token, actor)
    return actor


StoreDep = Annotated[Store, Depends(get_store)]
ActorDep = Annotated[Actor, Depends(get_actor)]
