#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh [options] [SUITE.list...]
#
# Boot Xen under QEMU (TCG) with the test dom0, run the given suites in it
# and write the stage's TAP file; or give an interactive dom0 shell.
#
#   -P, --platform NAME     Xen and kernel of dom0 and the test domains
#                           (tests/harness/platform.sh: deb12, deb12-6.12,
#                           deb13, deb13-bpo; -k 6.1|6.12 is the same)
#   -p, --profile NAME      boot profile (tests/harness/boot/NAME.sh);
#                           a profile named pvh-* boots a PVH dom0
#   -s, --shell             interactive dom0 shell on this terminal
#   -t, --timeout SECONDS   whole-run limit (default: boot + sum of tests)
#       --stage NAME        name of the TAP file and log directory
#                           (default vm-PLATFORM-PROFILE)
#   -h, --help
#
# SUITEs are names in tests/vm/suites/, selftest/NAME.list for the
# runner's self-checks, or bench/NAME.list for make bench's boots
# (tests/vm/bench/, installed in dom0 by mk/bench.mk).  Environment: CACHE, BUILD, RESULTS (docs/build.md),
# QEMU_MEM (MiB, default 2048), DOM0_MEM (MiB, default 1024; both 256
# more on deb12-kasan), QEMU_SMP, QEMU_CPU,
# VM_SHELL_TIMEOUT (seconds), and
# DOM0=pv|pvh (default pv; pvh boots every profile with a PVH dom0),
# PVH_XEN_ARGS (Xen options of a PVH boot, default spec-ctrl=eager-fpu).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
RESULTS=${RESULTS:-$BUILD/results}
mem_env=${QEMU_MEM:-}${DOM0_MEM:-}
QEMU_MEM=${QEMU_MEM:-2048}
DOM0_MEM=${DOM0_MEM:-1024}
# One emulated CPU: 4-8 times faster than two on 2 shared cores; dom0
# keeps 2 vCPUs, which Xen schedules on it (docs/harness.md).
QEMU_SMP=${QEMU_SMP:-1}
# TCG only (KVM cannot run Xen here).  Not "max": it reports an AMD CPU,
# and PV processes then lose their FS base now and then (segfaults, heap
# corruption in xl, QEMU-dm, busybox).  An Intel model runs clean.
qemu_cpu_env=${QEMU_CPU:-}
QEMU_CPU=${QEMU_CPU:-Nehalem}

platform=deb12 profile=stock mode=run total= stage=
die() { echo "run-vm: $*" >&2; exit 1; }
usage() { sed -n '3,27s/^# \{0,1\}//p' "$0"; }

opts=$(getopt -o P:k:p:st:h \
	-l platform:,kernel:,profile:,shell,timeout:,stage:,help \
	-n run-vm -- "$@") || { usage >&2; exit 2; }
eval set -- "$opts"
while :; do
	case $1 in
	-P|--platform|-k|--kernel) platform=$2; shift 2 ;;
	-p|--profile) profile=$2; shift 2 ;;
	-s|--shell) mode=shell; shift ;;
	-t|--timeout) total=$2; shift 2 ;;
	--stage) stage=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	esac
done
[ -f "$here/boot/$profile.sh" ] || die "no boot profile '$profile'"
eval "$("$here/platform.sh" env "$platform")" || exit 1
platform=$PLATFORM_NAME kver=$PLATFORM_KVER
# KASAN's shadow takes an eighth of dom0's memory, its quarantine up to a
# thirty-second more: dom0 gets 256 MiB more, and the machine with it, so
# that the test domains keep theirs.
case $platform in
*-kasan) [ -n "$mem_env" ] || { QEMU_MEM=2304 DOM0_MEM=1280; } ;;
esac
stage=${stage:-vm-$platform-$profile}
dom0=${DOM0:-pv}
case $profile in pvh-*) dom0=pvh ;; esac
case $dom0 in pv|pvh) ;; *) die "DOM0 must be pv or pvh, not '$dom0'" ;; esac
img=$PLATFORM_BUILD/$kver/images
xen=$CACHE/xen-$PLATFORM_XENVER.bin
vmlinuz=$PLATFORM_VMROOT/boot/vmlinuz-$kver
for f in "$xen" "$vmlinuz" "$img/dom0.cpio"; do
	[ -s "$f" ] || die "missing $f (run 'make images PLATFORM=$platform')"
