#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# buildroot.sh PLATFORM              make sure PLATFORM's build root exists
# buildroot.sh --run PLATFORM CMD... run CMD inside it
#
# Modules must be built with the compiler their kernel was built with, and
# a newer release's kbuild programs need that release's libc: so whatever
# runs in a platform whose release is not the host's (Debian 13 on this
# Debian 12 host) is built in a chroot of that release, made with
# mmdebstrap from the same mirror as the rest (platform.sh's private apt
# state).  It holds the compiler, libxen-dev (the release's Xen) and the
# headers of every kernel of every platform of that release.
#
# The root is cached under $CACHE/buildroot-RELEASE and rebuilt only when
# its package list changes (a new kernel, a new Xen).  --run mounts the
# checkout, the cache and the build tree at their own paths in a private
# mount namespace, so nothing stays mounted afterwards.  See docs/build.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
export CACHE BUILD
plat() { "$here/platform.sh" "$@"; }
die() { echo "buildroot: $*" >&2; exit 1; }

# The packages of RELEASE's root: one headers package per platform.
packages() {
	local rel=$1 p
	echo build-essential gcc libxen-dev sparse perl kmod bc pkg-config
	for p in $(plat list); do
		[ "$(plat release "$p")" = "$rel" ] || continue
		echo "linux-headers-$(plat kver "$p")"
	done
}

ensure() {
	local p=$1 rel root key pkgs opts t0
	rel=$(plat release "$p")
	root=$(plat buildroot "$p")
	[ -n "$root" ] || return 0
	pkgs=$(packages "$rel" | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')
	key=$(echo "$rel $pkgs" | md5sum | cut -d' ' -f1)
	if [ -f "$root/.gntmap-key" ] && [ "$(cat "$root/.gntmap-key")" = "$key" ]; then
		return 0
	fi
	command -v mmdebstrap >/dev/null || {
		[ "$(id -u)" -eq 0 ] || die "mmdebstrap is missing (need root to install it)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends mmdebstrap >/dev/null ||
			die "cannot install mmdebstrap"
	}
	[ "$(id -u)" -eq 0 ] || die "building the $rel build root needs root"
	opts=$(plat apt "$p")	# sets up the private sources list
	[ -n "$opts" ] || die "no private apt state for $rel"
	echo "  BUILDROOT $rel: $pkgs"
	t0=$(date +%s)
	rm -rf "$root" "$root.tmp"
	mmdebstrap --quiet --variant=buildd --mode=root \
		--include="$(echo $pkgs | tr ' ' ',')" \
		--aptopt='APT::Install-Recommends "false"' \
		"$rel" "$root.tmp" "$CACHE/apt/$rel/sources.list" >&2 ||
		die "mmdebstrap $rel failed"
	echo "$key" >"$root.tmp/.gntmap-key"
	mv "$root.tmp" "$root"
	echo "  BUILDROOT $rel ready in $(($(date +%s) - t0)) s"
}

run() {
	local p=$1 root d real
	shift
	root=$(plat buildroot "$p")
	[ -n "$root" ] || { "$@"; return; }
	ensure "$p"
	# Bind the checkout, the cache and the build tree where the caller
	# sees them, so every path on the command line means the same there.
	# A path that is a symbolic link (a worktree's shared cache) is bound
	# at its target; the link itself comes with the checkout, or is made
	# again in the root.
	local binds=() links=()
	for d in "$top" "$CACHE" "$BUILD"; do
		mkdir -p "$d"
		real=$(readlink -f "$d")
		binds+=("$real")
		case $d in
		"$real"|"$top"/*) ;;
		*) links+=("$d=$real") ;;
		esac
	done
	unshare --mount --propagation private /bin/bash -s "$root" \
		"${binds[*]}" "${links[*]:-}" "$@" <<-'EOF'
	set -e
	root=$1 binds=$2 links=$3
	shift 3
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	for b in $binds; do
		mkdir -p "$root$b"
		mount --bind "$b" "$root$b"
	done
	for l in $links; do
		mkdir -p "$root$(dirname "${l%%=*}")"
		[ -e "$root${l%%=*}" ] || ln -s "${l#*=}" "$root${l%%=*}"
	done
	exec chroot "$root" /usr/bin/env GNTMAP_BUILDROOT=1 \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	EOF
}

case ${1:-} in
--run)	[ $# -ge 3 ] || die "usage: buildroot.sh --run PLATFORM CMD..."
	shift; p=$1; shift; run "$p" "$@" ;;
-h|--help) sed -n '3,18s/^# \{0,1\}//p' "$0" ;;
"")	sed -n '3,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
*)	ensure "$1" ;;
esac
