"""The packaging tests look at the shipped files and run the real command, as the bundle's self-test does."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


@pytest.fixture
def root() -> Path:
    return ROOT