done

suites=() files=()
for s in "$@"; do
	case $s in
	selftest/*) f=$here/$s ;;
	bench/*) f=$top/tests/vm/bench/${s#bench/} ;;
	*) s=$(basename "$s"); f=$top/tests/vm/suites/$s ;;
	esac
	[ -f "$f" ] || die "no suite $s"
	suites+=("$s")
	files+=("$f")
done
if [ "$mode" = run ] && [ ${#suites[@]} -eq 0 ]; then
	die "no suite to run"
fi

# The whole-run limit: boot, each test's own limit, time for each test
# domain to come up, and the log dump.
# The checking kernel is slower: its tests and test domains get twice as
# long, three times with KASAN, where dom0 also boots in about 3 minutes
# and each test's log checks take 10 s or more.  dom0-init takes the
# factor from gntmap.scale (GM_TEST_SCALE, GM_DOMAIN_TIMEOUT).
scale=1 per=5 boot=240
case $platform in
*-debug) scale=2 ;;
*-kasan) scale=3 per=20 boot=420 ;;
esac
if [ -z "$total" ]; then
	dt=250	# GM_DOMAIN_TIMEOUT in run-suite, and in dom0-init for PVH
	[ "$dom0" = pvh ] && dt=490
	dt=$((dt * scale))
	total=$(cat "${files[@]}" /dev/null |
		awk -v dt=$dt -v ts=$scale -v per=$per -v boot=$boot '/^@domain/ { t += dt } /^[^#@ \t]/ && $2 ~ /^[0-9]+$/ { t += $2 * ts + per }
		END { print t + boot }')
fi

logs=$BUILD/logs/$stage
mkdir -p "$logs" "$RESULTS"
# A private directory per run: two runs of one stage (two shells, two
# engineers) must never read each other's serial output.
run=$(mktemp -d "$logs/run.XXXXXX")
console=$run/console.log
tapraw=$run/tap.raw

# Xen on COM1, dom0's console behind it on hvc0; results on COM2.
xen_args="console=com1 com1=115200,8n1 dom0_mem=${DOM0_MEM}M,max:${DOM0_MEM}M"
xen_args="$xen_args dom0_max_vcpus=2 loglvl=all guest_loglvl=all"
dom0_args="console=hvc0 earlyprintk=xen nomodeset gntmap.mode=$mode"
dom0_args="$dom0_args gntmap.profile=$profile gntmap.platform=$platform"
dom0_args="$dom0_args gntmap.suites=$(IFS=+; echo "${suites[*]:-}")"
machine=()
if [ "$dom0" = pvh ]; then
	# A PVH dom0 needs hardware virtualisation, and TCG emulates only
	# AMD's (SVM, in "max"); with RDTSCP exposed Xen crashes PVH guests
	# under TCG, and a PVH hardware domain needs an IOMMU (design.md).
	# On an AMD CPU Xen switches the FPU lazily (CR0.TS, restore on #NM),
	# and TCG's XSAVE/XRSTOR ignore CR0.TS: a guest's XRSTOR is later
	# overwritten by Xen's restore of whatever the vCPU last held, and
	# processes see other processes' SSE registers.  So Xen switches it
	# eagerly.  And no XSAVE at all (so no AVX, no PKU): with it 6.12's
	# signal frames failed XRSTOR ("bad frame in rt_sigreturn", init
	# dies), and a PV domain started next to dom0 left dom0 without AVX
	# (XRSTOR #GP, then #UD on every VEX instruction).  FXSAVE is enough.
	[ -n "$qemu_cpu_env" ] || QEMU_CPU=max,-smap,-smep,-rdtscp,-xsave,-pku
	machine=(-M q35 -device intel-iommu,intremap=on)
	xen_args="$xen_args dom0=pvh ${PVH_XEN_ARGS-spec-ctrl=eager-fpu}"
	# xl's privcmd teardown of a new domain's kernel image is one
	# hypercall per page there, in a loop of Linux's without a resched
	# (xen_xlate_unmap_gfn_range): 80-120 s under TCG.  Report soft
	# lockups and RCU stalls only past 120 s and 300 s.
	dom0_args="$dom0_args watchdog_thresh=60"
	dom0_args="$dom0_args rcupdate.rcu_cpu_stall_timeout=300"
fi
dom0_args="$dom0_args gntmap.dom0=$dom0 gntmap.scale=$scale"
# KASAN prints only its first report of a boot unless told otherwise.
case $platform in *-kasan) dom0_args="$dom0_args kasan_multi_shot" ;; esac
qemu=(qemu-system-x86_64 -accel tcg -cpu "$QEMU_CPU" -smp "$QEMU_SMP"
	-m "$QEMU_MEM" "${machine[@]}" -nodefaults -no-reboot -display none
	-vga none
	-kernel "$xen" -append "$xen_args"
	-initrd "$vmlinuz $dom0_args,$img/dom0.cpio")

if [ "$mode" = shell ]; then
	echo "run-vm: $dom0 dom0 shell on $platform (Xen $PLATFORM_XENVER," \
		"$kver), profile $profile;" \
		"'poweroff -f' or Ctrl-A X leaves" >&2
	rmdir "$run"
	exec timeout --foreground -k 5 "${VM_SHELL_TIMEOUT:-14400}" \
		"${qemu[@]}" -serial mon:stdio
fi

qpid=
drain=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		sleep 1
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	[ -z "$drain" ] || kill $drain 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A crashed or hung boot must count: name the stage before booting.
grep -qx "$stage" "$RESULTS/expected-stages" 2>/dev/null ||
	echo "$stage" >>"$RESULTS/expected-stages"
tap=$RESULTS/$stage.tap
echo "# dom0 $dom0" >"$tap"
: >"$tapraw"

# Both serial ports are pipes; QEMU itself writes what comes out to the
# logs.  On COM1 a stalled boot can be asked for its state (Xen's debug
# keys, dom0's sysrq).  On COM2 the runner types one byte every 10 s, which
# dom0 never reads (the port is raw, without echo): the emulated CPU
# sometimes sleeps through its timer interrupt, and Xen then halts until
# some other interrupt comes, for minutes or for good (docs/harness.md,
# "The serial tick").
mkfifo "$run/com1.in" "$run/com1.out" "$run/com2.in" "$run/com2.out"
exec 8<>"$run/com1.in" 7<>"$run/com2.in"
t0=$(date +%s)
timeout -k 5 "$total" "${qemu[@]}" -monitor none \
	-chardev "pipe,id=com1,path=$run/com1,logfile=$console" \
	-chardev "pipe,id=com2,path=$run/com2,logfile=$tapraw" \
	-serial chardev:com1 -serial chardev:com2 </dev/null &
qpid=$!
cat "$run/com1.out" >/dev/null &
drain=$!
cat "$run/com2.out" >/dev/null &
drain="$drain $!"

n=0 seen=0 ended=0 booted=
# dom0 announces each step and its limit ("# gntmap-step LIMIT WHAT") and
# enforces the limit itself.  Past it, and past a margin for a slow host,
# dom0 has stopped making progress: a process no signal kills, a dom0 or a
# hypervisor that hangs.  Boot gets 360 s before the first step.
margin=120
step_what=boot step_end=$(($(date +%s) + 360)) stalled= dumped_at=
# Each step's wall time goes to steps.txt ("SECONDS WHAT"), to the second:
# where a stage's time goes (docs/harness.md).
step_t0=$(date +%s)
steps=$run/steps.txt
# Copy the result channel as it grows, one line per result on stdout.
pump() {
	local total chunk line st desc
	# Count whole lines only: a partial one waits for the next round.
	total=$(tr -cd '\n' <"$tapraw" | wc -c)
	[ "$total" -gt "$seen" ] || return 0
	chunk=$(head -n "$total" "$tapraw" | tail -n +$((seen + 1)) |
		tr -d '\r\0')
	seen=$total
	while IFS= read -r line; do
		case $line in
		"ok "[0-9]*|"not ok "[0-9]*)
			st=${line%% [0-9]*}
			desc=${line#* [0-9]* }
			desc=${desc#- }
			n=$((n + 1))
			echo "$st $n - $desc" >>"$tap"
			printf '%s: %s %d - %s\n' "$stage" "$st" "$n" "$desc"
			;;
		"Bail out!"*)
			echo "$line" >>"$tap"
			echo "$stage: $line"
			;;
		"# gntmap-end") ended=1 ;;
		"# gntmap-step "*)
			desc=${line#"# gntmap-step "}
			echo "$(($(date +%s) - step_t0)) $step_what" >>"$steps"
			step_t0=$(date +%s)
			step_what=${desc#* }
			step_end=$(($(date +%s) + ${desc%% *} + margin))
			;;
		"#"*) echo "$line" >>"$tap" ;;
		esac
	done <<<"$chunk"
}
# dump_state: what Xen and dom0 were doing, on the console after the
# point the console check reads up to.  Ctrl-A three times gives Xen the
# serial input: 'q' domains and vCPUs, 'r' run queues, 'd' each CPU's
# registers and stack; three more give it back to dom0, where Ctrl-O is
# sysrq (dom0-init enables it): 'w' blocked tasks, 't' every task.
dump_state() {
	local k
	dumped_at=$(stat -c %s "$console" 2>/dev/null || echo 0)
	printf '\001\001\001' >&8
	sleep 1
	for k in q r d; do
		printf '%s' "$k" >&8
		sleep 3
	done
	printf '\001\001\001' >&8
	sleep 1
	for k in w t; do
		printf '\017%s' "$k" >&8
		sleep 5
	done
}
tick=0
while kill -0 "$qpid" 2>/dev/null; do
	sleep 1
	pump
	tick=$((tick + 1))
	[ $((tick % 10)) -ne 0 ] || printf . >&7
	# The whole-run limit backs this up, but kills without a dump.
	now=$(date +%s)
	if [ $ended -eq 0 ] && { [ "$now" -gt "$step_end" ] ||
	   [ "$now" -gt $((t0 + total - 45)) ]; }; then
		stalled=$step_what
		echo "$stage: no progress in '$stalled'; dumping Xen's and dom0's state" >&2
		dump_state
		break
	fi
	if [ -z "$booted" ] && grep -q 'gntmap-dom0: toolstack up' "$console" 2>/dev/null; then
		booted=$(($(date +%s) - t0))
		echo "$stage: dom0 toolstack up after ${booted}s" >&2
	fi
	# dom0 powers off after the end marker; give Xen a moment, no more.
	if [ $ended -eq 1 ]; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 1
		done
		break
	fi
done
pump
cleanup
wait "$qpid" 2>/dev/null && rc=0 || rc=$?
t1=$(date +%s)
echo "$((t1 - step_t0)) $step_what (to power-off)" >>"$steps"

result() {
	n=$((n + 1))
	echo "$1 $n - $2" >>"$tap"
	printf '%s: %s %d - %s\n' "$stage" "$1" "$n" "$2"
}
# The console up to the state dump, if one was taken: what the checks
# below read (the stacks the dump asked for are not failures).
scan_end=${dumped_at:-$(stat -c %s "$console" 2>/dev/null || echo 0)}
console_before_dump() {
	head -c "$scan_end" "$console" 2>/dev/null | tr -d '\r'
}
if [ -n "$stalled" ]; then
	result "not ok" "vm: run completed (no progress in '$stalled' past its limit; Xen's and dom0's state dumped at the end of $logs/console.log)"
	# The last words before the dump, where a reader of CI's output
	# sees them too.
	console_before_dump | tail -n 25 | sed 's/^/# /' | tee -a "$tap"
elif [ $ended -eq 0 ]; then
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		why="timed out after ${total}s"
	else
		why="QEMU exited with status $rc before the end"
	fi
	result "not ok" "vm: run completed ($why; see $logs/console.log)"
	tail -n 30 "$console" 2>/dev/null | sed 's/^/# /' >>"$tap"
fi

# Not a failure of any test, but worth knowing: how long the emulated CPU
# slept through its timer before the tick woke it.
wraps=$(console_before_dump |
	grep -c 'Platform timer appears to have unexpectedly wrapped' || true)
if [ "$wraps" -gt 0 ]; then
	echo "# Xen's platform timer wrapped unseen $wraps time(s): the emulated CPU slept through its timer (docs/harness.md, \"The serial tick\")" |
		tee -a "$tap"
fi

# The hypervisor and a dying dom0 speak only on the console: scan it all.
checkers=$(. "$here/vm/lib.sh" && echo "$GM_CHECKERS")
# What Xen printed of a test domain's early-boot crash, when dom0 started
# that domain once more (run-suite's domain_up), is not the run's, nor is
# that console, which dom0 dumps as early-crash-NAME.log.
early=$(. "$here/vm/lib.sh" && gm_early_crash_re \
	$(sed -n 's/^# gntmap-early-crash \([0-9][0-9]*\):.*/\1/p' "$tap"))
