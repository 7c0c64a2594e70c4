"""``boxoffice --self-test`` from source: every check passes, and a broken part is named with a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui import resources
from ui.resources import ResourceMissingError

CHECKS = ("database", "encode", "pdf", "qt")


def run_self_test(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["TMPDIR"] = str(tmp_path)  # the checks' temporary folders, so the test can see they are gone after
    return subprocess.run(
        [sys.executable, "-m", "boxoffice", "--self-test", *extra], capture_output=True, text=True,
        env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )


def verdicts(out: str) -> dict[str, str]:
    """``{check: "ok" | "FAILED"}`` from the one line each check prints."""
    found = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        if name in CHECKS:
            found[name] = rest.split()[0]
    return found


@pytest.mark.slow
def test_every_check_passes_from_source(tmp_path: Path) -> None:
    result = run_self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(result.stdout) == dict.fromkeys(CHECKS, "ok")
    assert "migrated to revision" in result.stdout
    assert "signature verifies" in result.stdout
    assert "platform plugin" in result.stdout
    assert "self-test passed: 4 checks" in result.stdout
    assert list(tmp_path.iterdir()) == [], "the self-test left its temporary files behind"


@pytest.mark.slow
def test_a_broken_part_fails_its_check_with_a_sentence_and_the_others_still_run(tmp_path: Path) -> None:
    # A database path under a regular file cannot be created, even by root; an empty resources folder
    # has no app icon (the PDF check still finds the system font: this is not a frozen app).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    empty = tmp_path / "resources"
    empty.mkdir()
    bad_db = blocker / "self-test.sqlite3"

    result = run_self_test(tmp_path, "--database", str(bad_db), "--resources", str(empty))

    assert result.returncode == 1, result.stdout + result.stderr
    assert verdicts(result.stdout) == {"database": "FAILED", "encode": "ok", "pdf": "ok", "qt": "FAILED"}
    assert f"A database could not be created at {bad_db}" in result.stdout
    assert "The app icon is missing from this installation" in result.stdout
    assert "self-test FAILED: database, qt (2 of 4 checks" in result.stdout
    assert blocker.read_text() == "a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "resources"]
    assert list(empty.iterdir()) == []


def test_a_frozen_app_finds_resources_in_its_bundle_and_never_borrows_a_system_font(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.sound("ok") == tmp_path / "resources" / "sounds" / "ok.wav"
    with pytest.raises(ResourceMissingError, match=r"font DejaVuSans\.ttf is missing .*reinstall"):
        resources.font("DejaVuSans.ttf")

    fonts = tmp_path / "resources" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "DejaVuSans.ttf").write_bytes(b"bundled")
    assert resources.font("DejaVuSans.ttf") == fonts / "DejaVuSans.ttf"


def test_from_source_resources_are_the_checkouts(root: Path) -> None:
    assert not resources.is_frozen()
    assert resources.resources_dir() == root / "resources"
    assert resources.app_icon().is_file()
    assert resources.sound("ok").is_file()
