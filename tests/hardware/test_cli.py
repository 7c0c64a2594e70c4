"""``boxoffice reader …`` run as a person runs it: the installed script, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.readers.sim import SimulatedField, SimulatedMifareClassic, SimulatedNtag
from hardware.readers.sim.udp_server import SimulatedUdpServer

SCRIPT = Path(sys.executable).with_name("boxoffice")


def boxoffice(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["HOME"] = str(home)
    env["XDG_DATA_HOME"] = str(home / "data")
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_the_reader_command_is_plugged_into_boxoffice(home: Path) -> None:
    result = boxoffice("--help", home=home)
    assert result.returncode == 0 and "reader" in result.stdout


def test_reader_list_shows_the_simulator_and_explains_the_rest(home: Path) -> None:
    result = boxoffice("reader", "list", home=home)
    assert result.returncode == 0, result.stderr
    assert "sim" in result.stdout and "Simulated reader with blank NTAG213 bands: ready" in result.stdout
    lines = result.stdout.splitlines()
    for index, line in enumerate(lines):
        if line.endswith(": cannot be used"):  # every unusable reader is followed by why and the fix
            assert lines[index + 1].startswith("      ") and lines[index + 1].strip()
            assert any(follow.strip().startswith("fix: ") for follow in lines[index + 1 : index + 3])


@pytest.mark.parametrize("args", [("reader", "list", "--json"), ("--json", "reader", "list")])
def test_reader_list_json(home: Path, args: tuple[str, ...]) -> None:
    result = boxoffice(*args, home=home)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["readers"][0] == {"kind": "sim", "name": "Simulated reader with blank NTAG213 bands",
                                  "path": "sim", "ready": True, "problem": None, "fix": None, "where": None}
    for finding in body["readers"]:
        assert finding["ready"] or finding["problem"]
    assert isinstance(body["notes"], list)


def test_reader_check_sim(home: Path) -> None:
    result = boxoffice("reader", "check", "sim", home=home)
    assert result.returncode == 0, result.stderr
    assert "Simulated reader: ready; an NTAG213 band (a wristband)" in result.stdout


@pytest.mark.slow
def test_reader_check_over_udp_sees_the_band_and_a_foreign_card(home: Path) -> None:
    band = SimulatedNtag(bytes.fromhex("04A1B2C3D4E5F6"))
    field = SimulatedField([band, SimulatedMifareClassic()], auto_feed=False)
    field.tap_next()
    with SimulatedUdpServer(field) as server:
        result = boxoffice("reader", "check", server.path, "--wait", "10", "--json", home=home)
        assert result.returncode == 0, result.stderr
        tag = json.loads(result.stdout)["tag"]
        assert tag == {"uid": "04A1B2C3D4E5F6", "kind": "NTAG213", "wristband": True,
                       "description": "an NTAG213 band"}
        assert field.tag is band  # `reader check` does not wait for the band to go: nobody took it
        field.tap_next()  # the person puts the card on the reader instead
        result = boxoffice("reader", "check", server.path, "--wait", "10", home=home)
        assert result.returncode == 0, result.stderr
        assert "a MIFARE Classic card" in result.stdout and "not a wristband" in result.stdout


def test_reader_check_of_an_unknown_path(home: Path) -> None:
    result = boxoffice("reader", "check", "bogus", home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: 'bogus' is not a reader path.")
    assert "Traceback" not in result.stderr
    result = boxoffice("--json", "reader", "check", "usb:ffff:ffff", home=home)
    assert result.returncode == 1
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["error"] == "reader_not_found" and "usb:ffff:ffff" in error["message"]


def test_reader_check_of_a_udp_port_nfcpy_cannot_use_is_one_sentence(home: Path) -> None:
    # nfcpy's udp driver turns a port with a service name (1 is "tcpmux") into that name and fails on it.
    result = boxoffice("reader", "check", "udp:127.0.0.1:1", home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: 'udp:127.0.0.1:1' is not a reader path (nfcpy's udp driver "
                                    "cannot use a port that has a service name;")
    assert "Traceback" not in result.stderr


def test_the_udp_simulator_runs_on_its_own(home: Path) -> None:
    """``python -m hardware.readers.sim.udp_server``: what a benchmark or a manual test points --reader udp:… at."""
    server = subprocess.Popen(
        [sys.executable, "-m", "hardware.readers.sim.udp_server", "--port", "0", "--bands", "2"],
        stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        path = next(word for word in line.split() if word.startswith("udp:"))
        result = boxoffice("reader", "check", path, "--wait", "10", home=home)
        assert result.returncode == 0, result.stderr
        assert "an NTAG213 band (a wristband)" in result.stdout
    finally:
        server.kill()
        server.wait(10)
        if server.stderr is not None:
            server.stderr.close()
