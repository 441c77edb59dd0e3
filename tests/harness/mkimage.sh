#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkimage.sh dom0|domu|domu-bench KVER OUT.cpio
#
# Build one VM initramfs from the packages deps.sh unpacked under $VMROOT
# (Xen $XENVER's), the harness files, and the trees other parts install under
# $BUILD/$KVER/vm/ (docs/build.md).  domu-bench is the test domU's image
# with fio and $BUILD/$KVER/vm/domu-bench/ added, for make bench's figure 8
# only (fio from $VMROOT-bench: deps.sh vm-bench); a dom0 image carries it
# as /opt/gntmap/domu/initrd-bench when $DOMU_BENCH_IMAGE names it.  The archive is left uncompressed: QEMU
# hands it to Xen as a multiboot module and an uncompressed cpio costs no
# decompression inside the emulated dom0.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
kind=${1:?usage: mkimage.sh dom0|domu|domu-bench KVER OUT}
kver=${2:?usage: mkimage.sh dom0|domu|domu-bench KVER OUT}
out=${3:?usage: mkimage.sh dom0|domu|domu-bench KVER OUT}
vmroot=${VMROOT:?VMROOT not set (images.sh sets it)}
xenbin=/usr/lib/xen-${XENVER:?XENVER not set (images.sh sets it)}/bin

die() { echo "mkimage: $*" >&2; exit 1; }

[ -d "$vmroot/lib/modules/$kver" ] ||
	die "no modules for $kver in $vmroot (run tests/harness/deps.sh vm)"

root=$(mktemp -d "${out}.root.XXXXXX")
trap 'rm -rf "$root"' EXIT

# Libraries resolve from the unpacked packages first, so the image carries
# the VM's versions, and from the host only for what no package brought.
libpath="$vmroot/lib/x86_64-linux-gnu:$vmroot/usr/lib/x86_64-linux-gnu"
libpath="$libpath:$vmroot/usr/lib/x86_64-linux-gnu/pulseaudio"
benchroot=$vmroot-bench
if [ "$kind" = domu-bench ]; then
	# librados keeps libceph-common in a directory of its own (RUNPATH).
	libpath="$benchroot/lib/x86_64-linux-gnu:$benchroot/usr/lib/x86_64-linux-gnu:$benchroot/usr/lib/x86_64-linux-gnu/ceph:$libpath"
fi
# The release's own dynamic loader lists what an ELF needs: the host's
# cannot load a newer release's libc.
# (The /lib64 links may be absolute: take the file itself.)
ldso=
for f in "$vmroot/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
	"$vmroot/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"; do
	[ -f "$f" ] && [ ! -L "$f" ] && { ldso=$f; break; }
done
# The host's own release brings no libc of its own: the host's is that
# release's.
[ -n "$ldso" ] || ldso=/lib64/ld-linux-x86-64.so.2

is_elf() {
	[ -f "$1" ] && [ "$(head -c4 "$1" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]
}

# Copy the shared libraries an ELF needs to the same path in the image.
add_libs() {
	local f=$1 line lib path dst
	is_elf "$f" || return 0
	# ldd fails on what is not dynamically linked (modules, static
	# programs): nothing to copy then.
	{ "$ldso" --library-path "$libpath" --list "$f" 2>/dev/null ||
		true; } |
	while read -r line; do
		case $line in
		*"not found"*) die "$f: ${line%% *} not found" ;;
		*"=> /"*) path=${line#*=> }; path=${path%% (*} ;;
		/*) path=${line%% (*} ;;
		*) continue ;;
		esac
		lib=$(basename "$path")
		# Inside the image everything lives in the standard directories.
		case $path in
		*/ld-linux*) dst=/lib64/$lib ;;
		*) dst=/lib/x86_64-linux-gnu/$lib ;;
		esac
		[ -e "$root$dst" ] || cp -L "$path" "$root$dst"
	done
}

add_libs_tree() {
	local f
	while IFS= read -r -d '' f; do
		add_libs "$f"
	done < <(find "$1" -type f -print0)
}

