# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# TAP for the host's shell scripts, sourced (tests/core/tap.c is the C
# tests' library).  tap STATUS NAME prints result tap_n + 1, STATUS "ok" or
# "not ok", and counts it (tap_n, tap_failed); tap_note prints its input as
# TAP comments; tap_plan prints the plan of what was counted.
tap_n=${tap_n:-0}
tap_failed=0
tap() {
	tap_n=$((tap_n + 1))
	[ "$1" = ok ] || tap_failed=$((tap_failed + 1))
	echo "$1 $tap_n - $2"
}
tap_note() { sed 's/^/# /'; }
tap_plan() { echo "1..$tap_n"; }
