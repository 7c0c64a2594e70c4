"""The plan of a gate-traffic run: which band taps which gate's device, which way, and when.

Pure and seedable: from the gates and bands a series has (as the API lists
them) and a seed, ``plan_taps`` makes the same list of taps every time,
without a network, so the curves and the mix are tested on their own and the
client (``gate_client``) only has to send them on time.

Arrivals follow a profile's curve (a non-homogeneous Poisson process, drawn
by thinning at the peak rate): ``doors-open`` rises to its peak within the
first tenth of the run and decays to a trickle, ``steady`` stays at the peak,
``exit-wave`` is a trickle swelling to a wave of mostly exits near the end.

The plan keeps its own idea of who is inside (starting from what the server
said) so that entries, exits and re-entries are plausible. One device goes
offline for a stretch: its taps keep the time they happened (``at``) but are
sent when it comes back (``send_at``), and its first queued tap is sent
twice, as a handheld does when an answer is lost, to show that a retry
counts once.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from boxoffice.domain.enums import BandStatus, Direction, GateKind
from boxoffice.errors import ValidationError


class Profile(StrEnum):
    DOORS_OPEN = "doors-open"
    STEADY = "steady"
    EXIT_WAVE = "exit-wave"


class TapKind(StrEnum):
    """What the simulator meant a tap to be (the server decides what it is)."""

    ENTRY = "entry"  # a band that has not been in yet
    REENTRY = "reentry"  # a band that went out comes back
    EXIT = "exit"
    WRONG_GATE = "wrong_gate"  # a category the gate is not open to (or an entry at an exit)
    VOID = "void"  # a void or lost band
    FORGED = "forged"  # a known UID with a payload signed by a key the event does not know
    UNKNOWN = "unknown"  # a UID the event has never seen


# Share of exits among the ordinary taps, by profile.
EXIT_SHARE = {Profile.DOORS_OPEN: 0.05, Profile.STEADY: 0.3, Profile.EXIT_WAVE: 0.8}
TRICKLE = 0.1  # the curves' floor, as a share of the peak rate
OFFLINE_FROM, OFFLINE_UNTIL = 0.3, 0.6  # the offline device's stretch, as shares of the run


@dataclass(frozen=True)
class Mix:
    """Shares of all taps that are not ordinary entries and exits; the rest are ordinary."""

    reentry: float = 0.05
    wrong_gate: float = 0.03
    void: float = 0.02
    forged: float = 0.02
    unknown: float = 0.02

    def __post_init__(self) -> None:
        for name, share in self.shares().items():
            if not 0 <= share <= 1:
                raise ValidationError.single(
                    "mix", f"The share of {name} must be between 0 and 1, not {share}.")
        if sum(self.shares().values()) > 1:
            raise ValidationError.single("mix", "The shares of the mix add up to more than 1.")

    def shares(self) -> dict[str, float]:
        return {"reentry": self.reentry, "wrong-gate": self.wrong_gate, "void": self.void,
                "forged": self.forged, "unknown": self.unknown}

    def text(self) -> str:
        return ",".join(f"{k}={v:g}" for k, v in self.shares().items())

    @classmethod
    def parse(cls, text: str) -> Mix:
        """``reentry=0.1,forged=0.05``: the named shares change, the others keep their default."""
        fields = {"reentry": "reentry", "wrong-gate": "wrong_gate", "wrong_gate": "wrong_gate",
                  "void": "void", "forged": "forged", "unknown": "unknown"}
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, number = part.partition("=")
            key = fields.get(name.strip().lower())
            if not sep or key is None:
                names = ", ".join(cls().shares())
                raise ValidationError.single(
                    "mix", f"{part!r} is not a share; write e.g. forged=0.05 (one of {names}).")
            try:
                values[key] = float(number)
            except ValueError:
                raise ValidationError.single(
                    "mix", f"{number.strip()!r} in {part!r} is not a number.") from None
        return cls(**values)


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$", re.IGNORECASE)
_PER = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
        "h": 3600.0, "hour": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)", re.IGNORECASE)
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_rate(text: str) -> float:
    """Taps per second from ``30/s``, ``600/min``, ``5000/h`` or a bare number (per second)."""
    match = _RATE.match(text)
    if match is None:
        raise ValidationError.single("rate", f"{text!r} is not a rate; write it like 30/s or 600/min.")
    rate = float(match.group(1)) / _PER[(match.group(2) or "s").lower()]
    if not 0 < rate <= 10_000:
        raise ValidationError.single("rate", f"{text!r} is out of range: more than 0 and at most 10000/s.")
    return rate


def parse_duration(text: str) -> float:
    """Seconds from ``90s``, ``10m``, ``1h``, ``1m30s`` or a bare number of seconds."""
    raw = text.strip()
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        seconds = float(raw)
    elif raw and _DURATION_PART.sub("", raw).strip() == "":
        seconds = sum(float(n) * _SECONDS[u.lower()] for n, u in _DURATION_PART.findall(raw))
    if seconds is None:
        raise ValidationError.single("duration", f"{text!r} is not a duration; write it like 90s, 10m or 1h.")
    if not 0 < seconds <= 7 * 24 * 3600:
        raise ValidationError.single("duration", f"{text!r} is out of range: more than 0 and at most a week.")
    return seconds


def intensity(profile: Profile, t: float, duration: float) -> float:
    """The arrival rate at ``t`` seconds into the run, as a share of the peak (0..1]."""
    x = t / duration
    if profile is Profile.STEADY:
        return 1.0
    if profile is Profile.DOORS_OPEN:
        peak_at = 0.08
        if x < peak_at:
            return max(TRICKLE, x / peak_at)
        return TRICKLE + (1 - TRICKLE) * math.exp(-(x - peak_at) / 0.2)
    return TRICKLE + (1 - TRICKLE) * math.exp(-(((x - 0.75) / 0.15) ** 2))


@dataclass(frozen=True)
class GateInfo:
    id: str
    name: str
    kind: GateKind
    categories: frozenset[str] = frozenset()  # category ids the gate is limited to; empty = all

    @property
    def takes_in(self) -> bool:
        return self.kind is not GateKind.EXIT

    @property
    def takes_out(self) -> bool:
        return self.kind is not GateKind.ENTRY

    def admits(self, category_id: str) -> bool:
        return not self.categories or category_id in self.categories


@dataclass(frozen=True)
class BandInfo:
    uid: str
    band_id: str
    category_id: str
    status: BandStatus = BandStatus.ACTIVE
    inside: bool = False
    has_entered: bool = False


@dataclass(frozen=True)
class PlannedTap:
    seq: int  # the scan's number in the run; a retry repeats it
    at: float  # seconds into the run when the band was tapped
    send_at: float  # seconds into the run when the device sends it (later if it was offline)
    gate: GateInfo
    device_id: str
    uid: str
    direction: Direction
    kind: TapKind
    band: BandInfo | None = None
    offline: bool = False
    retry: bool = False


@dataclass(frozen=True)
class PlanConfig:
    rate: float  # peak taps per second
    duration: float  # seconds
    profile: Profile = Profile.DOORS_OPEN
    mix: Mix = field(default_factory=Mix)
    devices_per_gate: int = 2
    seed: int = 0
    offline_device: bool = True

    def __post_init__(self) -> None:
        if self.devices_per_gate < 1:
            raise ValidationError.single("devices_per_gate", "Every gate needs at least one device.")


def device_ids(gate: GateInfo, per_gate: int) -> list[str]:
    return [f"{gate.name} #{k}" for k in range(1, per_gate + 1)]


_Chosen = tuple[TapKind, GateInfo, "BandInfo | None", str, Direction]


class _Pool:
    """A set with O(1) add, remove and seeded random choice."""

    def __init__(self) -> None:
        self._items: list[BandInfo] = []
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, band: BandInfo) -> None:
        if band.uid not in self._index:
            self._index[band.uid] = len(self._items)
            self._items.append(band)

    def discard(self, band: BandInfo) -> None:
        i = self._index.pop(band.uid, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._index[last.uid] = i

    def choice(self, rng: random.Random) -> BandInfo | None:
        return self._items[rng.randrange(len(self._items))] if self._items else None


class _Planner:
    """The plan's running state: who is in, who went out, who has not come yet, per category."""

    def __init__(self, config: PlanConfig, gates: Sequence[GateInfo], bands: Sequence[BandInfo]) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.gates = list(gates)
        self.in_gates = [g for g in gates if g.takes_in]
        self.out_gates = [g for g in gates if g.takes_out]
        self.restricted = [g for g in self.in_gates if g.categories]
        self.exit_only = [g for g in gates if g.kind is GateKind.EXIT]
        self.categories = sorted({b.category_id for b in bands})
        self.fresh: dict[str, _Pool] = {c: _Pool() for c in self.categories}
        self.gone_out: dict[str, _Pool] = {c: _Pool() for c in self.categories}
        self.inside = _Pool()
        self.active = [b for b in bands if b.status is BandStatus.ACTIVE]
        self.void = [b for b in bands if b.status in (BandStatus.VOID, BandStatus.LOST)]
        self.known_uids = {b.uid for b in bands}
        for b in self.active:
            if b.inside:
                self.inside.add(b)
            elif b.has_entered:
                self.gone_out[b.category_id].add(b)
            else:
                self.fresh[b.category_id].add(b)
        # Moves of the offline device's taps, applied when they reach the server.
        self.deferred: list[tuple[float, str, BandInfo]] = []

    def _apply_deferred(self, now: float) -> None:
        keep = []
        for due, where, band in self.deferred:
            if due <= now:
                (self.inside if where == "in" else self.gone_out[band.category_id]).add(band)
            else:
                keep.append((due, where, band))
        self.deferred = keep

    def _from_pools(self, pools: dict[str, _Pool], gate: GateInfo) -> BandInfo | None:
        sizes = [(c, len(pools[c])) for c in self.categories if gate.admits(c) and pools[c]]
        if not sizes:
            return None
        total = sum(n for _, n in sizes)
        pick = self.rng.randrange(total)
        for c, n in sizes:
            if pick < n:
                return pools[c].choice(self.rng)
            pick -= n
        return None  # unreachable: pick < total

    def _entry(self, pools: dict[str, _Pool]) -> tuple[GateInfo, BandInfo] | None:
        for gate in self.rng.sample(self.in_gates, len(self.in_gates)):
            band = self._from_pools(pools, gate)
            if band is not None:
                return gate, band
        return None

    def tap(self, kind: TapKind, at: float) -> _Chosen | None:
        """The gate, band, UID and direction of a tap of ``kind``, or of the nearest kind possible.

        An entry or exit takes its band out of its pool; ``move`` puts it where it went.
        """
        self._apply_deferred(at)
        rng = self.rng
        order = {
            TapKind.ENTRY: [TapKind.ENTRY, TapKind.REENTRY, TapKind.EXIT],
            TapKind.REENTRY: [TapKind.REENTRY, TapKind.ENTRY, TapKind.EXIT],
            TapKind.EXIT: [TapKind.EXIT, TapKind.ENTRY, TapKind.REENTRY],
        }.get(kind, [kind, TapKind.ENTRY, TapKind.REENTRY, TapKind.EXIT])
        for k in order:
            if k in (TapKind.ENTRY, TapKind.REENTRY) and self.in_gates:
                pools = self.fresh if k is TapKind.ENTRY else self.gone_out
                found = self._entry(pools)
                if found is not None:
                    gate, band = found
                    pools[band.category_id].discard(band)
                    return k, gate, band, band.uid, Direction.IN
            elif k is TapKind.EXIT and self.out_gates and len(self.inside):
                leaving = self.inside.choice(rng)
                assert leaving is not None
                self.inside.discard(leaving)
                return k, rng.choice(self.out_gates), leaving, leaving.uid, Direction.OUT
            elif k is TapKind.WRONG_GATE and self.active and (self.restricted or self.exit_only):
                if self.restricted:
                    gate = rng.choice(self.restricted)
                    others = [b for b in (rng.choice(self.active) for _ in range(20))
                              if not gate.admits(b.category_id)]
                    if others:
                        return k, gate, others[0], others[0].uid, Direction.IN
                if self.exit_only:
                    band = rng.choice(self.active)
                    return k, rng.choice(self.exit_only), band, band.uid, Direction.IN
            elif k is TapKind.VOID and self.void and self.in_gates:
                band = rng.choice(self.void)
                gates = [g for g in self.in_gates if g.admits(band.category_id)] or self.in_gates
                return k, rng.choice(gates), band, band.uid, Direction.IN
            elif k is TapKind.FORGED and self.active and self.in_gates:
                band = rng.choice(self.active)
                gates = [g for g in self.in_gates if g.admits(band.category_id)] or self.in_gates
                return k, rng.choice(gates), band, band.uid, Direction.IN
            elif k is TapKind.UNKNOWN and self.in_gates:
                uid = _random_uid(rng)
                while uid in self.known_uids:
                    uid = _random_uid(rng)
                return k, rng.choice(self.in_gates), None, uid, Direction.IN
        return None

    def move(self, band: BandInfo, direction: Direction, at: float, send_at: float) -> None:
        """Where an entry or exit left the band; a queued tap's move counts once it is sent."""
        where = "in" if direction is Direction.IN else "out"
        if send_at > at:
            self.deferred.append((send_at, where, band))
        elif where == "in":
            self.inside.add(band)
        else:
            self.gone_out[band.category_id].add(band)


