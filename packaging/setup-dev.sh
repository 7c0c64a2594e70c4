#!/usr/bin/env bash
# Set up a development environment in .venv on a fresh Debian (or any Linux with Python >= 3.11).
# Installs the system packages the project needs when run as root; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
need_apt=()
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    need_apt+=(python3 python3-venv python3-dev)
elif ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need_apt+=(python3-venv)
fi
# libusb for nfcpy's USB readers; poppler-utils to read generated PDFs back in tests;
# swig and libpcsclite-dev to build pyscard (PyPI has only a source archive for Linux).
# pcscd, the PC/SC service for real CCID readers, is not needed to build or test.
# Qt (PySide6 wheels) needs these shared libraries even on its offscreen platform; libpulse0 for
# QtMultimedia's tap sounds; xvfb and the xcb libraries for a real window on a headless machine.
qt_libs=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 libpulse0 fonts-dejavu-core
         xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
         libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1)
# chromium: the gate scanner page's tests (tests/scanner) drive it headless through playwright.
for pkg in libusb-1.0-0 poppler-utils swig libpcsclite-dev chromium "${qt_libs[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing system packages: ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "Please install these system packages first: ${need_apt[*]}" >&2
        exit 1
    fi
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Box office needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
PY

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# pip's build chatter goes to a log, shown only if the install fails.
log=.venv/setup.log
if ! { .venv/bin/python -m pip install -q --upgrade pip \
       && .venv/bin/python -m pip install -q -e ".[test]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "Installing the Python packages failed (log above, also in $log)." >&2
    exit 1
fi
echo "Ready: .venv/bin/boxoffice --help"
