#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Style gate for the kernel sources, as TAP: checkpatch.pl --no-tree on every
# kernel C file and header, then a sparse build (C=2) of drivers/ and of the
# test domain's module (tests/vm/domu) against each platform's kernel.
# usage: lint.sh CHECKPATCH_DIR PLATFORM...
set -u
scripts=${1:?usage: lint.sh CHECKPATCH_DIR PLATFORM...}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. "$top/tests/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
files=$(git ls-files 'drivers/*.c' 'drivers/*.h' 'tests/vm/domu/*.c' 'tests/vm/domu/*.h')
for f in $files; do
	if perl "$scripts/checkpatch.pl" --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$f" >"$out" 2>&1; then
		tap ok "checkpatch $f"
	else
		tap "not ok" "checkpatch $f"; head -n 40 "$out" | tap_note
	fi
done
for k in "$@"; do
	if ! make --no-print-directory modules PLATFORM="$k" C=2 >"$out" 2>&1; then
		tap "not ok" "modules build for $k"; head -n 40 "$out" | tap_note
		continue
	fi
	tap ok "modules build for $k"
	# The test domain's module is kernel code too: same sparse gate.
	if ! make --no-print-directory vmtests-modules PLATFORM="$k" C=2 \
		>>"$out" 2>&1; then
		tap "not ok" "domU module build for $k"; head -n 40 "$out" | tap_note
		continue
	fi
	if grep -E '^(/|drivers/|[a-z_]+/)[^ ]*:[0-9]+:[0-9]+: (warning|error):' "$out" |
		grep -v '^/usr/src/' >"$out.s"; [ -s "$out.s" ]; then
		tap "not ok" "sparse clean for $k"; head -n 40 "$out.s" | tap_note
	else
		tap ok "sparse clean for $k"
	fi
	rm -f "$out.s"
done
tap_plan
[ "$tap_failed" -eq 0 ]
