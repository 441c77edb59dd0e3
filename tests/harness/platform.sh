#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# platform.sh WHAT PLATFORM: one fact about a dom0 platform (docs/build.md).
#
# A platform is a Debian release's Xen with one of its kernels:
#
#   deb12        Debian 12 (bookworm), its Xen, linux-image-amd64
#   deb12-6.12   Debian 12, its Xen, linux-image-6.12-amd64
#   deb13        Debian 13 (trixie), its Xen, linux-image-amd64
#   deb13-bpo    Debian 13, its Xen, linux-image-amd64 of trixie-backports
#   deb12-debug  Debian 12, its Xen, and the checking kernel built here from
#                linux-source-6.1 (debug-kernel.sh); not in "list": its
#                build does not fit make check's hour (make check-debug)
#   deb12-kasan  the same with the checking kernel's KASAN flavour
#                (debug-kernel.sh -f kasan), a PVH dom0 only; not in "list"
#
# 6.1, 6.12, 6.1-debug and 6.1-kasan are accepted for deb12, deb12-6.12,
# deb12-debug and deb12-kasan.  Versions are never
# written down: the kernel comes from its suite's meta package, Xen from
# the release's xen-system-amd64, so a point release or tomorrow's
# backports kernel is picked up by itself.
#
# WHAT is one of
#   name      the canonical platform name
#   release   the Debian codename (bookworm, trixie)
#   kver      the kernel release, as uname -r prints it
#   kpkg      the kernel's image package (nothing for deb12-debug and
#             deb12-kasan)
#   flavour   the checking kernel's flavour (debug-kernel.sh -f: debug,
#             kasan), else nothing
#   domu      the platform whose kernel and domU image the test domains
#             boot: deb12 for deb12-kasan (a KASAN kernel does not bring
#             up a 128-MiB PVH test domain in the harness's limits, and
#             what it checks is dom0), else the platform itself; always
#             of the same release
#   kdir      the tree external modules build against where it is not
#             the kernel's headers package (deb12-debug, deb12-kasan),
#             else nothing
#   suite     the suite the kernel comes from where it is not the
#             release's own (trixie-backports), else nothing
#   xenver    the Xen version (4.17, 4.20)
#   vmroot    where deps.sh unpacks the release's VM packages
#   build     the build tree of the release's userland and modules
#   buildroot the build root (a chroot of the release) its modules and
#             programs are built in, or nothing where the host is that
#             release
#   apt       the apt-get/apt-cache options of the release's apt state
#   make      all of the above as make variable assignments
#   env       the same as shell assignments (for eval)
#   makefile  the path of a file holding them (cached)
#   list      every platform of make check, one per line
#
# Releases other than the host's get a private apt state under
# $CACHE/apt/RELEASE: its own sources list (the host's mirrors, read from
# the host's apt configuration), lists and archives; the host's apt set-up
# is never touched.  Environment: CACHE, BUILD.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
BUILD=${BUILD:-$top/build}
PLATFORMS="deb12 deb12-6.12 deb13 deb13-bpo"
# Built here, not packaged: make check-debug's.
DEBUG_PLATFORMS="deb12-debug deb12-kasan"

plat_die() { echo "platform: $*" >&2; exit 1; }

# name release meta-package[/suite] [test-domain platform]
plat_row() {
	case $1 in
	deb12|6.1)	echo "deb12 bookworm linux-image-amd64" ;;
	deb12-6.12|6.12) echo "deb12-6.12 bookworm linux-image-6.12-amd64" ;;
	deb13)		echo "deb13 trixie linux-image-amd64" ;;
	deb13-bpo)	echo "deb13-bpo trixie linux-image-amd64/trixie-backports" ;;
	deb12-debug|6.1-debug) echo "deb12-debug bookworm -" ;;
	deb12-kasan|6.1-kasan) echo "deb12-kasan bookworm - deb12" ;;
	*) plat_die "unknown platform '$1' (one of: $PLATFORMS $DEBUG_PLATFORMS)" ;;
	esac
}

# The checking kernel's flavour (debug-kernel.sh -f) of a platform NAME,
# nothing for a packaged kernel.
plat_flavour() {
	case $1 in
	*-debug) echo debug ;;
	*-kasan) echo kasan ;;
	esac
}

plat_host_release() {
	(. /etc/os-release && echo "${VERSION_CODENAME:-}")
}

