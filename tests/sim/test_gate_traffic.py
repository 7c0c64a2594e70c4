"""The gate-traffic plan on its own: curves, mix, devices, the offline device, and bad inputs."""

from __future__ import annotations

from collections import Counter

import pytest
from click.testing import CliRunner

from boxoffice.domain.enums import BandStatus, Direction, GateKind
from boxoffice.errors import ValidationError
from boxoffice.programs.cli import cli
from boxoffice.programs.sim.gate_traffic import (
    OFFLINE_FROM,
    OFFLINE_UNTIL,
    BandInfo,
    GateInfo,
    Mix,
    PlanConfig,
    Profile,
    TapKind,
    parse_duration,
    parse_rate,
    plan_taps,
)

GATES = [
    GateInfo("g-main", "Main", GateKind.ENTRY),
    GateInfo("g-vip", "VIP Lane", GateKind.ENTRY, frozenset({"vip"})),
    GateInfo("g-south", "South", GateKind.BOTH),
    GateInfo("g-exit", "Exit", GateKind.EXIT),
]


def _bands(n: int = 20_000, inside_share: float = 0.0) -> list[BandInfo]:
    out = []
    for i in range(n):
        status = BandStatus.VOID if i % 50 == 7 else BandStatus.LOST if i % 90 == 11 else BandStatus.ACTIVE
        inside = status is BandStatus.ACTIVE and i < n * inside_share
        out.append(BandInfo(f"04{i:012X}", f"00000000-0000-0000-0000-{i:012d}",
                            "vip" if i % 10 == 0 else "ga", status, inside=inside, has_entered=inside))
    return out


def _plan(profile: Profile, *, rate: float = 20, duration: float = 600, seed: int = 7,
          inside_share: float = 0.0, **kw: object) -> list:
    return plan_taps(PlanConfig(rate, duration, profile, seed=seed, **kw),  # type: ignore[arg-type]
                     GATES, _bands(inside_share=inside_share))


def _share_in(taps: list, start: float, end: float, duration: float = 600) -> float:
    return sum(start * duration <= t.at < end * duration for t in taps) / len(taps)


