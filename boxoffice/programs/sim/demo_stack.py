"""Everything ``boxoffice demo`` runs besides the window: server, station, gate traffic.

One process holds it all so that one Ctrl+C (or closing the window) stops
it all: the central server on a loopback port with its own SQLite file,
seeded with a three-day festival; a station database logged in to it as the
owner and already pulled; and simulated gate devices tapping bands at the
server, whose check-ins reach the station through the ordinary sync pull.

Nothing touches the person's real data: the databases, the login token and
the generated passwords live in the demo's own folder.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boxoffice import files
from boxoffice.errors import BoxOfficeError
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.programs.sim.demo import OWNER, DemoSummary, seed_festival
from boxoffice.services import auth
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from boxoffice.sync import changelog

log = logging.getLogger(__name__)

STATION = "Box office 1"
GATE_DEVICE = "gate-1@example.org"


class DemoFolderError(BoxOfficeError):
    code = "demo_folder"


class GateTrafficLoop:
    """Gate-simulator rounds back to back until stopped: the demo runs as long as its window is open.

    Each round is an ordinary ``gate-sim`` run (steady arrivals, several
    devices per gate, one of them going offline and uploading its queue
    late); planning a whole day up front would only delay the first tap.
    """

    ROUND_SECONDS = 600.0

    def __init__(self, url: str, series_id: str, device: tuple[str, str], lookup: tuple[str, str],
                 rate: float) -> None:
        self.url, self.series_id, self.rate = url, series_id, rate
        self.device, self.lookup = device, lookup
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._totals: dict[str, Any] = {
            "rounds": 0, "sent": 0, "allowed": 0, "denied": 0, "replayed": 0, "errors": 0, "uploaded_late": 0,
            "by_reason": {}, "error_messages": [],
        }

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="boxoffice-demo-gates", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from boxoffice.programs.sim.gate_client import Credentials, GateSimConfig, GateSimError, run_gate_sim
        from boxoffice.programs.sim.gate_traffic import Profile

        config = GateSimConfig(
            server=self.url, series_id=self.series_id, device=Credentials(*_login(self.device)),
            lookup=Credentials(*_login(self.lookup)), rate=self.rate, duration=self.ROUND_SECONDS,
            profile=Profile.STEADY,
        )
        while not self._stop.is_set():
            try:
                result = run_gate_sim(config, stop=self._stop)
            except GateSimError as exc:
                log.warning("demo gate traffic stopped: %s", exc)
                with self._lock:
                    self._totals["error_messages"].append(exc.message)
                return
            with self._lock:
                t = self._totals
                t["rounds"] += 1
                for name in ("sent", "allowed", "denied", "replayed", "errors", "uploaded_late"):
                    t[name] += getattr(result, name)
                for reason, n in result.by_reason.items():
                    t["by_reason"][reason] = t["by_reason"].get(reason, 0) + n
                t["error_messages"] += result.error_messages[: max(0, 5 - len(t["error_messages"]))]

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def summary(self) -> dict[str, Any]:
        """Totals of the finished rounds (all of them once ``stop()`` has returned)."""
        with self._lock:
            out = dict(self._totals, by_reason=dict(self._totals["by_reason"]))
        out["answered"] = out["allowed"] + out["denied"] + out["replayed"]
        return out


def _login(pair: tuple[str, str]) -> tuple[None, str, str]:
    return None, pair[0], pair[1]


@dataclass
class DemoStack:
    folder: Path
    bands: int = 3000
    rate: float = 3.0  # gate taps per second; 0: no traffic
    server_store: Store | None = None
    station_store: Store | None = None
    server: EmbeddedServer | None = None
    traffic: GateTrafficLoop | None = None
    summary: DemoSummary | None = None
    password: str = ""
    _folder_before: list[Path | None] = field(default_factory=list)  # files.use_folder's, to give back
    _stopped: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def in_folder(cls, folder: Path | None, **kwargs: Any) -> DemoStack:
        """A stack for ``folder`` (a new temporary one by default); refuses a folder that holds files."""
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="boxoffice-demo-"))
        elif folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise DemoFolderError(f"{folder} already holds files; the demo only starts in a new or empty "
                                  "folder, so it never mixes with other data.")
        return cls(folder=folder, **kwargs)

    @property
    def station_db(self) -> Path:
        return self.folder / "station.sqlite3"

    @property
    def server_db(self) -> Path:
        return self.folder / "server.sqlite3"

    def start(self, say: Callable[[str], None] = log.info) -> None:
        """Seed, serve, log the station in and start the traffic; undone by ``stop()`` on failure too."""
        try:
            self._start(say)
        except BaseException:
            self.stop()
            raise

    def _start(self, say: Callable[[str], None]) -> None:
        # Its databases hold keys and its logins.txt the passwords: for this user only.
        files.private_folder(self.folder, ours=True)
        # The station's login token (and the window's settings) go to the demo's folder, never to the
        # person's keyring or settings.
        self._folder_before.append(files.use_folder(self.folder))
        say(f"Seeding a three-day festival with {self.bands:,} bands in {self.server_db}")
        self.server_store = open_store(self.server_db)
        changelog.become_server(self.server_store)  # before the seed: its rows are logged as written
        self.summary = seed_festival(self.server_store, bands=self.bands)
        owner = resolve_actor(self.server_store, OWNER)
        self.password = secrets.token_urlsafe(12)  # made here, at first run: no secret in the repository
        for email in (OWNER, GATE_DEVICE, "manager@example.org", "box@example.org"):
            auth.set_password(self.server_store, owner, email, self.password)
        files.create_private_file(self.folder / "logins.txt")
        (self.folder / "logins.txt").write_text(
            "Demo logins (this folder only):\n"
            + "".join(f"  {e}  {self.password}\n"
                      for e in (OWNER, "manager@example.org", "box@example.org", GATE_DEVICE)),
            encoding="utf-8")
        self.server = EmbeddedServer(self.server_store)
        url = self.server.start()
        say(f"Central server on {url}")

        from boxoffice.sync import client as sync_client

        self.station_store = open_store(self.station_db)
        outcome = sync_client.login(self.station_store, url, OWNER, self.password, station=STATION)
        say(f"Station {STATION} logged in as {OWNER}; pulled {outcome.report.pulled:,} rows "
            f"into {self.station_db}")
        self._sell_at_the_door(say)
        if self.rate > 0:
            day = self.summary.series[0]
            series_id = next(str(v.id) for v in series_svc.list_series(self.server_store, owner)
                             if v.name == day)
            self.traffic = GateTrafficLoop(url, series_id, (GATE_DEVICE, self.password),
                                           ("manager@example.org", self.password), self.rate)
            self.traffic.start()
            say(f"Gate devices tapping bands on {day} at {self.rate:g}/s")

    def _sell_at_the_door(self, say: Callable[[str], None]) -> None:
        """A few sales at this station, from the places the server leased it at login, then a sync."""
        from boxoffice.services import sales
        from boxoffice.sync import client as sync_client

        assert self.station_store is not None
        me = resolve_actor(self.station_store, OWNER)
        made = 0
        for product, n, payment in (("Day ticket", 2, sales.Payment.cash(10_000)),
                                    ("Weekend", 1, sales.Payment.card("T-004211")),
                                    ("Day ticket", 1, sales.Payment.cash(5_000))):
            try:
                sales.sell(self.station_store, me, lines=[(product, n)], payment=payment, station=STATION)
                made += 1
            except BoxOfficeError as exc:  # no lease of it here: the demo goes on without this sale
                log.info("demo sale of %s not made: %s", product, exc.message)
        with sync_client.SyncClient.from_store(self.station_store) as sync:
            sync.sync_once()
        say(f"Station {STATION} sold {made} orders at the door from its leases of places")

    def stop(self) -> None:
        """Stop the traffic, the server and the databases, in that order; safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.traffic is not None:
            try:
                self.traffic.stop()
            except Exception:  # stopping must go on: the server and files still need closing
                log.exception("the gate traffic did not stop cleanly")
        if self.server is not None:
            self.server.stop()
        for store in (self.station_store, self.server_store):
            if store is not None:
                store.dispose()
        if self._folder_before:
            files.use_folder(self._folder_before.pop())
        log.info("demo stopped; its files stay in %s", self.folder)
