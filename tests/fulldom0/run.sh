#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh DEBDIR [PLATFORM]: the full-dom0 stage (docs/package.md).  Builds the
# disk (disk.sh: cached Debian 13 base + the two .debs installed by apt,
# dkms building the modules), then boots it as a PV dom0 under Xen 4.20 in
# QEMU (TCG, the harness's PV command line: -cpu Nehalem -smp 1, serial
# tick) twice: boot 1 with gntmap-dkms, which ends with "apt-get remove
# gntmap-dkms" and a reboot; boot 2 on stock xen-gntdev.
# FULLDOM0_XENSTORED (disk.sh) picks the xenstored of both boots.  The image's own
# checks report TAP on COM2; the results go to $RESULTS/fulldom0.tap, the
# logs to $BUILD/logs/fulldom0/, the phases' times to $RESULTS/fulldom0-times.
# PLATFORM names the harness images whose test domU is reused (deb12).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
RESULTS=${RESULTS:-$BUILD/results}
export CACHE BUILD
debdir=${1:?usage: run.sh DEBDIR [PLATFORM]}
kernel=${2:-deb12}
stage=fulldom0
BOOT_LIMIT=${FULLDOM0_BOOT_LIMIT:-3600}

kver=$("$top/tests/harness/kver.sh" "$kernel")
domu_kernel=$CACHE/vmlinux-$kver
domu_initrd=$BUILD/$kver/images/domu.cpio
for f in "$domu_kernel" "$domu_initrd"; do
	[ -s "$f" ] || { echo "$stage: no $f (make images PLATFORM=$kernel)" >&2; exit 1; }
done

out=$BUILD/fulldom0
logs=$BUILD/logs/$stage
mkdir -p "$out" "$logs" "$RESULTS"
tap=$RESULTS/$stage.tap
times=$RESULTS/$stage-times
grep -qx "$stage" "$RESULTS/expected-stages" 2>/dev/null ||
	echo "$stage" >>"$RESULTS/expected-stages"
: >"$tap"
n=0
result() {
	n=$((n + 1))
	echo "$1 $n - $2" >>"$tap"
	printf '%s: %s %d - %s\n' "$stage" "$1" "$n" "$2"
}

t0=$(date +%s)
if ! "$here/disk.sh" "$debdir" "$domu_kernel" "$domu_initrd" "$out" \
	2>"$logs/disk.log"; then
	tail -n 20 "$logs/disk.log" >&2
	result "not ok" "disk image: base, apt install of the .debs (dkms build)"
	exit 1
fi
cat "$logs/disk.log" >&2
result ok "disk image: base, apt install of the .debs (dkms build) ($(($(date +%s) - t0)) s)"
cp "$out/times" "$times"

# boot N: one QEMU run of the disk; its TAP lines are renumbered into
# $tap.  QEMU exits when dom0 reboots or powers off (-no-reboot).
boot() {
	local b=$1 run console tapraw qpid drain tick=0 seen=0 total chunk line
	local ended= t1 up= rc
	run=$(mktemp -d "$logs/boot$b.XXXXXX")
	console=$run/console.log tapraw=$run/tap.raw
	: >"$tapraw"
	mkfifo "$run/com1.in" "$run/com1.out" "$run/com2.in" "$run/com2.out"
	exec 8<>"$run/com1.in" 7<>"$run/com2.in"
	t1=$(date +%s)
	timeout -k 5 "$BOOT_LIMIT" qemu-system-x86_64 -accel tcg -cpu Nehalem \
		-smp 1 -m 2048 -nodefaults -no-reboot -display none -vga none \
		-monitor none \
		-kernel "$out/xen" \
		-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 loglvl=all guest_loglvl=all" \
		-initrd "$out/vmlinuz root=/dev/vda rw console=hvc0 earlyprintk=xen nomodeset,$out/initrd.img" \
		-drive "file=$out/disk.img,format=raw,if=virtio,cache=unsafe" \
		-chardev "pipe,id=com1,path=$run/com1,logfile=$console" \
		-chardev "pipe,id=com2,path=$run/com2,logfile=$tapraw" \
		-serial chardev:com1 -serial chardev:com2 </dev/null &
	qpid=$!
	cat "$run/com1.out" >/dev/null &
	drain=$!
	cat "$run/com2.out" >/dev/null &
	drain="$drain $!"
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		tick=$((tick + 1))
		# The serial tick (docs/harness.md): wakes a CPU that slept
		# through its timer.  dom0 never reads COM2.
		[ $((tick % 10)) -ne 0 ] || printf . >&7
		if [ -z "$up" ] && grep -q '# fulldom0 boot' "$tapraw" 2>/dev/null; then
			up=$(($(date +%s) - t1))
			echo "$stage: boot $b: checks started after ${up}s" >&2
		fi
		total=$(tr -cd '\n' <"$tapraw" | wc -c)
		[ "$total" -gt "$seen" ] || continue
		chunk=$(head -n "$total" "$tapraw" | tail -n +$((seen + 1)) | tr -d '\r\0')
		seen=$total
		while IFS= read -r line; do
			case $line in
			"ok "[0-9]*|"not ok "[0-9]*)
				result "${line%% [0-9]*}" "${line#* [0-9]* - }" ;;
			"# fulldom0-boot-end"*) ended=1 ;;
			"#"*) echo "$line" >>"$tap" ;;
			esac
		done <<<"$chunk"
	done
	wait "$qpid" && rc=0 || rc=$?
	kill $drain 2>/dev/null || true
	exec 7>&- 8>&-
	cp "$console" "$logs/console-boot$b.log"
	echo "boot$b ${up:-?} $(($(date +%s) - t1))" >>"$times"
	if [ -n "$ended" ]; then
		result ok "boot $b completed ($(($(date +%s) - t1)) s, checks from ${up:-?} s)"
	else
		result "not ok" "boot $b completed (QEMU status $rc; console in $logs/console-boot$b.log)"
		tail -n 25 "$console" | tr -d '\r' | sed 's/^/# /' | tee -a "$tap"
		return 1
	fi
}

boot 1 && boot 2 || true
echo "$stage: $(grep -c '^ok' "$tap") passed, $(grep -c '^not ok' "$tap") failed; times: $(tr '\n' ' ' <"$times")" >&2
! grep -q '^not ok' "$tap"
