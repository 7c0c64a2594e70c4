#!/usr/bin/env bash
# Install the Linux bundle and its system files. As root: sudo bash packaging/linux/install.sh [BUNDLE]
#   BUNDLE   the built one-folder app (default: dist/boxoffice from packaging/build-linux.sh)
#   DESTDIR  stage everything under this folder instead of / (for a distribution package); the
#            udev and kernel-module reloads are then left to the package's own install step.
#   PREFIX   where the app goes (default /opt/boxoffice; the .desktop file names this path).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bundle=${1:-$here/../../dist/boxoffice}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/opt/boxoffice}

if [ ! -x "$bundle/boxoffice" ]; then
    echo "No built app at $bundle (expected $bundle/boxoffice): run bash packaging/build-linux.sh first." >&2
    exit 1
fi
if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
    echo "Installing into /opt, /usr and /etc needs root: sudo bash $0 $*" >&2
    exit 1
fi

case "$PREFIX" in
    /*/boxoffice*) ;;
    *) echo "PREFIX must be a folder of its own named boxoffice…, such as /opt/boxoffice (got '$PREFIX')." >&2; exit 1 ;;
esac
root=${DESTDIR%/}
# A new version replaces the old folder whole: no stale library of the previous build stays behind.
rm -rf -- "$root$PREFIX"
install -d "$root$PREFIX" "$root/usr/local/bin" "$root/usr/share/applications" \
    "$root/usr/share/icons/hicolor/256x256/apps" "$root/etc/udev/rules.d" "$root/etc/modprobe.d"
cp -a "$bundle"/. "$root$PREFIX"/
ln -sfn "$PREFIX/boxoffice" "$root/usr/local/bin/boxoffice"
sed "s#/opt/boxoffice#$PREFIX#g" "$here/boxoffice.desktop" >"$root/usr/share/applications/boxoffice.desktop"
install -m 0644 "$here/../../resources/icons/boxoffice.png" "$root/usr/share/icons/hicolor/256x256/apps/boxoffice.png"
install -m 0644 "$here/60-boxoffice-nfc.rules" "$root/etc/udev/rules.d/60-boxoffice-nfc.rules"
install -m 0644 "$here/blacklist-boxoffice-nfc.conf" "$root/etc/modprobe.d/blacklist-boxoffice-nfc.conf"

if [ -z "$DESTDIR" ]; then
    udevadm control --reload-rules 2>/dev/null && udevadm trigger --subsystem-match=usb 2>/dev/null || true
    modprobe -r port100 pn533_usb pn533 2>/dev/null || true
    update-desktop-database -q 2>/dev/null || true
    gtk-update-icon-cache -q /usr/share/icons/hicolor 2>/dev/null || true
fi
echo "Installed Box office in $root$PREFIX; run: boxoffice --self-test, then boxoffice reader list"
