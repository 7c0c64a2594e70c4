"""Headless Chromium for the scanner page's tests: one browser per test process, a context per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.scanner import CHROMIUM, PHONE, chromium_available


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
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
