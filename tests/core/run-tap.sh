#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run a TAP-printing test binary into OUT.  A binary that crashes part way
# (a sanitizer report, a sim BUG) leaves its plan unfinished: add one
# "not ok" saying so, with the last lines of its stderr, so that a crash
# can never read as a shorter pass.
set -u
. "$(dirname "$0")/../tap.sh"
out=${1:?usage: run-tap.sh OUT.tap BINARY [ARGS...]}
shift
err=$out.stderr
"$@" > "$out" 2> "$err"
rc=$?
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
got=$(grep -cE '^(not )?ok [0-9]+' "$out")
if [ -z "$plan" ] || [ "$got" -lt "$plan" ] || { [ $rc -ne 0 ] &&
	! grep -q '^not ok' "$out"; }; then
	tap_n=$got
	{
		tap "not ok" "$(basename "$1") exited with status $rc after $got of ${plan:-?} results"
		tail -n 20 "$err" | tap_note
	} >> "$out"
fi
grep -E '^not ok' "$out" >&2
exit 0