def test_doors_open_is_front_loaded_and_decays_to_a_trickle() -> None:
    taps = _plan(Profile.DOORS_OPEN)
    first, last = _share_in(taps, 0, 0.25), _share_in(taps, 0.75, 1)
    assert first > 0.45, first
    assert 0 < last < first / 4, (first, last)
    per_minute = Counter(int(t.at // 60) for t in taps)
    assert max(per_minute, key=lambda m: per_minute[m]) in (0, 1)
    assert Counter(t.direction for t in taps)[Direction.IN] / len(taps) > 0.85


def test_steady_is_flat_and_near_its_rate() -> None:
    taps = _plan(Profile.STEADY)
    quarters = [_share_in(taps, q / 4, (q + 1) / 4) for q in range(4)]
    assert all(0.2 < q < 0.3 for q in quarters), quarters
    assert 20 * 600 * 0.9 < len(taps) < 20 * 600 * 1.1  # the retry of the offline device is one more


def test_exit_wave_is_mostly_out_and_back_loaded() -> None:
    taps = _plan(Profile.EXIT_WAVE, inside_share=0.6)
    outs = Counter(t.direction for t in taps)[Direction.OUT] / len(taps)
    assert outs > 0.65, outs
    assert _share_in(taps, 0.5, 1) > 0.7


def test_the_mix_comes_out_in_its_proportions() -> None:
    mix = Mix(reentry=0.1, wrong_gate=0.05, void=0.04, forged=0.03, unknown=0.02)
    taps = [t for t in _plan(Profile.STEADY, mix=mix, inside_share=0.3) if not t.retry]
    kinds = Counter(t.kind for t in taps)
    n = len(taps)
    for kind, share in ((TapKind.REENTRY, 0.1), (TapKind.WRONG_GATE, 0.05), (TapKind.VOID, 0.04),
                        (TapKind.FORGED, 0.03), (TapKind.UNKNOWN, 0.02)):
        assert abs(kinds[kind] / n - share) < 0.012, (kind, kinds[kind] / n)
    ordinary = (kinds[TapKind.ENTRY] + kinds[TapKind.EXIT]) / n
    assert abs(ordinary - 0.76) < 0.03, ordinary


def test_each_kind_taps_what_it_says() -> None:
    bands = {b.uid: b for b in _bands()}
    taps = _plan(Profile.STEADY, inside_share=0.3)
    gates = {g.id: g for g in GATES}
    for t in taps:
        gate = gates[t.gate.id]
        if t.kind is TapKind.UNKNOWN:
            assert t.uid not in bands and t.band is None
            continue
        band = bands[t.uid]
        if t.kind is TapKind.VOID:
            assert band.status in (BandStatus.VOID, BandStatus.LOST)
        else:
            assert band.status is BandStatus.ACTIVE
        if t.kind is TapKind.WRONG_GATE:
            assert (gate.categories and band.category_id not in gate.categories) or gate.kind is GateKind.EXIT
        elif t.kind is TapKind.EXIT:
            assert gate.takes_out and t.direction is Direction.OUT
        else:
            assert gate.takes_in and t.direction is Direction.IN and gate.admits(band.category_id)


def test_a_band_enters_before_it_leaves_and_leaves_before_it_comes_back() -> None:
    taps = [t for t in _plan(Profile.STEADY) if not t.retry]
    inside: set[str] = set()
    for t in sorted(taps, key=lambda t: (t.send_at, t.at)):
        if t.kind in (TapKind.ENTRY, TapKind.REENTRY):
            assert t.uid not in inside
            inside.add(t.uid)
        elif t.kind is TapKind.EXIT:
            assert t.uid in inside
            inside.remove(t.uid)


@pytest.mark.slow
def test_several_devices_per_gate_and_one_goes_offline_and_uploads_later() -> None:
    taps = _plan(Profile.STEADY, devices_per_gate=3)
    devices = Counter(t.device_id for t in taps)
    assert {d.rsplit(" #", 1)[1] for d in devices} == {"1", "2", "3"}
    assert len({d.rsplit(" #", 1)[0] for d in devices}) == len(GATES)
    queued = [t for t in taps if t.offline]
    assert len({t.device_id for t in queued}) == 1 and len(queued) > 10
    for t in queued:
        assert OFFLINE_FROM * 600 <= t.at < OFFLINE_UNTIL * 600 and t.send_at == OFFLINE_UNTIL * 600
    retries = [t for t in taps if t.retry]
    assert len(retries) == 1 and retries[0].seq in {t.seq for t in queued if not t.retry}
    assert [t.send_at for t in taps] == sorted(t.send_at for t in taps)
    assert not any(t.offline for t in _plan(Profile.STEADY, offline_device=False))


def test_the_same_seed_makes_the_same_plan_and_another_seed_another() -> None:
    assert _plan(Profile.DOORS_OPEN, seed=3) == _plan(Profile.DOORS_OPEN, seed=3)
    assert _plan(Profile.DOORS_OPEN, seed=3) != _plan(Profile.DOORS_OPEN, seed=4)


@pytest.mark.parametrize(("text", "per_second"), [
    ("30/s", 30), ("600/min", 10), ("7200/h", 2), ("12", 12), ("2.5 / sec", 2.5),
])
def test_rates(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("1m30s", 90), ("45", 45)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_bad_rates_durations_and_mixes_are_refused_with_a_sentence() -> None:
    for bad in ("fast", "30/fortnight", "0/s", "-3/s", ""):
        with pytest.raises(ValidationError, match=r"rate|range"):
            parse_rate(bad)
    for bad in ("10q", "m", "0s", "10 minutes", ""):
        with pytest.raises(ValidationError, match=r"duration|range"):
            parse_duration(bad)
    for bad, words in (("forged", "not a share"), ("ghosts=0.1", "not a share"), ("void=lots", "not a number"),
                       ("void=2", "between 0 and 1"), ("reentry=0.6,void=0.5", "more than 1")):
        with pytest.raises(ValidationError, match=words):
            Mix.parse(bad)
    assert Mix.parse("forged=0.1") == Mix(forged=0.1)


@pytest.mark.parametrize(("args", "words"), [
    (["--rate", "lots"], "Invalid value for '--rate': 'lots' is not a rate"),
    (["--duration", "soon"], "Invalid value for '--duration': 'soon' is not a duration"),
    (["--mix", "void=2"], "Invalid value for '--mix': The share of void must be between 0 and 1"),
])
def test_the_command_refuses_bad_values_before_it_connects(args: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, ["gate-sim", "--server", "http://127.0.0.1:9", "--series", "x",
                                      "--token", "t", *args])
    assert result.exit_code == 2 and words in result.output, result.output
