"""Headless Chromium for the scanner page's tests: one browser per test process, a context per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.scanner import CHROMIUM, PHONE, chromium_available


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module. Not per session: Playwright's sync API names its own asyncio
    loop the running one while it is open, and a later test in this process that starts a loop of
    its own (``asyncio.run``) would be refused; pytest closes a module's fixtures before it moves on."""
    if not chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (packaging/setup-dev.sh installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    """A new browser profile in a phone-sized viewport (its own IndexedDB), closed after the test."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    yield context
    context.close()


@pytest.fixture
def served(tmp_path: Any) -> Iterator[Any]:
    """A seeded database and a real server process on a port that stays the same across restarts.

    Yields ``(world, server)``; ``server.stop()`` and ``server.start(deadline)`` take the network
    away from the page and give it back at the same address.
    """
    import time

    from tests.helpers.scanner import seed_gate_world
    from tests.helpers.servers import ServerProcess, free_port

    yield from _served(tmp_path, seed_gate_world, ServerProcess, free_port, time, {})


def _served(tmp_path: Any, seed: Any, server_class: Any, free_port: Any, time: Any,
            options: dict[str, Any]) -> Iterator[Any]:
    world = seed(tmp_path / "server.db", **options)
    server = server_class(tmp_path / "server.db", tmp_path / "server.log", port=free_port())
    server.start(time.monotonic() + 60)
    try:
        yield world, server
    finally:
        server.stop()
        world.live.store.dispose()


@pytest.fixture
def served_small(tmp_path: Any) -> Iterator[Any]:
    """``served`` with a series of capacity 3: a scanner's lease is of 3 places."""
    import time

    from tests.helpers.scanner import seed_gate_world
    from tests.helpers.servers import ServerProcess, free_port

    yield from _served(tmp_path, seed_gate_world, ServerProcess, free_port, time, {"capacity": 3})
