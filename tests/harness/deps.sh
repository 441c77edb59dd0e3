#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh host        install the build/test packages this machine lacks
# deps.sh vm [PLATFORM] fetch (apt-get download, never install) the
#                     packages that go into the VM images of PLATFORM
#                     (platform.sh; default deb12) and unpack them under
#                     $CACHE/vmroot-RELEASE; for deb12-debug and
#                     deb12-kasan, deb12's packages and the checking
#                     kernel (debug-kernel.sh), with the tools its build
#                     needs
# deps.sh vm-bench [PLATFORM]  the same, and what only make bench's
#                     test domain carries (fio, for figure 8) under
#                     $CACHE/vmroot-RELEASE-bench
#
# Idempotent: a second run neither updates the lists nor downloads again
# when everything is already there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}

die() { echo "deps: $*" >&2; exit 1; }

# Build and host-test tools.  The kernel headers come from the meta
# packages so that security updates are followed.
HOST_PKGS="make git build-essential clang libclang-rt-dev sparse gnuplot-nox python3
	qemu-system-x86 busybox-static cpio libxen-dev xenstore-utils kmod
	xz-utils zstd gzip binutils perl linux-source-6.1
	linux-headers-amd64 linux-headers-6.12-amd64"

# What the checking kernel's build needs besides HOST_PKGS (deb12-debug,
# deb12-kasan).
DEBUG_PKGS="flex bison bc libelf-dev patch"

# What runs inside the VMs: Xen, its toolstack, QEMU's Xen device model
# for qdisk, and their libraries, which apt resolves (the image builder
# checks every ELF it copies and fails loudly on a missing library).  The
# Xen version is the release's own (platform.sh xenver).
vm_pkgs() {	# xenver
	echo "xen-hypervisor-$1-amd64 xen-utils-$1 xen-utils-common" \
		"xenstore-utils qemu-system-xen qemu-system-data libgcc-s1"
}

# What only the bench test domain's image carries (docs/performance.md,
# figure 8): fio with the libraries it links (Ceph's, Gluster's: tens of
# MiB that make check's images do without).
BENCH_VM_PKGS="fio"

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

plat() { "$here/platform.sh" "$@"; }

# apt options for PLATFORM's downloads: its release's private state (an
# empty status, so apt resolves the whole closure down to libc), or for
# the host's own release the host's lists and status with a private
# archive directory: what the host has installed is the same release's,
# and the image builder takes it from the host.
vm_apt_opts() {
	local opts d=$CACHE/apt/host
	opts=$(plat apt "$1")
	if [ -z "$opts" ]; then
		mkdir -p "$CACHE/debs/partial" "$d/cache"
		opts="-o Dir::Cache::archives=$CACHE/debs -o Dir::Cache=$d/cache"
		opts="$opts -o APT::Install-Recommends=0 -o Debug::NoLocking=1"
	fi
	echo "$opts"
}

# The .deb files (name, one per line) of the closure of PKGS, downloading
# the ones not in the archive directory yet.  The closure comes from apt's
# simulation (--print-uris names only what is still to fetch).
closure() {	# opts archives pkgs...
	local opts=$1 dir=$2 sim files want f
	shift 2
	# shellcheck disable=SC2086
	sim=$(apt-get $opts -s -qq install "$@" 2>&1) ||
		die "cannot resolve $*: $sim"
	files=$(echo "$sim" |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*\[\([^]]*\)\])\( \[.*\]\)\{0,1\}$/\1_\2_\3.deb/p' |
		sed 's/:/%3a/')
	# Nothing when the host has it all installed (host release only).
	[ -n "$files" ] || return 0
	want=0
	for f in $files; do
		[ -s "$dir/$f" ] || want=$((want + 1))
	done
	if [ $want -gt 0 ]; then
		echo "deps: downloading $want packages into $dir" >&2
		# shellcheck disable=SC2086
		apt-get $opts -qq -y --download-only \
			-o APT::Sandbox::User=root install "$@" >&2 ||
			die "apt-get download failed"
	fi
	for f in $files; do
		[ -s "$dir/$f" ] || die "apt-get left out $f"
	done
	echo "$files"
}

