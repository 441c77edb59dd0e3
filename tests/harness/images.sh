#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# images.sh PLATFORM: build the VM images of one platform under
# <platform build>/<kernel release>/images/ (dom0.cpio, domu.cpio), and the
# cached pieces they need (hypervisor binary, the test domain's ELF kernel).  An image is
# rebuilt only when the list, size or time of one of its inputs changed.
# Where the test domains boot another platform's kernel (platform.sh domu),
# its domU image and kernel are built here too, from what "make vm-deps
# PLATFORM=<that platform>" built.
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
# vmlinux KVER: the plain ELF kernel of KVER, for xl (and Multiboot).
vmlinux() {
	local v=$CACHE/vmlinux-$1
	# The checking kernel keeps its release across rebuilds (a new
	# fragment).
	if [ ! -s "$v" ] || [ "$VMROOT/boot/vmlinuz-$1" -nt "$v" ]; then
		echo "  VMLINUX $1" >&2
		"$here/vmlinux.sh" "$VMROOT/boot/vmlinuz-$1" "$v"
	fi
	echo "$v"
}
vmlinux=$(vmlinux "$kver")

# sig FILE-OR-DIR...: one line per input file, so any change shows.
sig() {
	local p
	for p in "$@"; do
		[ -e "$p" ] || { echo "absent $p"; continue; }
		find "$p" \( -type f -o -type l \) -printf '%p %s %T@\n'
	done | LC_ALL=C sort | md5sum | cut -d' ' -f1
}

build() {	# KIND KVER OUT INPUTS...
	local kind=$1 k=$2 out=$3 s
	shift 3
	s=$(sig "$@")
	if [ -s "$out" ] && [ "$(cat "$out.sig" 2>/dev/null)" = "$s" ]; then
		return 0
	fi
	echo "  IMAGE   $kind ($k)"
	"$here/mkimage.sh" "$kind" "$k" "$out"
	echo "$s" >"$out.sig"
}

# The checking kernel is installed into the root with no package marker,
# and keeps its release when rebuilt: its image stands for its modules.
common=("$here/mkimage.sh" "$here/vm" "$VMROOT/.unpacked"
	"$VMROOT/boot/vmlinuz-$kver")

domu_image() {	# KVER: the test domain's image of that kernel
	mkdir -p "$BUILD/$1/images"
	build domu "$1" "$BUILD/$1/images/domu.cpio" "$here/mkimage.sh" \
		"$here/vm" "$VMROOT/.unpacked" "$VMROOT/boot/vmlinuz-$1" \
		"$BUILD/$1/vm/domu"
}
domu_image "$kver"
export DOMU_IMAGE=$img/domu.cpio DOMU_KERNEL=$vmlinux
if [ "$PLATFORM_DOMU" != "$PLATFORM_NAME" ]; then
	# Same release, so the same VMROOT and BUILD serve both kernels.
	dkver=$("$here/platform.sh" kver "$PLATFORM_DOMU")
	if [ ! -d "$BUILD/$dkver/vm/domu" ]; then
		echo "images: no domU tree for $dkver" \
			"(make vm-deps PLATFORM=$PLATFORM_DOMU)" >&2
		exit 1
	fi
	domu_image "$dkver"
	DOMU_IMAGE=$BUILD/$dkver/images/domu.cpio
	DOMU_KERNEL=$(vmlinux "$dkver")
fi
# make bench (GM_BENCH_IMAGES=1, mk/bench.mk): the dom0 image also carries
# the bench domU's image, with fio; without it the dom0 image is make
# check's, and the bench image is left out of its inputs.
bench=()
if [ -n "${GM_BENCH_IMAGES:-}" ]; then
	"$here/deps.sh" vm-bench "$platform"
	build domu-bench "$kver" "$img/domu-bench.cpio" "${common[@]}" \
		"$VMROOT-bench/.unpacked" "$BUILD/$kver/vm/domu" \
		"$BUILD/$kver/vm/domu-bench"
	export DOMU_BENCH_IMAGE=$img/domu-bench.cpio
	bench=("$img/domu-bench.cpio")
fi
build dom0 "$kver" "$img/dom0.cpio" "${common[@]}" "$DOMU_IMAGE" "$DOMU_KERNEL" \
	"$here/boot" "$here/selftest" "$top/tests/vm/suites" "$top/xen-configs" \
	"$BUILD/$kver/drivers" "$BUILD/$kver/vm/dom0" "${bench[@]}"
