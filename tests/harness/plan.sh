#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# plan.sh PLATFORM [SUITE...]: which boots a platform needs.  Prints one
# line per boot profile, "PROFILE SUITE.list...", from the @boot and
# @platforms lines of tests/vm/suites/*.list (or of the SUITEs given), in
# file-name order.  A suite without @boot runs on "stock", without
# @platforms on deb12 only.  "@platforms all" is every platform; the
# older "@kernels 6.1 6.12" names deb12 and deb12-6.12.  With
# CHECK_SCOPE=all (make check-all) the platforms of "@check-all" lines
# count too: the stages that do not fit make check's time.  A checking
# platform (deb12-debug) runs what its base (deb12) runs, and the suites
# of the stock profile that start no test domain (20-core, 40-dmirror)
# also on a PVH dom0 (pvh-stock).  The KASAN flavour (deb12-kasan) runs
# only the PVH boots of that plan (pvh-stock, pvh-dropin): 6.1 cannot give
# a Xen PV guest KASAN (its shadow is mapped by kasan_early_init() in
# x86_64_start_kernel(), which a PV guest entering at xen_start_kernel()
# never runs; arch/x86/xen has no KASAN support), so its dom0 boots as PVH
# only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/../vm/suites
platform=$("$here/platform.sh" name "${1:?usage: plan.sh PLATFORM [SUITE...]}")
shift
named=$#
if [ $# -eq 0 ]; then
	set -- $(cd "$dir" && ls *.list 2>/dev/null | LC_ALL=C sort)
fi
for s in "$@"; do
	[ -f "$dir/$(basename "$s")" ] ||
		{ echo "plan: no suite $(basename "$s")" >&2; exit 1; }
done
lines=$(mktemp)
for s in "$@"; do
	s=$(basename "$s")
	awk -v k="$platform" -v s="$s" -v all="${CHECK_SCOPE:-}" '
		$1 == "@boot" { p = $2 }
		$1 == "@domain" { d = 1 }
		$1 == "@platforms" || $1 == "@kernels" ||
		($1 == "@check-all" && all == "all") {
			for (i = 2; i <= NF; i++) {
				n = $i
				if (n == "6.1") n = "deb12"
				if (n == "6.12") n = "deb12-6.12"
				ks = ks " " n
			}
			ks = ks " "
		}
		END {
			if (p == "") p = "stock"
			if (ks == "") ks = " deb12 "
			kb = k
			pvh = sub(/-kasan$/, "", kb)
			sub(/-debug$/, "", kb)
			if (index(ks, " " k " ") || index(ks, " " kb " ") ||
			    index(ks, " all ")) {
				if (!pvh || p ~ /^pvh-/)
					print p, s
				if (kb != k && p == "stock" && !d)
					print "pvh-stock", s
			}
		}' "$dir/$s"
done >"$lines"
# A suite named on the command line that this platform does not run
# (its @platforms, @kernels none) would otherwise make an empty plan,
# and make vm-run would succeed having run nothing.
if [ "$named" -gt 0 ]; then
	for s in "$@"; do
		s=$(basename "$s")
		awk -v s="$s" '$2 == s { f = 1 } END { exit !f }' "$lines" || {
			echo "plan: $s does not run on $platform (see its @platforms/@kernels lines)" >&2
			rm -f "$lines"
			exit 1
		}
	done
fi
awk '
	!($1 in list) { order[++n] = $1 }
	{ list[$1] = list[$1] " " $2 }
	END { for (i = 1; i <= n; i++) print order[i] list[order[i]] }' "$lines"
rm -f "$lines"
