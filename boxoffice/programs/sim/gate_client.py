"""Sends a planned run of gate traffic to a central server, as the gates' handhelds would.

What the simulator may know is what a gate may know. It logs in as a
member with the ``gate`` role (or takes a token) and, with that role only,
reads each gate's scannables (``GET /api/gates/{id}/scannables``: the gate's
kind, its categories and the bands it may admit, with their status and
presence). A gate device may not list a series' gates, so the gates'
names come from a second login (``lookup``: any member who may view series)
or, without one, the gates must be given by id. When the device login may
view series itself (an owner's token in the demo) it is used for both.

It cannot sign genuine bands (the event's private keys stay at the
stations), so genuine taps are sent UID-only, as a UID-only reader sends
them, and forged taps carry a payload signed with a key the simulator makes
for the run, which the server must deny as ``bad_signature``.

Each device is one asyncio task that sends its taps in order and waits for
each answer, like a handheld. The run stops by itself when the plan is
done (or shortly after its duration if the server cannot keep up), or as
soon as ``stop`` (a ``threading.Event``, settable from any thread) is set;
either way it returns a summary. No Qt here: the desktop demo runs it in a
worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, GateKind
from boxoffice.errors import BoxOfficeError, ValidationError
from boxoffice.programs.sim.gate_traffic import (
    BandInfo,
    GateInfo,
    Mix,
    PlanConfig,
    PlannedTap,
    Profile,
    TapKind,
    plan_taps,
)

log = logging.getLogger(__name__)

# How long after its duration a run that fell behind keeps sending before it gives up.
GRACE_SECONDS = 5.0
_PAGE = 5000


class GateSimError(BoxOfficeError):
    """The simulator cannot start: the server, the login or the series is not what it needs."""

    code = "gate_sim"


@dataclass(frozen=True)
class Credentials:
    """A bearer token, or an e-mail and password to log in with."""

    token: str | None = None
    email: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if not self.token and not (self.email and self.password):
            raise ValidationError.single("login", "Give a token, or an e-mail and a password.")


@dataclass(frozen=True)
class GateSimConfig:
    server: str
    series_id: str
    device: Credentials
    rate: float = 30.0  # peak taps per second
    duration: float = 600.0  # seconds
    profile: Profile = Profile.DOORS_OPEN
    mix: Mix = field(default_factory=Mix)
    gates: Sequence[str] | None = None  # names or ids; None: every gate of the series
    devices_per_gate: int = 2
    seed: int | None = None  # None: a new run each time
    lookup: Credentials | None = None
    offline_device: bool = True
    timeout: float = 10.0


@dataclass
class GateFigures:
    """One gate's share of a run, as the supervisor's Gates page shows it: taps, answers, rate, latency."""

    gate: str
    gate_id: str
    sent: int = 0
    allowed: int = 0
    denied: int = 0
    replayed: int = 0
    errors: int = 0
    denied_by_reason: dict[str, int] = field(default_factory=dict)
    achieved_rate: float = 0.0  # taps sent per second over the run
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None

    @property
    def denied_pct(self) -> float | None:
        decided = self.allowed + self.denied
        return 100.0 * self.denied / decided if decided else None


@dataclass
class SimSummary:
    series_id: str
    profile: str
    seed: int
    planned: int = 0
    sent: int = 0
    allowed: int = 0
    denied: int = 0
    replayed: int = 0
    errors: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    achieved_rate: float = 0.0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    offline_device: str | None = None
    queued: int = 0  # taps the offline device queued while it was offline
    uploaded_late: int = 0  # of those, sent when it came back (fewer if the run was stopped first)
    stopped_early: bool = False
    error_messages: list[str] = field(default_factory=list)
    gates: list[GateFigures] = field(default_factory=list)  # by gate name

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for figures, row in zip(self.gates, out["gates"], strict=True):
            row["denied_pct"] = None if figures.denied_pct is None else round(figures.denied_pct, 2)
            row["per_minute"] = round(figures.achieved_rate * 60, 2)
        return out

    def gate_lines(self) -> list[str]:
        """Per gate, in the Gates page's terms: sent, allowed, denied (and why), rate, latency."""
        if not self.gates:
            return []
        width = max(12, *(len(g.gate) for g in self.gates))
        lines = [f"  {'per gate':<{width}} {'sent':>6} {'allowed':>8} {'denied':>7} {'denied %':>9} "
                 f"{'rate /min':>10} {'p50 ms':>7} {'p99 ms':>7}  denied by reason"]
        for g in self.gates:
            pct = "–" if g.denied_pct is None else f"{g.denied_pct:.1f} %"
            p50 = "–" if g.latency_p50_ms is None else f"{g.latency_p50_ms:.1f}"
            p99 = "–" if g.latency_p99_ms is None else f"{g.latency_p99_ms:.1f}"
            why = ", ".join(f"{r.replace('_', ' ')} {n:,}" for r, n in g.denied_by_reason.items()) or "–"
            extra = "".join([
                f"; {g.replayed:,} {'retry' if g.replayed == 1 else 'retries'} answered from the record"
                if g.replayed else "",
                f"; {g.errors:,} error{'' if g.errors == 1 else 's'}" if g.errors else ""])
            lines.append(f"  {g.gate:<{width}} {g.sent:>6,} {g.allowed:>8,} {g.denied:>7,} {pct:>9} "
                         f"{g.achieved_rate * 60:>10.1f} {p50:>7} {p99:>7}  {why}{extra}")
        return lines

    def text(self) -> str:
        lat = ("-" if self.latency_p50_ms is None
               else f"p50 {self.latency_p50_ms:.1f} ms, p99 {self.latency_p99_ms:.1f} ms")
        lines = [
            f"Gate traffic ({self.profile}, seed {self.seed}): {self.sent:,} of {self.planned:,} taps sent "
            f"in {self.elapsed_s:.1f} s ({self.achieved_rate:.1f}/s)"
            + (", stopped early" if self.stopped_early else ""),
            f"  allowed {self.allowed:,}, denied {self.denied:,}, retries answered from the record "
            f"{self.replayed:,}, errors {self.errors:,}",
            f"  latency {lat}",
        ]
        lines += [f"  {reason:<22} {n:>7,}"
                  for reason, n in sorted(self.by_reason.items(), key=lambda x: -x[1])]
        if self.offline_device:
            lines.append(f"  offline device {self.offline_device}: {self.uploaded_late:,} of {self.queued:,} "
                         "queued taps uploaded late")
        lines += self.gate_lines()
        lines += [f"  error: {m}" for m in self.error_messages]
        return "\n".join(lines)


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def _error_text(answer: httpx.Response) -> str:
    try:
        return f"{answer.status_code}: {answer.json().get('message', answer.text[:200])}"
    except ValueError:
        return f"{answer.status_code}: {answer.text[:200]}"


