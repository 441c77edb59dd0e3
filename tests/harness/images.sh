#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# images.sh PLATFORM: build the VM images of one platform under
# <platform build>/<kernel release>/images/ (dom0.cpio, domu.cpio), and the
# cached pieces they need (hypervisor binary, the test domain's ELF kernel).  An image is
# rebuilt only when the list, size or time of one of its inputs changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
platform=${1:?usage: images.sh PLATFORM}
eval "$("$here/platform.sh" env "$platform")"
kver=$PLATFORM_KVER
VMROOT=$PLATFORM_VMROOT XENVER=$PLATFORM_XENVER BUILD=$PLATFORM_BUILD
export CACHE BUILD VMROOT XENVER
img=$BUILD/$kver/images
mkdir -p "$img"

"$here/deps.sh" vm "$platform"

# Multiboot wants the plain ELF; Debian ships it gzipped.
xen=$CACHE/xen-$XENVER.bin
if [ ! -s "$xen" ] || [ "$VMROOT/boot/xen-$XENVER-amd64.gz" -nt "$xen" ]; then
	zcat "$VMROOT/boot/xen-$XENVER-amd64.gz" >"$xen.tmp"
	mv "$xen.tmp" "$xen"
fi
vmlinux=$CACHE/vmlinux-$kver
# The checking kernel keeps its release across rebuilds (a new fragment).
if [ ! -s "$vmlinux" ] || [ "$VMROOT/boot/vmlinuz-$kver" -nt "$vmlinux" ]; then
	echo "  VMLINUX $kver"
	"$here/vmlinux.sh" "$VMROOT/boot/vmlinuz-$kver" "$vmlinux"
fi

# sig FILE-OR-DIR...: one line per input file, so any change shows.
sig() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || { echo "absent $p"; continue; }
		find "$p" \( -type f -o -type l \) -printf '%p %s %T@\n'
	done | LC_ALL=C sort | md5sum | cut -d' ' -f1
}

build() {	# KIND OUT INPUTS...
	local kind=$1 out=$2 s
	shift 2
	s=$(sig "$@")
	if [ -s "$out" ] && [ "$(cat "$out.sig" 2>/dev/null)" = "$s" ]; then
		return 0
	fi
	echo "  IMAGE   $kind ($kver)"
	"$here/mkimage.sh" "$kind" "$kver" "$out"
	echo "$s" >"$out.sig"
}

# The checking kernel is installed into the root with no package marker,
# and keeps its release when rebuilt: its image stands for its modules.
common=("$here/mkimage.sh" "$here/vm" "$VMROOT/.unpacked"
	"$VMROOT/boot/vmlinuz-$kver")
build domu "$img/domu.cpio" "${common[@]}" "$BUILD/$kver/vm/domu"
export DOMU_IMAGE=$img/domu.cpio DOMU_KERNEL=$vmlinux
# make bench (GM_BENCH_IMAGES=1, mk/bench.mk): the dom0 image also carries
# the bench domU's image, with fio; without it the dom0 image is make
# check's, and the bench image is left out of its inputs.
bench=()
if [ -n "${GM_BENCH_IMAGES:-}" ]; then
	"$here/deps.sh" vm-bench "$platform"
	build domu-bench "$img/domu-bench.cpio" "${common[@]}" \
		"$VMROOT-bench/.unpacked" "$BUILD/$kver/vm/domu" \
		"$BUILD/$kver/vm/domu-bench"
	export DOMU_BENCH_IMAGE=$img/domu-bench.cpio
	bench=("$img/domu-bench.cpio")
fi
build dom0 "$img/dom0.cpio" "${common[@]}" "$img/domu.cpio" "$vmlinux" \
	"$here/boot" "$here/selftest" "$top/tests/vm/suites" "$top/xen-configs" \
	"$BUILD/$kver/drivers" "$BUILD/$kver/vm/dom0" "${bench[@]}"
