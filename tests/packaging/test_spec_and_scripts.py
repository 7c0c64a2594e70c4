"""The PyInstaller spec and the packaging scripts: they parse, they name files that exist, the installer
puts each file where the notes say. (PyInstaller itself is run by hand: packaging/build-linux.sh.)"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def test_the_spec_compiles_and_names_files_that_exist(root: Path) -> None:
    source = (PACKAGING / "boxoffice.spec").read_text(encoding="utf-8")
    compile(source, "boxoffice.spec", "exec")
    for icon in re.findall(r'"(boxoffice\.(?:ico|icns|png))"', source):
        assert (root / "resources" / "icons" / icon).is_file(), icon
    assert (PACKAGING / "launcher.py").is_file()
    # What Alembic reads from files at run time, and the entry points the plugin commands come from.
    assert 'collect_data_files("boxoffice.store.migrations", include_py_files=True)' in source
    assert 'copy_metadata("boxoffice")' in source


def test_the_migrations_the_spec_ships_as_data_are_all_in_the_package(root: Path) -> None:
    migrations = root / "boxoffice" / "store" / "migrations"
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    assert sorted(p.name for p in (migrations / "versions").glob("*.py"))


@pytest.mark.parametrize("script", ["build-linux.sh", "linux/install.sh", "setup-dev.sh"])
def test_shell_scripts_parse(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


def fake_bundle(folder: Path) -> Path:
    bundle = folder / "dist" / "boxoffice"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "boxoffice"
    exe.write_text("#!/bin/sh\necho boxoffice\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return bundle


def run_install(bundle: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(PACKAGING / "linux" / "install.sh"), str(bundle)],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=60, check=False)


def test_install_stages_the_app_and_the_reader_files_under_destdir(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path)
    stage = tmp_path / "stage"
    result = run_install(bundle, {"DESTDIR": str(stage), "PREFIX": "/opt/boxoffice-1"})
    assert result.returncode == 0, result.stderr
    assert (stage / "opt/boxoffice-1/boxoffice").read_text() == (bundle / "boxoffice").read_text()
    assert os.readlink(stage / "usr/local/bin/boxoffice") == "/opt/boxoffice-1/boxoffice"
    desktop = (stage / "usr/share/applications/boxoffice.desktop").read_text()
    assert "Exec=/opt/boxoffice-1/boxoffice gui" in desktop
    assert (stage / "etc/udev/rules.d/60-boxoffice-nfc.rules").read_bytes() == \
        (PACKAGING / "linux/60-boxoffice-nfc.rules").read_bytes()
    assert (stage / "etc/modprobe.d/blacklist-boxoffice-nfc.conf").is_file()
    assert (stage / "usr/share/icons/hicolor/256x256/apps/boxoffice.png").is_file()


@pytest.mark.parametrize(("make", "env", "says"), [
    (False, {}, "No built app at"),
    (True, {"PREFIX": "/opt"}, "PREFIX must be a folder of its own"),
])
def test_install_refuses_a_missing_bundle_or_a_shared_prefix_and_writes_nothing(
        tmp_path: Path, make: bool, env: dict[str, str], says: str) -> None:
    bundle = fake_bundle(tmp_path) if make else tmp_path / "dist" / "boxoffice"
    stage = tmp_path / "stage"
    result = run_install(bundle, {"DESTDIR": str(stage), **env})
    assert result.returncode == 1
    assert says in result.stderr
    assert not stage.exists()
