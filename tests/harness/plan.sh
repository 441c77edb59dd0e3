#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# plan.sh KERNEL [SUITE...]: which boots a kernel needs.  Prints one line
# per boot profile, "PROFILE SUITE.list...", from the @boot and @kernels
# lines of tests/vm/suites/*.list (or of the SUITEs given), in file-name
# order.  A suite without @boot runs on "stock", without @kernels on 6.1.
# KERNEL=6.1-debug runs the suites of 6.1 and those naming 6.1-debug.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/../vm/suites
kernel=${1:?usage: plan.sh KERNEL [SUITE...]}
shift
if [ $# -eq 0 ]; then
	set -- $(cd "$dir" && ls *.list 2>/dev/null | LC_ALL=C sort)
fi
for s in "$@"; do
	s=$(basename "$s")
	[ -f "$dir/$s" ] || { echo "plan: no suite $s" >&2; exit 1; }
	awk -v k="$kernel" -v s="$s" '
		$1 == "@boot" { p = $2 }
		$1 == "@kernels" { ks = " " $0 " " }
		END {
			if (p == "") p = "stock"
			if (ks == "") ks = " 6.1 "
			# The checking kernel runs what its base runs.
			kb = k; sub(/-debug$/, "", kb)
			if (index(ks, " " k " ") || index(ks, " " kb " "))
				print p, s
		}' "$dir/$s"
done | awk '
	!($1 in list) { order[++n] = $1 }
	{ list[$1] = list[$1] " " $2 }
	END { for (i = 1; i <= n; i++) print order[i] list[order[i]] }'
