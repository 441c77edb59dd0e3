#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the core's model-based fuzzer for a bounded number of inputs from a
# fixed seed (reproducible in make check) and report it as TAP in OUT.
# A hang is a finding too: libFuzzer's -timeout turns it into a failure.
set -u
out=${1:?usage: run-fuzz.sh OUT.tap FUZZER RUNS}
fuzzer=${2:?}
runs=${3:?}
corpus=$(mktemp -d)
log=$out.log
trap 'rm -rf "$corpus"' EXIT
. "$(dirname "$0")/../tap.sh"
{
	echo "TAP version 13"
	echo "1..1"
	if "$fuzzer" -runs="$runs" -seed=1 -max_len=512 -timeout=20 \
		-print_final_stats=1 "$corpus" > "$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		tap ok "model-based fuzz, ${execs:-$runs} inputs, no mismatch"
	else
		tap "not ok" "model-based fuzz found a failure (see $log)"
		grep -m5 -E 'mismatch|ERROR|BUG|WARNING|Test unit written' \
			"$log" | tap_note
	fi
} > "$out"
exit 0
