#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# disk.sh DEBDIR DOMU_KERNEL DOMU_INITRD OUTDIR: the disk of the full-dom0
# stage (docs/package.md).  A copy of the cached base (base.sh) gets the
# two .debs of DEBDIR installed by apt in a chroot, where dkms builds the
# modules against the image's own kernel headers with the image's own
# compiler, as on a Debian dom0.  Then the pieces of the checks (which are
# not part of the start-up): the dom0 ends of the test programs, compiled
# in the image, the harness's test domU and its config, the checks' unit.
# Writes OUTDIR/disk.img (ext4), OUTDIR/xen, OUTDIR/vmlinuz,
# OUTDIR/initrd.img and OUTDIR/times.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
debdir=${1:?usage: disk.sh DEBDIR DOMU_KERNEL DOMU_INITRD OUTDIR}
domu_kernel=${2:?} domu_initrd=${3:?} out=${4:?}
CACHE=${CACHE:-$top/.cache}
export CACHE

die() { echo "fulldom0-disk: $*" >&2; exit 1; }
now() { date +%s; }
[ "$(id -u)" -eq 0 ] || die "needs root (chroot, file ownership)"

t0=$(now)
base=$("$here/base.sh") || die "no base image"
t_base=$(($(now) - t0))

root=$out/root
mounted=()
umount_all() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null || true
	done
	mounted=()
}
trap umount_all EXIT
# Never rm -rf a tree that still has /dev or /proc mounted in it.
safe_rm_root() {
	umount_all
	! grep -q " $root/" /proc/mounts || die "$root still has mounts"
	rm -rf "$root"
}
safe_rm_root
rm -f "$out/disk.img"
mkdir -p "$root"
tar -xpf "$base" -C "$root" --numeric-owner
for m in proc sys dev dev/pts; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sysfs "$root/sys" ;;
	dev) mount --bind /dev "$root/dev" ;;
	dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
	esac
	mounted+=("$root/$m")
done
inchroot() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }

# The operator's step: apt installs both packages; gntmap-dkms's postinst
# has dkms build and install the modules for the image's kernel.
t1=$(now)
mkdir -p "$root/var/cache/gntmap-debs"
cp "$debdir"/gntmap-dkms_*_all.deb "$debdir"/gntmap-tools_*_amd64.deb \
	"$root/var/cache/gntmap-debs/"
echo "fulldom0-disk: apt-get install gntmap-dkms gntmap-tools (dkms build)" >&2
debs=$(cd "$root" && ls var/cache/gntmap-debs/*.deb | sed 's#^#/#')
inchroot apt-get install -y $debs >"$out/apt-install.log" 2>&1 ||
	{ tail -n 40 "$out/apt-install.log" >&2; die "apt-get install failed"; }
t_install=$(($(now) - t1))
kver=$(ls "$root/lib/modules" | sort -V | tail -n1)
inchroot dkms status gntmap >&2
ls "$root/lib/modules/$kver/updates/dkms/"gntmap.ko* >/dev/null 2>&1 ||
	die "dkms left no gntmap module for $kver"

# The dom0 ends of the test programs, built in the image against its own
# libxen (Xen 4.20's sonames differ from bookworm's).
src=$root/opt/gntmap/src
mkdir -p "$src" "$root/opt/gntmap/bin"
cp "$top"/tests/vm/stock/{stock-qdisk.c,stock-vchan.c,tap.c,tap.h,vchan-proto.h,qdisk-proto.h} \
	"$top"/tests/vm/lib/{testdom.c,testdom.h,testdom_pattern.h,cli.h} "$src/"
for p in stock-qdisk:"" stock-vchan:-lxenvchan; do
	inchroot gcc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		-I/opt/gntmap/src -o "/opt/gntmap/bin/${p%%:*}" \
		"/opt/gntmap/src/${p%%:*}.c" /opt/gntmap/src/tap.c \
		/opt/gntmap/src/testdom.c ${p#*:} -lxenstore ||
		die "cannot build ${p%%:*} in the image"
done

# The harness's test domU (Debian 12 kernel, busybox initramfs with the
# vchan peer and the qdisk hook) and its config.
mkdir -p "$root/opt/gntmap/domu" "$root/etc/xen/configs" "$root/var/lib/gntmap"
cp "$domu_kernel" "$root/opt/gntmap/domu/vmlinux"
cp "$domu_initrd" "$root/opt/gntmap/domu/domu.cpio"
sed -e 's#@DOMU_KERNEL@#/opt/gntmap/domu/vmlinux#' \
	-e 's#@DOMU_INITRD@#/opt/gntmap/domu/domu.cpio#' \
	"$top/xen-configs/qdisk.cfg" >"$root/etc/xen/configs/qdisk.cfg"

# The operator's settings: guest consoles logged (the checks read the
# domain's report there; /etc/init.d/xen passes XENCONSOLED_ARGS but
# ignores the XENCONSOLED_TRACE its defaults file documents);
# FULLDOM0_XENSTORED picks the store daemon (empty: Debian's choice).
cfg=$root/etc/default/xen
sed -i '/^XENCONSOLED_ARGS=/d' "$cfg"
echo 'XENCONSOLED_ARGS="--log=guest"' >>"$cfg"
# xenconsoled logs into /var/log/xen/console/ but does not create it, and
# the packages ship only /var/log/xen/.
mkdir -p "$root/var/log/xen/console"
if [ -n "${FULLDOM0_XENSTORED:-}" ]; then
	sed -i '/^XENSTORED=/d' "$cfg"
	echo "XENSTORED=$FULLDOM0_XENSTORED" >>"$cfg"
fi

# The checks: a unit after Debian's xen.service.
install -m 0755 "$here/image/gntmap-fulldom0-check" "$root/usr/local/sbin/"
install -m 0644 "$here/image/gntmap-fulldom0-check.service" \
	"$root/etc/systemd/system/"
inchroot systemctl enable gntmap-fulldom0-check.service >&2
# What a first boot does once, done here: under TCG the catalog, ldconfig
# and update-done services of the first boot take minutes.  apt's timers
# are off, so that no apt run collides with the checks' apt-get remove.
inchroot systemd-machine-id-setup >&2
inchroot ldconfig
inchroot journalctl --update-catalog
inchroot /usr/lib/systemd/systemd-update-done
inchroot systemctl mask apt-daily.timer apt-daily-upgrade.timer >&2

# What QEMU boots: Xen (multiboot wants the plain ELF), the kernel, and
# the initramfs update-initramfs made in the image.
zcat "$root"/boot/xen-4.20-amd64.gz >"$out/xen" 2>/dev/null ||
	zcat "$(ls "$root"/boot/xen-4.20*.gz | head -n1)" >"$out/xen" ||
	die "no Xen 4.20 in the image"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
umount_all

t2=$(now)
mkfs.ext4 -q -F -L root -d "$root" "$out/disk.img" 6G ||
	die "mkfs.ext4 -d failed"
safe_rm_root
t_mkfs=$(($(now) - t2))
printf 'base %s\ninstall %s\nmkfs %s\nkernel %s\n' "$t_base" "$t_install" \
	"$t_mkfs" "$kver" >"$out/times"
echo "fulldom0-disk: base ${t_base}s, apt install with dkms ${t_install}s, mkfs ${t_mkfs}s ($kver)" >&2
