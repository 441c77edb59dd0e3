#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stages.sh [-j JOBS] < PLAN
#
# Run make check's boots, JOBS at a time.  PLAN has one stage a line:
# "PLATFORM PROFILE SUITE...", as plan.sh prints them with the platform
# in front.  Each QEMU emulates one CPU in one host thread, so on a host
# with N cores N boots at once take about the time of one (docs/harness.md,
# "Stage times").  The PVH boots are the longest and start first, so that
# the last boot to end is a short one.
#
#   -j, --jobs N   boots at once (default: VM_JOBS, else the host's cores,
#                  at most 4)
#   -h, --help
#
# Environment: what run-vm.sh reads (CACHE, BUILD, RESULTS, ...).  Exits
# non-zero if any stage failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '3,17s/^# \{0,1\}//p' "$0"; }

jobs=${VM_JOBS:-}
opts=$(getopt -o j:h -l jobs:,help -n stages -- "$@") || { usage >&2; exit 2; }
eval set -- "$opts"
while :; do
	case $1 in
	-j|--jobs) jobs=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	esac
done
if [ -z "$jobs" ]; then
	jobs=$(nproc)
	[ "$jobs" -le 4 ] || jobs=4
fi
case $jobs in
''|*[!0-9]*|0) echo "stages: --jobs wants a positive number, not '$jobs'" >&2
	exit 2 ;;
esac

# Longest first: PVH boots, then the stock ones (the most suites).
mapfile -t plan < <(awk '
	NF < 3 { next }
	{ w = ($2 ~ /^pvh-/) ? 0 : ($2 == "stock") ? 1 : 2; print w "\t" $0 }' |
	sort -s -t "$(printf '\t')" -k1,1n | cut -f2-)

# One boot, and once more if it stalled before its first step: then no
# test ran, and what stopped it was the emulation (an emulated CPU that
# slept through its timer under load: docs/harness.md, "The serial tick"),
# which a second boot does not meet twice.  A driver that hangs the boot
# hangs it twice and still fails.  The first boot's console is kept.
run_stage() {	# PLATFORM PROFILE SUITE...
	local platform=$1 profile=$2 stage tap logs
	shift 2
	stage=vm-$platform-$profile
	tap=${RESULTS:?}/$stage.tap
	logs=${BUILD:?}/logs/$stage
	"$here/run-vm.sh" -P "$platform" -p "$profile" "$@" && return 0
	grep -q "^not ok [0-9]* - vm: run completed (no progress in 'boot' " \
		"$tap" 2>/dev/null || return 1
	cp "$logs/console.log" "$BUILD/logs/$stage.stalled-boot.log" 2>/dev/null
	echo "$stage: the boot stalled before its first step; booting once more (first console: $BUILD/logs/$stage.stalled-boot.log)"
	"$here/run-vm.sh" -P "$platform" -p "$profile" "$@"
	local rc=$?
	echo "# the first boot of this stage stalled before its first step (console kept in $BUILD/logs/$stage.stalled-boot.log); this is the second" >>"$tap"
	return $rc
}

rc=0
running=0
for line in "${plan[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || rc=1
		running=$((running - 1))
	fi
	read -r platform profile suites <<<"$line"
	# shellcheck disable=SC2086 # suites are words
	run_stage "$platform" "$profile" $suites &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || rc=1
	running=$((running - 1))
done
exit $rc
