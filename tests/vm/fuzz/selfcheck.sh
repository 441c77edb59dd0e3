#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selfcheck.sh PLATFORM SECONDS SEED BREAK...: for each BREAK (a patch
# tests/vm/fuzz/BREAK.patch, built into the dom0 image by make
# fuzz-breaks), boot with 92-fuzz-selfcheck.list and pass only if gntfuzz
# reported a finding within SECONDS.  A patch whose header says "Needs:
# CONFIG_X" is a SKIP on a dom0 kernel built without it; one whose header
# says "Boot: dropin-break" boots with the broken gntmap as the drop-in
# (tests/harness/boot/dropin-break.sh), else gntmap-load puts it beside
# stock xen-gntdev.  The boots' own TAP files (meant to fail) stay out of
# make's results.  Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/tests/tap.sh"
platform=$1 seconds=$2 seed=$3
shift 3
env=$FUZZ_ENV
export RESULTS=$BUILD/fuzz-selfcheck-results
mkdir -p "$RESULTS"
kconfig=$("$top/tests/harness/platform.sh" vmroot "$platform")/boot/config-$("$top/tests/harness/platform.sh" kver "$platform")
for b in "$@"; do
	need=$(sed -n 's/^Needs: //p' "$here/$b.patch")
	if [ -n "$need" ] && ! grep -qx "$need=y" "$kconfig" 2>/dev/null; then
		tap ok "$b # SKIP the dom0 kernel has no $need ($(head -n 3 "$here/$b.patch" | tr '\n' ' '))"
		continue
	fi
	profile=$(sed -n 's/^Boot: //p' "$here/$b.patch")
	profile=${profile:-stock}
	stage=fuzz-selfcheck-$platform-$b
	{ echo "FUZZ_SECONDS=$seconds"; echo "FUZZ_SEED=$seed";
	  echo "FUZZ_BREAK=$b"; } >"$env"
	"$top/tests/harness/images.sh" "$platform" >/dev/null || {
		tap "not ok" "$b: dom0 image with the broken gntmap"; continue; }
	"$top/tests/harness/run-vm.sh" -P "$platform" -p "$profile" \
		-t $((seconds + 900)) --stage "$stage" \
		92-fuzz-selfcheck.list >/dev/null
	t=$RESULTS/$stage.tap
	out=$BUILD/logs/$stage/test-fuzz-break.out
	# The drop-in profile fails the boot unless it loaded the break.
	loaded='insmod .*gntmap-breaks'
	[ "$profile" = stock ] || loaded='gntmap already loaded'
	if ! grep -qE "^ok [0-9]+ - break-load: $loaded" "$t"; then
		tap "not ok" "$b: the broken gntmap loaded"
		continue
	fi
	first=$(grep -m1 '^# FINDING' "$out" 2>/dev/null)
	when=$(grep -m1 -o 'first finding in round [0-9]*, [0-9]* s' "$out" 2>/dev/null)
	if [ -n "$first" ]; then
		tap ok "$b: caught (${when:-no time}): ${first#\# }"
	elif grep -qE '^not ok' "$t"; then
		tap "not ok" "$b: no finding of the fuzzer; the harness failed the boot: $(grep -m1 -E '^not ok' "$t")"
	else
		tap "not ok" "$b: no finding in $seconds s"
	fi
done
tap_plan
[ "$tap_failed" -eq 0 ]
