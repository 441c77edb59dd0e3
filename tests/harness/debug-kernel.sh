#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [-f FLAVOUR] kver          print the release of the
#                                            checking kernel
# debug-kernel.sh [-f FLAVOUR] key           print its cache key,
#                                            SOURCE-VERSION[-kasan]-HASH
# debug-kernel.sh [-f FLAVOUR] build         build it, once per source
#                                            version, fragments and patches
# debug-kernel.sh [-f FLAVOUR] kdir          build it; print the tree external
#                                            modules build against
# debug-kernel.sh [-f FLAVOUR] install ROOT  build it; copy boot/vmlinuz-REL
#                                            and lib/modules/REL/ into ROOT,
#                                            an unpacked linux-image's layout
#
# FLAVOUR (or DEBUG_KERNEL_FLAVOUR) is "debug" (the default) or "kasan".
# The checking kernel is Debian's linux-source-6.1 with
# tests/harness/debug-kernel-*.patch applied, configured by
# tests/harness/debug-kernel.config merged onto allnoconfig; the kasan
# flavour (PVH dom0 only) adds debug-kasan-*.patch and merges
# debug-kasan.config last.  It is cached under
# $CACHE/debug-kernel/SOURCE-VERSION[-kasan]-HASH/, HASH covering the
# fragments and the patches' diffs, so a second run with the same source
# package, fragments and patches builds nothing.  JOBS sets make's -j
# (default 2); the build runs at nice 19.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
# Resolved, as the object tree records the paths it was built with.
mkdir -p "$CACHE"
CACHE=$(cd -P "$CACHE" && pwd)
JOBS=${JOBS:-2}
tarball=/usr/src/linux-source-6.1.tar.xz

die() { echo "debug-kernel: $*" >&2; exit 1; }

usage() {
	sed -n '3,26s/^# \{0,1\}//p' "$0"
}

flavour=${DEBUG_KERNEL_FLAVOUR:-debug}
if [ "${1:-}" = -f ]; then
	flavour=${2:-}
	shift 2 || { usage >&2; exit 2; }
fi
frags=("$here/debug-kernel.config")
patches=("$here"/debug-kernel-*.patch)
[ -e "${patches[0]}" ] || patches=()
case $flavour in
debug)	tag= ;;
kasan)	tag=-kasan
	frags+=("$here/debug-kasan.config")
	for p in "$here"/debug-kasan-*.patch; do
		[ -e "$p" ] && patches+=("$p")
	done ;;
*)	die "unknown flavour '$flavour' (debug or kasan)" ;;
esac

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) &&
	[ -f "$tarball" ] ||
	die "linux-source-6.1 is not installed (run tests/harness/deps.sh host)"
# The last fragment that names it wins, as in merge_config.
localver=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "${frags[@]}" |
	tail -n1)
# The package's version is the upstream release, then Debian's revision.
kver=${srcver%%-*}$localver
base=$CACHE/debug-kernel
# Debian's tree, extracted once per source version and never changed.
pristine=$base/src-$srcver/linux-source-6.1
# A patch's header (before its first "--- ") does not change the kernel.
key=$srcver$tag-$({ cat "${frags[@]}"
	for p in "${patches[@]}"; do sed -n '/^--- /,$p' "$p"; done; } |
	sha256sum | cut -c1-12)
dir=$base/$key
# The tree this key builds: the pristine one hard-linked, the files the
# patches change copied first.
src=$dir/src
obj=$dir/obj
root=$dir/root
kmake=(make -C "$src" O="$obj" ARCH=x86_64)

extract() {
	[ -f "$pristine/.extracted" ] && return 0
	local tmp=$base/src-$srcver.tmp.$$
	echo "  EXTRACT linux-source-$srcver (full tree, for the debug kernel)" >&2
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp"
	mkdir -p "$(dirname "$pristine")"
	rm -rf "$pristine"
	mv "$tmp/linux-source-6.1" "$pristine"
	rmdir "$tmp"
	touch "$pristine/.extracted"
}

# unshare FILE: give FILE of the hard-linked tree its own copy, so that
# changing it leaves the pristine tree alone.
unshare() {
	cp -p "$1" "$1.unshare" && mv "$1.unshare" "$1"
}

