#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check's look at the Debian packages (docs/package.md), as TAP: make
# deb builds both, lintian has nothing to say, the DKMS tree gntmap-dkms
# installs under /usr/src builds the modules its dkms.conf names against
# KDIR (what dkms runs on a dom0), and the packaged CLI runs.  Installing
# and booting them is the full-dom0 stage of make check-all.
# usage: deb-check.sh DEBDIR KDIR
set -u
debdir=${1:?usage: deb-check.sh DEBDIR KDIR}
kdir=${2:?usage: deb-check.sh DEBDIR KDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. "$top/tests/tap.sh"
out=$(mktemp)
tree=$(mktemp -d)
trap 'rm -rf "$out" "$tree"' EXIT

if ! make --no-print-directory deb >"$out" 2>&1; then
	tap "not ok" "make deb builds gntmap-dkms and gntmap-tools"
	tail -n 30 "$out" | tap_note
	tap_plan
	exit 0
fi
tap ok "make deb builds gntmap-dkms and gntmap-tools"
if [ -s "$debdir/lintian.txt" ]; then
	tap "not ok" "lintian --pedantic: no tag"
	head -n 20 "$debdir/lintian.txt" | tap_note
else
	tap ok "lintian --pedantic: no tag"
fi

dpkg-deb -x "$debdir"/gntmap-dkms_*_all.deb "$tree/dkms"
src=$(echo "$tree"/dkms/usr/src/gntmap-*)
mods=$(sed -n 's/^BUILT_MODULE_NAME\[[0-9]*\]="\(.*\)"/\1/p' "$src/dkms.conf")
if make -C "$kdir" M="$src" modules >"$out" 2>&1; then
	missing=
	for m in $mods; do
		[ -n "$(find "$src" -name "$m.ko")" ] || missing="$missing $m"
	done
	if [ -n "$mods" ] && [ -z "$missing" ]; then
		tap ok "the DKMS tree builds$(printf ' %s.ko' $mods) against $(basename "$kdir")"
	else
		tap "not ok" "the DKMS tree builds what dkms.conf names (missing:${missing:- none named})"
	fi
else
	tap "not ok" "the DKMS tree builds against $(basename "$kdir")"
	grep -E 'error|Error|No such file' "$out" | head -n 20 | tap_note
fi

dpkg-deb -x "$debdir"/gntmap-tools_*_amd64.deb "$tree/tools"
if "$tree/tools/usr/bin/gntmap" --help >"$out" 2>&1 && grep -q counters "$out"; then
	tap ok "gntmap-tools: gntmap --help"
else
	tap "not ok" "gntmap-tools: gntmap --help"
	head -n 10 "$out" | tap_note
fi
tap_plan
