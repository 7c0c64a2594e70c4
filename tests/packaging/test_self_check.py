"""The self-test's encode check, in process: it really encodes, and a bad database stops it with a sentence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import BandStatus
from boxoffice.errors import DatabaseError
from boxoffice.store.models import Wristband
from boxoffice.store.opening import open_store
from hardware.station.self_check import encode_one_band


def test_one_band_is_encoded_active_and_its_signature_checked(tmp_path: Path) -> None:
    db = tmp_path / "encode.sqlite3"
    said = encode_one_band(db)
    store = open_store(db)
    try:
        with store.read() as session:
            bands = list(session.scalars(select(Wristband)))
    finally:
        store.dispose()
    assert [b.status for b in bands] == [BandStatus.ACTIVE]
    assert f"band {bands[0].uid} encoded" in said and "signature verifies" in said


def test_a_file_that_is_not_a_box_office_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseError, match="not a Box office database"):
        encode_one_band(db)
    # (Opening it switched it to WAL, as the store does with every file; its tables are untouched.)
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["invoices"]
