"""The gate scanner page in headless Chromium, with a stand-in for Web NFC that taps real bands.

``NDEF_SHIM`` replaces ``NDEFReader`` before the page's scripts run: ``scan()``
keeps the reader, and ``window.__tapBand(serial, payloadBase64)`` delivers a
reading as Chrome does (``serialNumber`` "04:a1:…", one external record of the
band's type with its bytes in a ``DataView``). The payloads are real: made
by ``boxoffice.domain.payload.sign_payload`` with the event's signing key
(``GateWorld.sign``), for bands seeded in the database.

Chromium is Debian's (``apt-get install chromium``), driven by the PyPI
``playwright`` package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import base64
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, GateKind, ReentryPolicy
from boxoffice.services import assignments, auth, events, keys
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Event, Wristband
from tests.helpers.seeding import Live, add_bands, seed
from tests.helpers.stores import migrated_store

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 412, "height": 915}

NDEF_SHIM = """
(() => {
  window.__nfc = { readers: [] };
  class NDEFReader {
    constructor() { this.onreading = null; this.onreadingerror = null; window.__nfc.readers.push(this); }
    async scan() { this.scanning = true; }
    addEventListener(type, fn) { if (type === "reading") this.onreading = fn; }
  }
  window.NDEFReader = NDEFReader;
  window.__tapBand = (serial, payloadB64, type) => {
    const reader = window.__nfc.readers[window.__nfc.readers.length - 1];
    if (!reader || !reader.scanning) throw new Error("the page is not reading NFC");
    const records = [];
    if (payloadB64) {
      const bytes = Uint8Array.from(atob(payloadB64), (c) => c.charCodeAt(0));
      records.push({ recordType: type || "bxo.app:b", recordType2: null, data: new DataView(bytes.buffer) });
    }
    reader.onreading({ serialNumber: serial, message: { records } });
  };
})();
"""


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@dataclass
class GateWorld:
    """``tests.helpers.seeding.seed`` plus what the scanner tests tap: bands of every kind, a device token.

    ``uids``: "ga" (assigned GA bands), "vip" (an assigned VIP band), "void", "lost",
    "pending" (assigned, in those states), "unassigned" (a GA band of the event not in
    the series). Gates: Main (entry), Exit (exit), "GA door" (entry, GA only).
    """

    live: Live
    token: str
    uids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, str]:
        return self.live.ids

    def sign(self, uid: str, *, band_uid: str | None = None, key: Any = None) -> bytes:
        """The payload the event's encoder writes on tag ``uid`` for the band of ``band_uid`` (default: its own)."""
        store = self.live.store
        owner = resolve_actor(store, "owner@example.org")
        with store.write() as session:
            ev = session.get_one(Event, uuid.UUID(self.ids["event"]))
            row, private = keys.signing_key(session, owner, ev, "test station")
            band = session.scalars(select(Wristband).where(Wristband.uid == (band_uid or uid))).one()
            fields = pl.BandPayload(pl.VERSION, band.id, ev.id, band.category_id, bytes.fromhex(row.key_id))
        return pl.sign_payload(fields, bytes.fromhex(uid), key or private)

    def b64(self, uid: str, **kwargs: Any) -> str:
        return base64.b64encode(self.sign(uid, **kwargs)).decode()


def seed_gate_world(db: str | Path, *, capacity: int = 10_000,
                    policy: ReentryPolicy = ReentryPolicy.REENTRY, bands: int = 12) -> GateWorld:
    store = migrated_store(db)
    live = seed(store, bands=bands, capacity=capacity)
    owner = resolve_actor(store, "owner@example.org")
    event_id, series_id = live.ids["event"], live.ids["series"]
    if policy is not ReentryPolicy.REENTRY:
        detail = svc.series_detail(store, owner, series_id)
        svc.update_series(store, owner, series_id, detail.series.version, {"reentry_policy": policy})
    live.ids["gate:GA door"] = str(events.add_gate(store, owner, "Gate Fest", "GA door", GateKind.ENTRY,
                                                   ["GA"]).id)
    svc.assign_gates(store, owner, series_id, ["GA door"])
    ev = uuid.UUID(event_id)
    uids = {"ga": list(live.bands)}
    uids["vip"] = add_bands(store, ev, "VIP", 2, prefix="05")
    for status, prefix in ((BandStatus.VOID, "06"), (BandStatus.LOST, "07"), (BandStatus.PENDING, "08")):
        uids[status.value] = add_bands(store, ev, "GA", 1, prefix=prefix)
    assignments.assign_bands(store, owner, series_id, uids=uids["vip"] + uids["void"] + uids["lost"]
                             + uids["pending"])
    with store.write() as session:  # after the assignment: only active bands can be assigned
        for status in (BandStatus.VOID, BandStatus.LOST, BandStatus.PENDING):
            session.execute(update(Wristband).where(Wristband.uid.in_(uids[status.value])).values(status=status))
    uids["unassigned"] = add_bands(store, ev, "GA", 2, prefix="09")
    token = auth.issue_device_token(store, owner, "gate@example.org", "scanner tests")
    world = GateWorld(live, token, uids)
    world.sign(uids["ga"][0])  # the event's key pair exists before any band reaches a gate
    return world


