#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh KERNEL: boot the test VM with selftest.list and assert that the
# runner reported every misbehaving test as "not ok" (and the control test
# as "ok").  The run itself is expected to fail; this script passes only
# when each failure was detected.  A second boot, with a PVH dom0, checks
# the stalled-boot dump there too (stall.list).  On the checking kernel
# (deb12-debug, deb12-kasan) a third boot checks that a report of each of
# its checkers fails a run (checkers.list, leaks.list); a checker the
# kernel lacks (its config says so) SKIPs.  The KASAN flavour boots only
# as a PVH dom0, so there the first and third boots are PVH ones too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$here/../../.." && pwd)/build}
kernel=${1:-6.1}
stage=harness-selftest-$kernel
export RESULTS=$BUILD/harness-results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
stock=stock
case $kernel in *-kasan) stock=pvh-stock ;; esac
"$here/../run-vm.sh" -k "$kernel" -p "$stock" --stage "$stage" \
	selftest/selftest.list >/dev/null
tap=$RESULTS/$stage.tap
. "$here/../../tap.sh"
report() {	# what it proves, then the command that proves it
	local what=$1
	shift
	if "$@"; then
		tap ok "$what"
	else
		tap "not ok" "$what"
	fi
}
expect() {	# ok|not ok, description regex, what it proves
	report "$3" grep -qE "^$1 [0-9]+ - $2" "$tap"
}
expect "ok" "control: control passes" "a passing test passes"
expect "not ok" "fails: second fails" "a failing result is kept"
expect "not ok" "exits: exited with status 3" "a non-zero exit fails"
expect "not ok" "silent: printed no result" "a test without results fails"
# 5 s, times the checking kernel's GM_TEST_SCALE.
expect "not ok" "hangs: timed out after [0-9]+s" "a hanging test times out"
expect "ok" "stray: hung test killed" "a timeout kills the test's children"
expect "ok" "warn: harness_pass" "run-ktap passes a KTAP ok"
expect "not ok" "warn: harness_fail" "run-ktap reports a KTAP not ok"
expect "not ok" "warn: kernel/hypervisor log clean" "a WARN fails its test"
expect "not ok" "vm: console log clean" "a WARN fails the console check"
expect "ok" "selftest: @insmod core/itn_core.ko$" "@insmod loads a module"
expect "ok" "selftest: @insmod core/itn_core.ko \\(already loaded\\)" \
	"@insmod of a loaded module passes"
expect "not ok" "selftest: @insmod core/itn_core.ko$" \
	"@insmod refuses new parameters for a loaded module"
expect "not ok" "vm: run completed \\(no progress in 'stall' past its limit" \
	"a step that cannot be killed stops the boot"
# The dump itself: Xen's debug keys and dom0's sysrq reached their targets.
dump_has() {	# STAGE, what the dump is
	local what console=$BUILD/logs/$1/console.log
	for what in "'q' pressed -> dumping domain info" \
		"'d' pressed -> dumping registers" \
		"sysrq: Show Blocked State" "task:insmod"; do
		report "$2 has \"$what\"" grep -qF "$what" "$console"
	done
}
dump_has "$stage" "the state dump"

stage=harness-selftest-pvh-$kernel
"$here/../run-vm.sh" -k "$kernel" -p pvh-stock --stage "$stage" \
	selftest/stall.list >/dev/null
tap=$RESULTS/$stage.tap
expect "not ok" "vm: run completed \\(no progress in 'stall' past its limit" \
	"a step that cannot be killed stops a PVH dom0's boot"
dump_has "$stage" "a PVH dom0's state dump"

# has CONFIG_X: the checking kernel was built with it.
has() {
	grep -q "^$1=y" "$config"
}
# checker CONFIG_X NAME expect|report ARGS...: the check, if the kernel
# has the checker, else a SKIP of what it would have proved.
checker() {
	local opt=$1 name=$2 what
	shift 2
	if has "$opt"; then
		"$@"
		return
	fi
	what=$2
	[ "$1" = expect ] && what=$4
	tap ok "$what # SKIP no $name in this kernel ($opt is off)"
}
case $kernel in
*-debug|*-kasan)
	eval "$("$here/../platform.sh" env "$kernel")"
	config=$PLATFORM_VMROOT/boot/config-$PLATFORM_KVER
	[ -s "$config" ] || { echo "check-harness: no $config" >&2; exit 1; }
	stage=harness-selftest-checkers-$kernel
	"$here/../run-vm.sh" -k "$kernel" -p "$stock" --stage "$stage" \
		selftest/checkers.list selftest/leaks.list >/dev/null
	tap=$RESULTS/$stage.tap
	checker CONFIG_DEBUG_KMEMLEAK kmemleak expect "ok" \
		"boot: kmemleak found no leak" "kmemleak finds nothing at boot"
	checker CONFIG_KASAN KASAN expect "not ok" \
		"oob: kernel/hypervisor log clean" \
		"a KASAN out-of-bounds report fails its test"
	checker CONFIG_KASAN KASAN report \
		"the KASAN report names harness_oob_init" grep -qE \
		"BUG: KASAN: [a-z-]+ in harness_oob_init" "$tap"
	checker CONFIG_KFENCE KFENCE expect "not ok" \
		"kfence: kernel/hypervisor log clean" \
		"a KFENCE report fails its test"
	checker CONFIG_KFENCE KFENCE report \
		"the KFENCE report is harness_kfence's" grep -qE \
		"BUG: KFENCE: .* in harness_kfence_init" "$tap"
	checker CONFIG_PROVE_LOCKING lockdep expect "not ok" \
		"lockdep: kernel/hypervisor log clean" \
		"a lockdep circular dependency report fails its test"
	checker CONFIG_PROVE_LOCKING lockdep report \
		"the lockdep report is the circular dependency" grep -q \
		"possible circular locking dependency" "$tap"
	checker CONFIG_DEBUG_KMEMLEAK kmemleak expect "ok" \
		"checkers: kmemleak found no leak" \
		"kmemleak blames no suite that leaked nothing"
	checker CONFIG_DEBUG_KMEMLEAK kmemleak expect "not ok" \
		"leaks: kmemleak found no leak" \
		"a kmemleak unreferenced object fails its suite"
	# Its init section is freed by then: the backtrace has no name, the
	# buffers are known by their size and their 0x5a bytes.
	checker CONFIG_DEBUG_KMEMLEAK kmemleak report \
		"the kmemleak report is harness_leak's" sh -c \
		'grep -A3 "unreferenced object .* (size 1024)" "$1" |
			grep -q "5a 5a 5a 5a 5a 5a 5a 5a"' sh "$tap"
	expect "not ok" "vm: console log clean" \
		"the reports fail the console check"
	;;
esac
tap_plan
echo "check-harness: $((tap_n - tap_failed)) passed, $tap_failed failed (TAP of the runs: $RESULTS)"
[ "$tap_failed" -eq 0 ]