# The host's mirror of SUITE ("bookworm", "bookworm-security"), from its
# apt configuration: the only place a host name may come from.
plat_mirror() {
	apt-get indextargets --format '$(RELEASE) $(REPO_URI)' \
		'Identifier: Packages' 2>/dev/null |
		awk -v s="$1" '$1 == s { print $2; exit }'
}

# The private apt state of RELEASE; lists are fetched once a day at most.
plat_apt_state() {
	local rel=$1 host d uri sec key f
	d=$CACHE/apt/$rel
	host=$(plat_host_release)
	if [ ! -s "$d/sources.list" ]; then
		uri=$(plat_mirror "$host")
		[ -n "$uri" ] ||
			plat_die "no Debian mirror for '$host' in the host's apt configuration"
		sec=$(plat_mirror "$host-security")
		key=/usr/share/keyrings/debian-archive-keyring.gpg
		mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/cache" \
			"$d/preferences.d"
		: >"$d/status"
		{
			for f in "$rel" "$rel-updates" "$rel-backports"; do
				echo "deb [signed-by=$key] $uri $f main"
			done
			[ -z "$sec" ] ||
				echo "deb [signed-by=$key] $sec $rel-security main"
		} >"$d/sources.list.tmp"
		mv "$d/sources.list.tmp" "$d/sources.list"
	fi
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 \
			2>/dev/null | head -n1)" ]; then
		echo "platform: apt-get update ($rel, private state)" >&2
		# shellcheck disable=SC2046
		apt-get $(plat_apt_opts "$rel") update -qq >&2 ||
			plat_die "apt-get update of $rel failed"
	fi
}

plat_apt_opts() {
	local d=$CACHE/apt/$1
	echo "-o Dir::Etc::sourcelist=$d/sources.list" \
		"-o Dir::Etc::sourceparts=- -o Dir::Etc::preferencesparts=$d/preferences.d" \
		"-o Dir::State::Lists=$d/lists -o Dir::State::status=$d/status" \
		"-o Dir::Cache=$d/cache -o Dir::Cache::archives=$d/archives" \
		"-o APT::Install-Recommends=0"
}

# apt options for RELEASE: none for the host's own release.
plat_apt() {
	[ "$1" = "$(plat_host_release)" ] && return 0
	plat_apt_state "$1"
	plat_apt_opts "$1"
}

# The package META (or META/SUITE) depends on whose name starts PREFIX.
plat_depends() {	# release meta prefix
	local opts
	opts=$(plat_apt "$1")
	# shellcheck disable=SC2086
	apt-cache $opts depends "$2" 2>/dev/null |
		sed -n "s/^ *Depends: \($3[^ ]*\)$/\1/p" | head -n1
}

plat_kpkg() {
	local row rel meta pkg
	read -r _ rel meta <<<"$(plat_row "$1")"
	# The checking kernel is no package.
	[ "$meta" != - ] || return 0
	pkg=$(plat_depends "$rel" "$meta" linux-image-)
	if [ -z "$pkg" ] && [ "$rel" = "$(plat_host_release)" ]; then
		plat_die "cannot resolve $meta (run 'apt-get update' first)"
	fi
	[ -n "$pkg" ] || plat_die "cannot resolve $meta in $rel"
	echo "$pkg"
}