def checkins_of(world: GateWorld) -> list[tuple[str, str, str, str, str]]:
    """(scan id, UID, direction, result, reason) of every check-in the server keeps, oldest first."""
    from boxoffice.store.models import Checkin

    with world.live.store.read() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Checkin.client_scan_id, Checkin.uid, Checkin.direction, Checkin.result, Checkin.reason)
            .order_by(Checkin.occurred_at)).all()]


def serial(uid: str) -> str:
    """A UID as Chrome's Web NFC gives ``serialNumber``: lower-case bytes joined by colons."""
    return ":".join(uid[i:i + 2] for i in range(0, len(uid), 2)).lower()


class ScannerPage:
    """One phone: a Playwright page on ``/scanner/`` with the NFC stand-in, logged in to one lane."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        page.add_init_script(NDEF_SHIM)
        page.set_default_timeout(20_000)

    def open(self, token: str | None = None) -> None:
        url = f"{self.base_url}/scanner/" + (f"#token={token}" if token else "")
        self.page.goto(url)

    def login(self, token: str, series_id: str, gate_id: str, lane: str = "Lane 1") -> None:
        self.open()
        self.page.fill("#token", token)
        self.page.click("#login-form button")
        self.choose(series_id, gate_id, lane)

    def choose(self, series_id: str, gate_id: str, lane: str = "Lane 1") -> None:
        self.page.wait_for_selector("#choose:not([hidden])")
        self.page.select_option("#series", series_id)
        self.page.select_option("#gate", gate_id)
        self.page.fill("#lane-name", lane)
        self.page.click("#choose-form button")
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_function("window.scanner && window.scanner.ready && window.scanner.state.dataAt")
        if self.page.is_visible("#nfc"):
            self.page.click("#nfc")
        self.page.wait_for_function("window.__nfc.readers.length > 0 && window.__nfc.readers.at(-1).scanning")

    def state(self, name: str) -> Any:
        return self.page.evaluate(f"window.scanner.state[{name!r}]")

    def tap(self, uid: str, payload: bytes | str | None = None) -> dict[str, Any]:
        """Tap a band (its UID, and the record on it, if any); returns the answer the screen shows."""
        before = self.state("answers")
        data = base64.b64encode(payload).decode() if isinstance(payload, bytes) else payload
        self.page.evaluate("([s, p]) => window.__tapBand(s, p)", [serial(uid), data])
        self.page.wait_for_function(f"window.scanner.state.answers > {before}")
        answer: dict[str, Any] = self.page.evaluate("window.scanner.state.lastAnswer")
        answer["verdict"] = self.page.inner_text("#verdict")
        answer["screen"] = self.page.inner_text("#answer")
        return answer

    def type_uid(self, uid: str) -> dict[str, Any]:
        before = self.state("answers")
        self.page.fill("#manual-uid", uid)
        self.page.click("#manual-form button")
        self.page.wait_for_function(f"window.scanner.state.answers > {before}")
        answer: dict[str, Any] = self.page.evaluate("window.scanner.state.lastAnswer")
        return answer

    def shoot(self, name: str) -> None:
        """A screenshot for the README (resources/screenshots) when BOXOFFICE_SCANNER_SCREENSHOTS names a folder."""
        import os

        folder = os.environ.get("BOXOFFICE_SCANNER_SCREENSHOTS")
        if folder:
            self.page.screenshot(path=str(Path(folder) / f"scanner-{name}.png"))

    def wait_offline(self) -> None:
        self.page.wait_for_function("!window.scanner.state.online")

    def wait_uploaded(self, timeout_ms: int = 30_000) -> None:
        """Until the page is online again with nothing waiting (it probes every 2 s)."""
        self.page.wait_for_function("window.scanner.state.online && window.scanner.state.queued === 0",
                                    timeout=timeout_ms)

    def wait_worker(self) -> None:
        """Until the service worker controls the page: from then on it starts with no server."""
        self.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)

    def queued(self) -> int:
        return int(self.page.evaluate("window.scanner.state.queued"))


__all__ = ["CHROMIUM", "NDEF_SHIM", "PHONE", "GateWorld", "ScannerPage", "chromium_available", "seed_gate_world",
           "serial"]
