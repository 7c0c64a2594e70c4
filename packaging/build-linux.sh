#!/usr/bin/env bash
# Build the one-folder Linux bundle (dist/boxoffice/) with PyInstaller, run its self-test, and print
# its size and start-up times. Usage: bash packaging/build-linux.sh   (after packaging/setup-dev.sh)
#   PYTHON=path/to/python  use another environment (it needs Box office and PyInstaller installed)
# Takes a few minutes (most of it PyInstaller analysing PySide6); not part of .ci/run for that reason.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
if [ ! -x "$PYTHON" ]; then
    echo "No Python environment at $PYTHON: run bash packaging/setup-dev.sh first." >&2
    exit 1
fi
if ! "$PYTHON" -c 'import PyInstaller' >/dev/null 2>&1; then
    echo "Installing PyInstaller into $PYTHON's environment (pip install -e .[package])..."
    "$PYTHON" -m pip install -q -e ".[package]"
fi

seconds() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.2f", b - a }'; }

start=$(seconds)
# The build log goes to a file and is shown only when the build fails.
mkdir -p build
log=build/pyinstaller.log
if ! "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath dist --workpath build/pyinstaller packaging/boxoffice.spec >"$log" 2>&1; then
    cat "$log" >&2
    echo "PyInstaller failed (log above, also in $log)." >&2
    exit 1
fi
build_s=$(took "$start")
app=dist/boxoffice/boxoffice

export QT_QPA_PLATFORM=offscreen
# Start-up figures run in a throw-away home, so they never touch this user's database or settings.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_STATE_HOME="$home/state"

echo "== self-test of the bundle"
start=$(seconds)
"$app" --self-test
selftest_s=$(took "$start")

# Twice, and the second one reported: the first run after a build reads every file from disk.
"$app" --version >/dev/null
start=$(seconds)
version=$("$app" --version)
version_s=$(took "$start")

db="$home/start.sqlite3"
"$app" --db "$db" org create "Build check" --owner owner@example.org >/dev/null
start=$(seconds)
timeout 120 "$app" --db "$db" gui --exit-when-ready >/dev/null
window_s=$(took "$start")

echo "== figures"
echo "version:                 $version"
echo "build time:              ${build_s} s"
echo "bundle size:             $(du -sh dist/boxoffice | cut -f1) ($(find dist/boxoffice -type f | wc -l) files)"
echo "start, --version:        ${version_s} s"
echo "start, --self-test:      ${selftest_s} s (all four checks)"
echo "start to first window:   ${window_s} s (gui --exit-when-ready, a one-member database)"