bad=$(console_before_dump | awk '
	/^==== gntmap-log: / { skip = ($3 ~ /^early-crash-/) }
	!skip' | grep -E \
	'WARNING: CPU|------------\[ cut here \]|BUG:|kernel BUG|Oops|general protection fault|Bad page|Kernel panic|implicit(ly)? unmap|Domain [0-9]+ .*crashed|domain_crash|Call Trace:|Panic on CPU|FATAL TRAP'"|$checkers" |
	{ if [ -n "$early" ]; then grep -Ev "$early"; else cat; fi; } || true)
if [ -n "$bad" ]; then
	result "not ok" "vm: console log clean"
	echo "$bad" | head -n 20 | sed 's/^/# /' >>"$tap"
else
	result "ok" "vm: console log clean"
fi
echo "1..$n" >>"$tap"

# File each log the dom0 dumped on the console under its own name, then
# make this run's logs the stage's.
tr -d '\r' <"$console" | awk -v dir="$run" '
	/^==== gntmap-log: end ====/ { out = ""; next }
	/^==== gntmap-log: .* ====$/ {
		name = $3; gsub(/[^A-Za-z0-9._-]/, "_", name)
		out = dir "/" name; printf "" > out; next
	}
	out != "" { print >> out }'

exec 8>&- 7>&-
rm -f "$run"/com[12].in "$run"/com[12].out
find "$logs" -maxdepth 1 -type f -delete
mv "$run"/* "$logs/" 2>/dev/null || true
rmdir "$run"
console=$logs/console.log
fails=$(grep -c '^not ok' "$tap" || true)
echo "$stage: $n results, $fails failed; boot ${booted:-?}s, total" \
	"$((t1 - t0))s; logs in $logs" >&2
echo "$stage wall ${booted:-0} $((t1 - t0))" >>"$RESULTS/vm-times"
[ "$fails" -eq 0 ]