# Kernel modules by name, with their dependencies in load order, listed in
# /etc/gntmap/kmod/<name> for the init's kmod_load.
add_kmods() {
	local dep=$vmroot/lib/modules/$kver/modules.dep name path rel src
	mkdir -p "$root/etc/gntmap/kmod"
	for name in "$@"; do
		rel=$(sed -n "s|^\(\([^:]*/\)\{0,1\}$name\.ko[.a-z]*\):.*|\1|p" \
			"$dep" | head -n1)
		[ -n "$rel" ] || rel=$(sed -n \
			"s|^\(\([^:]*/\)\{0,1\}${name//-/_}\.ko[.a-z]*\):.*|\1|p" \
			"$dep" | head -n1)
		[ -n "$rel" ] || die "module $name not found for $kver"
		# modules.dep lists dependencies deepest last; load them first.
		: >"$root/etc/gntmap/kmod/$name"
		for path in $(sed -n "s|^$rel: *||p" "$dep" | tr ' ' '\n' |
				tac) "$rel"; do
			mkdir -p "$root/lib/modules/$kver/$(dirname "$path")"
			# Unpacked here, once: busybox insmod would hand the
			# compressed file to the kernel first, which logs an
			# "Invalid ELF header" before the userspace fallback.
			src=$vmroot/lib/modules/$kver/$path
			path=${path%.xz}
			path=${path%.zst}
			path=${path%.gz}
			case $src in
			*.xz) xz -dc "$src" ;;
			*.zst) zstd -qdc "$src" ;;
			*.gz) gzip -dc "$src" ;;
			*) cat "$src" ;;
			esac >"$root/lib/modules/$kver/$path"
			echo "/lib/modules/$kver/$path" \
				>>"$root/etc/gntmap/kmod/$name"
		done
	done
}

base() {
	local d
	for d in bin sbin etc proc sys dev tmp run root var/log var/lib \
		lib/x86_64-linux-gnu lib64 usr/bin usr/sbin opt/gntmap/bin; do
		mkdir -p "$root/$d"
	done
	cp /bin/busybox "$root/bin/busybox"
	for d in $("$root/bin/busybox" --list-full); do
		mkdir -p "$root/$(dirname "$d")"
		[ -e "$root/$d" ] || ln -s /bin/busybox "$root/$d"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	mkdir -p "$root/etc/gntmap"
	cp "$here/vm/lib.sh" "$root/etc/gntmap/lib.sh"
	echo "$kver" >"$root/etc/gntmap/kver"
	echo "$XENVER" >"$root/etc/gntmap/xenver"
}

