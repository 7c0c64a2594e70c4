"""``boxoffice --self-test`` (or ``boxoffice self-test``): does this installation work, bundle or checkout?

A PyInstaller bundle fails in ways a checkout never does: a Qt platform
plugin, a migration file, an entry point or a font left out of the bundle
shows up only when a person at a box office starts it. So the self-test does
one small real thing with each part, each in a temporary folder of its own,
prints one line per check (``ok`` or ``FAILED`` and a sentence) and exits
non-zero when any check failed:

- database: a new SQLite file, migrated by Alembic from the shipped files to head;
- encode: one band encoded on the simulated reader and read back as a gate would;
- pdf: a one-page PDF with the report font embedded;
- qt: a QApplication on the chosen platform plugin renders a widget with the app icon.

Qt goes last: a platform plugin that cannot load makes Qt abort the
process, and the other lines are then already printed.

It lives in ``ui`` because it imports Qt and ``hardware``; the core's
``main`` maps a leading ``--self-test`` to this command, which arrives
through the ``boxoffice.commands`` entry point like ``gui``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from boxoffice.errors import BoxOfficeError
from ui.resources import app_icon, font, is_frozen, resources_dir

log = logging.getLogger(__name__)

REPORT_FONT = "DejaVuSans.ttf"


class SelfTestError(BoxOfficeError):
    """One check of the self-test did not get the result it should have."""

    code = "self_test"


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    message: str
    seconds: float


@dataclass(frozen=True)
class Options:
    """What the checks may be pointed at instead of their defaults (the tests point them at bad places)."""

    resources: Path
    database: Path | None = None
    platform: str | None = None


def check_database(work: Path, options: Options) -> str:
    from boxoffice.store.migrate import current_revision, head_revision
    from boxoffice.store.opening import open_store

    path = options.database or work / "self-test.sqlite3"
    try:
        store = open_store(path)
    except BoxOfficeError:
        raise
    except Exception as error:  # OSError, sqlite3's errors through SQLAlchemy: the place is the problem
        raise SelfTestError(f"A database could not be created at {path} ({type(error).__name__}: "
                            f"{error}).") from error
    try:
        with store.read_engine.connect() as connection:
            revision = current_revision(connection)
    finally:
        store.dispose()
    head = head_revision()
    if revision != head:
        raise SelfTestError(f"The new database stopped at revision {revision}, not at the newest, {head}.")
    return f"a new SQLite database was migrated to revision {revision}, the newest shipped"


def check_encode(work: Path, options: Options) -> str:
    from hardware.station.self_check import encode_one_band

    return encode_one_band(work / "encode.sqlite3")


def check_pdf(work: Path, options: Options) -> str:
    """A real series report, through the same code as ``boxoffice report``: reportlab, the bundled
    fonts (names in Latin, Polish and Japanese script), the charts and the page template."""
    from datetime import timedelta

    from boxoffice.domain.enums import GateKind
    from boxoffice.reports.build import build_report
    from boxoffice.reports.pdf import render_pdf
    from boxoffice.services import events, organization
    from boxoffice.services import series as series_svc
    from boxoffice.services.actor import resolve_actor
    from boxoffice.store.opening import open_store
    from boxoffice.store.types import utcnow

    path = font(REPORT_FONT, options.resources)
    store = open_store(work / "report.sqlite3")
    try:
        organization.create_organization(store, "Self-test", "self-test@example.org", "Zoë Ørsted")
        actor = resolve_actor(store, "self-test@example.org")
        events.create_event(store, actor, "Łódź 東京 self-test", "Europe/Warsaw")
        events.add_category(store, actor, "Łódź 東京 self-test", "GA")
        events.add_gate(store, actor, "Łódź 東京 self-test", "Main", GateKind.ENTRY)
        start = utcnow().replace(microsecond=0)
        series_svc.create_series(store, actor, "Łódź 東京 self-test", "Day 1", start,
                                 start + timedelta(hours=8), 100, gates=["Main"])
        report = build_report(store, actor, "series", series="Day 1")
    finally:
        store.dispose()
    out = work / "self-test.pdf"
    pages = render_pdf(report, out)
    data = out.read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-64:]:
        raise SelfTestError(f"The PDF written to {out} is not a complete PDF file.")
    if pages < 1:
        raise SelfTestError("The series report came out with no pages.")
    if b"/FontFile2" not in data:
        raise SelfTestError(f"The PDF written does not embed the report fonts ({path.name}).")
    return f"a series report ({pages} page(s), {len(data):,} bytes) was rendered with its fonts embedded"


def _platform_plugin_dirs() -> list[Path]:
    from PySide6.QtCore import QCoreApplication

    return [Path(p) / "platforms" for p in QCoreApplication.libraryPaths()]


def check_qt(work: Path, options: Options) -> str:
    if options.platform:
        os.environ["QT_QPA_PLATFORM"] = options.platform
    from ui.app import offscreen_default

    offscreen_default()
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPixmap
    from PySide6.QtWidgets import QLabel

    wanted = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if wanted:
        dirs = _platform_plugin_dirs()
        if not any(next(d.glob(f"*q{wanted}.*"), None) for d in dirs if d.is_dir()):
            raise SelfTestError(f"Qt's '{wanted}' platform plugin is not in this installation (looked in "
                                f"{', '.join(str(d) for d in dirs) or 'no plugin folder'}).")
    from ui.app import application

    app = application()
    icon = app_icon(options.resources)
    pixmap = QPixmap(str(icon))
    if pixmap.isNull():
        if not icon.is_file():
            from ui.resources import ResourceMissingError

            raise ResourceMissingError("app icon", icon)
        raise SelfTestError(f"Qt could not load the app icon {icon}.")
    label = QLabel()
    label.setStyleSheet("background: white")
    label.setPixmap(pixmap.scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation))
    label.resize(80, 80)
    image = label.grab().toImage()
    label.deleteLater()
    if image.isNull() or image.width() < 80:
        raise SelfTestError(f"Qt on the '{app.platformName()}' platform rendered no image of a widget.")
    centre = QColor(image.pixel(40, 40))
    corner = QColor(image.pixel(1, 1))
    if centre == corner:
        raise SelfTestError(
            f"Qt on the '{app.platformName()}' platform rendered the widget without its icon.")
    target = work / "qt.png"
    if not image.save(str(target)):
        raise SelfTestError(f"Qt could not write a PNG image to {target}.")
    return (f"Qt {pyside_version} loaded the '{app.platformName()}' platform plugin and rendered a "
            f"widget with the app icon ({image.width()}×{image.height()})")


CHECKS: tuple[tuple[str, Callable[[Path, Options], str]], ...] = (
    ("database", check_database),
    ("encode", check_encode),
    ("pdf", check_pdf),
    ("qt", check_qt),
)


def run_check(name: str, check: Callable[[Path, Options], str], root: Path, options: Options) -> Outcome:
    start = time.perf_counter()
    try:
        work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        message = check(work, options)
        ok = True
    except BoxOfficeError as error:
        message, ok = error.message, False
    except Exception as error:  # a bundle missing a module shows here: say which, keep going
        log.debug("self-test check %s failed", name, exc_info=True)
        message, ok = f"{type(error).__name__}: {error}", False
    return Outcome(name, ok, message, time.perf_counter() - start)


def run_all(options: Options, echo: Callable[[str], None]) -> list[Outcome]:
    """Run every check in a temporary folder that is removed afterwards; ``echo`` each line as it ends."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="boxoffice-self-test-", ignore_cleanup_errors=True) as root:
        for name, check in CHECKS:
            outcome = run_check(name, check, Path(root), options)
            verdict = "ok" if outcome.ok else "FAILED"
            echo(f"{name:<9}{verdict:<8}{outcome.message} ({outcome.seconds:.2f} s)")
            outcomes.append(outcome)
    return outcomes