plat_xenver() {
	local rel pkg
	rel=$(plat_row "$1" | cut -d' ' -f2)
	pkg=$(plat_depends "$rel" xen-system-amd64 xen-hypervisor-)
	pkg=${pkg#xen-hypervisor-}
	pkg=${pkg%-amd64}
	[ -n "$pkg" ] || plat_die "cannot resolve xen-system-amd64 in $rel"
	echo "$pkg"
}

plat_get() {	# what platform
	local what=$1 p=$2 name rel
	read -r name rel _ <<<"$(plat_row "$p")"
	case $what in
	name)	echo "$name" ;;
	release) echo "$rel" ;;
	kpkg)	plat_kpkg "$name" ;;
	suite)	p=$(plat_row "$name" | cut -d' ' -f3)
		[ "${p#*/}" = "$p" ] || echo "${p#*/}" ;;
	kver)	case $name in
		*-debug|*-kasan) "$here/debug-kernel.sh" -f "$(plat_flavour "$name")" kver ;;
		*) p=$(plat_kpkg "$name"); echo "${p#linux-image-}" ;;
		esac ;;
	flavour) plat_flavour "$name" ;;
	domu)	p=$(plat_row "$name" | cut -d' ' -f4)
		echo "${p:-$name}" ;;
	kdir)	case $name in
		*-debug|*-kasan) echo "$CACHE/debug-kernel/$("$here/debug-kernel.sh" -f "$(plat_flavour "$name")" key)/obj" ;;
		esac ;;
	xenver)	plat_xenver "$name" ;;
	vmroot)	echo "$CACHE/vmroot-$rel" ;;
	build)	if [ "$rel" = "$(plat_host_release)" ]; then
			echo "$BUILD"
		else
			echo "$BUILD/$rel"
		fi ;;
	buildroot)
		[ "$rel" = "$(plat_host_release)" ] || echo "$CACHE/buildroot-$rel" ;;
	apt)	plat_apt "$rel" ;;
	make)	plat_make_cached "$name" ;;
	makefile)
		plat_make_cached "$name" >/dev/null
		echo "$CACHE/platforms/$name.mk" ;;
	make-fresh)
		# Paths stay references: one cache serves every checkout.
		echo "PLATFORM_NAME := $name"
		echo "PLATFORM_RELEASE := $rel"
		echo "PLATFORM_KVER := $(plat_get kver "$name")"
		echo "PLATFORM_XENVER := $(plat_get xenver "$name")"
		echo "PLATFORM_DOMU := $(plat_get domu "$name")"
		echo "PLATFORM_VMROOT = \$(CACHE)/vmroot-$rel"
		if [ "$rel" = "$(plat_host_release)" ]; then
			echo "PLATFORM_BUILD = \$(BUILD)"
			echo "PLATFORM_BUILDROOT ="
		else
			echo "PLATFORM_BUILD = \$(BUILD)/$rel"
			echo "PLATFORM_BUILDROOT = \$(CACHE)/buildroot-$rel"
		fi
		case $name in
		*-debug|*-kasan) echo "PLATFORM_KDIR = \$(CACHE)/debug-kernel/$("$here/debug-kernel.sh" -f "$(plat_flavour "$name")" key)/obj" ;;
		esac ;;
	env)	plat_make_cached "$name" |
			sed -e 's/^\([A-Z_]*\) :\{0,1\}= *\(.*\)$/\1="\2"/' \
			    -e 's/\$(\([A-Z]*\))/${\1}/g' ;;
	*)	plat_die "unknown question '$what'" ;;
	esac
}

# The make variables take a few apt queries (seconds); every make
# invocation reads them, so they are kept until the apt lists they came
# from change, or for a day.
plat_make_cached() {
	local name=$1 rel f lists
	rel=$(plat_row "$name" | cut -d' ' -f2)
	f=$CACHE/platforms/$name.mk
	if [ "$rel" = "$(plat_host_release)" ]; then
		lists=/var/lib/apt/lists
	else
		lists=$CACHE/apt/$rel/lists
	fi
	# The checking kernel's release and tree follow its script, fragment,
	# patches and the installed linux-source-6.1.
	if [ -s "$f" ] && [ "$f" -nt "$0" ] &&
	   { [ -z "$(plat_flavour "$name")" ] ||
	     { [ -z "$(find "$here" -maxdepth 1 \
			\( -name 'debug-kernel*' -o -name 'debug-kasan*' \) \
			-newer "$f" | head -n1)" ] &&
	       [ "$f" -nt /var/lib/dpkg/info/linux-source-6.1.list ]; }; } &&
	   [ -n "$(find "$f" -mmin -1440)" ] &&
	   [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -newer "$f" \
			2>/dev/null | head -n1)" ]; then
		cat "$f"
		return 0
	fi
	mkdir -p "$CACHE/platforms"
	plat_get make-fresh "$name" >"$f.tmp.$$"
	mv "$f.tmp.$$" "$f"
	cat "$f"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	list)	printf '%s\n' $PLATFORMS ;;
	-h|--help|"") sed -n '3,52s/^# \{0,1\}//p' "$0"; [ -n "${1:-}" ] ;;
	*)	[ $# -eq 2 ] || plat_die "usage: platform.sh WHAT PLATFORM"
		plat_get "$1" "$2" ;;
	esac
fi