# This key's tree: the pristine one hard-linked (seconds, no space), then
# the changes to Debian's source, each file unshared before it changes.
#  - Under DEBUG_VM, mmap_assert_locked() and its kin call dump_mm(), which
#    6.1 does not export (later kernels do), so no module that asserts the
#    mmap lock would load.
#  - tests/harness/debug-kernel-*.patch (and for the kasan flavour
#    debug-kasan-*.patch), each explained in its header.
patch_src() {
	local p f
	[ -f "$src/.patched" ] && return 0
	rm -rf "$src" "$src.tmp"
	cp -al "$pristine" "$src.tmp"
	if ! grep -q '^EXPORT_SYMBOL(dump_mm);' "$src.tmp/mm/debug.c"; then
		unshare "$src.tmp/mm/debug.c"
		sed -i '/^void dump_mm(/,/^}/ s/^}$/}\nEXPORT_SYMBOL(dump_mm);/' \
			"$src.tmp/mm/debug.c"
		grep -q '^EXPORT_SYMBOL(dump_mm);' "$src.tmp/mm/debug.c" ||
			die "cannot export dump_mm() in mm/debug.c"
	fi
	for p in "${patches[@]}"; do
		for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p"); do
			unshare "$src.tmp/$f"
		done
		echo "  PATCH   $(basename "$p")" >&2
		patch -d "$src.tmp" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "$(basename "$p") does not apply to linux-source-$srcver"
	done
	touch "$src.tmp/.patched"
	mv "$src.tmp" "$src"
}

build() {
	local t0 t rel missing
	[ -f "$dir/.done" ] && return 0
	# One build at a time; a second caller waits and finds it done.
	mkdir -p "$dir"
	exec 9>"$dir/.lock"
	flock 9
	[ -f "$dir/.done" ] && return 0
	for t in flex bison bc depmod patch; do
		command -v "$t" >/dev/null ||
			die "$t not found (run tests/harness/deps.sh host)"
	done
	[ -f /usr/include/gelf.h ] ||
		die "libelf-dev not installed (run tests/harness/deps.sh host)"
	t0=$(date +%s)
	extract
	patch_src
	rm -rf "$obj" "$root" "$root.tmp"
	mkdir -p "$obj"
	echo "  CONFIG  $kver ($(basename -a "${frags[@]}" | paste -sd+) on allnoconfig)" >&2
	(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n \
		-O "$obj" "${frags[@]}") >"$dir/config.log" 2>&1 ||
		die "merge_config failed, see $dir/config.log"
	# merge_config only warns about a value Kconfig refused.
	missing=$(sed -n 's/^Value requested for \(CONFIG_[A-Z0-9_]*\) .*/\1/p' \
		"$dir/config.log")
	[ -z "$missing" ] ||
		die "the fragment asks for what Kconfig refused:" $missing
	echo "  KERNEL  $kver (make -j$JOBS, log in $dir/build.log)" >&2
	nice -n 19 "${kmake[@]}" -j"$JOBS" bzImage modules \
		>"$dir/build.log" 2>&1 ||
		die "build failed, see the end of $dir/build.log"
	rel=$("${kmake[@]}" -s kernelrelease)
	[ "$rel" = "$kver" ] ||
		die "built release $rel, expected $kver from the package version"
	mkdir -p "$root.tmp/boot"
	"${kmake[@]}" -s INSTALL_MOD_PATH="$root.tmp" modules_install \
		>>"$dir/build.log" 2>&1 || die "modules_install failed"
	# No build/source links: they would point into this cache.
	rm -f "$root.tmp/lib/modules/$kver/build" \
		"$root.tmp/lib/modules/$kver/source"
	cp "$obj/arch/x86/boot/bzImage" "$root.tmp/boot/vmlinuz-$kver"
	cp "$obj/.config" "$root.tmp/boot/config-$kver"
	cp "$obj/System.map" "$root.tmp/boot/System.map-$kver"
	mv "$root.tmp" "$root"
	echo "$(($(date +%s) - t0))" >"$dir/build-seconds"
	touch "$dir/.done"
	echo "  KERNEL  $kver built in $(cat "$dir/build-seconds") s" >&2
}

install_root() {
	local to=${1:?usage: debug-kernel.sh [-f FLAVOUR] install ROOT}
	build
	mkdir -p "$to/boot" "$to/lib/modules"
	# Every key's kernel has the same release: the image tells them apart.
	if cmp -s "$to/boot/vmlinuz-$kver" "$root/boot/vmlinuz-$kver" &&
		[ -s "$to/lib/modules/$kver/modules.dep" ]; then
		return 0
	fi
	rm -rf "$to/lib/modules/$kver"
	cp -a "$root/lib/modules/$kver" "$to/lib/modules/"
	cp "$root/boot/config-$kver" "$root/boot/System.map-$kver" "$to/boot/"
	# Last, so that a partial copy is redone next time.
	cp "$root/boot/vmlinuz-$kver" "$to/boot/"
}

case "${1:-}" in
kver)		echo "$kver" ;;
key)		echo "$key" ;;
build)		build ;;
kdir)		build; echo "$obj" ;;
install)	install_root "${2:-}" ;;
-h|--help)	usage ;;
*)		usage >&2; exit 2 ;;
esac
