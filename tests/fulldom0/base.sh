#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# base.sh: the Debian 13 (trixie) dom0 root file system of the full-dom0
# stage (docs/package.md), made by mmdebstrap from the mirror this machine's
# apt already uses, as a tarball under $CACHE/fulldom0/.  It is rebuilt
# only when its inputs change: this script, the suite and the package list
# (the cache key).  Prints the tarball's path.
#
# Nothing of gntmap is in it: the stage installs the two .debs on a copy
# (disk.sh), as an operator would.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
SUITE=${FULLDOM0_SUITE:-trixie}

die() { echo "fulldom0-base: $*" >&2; exit 1; }

# Debian's own Xen start-up and toolstack, the kernel with its headers and
# dkms (which pulls the compiler), QEMU's Xen device model for qdisk, and
# libxen-dev for the dom0 ends of the test programs (disk.sh).
PKGS="systemd-sysv udev kmod procps iproute2 initramfs-tools
	linux-image-amd64 linux-headers-amd64 dkms
	xen-hypervisor-4.20-amd64 xen-utils-4.20 xen-utils-common
	xenstore-utils qemu-system-xen libxen-dev gcc libc6-dev make"

# The mirror of the host's apt configuration (never written into the
# repo): the first URI that serves Debian's main archive, and the one
# that serves security updates.
mirror() {
	apt-get indextargets --format '$(URI)' |
		grep -E "/dists/[^/]+$1/main/binary-amd64/Packages\$" |
		sed -E 's#/dists/.*##' | head -n1
}
main_uri=$(mirror '') sec_uri=$(mirror '-security')
[ -n "$main_uri" ] || die "no Debian mirror in the host's apt configuration"

key=$( { cat "$0"; echo "$SUITE"; echo $PKGS; } | sha256sum | cut -c1-16)
out=$CACHE/fulldom0/base-$SUITE-$key.tar
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$CACHE/fulldom0"
command -v mmdebstrap >/dev/null || die "mmdebstrap missing (make deb-deps)"

src=$(mktemp)
trap 'rm -f "$src"' EXIT
{
	echo "deb $main_uri $SUITE main"
	echo "deb $main_uri $SUITE-updates main"
	[ -z "$sec_uri" ] || echo "deb $sec_uri $SUITE-security main"
} >"$src"

t0=$(date +%s)
echo "fulldom0-base: mmdebstrap $SUITE ($(echo $PKGS | wc -w) packages + dependencies)" >&2
# The customize hooks give the image what an installer would: a host
# name and an fstab for the virtio disk; the serial port of the checks is
# left to them (no getty).
mmdebstrap --variant=apt --mode=root --format=tar ${FULLDOM0_MMDEBSTRAP_OPTS:-} \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(echo $PKGS | tr ' ' ,)" \
	--customize-hook='echo fulldom0 >"$1/etc/hostname"' \
	--customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" systemctl mask serial-getty@ttyS1.service' \
	"$SUITE" "$out.tmp" "$src" >&2 || die "mmdebstrap failed"
mv "$out.tmp" "$out"
echo "fulldom0-base: $(du -h "$out" | cut -f1) in $(($(date +%s) - t0)) s" >&2
echo "$out"