def _looks_like_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class GateSim:
    """One run: discover the series' gates and bands, plan the taps, send them, sum up.

    ``run()`` blocks until the run ends; call it from a worker thread and set
    ``stop`` from any thread to end it early. ``on_answer`` (if given) is called
    in the run's thread with each tap and the server's answer.
    """

    def __init__(self, config: GateSimConfig, *, stop: threading.Event | None = None,
                 on_answer: Callable[[PlannedTap, dict[str, Any]], None] | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.on_answer = on_answer
        self.seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**31)
        self.run_id = uuid.uuid4().hex[:8]
        self.event_id: uuid.UUID | None = None
        # The series' id: ``config.series_id`` itself, or found by name at discovery.
        self.series_id = config.series_id
        self.token = ""
        self.started_at: datetime | None = None  # when the run's clock started (UTC)
        self.summary: SimSummary | None = None  # the last run's, for a caller that ran it in a thread
        self._forger = pl.new_private_key()
        self._forger_key_id = os.urandom(pl.KEY_ID_SIZE)

    # -- discovery (blocking, plain httpx) --------------------------------------------------------

    def _token(self, client: httpx.Client, creds: Credentials) -> str:
        if creds.token:
            return creds.token
        answer = client.post("/api/auth/login", json={"email": creds.email, "password": creds.password})
        if answer.status_code != 200:
            raise GateSimError(f"The server refused the login of {creds.email}: {_error_text(answer)}")
        return str(answer.json()["token"])

    def discover(self) -> tuple[list[GateInfo], list[BandInfo]]:
        """The gates to simulate and the bands their scannables list, as the server says now."""
        cfg = self.config
        try:
            with httpx.Client(base_url=cfg.server, timeout=cfg.timeout) as client:
                self.token = self._token(client, cfg.device)
                lookup = self._token(client, cfg.lookup) if cfg.lookup else self.token
                if not _looks_like_id(cfg.series_id):
                    self.series_id = self._series_by_name(client, lookup, cfg.series_id)
                named = self._series_gates(client, lookup)
                gates: list[GateInfo] = []
                bands: dict[str, BandInfo] = {}
                for gate_id, name in named:
                    gate, found = self._scannables(client, gate_id, name)
                    gates.append(gate)
                    for band in found:
                        bands.setdefault(band.uid, band)
        except httpx.HTTPError as exc:
            raise GateSimError(f"The server at {cfg.server} cannot be reached: {exc}.") from None
        log.info("gate-sim: %d gates, %d bands of series %s", len(gates), len(bands), self.series_id)
        return gates, sorted(bands.values(), key=lambda b: b.uid)

    def _series_by_name(self, client: httpx.Client, token: str, name: str) -> str:
        """The id of the one series called ``name`` (an active one wins over others of that name)."""
        answer = client.get("/api/series", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 403:
            raise GateSimError("A gate device may not look series up by name: give --series as the series' "
                               "id, or a --lookup-email / --lookup-token of a member who may view series.")
        if answer.status_code != 200:
            raise GateSimError(f"The series could not be listed: {_error_text(answer)}")
        listed = answer.json()
        same = [s for s in listed if s["name"].casefold() == name.strip().casefold()]
        active = [s for s in same if s["status"] == "active"]
        chosen = active if len(active) == 1 else same
        if not chosen:
            names = ", ".join(sorted({s["name"] for s in listed})) or "none"
            raise ValidationError.single("series", f"There is no series {name!r}; the series: {names}.")
        if len(chosen) > 1:
            raise ValidationError.single("series", f"{len(chosen)} series are called {name!r}; give the "
                                                   "id of the one to simulate.")
        return str(chosen[0]["id"])

    def _series_gates(self, client: httpx.Client, token: str) -> list[tuple[str, str]]:
        cfg = self.config
        wanted = list(cfg.gates or [])
        answer = client.get(f"/api/series/{self.series_id}/gates",
                            headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 403 and wanted and all(_looks_like_id(g) for g in wanted):
            return [(g, g[:8]) for g in wanted]  # a gate device alone: ids given, no names
        if answer.status_code == 403:
            raise GateSimError(
                "This login may not list the series' gates (a gate device may not): give --gates as gate "
                "ids, or a --lookup-email / --lookup-token of a member who may view series."
            )
        if answer.status_code != 200:
            raise GateSimError(f"The series' gates could not be read: {_error_text(answer)}")
        listed = answer.json()
        if listed:
            self.event_id = uuid.UUID(listed[0]["event_id"])
        if not wanted:
            return [(g["id"], g["name"]) for g in listed]
        out = []
        for ref in wanted:
            match = [g for g in listed if g["id"] == ref or g["name"].casefold() == ref.strip().casefold()]
            if not match:
                names = ", ".join(g["name"] for g in listed) or "none"
                raise ValidationError.single("gates", f"The series has no gate {ref!r}; its gates: {names}.")
            out.append((match[0]["id"], match[0]["name"]))
        return out

    def _scannables(self, client: httpx.Client, gate_id: str, name: str) -> tuple[GateInfo, list[BandInfo]]:
        params: dict[str, Any] = {"series_id": self.series_id, "limit": _PAGE}
        bands: list[BandInfo] = []
        while True:
            answer = client.get(f"/api/gates/{gate_id}/scannables", params=params,
                                headers={"Authorization": f"Bearer {self.token}"})
            if answer.status_code != 200:
                raise GateSimError(f"Gate {name} could not fetch its bands: {_error_text(answer)}")
            page = answer.json()
            bands += [BandInfo(uid=i["uid"], band_id=i["wristband_id"], category_id=i["category_id"],
                               status=BandStatus(i["status"]), inside=i["inside"],
                               has_entered=i["has_entered"])
                      for i in page["items"]]
            if not page["next_after"]:
                break
            params["after"] = page["next_after"]
        gate = GateInfo(id=gate_id, name=name, kind=GateKind(page["gate_kind"]),
                        categories=frozenset(page["gate_categories"]))
        return gate, bands

    def plan(self, gates: Sequence[GateInfo], bands: Sequence[BandInfo]) -> list[PlannedTap]:
        cfg = self.config
        return plan_taps(PlanConfig(rate=cfg.rate, duration=cfg.duration, profile=cfg.profile, mix=cfg.mix,
                                    devices_per_gate=cfg.devices_per_gate, seed=self.seed,
                                    offline_device=cfg.offline_device), gates, bands)

    # -- the run ----------------------------------------------------------------------------------

    def run(self) -> SimSummary:
        """Discover, plan and send; returns the summary (also when stopped early)."""
        self.run_id = uuid.uuid4().hex[:8]  # a second run must not look like retries of the first
        gates, bands = self.discover()
        taps = self.plan(gates, bands)
        self.summary = asyncio.run(self._send_all(taps))
        return self.summary

    def _forged_payload(self, tap: PlannedTap) -> str:
        assert tap.band is not None
        fields = pl.BandPayload(pl.VERSION, uuid.UUID(tap.band.band_id), self.event_id or uuid.uuid4(),
                                uuid.UUID(tap.band.category_id), self._forger_key_id)
        return base64.b64encode(pl.sign_payload(fields, bytes.fromhex(tap.uid), self._forger)).decode()

    def _body(self, tap: PlannedTap, wall_start: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "series_id": self.series_id, "gate_id": tap.gate.id, "uid": tap.uid,
            "direction": tap.direction.value, "scan_id": f"sim-{self.run_id}-{tap.seq}",
            "device_id": tap.device_id,
        }
        if tap.offline:
            # Queued scans carry the time they happened; live ones let the server's clock say.
            body["occurred_at"] = (wall_start + timedelta(seconds=tap.at)).isoformat()
        if tap.kind is TapKind.FORGED:
            body["payload"] = self._forged_payload(tap)
        return body

    async def _send_all(self, taps: list[PlannedTap]) -> SimSummary:
        cfg = self.config
        summary = SimSummary(series_id=self.series_id, profile=cfg.profile.value, seed=self.seed,
                             planned=len(taps))
        offline = [t for t in taps if t.offline]
        summary.offline_device = offline[0].device_id if offline else None
        summary.queued = len({t.seq for t in offline})
        by_device: dict[str, list[PlannedTap]] = {}
        for tap in taps:
            by_device.setdefault(tap.device_id, []).append(tap)
        reasons: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        latencies: list[float] = []
        gates: dict[str, GateFigures] = {}
        gate_reasons: dict[str, Counter[str]] = {}
        gate_latencies: dict[str, list[float]] = {}
        for tap in taps:
            if tap.gate.id not in gates:
                gates[tap.gate.id] = GateFigures(tap.gate.name, tap.gate.id)
                gate_reasons[tap.gate.id] = Counter()
                gate_latencies[tap.gate.id] = []
        wall_start = self.started_at = datetime.now(UTC)
        start = time.monotonic()
        give_up = start + cfg.duration + GRACE_SECONDS

        async def wait_until(moment: float) -> bool:
            while True:
                if self.stop.is_set() or time.monotonic() > give_up:
                    return False
                left = moment - time.monotonic()
                if left <= 0:
                    return True
                await asyncio.sleep(min(left, 0.05))

        async def device(client: httpx.AsyncClient, mine: list[PlannedTap]) -> None:
            for tap in mine:
                if not await wait_until(start + tap.send_at):
                    return
                gate = gates[tap.gate.id]
                sent_at = time.perf_counter()
                try:
                    answer = await client.post("/api/verify", json=self._body(tap, wall_start))
                except httpx.HTTPError as exc:
                    summary.errors += 1
                    gate.errors += 1
                    if len(summary.error_messages) < 5:
                        summary.error_messages.append(f"{tap.device_id}: {exc!r}")
                    continue
                took_ms = (time.perf_counter() - sent_at) * 1000
                latencies.append(took_ms)
                gate_latencies[tap.gate.id].append(took_ms)
                summary.sent += 1
                gate.sent += 1
                summary.uploaded_late += tap.offline and not tap.retry
                if answer.status_code != 200:
                    summary.errors += 1
                    gate.errors += 1
                    if len(summary.error_messages) < 5:
                        summary.error_messages.append(f"{tap.device_id}: {_error_text(answer)}")
                    continue
                data = answer.json()
                if data["replayed"]:
                    summary.replayed += 1
                    gate.replayed += 1
                else:
                    kinds[tap.kind.value] += 1
                    reasons[data["reason"]] += 1
                    if data["result"] == "allowed":
                        summary.allowed += 1
                        gate.allowed += 1
                    else:
                        summary.denied += 1
                        gate.denied += 1
                        gate_reasons[tap.gate.id][data["reason"]] += 1
                if self.on_answer is not None:
                    self.on_answer(tap, data)

        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=max(10, len(by_device)))
        async with httpx.AsyncClient(base_url=cfg.server, headers=headers, timeout=cfg.timeout,
                                     limits=limits) as client:
            await asyncio.gather(*(device(client, mine) for mine in by_device.values()))
            await wait_until(start + cfg.duration)  # the run lasts its duration, however the plan ended
        summary.elapsed_s = time.monotonic() - start
        summary.stopped_early = self.stop.is_set() or summary.sent + summary.errors < len(taps)
        # Sent, not just answered: an unanswered tap still left the device.
        summary.achieved_rate = summary.sent / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
        summary.by_reason = dict(reasons.most_common())
        summary.by_kind = dict(kinds.most_common())
        if latencies:
            latencies.sort()
            summary.latency_p50_ms = _percentile(latencies, 0.5)
            summary.latency_p99_ms = _percentile(latencies, 0.99)
        for gate_id, figures in gates.items():
            figures.achieved_rate = figures.sent / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
            figures.denied_by_reason = dict(gate_reasons[gate_id].most_common())
            mine = sorted(gate_latencies[gate_id])
            if mine:
                figures.latency_p50_ms = _percentile(mine, 0.5)
                figures.latency_p99_ms = _percentile(mine, 0.99)
        summary.gates = sorted(gates.values(), key=lambda g: g.gate.casefold())
        log.info("gate-sim done: %d sent, %d allowed, %d denied, %d errors", summary.sent, summary.allowed,
                 summary.denied, summary.errors)
        return summary


def run_gate_sim(config: GateSimConfig, *, stop: threading.Event | None = None) -> SimSummary:
    """The whole run in the calling thread: what ``boxoffice gate-sim`` and the demo call."""
    return GateSim(config, stop=stop).run()


__all__ = ["Credentials", "GateFigures", "GateSim", "GateSimConfig", "GateSimError", "SimSummary",
           "run_gate_sim"]
