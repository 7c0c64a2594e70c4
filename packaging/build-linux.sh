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

echo "== self-test of the bundle (offscreen)"
start=$(seconds)
"$app" --self-test
selftest_s=$(took "$start")
if command -v xvfb-run >/dev/null 2>&1; then
    echo "== self-test of the bundle on a real X server (Xvfb, the xcb platform plugin)"
    xvfb-run -a "$app" --self-test --platform xcb 2>/dev/null
fi

# The same commands from source, measured in the same run: the baseline each bundle figure is set against.
source_app=$(dirname "$PYTHON")/boxoffice
timed() {  # timed CMD...: seconds of the second of two runs (the first reads every file from disk)
    "$@" >/dev/null 2>&1
    local t0
    t0=$(seconds)
    "$@" >/dev/null 2>&1
    took "$t0"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

version=$("$app" --version)
version_s=$(timed "$app" --version)
version_src=$(timed "$source_app" --version)
selftest_warm=$(timed "$app" --self-test)
selftest_src=$(timed "$source_app" --self-test)

db="$home/start.sqlite3"
"$app" --db "$db" org create "Build check" --owner owner@example.org >/dev/null
window_s=$(timed timeout 120 "$app" --db "$db" gui --exit-when-ready)
window_src=$(timed timeout 120 "$source_app" --db "$db" gui --exit-when-ready)

echo "== figures (bundle; from source; bundle/source)"
echo "version:                 $version"
echo "build time:              ${build_s} s"
echo "bundle size:             $(du -sh dist/boxoffice | cut -f1) ($(find dist/boxoffice -type f | wc -l) files)"
echo "start, --version:        ${version_s} s; ${version_src} s; $(ratio "$version_s" "$version_src")"
echo "start, --self-test:      ${selftest_warm} s; ${selftest_src} s; $(ratio "$selftest_warm" "$selftest_src") (first run after the build: ${selftest_s} s)"
echo "start to first window:   ${window_s} s; ${window_src} s; $(ratio "$window_s" "$window_src") (gui --exit-when-ready, a one-member database)"