dom0() {
	local f cfg domu_kernel=${DOMU_KERNEL:-$CACHE/vmlinux-$kver}
	local domu_image=${DOMU_IMAGE:-$BUILD/$kver/images/domu.cpio}
	base
	add_kmods xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc \
		xen-blkback loop
	# The toolstack: the real binaries, not the /usr/sbin wrapper links.
	mkdir -p "$root$xenbin"
	for f in "$vmroot$xenbin"/*; do
		is_elf "$f" || continue
		cp "$f" "$root$xenbin/"
		add_libs "$f"
	done
	# One path for the harness, whatever the Xen version.
	ln -s "xen-$XENVER" "$root/usr/lib/xen"
	for f in xl xenstored xenconsoled xen-init-dom0 xenstore-control \
		xenconsole xentop vchan-socket-proxy; do
		ln -sf "$xenbin/$f" "$root/usr/sbin/$f"
	done
	for f in "$vmroot"/usr/bin/xenstore*; do
		if [ -L "$f" ]; then
			ln -sf "$(readlink "$f")" "$root/usr/bin/$(basename "$f")"
		else
			cp "$f" "$root/usr/bin/"
			add_libs "$f"
		fi
	done
	# QEMU as Xen's device model, for qdisk; it wants a keymap even
	# without a display.
	mkdir -p "$root/usr/libexec" "$root/usr/share/qemu"
	cp "$vmroot/usr/libexec/xen-qemu-system-i386" "$root/usr/libexec/"
	add_libs "$root/usr/libexec/xen-qemu-system-i386"
	cp -r "$vmroot/usr/share/qemu/keymaps" "$root/usr/share/qemu/"
	# pthread_cancel dlopens libgcc_s, which ldd cannot see.
	cp -L "$(ls "$vmroot"/lib/x86_64-linux-gnu/libgcc_s.so.1 \
		"$vmroot"/usr/lib/x86_64-linux-gnu/libgcc_s.so.1 2>/dev/null |
		head -n1)" "$root/lib/x86_64-linux-gnu/"
	mkdir -p "$root/etc/xen" "$root/run/xen" "$root/var/lib/xen" \
		"$root/var/log/xen/console" "$root/var/run" \
		"$root/var/lib/xenstored"
	: >"$root/etc/xen/xl.conf"
	cp -r "$vmroot/etc/xen/scripts" "$root/etc/xen/"
	# The project: its modules, its dom0 tree, the harness and suites.
	mkdir -p "$root/lib/modules/gntmap"
	if [ -d "$BUILD/$kver/drivers" ]; then
		(cd "$BUILD/$kver/drivers" && find . -name '*.ko' -print0 |
			cpio -0pdm --quiet "$root/lib/modules/gntmap")
	fi
	if [ -d "$BUILD/$kver/vm/dom0" ]; then
		cp -a "$BUILD/$kver/vm/dom0/." "$root/"
		add_libs_tree "$BUILD/$kver/vm/dom0"
	fi
	cp "$here/vm/dom0-init" "$root/init"
	cp "$here/vm/run-ktap" "$here/vm/run-suite" "$here/vm/harness-check" \
		"$root/opt/gntmap/bin/"
	mkdir -p "$root/opt/gntmap/boot" "$root/opt/gntmap/suites" \
		"$root/opt/gntmap/domu" "$root/etc/xen/configs"
	cp "$here"/boot/*.sh "$root/opt/gntmap/boot/"
	cp "$top"/tests/vm/suites/*.list "$root/opt/gntmap/suites/" \
		2>/dev/null || true
	mkdir -p "$root/opt/gntmap/suites/selftest"
	cp "$here"/selftest/*.list "$root/opt/gntmap/suites/selftest/"
	for cfg in "$top"/xen-configs/*.cfg; do
		sed -e "s|@DOMU_KERNEL@|/opt/gntmap/domu/vmlinux|" \
			-e "s|@DOMU_INITRD@|/opt/gntmap/domu/initrd|" \
			-e "s|@DOMU_BENCH_INITRD@|/opt/gntmap/domu/initrd-bench|" \
			"$cfg" >"$root/etc/xen/configs/$(basename "$cfg")"
	done
	# The test domain's kernel and initramfs, loaded by xl from dom0.
	[ -s "$domu_kernel" ] || die "missing $domu_kernel"
	[ -s "$domu_image" ] || die "missing $domu_image"
	cp "$domu_kernel" "$root/opt/gntmap/domu/vmlinux"
	cp "$domu_image" "$root/opt/gntmap/domu/initrd"
	if [ -n "${DOMU_BENCH_IMAGE:-}" ]; then
		[ -s "$DOMU_BENCH_IMAGE" ] || die "missing $DOMU_BENCH_IMAGE"
		cp "$DOMU_BENCH_IMAGE" "$root/opt/gntmap/domu/initrd-bench"
	fi
	chmod 755 "$root/init" "$root"/opt/gntmap/bin/*
}

domu() {
	base
	add_kmods xen-gntalloc xen-blkfront
	if [ -d "$BUILD/$kver/vm/domu" ]; then
		cp -a "$BUILD/$kver/vm/domu/." "$root/"
		add_libs_tree "$BUILD/$kver/vm/domu"
	fi
	cp "$here/vm/domu-init" "$root/init"
	chmod 755 "$root/init"
}

# The test domU with fio, for the bench's qdisk domains (figure 8).
domu_bench() {
	[ -x "$benchroot/usr/bin/fio" ] ||
		die "no fio in $benchroot (run tests/harness/deps.sh vm-bench)"
	domu
	cp "$benchroot/usr/bin/fio" "$root/usr/bin/fio"
	add_libs "$root/usr/bin/fio"
	if [ -d "$BUILD/$kver/vm/domu-bench" ]; then
		cp -a "$BUILD/$kver/vm/domu-bench/." "$root/"
		add_libs_tree "$BUILD/$kver/vm/domu-bench"
	fi
}

case $kind in
dom0) dom0 ;;
domu) domu ;;
domu-bench) domu_bench ;;
*) die "kind must be dom0, domu or domu-bench, not '$kind'" ;;
esac

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio -0 -o -H newc --quiet -R 0:0) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
