#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh host        install the build/test packages this machine lacks
# deps.sh vm [KERNEL] fetch (apt-get download, never install) the packages
#                     that go into the VM images and unpack them under
#                     $CACHE/vmroot; KERNEL is 6.1 (default), 6.12 or
#                     6.1-debug (6.1's packages and the checking kernel)
#
# Idempotent: a second run neither updates the lists nor downloads again
# when everything is already there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}

die() { echo "deps: $*" >&2; exit 1; }

# Build and host-test tools.  The kernel headers come from the meta
# packages so that security updates are followed.
HOST_PKGS="make git build-essential clang libclang-rt-dev sparse gnuplot-nox
	qemu-system-x86 busybox-static cpio libxen-dev xenstore-utils kmod
	xz-utils zstd gzip binutils perl linux-source-6.1
	linux-headers-amd64 linux-headers-6.12-amd64
	flex bison bc libelf-dev"

# What runs inside the VMs: Xen, its toolstack and their libraries, QEMU's
# Xen device model for qdisk.  Library dependencies are listed rather than
# resolved recursively: the image builder checks every ELF with ldd and
# fails loudly on a library that is missing.
VM_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
	xenstore-utils qemu-system-xen qemu-system-data
	libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1
	libxengnttab1 libxenhypfs1 libxenmisc4.17 libxenstore4 libxentoolcore1
	libxentoollog1 libyajl2 libncurses6 libncursesw6 libtinfo6 libgcc-s1
	libc6 zlib1g libfdt1 libglib2.0-0 libjpeg62-turbo libpixman-1-0
	libspice-server1 libusb-1.0-0 libudev1 libpcre2-8-0 libffi8
	libmount1 libblkid1 libselinux1 libopus0 libssl3 liblz4-1
	libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 liborc-0.4-0
	libsasl2-2 libunwind8 libdw1 libelf1 liblzma5 libbz2-1.0 libzstd1
	libcap2 libuuid1 libnl-3-200 libnl-route-3-200 libaio1 libgnutls30
	libcap-ng0 libtirpc3 libgssapi-krb5-2 libkrb5-3 libk5crypto3
	libkrb5support0 libcom-err2 libkeyutils1 libnsl2 libstdc++6"

lists_fresh() {
	# Lists newer than a day are good enough: the point is to resolve
	# the current kernel and Xen versions, not to chase every upload.
	local l
	l=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' \
		-mmin -1440 2>/dev/null | head -n1)
	[ -n "$l" ]
}

apt_update_once() {
	[ -n "${DEPS_UPDATED:-}" ] && return 0
	lists_fresh && [ "${1:-}" != force ] && return 0
	echo "deps: apt-get update"
	apt-get update -qq || die "apt-get update failed"
	DEPS_UPDATED=1
}

missing_host() {
	local p
	for p in $HOST_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

do_host() {
	local miss
	miss=$(missing_host)
	[ -z "$miss" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "need root to install: $(echo $miss)"
	apt_update_once force
	echo "deps: installing" $miss
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $miss >/dev/null ||
		die "apt-get install failed"
}

# The image package of KERNEL, from the meta package, through kver.sh.
kernel_pkg() {
	local kver
	kver=$("$here/kver.sh" "$1") || {
		apt_update_once force
		kver=$("$here/kver.sh" "$1")
	}
	echo "linux-image-$kver"
}

# Download what is not in $CACHE/debs yet; unpack each .deb once.
do_vm() {
	local kernel=${1:-6.1} debs=$CACHE/debs root=$CACHE/vmroot
	local uris want=() f url kpkg
	command -v apt-get >/dev/null || die "apt-get not found"
	mkdir -p "$debs" "$root" "$root/.unpacked"
	# The checking kernel runs with the packages of Debian's 6.1.
	kpkg=$(kernel_pkg "${kernel%-debug}")
	# --print-uris names the exact file of the candidate version, so an
	# up-to-date cache costs one apt query and no download.
	uris=$(cd "$debs" && apt-get download --print-uris $VM_PKGS "$kpkg" \
		2>&1) || {
		apt_update_once force
		uris=$(cd "$debs" && apt-get download --print-uris $VM_PKGS \
			"$kpkg" 2>&1) || die "cannot resolve VM packages: $uris"
	}
	while read -r url f _; do
		[ -n "$f" ] || continue
		[ -s "$debs/$f" ] || want+=("${f%%_*}")
	done < <(echo "$uris" | sed -n "s/^'\([^']*\)' \([^ ]*\) .*/\1 \2 x/p")
	if [ ${#want[@]} -gt 0 ]; then
		echo "deps: downloading ${#want[@]} packages into $debs"
		(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${want[@]}") ||
			die "apt-get download failed"
	fi
	echo "$uris" | sed -n "s/^'[^']*' \([^ ]*\) .*/\1/p" |
	while read -r f; do
		[ -e "$root/.unpacked/$f" ] && continue
		dpkg-deb -x "$debs/$f" "$root" || die "cannot unpack $f"
		touch "$root/.unpacked/$f"
	done
	# Stable names for the image builder: the hypervisor and the kernel.
	local kver=${kpkg#linux-image-}
	[ -s "$root/boot/vmlinuz-$kver" ] || die "no kernel in $kpkg"
	# The package leaves modules.dep to the installer's depmod.
	if [ ! -s "$root/lib/modules/$kver/modules.dep" ]; then
		depmod -b "$root" "$kver" || die "depmod $kver failed"
	fi
	case $kernel in
	*-debug) "$here/debug-kernel.sh" install "$root" ||
		die "no checking kernel" ;;
	esac
	ls "$root"/boot/xen-4.17-amd64.gz >/dev/null 2>&1 ||
		ls "$root"/boot/xen-4.17*.gz >/dev/null 2>&1 ||
		die "no hypervisor in xen-hypervisor-4.17-amd64"
}

usage() {
	sed -n '3,10s/^# \{0,1\}//p' "$0"
}

case "${1:-}" in
host)	do_host ;;
vm)	do_vm "${2:-${KERNEL:-6.1}}" ;;
-h|--help) usage ;;
*)	usage >&2; exit 2 ;;
esac