@click.command("self-test")
@click.option("--platform", default=None,
              help="Qt platform plugin to load (default: $QT_QPA_PLATFORM, or offscreen without a display).")
@click.option("--resources", "resources", type=click.Path(path_type=Path), default=None, hidden=True,
              help="Look for the shipped files here instead (tests use it to break a check).")
@click.option("--database", "database", type=click.Path(path_type=Path), default=None, hidden=True,
              help="Create the test database here instead of in the temporary folder.")
@click.pass_context
def self_test(ctx: click.Context, platform: str | None, resources: Path | None,
              database: Path | None) -> None:
    """Check this installation: Qt, the database, a simulated band, a PDF (also `boxoffice --self-test`)."""
    start = time.perf_counter()
    options = Options(resources or resources_dir(), database, platform)
    kind = "bundle" if is_frozen() else "source"
    click.echo(f"Box office self-test ({kind}, resources in {options.resources})")
    outcomes = run_all(options, click.echo)
    failed = [o.name for o in outcomes if not o.ok]
    took = time.perf_counter() - start
    if failed:
        click.echo(f"self-test FAILED: {', '.join(failed)} ({len(failed)} of {len(outcomes)} checks, "
                   f"{took:.1f} s)")
        ctx.exit(1)
    click.echo(f"self-test passed: {len(outcomes)} checks in {took:.1f} s")