def _random_uid(rng: random.Random) -> str:
    return "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6))


def _arrivals(config: PlanConfig, rng: random.Random) -> list[float]:
    times: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(config.rate)
        if t >= config.duration:
            return times
        if rng.random() < intensity(config.profile, t, config.duration):
            times.append(t)


def _kind(config: PlanConfig, rng: random.Random) -> TapKind:
    mix = config.mix
    x = rng.random()
    shares = ((TapKind.REENTRY, mix.reentry), (TapKind.WRONG_GATE, mix.wrong_gate), (TapKind.VOID, mix.void),
              (TapKind.FORGED, mix.forged), (TapKind.UNKNOWN, mix.unknown))
    for kind, share in shares:
        if x < share:
            return kind
        x -= share
    return TapKind.EXIT if rng.random() < EXIT_SHARE[config.profile] else TapKind.ENTRY


def plan_taps(config: PlanConfig, gates: Sequence[GateInfo], bands: Sequence[BandInfo]) -> list[PlannedTap]:
    """Every tap of the run, in the order the devices send them (``send_at``)."""
    if not gates:
        raise ValidationError.single("gates", "The series has no gates to simulate.")
    planner = _Planner(config, sorted(gates, key=lambda g: g.name), bands)
    rng = planner.rng
    devices = {g.id: device_ids(g, config.devices_per_gate) for g in planner.gates}
    offline: str | None = None
    if config.offline_device:
        busy = planner.in_gates or planner.gates
        offline = rng.choice(devices[rng.choice(busy).id])
    back_at = config.duration * OFFLINE_UNTIL
    went_at = config.duration * OFFLINE_FROM
    taps: list[PlannedTap] = []
    retried = False
    for seq, at in enumerate(_arrivals(config, rng)):
        wanted = _kind(config, rng)
        planned = planner.tap(wanted, at)
        if planned is None:
            continue
        kind, gate, band, uid, direction = planned
        device = devices[gate.id][rng.randrange(config.devices_per_gate)]
        queued = device == offline and went_at <= at < back_at
        send_at = back_at if queued else at
        if band is not None and kind in (TapKind.ENTRY, TapKind.REENTRY, TapKind.EXIT):
            # A queued entry is not inside (for the plan's later taps) until it is sent.
            planner.move(band, direction, at, send_at)
        tap = PlannedTap(seq, at, send_at, gate, device, uid, direction, kind, band, offline=queued)
        taps.append(tap)
        if queued and not retried:
            retried = True
            taps.append(PlannedTap(seq, at, send_at, gate, device, uid, direction, kind, band,
                                   offline=True, retry=True))
    taps.sort(key=lambda t: (t.send_at, t.at, t.retry))
    return taps

