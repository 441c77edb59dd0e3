#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# patch-hmm-tests.sh IN OUT: the build-time patch of Debian's
# tools/testing/selftests/vm/hmm-tests.c (linux-source-6.1) for dmirror.
#
# The upstream file is never copied into the repo; this script rewrites it
# on its way into build/.  It changes three things and fails if the file no
# longer has the shape it expects:
#
#  1. Tests that need CONFIG_DEVICE_PRIVATE (migration to device memory,
#     exclusive access) first probe the device: if it answers EOPNOTSUPP to
#     the ioctl the test is about, the test SKIPs with that reason.  A
#     device that implements the ioctl runs the test unchanged.
#  2. The DEVICE_COHERENT fixture setup SKIPs with exit(0), which this
#     version of the kselftest harness counts as a pass; exit(255) is what
#     it counts as a skip.
#  3. "compound" returns silently (a pass) when no hugetlb page can be
#     allocated; it SKIPs instead.
set -eu
in=${1:?usage: patch-hmm-tests.sh IN OUT}
out=${2:?usage: patch-hmm-tests.sh IN OUT}

# test name, fixture fd, ioctl the test cannot do without
needs='
migrate			fd	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_file_private	fd	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_fault		fd	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_release		fd	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_shared		fd	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_mixed		fd0	HMM_DMIRROR_MIGRATE_TO_DEV
migrate_multiple	fd	HMM_DMIRROR_MIGRATE_TO_DEV
snapshot		fd0	HMM_DMIRROR_MIGRATE_TO_DEV
double_map		fd0	HMM_DMIRROR_MIGRATE_TO_DEV
exclusive		fd	HMM_DMIRROR_EXCLUSIVE
exclusive_mprotect	fd	HMM_DMIRROR_EXCLUSIVE
exclusive_cow		fd	HMM_DMIRROR_EXCLUSIVE
hmm_gup_test		fd	HMM_DMIRROR_MIGRATE_TO_DEV
hmm_cow_in_device	fd	HMM_DMIRROR_MIGRATE_TO_DEV
'

tmp=$out.tmp
echo "$needs" | awk -v src="$in" '
NF == 3 { fd[$1] = $2; op[$1] = $3; want++ }
END {
	while ((getline line < src) > 0) {
		print line
		if (line ~ /^#include <mm\/gup_test.h>$/) {
			print ""
			print "/* Build-time patch (gntmap tests/vm/dmirror): see patch-hmm-tests.sh. */"
			print "static int hmm_op_unsupported(int fd, unsigned long request)"
			print "{"
			print "\tstruct hmm_dmirror_cmd cmd = { 0 };"
			print ""
			print "\treturn ioctl(fd, request, &cmd) < 0 && errno == EOPNOTSUPP;"
			print "}"
			helper = 1
		}
		if (match(line, /^TEST_F\(hmm2?, [a-z_]+\)$/)) {
			name = line
			sub(/^TEST_F\(hmm2?, /, "", name)
			sub(/\)$/, "", name)
			if (!(name in op))
				continue
			getline brace < src
			if (brace != "{") {
				print "patch-hmm-tests: " name ": no { after TEST_F" > "/dev/stderr"
				exit 1
			}
			print brace
			printf "\tif (hmm_op_unsupported(self->%s, %s))\n", fd[name], op[name]
			printf "\t\tSKIP(return, \"needs CONFIG_DEVICE_PRIVATE: %s is EOPNOTSUPP\");\n", op[name]
			done++
		}
	}
	if (!helper || done != want) {
		printf "patch-hmm-tests: patched %d of %d tests\n", done, want > "/dev/stderr"
		exit 1
	}
}' /dev/stdin >"$tmp"

# 2 and 3, each required to match exactly once.
n=$(grep -c 'SKIP(exit(0), "DEVICE_COHERENT not available")' "$tmp")
[ "$n" = 2 ] || { echo "patch-hmm-tests: coherent setup SKIP seen $n times, expected 2" >&2; exit 1; }
sed -i 's/SKIP(exit(0), "DEVICE_COHERENT not available")/SKIP(exit(255), "DEVICE_COHERENT not available")/' "$tmp"

awk '
/^TEST_F\(hmm, compound\)$/ { in_c = 1 }
in_c && /^\t\tfree\(buffer\);$/ { seen_free = 1; print; next }
in_c && seen_free && /^\t\treturn;$/ {
	print "\t\tSKIP(return, \"no hugetlb page reserved (vm.nr_hugepages)\");"
	in_c = 0; fixed = 1; next
}
{ seen_free = 0; print }
END { if (!fixed) { print "patch-hmm-tests: compound: no silent return found" > "/dev/stderr"; exit 1 } }
' "$tmp" >"$tmp.2"
mv "$tmp.2" "$out"
rm -f "$tmp"