# The .deb files of PKGS themselves, downloaded if missing, whether or not
# the host has them installed (which hides them from the closure).
toplevel() {	# opts archives pkgs...
	local opts=$1 dir=$2 uris want=() f
	shift 2
	# The candidates' file names (download --print-uris leaves out the
	# ones already in the directory).
	# shellcheck disable=SC2086
	uris=$(apt-cache $opts show --no-all-versions "$@" 2>&1) ||
		die "cannot resolve $*: $uris"
	uris=$(echo "$uris" | awk '/^Package:/ { p = $2 } /^Version:/ { v = $2 }
		/^Architecture:/ { a = $2 } /^$/ && p != "" {
			sub(/:/, "%3a", v); print p "_" v "_" a ".deb"; p = "" }
		END { if (p != "") { sub(/:/, "%3a", v); print p "_" v "_" a ".deb" } }')
	for f in $uris; do
		[ -s "$dir/$f" ] || want+=("${f%%_*}")
	done
	if [ ${#want[@]} -gt 0 ]; then
		echo "deps: downloading ${#want[@]} packages into $dir" >&2
		# shellcheck disable=SC2086
		(cd "$dir" && apt-get $opts download -qq \
			-o APT::Sandbox::User=root "${want[@]}") >&2 ||
			die "apt-get download failed"
	fi
	echo "$uris"
}

# Download what is not in the cache yet; unpack each .deb once into the
# release's VM root.
do_vm() {
	local p=${1:-deb12} root kpkg kver xv opts dir suite files f
	command -v apt-get >/dev/null || die "apt-get not found"
	# The platform's cached facts, not a second round of apt queries.
	eval "$(plat env "$p")"
	p=$PLATFORM_NAME root=$PLATFORM_VMROOT kver=$PLATFORM_KVER
	kpkg=linux-image-$kver xv=$PLATFORM_XENVER
	opts=$(vm_apt_opts "$p")
	dir=$(echo "$opts" | sed -n 's/.*Dir::Cache::archives=\([^ ]*\).*/\1/p')
	mkdir -p "$root/.unpacked"
	# shellcheck disable=SC2046
	files="$(closure "$opts" "$dir" $(vm_pkgs "$xv"))
$(toplevel "$opts" "$dir" $(vm_pkgs "$xv"))"
	# The kernel from its own suite (backports), and of its closure only
	# its own packages: the image carries modules, not an init system.
	# The checking kernel is built here instead.
	suite=$(plat suite "$p")
	if [ -z "${PLATFORM_KDIR:-}" ]; then
		files="$files
$(closure "$opts${suite:+ -t $suite}" "$dir" "$kpkg" initramfs-tools |
	grep "^linux-[a-z]*-$kver\|^linux-image-$kver")
$(toplevel "$opts${suite:+ -t $suite}" "$dir" "$kpkg")"
	fi
	for f in $files; do
		[ -e "$root/.unpacked/$f" ] && continue
		dpkg-deb -x "$dir/$f" "$root" || die "cannot unpack $f"
		touch "$root/.unpacked/$f"
	done
	if [ -n "${PLATFORM_KDIR:-}" ]; then
		HOST_PKGS=$DEBUG_PKGS do_host
		"$here/debug-kernel.sh" -f "$(plat flavour "$p")" \
			install "$root" ||
			die "no checking kernel"
	fi
	# Debian 13 keeps modules under /usr/lib; the image builder and
	# depmod look under /lib.
	if [ ! -e "$root/lib/modules/$kver" ] &&
	   [ -d "$root/usr/lib/modules/$kver" ]; then
		mkdir -p "$root/lib/modules"
		ln -s "../../usr/lib/modules/$kver" "$root/lib/modules/$kver"
	fi
	# 7.x packages keep the image beside the modules; their postinst
	# would put it under /boot.
	if [ ! -e "$root/boot/vmlinuz-$kver" ] &&
	   [ -s "$root/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$root/boot"
		ln -s "../lib/modules/$kver/vmlinuz" "$root/boot/vmlinuz-$kver"
	fi
	[ -s "$root/boot/vmlinuz-$kver" ] || die "no kernel in $kpkg"
	# The package leaves modules.dep to the installer's depmod.
	if [ ! -s "$root/lib/modules/$kver/modules.dep" ]; then
		depmod -b "$root" "$kver" || die "depmod $kver failed"
	fi
	[ -s "$root/boot/xen-$xv-amd64.gz" ] ||
		die "no hypervisor in xen-hypervisor-$xv-amd64"
}

# fio's closure, unpacked beside the release's VM root, into
# <VM root>-bench, so that make check's images never see it.
do_vm_bench() {
	local p=${1:-deb12} root opts dir files f
	do_vm "$p"
	eval "$(plat env "$p")"
	root=$PLATFORM_VMROOT-bench
	mkdir -p "$root/.unpacked"
	opts=$(vm_apt_opts "$PLATFORM_NAME")
	dir=$(echo "$opts" | sed -n 's/.*Dir::Cache::archives=\([^ ]*\).*/\1/p')
	# shellcheck disable=SC2086
	files="$(closure "$opts" "$dir" $BENCH_VM_PKGS)
$(toplevel "$opts" "$dir" $BENCH_VM_PKGS)"
	for f in $files; do
		[ -e "$root/.unpacked/$f" ] && continue
		dpkg-deb -x "$dir/$f" "$root" || die "cannot unpack $f"
		touch "$root/.unpacked/$f"
	done
	[ -x "$root/usr/bin/fio" ] || die "no fio in $root"
}

usage() {
	sed -n '3,12s/^# \{0,1\}//p' "$0"
}

case "${1:-}" in
host)	do_host ;;
vm)	do_vm "${2:-${PLATFORM:-deb12}}" ;;
vm-bench) do_vm_bench "${2:-${PLATFORM:-deb12}}" ;;
-h|--help) usage ;;
*)	usage >&2; exit 2 ;;
esac
