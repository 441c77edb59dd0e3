#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Close a test run: count the TAP results every stage left in DIR/*.tap and
# print the one closing line.  A stage that wrote no file, or a file with a
# "Bail out!" line, counts as one failure so that it can never pass silently.
set -u
dir=${1:?usage: summarize.sh RESULTS_DIR}
pass=0 fail=0 skip=0
for stage in $(cat "$dir"/expected-stages 2>/dev/null); do
	[ -s "$dir/$stage.tap" ] && continue
	echo "not ok - stage $stage produced no results"
	fail=$((fail + 1))
done
for f in "$dir"/*.tap; do
	[ -e "$f" ] || continue
	stage=$(basename "$f" .tap)
	# ok/not ok lines at the top level only; subtests are indented.
	p=$(grep -cE '^ok [0-9]+' "$f")
	s=$(grep -cE '^ok [0-9]+.*# *(SKIP|skip)' "$f")
	n=$(grep -cE '^not ok [0-9]+' "$f")
	b=$(grep -c '^Bail out!' "$f")
	p=$((p - s))
	n=$((n + b))
	printf '%-28s %4d passed, %d failed, %d skipped\n' "$stage:" "$p" "$n" "$s"
	grep -E '^not ok [0-9]+|^Bail out!' "$f" | sed "s|^|  $stage: |"
	pass=$((pass + p)) fail=$((fail + n)) skip=$((skip + s))
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "no test ran"
	fail=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
