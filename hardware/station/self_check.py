"""One band encoded end to end on the simulated reader: the encoding part of ``boxoffice --self-test``.

It takes the path a real station takes (a fresh database with a small
festival, the bulk ``EncodeJob`` on nfcpy's own NTAG213 code, the signing key
made on first use) and then reads the band back the way a gate does and
checks its signature. In a PyInstaller bundle that proves nfcpy, the
simulator, cryptography and the services were all collected.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import GateKind
from boxoffice.errors import BoxOfficeError
from boxoffice.services import events, organization
from boxoffice.services import keys as keys_svc
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from boxoffice.store.types import utcnow
from hardware.readers.errors import HardwareError
from hardware.readers.sim import SimulatedField, SimulatedNtag, blank_bands
from hardware.readers.sim.device import simulated_reader
from hardware.station.encode_job import BatchParams, EncodeJob

log = logging.getLogger(__name__)

EVENT = "Self-test"
CATEGORY = "GA"
SERIES = "Day 1"
OWNER = "self-test@example.org"
#: Long enough for a loaded machine; one simulated band takes well under a second.
TIMEOUT_S = 30.0


class SelfCheckError(HardwareError):
    """The simulated encoding did not end with a band that verifies."""

    code = "self_check"


def encode_one_band(db_path: Path) -> str:
    """Encode one simulated NTAG213 into a new database at ``db_path``; a sentence saying what was done.

    Raises ``SelfCheckError`` (or the ``BoxOfficeError`` of the step that failed) when the band
    was not encoded, or does not read back with a valid signature.
    """
    store = open_store(db_path)
    try:
        organization.create_organization(store, "Self-test", OWNER, "Self test")
        actor = resolve_actor(store, OWNER)
        events.create_event(store, actor, EVENT, "UTC")
        events.add_category(store, actor, EVENT, CATEGORY)
        events.add_gate(store, actor, EVENT, "Main", GateKind.ENTRY)
        start = utcnow().replace(microsecond=0)
        series_svc.create_series(store, actor, EVENT, SERIES, start, start + timedelta(hours=12), 10,
                                 gates=["Main"])
        band = blank_bands(1, seed=1)[0]
        reader = simulated_reader(SimulatedField([band]))
        with reader:
            job = EncodeJob(reader, store, actor, BatchParams(EVENT, CATEGORY, (SERIES,), 1, "self-test"))
            job.start()
            try:
                result = job.join(TIMEOUT_S)
            except TimeoutError as error:
                job.cancel()
                raise SelfCheckError(
                    f"The simulated reader encoded no band within {TIMEOUT_S:.0f} s.") from error
        if result.progress.done != 1:
            said = "; ".join(b.message for b in result.bands) or "no tap was reported"
            raise SelfCheckError(f"The simulated band was not encoded: {said}")
        keys = {k: pl.public_key_from_raw(v) for k, v in keys_svc.public_keys(store, actor, EVENT).items()}
    finally:
        store.dispose()
    uid, data = _read_back(band)
    try:
        decoded = pl.verify_payload(data, uid, keys)
    except BoxOfficeError as error:
        raise SelfCheckError(f"The encoded band does not verify: {error}") from error
    return f"band {uid.hex().upper()} encoded on the simulated NTAG213 and its signature verifies " \
           f"(band {decoded.band_id})"


def _read_back(band: SimulatedNtag) -> tuple[bytes, bytes]:
    """The UID and the one record's bytes, read with nfcpy on a reader of its own, without the password."""
    field = SimulatedField([], auto_feed=False)
    field.place(band)
    reader = simulated_reader(field)
    with reader:
        session = reader.wait_for_tag(threading.Event(), timeout=5)
        if session is None:
            raise SelfCheckError("The encoded band could not be read back on the simulated reader.")
        with session:
            if session.tag is None:
                raise SelfCheckError(
                    f"The simulated reader found {session.description}, not the encoded band.")
            area = session.tag.ndef
            records = [] if area is None else [(r.type, bytes(r.data)) for r in area.records]
            uid = bytes(session.uid)
    if len(records) != 1 or records[0][0] != pl.RECORD_TYPE:
        raise SelfCheckError(
            f"The encoded band holds {len(records)} records instead of one Box office record.")
    return uid, records[0][1]
